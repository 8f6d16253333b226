#!/usr/bin/env bash
# Idle costs nothing (issue 12): with no liveness interval and no idle-exit, an idle skinkeyd
# and its skinkey-guard make no timed wake-ups. Its threads' context switches (voluntary + involuntary, summed over
# /proc/PID/task/*/status) are counted over 60 idle seconds with the chip lying in the field:
# the count must not grow at all. Then a real event (a tap) must still wake it at once.
source "$SK_SRC/tests/lib/common.sh"
source "$SK_SRC/tests/integration/agent_lib.inc"
need skinkey skinkeyd skinkey-sim gpg-connect-agent

mkdir -p "$XDG_CONFIG_HOME/skinkey"
printf 'idle-exit = 0\n' > "$XDG_CONFIG_HOME/skinkey/skinkey.conf"
skinkey status > /dev/null || fail "skinkey status"
pid=$(skd 'GETINFO pid' | sed -n 's/^D //p')
[ -n "$pid" ] || fail "no daemon pid"
# a client connection of our own must be over before counting: wait for the daemon to serve none
wait_for 60 sh -c "[ \"\$(gpg-connect-agent -S '$SKD_SOCK' 'GETINFO connections' /bye | sed -n 's/^D //p')\" = 1 ]" ||
	fail "the daemon still serves other connections"

switches() {  # PID: all context switches of all its threads
	local n=0 t v
	for t in /proc/"$1"/task/*/status; do
		for v in $(awk '/^(voluntary|nonvoluntary)_ctxt_switches:/ {print $2}' "$t" 2>/dev/null); do
			n=$((n + v))
		done
	done
	echo "$n"
}
threads() { ls /proc/"$1"/task | wc -l; }

# let the connection that asked for the pid end and the daemon settle: a window of 2 s with no
# switch means nothing is pending
settle=0
for _ in $(seq 30); do
	a=$(switches "$pid"); sleep 2; b=$(switches "$pid")
	[ "$a" = "$b" ] && { settle=1; break; }
done
[ "$settle" = 1 ] || fail "skinkeyd never went quiet for 2 s (switches keep growing: $a -> $b)"

gpid=$(pgrep -x skinkey-guard | head -n 1 || true)
[ -n "$gpid" ] || fail "skinkey-guard is not running beside skinkeyd (audit = required)"
before=$(switches "$pid"); tbefore=$(threads "$pid"); gbefore=$(switches "$gpid")
sleep 60   # the measurement window: nothing happens in it
after=$(switches "$pid"); tafter=$(threads "$pid"); gafter=$(switches "$gpid")
note "skinkey-guard: $((gafter - gbefore)) wake-ups in 60 idle seconds"
expect_eq "$((gafter - gbefore))" 0 "wake-ups of an idle skinkey-guard in 60 s"
note "skinkeyd: $tbefore threads, $((after - before)) wake-ups in 60 idle seconds"
[ "$after" = "$before" ] || for t in /proc/"$pid"/task/*; do
	note "thread $(basename "$t"): $(tr '\0' ' ' < "$t/comm") syscall $(cut -d' ' -f1 "$t/syscall") $(grep ctxt "$t/status" | tr '\n\t' '  ')"
done
expect_eq "$((after - before))" 0 "wake-ups of an idle skinkeyd in 60 s"
expect_eq "$tafter" "$tbefore" "thread count while idle"

# and it still hears what happens: a removal shows at once
sim remove > /dev/null
wait_for 60 sh -c "skinkey chips | grep -q away" || fail "the idle daemon did not see the chip leave"
[ "$(switches "$pid")" -gt "$after" ] || fail "no wake-up for a real event"
echo "agent_wakeups: ok"
