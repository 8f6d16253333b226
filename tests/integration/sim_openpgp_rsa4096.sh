# sim_openpgp_rsa4096.sh — RSA-4096 on the simulated OpenPGP card through GnuPG's scdaemon: on-card
# generation (a 512-byte modulus in 7F49), 512-byte signatures and 513-byte PSO:DECIPHER commands
# (extended length or chaining plus GET RESPONSE through the real pcscd/vpcd path).
source "$SK_SRC/tests/lib/common.sh"
need gpg gpgconf gpg-connect-agent openssl cmp /usr/bin/python3

source "$SK_SRC/tests/lib/gnupg_scd.sh"

card_edit cardedit.prompt=admin cardedit.prompt=key-attr \
	cardedit.genkeys.algo=1 cardedit.genkeys.size=4096 cardedit.genkeys.algo=1 \
	cardedit.genkeys.size=4096 cardedit.genkeys.algo=1 cardedit.genkeys.size=4096 \
	cardedit.prompt=generate cardedit.genkeys.backup_enc=n \
	keygen.valid=0 keygen.name="Sim Big" keygen.email=big@example.org keygen.comment= \
	cardedit.prompt=quit 2> "$SKNS_LOG/cardedit-4096.log" \
	|| { cat "$SKNS_LOG/cardedit-4096.log" >&2; fail "card-edit RSA-4096 generation failed"; }
status=$(gpg --card-status 2>&1)
note "$status"
expect_match "$status" 'Key attributes \.+: rsa4096 rsa4096 rsa4096' "RSA-4096 attributes"
gpg --list-keys big@example.org | grep_all 'rsa4096' || fail "the generated public key is not rsa4096"
echo "four kilobit" > msg.txt
gpg --batch --yes -u big@example.org --sign -o big.sig msg.txt 2> "$SKNS_LOG/sign.log" \
	|| { cat "$SKNS_LOG/sign.log" >&2; fail "RSA-4096 signature with the card failed"; }
out=$(gpg --verify big.sig 2>&1) || fail "gpg --verify rejected the card's RSA-4096 signature: $out"
expect_match "$out" 'Good signature from "Sim Big <big@example.org>"' "good RSA-4096 signature"
gpg --batch --yes --trust-model always -r big@example.org -e -o big.gpg msg.txt \
	|| fail "encrypting to the RSA-4096 card key failed"
dec=$(gpg --batch -d big.gpg 2> "$SKNS_LOG/decrypt.log") \
	|| { cat "$SKNS_LOG/decrypt.log" >&2; fail "RSA-4096 decryption through the card failed"; }
expect_eq "$dec" "four kilobit" "decrypted text"
note "sim_openpgp_rsa4096: all checks passed"
