#!/usr/bin/env bash
# common/: the pcsc-lite backend and the APDU engine (common/card.h, common/pcsc.h) against the
# real pcscd + vpcd + skinkey-sim, driven through common/sk-apdu: reader list, ATR, transmit,
# command chaining, GET RESPONSE, extended length, redacted traces, transactions, card reset by
# another program, removal mid-operation, and the watcher seeing remove/tap.
. "$SK_SRC/tests/lib/common.sh"
need skinkey-sim timeout mkfifo
SKA=$SK_BUILD/common/sk-apdu
[ -x "$SKA" ] || fail "sk-apdu not built at $SKA"
R0=$SK_READER0
R1=$SK_READER1
out=$SKNS_SCRATCH

SELECT=00A4040006D2760001240100
VERIFY_PW3=0020008308$(printf 12345678 | od -An -v -tx1 | tr -d ' \n')

# --- pcscd unreachable: SK_ERR_NO_READER with a clear message
if PCSCLITE_CSOCK_NAME=$out/no-pcscd.comm "$SKA" list >/dev/null 2>"$out/nopcscd.err"; then
	fail "listing readers without pcscd succeeded"
fi
expect_match "$(cat "$out/nopcscd.err")" 'is pcscd running\?' "pcscd-down message"

# --- readers and ATR
readers=$("$SKA" list) || fail "sk-apdu list failed"
expect_match "$readers" "^$R0\$" "reader 0 not listed"
expect_match "$readers" "^$R1\$" "reader 1 not listed"
atr=$("$SKA" -r "$R0" atr) || fail "no ATR from reader 0"
expect_match "$atr" '^3B[0-9A-F]{4,}$' "ATR"
if "$SKA" -r "$R1" atr 2>"$out/atr1.err"; then fail "ATR from an empty reader"; fi
expect_match "$(cat "$out/atr1.err")" 'no chip in the field' "empty reader error"

# --- plain transmit; APDU count equals what the card saw
sim reset-stats >/dev/null
res=$("$SKA" -r "$R0" -c send "$SELECT" 00CA006E00 00CA00C400) || fail "send failed: $res"
expect_match "$(sed -n 1p <<<"$res")" '9000$' "SELECT OpenPGP"
expect_match "$(sed -n 2p <<<"$res")" '^6E[0-9A-F]+ 9000$' "GET DATA 6E"
expect_match "$(sed -n 3p <<<"$res")" '^[0-9A-F]{14} 9000$' "GET DATA C4 (PW status)"
n=$(sed -n 's/^apdus=//p' <<<"$res")
expect_eq "$(sim_apdus)" "$n" "APDUs counted by sk_card vs the simulator"

# --- chaining (1000-byte PUT DATA 7F21) and GET RESPONSE (reading it back with short Le)
cert=$(head -c 1000 /dev/zero | tr '\0' 'A' | od -An -v -tx1 | tr -d ' \n' | tr a-f A-F)
sim reset-stats >/dev/null
res=$("$SKA" -r "$R0" -c -v send "$SELECT" "$VERIFY_PW3" "00DA7F210003E8$cert" 2>"$out/trace1") ||
	fail "PUT DATA 7F21 failed: $res"
expect_match "$(sed -n 2p <<<"$res")" '^9000$' "VERIFY PW3"
expect_match "$(sed -n 3p <<<"$res")" '^9000$' "chained PUT DATA"
# 1 SELECT + 1 VERIFY + 4 chain blocks (255+255+255+235)
expect_eq "$(sed -n 's/^apdus=//p' <<<"$res")" 6 "chained PUT DATA APDU count"
expect_eq "$(sim_apdus)" 6 "simulator saw the chain blocks"
expect_eq "$(grep -c '^sk-apdu: > 10 DA 7F 21 FF' "$out/trace1")" 3 "chain blocks with CLA 10 in the trace"
# the PIN never reaches the trace
grep -q 'redacted' "$out/trace1" || fail "no redaction in the trace"
if grep -q '31 32 33 34 35 36 37 38' "$out/trace1"; then fail "PW3 visible in the APDU trace"; fi

sim reset-stats >/dev/null
res=$("$SKA" -r "$R0" -c send "$SELECT" 00CA7F2100) || fail "GET DATA 7F21 failed: $res"
expect_eq "$(sed -n 2p <<<"$res")" "$cert 9000" "certificate read back through GET RESPONSE"
short_n=$(sed -n 's/^apdus=//p' <<<"$res")
[ "$short_n" -ge 5 ] || fail "expected 61xx/GET RESPONSE rounds, got $short_n APDUs"

# extended length: one APDU carries the whole answer
res=$("$SKA" -r "$R0" -e -c send "$SELECT" 00CA7F21000000) || fail "extended GET DATA failed: $res"
expect_eq "$(sed -n 2p <<<"$res")" "$cert 9000" "certificate read with extended Le"
expect_eq "$(sed -n 's/^apdus=//p' <<<"$res")" 2 "extended read takes one APDU"

# --- transactions: while one process holds the card, another waits
mkfifo "$out/tx.in"
"$SKA" -r "$R0" shell <"$out/tx.in" >"$out/tx.out" 2>&1 &
txpid=$!
exec 3>"$out/tx.in"
echo "$SELECT" >&3
wait_for 60 grep -q 9000 "$out/tx.out" || fail "shell did not answer"
if timeout 2 "$SKA" -r "$R0" send "$SELECT" >/dev/null 2>&1; then
	fail "a second program got the card during our transaction"
fi
exec 3>&-
wait "$txpid" || fail "shell failed: $(cat "$out/tx.out")"
"$SKA" -r "$R0" send "$SELECT" >/dev/null || fail "card not usable after the transaction ended"

# --- another program resets the card: SK_ERR_CARD_RESET once, then usable again
mkfifo "$out/rs.in"
"$SKA" -r "$R0" -T shell <"$out/rs.in" >"$out/rs.out" 2>&1 &
rspid=$!
exec 4>"$out/rs.in"
echo "$SELECT" >&4
wait_for 60 grep -q 9000 "$out/rs.out" || fail "shell did not answer"
"$SKA" -r "$R0" reset || fail "could not reset the card"
echo 00CA006E00 >&4
wait_for 60 grep -q 'error: card was reset by another program' "$out/rs.out" ||
	fail "reset not reported: $(cat "$out/rs.out")"
echo "$SELECT" >&4
echo 00CA006E00 >&4
wait_for 60 grep -q '^6E[0-9A-F]* 9000$' "$out/rs.out" || fail "not usable after reset: $(cat "$out/rs.out")"
exec 4>&-
wait "$rspid" && fail "shell should report the reset in its exit status"

# --- the chip leaves the field mid-operation
sim cut-after 1 >/dev/null
res=$("$SKA" -r "$R0" send "$SELECT" 00CA006E00 2>/dev/null) && fail "removal not reported"
expect_match "$(sed -n 2p <<<"$res")" 'error: chip removed during the operation' "removal mid-operation"
sim tap >/dev/null
sim_wait_present flexsecure || fail "chip not back after tap"
wait_for 60 "$SKA" -r "$R0" send "$SELECT" || fail "card not usable after tap"

# --- watcher: initial state, then remove and tap
"$SKA" watch -t 30 -n 5 >"$out/watch.out" 2>&1 &
wpid=$!
wait_for 60 grep -q "^card-inserted $R0\$" "$out/watch.out" || fail "watcher: no initial card-inserted"
grep -q "^reader-added $R0\$" "$out/watch.out" || fail "watcher: reader 0 not reported"
grep -q "^reader-added $R1\$" "$out/watch.out" || fail "watcher: reader 1 not reported"
grep -q "$R1" <(grep card-inserted "$out/watch.out") && fail "watcher: card in empty reader 1"
sim remove >/dev/null
wait_for 60 grep -q "^card-removed $R0\$" "$out/watch.out" || fail "watcher: removal not seen"
sim tap >/dev/null
wait_for 60 sh -c "[ \$(grep -c '^card-inserted $R0\$' '$out/watch.out') = 2 ]" ||
	fail "watcher: tap not seen: $(cat "$out/watch.out")"
wait "$wpid" || fail "watcher did not stop after 5 events: $(cat "$out/watch.out")"
expect_eq "$(wc -l <"$out/watch.out")" 5 "exactly five events"

# one event per sk_pcsc_watch call: state carries over between calls, nothing is lost
res=$("$SKA" watch -1 -t 5 -n 3) || fail "watch -1 failed: $res"
expect_eq "$(sort <<<"$res")" "$(printf 'card-inserted %s\nreader-added %s\nreader-added %s' "$R0" "$R0" "$R1")" \
	"events delivered one call at a time"

# timeout: returns (exit 3) without further events
start=$(date +%s)
"$SKA" watch -t 1 -n 100 >"$out/watch2.out" 2>&1 && fail "watch should time out"
[ $? -eq 3 ] || fail "watch timeout exit status"
[ $(( $(date +%s) - start )) -le 4 ] || fail "watch timeout took too long"
grep -q "^card-inserted $R0\$" "$out/watch2.out" || fail "second watcher: no initial state"

# cancel from another thread: returns SK_ERR_CANCELED (exit 4) long before the timeout
start=$(date +%s)
"$SKA" watch -t 30 -n 100 -k 300 >"$out/watch3.out" 2>&1 && fail "watch should be canceled"
[ $? -eq 4 ] || fail "watch cancel exit status: $(cat "$out/watch3.out")"
[ $(( $(date +%s) - start )) -le 4 ] || fail "cancel took too long"
grep -q 'canceled' "$out/watch3.out" || fail "no cancel message"
echo "common_pcsc: ok"
