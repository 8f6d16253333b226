#!/usr/bin/env bash
# An operation that needs the chip while it is away waits for the tap (the client is told with
# S PROGRESS tap) and completes once the chip is back, within tap-timeout.
source "$SK_SRC/tests/lib/common.sh"
source "$SK_SRC/tests/integration/agent_lib.inc"
need skinkey skinkeyd skinkey-sim gpg-connect-agent
S=$SKNS_SCRATCH
mkdir -p "$XDG_CONFIG_HOME/skinkey"
printf 'tap-timeout = 10s\n' > "$XDG_CONFIG_HOME/skinkey/skinkey.conf"

log=$SKNS_LOG/skinkeyd.log
skinkeyd --daemon --log-file "$log" || fail "skinkeyd did not start"
skinkey chips > /dev/null
sim_out
wait_for 60 sh -c "skinkey chips | grep -q away" || fail "chip not seen leaving"
t0=$(date +%s%N)
skd SERIALNO 'RANDOM 16' > "$S/out.txt" 2>&1 &
client=$!
# the daemon says it waits for the tap; the client must still be waiting then
wait_for 60 grep -q 'waiting up to 10 s: tap chip' "$log" || fail "no tap wait logged: $(cat "$log")"
kill -0 "$client" 2>/dev/null || fail "RANDOM did not wait for the tap: $(cat "$S/out.txt")"
sim tap > /dev/null
wait "$client" || fail "client failed"
t1=$(date +%s%N)
out=$(cat "$S/out.txt")
expect_match "$out" 'S PROGRESS tap \? 0 10' "the client is asked to tap"
expect_match "$out" '^D ' "random bytes after the tap"
note "RANDOM completed $(( (t1 - t0) / 1000000 )) ms after it was sent"
echo "agent_tapwait: ok"
