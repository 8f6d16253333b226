#!/usr/bin/env bash
# presence_bench.sh — continuous presence's figures (issue 12), a benchmark, not a test:
# - idle wake-ups per minute of skinkeyd and skinkey-guard with presence-interval set and no
#   session unlocked (context switches of all threads over 60 s);
# - APDUs and time on the chip per liveness check (`skinkey presence test`, and the simulator's
#   APDU count over the checks of 10 quiet seconds), for INTERNAL AUTHENTICATE and, after
#   `skinkey presence enroll` (its APDUs and EEPROM writes), for the enrolled HMAC proof;
# - lock latency (stub logind's Session.Lock time) after the chip leaves and after a failed check
#   (a clone swapped in without the reader seeing a removal: a wrong proof has no grace: at most one interval), p50/p99
#   over RUNS each. interval 1 s, grace 2 s.
#   tests/lib/skns.sh build bench/presence_bench.sh [RUNS]
set -euo pipefail
. "$SK_SRC/tests/lib/common.sh"
. "$SK_SRC/tests/integration/agent_lib.inc"
. "$SK_SRC/tests/lib/gpgcard.sh"
. "$SK_SRC/tests/lib/sshd.sh"
. "$SK_SRC/tests/lib/sysbus.sh"
. "$SK_SRC/tests/lib/presence.sh"
runs=${1:-20}
presence_setup "lock-session drop-pins" "idle-exit = 0"
last_lock() { sed -n 's/^LOCK //p' "$LOGIN1_LOG" | tail -1; }
switches() {
	local n=0 t v
	for t in /proc/"$1"/task/*/status; do
		for v in $(awk '/^(voluntary|nonvoluntary)_ctxt_switches:/ {print $2}' "$t" 2>/dev/null); do n=$((n + v)); done
	done
	echo "$n"
}
pct() {  # P: percentile of the numbers on stdin (nearest rank)
	sort -n | awk -v p="$1" '{a[NR]=$1} END {k=int((p*NR+99)/100); if (k<1) k=1; printf "%.3f", a[k]}'
}

pid=$(skd 'GETINFO pid' | sed -n 's/^D //p'); gpid=$(pgrep -x skinkey-guard)

# idle, presence configured, no session
sleep 3
a=$(switches "$pid"); ga=$(switches "$gpid"); sleep 60; b=$(switches "$pid"); gb=$(switches "$gpid")
echo "idle wake-ups per minute, presence-interval 1s, no session: skinkeyd $((b - a)), skinkey-guard $((gb - ga))"

unlock() {
	ssh_login_check "$SSH_AUTH_SOCK" || fail "ssh login"
	wait_for 60 pstate_is present || fail "no session"
}
unlock
# per check
for _ in $(seq 20); do skinkey presence test; done | sed -n 's/.*itself: \([0-9]*\) APDU, \([0-9.]*\) ms.*/\1 \2/p' > "$SKNS_SCRATCH/checks"
echo "per check (skinkey presence test x20): APDUs $(awk '{s+=$1} END {printf "%.1f", s/NR}' "$SKNS_SCRATCH/checks"), ms on the chip p50 $(awk '{print $2}' "$SKNS_SCRATCH/checks" | pct 50) p99 $(awk '{print $2}' "$SKNS_SCRATCH/checks" | pct 99)"
sim reset-stats > /dev/null; sleep 10
echo "quiet session, 10 s at 1 s interval (INTERNAL AUTHENTICATE): $(sim stats | sed -n 's/^apdus=//p') APDUs, $(sim stats | sed -n 's/^state_writes=//p') EEPROM writes"
# the PIN-free proof: enrolled, and the OpenPGP selection taken by another program
sim reset-stats > /dev/null
skinkey presence enroll > /dev/null || fail "skinkey presence enroll"
echo "enrolment (skinkey presence enroll): $(sim stats | sed -n 's/^apdus=//p') APDUs, $(sim stats | sed -n 's/^state_writes=//p') EEPROM write ($(sim stats | grep '^writes_' | tr '\n' ' '))"
apdu 00A4040007A0000005272101 > /dev/null || fail "SELECT OATH"
for _ in $(seq 20); do skinkey presence test; done > "$SKNS_SCRATCH/hchecks"
sed -n 's/.*itself: \([0-9]*\) APDU, \([0-9.]*\) ms.*HMAC.*/\1 \2/p' "$SKNS_SCRATCH/hchecks" > "$SKNS_SCRATCH/hmac"
echo "per check, enrolled HMAC proof (skinkey presence test x20 after the enrolment and another program's SELECT of OATH): $(wc -l < "$SKNS_SCRATCH/hmac") HMAC proofs, APDUs $(awk '{s+=$1} END {printf "%.2f", s/NR}' "$SKNS_SCRATCH/hmac") (3 when INTERNAL AUTHENTICATE was tried and refused first), ms on the chip p50 $(awk '{print $2}' "$SKNS_SCRATCH/hmac" | pct 50) p99 $(awk '{print $2}' "$SKNS_SCRATCH/hmac" | pct 99)"
sim reset-stats > /dev/null; sleep 10
echo "quiet session, 10 s at 1 s interval (HMAC proof): $(sim stats | sed -n 's/^apdus=//p') APDUs, $(sim stats | sed -n 's/^state_writes=//p') EEPROM writes"
a=$(switches "$pid"); ga=$(switches "$gpid"); sleep 60; b=$(switches "$pid"); gb=$(switches "$gpid")
echo "wake-ups per minute during a session (1 s interval): skinkeyd $((b - a)), skinkey-guard $((gb - ga))"

: > "$SKNS_SCRATCH/removal"; : > "$SKNS_SCRATCH/failed"
for i in $(seq "$runs"); do
	n=$(login1_locks); t0=$(date +%s.%N)
	sim_out
	wait_for 60 locks_ge $((n + 1)) || fail "no Lock after removal $i"
	echo "$(last_lock) - $t0" | bc >> "$SKNS_SCRATCH/removal"
	sim_in; wait_for 60 skd_sees_card; unlock
done
for i in $(seq "$runs"); do
	n=$(login1_locks); t0=$(date +%s.%N)
	sim swap "$SKNS_SCRATCH/clone.state" > /dev/null
	wait_for 60 locks_ge $((n + 1)) || fail "no Lock after clone $i"
	echo "$(last_lock) - $t0" | bc >> "$SKNS_SCRATCH/failed"
	sim swap "$STATE" > /dev/null; unlock
done
echo "lock latency after removal, $runs runs (grace 2 s): p50 $(pct 50 < "$SKNS_SCRATCH/removal") s, p99 $(pct 99 < "$SKNS_SCRATCH/removal") s"
echo "lock latency after a failed check (clone swapped in; interval 1 s, a wrong proof has no grace), $runs runs: p50 $(pct 50 < "$SKNS_SCRATCH/failed") s, p99 $(pct 99 < "$SKNS_SCRATCH/failed") s"
