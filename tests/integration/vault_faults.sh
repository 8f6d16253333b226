#!/usr/bin/env bash
# vault_faults.sh — the chip pulled mid-read gives a clear error and loses nothing; skinkeyd
# killed (SIGKILL) during a stream of writes leaves vault.db intact with every acknowledged
# credential readable.
. "$SK_SRC/tests/lib/common.sh"
need skinkey-sim skinkeyd skinkey sqlite3

skv() { skinkey vault "$@"; }
mkdir -p "$XDG_CONFIG_HOME/skinkey"
printf 'tap-timeout = 4s\nvault-originality = sim\n' > "$XDG_CONFIG_HOME/skinkey/skinkey.conf"   # before skinkeyd starts
dfsim() { skinkey-sim ctl --card desfire "$@"; }
if ! dfsim status 2>/dev/null | grep_all '^present=1'; then
	skinkey-sim run --card desfire --state "$XDG_DATA_HOME/desfire.state" \
		>> "$SKNS_LOG/sim-desfire-vault.log" 2>&1 &
	wait_for 60 sh -c 'skinkey-sim ctl --card desfire status | grep -q "^present=1"' ||
		fail "DESFire simulator did not come up"
fi
skv init >/dev/null || fail "init failed"
for i in $(seq 1 20); do printf 'secret%d' "$i" | skv add "s$i" u >/dev/null || fail "add $i"; done

# chip pulled after the SELECT and the first authentication frame
for cut in 1 2 3; do
	dfsim cut-after "$cut" >/dev/null
	err=$(skv get s7 u 2>&1 >/dev/null) && fail "get succeeded with the chip cut after $cut APDUs"
	# the chip leaves during the read (removed) or, when the daemon's own presence check took
	# the last APDU, before it (then the read waits for a tap and times out)
	expect_match "$err" 'chip removed during the operation|timed out' "clear error ($cut)"
	dfsim tap >/dev/null
	wait_for 60 sh -c 'skinkey-sim ctl --card desfire status | grep -q "^present=1"' || fail "re-tap"
	expect_eq "$(skv get s7 u)" secret7 "get after re-tap ($cut)"
done
expect_eq "$(skv list | wc -l)" 20 "nothing lost after pulled reads"
# no chip at all: the read waits tap-timeout, then says so
sim_out desfire
wait_for 60 sh -c "skinkey chips | grep -Eq '^df-[0-9a-f]+.*away'" || fail "the daemon did not see the chip leave"
err=$(skv get s3 u 2>&1 >/dev/null) && fail "get succeeded without a chip"
expect_match "$err" 'timed out' "clear error without a chip"
dfsim tap >/dev/null
wait_for 60 sh -c 'skinkey-sim ctl --card desfire status | grep -q "^present=1"' || fail "re-tap"
expect_eq "$(skv get s3 u)" secret3 "get after the timeout"

# skinkeyd killed during writes (30 ms per APDU keeps each write in the daemon for >100 ms,
# so the kills land inside requests, not only between them)
dfsim latency 30 >/dev/null
: > "$SKNS_SCRATCH/acked"
(
	for i in $(seq 100 250); do
		if out=$(printf 'k%d' "$i" | skv add "kill$i" u 2>/dev/null); then
			echo "$i ${out#ID }" >> "$SKNS_SCRATCH/acked"
		fi
	done
) &
writer=$!
# a live skinkeyd (a SIGKILLed one may linger as a zombie until reaped: not that one)
live_skd() { { ps -o pid=,stat= -C skinkeyd || true; } | awk '$2 !~ /Z/ { print $1; exit }'; }
kills=0
while [ "$kills" -lt 8 ] && kill -0 "$writer" 2>/dev/null; do
	pid=$(live_skd)
	if [ -z "$pid" ]; then sleep 0.05; continue; fi   # the writer's next command starts one
	sleep 0.$((RANDOM % 4 + 2))
	if kill -KILL "$pid" 2>/dev/null; then kills=$((kills + 1)); fi
done
wait "$writer" || true
[ "$kills" -ge 4 ] || fail "skinkeyd was killed only $kills times"
dfsim latency 0 >/dev/null
expect_eq "$(sqlite3 "$XDG_DATA_HOME/skinkey/vault.db" 'PRAGMA integrity_check')" ok "integrity after kill"
acked=$(wc -l < "$SKNS_SCRATCH/acked")
[ "$acked" -gt 0 ] || fail "no write was acknowledged before the kill"
while read -r i _; do
	got=$(skv get "kill$i" u 2> "$SKNS_SCRATCH/err") || fail "get kill$i: $(cat "$SKNS_SCRATCH/err")"
	expect_eq "$got" "k$i" "acknowledged credential kill$i"
done < "$SKNS_SCRATCH/acked"
for i in $(seq 1 20); do expect_eq "$(skv get "s$i" u)" "secret$i" "old credential s$i"; done
expect_eq "$(sqlite3 "$XDG_DATA_HOME/skinkey/vault.db" 'SELECT count(*) FROM credentials WHERE length(blob) < 29')" 0 "no half-written row"
note "vault_faults: ok ($acked of 151 writes acknowledged across $kills kills, all readable)"
