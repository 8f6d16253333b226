#!/usr/bin/env bash
# duress_timing.sh — nothing in the time of an unlock tells the context: 200 unlocks of the
# primary and 200 of the decoy through skinkeyd's host path (DURESS UNLOCK: INQUIRE of the PIN,
# the DuressApplet, the instance's AID, the SELECT redirect, the instance's public data and its
# VERIFY), interleaved in random order; the means are within 1 ms and the two-sample
# Kolmogorov-Smirnov statistic is under 0.1. An inconclusive block of 200 is followed by
# another, pooled (up to 4: see duress_timing.py). Both instances hold the same kind of key, as
# a user's decoy should.
source "$SK_SRC/tests/lib/common.sh"
source "$SK_SRC/tests/integration/agent_lib.inc"
source "$SK_SRC/tests/integration/duress_lib.inc"
need pkcs11-tool skinkey skinkeyd skinkey-sim sha256sum od
SO=$SK_BUILD/pkcs11/skinkey-pkcs11.so
[ -f "$SO" ] || fail "module not built: $SO"
duress_prepare
for pin in 123456 222222; do
	chip=$(printf '%s\n' "$pin" | skinkey duress unlock | sed -n 's/: unlocked$//p')
	[ -n "$chip" ] || fail "unlock $pin"
	out=$(pkcs11-tool --module "$SO" --token-label "$chip OpenPGP" --login --login-type so \
		--so-pin 12345678 --keypairgen --key-type EC:prime256v1 --id 03 2>&1) ||
		fail "keygen on $chip: $out"
	skinkey duress lock > /dev/null || fail "lock"
done
out=$(/usr/bin/python3 "$SK_SRC/tests/integration/duress_timing.py" \
	"$XDG_RUNTIME_DIR/skinkey/S.skinkeyd" "${DURESS_TIMING_N:-200}" 4 123456 222222)
rc=$?
while read -r l; do note "$l"; done <<< "$out"
[ "$rc" = 0 ] || fail "unlock timing tells the context apart (or failed): $(tail -1 <<< "$out")"
echo ok
