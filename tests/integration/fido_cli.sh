#!/usr/bin/env bash
# `skinkey fido` on the simulated chip through skinkeyd: info, pin set / change (a wrong current
# PIN spends exactly one retry), credentials list / delete of a resident ssh key made by
# ssh-keygen with skinkey-sk.so, info --slots, reset refused unless the chip's label is typed back.
source "$SK_SRC/tests/lib/common.sh"
source "$SK_SRC/tests/integration/agent_lib.inc"
need skinkey skinkeyd skinkey-sim ssh-keygen
SKP=$SK_BUILD/fido/client/skinkey-sk.so
S=$SKNS_SCRATCH
mkdir -p "$XDG_CONFIG_HOME/skinkey"
printf 'tap-timeout = 20s\n' > "$XDG_CONFIG_HOME/skinkey/skinkey.conf"

out=$(skinkey fido info) || fail "fido info: $out"
expect_match "$out" '^versions: FIDO_2_0' "versions"
expect_match "$out" '^options: .*rk=true' "options"
expect_match "$out" '^pin: not set' "no PIN on a fresh chip"
chip=$(sed -n 's/^chip: //p' <<< "$out")

out=$(echo 1234 | skinkey fido pin set) || fail "pin set: $out"
out=$(echo 9999 | skinkey fido pin set 2>&1) && fail "pin set over a PIN: $out"
out=$(skinkey fido info)
expect_match "$out" '^pin: set' "PIN set"
expect_match "$out" '^pin retries: 8' "retries"
out=$(printf '1234\n5678\n' | skinkey fido pin change) || fail "pin change: $out"
out=$(printf '0000\n1111\n' | skinkey fido pin change 2>&1) && fail "pin change with a wrong PIN: $out"
expect_match "$out" 'wrong PIN \(one retry spent\)' "wrong current PIN reported"
expect_match "$(skinkey fido info)" '^pin retries: 7' "a wrong PIN spends exactly one retry"

printf '#!/bin/sh\necho 5678\n' > "$S/askpass"; chmod +x "$S/askpass"
SSH_ASKPASS=$S/askpass SSH_ASKPASS_REQUIRE=force DISPLAY=:0 ssh-keygen -q -t ecdsa-sk -w "$SKP" \
	-O resident -O application=ssh:cli -N '' -f "$S/id_rk" < /dev/null 2> "$S/kg.err" ||
	fail "resident key: $(cat "$S/kg.err")"
out=$(echo 5678 | skinkey fido credentials list) || fail "credentials list: $out"
expect_match "$out" '^ssh:cli	openssh	' "the ssh key is listed"
expect_match "$out" 'credProtect=3' "with credProtect 3"
expect_match "$(skinkey fido info)" '^pin retries: 8' "the right PIN restored the retries"
expect_match "$(echo 5678 | skinkey fido info --slots)" '^resident credentials: 1' "metadata"
id=$(sed -n 's/.*\tid=//p' <<< "$out")
out=$(echo 5678 | skinkey fido credentials delete "$id") || fail "credentials delete: $out"
expect_eq "$(echo 5678 | skinkey fido credentials list)" "" "no credential left"

skinkey label "$chip" "left arm" > /dev/null
out=$(echo "right arm" | skinkey fido reset 2>&1) && fail "reset with the wrong label: $out"
expect_match "$out" 'does not match: nothing erased' "wrong label refused"
expect_match "$(skinkey fido info)" '^pin: set' "nothing erased"
out=$(echo "left arm" | skinkey fido reset 2>&1) || fail "reset: $out"
expect_match "$(skinkey fido info)" '^pin: not set' "reset wiped the PIN"
echo "fido_cli: ok"
