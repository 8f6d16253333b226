#!/usr/bin/env bash
# The "no card in use" promise with a client that talks PC/SC itself: Debian 12's keepassxc-cli
# 2.7.4 (built with its YubiKey extension, libpcsclite) opens a KDBX 4 database protected by a
# password and the implant's HMAC-SHA1 slot 2 (-y 2:SERIAL, PC/SC) over and over while gpg signs
# through skinkey-scd/skinkeyd in a loop on the same chip. Every open and every signature must
# succeed; the opens must have reached the chip (its HMAC commands counted in the sim's trace),
# and the database must not open without the chip's answer.
. "$SK_SRC/tests/lib/common.sh"
. "$SK_SRC/tests/lib/gpgcard.sh"
source "$SK_SRC/tests/integration/agent_lib.inc"
need keepassxc-cli gpg skinkey ykman /usr/bin/python3
export QT_QPA_PLATFORM=offscreen
KP_OPENS=${SK_KP_OPENS:-6}

mkdir -p "$XDG_CONFIG_HOME/skinkey"
echo "pinentry-program = $SK_SRC/tests/lib/pinentry-test" > "$XDG_CONFIG_HOME/skinkey/skinkey.conf"
gpgcard_setup_agent
gpgcard_generate_ed25519 "Kp User" kp@example.org
echo "default-key kp@example.org" > "$GNUPGHOME/gpg.conf"
echo hello > "$HOME/msg.txt"

# the implant's slot 2 and a database KeePassXC locks with it (keepassxc-cli cannot add a
# hardware key itself: tests/lib/kdbx4_cr.py writes the KDBX 4 file, the chip answers)
skinkey hmac program --generate 2 >/dev/null || fail "program slot 2"
serial=$(ykman --reader "$SK_READER0" info | sed -n 's/^Serial number: //p')
[ -n "$serial" ] || fail "no serial from ykman"
chal=$(/usr/bin/python3 "$SK_SRC/tests/lib/kdbx4_cr.py" challenge "$HOME/kdf.seed")
resp=$(skinkey hmac calculate 2 "$chal") || fail "hmac calculate"
secret=$(openssl rand -hex 12)
echo 'master words' | /usr/bin/python3 "$SK_SRC/tests/lib/kdbx4_cr.py" write "$HOME/db.kdbx" \
	"$HOME/kdf.seed" "$resp" implant "$secret" || fail "writing the database"
kp_open() { echo 'master words' | keepassxc-cli show -q -s -a Password -y "2:$serial" "$HOME/db.kdbx" implant; }
rc=0; echo 'master words' | keepassxc-cli show -q -s -a Password "$HOME/db.kdbx" implant >/dev/null 2>&1 || rc=$?
[ "$rc" != 0 ] || fail "the database opened without the chip's answer"
expect_eq "$(kp_open)" "$secret" "keepassxc-cli opens the database with the implant"

# both at once: gpg signs until KeePassXC is done (and at least 8 times)
sim trace on >/dev/null
hmacs_before=$(grep -c '> 00 01 38 00' "$SKNS_LOG/sim-flexsecure.log" || true)
rm -f "$HOME/kp.done"
(
	ok=0 bad=0 n=0
	while [ ! -e "$HOME/kp.done" ] || [ "$n" -lt 8 ]; do
		n=$((n + 1))
		if gpg --batch --yes -o "$HOME/msg.sig" --sign "$HOME/msg.txt" 2>>"$SKNS_LOG/kp-gpg.err" &&
		   gpg --verify "$HOME/msg.sig" 2>>"$SKNS_LOG/kp-gpg.err"; then ok=$((ok + 1)); else bad=$((bad + 1)); fi
	done
	echo "gpg ok=$ok fail=$bad" > "$HOME/gpg.result"
) &
gpg_pid=$!
ok=0 bad=0
for _ in $(seq "$KP_OPENS"); do
	if [ "$(kp_open 2>>"$SKNS_LOG/kp-keepassxc.err")" = "$secret" ]; then ok=$((ok + 1)); else bad=$((bad + 1)); fi
done
touch "$HOME/kp.done"
wait "$gpg_pid" || fail "gpg loop"
sim trace off >/dev/null
echo "keepassxc ok=$ok fail=$bad"; cat "$HOME/gpg.result"
expect_eq "$bad" 0 "keepassxc-cli failed to open while gpg signed (first error: $(head -c 300 "$SKNS_LOG/kp-keepassxc.err"))"
expect_match "$(cat "$HOME/gpg.result")" '^gpg ok=([8-9]|[1-9][0-9]+) fail=0$' \
	"gpg failed while KeePassXC used the chip (first error: $(grep -m1 -i 'fail\|error' "$SKNS_LOG/kp-gpg.err"))"
hmacs=$(( $(grep -c '> 00 01 38 00' "$SKNS_LOG/sim-flexsecure.log") - hmacs_before ))
[ "$hmacs" -ge "$KP_OPENS" ] || fail "only $hmacs HMAC commands reached the chip for $KP_OPENS opens"
# the two really overlapped: gpg's signatures (PSO:CDS) fall between KeePassXC's first and last HMAC
between=$(awk '/> 00 01 38 00/ { if (!seen) seen = 1; else { n += pending; pending = 0 } }
	/> [01]0 2A 9E 9A/ { if (seen) pending++ } END { print n + 0 }' "$SKNS_LOG/sim-flexsecure.log")
[ "$between" -ge 1 ] || fail "no signature happened while KeePassXC was opening (no overlap)"
echo "signatures on the chip between KeePassXC's first and last HMAC: $between"
echo ok
