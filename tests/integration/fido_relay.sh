#!/usr/bin/env bash
# skinkeyd's CTAP command driven by stock libfido2 through libskfido's transport: getInfo,
# makeCredential with verified self attestation and a verified assertion; a PIN set and used
# (getKeyAgreement + getPinToken + the command, never a SELECT in between); a wrong PIN spends
# exactly one retry; a PIN message after another program selected another applet is not sent;
# the tap wait (S PROGRESS tap) and a client hanging up during it.
source "$SK_SRC/tests/lib/common.sh"
source "$SK_SRC/tests/integration/agent_lib.inc"
need skinkeyd skinkey-sim gpg-connect-agent /usr/bin/python3
FR=$SK_BUILD/fido/client/fido_check_relay
S=$SKNS_SCRATCH
mkdir -p "$XDG_CONFIG_HOME/skinkey"
printf 'tap-timeout = 10s\n' > "$XDG_CONFIG_HOME/skinkey/skinkey.conf"

out=$("$FR" info) || fail "info: $out"
expect_match "$out" '^version FIDO_2_0' "getInfo through the relay"
expect_match "$out" '^option clientPin false' "no PIN yet"

sim reset-stats > /dev/null
out=$("$FR" cred 2>&1) || fail "credential without PIN: $out"
expect_eq "$out" ok "credential + assertion verified"
# open (SELECT + getInfo answered from skinkeyd's cache), makeCredential, getAssertion
n=$(sim_apdus)
[ "$n" -le 3 ] || fail "credential + assertion took $n APDUs"
note "credential + assertion without PIN: $n APDUs"

out=$("$FR" setpin 4321 2>&1) || fail "setpin: $out"
expect_eq "$("$FR" retries)" 8 "retries after setPIN"
out=$("$FR" info)
expect_match "$out" '^option clientPin true' "getInfo refreshed after setPIN"

sim reset-stats > /dev/null
out=$("$FR" cred 4321 2>&1) || fail "credential with PIN: $out"
expect_eq "$out" ok "credential + assertion with the PIN verified"
note "credential + assertion with PIN: $(sim_apdus) APDUs"
expect_eq "$("$FR" retries)" 8 "a right PIN spends nothing"

out=$("$FR" cred 9999 2>&1) && fail "a wrong PIN worked: $out"
expect_match "$out" 'FIDO_ERR_PIN_INVALID' "wrong PIN reported as such"
expect_eq "$("$FR" retries)" 7 "a wrong PIN spends exactly one retry"

# Another program selects the OpenPGP applet between getKeyAgreement and getPinToken: the relay
# must not send the PIN message to a re-selected applet (it would be a wrong PIN).
out=$("$FR" keyagree-then "/usr/bin/python3 $SK_SRC/tests/lib/apdu.py 00A4040006D27600012401 >/dev/null")
expect_match "$out" '^status 00 ' "getKeyAgreement answered"
expect_match "$(echo "$out" | sed -n 2p)" '^error ' "PIN message after a foreign SELECT refused"
expect_eq "$("$FR" retries)" 7 "no retry spent by the foreign SELECT"

# The same through skinkeyd itself: another client selects the OpenPGP applet (RANDOM: SELECT +
# GET CHALLENGE) between getKeyAgreement and getPinToken; the relay refuses the PIN message.
out=$("$FR" keyagree-then "gpg-connect-agent -S '$XDG_RUNTIME_DIR/skinkey/S.skinkeyd' 'SERIALNO' 'RANDOM 8' /bye >/dev/null")
expect_match "$(echo "$out" | sed -n 2p)" '^error card was reset' "PIN message after skinkeyd selected OpenPGP refused"
expect_eq "$("$FR" retries)" 7 "no retry spent by skinkeyd's own SELECT"

# The tap wait: the chip away, the client is told to tap, the exchange completes after the tap.
sim remove > /dev/null
chip_away() { skd CHIPS | grep -Eq '^S CHIP fs-[0-9a-f]+ 0 '; }
wait_for 10 chip_away || fail "skinkeyd did not see the chip leave"
"$FR" cred 4321 > "$S/cred.out" 2>&1 &
client=$!
wait_for 10 grep -q '^# PROGRESS tap' "$S/cred.out" || fail "no tap prompt: $(cat "$S/cred.out")"
kill -0 "$client" 2>/dev/null || fail "the client did not wait for the tap"
sim tap > /dev/null
wait "$client" || fail "credential after the tap: $(cat "$S/cred.out")"
expect_match "$(cat "$S/cred.out")" '^ok$' "credential + assertion after the tap"
expect_eq "$("$FR" retries)" 8 "the right PIN restored the retries"

# A client cancels while skinkeyd waits for the tap: the wait ends at once, and the message never
# reaches the chip when it is tapped later.
sim remove > /dev/null
wait_for 10 chip_away || fail "skinkeyd did not see the chip leave"
out=$("$FR" cancel-at-prompt 2>&1) || fail "cancel at the tap prompt: $out"
expect_match "$out" 'prompted 1 result .*[Cc]ancel' "cancelled"
sim reset-stats > /dev/null
sim tap > /dev/null
chip_back() { skd CHIPS | grep -Eq '^S CHIP fs-[0-9a-f]+ 1 '; }
wait_for 10 chip_back || fail "skinkeyd did not see the chip again"
! sim stats | grep -q '^apdus_fido=' || fail "the cancelled message reached the chip: $(sim stats)"
echo "fido_relay: ok"
