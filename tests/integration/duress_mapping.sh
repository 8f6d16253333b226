#!/usr/bin/env bash
# duress_mapping.sh — which OpenPGP instance is a context's comes from the context's own record
# (doc/DURESS.md, "Real-chip mapping"), as the simulator's trace shows: a context's first unlock
# on a fresh install learns it (SELECT of the partial OpenPGP AID, the simulator's convention),
# the next ones SELECT the recorded full AID and never the partial one. `skinkey duress rotate`
# gives every context a new key: without --instances the records start over (learned again),
# with --instances the given AIDs are written into each context's new record (no learning);
# the context unlocked during a rotate keeps its record (its label) under its new key.
source "$SK_SRC/tests/lib/common.sh"
source "$SK_SRC/tests/integration/agent_lib.inc"
source "$SK_SRC/tests/integration/duress_lib.inc"
need skinkey skinkeyd skinkey-sim
S=$SKNS_SCRATCH
simlog=$S/log/sim-flexsecure.log
[ -f "$simlog" ] || fail "no simulator log at $simlog"
PARTIAL="00 A4 04 00 06 D2 76 00 01 24 01"
spaced() { sed 's/../& /g; s/ $//' <<< "$1"; }
# unlock_traced PIN CHIP NAME: unlock, lock; the simulator's trace of it in $S/NAME.trace
unlock_traced() {
	local n
	n=$(wc -l < "$simlog")
	[ "$(unlock "$1")" = "$2" ] || fail "$3: unlock $1"
	lock; wait_locked
	tail -n +"$((n + 1))" "$simlog" > "$S/$3.trace"
	grep -q "^skinkey-sim: >" "$S/$3.trace" || fail "$3: no APDU in the trace"
}
learned() { grep -q "^skinkey-sim: > $PARTIAL" "$S/$1.trace"; }
by_record() {  # NAME AID
	! learned "$1" && grep -q "^skinkey-sim: > 00 A4 04 00 10 $(spaced "$2")" "$S/$1.trace"
}
zero=$(printf '0%.0s' $(seq 64))

duress_prepare
sim trace on > /dev/null || fail "skinkey-sim ctl trace on"

unlock_traced 222222 "$DECOY_CHIP" first
learned first || fail "a first unlock did not learn the instance (no partial SELECT)"
unlock_traced 222222 "$DECOY_CHIP" second
by_record second "$DECOY_AID" || fail "the second unlock did not SELECT the recorded instance"

# a label on the primary, which stays unlocked through both rotates
[ "$(unlock 123456)" = "$PRIMARY_CHIP" ] || fail "primary unlock"
skinkey label "$PRIMARY_CHIP" "Primary-Kept-r9" > /dev/null || fail "skinkey label"
printf '%s\n' "$zero" | skinkey duress rotate > /dev/null || fail "skinkey duress rotate"
expect_match "$(skd CHIPS 2>&1)" "Primary-Kept-r9" "label right after the rotate"
lock; wait_locked
unlock_traced 222222 "$DECOY_CHIP" after-rotate
learned after-rotate || fail "after a rotate without --instances the decoy's record still named it"

[ "$(unlock 123456)" = "$PRIMARY_CHIP" ] || fail "primary unlock (2)"
printf '%s\n' "$zero" "$PRIMARY_AID" "$DECOY_AID" "$BURN_AID" |
	skinkey duress rotate --instances > /dev/null || fail "skinkey duress rotate --instances"
lock; wait_locked
unlock_traced 222222 "$DECOY_CHIP" instances
by_record instances "$DECOY_AID" || fail "after rotate --instances the decoy's AID was not used"
unlock_traced 333333 "$BURN_CHIP" burn
by_record burn "$BURN_AID" || fail "after rotate --instances the burn context's AID was not used"
n=$(wc -l < "$simlog")
[ "$(unlock 123456)" = "$PRIMARY_CHIP" ] || fail "primary unlock (3)"
expect_match "$(skd CHIPS 2>&1)" "Primary-Kept-r9" "the primary's label after two rotates"
tail -n +"$((n + 1))" "$simlog" > "$S/primary.trace"
by_record primary "$PRIMARY_AID" || fail "the primary's AID was not used"
lock; wait_locked
# a malformed AID is refused before anything reaches the chip
out=$(printf '%s\n' "$zero" "$PRIMARY_AID" "00112233445566778899AABBCCDDEEFF" "$BURN_AID" |
	skinkey duress rotate --instances 2>&1) && fail "rotate took a non-OpenPGP AID: $out"
sim trace off > /dev/null || true
echo ok
