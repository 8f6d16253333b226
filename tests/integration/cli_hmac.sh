#!/usr/bin/env bash
# skinkey hmac program|calculate through skinkeyd against the simulated flexsecure-ykhmac applet.
# An empty slot says so; a programmed slot answers HMAC-SHA1 with its key (checked with Python's
# hmac and with ykman, an independent PC/SC client); programming a programmed slot is refused
# unless --force and the slot number are both given, and a refusal leaves the slot's key (its
# answer is unchanged), also when ykman programmed the slot behind skinkeyd's back.
source "$SK_SRC/tests/lib/common.sh"
source "$SK_SRC/tests/integration/agent_lib.inc"
need skinkey skinkeyd skinkey-sim ykman openssl /usr/bin/python3
yk() { ykman --reader "$SK_READER0" "$@"; }
pyhmac() { /usr/bin/python3 -c 'import hmac,hashlib,sys; print(hmac.new(bytes.fromhex(sys.argv[1]), bytes.fromhex(sys.argv[2]), hashlib.sha1).hexdigest())' "$1" "$2"; }

skinkey status >/dev/null || fail "status"
K1=$(openssl rand -hex 20); K2=$(openssl rand -hex 20); K3=$(openssl rand -hex 20)
C=$(openssl rand -hex 32); C64=$(openssl rand -hex 63)00

rc=0; out=$(skinkey hmac calculate 2 "$C" 2>&1) || rc=$?
expect_eq "$rc" 1 "empty slot"; expect_match "$out" 'slot 2 is not programmed' "empty slot message"

echo "$K1" | skinkey hmac program 2 >/dev/null || fail "program slot 2"
expect_eq "$(skinkey hmac calculate 2 "$C")" "$(pyhmac "$K1" "$C")" "HMAC of slot 2"
expect_eq "$(skinkey hmac calculate "$C")" "$(pyhmac "$K1" "$C")" "slot 2 is the default"
expect_eq "$(yk otp calculate 2 "$C")" "$(pyhmac "$K1" "$C")" "ykman agrees"
/usr/bin/python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["slot"]==2 and len(d["hmac"])==40, d' \
	"$(skinkey --json hmac calculate 2 "$C")" || fail "JSON"

# a programmed slot is not overwritten: without --force, and with --force but no slot number
rc=0; out=$(echo "$K2" | skinkey hmac program 2 2>&1) || rc=$?
expect_eq "$rc" 1 "overwrite without --force"; expect_match "$out" 'already programmed.*--force 2' "message"
rc=0; out=$(echo "$K2" | skinkey hmac program 2>&1) || rc=$?
expect_eq "$rc" 1 "overwrite with the default slot"
rc=0; out=$(echo "$K2" | skinkey hmac program --force 2>&1) || rc=$?
expect_eq "$rc" 2 "--force without a slot number"; expect_match "$out" 'needs the slot number' "message"
expect_eq "$(skinkey hmac calculate 2 "$C")" "$(pyhmac "$K1" "$C")" "refusals left slot 2's key"
# --force with the slot number replaces it
echo "$K2" | skinkey hmac program --force 2 >/dev/null || fail "program --force 2"
expect_eq "$(skinkey hmac calculate 2 "$C")" "$(pyhmac "$K2" "$C")" "forced: the new key answers"

# slot 1, generated key: printed once, and it is the key the chip uses (64-byte challenge too)
out=$(skinkey hmac program --generate 1) || fail "program --generate 1"
kg=$(sed -n 's/^key \([0-9a-f]\{40\}\)$/\1/p' <<< "$out")
[ -n "$kg" ] || fail "no generated key printed: $out"
expect_eq "$(skinkey hmac calculate 1 "$C")" "$(pyhmac "$kg" "$C")" "generated key"
expect_eq "$(skinkey hmac calculate 2 "$C")" "$(pyhmac "$K2" "$C")" "slot 2 untouched by slot 1"

# programmed behind skinkeyd's back (its cache says nothing): the chip's own answer decides
yk otp delete --force 1 >/dev/null || fail "ykman delete"
yk otp chalresp --force 1 "$K3" >/dev/null || fail "ykman program"
rc=0; echo "$K1" | skinkey hmac program 1 2>/dev/null || rc=$?
expect_eq "$rc" 1 "slot ykman programmed is not overwritten"
expect_eq "$(skinkey hmac calculate 1 "$C")" "$(pyhmac "$K3" "$C")" "ykman's key is still there"

# bad input: clear errors, nothing written
rc=0; echo nothex | skinkey hmac program 1 2>/dev/null || rc=$?; expect_eq "$rc" 1 "bad key"
rc=0; skinkey hmac program 3 </dev/null 2>/dev/null || rc=$?; expect_eq "$rc" 2 "slot 3"
rc=0; skinkey hmac calculate 1 "${C64}00" 2>/dev/null || rc=$?; expect_eq "$rc" 2 "65-byte challenge"
echo ok
