#!/usr/bin/env bash
# A chip that answers garbage (skinkey-sim ctl malformed ...) gives clear errors, never a crash or
# a hang; a chip pulled away mid-operation fails at once; an operation waiting for an absent chip
# gives up after tap-timeout.
source "$SK_SRC/tests/lib/common.sh"
source "$SK_SRC/tests/integration/agent_lib.inc"
need skinkey skinkeyd skinkey-sim gpg-connect-agent timeout
S=$SKNS_SCRATCH
mkdir -p "$XDG_CONFIG_HOME/skinkey"
printf 'tap-timeout = 2s\n' > "$XDG_CONFIG_HOME/skinkey/skinkey.conf"

skinkey chips > /dev/null
chip=$(skinkey chips | awk '/present/ {print $1; exit}')
[ -n "$chip" ] || fail "no chip present"
pid=$(skd 'GETINFO pid' | sed -n 's/^D //p')
alive() { kill -0 "$pid" 2>/dev/null || fail "skinkeyd died ($1)"; }
printf '123456' > "$S/pin"

for kind in truncate badlen badsw chain on; do
	sim malformed "$kind" > /dev/null
	# operations on the chip in the field: an error, quickly
	out=$(timeout 20 gpg-connect-agent -S "$SKD_SOCK" "/definqfile NEEDPIN $S/pin" SERIALNO \
		"CHECKPIN $chip" 'RANDOM 8' /bye 2>&1) || fail "$kind: client hung or failed: $out"
	alive "$kind: checkpin"
	# a fresh tap with garbage answers: the chip is not identified, nothing crashes
	sim_out; sim_in
	wait_for 60 skd_sees_card || fail "$kind: the daemon did not see the tap"
	out=$(timeout 20 skinkey status 2>&1) || fail "$kind: skinkey status failed or hung: $out"
	alive "$kind: identify"
	expect_match "$out" "$chip" "$kind: the known chip is still listed"
	sim malformed off > /dev/null
done

# back to sane answers: identified again after a tap
sim_out; sim_in
wait_for 60 sh -c "skinkey chips | grep -q '$chip.*present'" || fail "chip not identified after malformed off"

# pulled away in the middle of an operation: error at once, no hang
# the daemon reads the public data after a tap under the card lock: an operation that needs the
# chip runs only once that is done, so the cut below hits the operation, not the refresh
out=$(skd SERIALNO 'RANDOM 1') && expect_match "$out" '^D ' "chip usable after malformed off"
sim cut-after 1 > /dev/null   # SELECT answered, then the chip leaves before GET CHALLENGE
t0=$(date +%s%N)
out=$(timeout 20 gpg-connect-agent -S "$SKD_SOCK" 'SERIALNO' 'RANDOM 200' /bye 2>&1) \
	|| fail "client hung after the chip left"
t1=$(date +%s%N)
expect_match "$out" 'ERR [0-9]+ Card removed' "an operation fails once the chip is gone"
ms=$(( (t1 - t0) / 1000000 ))
# "Card removed", not "Timeout": it did not wait for a tap (the time is a figure, not a bound:
# the machine may be loaded)
note "chip pulled mid-operation: error after $ms ms"
alive "cut-after"

# nothing in the field: waits tap-timeout (2 s), then a timeout error
wait_for 60 sh -c "skinkey chips | grep -q away" || fail "chip still shown present after the cut"
t0=$(date +%s)
out=$(timeout 20 gpg-connect-agent -S "$SKD_SOCK" "SERIALNO" 'RANDOM 8' /bye 2>&1)
t1=$(date +%s)
expect_match "$out" 'ERR [0-9]+ Timeout' "waiting for a tap times out"
[ $((t1 - t0)) -ge 2 ] || fail "tap wait took $((t1 - t0)) s, less than tap-timeout (2 s)"
alive "tap-timeout"
sim tap > /dev/null
wait_for 60 sh -c "skinkey chips | grep -q '$chip.*present'" || fail "chip not back"
echo "agent_malformed: ok"
