#!/usr/bin/env bash
# skinkeyd follows the chip: `skinkey status` shows it after a tap and gone after a removal (the
# latency is printed: a figure, not a bound, on a loaded machine); with the chip away a restarted
# daemon still lists it (state.db) with its counters.
source "$SK_SRC/tests/lib/common.sh"
source "$SK_SRC/tests/integration/agent_lib.inc"
need skinkey skinkeyd skinkey-sim gpg-connect-agent

json() { skinkey status --json; }
out=$(json) || fail "skinkey status failed"
expect_match "$out" '"present":true' "the chip in the field right after autostart"
chip=$(printf '%s' "$out" | grep -o '"id":"fs-[0-9a-f]\{12\}"' | head -n1 | cut -d'"' -f4)
[ -n "$chip" ] || fail "no fs-<12 hex> chip id in: $out"
expect_match "$out" '"applets":"openpgp,ykhmac[a-z0-9,]*"' "applets found"
expect_match "$out" '"pin_retries":\{"pw1":3,"rc":0,"pw3":3\}' "factory retry counters"

is_present() { json | grep_all "\"id\":\"$chip\",\"present\":$1"; }
# shows STATE: status reaches STATE (true|false); prints how long it took
shows() {
	local want=$1 t0 t1
	t0=$(date +%s%N)
	wait_for 60 is_present "$want" || return 1
	t1=$(date +%s%N)
	note "present=$want after $(( (t1 - t0) / 1000000 )) ms"
}

for round in 1 2 3; do
	sim remove > /dev/null
	shows false || fail "round $round: chip still shown present after remove"
	wait_for 60 reader_empty 0 || fail "round $round: pcscd still sees the chip"
	sim tap > /dev/null
	shows true || fail "round $round: chip not shown after tap"
done

# away + daemon restarted: remembered from state.db, counters from the cache
sim remove > /dev/null
shows false || fail "chip still present after remove"
sock=$XDG_RUNTIME_DIR/skinkey/S.skinkeyd
pid=$(gpg-connect-agent -S "$sock" 'GETINFO pid' /bye | sed -n 's/^D //p')
[ -n "$pid" ] || fail "no daemon pid"
kill "$pid"
wait_for 60 sh -c "! kill -0 $pid 2>/dev/null" || fail "skinkeyd did not exit on SIGTERM"
out=$(json) || fail "status after restart"
expect_match "$out" "\"id\":\"$chip\",\"present\":false" "remembered chip listed as away"
expect_match "$out" '"pw1":3,"rc":0,"pw3":3' "cached counters without the chip"
table=$(skinkey status)
expect_match "$table" "$chip +no +openpgp,ykhmac" "table row for the away chip"
pid2=$(gpg-connect-agent -S "$sock" 'GETINFO pid' /bye | sed -n 's/^D //p')
[ -n "$pid2" ] && [ "$pid2" != "$pid" ] || fail "no new daemon after autostart"
wait_for 60 reader_empty 0 || fail "pcscd still sees the chip"
sim tap > /dev/null
shows true || fail "chip not back after tap"
echo "agent_presence: ok"
