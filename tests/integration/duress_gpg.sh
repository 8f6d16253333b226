#!/usr/bin/env bash
# duress_gpg.sh — duress = on, gpg through skinkey-scd: before any PIN the chip shows no
# context (skinkeyd lists it as fs-locked, LEARN finds no card); gpg --card-status asks one PIN
# (skinkeyd's pinentry), the DuressApplet picks the decoy, and gpg sees the decoy's instance only:
# keys generated there, a signature and a git commit that verify against the decoy key. A
# removal forgets the context; the next PIN (the primary's) shows the primary's instance, with
# none of the decoy's keys (before that, gpg's next signature after a removal asks the PIN again
# and signs with the decoy). In the simulator's trace every SELECT_CONTEXT follows the
# DuressApplet's SELECT in the same transaction.
source "$SK_SRC/tests/lib/common.sh"
source "$SK_SRC/tests/integration/agent_lib.inc"
source "$SK_SRC/tests/integration/scd_lib.inc"
source "$SK_SRC/tests/integration/duress_lib.inc"
need gpg gpgconf git script skinkey skinkeyd skinkey-sim sha256sum od
S=$SKNS_SCRATCH
simlog=$S/log/sim-flexsecure.log
[ -f "$simlog" ] || fail "no simulator log at $simlog"

duress_prepare
sim trace on > /dev/null || fail "skinkey-sim ctl trace on"
simlines=$(wc -l < "$simlog")

# locked view: no context's serial anywhere
out=$(skinkey chips 2>&1) || fail "skinkey chips: $out"
for c in "$PRIMARY_CHIP" "$DECOY_CHIP" "$BURN_CHIP"; do
	grep -q "${c#fs-}" <<< "$out" && fail "locked chip listed with a context's serial: $out"
done
out=$(skinkey status 2>&1) || true
expect_match "$out" 'fs-locked' "skinkey status shows the locked chip"
out=$(skd 'LEARN --force' 2>&1)
expect_match "$out" '^ERR' "LEARN before the PIN finds no card"
grep -q 'SERIALNO' <<< "$out" && fail "LEARN before the PIN gave a serial: $out"
[ -f "$XDG_DATA_HOME/skinkey/state.db" ] && for c in "${PRIMARY_AID:20:8}" "${DECOY_AID:20:8}"; do
	sqlite3 "$XDG_DATA_HOME/skinkey/state.db" .dump 2>/dev/null | grep -qi "$c" &&
		fail "state.db names a context before the PIN"
done

# decoy PIN: gpg --card-status asks it (skinkeyd's pinentry: gpg's SERIALNO cannot be asked)
use_skinkey
echo "SK_TEST_PW1=999999" > "$S/pinentry.env"   # gpg's pinentry must not be asked for PW1
printf 'user=222222\n' > "$HOME/.test-pins"; : > "$HOME/.test-pins.log"
card_status "$S/decoy.txt"
duress_shows_only "$DECOY_CHIP" "gpg --card-status (decoy)" "$(cat "$S/decoy.txt")"
expect_match "$(cat "$S/decoy.txt")" "Application ID ...: $DECOY_AID" "decoy instance's AID"
expect_eq "$(grep -c user "$HOME/.test-pins.log")" 1 "one PIN for the unlock"
duress_shows_only "$DECOY_CHIP" "skinkey chips (decoy)" "$(skinkey chips 2>&1)"

card_edit 'admin\ngenerate\nn\n0\nDecoy User\ndecoy@example.org\n\nquit\n' > "$S/cardedit.txt" 2>&1 \
	|| fail "gpg --card-edit generate failed"
grep -q 'KEY_CREATED B' "$S/cardedit.txt" || fail "no KEY_CREATED: $(tail -20 "$S/cardedit.txt")"
expect_match "$(gpg -K 2>&1)" "Card serial no\. = FFFE ${DECOY_AID:20:8}" "keys on the decoy instance"
echo "signed under duress" > "$S/msg"
gpg --batch -u decoy@example.org --sign -o "$S/msg.gpg" "$S/msg" || fail "gpg --sign (decoy)"
gpg --verify "$S/msg.gpg" 2> "$S/verify.txt" || fail "gpg --verify: $(cat "$S/verify.txt")"
expect_match "$(cat "$S/verify.txt")" 'Good signature from "Decoy User' "decoy signature"
fpr=$(gpg -K --with-colons decoy@example.org | awk -F: '/^fpr/ {print $10; exit}')
git init -q "$S/repo"
( cd "$S/repo" && git config user.name "Decoy User" && git config user.email decoy@example.org &&
	git config user.signingkey "$fpr" && echo hi > f && git add f &&
	git commit -q -S -m "signed with the decoy context" ) || fail "git commit -S (decoy)"
( cd "$S/repo" && git verify-commit HEAD ) 2> "$S/vc.txt" || fail "git verify-commit: $(cat "$S/vc.txt")"
expect_match "$(cat "$S/vc.txt")" "Good signature from \"Decoy User" "commit verifies against the decoy key"
expect_match "$(cat "$S/vc.txt")" "${fpr:24}" "commit signed by the decoy key"

expect_eq "$(grep -c user "$HOME/.test-pins.log")" 1 "no PIN asked again while the context lasts"
grep -q 'SETDESC.*unlock the card' "$SKNS_LOG/pinentry.log" 2>/dev/null &&
	fail "gpg's pinentry was asked for PW1: the unlock's PIN was not reused"

# removal: the context is forgotten; gpg's next signature (a key stub naming the decoy's
# serial) has the unlock ask the PIN again, then signs with the decoy key
asked=$(grep -c user "$HOME/.test-pins.log")
sim_out
wait_for 60 bash -c "! skinkey chips 2>/dev/null | grep -q '${DECOY_CHIP}'" ||
	fail "the decoy context outlived the removal: $(skinkey chips 2>&1)"
sim_in
wait_for 60 bash -c "skinkey chips 2>/dev/null | grep -q fs-locked" ||
	fail "not locked again after the removal: $(skinkey chips 2>&1)"
gpg --batch -u decoy@example.org --sign -o "$S/msg2.gpg" "$S/msg" || fail "gpg --sign after a removal"
gpg --verify "$S/msg2.gpg" 2> "$S/verify2.txt" || fail "gpg --verify: $(cat "$S/verify2.txt")"
expect_match "$(cat "$S/verify2.txt")" 'Good signature from "Decoy User' "decoy signature after a removal"
expect_eq "$(grep -c user "$HOME/.test-pins.log")" "$((asked + 1))" "the signature after the removal asked the PIN again"

asked=$(grep -c user "$HOME/.test-pins.log")
sim_out
wait_for 60 bash -c "! skinkey chips 2>/dev/null | grep -q '${DECOY_CHIP}'" ||
	fail "the decoy context outlived the removal: $(skinkey chips 2>&1)"
sim_in
wait_for 60 bash -c "skinkey chips 2>/dev/null | grep -q fs-locked" ||
	fail "not locked again after the removal: $(skinkey chips 2>&1)"
printf 'user=123456\n' > "$HOME/.test-pins"
card_status "$S/primary.txt"
expect_eq "$(grep -c user "$HOME/.test-pins.log")" "$((asked + 1))" "the unlock after the removal asked again"
duress_shows_only "$PRIMARY_CHIP" "gpg --card-status (primary)" "$(cat "$S/primary.txt")"
expect_match "$(cat "$S/primary.txt")" 'Signature key \.\.\.\.: \[none\]' "primary instance has none of the decoy's keys"
duress_shows_only "$PRIMARY_CHIP" "skinkey chips (primary)" "$(skinkey chips 2>&1)"

sim trace off > /dev/null || true
tail -n +"$((simlines + 1))" "$simlog" > "$S/log/duress-trace.txt"
/usr/bin/python3 "$SK_SRC/tests/integration/duress_trace.py" "$S/log/duress-trace.txt" 2 ||
	fail "a DuressApplet PIN went out without its SELECT just before it"
echo ok
