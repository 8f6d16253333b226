# sim_openpgp_opensc.sh — fidelity of the simulated OpenPGP card against OpenSC: its openpgp
# driver recognises the card, openpgp-tool generates a NIST P-256 key on it, pkcs11-tool (with
# opensc-pkcs11.so) lists the keys and makes ECDSA signatures that OpenSSL verifies.
source "$SK_SRC/tests/lib/common.sh"
need opensc-tool openpgp-tool pkcs11-tool openssl
mod=/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so
[ -f "$mod" ] || fail "required module missing: $mod"
p11() { pkcs11-tool --module "$mod" "$@"; }

name=$(opensc-tool -r "$SK_READER0" -n 2>&1) || fail "opensc-tool -n failed: $name"
expect_match "$name" 'OpenPGP card v3\.4' "OpenSC driver"

info=$(openpgp-tool -r "$SK_READER0" -C 2>&1) || fail "openpgp-tool -C failed: $info"
note "$info"
expect_match "$(printf '%s' "$info" | tr a-f A-F)" 'AID: +D2:?76:?00:?01:?24:?01:?03:?04:?FF:?FE' "AID via OpenSC"

# P-256 on the authentication key (03) and the signature key (01), generated on the card through
# OpenSC's PKCS#11 (C_GenerateKeyPair after an SO login with PW3: sets C1/C3, then 47 80)
for id in 03 01; do
	out=$(p11 --slot-index 0 --login --login-type so --so-pin 12345678 --keypairgen \
		--key-type EC:prime256v1 --id $id 2>&1) || fail "pkcs11-tool --keypairgen $id failed: $out"
done
keyinfo=$(openpgp-tool -r "$SK_READER0" -K 2>&1) || fail "openpgp-tool -K failed: $keyinfo"
note "$keyinfo"
expect_match "$keyinfo" 'Aut Algorithm: +ECDSA' "AUT key algorithm"
expect_match "$keyinfo" 'Sig Algorithm: +ECDSA' "SIG key algorithm"

# OpenSC shows one PKCS#11 slot per PIN: slot 0 "User PIN" (PW1 82) holds the authentication
# key, slot 1 "User PIN (sig)" (PW1 81) the signature key.
objs=$(p11 --slot-index 0 -O 2>&1) || fail "pkcs11-tool -O (slot 0) failed: $objs"
note "$objs"
expect_match "$objs" 'Public Key Object; EC' "EC public key listed"
printf '%s\n' "$objs" | grep_all 'ID: *03' || fail "authentication key (ID 03) not listed"
objs=$(p11 --slot-index 1 -O 2>&1) || fail "pkcs11-tool -O (slot 1) failed: $objs"
printf '%s\n' "$objs" | grep_all 'ID: *01' || fail "signature key (ID 01) not listed"

echo "data signed through OpenSC by the simulated card" > data.txt
openssl dgst -sha256 -binary data.txt > data.sha256

# sign_check SLOT-INDEX ID: ECDSA over the SHA-256 hash, verified with the card's public key
sign_check() {
	local slot=$1 id=$2
	p11 --slot-index "$slot" --read-object --type pubkey --id "$id" -o "pub$id.der" \
		> "$SKNS_LOG/read$id.log" 2>&1 || fail "reading public key $id failed"
	openssl pkey -pubin -inform DER -in "pub$id.der" -out "pub$id.pem" \
		|| fail "public key $id is not valid DER"
	openssl pkey -pubin -in "pub$id.pem" -text -noout | grep_all 'P-256' \
		|| fail "public key $id is not on P-256"
	p11 --slot-index "$slot" --login --pin 123456 --sign --mechanism ECDSA --id "$id" \
		--signature-format openssl -i data.sha256 -o "sig$id.der" > "$SKNS_LOG/sign$id.log" 2>&1 \
		|| { cat "$SKNS_LOG/sign$id.log" >&2; fail "pkcs11-tool ECDSA signature with key $id failed"; }
	openssl pkeyutl -verify -pubin -inkey "pub$id.pem" -in data.sha256 -sigfile "sig$id.der" \
		> /dev/null || fail "OpenSSL rejected the card's ECDSA signature (key $id)"
	# a different hash must not verify with the same signature
	openssl dgst -sha256 -binary "pub$id.der" > other.sha256
	openssl pkeyutl -verify -pubin -inkey "pub$id.pem" -in other.sha256 -sigfile "sig$id.der" \
		> /dev/null 2>&1 && fail "signature $id verified over the wrong hash"
	return 0
}
# slot 0: "User PIN" (PW1 82: INTERNAL AUTHENTICATE with key 3); slot 1: "User PIN (sig)" (PW1 81)
sign_check 0 03
sign_check 1 01

# the signature counter (DO 93) counted exactly the one PSO:CDS made through slot 1
out=$(opensc-tool -r "$SK_READER0" -s '00 A4 04 00 06 D2 76 00 01 24 01' -s '00 CA 00 93 00' 2>&1) \
	|| fail "opensc-tool GET DATA 93 failed: $out"
note "$out"
expect_match "$(printf '%s' "$out" | tail -n 2 | tr '\n' ' ')" 'SW1=0x90, SW2=0x00\):? +00 00 01' \
	"signature counter after one PSO:CDS"
note "sim_openpgp_opensc: all checks passed"
