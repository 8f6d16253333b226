#!/usr/bin/env bash
# A FIDO2 applet that answers with 9100 keep-alives (skinkey-sim ctl keepalive N): skinkeyd polls
# with NFCCTAP_GETRESPONSE until the answer, tells the client (S PROGRESS ctap 1), and stock
# libfido2 makes and verifies a credential and an assertion, with and without PIN; a wrong PIN
# still spends exactly one retry. Per-applet stats count the polls.
source "$SK_SRC/tests/lib/common.sh"
source "$SK_SRC/tests/integration/agent_lib.inc"
need skinkeyd skinkey-sim
FR=$SK_BUILD/fido/client/fido_check_relay
mkdir -p "$XDG_CONFIG_HOME/skinkey"
printf 'tap-timeout = 20s\n' > "$XDG_CONFIG_HOME/skinkey/skinkey.conf"

sim keepalive 3 > /dev/null
expect_match "$(sim status)" '^keepalive=3$' "keep-alive mode on"
out=$("$FR" info) || fail "info: $out"
expect_match "$out" '^version FIDO_2_0' "getInfo behind keep-alives"

sim reset-stats > /dev/null
out=$("$FR" cred 2>&1) || fail "credential behind keep-alives: $out"
expect_match "$out" '^ok$' "credential + assertion verified"
expect_match "$out" '^# PROGRESS ctap 1' "the client is told the chip is processing"
st=$(sim stats)
# makeCredential and getAssertion: NFCCTAP_MSG + 2 NFCCTAP_GETRESPONSE answered 9100 + 1 with the answer
expect_match "$st" '^apdus_fido=8$' "3 keep-alives and the answer per message"
expect_match "$st" '^apdus=8$' "no other APDU"

out=$("$FR" setpin 4321 2>&1) || fail "setPIN: $out"
out=$("$FR" cred 4321 2>&1) || fail "credential with PIN behind keep-alives: $out"
expect_match "$out" '^ok$' "with PIN"
out=$("$FR" cred 1111 2>&1) && fail "a wrong PIN worked: $out"
expect_match "$out" 'FIDO_ERR_PIN_INVALID' "wrong PIN"
expect_eq "$("$FR" retries 2>/dev/null)" 7 "a wrong PIN spends exactly one retry"

# a client cancelling while the chip answers keep-alives: skinkeyd stops polling at once
sim keepalive 100 > /dev/null
sim reset-stats > /dev/null
out=$("$FR" cancel-at-keepalive 2>&1) || fail "cancel during keep-alives: $out"
expect_match "$out" 'prompted 1 result .*[Cc]ancel' "cancelled"
n=$(sim stats | sed -n 's/^apdus_fido=//p')
[ "${n:-0}" -lt 10 ] || fail "skinkeyd polled $n times after the cancel (the chip would answer 100 keep-alives)"
note "cancel during keep-alives: $n FIDO APDUs"

sim keepalive 0 > /dev/null
sim reset-stats > /dev/null
out=$("$FR" cred 4321 2>&1) || fail "credential after keep-alive mode: $out"
expect_match "$(sim stats)" '^apdus_fido=6$' "no polls without keep-alives (ka, token, MC, ka, token, GA)"
echo "fido_keepalive: ok"
