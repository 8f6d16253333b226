#!/usr/bin/env bash
# latency MS: every APDU takes at least MS milliseconds; latency 0 restores full speed.
. "$SK_SRC/tests/lib/common.sh"
need skinkey-sim /usr/bin/python3

ms() { date +%s%3N; }
cmds="00A4040007A0000005272001 0001100000 0001100000 0001100000 0001100000"
t0=$(ms); apdu $cmds >/dev/null; t1=$(ms)
fast=$((t1 - t0))
sim latency 250 >/dev/null
expect_match "$(sim status)" 'latency=250'
t0=$(ms); apdu $cmds >/dev/null; t1=$(ms)
slow=$((t1 - t0))
note "5 APDUs: ${fast} ms without latency, ${slow} ms with 250 ms"
[ "$slow" -ge 1250 ] || fail "5 APDUs at 250 ms latency took only ${slow} ms"
[ "$slow" -ge $((fast + 1000)) ] || fail "latency did not slow the APDUs (${fast} -> ${slow} ms)"
sim latency 0 >/dev/null
t0=$(ms); apdu $cmds >/dev/null; t1=$(ms)
[ $((t1 - t0)) -lt 1000 ] || fail "latency 0 still slow: $((t1 - t0)) ms"
echo ok
