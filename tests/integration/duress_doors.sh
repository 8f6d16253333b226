#!/usr/bin/env bash
# duress_doors.sh — duress = on, every door but gpg (duress_gpg.sh): each context's instance gets
# a P-256 authentication key through PKCS#11; then with the decoy PIN typed at the ssh-agent
# (skinkeyd's pinentry) ssh-add -L lists only the decoy's key and ssh logs in only where the
# decoy key is authorized; PKCS#11 before a PIN shows a locked token without objects (and sends
# no APDU for a PIN change, a certificate or live counters on it), and a
# C_Login with the decoy PIN lists the decoy's key only; skinkey status and chips name the decoy
# only; the same for the primary; no file of skinkey's holds the other context's id, AID or
# key (and none holds either once locked). The set of skinkeyd log lines (times and ids masked) of a
# primary unlock equals a decoy unlock's, and no line names a context's chip id.
source "$SK_SRC/tests/lib/common.sh"
source "$SK_SRC/tests/integration/agent_lib.inc"
source "$SK_SRC/tests/integration/duress_lib.inc"
source "$SK_SRC/tests/lib/sshd.sh"
need pkcs11-tool ssh ssh-add ssh-keygen /usr/sbin/sshd skinkey skinkeyd skinkey-sim sha256sum od
S=$SKNS_SCRATCH
SO=$SK_BUILD/pkcs11/skinkey-pkcs11.so
[ -f "$SO" ] || fail "module not built: $SO"
p11() { pkcs11-tool --module "$SO" "$@"; }
export SSH_AUTH_SOCK=$XDG_RUNTIME_DIR/skinkey/S.ssh
duress_prepare
wait_for 60 test -S "$SSH_AUTH_SOCK" || fail "no ssh-agent socket at $SSH_AUTH_SOCK"

# PKCS#11 before any PIN: one locked token, no objects, no context's serial
out=$(p11 -L 2>&1) || fail "pkcs11-tool -L: $out"
expect_match "$out" 'token label *: *fs-locked OpenPGP' "locked token"
duress_shows_only none "pkcs11-tool -L (locked)" "$out"
out=$(p11 --token-label "fs-locked OpenPGP" -O 2>&1) || true
grep -qi 'Public Key Object' <<< "$out" && fail "locked token lists objects: $out"
# nothing of an instance through PKCS#11 before a PIN picked a context: the locked chip's partial
# AID would reach the primary's instance (a PIN change there would bypass the DuressApplet)
sim reset-stats > /dev/null
out=$(skd "/let o 123456" "/definq OLDPIN o" "/let n 654321" "/definq NEWPIN n" \
	"P11SETPIN fs-locked user" "P11READCERT fs-locked 3" "P11PINSTATUS fs-locked --live" 2>&1)
grep -q '^ERR' <<< "$out" || fail "P11SETPIN on the locked chip did not fail: $out"
expect_eq "$(sim_apdus)" 0 "PKCS#11 commands on the locked chip: no APDU"

# a wrong PIN: the applet's SELECT and one SELECT_CONTEXT, never retried; the chip stays locked
sim reset-stats > /dev/null
out=$(printf '999999\n' | skinkey duress unlock 2>&1) && fail "a wrong PIN unlocked: $out"
expect_eq "$(sim_apdus)" 2 "wrong PIN: SELECT + SELECT_CONTEXT, nothing more"
expect_match "$(skinkey chips 2>&1)" 'fs-locked' "still locked after a wrong PIN"

# each context: a P-256 AUT key on its own instance (PKCS#11 keygen, its Admin PIN)
for pin in 123456 222222; do
	chip=$(unlock "$pin")
	[ -n "$chip" ] || fail "skinkey duress unlock $pin printed no chip"
	out=$(p11 --token-label "$chip OpenPGP" --login --login-type so --so-pin 12345678 \
		--keypairgen --key-type EC:prime256v1 --id 03 2>&1) || fail "keygen on $chip: $out"
	lock; wait_locked
done

# ssh-agent door: the PIN comes from skinkeyd's pinentry when ssh asks for the keys
agent_keys() {  # PIN -> writes $S/<PIN>.pub
	printf 'user=%s\n' "$1" > "$HOME/.test-pins"; : > "$HOME/.test-pins.log"
	ssh-add -L > "$S/$1.pub" || fail "ssh-add -L with PIN $1: $(cat "$S/$1.pub")"
	expect_eq "$(grep -c user "$HOME/.test-pins.log")" 1 "ssh-add -L asked one PIN ($1)"
	expect_eq "$(wc -l < "$S/$1.pub")" 1 "ssh-add -L lists one key ($1)"
}
agent_keys 123456
duress_shows_only "$PRIMARY_CHIP" "ssh-add -L (primary)" "$(cat "$S/123456.pub")"
lock; wait_locked
agent_keys 222222
duress_shows_only "$DECOY_CHIP" "ssh-add -L (decoy)" "$(cat "$S/222222.pub")"
[ "$(cut -d' ' -f2 "$S/123456.pub")" != "$(cut -d' ' -f2 "$S/222222.pub")" ] ||
	fail "primary and decoy list the same key"

sshd_start "$S/123456.pub"
ssh_try() { timeout 60 ssh -F /dev/null -n -o BatchMode=yes -o StrictHostKeyChecking=no \
	-o UserKnownHostsFile=/dev/null -o IdentityAgent="$SSH_AUTH_SOCK" -p "$SSHD_PORT" \
	root@127.0.0.1 echo logged-in 2>&1; }
out=$(ssh_try) && fail "decoy context logged in where only the primary is authorized: $out"
cp "$S/222222.pub" "$SSHD_DIR/authorized_keys"
out=$(ssh_try) || fail "decoy context did not log in with its key: $out"
expect_match "$out" logged-in "ssh as the decoy"

# PKCS#11 and status while the decoy is active
out=$(p11 -L 2>&1); duress_shows_only "$DECOY_CHIP" "pkcs11-tool -L (decoy)" "$out"
out=$(ssh-keygen -D "$SO" 2>&1) || fail "ssh-keygen -D: $out"
expect_eq "$(awk '{print $2}' <<< "$out")" "$(cut -d' ' -f2 "$S/222222.pub")" "PKCS#11 key = decoy's"
duress_shows_only "$DECOY_CHIP" "skinkey status (decoy)" "$(skinkey status 2>&1)"
duress_shows_only "$DECOY_CHIP" "skinkey chips (decoy)" "$(skinkey chips 2>&1)"
# disk, with the decoy unlocked: no file of skinkey's holds the primary's id, AID or key
disk_clean() {  # WHAT NEEDLE...
	local what=$1; shift
	out=$(/usr/bin/python3 "$SK_SRC/tests/integration/duress_disk.py" "$XDG_DATA_HOME/skinkey" \
		"$XDG_CONFIG_HOME/skinkey" "$XDG_CACHE_HOME" "$XDG_RUNTIME_DIR/skinkey" -- "$@") ||
		fail "$what: $out"
}
disk_clean "decoy unlocked" "${PRIMARY_CHIP#fs-}" "$PRIMARY_AID" "$(cut -d' ' -f2 "$S/123456.pub")"

# presence's drop-pins (DROPPINS) ends the context too: the chip shows locked again
skd DROPPINS > /dev/null
wait_locked
grep -q "${DECOY_CHIP#fs-}" <<< "$(skinkey chips 2>&1)" && fail "the decoy outlived DROPPINS"

# C_Login door: the locked token's login picks the context, its objects follow
lock; wait_locked
out=$(p11 --token-label "fs-locked OpenPGP" --login --pin 123456 -O 2>&1) ||
	fail "pkcs11-tool --login on the locked token: $out"
duress_shows_only "$PRIMARY_CHIP" "pkcs11-tool --login -O (primary)" "$(p11 -L 2>&1)"
expect_match "$out" 'Public Key Object' "objects after the login"
out=$(ssh-keygen -D "$SO" 2>&1) || fail "ssh-keygen -D: $out"
expect_eq "$(awk '{print $2}' <<< "$out")" "$(cut -d' ' -f2 "$S/123456.pub")" "PKCS#11 key = primary's"
out=$(ssh_try) && fail "primary context logged in where only the decoy is authorized: $out"
cp "$S/123456.pub" "$SSHD_DIR/authorized_keys"
out=$(ssh_try) || fail "primary context did not log in: $out"
duress_shows_only "$PRIMARY_CHIP" "skinkey status (primary)" "$(skinkey status 2>&1)"
disk_clean "primary unlocked" "${DECOY_CHIP#fs-}" "$DECOY_AID" "$(cut -d' ' -f2 "$S/222222.pub")"

# logs: one unlock + lock of each context, twice over (a context's first unlock probes its
# applets); the sets of lines, times and ids masked, are equal
mask() { sed -E 's/fs-[0-9a-f]{12}/fs-ID/g; s/conn [0-9]+/conn N/g; s/[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?/T/g' | sort -u; }
lock; wait_locked
for round in 1 2; do
	for pin in 123456 222222; do
		n=$(wc -l < "$SKNS_LOG/skinkeyd.log")
		[ -n "$(unlock "$pin")" ] || fail "unlock $pin (logs round $round)"
		lock; wait_locked
		tail -n +"$((n + 1))" "$SKNS_LOG/skinkeyd.log" | mask > "$S/log-$pin.txt"
	done
done
diff -u "$S/log-123456.txt" "$S/log-222222.txt" >&2 || fail "a primary and a decoy unlock log different lines"
[ -s "$S/log-222222.txt" ] || fail "no log lines captured for an unlock"
note "log lines of an unlock + lock: $(wc -l < "$S/log-222222.txt") distinct, equal for both contexts"
# and the log names no context's chip id at all (every line says fs-context)
for c in "$PRIMARY_CHIP" "$DECOY_CHIP"; do
	grep -n "${c#fs-}" "$SKNS_LOG/skinkeyd.log" >&2 && fail "skinkeyd's log names $c"
done
grep -q 'fs-context' "$SKNS_LOG/skinkeyd.log" || fail "no masked chip id in the log: was any unlock logged?"
disk_clean "locked" "${PRIMARY_CHIP#fs-}" "$PRIMARY_AID" "$(cut -d' ' -f2 "$S/123456.pub")" \
	"${DECOY_CHIP#fs-}" "$DECOY_AID" "$(cut -d' ' -f2 "$S/222222.pub")"
echo ok
