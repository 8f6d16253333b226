#!/usr/bin/env bash
# p11_eddsa.sh — Ed25519 and X25519 keys in their PKCS#11 3.0 encoding: on-card generation
# through C_GenerateKeyPair (CKM_EC_EDWARDS / CKM_EC_MONTGOMERY), CKK_EC_EDWARDS with
# CKA_EC_PARAMS = OID 1.3.101.112 and CKK_EC_MONTGOMERY with 1.3.101.110, CKA_EC_POINT a DER
# OCTET STRING of the 32-byte key; CKM_EDDSA signatures verified by OpenSSL. (OpenSSH 9.2's
# ssh-keygen -D skips Ed25519 PKCS#11 keys; 10.1+ accepts this encoding.)
source "$SK_SRC/pkcs11/itest_lib.sh"
need openssl xxd
mkdir -p "$SKNS_SCRATCH/p11ed" && cd "$SKNS_SCRATCH/p11ed"
p11_tokens
gen() {  # type id
	local out
	out=$(p11 --token-label "$PGP" --login --login-type so --so-pin 12345678 --keypairgen \
		--key-type "$1" --id "$2" 2>&1) || fail "keygen $1: $out"
}
gen EC:edwards25519 01
gen EC:curve25519 02
# Ed25519 cannot be a decryption key, X25519 cannot sign
p11 --token-label "$PGP" --login --login-type so --so-pin 12345678 --keypairgen \
	--key-type EC:curve25519 --id 03 >/dev/null 2>&1 && fail "X25519 accepted as AUT key"

objs=$(p11 --token-label "$PGP" -O --type pubkey 2>&1) || fail "list: $objs"
printf '%s\n' "$objs" >&2
expect_match "$objs" "EC_EDWARDS" "CKK_EC_EDWARDS key"
expect_match "$objs" "EC_PARAMS: *06032b6570" "Ed25519 CKA_EC_PARAMS is OID 1.3.101.112"
expect_match "$objs" "EC_MONTGOMERY" "CKK_EC_MONTGOMERY key"
expect_match "$objs" "EC_PARAMS: *06032b656e" "X25519 CKA_EC_PARAMS is OID 1.3.101.110"
point=$(printf '%s\n' "$objs" | grep -A1 EC_EDWARDS | sed -n 's/^ *EC_POINT: *//p')
expect_match "$point" '^0420[0-9a-f]{64}$' "CKA_EC_POINT is a DER OCTET STRING of 32 bytes"

# public key as SubjectPublicKeyInfo for OpenSSL (RFC 8410)
printf '302a300506032b6570032100%s' "${point#0420}" | xxd -r -p > ed.der
openssl pkey -pubin -inform DER -in ed.der -out ed.pem || fail "Ed25519 public key"
head -c 300 /dev/urandom > msg
p11 --token-label "$PGP" --login --pin 123456 --sign -m EDDSA --id 01 -i msg -o sig \
	>/dev/null 2>&1 || fail "EDDSA sign"
expect_eq "$(stat -c %s sig)" 64 "Ed25519 signature length"
openssl pkeyutl -verify -pubin -inkey ed.pem -rawin -in msg -sigfile sig >/dev/null ||
	fail "EDDSA signature does not verify"
# a signature mechanism of another family is refused for the Ed25519 key
p11 --token-label "$PGP" --login --pin 123456 --sign -m ECDSA --id 01 -i msg -o x \
	>/dev/null 2>&1 && fail "ECDSA with an Ed25519 key accepted"
echo "p11_eddsa: ok"
