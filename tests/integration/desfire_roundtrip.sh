#!/usr/bin/env bash
# DESFire EV3: every driver command round-trips against skinkey-sim's DESFire personality
# through the real pcscd + vpcd (reader "Virtual PCD 00 01"), and the originality signature is
# refused unless the simulator's test key is allowed.
. "$SK_SRC/tests/lib/common.sh"
need skinkey-sim
tool=$SK_BUILD/desfire/skdesfire-tool
[ -x "$tool" ] || fail "skdesfire-tool not built"

df_pid=
start_desfire() {  # state file
	if skinkey-sim ctl --card desfire status 2>/dev/null | grep -q '^present=1'; then return 0; fi
	skinkey-sim run --card desfire --state "$1" >> "$SKNS_LOG/sim-desfire-rt.log" 2>&1 &
	df_pid=$!
	wait_for 10 sh -c "skinkey-sim ctl --card desfire status | grep -q '^present=1'" ||
		fail "desfire simulator did not come up"
}
trap '[ -n "$df_pid" ] && kill "$df_pid" 2>/dev/null; true' EXIT
start_desfire "$SKNS_SCRATCH/data/desfire-rt.state"

out=$("$tool" version) || fail "version: $out"
expect_match "$out" '^hw_major=33$' "GetVersion hardware major"
expect_match "$out" 'ev3=1' "EV3 detection"
uid=$(printf '%s\n' "$out" | sed -n 's/^uid=//p')
expect_match "$uid" '^04[0-9a-f]{12}$' "7-byte NXP UID"

# originality: the simulator's key is not NXP's: refused by default, accepted when allowed
if out=$("$tool" sig 2>&1); then fail "sim signature accepted without -s: $out"; fi
expect_match "$out" 'originality=refused' "refusal reported"
out=$("$tool" -s sig) || fail "sig -s: $out"
expect_match "$out" 'originality=sim-test' "sim test key accepted when configured"

skinkey-sim ctl --card desfire reset-stats >/dev/null
out=$("$tool" -a 112233 roundtrip 2>"$SKNS_LOG/roundtrip.err") || {
	cat "$SKNS_LOG/roundtrip.err" >&2; fail "roundtrip failed: $(printf '%s' "$out" | tail -3)"; }
expect_match "$out" 'roundtrip=ok' "round trip of every command"
for step in auth_iso create_app auth_ev2first write_full read_full compare_full write_mac \
	read_mac change_key_other auth_key1 get_card_uid change_key_settings change_key_same \
	auth_new_key0 read_missing create_file_dup; do
	expect_match "$out" "ok $step" "step $step"
done
n=$(sim_apdus --card desfire)
[ "$n" -ge 40 ] || fail "simulator saw only $n APDUs"

# state persists across a restart of the simulator (EEPROM file)
if [ -n "$df_pid" ]; then
	kill "$df_pid"; wait "$df_pid" 2>/dev/null || true; df_pid=
	start_desfire "$SKNS_SCRATCH/data/desfire-rt.state"
	out2=$("$tool" version) || fail "version after restart"
	expect_eq "$(printf '%s\n' "$out2" | sed -n 's/^uid=//p')" "$uid" "UID persisted"
	# the application exists already: creating it again is a duplicate (91 DE)
	if "$tool" -a 112233 roundtrip >/dev/null 2>&1; then fail "second roundtrip must fail (app exists, keys changed)"; fi
fi
echo "desfire roundtrip: ok"
