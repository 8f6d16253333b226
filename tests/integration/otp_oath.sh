#!/usr/bin/env bash
# otp_oath.sh — the libskotp YKOATH client against the simulated OATH applet, with RFC 4226 /
# RFC 6238 vectors (fixed counters and time steps, so no clock race) and ykman 4.0.9 as the
# independent client: credentials put by skinkey are listed by ykman and vice versa; HOTP
# counts on the card; long LIST / CALCULATE ALL answers continue with SEND REMAINING; an access
# password set by ykman is required and proven by VALIDATE.
source "$SK_SRC/tests/lib/common.sh"
probe=$SK_BUILD/otp/sk-otp-probe
[ -x "$probe" ] || fail "required tool missing: $probe"
need skinkey-sim ykman
yk() { ykman --reader "$SK_READER0" "$@"; }
p() { local out; out=$($probe "$@") || fail "$*: $out"; printf '%s\n' "$out"; }

K20=3132333435363738393031323334353637383930                       # "12345678901234567890"
K32=3132333435363738393031323334353637383930313233343536373839303132 # 32-byte RFC 6238 key

p oath-put totp-sha1 totp 1 8 $K20 >/dev/null
p oath-put totp-sha256 totp 2 8 $K32 >/dev/null
p oath-put hotp-sha1 hotp 1 6 $K20 >/dev/null
# RFC 6238 appendix B: T = 59 s (step 1) and T = 1111111109 s (step 37037036)
expect_eq "$(p oath-calc totp-sha1 totp 1)" "code=94287082" "TOTP SHA-1 T=59"
expect_eq "$(p oath-calc totp-sha1 totp 37037036)" "code=07081804" "TOTP SHA-1 T=1111111109"
expect_eq "$(p oath-calc totp-sha256 totp 1)" "code=46119246" "TOTP SHA-256 T=59"
# RFC 4226 appendix D: the card counts
expect_eq "$(p oath-calc hotp-sha1 hotp 0)" "code=755224" "HOTP counter 0"
expect_eq "$(p oath-calc hotp-sha1 hotp 0)" "code=287082" "HOTP counter 1"

all=$(p oath-calc-all 1)
expect_match "$all" 'cred=totp-sha1 type=totp algo=0 code=94287082' "CALCULATE ALL, truncated"
expect_match "$all" 'cred=hotp-sha1 type=hotp' "HOTP listed without a code"
expect_match "$(printf '%s\n' "$all" | grep hotp-sha1)" '^[^=]*=hotp-sha1 type=hotp algo=0$' "no HOTP code computed"

list=$(p oath-list)
expect_match "$list" 'cred=totp-sha256 type=totp algo=2' "LIST carries type and algorithm"
# ykman sees what skinkey put, and skinkey computes what ykman put
expect_match "$(yk oath accounts list)" 'totp-sha256' "ykman lists skinkey's credential"
yk oath accounts add -f -o HOTP yk-hotp GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ >/dev/null
expect_eq "$(p oath-calc yk-hotp hotp 0)" "code=755224" "skinkey computes ykman's HOTP credential"

# many long names: answers beyond one APDU continue with SEND REMAINING (A5), not GET RESPONSE
for i in $(seq 1 12); do
	p oath-put "long-account-name-padding-padding-padding-padding-number-$i" totp 1 6 $K20 >/dev/null
done
sim trace on >/dev/null
n=$(p oath-list | grep -c '^cred=')
sim trace off >/dev/null
expect_eq "$n" 16 "all credentials listed"
grep -q '> 00 A5 00 00' "$SKNS_LOG/sim-flexsecure.log" || fail "long LIST did not use SEND REMAINING"
expect_eq "$(p oath-calc-all 1 | grep -c 'code=')" 14 "CALCULATE ALL over SEND REMAINING (14 TOTP, 2 HOTP)"

p oath-delete long-account-name-padding-padding-padding-padding-number-3 >/dev/null
expect_eq "$(p oath-list | grep -c '^cred=')" 15 "one deleted"
out=$($probe oath-delete no-such-account) && fail "deleting a missing credential succeeded"

# access password (set by ykman): required, proven by VALIDATE; a wrong one is refused
yk oath access change -n s3cret >/dev/null
out=$($probe oath-list) && fail "list without the password succeeded: $out"
expect_eq "$(SK_OATH_PASSWORD=s3cret p oath-calc totp-sha1 totp 1)" "code=94287082" "with the password"
out=$(SK_OATH_PASSWORD=wrong $probe oath-list) && fail "wrong password accepted: $out"
echo ok
