#!/usr/bin/env bash
# Fidelity: ykman 4.0.9 drives the simulated YKOATH applet over PC/SC: TOTP (SHA-1, SHA-256,
# 8 digits) and HOTP (RFC 4226 test vectors), listing, long answers (61xx + SEND REMAINING),
# deletion, and the access password (SET CODE / VALIDATE). Expected codes are computed
# independently with Python's hmac module.
. "$SK_SRC/tests/lib/common.sh"
need ykman skinkey-sim /usr/bin/python3

R="$SK_READER0"
yk() { ykman --reader "$R" "$@"; }

# expected TOTP for a base32 secret at time T (default now)
totp() {  # SECRET ALG DIGITS [OFFSET_STEPS]
	/usr/bin/python3 - "$@" <<'PY'
import base64, hashlib, hmac, struct, sys, time
secret, alg, digits = sys.argv[1], sys.argv[2], int(sys.argv[3])
off = int(sys.argv[4]) if len(sys.argv) > 4 else 0
key = base64.b32decode(secret + "=" * (-len(secret) % 8))
h = hmac.new(key, struct.pack(">Q", int(time.time()) // 30 + off), getattr(hashlib, alg.lower())).digest()
o = h[-1] & 15
print(str((struct.unpack(">I", h[o:o + 4])[0] & 0x7FFFFFFF) % 10 ** digits).zfill(digits))
PY
}
# the code ykman prints must equal the expected code of the window before or after the call
check_totp() {  # NAME SECRET ALG DIGITS
	local before after got
	before=$(totp "$2" "$3" "$4")
	got=$(yk oath accounts code -s "$1")
	after=$(totp "$2" "$3" "$4")
	[ "$got" = "$before" ] || [ "$got" = "$after" ] || fail "$1: ykman says $got, expected $before/$after"
}

expect_match "$(yk oath info)" 'OATH version: 3\.4\.0'
S1=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ          # "12345678901234567890" (RFC 4226 / 6238)
S2=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQGEZA   # 32-byte RFC 6238 SHA-256 key
yk oath accounts add -f totp1 "$S1" >/dev/null
yk oath accounts add -f -a SHA256 -d 8 totp256 "$S2" >/dev/null
yk oath accounts add -f -o HOTP hotp1 "$S1" >/dev/null
check_totp totp1 "$S1" SHA1 6
check_totp totp256 "$S2" SHA256 8
# HOTP counts up from 0: RFC 4226 appendix D
expect_eq "$(yk oath accounts code -s hotp1)" 755224 "HOTP counter 0"
expect_eq "$(yk oath accounts code -s hotp1)" 287082 "HOTP counter 1"
expect_eq "$(yk oath accounts code -s hotp1)" 359152 "HOTP counter 2"

# many accounts with long names: LIST and CALCULATE ALL answers need 61xx + SEND REMAINING
for i in $(seq 1 12); do
	yk oath accounts add -f "long-account-name-padding-padding-padding-padding-number-$i" "$S1" >/dev/null
done
sim trace on >/dev/null
list=$(yk oath accounts list)
sim trace off >/dev/null
grep -q '> 00 A5 00 00' "$SKNS_LOG/sim-flexsecure.log" || fail "long LIST answer did not use SEND REMAINING"
expect_eq "$(printf '%s\n' "$list" | wc -l)" 15 "listed accounts"
expect_match "$list" 'number-12'
codes=$(yk oath accounts code)
expect_match "$codes" 'number-7 +[0-9]{6}'

# deletion
yk oath accounts delete -f hotp1 >/dev/null
! yk oath accounts list | grep_all '^hotp1$' || fail "hotp1 still listed after delete"

# access password: without it nothing is listed; with it everything works
yk oath access change -n s3cret >/dev/null
if yk oath accounts list >/dev/null 2>&1; then fail "list without the password succeeded"; fi
expect_match "$(yk oath accounts list -p s3cret)" 'totp256'
check_totp_pw() { local b a g; b=$(totp "$S1" SHA1 6); g=$(yk oath accounts code -p s3cret -s totp1); a=$(totp "$S1" SHA1 6); [ "$g" = "$b" ] || [ "$g" = "$a" ] || fail "totp1 with password: $g"; }
check_totp_pw
if yk oath accounts list -p wrong >/dev/null 2>&1; then fail "wrong password accepted"; fi
yk oath access change -p s3cret -c >/dev/null
expect_match "$(yk oath accounts list)" 'totp1'

# persistence: credentials live in the state file
sim quit >/dev/null
wait_for 60 sh -c '! skinkey-sim ctl status' || fail "simulator did not quit"
skinkey-sim run --card flexsecure --state "$SKNS_SCRATCH/data/flexsecure.state" >> "$SKNS_LOG/sim-restart.log" 2>&1 &
simpid=$!
trap 'kill $simpid 2>/dev/null || true' EXIT
sim_wait_present flexsecure || fail "restarted simulator not present"
wait_for 60 reader_has_card 0 || fail "card not back"
check_totp totp256 "$S2" SHA256 8

yk oath reset -f >/dev/null
expect_eq "$(yk oath accounts list)" "" "accounts after reset"
echo ok
