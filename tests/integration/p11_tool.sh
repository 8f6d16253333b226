#!/usr/bin/env bash
# p11_tool.sh — pkcs11-tool against skinkey-pkcs11.so: its --test suite, --test-threads and
# --test-fork; signatures per mechanism checked with OpenSSL (ECDSA raw and hashed, RSA PKCS#1
# with SHA-1/256/384/512 and with a caller-built DigestInfo); RSA PKCS#1 decryption; ECDH on
# P-256 compared with OpenSSL's side; PIN change (C_SetPIN) and PW1 reset by PW3 (C_InitPIN).
source "$SK_SRC/pkcs11/itest_lib.sh"
need openssl ssh-keygen cmp
mkdir -p "$SKNS_SCRATCH/p11tool" && cd "$SKNS_SCRATCH/p11tool"
p11_tokens
p11_keys

# public keys, as the module lists them (chip not needed)
keys=$(ssh-keygen -D "$SO") || fail "ssh-keygen -D"
pubkey() {  # comment file
	printf '%s\n' "$keys" | grep " $1\$" > "$2.ssh" || fail "no '$1' in: $keys"
	ssh-keygen -e -m PKCS8 -f "$2.ssh" > "$2" || fail "convert $1"
}
pubkey "Signature key" sig.pub
pubkey "Encryption key" dec.pub
pubkey "Authentication key" aut.pub

out=$(p11 --token-label "$PGP" --test --login --pin 123456 2>&1) || fail "pkcs11-tool --test (rc $?): $out"
printf '%s\n' "$out" >&2
expect_match "$out" "RSA-PKCS: OK" "--test signs"
expect_match "$out" "SHA256-RSA-PKCS: OK" "--test hashes and signs"
printf '%s\n' "$out" | grep -Eq '^[1-9][0-9]* errors' && fail "pkcs11-tool --test reported errors"
out=$(p11 --test-threads ILGISLT0T1 --test-threads ILSLT1GIT0 --test-threads ILSLT0T1GI 2>&1) ||
	fail "--test-threads: $out"
expect_match "$out" "all threads have ended with CKR_OK" "--test-threads"
out=$(p11 --test-fork 2>&1) || fail "--test-fork: $out"

head -c 1000 /dev/urandom > data
sign() {  # mechanism id out [extra...]
	local m=$1 id=$2 o=$3
	shift 3
	p11 --token-label "$PGP" --login --pin 123456 --sign -m "$m" --id "$id" -i "${IN:-data}" \
		-o "$o" "$@" >/dev/null 2>&1 || fail "sign $m with key $id"
}

# ECDSA (AUT key, P-256): hashed on the host and raw
sign ECDSA-SHA256 03 sig1 --signature-format openssl
openssl dgst -sha256 -verify aut.pub -signature sig1 data >/dev/null || fail "ECDSA-SHA256 does not verify"
sign ECDSA-SHA384 03 sig2 --signature-format openssl
openssl dgst -sha384 -verify aut.pub -signature sig2 data >/dev/null || fail "ECDSA-SHA384 does not verify"
openssl dgst -sha256 -binary data > data.sha256
IN=data.sha256 sign ECDSA 03 sig3 --signature-format openssl
openssl pkeyutl -verify -pubin -inkey aut.pub -in data.sha256 -sigfile sig3 >/dev/null ||
	fail "raw ECDSA does not verify"
IN=data.sha256 sign ECDSA 03 sig4
expect_eq "$(stat -c %s sig4)" 64 "ECDSA signature is r||s, 64 bytes"

# RSA PKCS#1 v1.5 (SIG key): the host hashes and builds the DigestInfo, the card pads
for h in SHA1 SHA256 SHA384 SHA512; do
	sign "$h-RSA-PKCS" 01 "sig.$h"
	expect_eq "$(stat -c %s "sig.$h")" 256 "$h-RSA-PKCS signature length"
	openssl dgst "-$(echo "$h" | tr A-Z a-z)" -verify sig.pub -signature "sig.$h" data >/dev/null ||
		fail "$h-RSA-PKCS does not verify"
done
# plain RSA-PKCS: the caller's DigestInfo comes back from the signature unchanged
printf '\x30\x31\x30\x0d\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x01\x05\x00\x04\x20' > di
cat data.sha256 >> di
IN=di sign RSA-PKCS 01 sig.raw
openssl pkeyutl -verifyrecover -pubin -inkey sig.pub -in sig.raw -out di.back 2>/dev/null ||
	fail "RSA-PKCS signature does not open"
cmp -s di di.back || fail "RSA-PKCS signature does not carry the DigestInfo"
# RSA-PSS is not offered (raw RSA is not available on OpenPGP cards)
p11 --token-label "$PGP" -M 2>&1 | grep_all PSS && fail "PSS advertised"

# RSA decryption (DEC key)
printf 'vault unlock secret 42' > plain
openssl pkeyutl -encrypt -pubin -inkey dec.pub -in plain -out ct || fail "encrypt"
p11 --token-label "$PGP" --login --pin 123456 --decrypt -m RSA-PKCS --id 02 -i ct -o plain.back \
	>/dev/null 2>&1 || fail "decrypt"
cmp -s plain plain.back || fail "decrypted text differs"

# ECDH: a P-256 DEC key, derived against an OpenSSL peer
p11 --token-label "$PGP" --login --login-type so --so-pin 12345678 --keypairgen \
	--key-type EC:prime256v1 --id 02 --usage-derive >/dev/null 2>&1 || fail "P-256 DEC keygen"
keys=$(ssh-keygen -D "$SO") || fail "ssh-keygen -D"
pubkey "Encryption key" dec256.pub
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out peer.key 2>/dev/null
openssl pkey -in peer.key -pubout -outform DER -out peer.pub.der
p11 --token-label "$PGP" --login --pin 123456 --derive -m ECDH1-DERIVE --id 02 -i peer.pub.der \
	-o z.card >/dev/null 2>&1 || fail "ECDH1-DERIVE"
openssl pkeyutl -derive -inkey peer.key -peerkey dec256.pub -out z.host || fail "host ECDH"
expect_eq "$(stat -c %s z.card)" 32 "shared secret length"
cmp -s z.card z.host || fail "ECDH secrets differ"

# PIN change, then reset by the admin PIN
p11 --token-label "$PGP" --change-pin --pin 123456 --new-pin 24682468 >/dev/null 2>&1 ||
	fail "change PIN"
p11 --token-label "$PGP" --login --pin 123456 --sign -m ECDSA --id 03 -i data.sha256 -o x \
	>/dev/null 2>&1 && fail "old PIN still works"
p11 --token-label "$PGP" --login --pin 24682468 --sign -m ECDSA --id 03 -i data.sha256 -o x \
	>/dev/null 2>&1 || fail "new PIN refused"
p11 --token-label "$PGP" --init-pin --login --login-type so --so-pin 12345678 --new-pin 123456 \
	>/dev/null 2>&1 || fail "C_InitPIN"
p11 --token-label "$PGP" --login --pin 123456 --sign -m ECDSA --id 03 -i data.sha256 -o x \
	>/dev/null 2>&1 || fail "PIN set by the admin refused"
expect_eq "$(pw1_tries)" 3 "PW1 counter after reset"
echo "p11_tool: ok"
