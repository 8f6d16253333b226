#!/usr/bin/env bash
# otp_hmac.sh — libskotp against the simulated flexsecure-ykhmac applet, cross-checked with an
# independent HMAC (Python's hmac) and with Yubico's ykman: an empty slot is "not found",
# programming through libskotp gives keys ykman computes with and vice versa, challenges of
# every length 1..64 answer HMAC-SHA1 of the challenge (HMAC_LT64: a 64-byte challenge loses
# its trailing run of equal bytes), 65 bytes are refused before the card sees them.
source "$SK_SRC/tests/lib/common.sh"
probe=$SK_BUILD/otp/sk-otp-probe
[ -x "$probe" ] || fail "required tool missing: $probe"
need skinkey-sim ykman /usr/bin/python3

val() { printf '%s\n' "$1" | sed -n "s/^$2=//p"; }
pyhmac() {  # KEYHEX CHALHEX -> hex, with the YubiKey HMAC_LT64 rule for 64-byte challenges
	/usr/bin/python3 -c '
import hmac, hashlib, sys
k = bytes.fromhex(sys.argv[1]); c = bytes.fromhex(sys.argv[2])
if len(c) == 64:
    c = c.rstrip(c[-1:])
print(hmac.new(k, c, hashlib.sha1).hexdigest())' "$1" "$2"
}
randhex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }

st=$($probe status) || fail "status: $st"
expect_eq "$(val "$st" touch)" 0 "fresh card: no slot programmed"
out=$($probe hmac 1 00) && fail "empty slot answered: $out"
expect_eq "$(val "$out" errmsg)" "$(val "$($probe hmac 2 00 || true)" errmsg)" "both empty slots alike"
expect_eq "$(val "$out" err)" -14 "empty slot is SK_ERR_NOT_FOUND"

ser=$($probe serial) || fail "serial: $ser"
expect_match "$(ykman --reader "$SK_READER0" info)" "Serial number: $(val "$ser" serial)"

key=$(randhex 20)
st=$($probe program 1 "$key") || fail "program: $st"
expect_eq "$(val "$st" touch)" 1 "slot 1 programmed"
for n in 1 8 20 32 63 64; do
	c=$(randhex $n)
	expect_eq "$(val "$($probe hmac 1 "$c")" hmac)" "$(pyhmac "$key" "$c")" "HMAC of $n bytes"
done
c=$(randhex 60)aaaaaaaa
expect_eq "$(val "$($probe hmac 1 "$c")" hmac)" "$(pyhmac "$key" "$c")" "64 bytes with a trailing run"
expect_eq "$(val "$($probe hmac 1 "$c")" hmac)" "$(pyhmac "$key" "${c:0:120}")" "HMAC_LT64 strips the run"
sim reset-stats >/dev/null
out=$($probe hmac 1 "$(randhex 65)") && fail "65-byte challenge accepted"
expect_eq "$(val "$out" err)" -3 "65-byte challenge refused as SK_ERR_ARG"
expect_eq "$(sim_apdus)" 1 "65-byte challenge never sent (only the probe's SELECT)"

# ykman computes with the key libskotp programmed
c=$(randhex 32)
expect_eq "$(ykman --reader "$SK_READER0" otp calculate 1 "$c")" "$(pyhmac "$key" "$c")" "ykman on our key"
# and libskotp with a key ykman programmed
key2=$(randhex 20)
ykman --reader "$SK_READER0" otp chalresp --force 2 "$key2" >/dev/null
c=$(randhex 16)
expect_eq "$(val "$($probe hmac 2 "$c")" hmac)" "$(pyhmac "$key2" "$c")" "ours on ykman's key"

$probe delete 1 >/dev/null || fail "delete slot 1"
expect_eq "$(val "$($probe status)" touch)" 2 "slot 1 deleted, slot 2 kept"
expect_eq "$(val "$($probe hmac 1 00 || true)" err)" -14 "deleted slot is not found"
echo ok
