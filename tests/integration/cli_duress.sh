#!/usr/bin/env bash
# skinkey duress status|setup|rotate through skinkeyd (DURESS) against the simulated
# DuressApplet: status sees the applet; setup with the factory admin key sets the three PINs
# (checked with sk-duress-probe: each PIN opens its context) and a new admin key; the old key is
# then refused and nothing changes; rotate gives every context a new key (CHALLENGE answers
# change) and keeps the PINs; equal PINs are refused before the chip.
source "$SK_SRC/tests/lib/common.sh"
source "$SK_SRC/tests/integration/agent_lib.inc"
need skinkey skinkeyd skinkey-sim openssl
probe=$SK_BUILD/duress/sk-duress-probe
[ -x "$probe" ] || fail "required tool missing: $probe"
val() { printf '%s\n' "$1" | sed -n "s/^$2=//p"; }
mkdir -p "$XDG_CONFIG_HOME/skinkey"
echo "audit = off" > "$XDG_CONFIG_HOME/skinkey/skinkey.conf"   # no guard in this test

zero=$(printf '0%.0s' $(seq 64))
admin=$(openssl rand -hex 32)
out=$(skinkey duress status) || fail "status: $out"
expect_match "$out" 'DuressApplet 1\.0\.0 present' "status"
out=$(skinkey --json duress status) || fail "status --json"
expect_match "$out" '"duress_applet":true' "status JSON"

rc=0; out=$(printf '%s\n' "$zero" 1111aa 1111aa 3333cc | skinkey duress setup 2>&1) || rc=$?
expect_eq "$rc" 1 "equal PINs refused"; expect_match "$out" 'same PIN' "equal PINs message"
out=$($probe unlock 1111aa) && fail "refused setup changed the chip: $out"

printf '%s\n' "$zero" 1111aa 2222bb 3333cc "$admin" | skinkey duress setup --new-admin-key \
	> /dev/null || fail "setup"
n=0
for pin in 1111aa 2222bb 3333cc; do
	out=$($probe unlock "$pin" 0102) || fail "unlock $pin after setup: $out"
	expect_eq "$(val "$out" ctx)" "$n" "PIN $pin opens context $n"
	mac[n]=$(val "$out" mac)
	n=$((n + 1))
done

rc=0; out=$(printf '%s\n' "$zero" 9 8 7 | skinkey duress setup 2>&1) || rc=$?
expect_eq "$rc" 1 "old admin key refused"
expect_eq "$(val "$($probe unlock 2222bb)" ctx)" 1 "refused setup left the decoy PIN"

echo "$admin" | skinkey duress rotate > /dev/null || fail "rotate"
n=0
for pin in 1111aa 2222bb 3333cc; do
	out=$($probe unlock "$pin" 0102) || fail "unlock $pin after rotate: $out"
	expect_eq "$(val "$out" ctx)" "$n" "rotate kept PIN $pin"
	[ "$(val "$out" mac)" != "${mac[n]}" ] || fail "context $n key unchanged by rotate"
	n=$((n + 1))
done
echo ok
