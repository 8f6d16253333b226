#!/usr/bin/env bash
# p11_hmac.sh — the HMAC token: a slot programmed through C_CreateObject of a GENERIC secret
# token object labelled "HMAC slot N" (python3-pykcs11), `pkcs11-tool --sign -m SHA-1-HMAC`
# answers RFC 2202 test cases 1 and 2 and agrees with `ykman otp calculate` (an independent
# client of the same applet); the keys are sensitive, listed with the chip away, and a sign
# with the chip away fails with CKR_DEVICE_REMOVED after the tap timeout.
# skinkey-test: plain-only (python3-pykcs11 loads the module and tests/lib/skns.sh wraps no python with the ASan runtime)
source "$SK_SRC/pkcs11/itest_lib.sh"
need ykman xxd cmp
mkdir -p "$SKNS_SCRATCH/p11hmac" && cd "$SKNS_SCRATCH/p11hmac"
mkdir -p "$XDG_CONFIG_HOME/skinkey"
printf 'tap-timeout = 3s\n' > "$XDG_CONFIG_HOME/skinkey/skinkey.conf"
p11_tokens

objs=$(p11 --token-label "$HMAC" -O 2>&1) || fail "list: $objs"
printf '%s' "$objs" | grep_all "Secret Key Object" && fail "unprogrammed slots listed: $objs"

# A slot is programmed by writing a token object (CKA_TOKEN true) with python3-pykcs11:
# pkcs11-tool 0.23 writes only AES/DES secret keys, and GnuTLS's p11tool writes a session object
# unless --mark-sensitive, and then a private one (both refused, see p11_rules.sh).
program() {  # slot hexkey
	local out
	out=$(SO="$SO" HMAC="$HMAC" /usr/bin/python3 - "$1" "$2" <<'PY' 2>&1
import os, sys, PyKCS11
from PyKCS11 import *
lib = PyKCS11Lib(); lib.load(os.environ["SO"])
sl = [s for s in lib.getSlotList(True) if lib.getTokenInfo(s).label.strip() == os.environ["HMAC"]]
s = lib.openSession(sl[0], CKF_SERIAL_SESSION | CKF_RW_SESSION)
s.createObject([(CKA_CLASS, CKO_SECRET_KEY), (CKA_KEY_TYPE, CKK_GENERIC_SECRET),
                (CKA_TOKEN, True), (CKA_LABEL, "HMAC slot " + sys.argv[1]),
                (CKA_VALUE, bytes.fromhex(sys.argv[2]))])
PY
	) || fail "program slot $1: $out"
}
program 1 0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b
program 2 "$(printf Jefe | xxd -p)"
objs=$(p11 --token-label "$HMAC" -O 2>&1) || fail "list: $objs"
printf '%s\n' "$objs" >&2
expect_eq "$(printf '%s\n' "$objs" | grep -c 'Secret Key Object')" 2 "two HMAC keys"
out=$(p11 --token-label "$HMAC" --read-object --type secrkey --id 01 -o leak 2>&1) &&
	fail "HMAC key was readable: $out"

hmac() {  # slot challenge-file out
	p11 --token-label "$HMAC" --sign -m SHA-1-HMAC --id "0$1" -i "$2" -o "$3" >/dev/null 2>&1
}
printf 'Hi There' > c1
printf 'what do ya want for nothing?' > c2
hmac 1 c1 r1 || fail "HMAC slot 1"
hmac 2 c2 r2 || fail "HMAC slot 2"
expect_eq "$(xxd -p r1)" b617318655057264e28bc0b6fb378c8ef146be00 "RFC 2202 #1 through PKCS#11"
expect_eq "$(xxd -p r2)" effcdf6ae5eb2fa2d27416d5f184df9c259a7c79 "RFC 2202 #2 through PKCS#11"

# an independent client of the same applet agrees (vault unlock via either tool)
head -c 32 /dev/urandom > c3
hmac 1 c3 r3 || fail "HMAC slot 1 (random challenge)"
yk=$(ykman --reader "$SK_READER0" otp calculate 1 "$(xxd -p c3 | tr -d '\n')") ||
	fail "ykman otp calculate: $yk"
expect_eq "$(xxd -p r3)" "$yk" "pkcs11-tool and ykman give the same HMAC"

# over 64 bytes: refused before the chip sees it
head -c 65 /dev/zero > c4
hmac 1 c4 r4 && fail "65-byte challenge accepted"

# chip away: still listed; an HMAC waits for the tap timeout and fails cleanly
sim remove >/dev/null
skd_wait_present 0
objs=$(p11 --token-label "$HMAC" -O 2>&1) || fail "list with the chip away: $objs"
expect_eq "$(printf '%s\n' "$objs" | grep -c 'Secret Key Object')" 2 "keys listed with the chip away"
start=$(date +%s)
out=$(timeout 30 pkcs11-tool --module "$SO" --token-label "$HMAC" --sign -m SHA-1-HMAC --id 01 \
	-i c1 -o r5 2>&1) && fail "HMAC with the chip away succeeded"
took=$(( $(date +%s) - start ))
expect_match "$out" "CKR_DEVICE_REMOVED" "clear PKCS#11 error when no tap comes"
[ "$took" -lt 25 ] || fail "no-tap failure took ${took}s (tap-timeout 3 s)"
sim tap >/dev/null
echo "p11_hmac: ok"
