#!/usr/bin/env bash
# p11_stale_pin.sh — an application stays logged in (as a browser does) while the user changes
# PW1 elsewhere and re-taps the chip (skinkeyd's PIN cache empties). The module's stored login
# PIN is now wrong: it may cost the one retry that reveals it, never more — the module must then
# forget it and end the login instead of answering every later NEEDPIN with it.
source "$SK_SRC/pkcs11/itest_lib.sh"
p11_tokens
p11_keys
expect_eq "$(pw1_tries)" 3 "PW1 tries at start"
go=$SKNS_SCRATCH/go
"$SK_BUILD/pkcs11/p11_holdsign" "$SO" 123456 "$go" 3 > "$SKNS_SCRATCH/hold.out" 2>&1 &
hold=$!
wait_for 60 grep -q '^login rv=0x0$' "$SKNS_SCRATCH/hold.out" || fail "long-lived login failed: $(cat "$SKNS_SCRATCH/hold.out")"
p11 --token-label "$PGP" --change-pin --pin 123456 --new-pin 654321 >/dev/null 2>&1 || fail "PIN change failed"
expect_eq "$(pw1_tries)" 3 "PW1 tries after the change"
skinkey-sim ctl remove >/dev/null; skd_wait_present 0
skinkey-sim ctl tap >/dev/null; skd_wait_present 1
touch "$go"
wait "$hold"
cat "$SKNS_SCRATCH/hold.out"
expect_eq "$(grep -c 'sign .* rv=0x0$' "$SKNS_SCRATCH/hold.out")" 0 "signatures with a stale PIN"
left=$(pw1_tries)
[ "$left" -ge 2 ] || fail "a stale stored PIN cost $((3 - left)) retries (at most 1 allowed)"
echo "p11 stale PIN: ok ($((3 - left)) retry used)"
