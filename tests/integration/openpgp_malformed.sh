#!/usr/bin/env bash
# openpgp_malformed.sh — the simulator answers garbage (truncated TLVs, lengths past the end,
# wrong status words, a chip that leaves mid-chain): libskopenpgp must report errors, never
# crash, never hang, and work again once the card behaves.
source "$SK_SRC/tests/lib/common.sh"
probe=$SK_BUILD/openpgp/sk-opgp-probe
[ -x "$probe" ] || fail "required tool missing: $probe"
need skinkey-sim timeout

$probe info >/dev/null || fail "card unusable before the test"
for mode in truncate badlen badsw; do
	sim malformed $mode >/dev/null
	set +e
	out=$(timeout 60 $probe loop 3)
	rc=$?
	set -e
	[ $rc -eq 0 ] || fail "probe died or hung in mode $mode (rc $rc): $out"
	printf '%s\n' "$out" | grep_all "info=OK" && fail "mode $mode: garbage accepted as application data: $out"
	printf '%s\n' "$out" | grep -Eq "info=(BAD_RESPONSE|SW|FORMAT|NOT_FOUND|UNSUPPORTED)" ||
		fail "mode $mode: unexpected errors: $out"
	note "$mode: $(printf '%s' "$out" | tr '\n' ' ')"
done

# chain: the chip leaves the field mid-answer; the probe reports it and exits
sim malformed chain >/dev/null
set +e
out=$(timeout 60 $probe loop 2)
rc=$?
set -e
[ $rc -eq 0 ] || fail "probe died or hung in mode chain (rc $rc): $out"
printf '%s\n' "$out" | grep_all "info=OK" && fail "chain: cut answer accepted: $out"
note "chain: $(printf '%s' "$out" | tr '\n' ' ')"

sim malformed off >/dev/null
sim tap >/dev/null
sim_wait_present flexsecure || fail "chip not back after tap"
wait_for 60 reader_has_card 0 || fail "pcscd does not see the chip again"
out=$($probe info) || fail "card not usable after malformed off: $out"
expect_eq "$(printf '%s\n' "$out" | sed -n 's/^pw1_tries=//p')" 3 "no PIN retry was spent by garbage"

# the chip leaves the field in the middle of key generation and signing
for n in 10 14 19; do
	sim cut-after $n >/dev/null
	set +e
	out=$(timeout 120 $probe keys)
	rc=$?
	set -e
	[ $rc -eq 1 ] || fail "cut after $n APDUs: probe rc $rc (crash, hang or success): $out"
	expect_match "$out" 'err=(CARD_REMOVED|IO|NO_CARD|CARD_RESET|BAD_RESPONSE)' "cut after $n: reported"
	note "cut after $n: $(printf '%s' "$out" | grep -E '^(err|failed)=' | tr '\n' ' ')"
	sim tap >/dev/null
	sim_wait_present flexsecure || fail "chip not back after tap"
	wait_for 60 reader_has_card 0 || fail "pcscd does not see the chip again"
done
out=$($probe info) || fail "card not usable after the cuts: $out"
expect_eq "$(printf '%s\n' "$out" | sed -n 's/^pw3_tries=//p')" 3 "no admin PIN retry lost to the cuts"
echo ok
