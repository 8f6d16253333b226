#!/usr/bin/env bash
# p11_list.sh — skinkey-pkcs11.so through real clients: pkcs11-tool sees one OpenPGP and one
# HMAC token per chip; on-card key generation (SO = PW3) of an RSA-2048 SIG key and a P-256 AUT
# key; `ssh-keygen -D` lists exactly those two; they stay listed with the chip away (daemon
# cache); CKA_ID pairs key and certificate after C_CreateObject of a certificate.
source "$SK_SRC/tests/lib/common.sh"
need pkcs11-tool ssh-keygen openssl skinkey-sim
so=$SK_BUILD/pkcs11/skinkey-pkcs11.so
[ -f "$so" ] || fail "module not built: $so"
p11() { pkcs11-tool --module "$so" "$@"; }

# The first call autostarts skinkeyd; it knows the chip once the card manager identified it.
wait_for 60 sh -c "pkcs11-tool --module '$so' -L 2>/dev/null | grep -q 'OpenPGP'" ||
	fail "no OpenPGP token appeared: $(p11 -L 2>&1)"
slots=$(p11 -L 2>&1) || fail "pkcs11-tool -L: $slots"
printf '%s\n' "$slots" >&2
pgp=$(printf '%s\n' "$slots" | sed -n 's/^ *token label *: *\(fs-[0-9a-f]* OpenPGP\).*/\1/p' | head -1)
hm=$(printf '%s\n' "$slots" | sed -n 's/^ *token label *: *\(fs-[0-9a-f]* HMAC\).*/\1/p' | head -1)
[ -n "$pgp" ] || fail "no OpenPGP token in: $slots"
[ -n "$hm" ] || fail "no HMAC token in: $slots"
chip=${pgp% OpenPGP}
expect_match "$slots" "serial num *: *${chip}\$" "token serial = chip id"

# a factory-fresh card: no keys, so no objects
objs=$(p11 --token-label "$pgp" -O 2>&1) || fail "list objects: $objs"
printf '%s' "$objs" | grep_all "Public Key Object" && fail "fresh card shows keys: $objs"

# key generation needs the admin PIN
out=$(p11 --token-label "$pgp" --keypairgen --key-type EC:prime256v1 --id 03 2>&1) &&
	fail "keygen without SO login succeeded: $out"
out=$(p11 --token-label "$pgp" --login --login-type so --so-pin 12345678 \
	--keypairgen --key-type EC:prime256v1 --id 03 --label auth 2>&1) || fail "P-256 keygen: $out"
expect_match "$out" "EC_POINT" "P-256 public key shown"
out=$(p11 --token-label "$pgp" --login --login-type so --so-pin 12345678 \
	--keypairgen --key-type rsa:2048 --id 01 2>&1) || fail "RSA-2048 keygen: $out"

keys=$(ssh-keygen -D "$so" 2>&1) || fail "ssh-keygen -D: $keys"
printf '%s\n' "$keys" >&2
expect_eq "$(printf '%s\n' "$keys" | grep -c '^ecdsa-sha2-nistp256 ')" 1 "one P-256 key"
expect_eq "$(printf '%s\n' "$keys" | grep -c '^ssh-rsa ')" 1 "one RSA key"

# the same keys with the chip away: answered from skinkeyd's cache
sim remove >/dev/null
wait_for 60 sh -c "skinkey-sim ctl status | grep -q present=0" || fail "chip did not leave"
away=$(ssh-keygen -D "$so" 2>&1) || fail "ssh-keygen -D with the chip away: $away"
expect_eq "$(printf '%s\n' "$away" | grep -c -E '^(ecdsa|ssh-rsa)')" 2 "keys listed with the chip away"
sim tap >/dev/null
wait_for 60 sh -c "skinkey-sim ctl status | grep -q present=1" || fail "chip did not come back"

# a certificate for the AUT key, written to 7F21, shares CKA_ID 03 with the key pair
printf '%s\n' "$keys" | grep '^ecdsa-sha2-nistp256 ' > aut.ssh.pub
ssh-keygen -e -m PKCS8 -f aut.ssh.pub > aut.pub || fail "convert the AUT public key"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key \
	-subj /CN=skinkey-test-ca -days 1 -out ca.crt 2>/dev/null || fail "CA"
openssl x509 -new -CA ca.crt -CAkey ca.key -force_pubkey aut.pub -subj /CN=skinkey-aut \
	-days 1 -outform DER -out aut.der 2>/dev/null ||
	openssl x509 -in ca.crt -CA ca.crt -CAkey ca.key -force_pubkey aut.pub -subj /CN=skinkey-aut \
	-days 1 -outform DER -out aut.der 2>/dev/null || fail "issue certificate"
out=$(p11 --token-label "$pgp" --login --login-type so --so-pin 12345678 \
	--write-object aut.der --type cert --id 03 2>&1) || fail "write certificate: $out"
objs=$(p11 --token-label "$pgp" -O 2>&1) || fail "list objects: $objs"
printf '%s\n' "$objs" >&2
expect_match "$objs" "Certificate Object" "certificate listed"
expect_match "$objs" "subject: *DN: CN ?= ?skinkey-aut" "certificate subject"
expect_eq "$(printf '%s\n' "$objs" | grep -c 'ID: *03')" 2 "public key and certificate share ID 03"
echo "p11_list: ok"
