#!/usr/bin/env bash
# DESFire EV3: every driver command round-trips against skinkey-sim's DESFire personality
# through the real pcscd + vpcd (reader "Virtual PCD 00 01"), and the originality signature is
# refused unless the simulator's test key is allowed.
. "$SK_SRC/tests/integration/desfire_lib.inc"
df_use rt
out=$("$tool" factory-reset "$SKNS_SCRATCH/none" 2>&1) || fail "factory reset: $out"

out=$("$tool" version) || fail "version: $out"
expect_re "$out" '^hw_major=33$' "GetVersion hardware major"
expect_re "$out" 'ev3=1' "EV3 detection"
uid=$(printf '%s\n' "$out" | sed -n 's/^uid=//p')
expect_re "$uid" '^04[0-9a-f]{12}$' "7-byte NXP UID"

# originality: the simulator's key is not NXP's: refused by default, accepted when allowed
if out=$("$tool" sig 2>&1); then fail "sim signature accepted without -s: $out"; fi
expect_re "$out" 'originality=refused' "refusal reported"
out=$("$tool" -s sig) || fail "sig -s: $out"
expect_re "$out" 'originality=sim-test' "sim test key accepted when configured"

skinkey-sim ctl --card desfire reset-stats >/dev/null
out=$("$tool" -a 112233 roundtrip 2>"$SKNS_LOG/roundtrip.err") || {
	cat "$SKNS_LOG/roundtrip.err" >&2; fail "roundtrip failed: $(printf '%s' "$out" | tail -3)"; }
expect_re "$out" 'roundtrip=ok' "round trip of every command"
for step in auth_iso create_app auth_ev2first write_full read_full compare_full write_mac \
	read_mac change_key_other auth_key1 get_card_uid change_key_settings change_key_same \
	auth_new_key0 read_missing create_file_dup; do
	expect_re "$out" "ok $step" "step $step"
done
n=$(sim_apdus --card desfire)
[ "$n" -ge 40 ] || fail "simulator saw only $n APDUs"

# the EEPROM image was saved: the state file holds the UID (a restart loads it; see
# sim/test_desfire_card.c for the save/load round trip)
st=$(skinkey-sim ctl --card desfire status | sed -n 's/.*state=\([^ ]*\).*/\1/p')
[ -s "$st" ] || fail "no state file at $st"
/usr/bin/python3 - "$st" "$uid" <<'PY' || fail "UID not in the saved state"
import sys
sys.exit(0 if bytes.fromhex(sys.argv[2]) in open(sys.argv[1], 'rb').read() else 1)
PY
# the application exists and its keys changed: a second round trip must fail early
if "$tool" -a 112233 roundtrip >/dev/null 2>&1; then fail "second roundtrip must fail"; fi
# malformed answers (truncated, bad length, bad status, broken chains) are refused cleanly:
# the tool fails with an error, never crashes, and the chip works again afterwards
for kind in truncate badlen badsw chain; do
	skinkey-sim ctl --card desfire malformed "$kind" >/dev/null
	set +e
	"$tool" version > "$SKNS_LOG/malformed-$kind.out" 2>&1
	rc=$?
	set -e
	skinkey-sim ctl --card desfire malformed off >/dev/null
	[ "$rc" -eq 1 ] || fail "malformed $kind: tool exit $rc (want a clean failure, 1)"
	df_tap
	"$tool" version >/dev/null || fail "chip unusable after malformed $kind"
done
echo "desfire roundtrip: ok"
