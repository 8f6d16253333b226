#!/usr/bin/env bash
# DESFire provisioning survives a power cut after ANY APDU: for N = 1..12 a factory-fresh
# simulated EV3 leaves the field after N APDUs (skinkey-sim cut-after N), is tapped again and
# provisioning is re-run; it must always end with a vault key readable in 4 APDUs that equals
# the journaled one. Then lost answers (processed, unanswered) and cuts in the resumed run.
. "$SK_SRC/tests/integration/desfire_lib.inc"
df_use cut
prev=
start_fresh() {  # name: put the chip back to factory state (FormatPICC, PICC key 2TDEA zeros)
	local out
	out=$("$tool" factory-reset "${prev:-$SKNS_SCRATCH/none}" 2>&1) || fail "factory reset ($1): $out"
	out=$("$tool" version) || fail "version ($1)"
	prev=$SKNS_SCRATCH/journal-$1
}
check_vault() {  # journal label
	local out
	out=$("$tool" vault "$1") || fail "$2: vault read failed: $out"
	expect_re "$out" 'match=1' "$2: vault key equals the journal"
	expect_re "$out" '^apdus=4$' "$2: 4 APDUs"
}

for n in $(seq 1 12); do
	start_fresh "$n"
	j=$SKNS_SCRATCH/journal-$n
	skinkey-sim ctl --card desfire cut-after "$n" >/dev/null
	if out=$("$tool" provision "$j" 2>&1); then
		[ "$n" -ge 10 ] || fail "N=$n: provisioning claimed success through a power cut: $out"
	fi
	df_tap
	out=$("$tool" provision "$j" 2>&1) || fail "N=$n: re-run after the cut failed: $out"
	expect_re "$out" 'provisioned=1' "N=$n: re-run completes"
	check_vault "$j" "N=$n"
	note "cut after $n: recovered ($(printf '%s\n' "$out" | sed -n 's/^apdus=//p') APDUs on the re-run)"
done

# the worst case for a key change: the chip PROCESSED command N (a ChangeKey, a WriteData) but
# its answer never reached the host (skdesfire-tool -D N drops it and reports the chip gone)
for n in $(seq 1 10); do
	start_fresh "d$n"
	j=$SKNS_SCRATCH/journal-d$n
	if out=$("$tool" -D "$n" provision "$j" 2>&1); then
		fail "D=$n: provisioning claimed success with a lost answer: $out"
	fi
	out=$("$tool" provision "$j" 2>&1) || fail "D=$n: re-run after a lost answer failed: $out"
	check_vault "$j" "D=$n"
done

# cuts in the first run and again in the resumed run
for pair in "4 3" "5 4" "9 6" "10 9" "3 12"; do
	set -- $pair
	start_fresh "p$1-$2"
	j=$SKNS_SCRATCH/journal-p$1-$2
	skinkey-sim ctl --card desfire cut-after "$1" >/dev/null
	"$tool" provision "$j" >/dev/null 2>&1 || true
	df_tap
	skinkey-sim ctl --card desfire cut-after "$2" >/dev/null
	"$tool" provision "$j" >/dev/null 2>&1 || true
	df_tap
	out=$("$tool" provision "$j" 2>&1) || fail "cuts $1,$2: third run failed: $out"
	check_vault "$j" "cuts $1,$2"
done
echo "desfire powercut: ok"
