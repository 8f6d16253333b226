# sim_openpgp_gpg.sh — fidelity of the simulated OpenPGP card against GnuPG's own scdaemon:
# card-status, on-card key generation (Ed25519/cv25519, then RSA-2048) through gpg --card-edit,
# signatures that stock gpg --verify accepts, decryption through the card, PIN retry counters.
source "$SK_SRC/tests/lib/common.sh"
need gpg gpgconf gpg-connect-agent openssl cmp /usr/bin/python3

source "$SK_SRC/tests/lib/gnupg_scd.sh"

status=$(gpg --card-status 2>&1) || fail "gpg --card-status failed: $status"
note "$status"
expect_match "$status" 'Application ID \.+: D276000124010304FFFE[0-9A-F]{8}0000' "AID"
expect_match "$status" 'Version \.+: 3\.4' "version"
expect_match "$status" 'PIN retry counter : 3 0 3' "retry counters"
expect_match "$status" 'Key attributes \.+: rsa2048 rsa2048 rsa2048' "factory key attributes"
expect_match "$status" 'Signature key \.+: \[none\]' "no keys yet"
serial=$(printf '%s\n' "$status" | sed -n 's/^Serial number \.*: //p')

# --- Ed25519 / cv25519 generated on the card ---
card_edit cardedit.prompt=admin cardedit.prompt=key-attr \
	cardedit.genkeys.algo=2 keygen.curve=1 cardedit.genkeys.algo=2 keygen.curve=1 \
	cardedit.genkeys.algo=2 keygen.curve=1 \
	cardedit.prompt=generate cardedit.genkeys.backup_enc=n keygen.valid=0 \
	keygen.name="Sim Card" keygen.email=sim@example.org keygen.comment= \
	cardedit.prompt=quit 2> "$SKNS_LOG/cardedit-25519.log" \
	|| { cat "$SKNS_LOG/cardedit-25519.log" >&2; fail "card-edit 25519 generation failed"; }
status=$(gpg --card-status 2>&1)
note "$status"
expect_match "$status" 'Key attributes \.+: ed25519 cv25519 ed25519' "25519 attributes"
expect_match "$status" 'Signature key \.+: [0-9A-F]{4} ' "signature key fingerprint"
expect_match "$status" 'Encryption key\.+: [0-9A-F]{4} ' "encryption key fingerprint"
expect_match "$status" 'Authentication key: [0-9A-F]{4} ' "authentication key fingerprint"
expect_match "$status" 'card-no: [0-9A-F]{4} ' "secret key stub on card"
gpg --list-keys sim@example.org | grep_all ed25519 || fail "the generated public key is not ed25519"
counter0=$(printf '%s\n' "$status" | sed -n 's/^Signature counter : //p')

echo "signed by the simulated card" > msg.txt
gpg --batch --yes -u sim@example.org --sign -o msg.sig msg.txt 2> "$SKNS_LOG/sign.log" \
	|| { cat "$SKNS_LOG/sign.log" >&2; fail "gpg --sign with the card failed"; }
out=$(gpg --verify msg.sig 2>&1) || fail "gpg --verify rejected the card's Ed25519 signature: $out"
expect_match "$out" 'Good signature from "Sim Card <sim@example.org>"' "good signature"
# a tampered signature must not verify (the check above could fail)
cp msg.sig bad.sig
printf '\x00' | dd of=bad.sig bs=1 seek=$(( $(stat -c %s bad.sig) - 5 )) conv=notrunc 2>/dev/null
gpg --verify bad.sig >/dev/null 2>&1 && fail "a corrupted signature verified"
counter1=$(gpg --card-status 2>/dev/null | sed -n 's/^Signature counter : //p')
expect_eq "$counter1" "$(( counter0 + 1 ))" "signature counter after one signature"

gpg --batch --yes --trust-model always -r sim@example.org -e -o msg.gpg msg.txt \
	|| fail "encrypting to the card key failed"
dec=$(gpg --batch -d msg.gpg 2> "$SKNS_LOG/decrypt.log") \
	|| { cat "$SKNS_LOG/decrypt.log" >&2; fail "cv25519 decryption through the card failed"; }
expect_eq "$dec" "signed by the simulated card" "decrypted text"

# --- RSA-2048 generated on the card (replacing the 25519 keys) ---
card_edit cardedit.prompt=admin cardedit.prompt=key-attr \
	cardedit.genkeys.algo=1 cardedit.genkeys.size=2048 cardedit.genkeys.algo=1 \
	cardedit.genkeys.size=2048 cardedit.genkeys.algo=1 cardedit.genkeys.size=2048 \
	cardedit.prompt=generate cardedit.genkeys.backup_enc=n cardedit.genkeys.replace_keys=y \
	keygen.valid=0 keygen.name="Sim RSA" keygen.email=rsa@example.org keygen.comment= \
	cardedit.prompt=quit 2> "$SKNS_LOG/cardedit-rsa.log" \
	|| { cat "$SKNS_LOG/cardedit-rsa.log" >&2; fail "card-edit RSA generation failed"; }
status=$(gpg --card-status 2>&1)
expect_match "$status" 'Key attributes \.+: rsa2048 rsa2048 rsa2048' "RSA attributes"
gpg --list-keys rsa@example.org | grep_all 'rsa2048' || fail "the generated public key is not rsa2048"
gpg --batch --yes -u rsa@example.org --sign -o rsa.sig msg.txt 2> "$SKNS_LOG/sign-rsa.log" \
	|| { cat "$SKNS_LOG/sign-rsa.log" >&2; fail "RSA signature with the card failed"; }
out=$(gpg --verify rsa.sig 2>&1) || fail "gpg --verify rejected the card's RSA signature: $out"
expect_match "$out" 'Good signature from "Sim RSA <rsa@example.org>"' "good RSA signature"
gpg --batch --yes --trust-model always -r rsa@example.org -e -o rsa.gpg msg.txt \
	|| fail "encrypting to the RSA card key failed"
dec=$(gpg --batch -d rsa.gpg 2>/dev/null) || fail "RSA decryption through the card failed"
expect_eq "$dec" "signed by the simulated card" "RSA-decrypted text"

# --- NIST P-384 generated on the card: ECDSA signatures, ECDH (the card answers the x-coordinate) ---
card_edit cardedit.prompt=admin cardedit.prompt=key-attr \
	cardedit.genkeys.algo=2 keygen.curve=4 cardedit.genkeys.algo=2 keygen.curve=4 \
	cardedit.genkeys.algo=2 keygen.curve=4 \
	cardedit.prompt=generate cardedit.genkeys.backup_enc=n cardedit.genkeys.replace_keys=y \
	keygen.valid=0 keygen.name="Sim NIST" keygen.email=nist@example.org keygen.comment= \
	cardedit.prompt=quit 2> "$SKNS_LOG/cardedit-p384.log" \
	|| { cat "$SKNS_LOG/cardedit-p384.log" >&2; fail "card-edit P-384 generation failed"; }
status=$(gpg --card-status 2>&1)
expect_match "$status" 'Key attributes \.+: nistp384 nistp384 nistp384' "P-384 attributes"
gpg --batch --yes -u nist@example.org --sign -o p384.sig msg.txt 2> "$SKNS_LOG/sign-p384.log" \
	|| { cat "$SKNS_LOG/sign-p384.log" >&2; fail "P-384 signature with the card failed"; }
out=$(gpg --verify p384.sig 2>&1) || fail "gpg --verify rejected the card's ECDSA signature: $out"
expect_match "$out" 'Good signature from "Sim NIST <nist@example.org>"' "good P-384 signature"
gpg --batch --yes --trust-model always -r nist@example.org -e -o p384.gpg msg.txt \
	|| fail "encrypting to the P-384 card key failed"
dec=$(gpg --batch -d p384.gpg 2>"$SKNS_LOG/decrypt-p384.log") \
	|| { cat "$SKNS_LOG/decrypt-p384.log" >&2; fail "P-384 ECDH decryption through the card failed"; }
expect_eq "$dec" "signed by the simulated card" "P-384-decrypted text"

# --- cardholder certificate (7F21) written and read back through gpg (large DO: extended
#     length or chaining) ---
openssl req -x509 -newkey rsa:2048 -nodes -keyout cert.key -subj /CN=sim-card -days 2 \
	-outform DER -out cert.der 2>/dev/null || fail "making a test certificate failed"
card_edit cardedit.prompt=admin cardedit.prompt="writecert 3 < $PWD/cert.der" \
	cardedit.prompt="readcert 3 > $PWD/cert.back" cardedit.prompt=quit \
	2> "$SKNS_LOG/cardedit-cert.log" \
	|| { cat "$SKNS_LOG/cardedit-cert.log" >&2; fail "card-edit writecert/readcert failed"; }
cmp -s cert.der cert.back || fail "certificate read back from the card differs"

# --- a wrong PIN costs one retry and gpg sees it in C4; the right one restores the counter ---
gpg-connect-agent 'scd apdu 00 20 00 82 06 39 39 39 39 39 39' /bye > "$SKNS_LOG/apdu.log" 2>&1 \
	|| fail "scd apdu failed"
out=$(gpg --card-status 2>&1) || fail "card-status after a wrong PIN failed: $out"
expect_match "$out" 'PIN retry counter : 2 0 3' "retry counter after one wrong PIN"
gpg-connect-agent 'scd apdu 00 20 00 82 06 31 32 33 34 35 36' /bye >> "$SKNS_LOG/apdu.log" 2>&1 \
	|| fail "scd apdu failed"
out=$(gpg --card-status 2>&1) || fail "card-status after the right PIN failed: $out"
expect_match "$out" 'PIN retry counter : 3 0 3' "retry counter restored by the right PIN"
expect_match "$out" "Serial number \.+: $serial" "same serial"

# --- KDF-DO (kdf-setup): gpg now sends salted, iterated hashes; the card compares those ---
card_edit cardedit.prompt=admin cardedit.prompt=kdf-setup cardedit.prompt=quit \
	2> "$SKNS_LOG/cardedit-kdf.log" \
	|| { cat "$SKNS_LOG/cardedit-kdf.log" >&2; fail "card-edit kdf-setup failed"; }
out=$(gpg --card-status 2>&1) || fail "card-status after kdf-setup failed: $out"
expect_match "$out" 'KDF setting \.+: on' "KDF on"
gpg --batch --yes -u nist@example.org --sign -o kdf.sig msg.txt 2> "$SKNS_LOG/sign-kdf.log" \
	|| { cat "$SKNS_LOG/sign-kdf.log" >&2; fail "signing with a KDF-hashed PIN failed"; }
out=$(gpg --verify kdf.sig 2>&1) || fail "gpg --verify rejected the signature made under KDF: $out"
# the plain PIN is no longer what the card holds
gpg-connect-agent 'scd apdu 00 20 00 82 06 31 32 33 34 35 36' /bye >> "$SKNS_LOG/apdu.log" 2>&1 \
	|| fail "scd apdu failed"
out=$(gpg --card-status 2>&1) || fail "card-status failed: $out"
expect_match "$out" 'PIN retry counter : 2 0 3' "plain PIN refused once KDF is on"

# --- factory-reset (gpg blocks both PINs, then TERMINATE DF + ACTIVATE FILE) ---
card_edit cardedit.prompt=admin cardedit.prompt=factory-reset cardedit.factory-reset.proceed=y \
	cardedit.factory-reset.really=yes cardedit.prompt=quit 2> "$SKNS_LOG/cardedit-reset.log" \
	|| { cat "$SKNS_LOG/cardedit-reset.log" >&2; fail "card-edit factory-reset failed"; }
out=$(gpg --card-status 2>&1) || fail "card-status after factory-reset failed: $out"
note "$out"
expect_match "$out" 'Signature key \.+: \[none\]' "keys gone after factory-reset"
expect_match "$out" 'KDF setting \.+: off' "KDF off after factory-reset"
expect_match "$out" 'PIN retry counter : 3 0 3' "fresh retry counters"
expect_match "$out" "Serial number \.+: $serial" "serial survives factory-reset"
note "sim_openpgp_gpg: all checks passed"
