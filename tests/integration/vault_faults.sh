#!/usr/bin/env bash
# vault_faults.sh — the chip pulled mid-read gives a clear error and loses nothing; skinkeyd
# killed (SIGKILL) during a stream of writes leaves vault.db intact with every acknowledged
# credential readable.
. "$SK_SRC/tests/lib/common.sh"
need skinkey-sim skinkeyd skinkey-vault sqlite3

skv() { skinkey-vault "$@"; }
dfsim() { skinkey-sim ctl --card desfire "$@"; }
if ! dfsim status 2>/dev/null | grep -q '^present=1'; then
	skinkey-sim run --card desfire --state "$XDG_DATA_HOME/desfire.state" \
		>> "$SKNS_LOG/sim-desfire-vault.log" 2>&1 &
	wait_for 10 sh -c 'skinkey-sim ctl --card desfire status | grep -q "^present=1"' ||
		fail "DESFire simulator did not come up"
fi
skv init >/dev/null || fail "init failed"
for i in $(seq 1 20); do printf 'secret%d' "$i" | skv add "s$i" u >/dev/null || fail "add $i"; done

# chip pulled after the SELECT and the first authentication frame
for cut in 1 2 3; do
	dfsim cut-after "$cut" >/dev/null
	err=$(skv get s7 u 2>&1 >/dev/null) && fail "get succeeded with the chip cut after $cut APDUs"
	expect_match "$err" 'remov|left|no chip|timed out|[Cc]ard' "clear error when the chip leaves ($cut)"
	dfsim tap >/dev/null
	wait_for 10 sh -c 'skinkey-sim ctl --card desfire status | grep -q "^present=1"' || fail "re-tap"
	expect_eq "$(skv get s7 u)" secret7 "get after re-tap ($cut)"
done
expect_eq "$(skv list | wc -l)" 20 "nothing lost after pulled reads"

# skinkeyd killed during writes
: > "$SKNS_SCRATCH/acked"
(
	for i in $(seq 100 400); do
		if out=$(printf 'k%d' "$i" | skv add "kill$i" u 2>/dev/null); then
			echo "$i ${out#ID }" >> "$SKNS_SCRATCH/acked"
		fi
	done
) &
writer=$!
sleep 2
pid=$(pgrep -x skinkeyd | head -1) || fail "skinkeyd not running"
kill -KILL "$pid"
wait "$writer" || true
expect_eq "$(sqlite3 "$XDG_DATA_HOME/skinkey/vault.db" 'PRAGMA integrity_check')" ok "integrity after kill"
acked=$(wc -l < "$SKNS_SCRATCH/acked")
[ "$acked" -gt 0 ] || fail "no write was acknowledged before the kill"
while read -r i _; do
	expect_eq "$(skv get "kill$i" u)" "k$i" "acknowledged credential kill$i"
done < "$SKNS_SCRATCH/acked"
for i in $(seq 1 20); do expect_eq "$(skv get "s$i" u)" "secret$i" "old credential s$i"; done
note "vault_faults: ok ($acked acknowledged writes survived the kill)"
