#!/usr/bin/env bash
# duress_burn.sh — the burn context end to end: the burn PIN typed at a real door (skinkey
# duress unlock) makes skinkeyd publish the context, and skinkey-guard runs burn-actions (here
# exec) for it — once per entry, never for the primary or the decoy.
source "$SK_SRC/tests/lib/common.sh"
source "$SK_SRC/tests/integration/agent_lib.inc"
source "$SK_SRC/tests/integration/duress_lib.inc"
need skinkey skinkeyd skinkey-sim sha256sum od
S=$SKNS_SCRATCH/burn; mkdir -p "$S"
printf '#!/bin/sh\nexec %s "$@" --log-file %s -v\n' "$SK_BUILD/guard/skinkey-guard" "$SKNS_LOG/guard.log" > "$S/guard"
chmod +x "$S/guard"; export SKINKEY_GUARD_PROGRAM=$S/guard
DURESS_AUDIT=required DURESS_CONF_EXTRA="burn-actions = exec echo \"\$SKINKEY_REASON\" >> $S/burned"
duress_prepare
wait_for 60 pgrep -x skinkey-guard > /dev/null || fail "no guard"
count() { [ -f "$S/burned" ] && grep -c burn-context "$S/burned" || echo 0; }
for pin in 123456 222222; do
	[ -n "$(unlock "$pin")" ] || fail "unlock $pin"
	skinkey duress lock > /dev/null || fail "lock"
done
chip=$(unlock 333333)
[ "$chip" = "$BURN_CHIP" ] || fail "the burn PIN unlocked '$chip', not the burn instance $BURN_CHIP"
wait_for 60 test -s "$S/burned" || fail "burn-actions did not run after the burn PIN"
skinkey duress lock > /dev/null || fail "lock"
[ -n "$(unlock 222222)" ] || fail "unlock decoy after burn"
skinkey duress lock > /dev/null
[ -n "$(unlock 333333)" ] || fail "burn again"
wait_for 60 bash -c "[ \"\$(grep -c burn-context '$S/burned')\" = 2 ]" ||
	fail "burn-actions: $(count) runs after two burn entries (and a primary and two decoy ones)"
skinkey duress lock > /dev/null
expect_eq "$(count)" 2 "burn-actions ran once per burn entry, never for another context"
echo ok
