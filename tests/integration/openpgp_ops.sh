#!/usr/bin/env bash
# openpgp_ops.sh — the rest of libskopenpgp against the simulated card: RSA-2048 generation,
# PKCS#1 signature and decryption checked with OpenSSL; OpenSSL-made P-256 / Ed25519 keys
# imported (4D extended header list) and used; certificates through SELECT DATA and private
# DOs; PIN change, resetting code, admin reset; a KDF-DO whose PIN hashes were computed
# independently (Python hashlib); factory reset.
source "$SK_SRC/tests/lib/common.sh"
probe=$SK_BUILD/openpgp/sk-opgp-probe
[ -x "$probe" ] || fail "required tool missing: $probe"
need skinkey-sim /usr/bin/python3

val() { printf '%s\n' "$1" | sed -n "s/^$2=//p"; }
step() { local out; out=$($probe "$@") || fail "$*: $out"; printf '%s\n' "$out"; }

out=$(step rsa); expect_eq "$(val "$out" extended)" 1 "RSA with extended APDUs"; expect_eq "$(val "$out" rsa_sign)" ok "RSA sign"; expect_eq "$(val "$out" rsa_decrypt)" ok "RSA decrypt"
out=$(step import); expect_eq "$(val "$out" import_p256_sign)" ok "imported P-256"
expect_eq "$(val "$out" import_ed25519_auth)" ok "imported Ed25519"
expect_eq "$(val "$out" import_x25519_ecdh)" ok "imported X25519 (native byte order)"
info=$(step info)
expect_eq "$(val "$info" algo1)" "13/1" "SIG now ECDSA P-256"
expect_eq "$(val "$info" algo3)" "16/3" "AUT now EdDSA Ed25519"
out=$(step data); expect_eq "$(val "$out" certs)" ok "certificates"; expect_eq "$(val "$out" private_do)" ok "private DO"
out=$(step pins)
expect_eq "$(val "$out" blocked)" ok "PW1 blocked after three wrong PINs"
expect_match "$out" 'rc_reset=ok tries=3' "reset with the resetting code"
expect_eq "$(val "$out" pw3_reset)" ok "reset by the admin"
expect_eq "$(val "$(step info)" pw1_tries)" 3 "PW1 counter after the resets"

# KDF-DO: iterated+salted S2K SHA-256, hashes of the default PINs computed here, not by skinkey
f9=$(/usr/bin/python3 - <<'PY'
import hashlib
def s2k(pin, salt, count):
    data = salt + pin
    full, rem = divmod(count, len(data))
    return hashlib.sha256(data * full + data[:rem]).digest()
def tlv(t, v): return bytes([t, len(v)]) + v
s1, src, s3, it = bytes(range(1, 9)), bytes(range(9, 17)), bytes(range(17, 25)), 65536
v = tlv(0x81, b"\x03") + tlv(0x82, b"\x08") + tlv(0x83, it.to_bytes(4, "big")) + tlv(0x84, s1) \
    + tlv(0x85, src) + tlv(0x86, s3) + tlv(0x87, s2k(b"123456", s1, it)) + tlv(0x88, s2k(b"12345678", s3, it))
print(v.hex())
PY
)
step kdf-set "$f9" >/dev/null
expect_eq "$(val "$(step info)" kdf)" 3 "KDF-DO active"
# the plain PIN no longer works (raw APDU, one retry), the library's hashed one does
raw=$(apdu 00A4040006D27600012401 0020008106313233343536 | sed -n 2p)
expect_eq "$raw" "63C2" "plain PIN refused once KDF is on"
out=$(step verify 81 123456); expect_eq "$(val "$out" tries)" 2 "KDF verify (counter read before)"
expect_eq "$(val "$(step info)" pw1_tries)" 3 "hashed PIN accepted, counter restored"
step verify 83 12345678 >/dev/null
out=$($probe verify 82 654321) && fail "wrong PIN accepted under KDF"
expect_eq "$(val "$out" tries)" 2 "wrong PIN under KDF costs one retry"
step verify 82 123456 >/dev/null
step kdf-set 810100 >/dev/null
expect_eq "$(val "$(step info)" kdf)" 0 "KDF-DO off"
step verify 81 123456 >/dev/null

# factory reset: keys, fingerprints and PINs back to the factory
step reset >/dev/null
info=$(step info)
expect_eq "$(val "$info" fpr1)" "0000000000000000000000000000000000000000" "SIG fingerprint wiped"
expect_eq "$(val "$info" fpr3)" "0000000000000000000000000000000000000000" "AUT fingerprint wiped"
expect_eq "$(val "$info" pw3_tries)" 3 "PW3 counter after reset"
step verify 83 12345678 >/dev/null
echo ok
