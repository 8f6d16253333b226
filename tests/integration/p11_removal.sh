#!/usr/bin/env bash
# p11_removal.sh — the chip leaves the field in the middle of a PKCS#11 signature (simulator
# cut-after): the call ends with CKR_DEVICE_REMOVED quickly, never hangs; after a new tap the
# same key signs again; with the chip away and no tap, the signature fails with
# CKR_DEVICE_REMOVED once skinkeyd's tap-timeout passes.
source "$SK_SRC/pkcs11/itest_lib.sh"
mkdir -p "$SKNS_SCRATCH/p11rm" && cd "$SKNS_SCRATCH/p11rm"
mkdir -p "$XDG_CONFIG_HOME/skinkey"
printf 'tap-timeout = 4s\n' > "$XDG_CONFIG_HOME/skinkey/skinkey.conf"
p11_tokens
out=$(p11 --token-label "$PGP" --login --login-type so --so-pin 12345678 --keypairgen \
	--key-type EC:prime256v1 --id 03 2>&1) || fail "keygen: $out"
head -c 32 /dev/urandom > h
sign() { timeout 60 pkcs11-tool --module "$SO" --token-label "$PGP" --login --pin 123456 \
	--sign -m ECDSA --id 03 -i h -o sig 2>&1; }
out=$(sign) || fail "sign with the chip present: $out"

# the chip leaves at the next APDU: a warm signature is a single INTERNAL AUTHENTICATE
# (skinkeyd's fast path), so that is the middle of the operation
sim cut-after 0 >/dev/null
start=$(date +%s)
out=$(sign) && fail "signature survived the chip leaving: $out"
took=$(( $(date +%s) - start ))
expect_match "$out" "CKR_DEVICE_REMOVED" "removal mid-operation is CKR_DEVICE_REMOVED"
[ "$took" -lt 30 ] || fail "removal took ${took}s to surface"

sim tap >/dev/null
skd_wait_present 1
out=$(sign) || fail "sign after a new tap: $out"

sim remove >/dev/null
skd_wait_present 0
start=$(date +%s)
out=$(sign) && fail "signature with the chip away succeeded: $out"
took=$(( $(date +%s) - start ))
expect_match "$out" "CKR_DEVICE_REMOVED" "no tap is CKR_DEVICE_REMOVED"
[ "$took" -ge 4 ] && [ "$took" -lt 30 ] || fail "no-tap failure took ${took}s (tap-timeout 4 s)"
echo "p11_removal: ok"
