#!/usr/bin/env bash
# demo.sh — runs inside tests/lib/skns.sh (private namespace: its own pcscd, the simulated
# flexSecure on vpcd slot 0 and, with SKNS_DESFIRE=1, the simulated DESFire EV3 on slot 1).
# Every door skinkey has, used for real, each with one line a person can read; the details of
# every step go to $SKNS_LOG/demo.log. A door that does not work stops the demo with its log.
set -euo pipefail
. "$SK_SRC/tests/lib/common.sh"
. "$SK_SRC/tests/lib/gpgcard.sh"
. "$SK_SRC/tests/lib/sshd.sh"
LOG=$SKNS_LOG/demo.log
SO=$SK_BUILD/pkcs11/skinkey-pkcs11.so
: > "$LOG"
ok() { printf '  \033[32m✔\033[0m %-28s %s\n' "$1" "$2"; }
# quiet CMD...: run a setup step, its output to the log; on failure show the log and stop
quiet() {
	echo "\$ $*" >> "$LOG"
	"$@" >> "$LOG" 2>&1 || { echo "demo: '$*' failed; the end of $LOG:" >&2; tail -n 25 "$LOG" >&2; exit 1; }
}
stop() { echo "demo: $*; the end of $LOG:" >&2; tail -n 25 "$LOG" >&2; exit 1; }

# The demo answers PIN prompts itself (the simulated chip's factory PINs 123456 / 12345678);
# with a real chip, pinentry asks you. The simulated DESFire's originality key is the
# simulator's own, which a real installation refuses (vault-originality = nxp).
mkdir -p "$XDG_CONFIG_HOME/skinkey"
{
	echo "pinentry-program = $SK_SRC/tests/lib/pinentry-test"
	echo "vault-originality = sim"
} > "$XDG_CONFIG_HOME/skinkey/skinkey.conf"
printf 'user=123456\nadmin=12345678\n' > "$HOME/.test-pins"
quiet skinkeyd --daemon --log-file "$SKNS_LOG/skinkeyd.log"

echo "skinkey, every door, against simulated chips (each step's details: $LOG; SKNS_KEEP=DIR keeps it)"
chip=$(skinkey chips | awk '$1 ~ /^fs-/ { print $1; exit }')
[ -n "$chip" ] || stop "no flexSecure chip known"
apps=$(skinkey chips | awk -v c="$chip" '$1 == c { print $3 }')
pw1=$(skinkey --json status | /usr/bin/python3 -c 'import json, sys
print([c for c in json.load(sys.stdin)["chips"] if c["id"] == sys.argv[1]][0]["pin_retries"]["pw1"])' "$chip") ||
	stop "skinkey status --json"
ok "skinkey status" "chip $chip in the reader, applets $apps, PIN tries left: $pw1"

# --- gpg and git through skinkey-scd --------------------------------------------------------
quiet gpgcard_setup_agent
quiet gpgcard_generate_ed25519 "Demo User" demo@example.org
echo "signed on the implant" > "$HOME/note.txt"
quiet gpg --batch --yes -u demo@example.org -o "$HOME/note.sig" --sign "$HOME/note.txt"
v=$(gpg --verify "$HOME/note.sig" 2>&1) || stop "gpg --verify: $v"
echo "$v" >> "$LOG"
ok "gpg (skinkey-scd)" "$(grep -o 'Good signature from "[^"]*"' <<< "$v") — Ed25519 key on the chip"
git init -q "$HOME/repo"
cd "$HOME/repo"
git config user.name "Demo User"; git config user.email demo@example.org
git config user.signingkey "$(gpgcard_sig_fpr)"
echo hello > hello.txt; git add hello.txt
quiet git commit -q -S -m "signed on the implant"
v=$(git verify-commit HEAD 2>&1) || stop "git verify-commit: $v"
echo "$v" >> "$LOG"
ok "git commit -S" "commit $(git rev-parse --short HEAD) signed on the chip; git verify-commit: $(grep -o 'Good signature' <<< "$v")"
cd "$HOME"

# --- ssh: the agent socket and PKCS#11 (a P-256 authentication key: OpenSSH 9.2 takes no Ed25519
# through PKCS#11) --------------------------------------------------------------------------
quiet pkcs11-tool --module "$SO" --token-label "$chip OpenPGP" --login --login-type so \
	--so-pin 12345678 --keypairgen --key-type EC:prime256v1 --id 03
export SSH_AUTH_SOCK=$XDG_RUNTIME_DIR/skinkey/S.ssh
wait_for 10 test -S "$SSH_AUTH_SOCK" || stop "skinkeyd's ssh-agent socket did not appear"
ssh-add -L > "$HOME/card.pub" 2>>"$LOG" || stop "ssh-add -L"
quiet sshd_start "$HOME/card.pub"
quiet ssh_login_check "$SSH_AUTH_SOCK"
grep -q 'Accepted publickey' "$SKNS_LOG/sshd.log" || stop "sshd logged no key login"
ok "ssh (skinkeyd's agent)" "logged in to 127.0.0.1 with the chip's key $(ssh-keygen -lf "$HOME/card.pub" | awk '{print $4, $2}')"
printf '#!/bin/sh\necho 123456\n' > "$HOME/askpin"; chmod 700 "$HOME/askpin"
out=$(SSH_ASKPASS="$HOME/askpin" SSH_ASKPASS_REQUIRE=force timeout 60 ssh -F /dev/null -n \
	-o IdentityAgent=none -o PKCS11Provider="$SO" -o StrictHostKeyChecking=no \
	-o UserKnownHostsFile=/dev/null -o PasswordAuthentication=no -o LogLevel=ERROR \
	-p "$SSHD_PORT" root@127.0.0.1 echo 'hello from sshd' 2>>"$LOG") || stop "ssh -I"
[ "$out" = "hello from sshd" ] || stop "ssh -I ran nothing"
ok "ssh -I skinkey-pkcs11.so" "logged in to 127.0.0.1 through PKCS#11 (same key, PIN given once)"

# --- ssh with a FIDO2 key made on the chip (OpenSSH's SecurityKeyProvider: skinkey-sk.so) -----
SKP=$SK_BUILD/fido/client/skinkey-sk.so
if [ -f "$SKP" ]; then
	quiet ssh-keygen -q -t ecdsa-sk -w "$SKP" -N '' -C demo-fido -f "$HOME/id_fido" < /dev/null
	cat "$HOME/id_fido.pub" >> "$SSHD_DIR/authorized_keys"
	out=$(timeout 60 ssh -F /dev/null -n -o IdentityAgent=none -o IdentitiesOnly=yes \
		-o SecurityKeyProvider="$SKP" -i "$HOME/id_fido" -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile=/dev/null -o PasswordAuthentication=no -o LogLevel=ERROR \
		-p "$SSHD_PORT" root@127.0.0.1 echo 'hello from sshd' 2>>"$LOG") || stop "ssh with the FIDO2 key"
	[ "$out" = "hello from sshd" ] || stop "ssh with the FIDO2 key ran nothing"
	ok "ssh, FIDO2 (skinkey-sk.so)" "ecdsa-sk key made by the chip's FIDO2 applet; logged in to 127.0.0.1"
fi

# --- HMAC-SHA1 challenge-response (KeePassXC's slot) and TOTP on the chip --------------------
quiet skinkey hmac program --generate 2
mac=$(skinkey hmac calculate 2 "$(printf hello | xxd -p)") || stop "skinkey hmac calculate"
yk=$(ykman --reader "$SK_READER0" otp calculate 2 "$(printf hello | xxd -p)" 2>>"$LOG") || stop "ykman otp calculate"
[ "$mac" = "$yk" ] || stop "skinkey and ykman disagree: $mac / $yk"
ok "hmac (slot 2)" "HMAC-SHA1(\"hello\") = ${mac:0:16}… (ykman, over PC/SC beside skinkeyd, agrees)"
secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP
echo "$secret" | quiet skinkey oath add GitHub:demo
code=$(skinkey oath code GitHub:demo) || stop "skinkey oath code"
want=$(oathtool --totp -b "$secret")
[ "$code" = "$want" ] || [ "$code" = "$(oathtool --totp -b -N "now - 30 seconds" "$secret")" ] ||
	stop "oath code $code, oathtool says $want"
ok "oath (TOTP on the chip)" "GitHub:demo $code (oathtool computes the same)"

# --- the DESFire vault -------------------------------------------------------------------------
if [ "${SKNS_DESFIRE:-}" = 1 ]; then
	quiet skinkey vault init
	printf 'correct horse battery staple' | quiet skinkey vault add example.org alice
	got=$(skinkey vault get example.org alice) || stop "skinkey vault get"
	[ "$got" = "correct horse battery staple" ] || stop "vault get returned something else"
	ok "vault (DESFire EV3)" "skinkey vault get example.org alice → $got"
else
	echo "  - vault: no DESFire chip in this run (SKNS_DESFIRE=1 adds one)"
fi
# --- the DuressApplet (its contexts do not reach the doors yet: man skinkey, duress) ---------------
if d=$(skinkey duress status 2>>"$LOG"); then
	ok "duress (DuressApplet)" "skinkey duress status: ${d#*: }"
fi

# --- what the guard recorded (skinkey-guard's sealed audit chain) --------------------------------
if skinkey audit tail -n 1 >/dev/null 2>&1; then
	wait_for 10 sh -c 'skinkey --json audit export | grep -q key-op' || stop "no key operation in the audit chain"
	v=$(skinkey audit verify 2>&1) || stop "skinkey audit verify: $v"
	echo "$v" >> "$LOG"
	counts=$(skinkey --json audit export | /usr/bin/python3 -c 'import json, sys
rows = json.load(sys.stdin)
print(len(rows), sum(1 for r in rows if r["action"].startswith("key-op")))') || stop "skinkey audit export"
	set -- $counts
	ok "audit (skinkey-guard)" "$1 events recorded, $2 of them key operations; skinkey audit verify: chain intact"
fi
echo "done: every door above used the simulated chips through skinkeyd"
