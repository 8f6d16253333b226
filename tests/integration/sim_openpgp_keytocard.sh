# sim_openpgp_keytocard.sh — key import (PUT DATA 4D) into the simulated OpenPGP card by GnuPG's
# own keytocard: an Ed25519 primary key to the signature slot, a cv25519 subkey to the
# decryption slot and an RSA-2048 subkey to the authentication slot; then the card signs and
# decrypts with the imported keys and stock gpg agrees.
source "$SK_SRC/tests/lib/common.sh"
need gpg gpgconf gpg-connect-agent openssl ssh-keygen /usr/bin/python3

source "$SK_SRC/tests/lib/gnupg_scd.sh"

gpg --batch --passphrase '' --quick-gen-key 'Imported <imp@example.org>' ed25519 sign,cert never \
	2> "$SKNS_LOG/keygen.log" || fail "local ed25519 key generation failed"
fpr=$(gpg --with-colons --list-keys imp@example.org | awk -F: '/^fpr/ {print $10; exit}')
gpg --batch --passphrase '' --quick-add-key "$fpr" cv25519 encr never || fail "adding cv25519 failed"
gpg --batch --passphrase '' --quick-add-key "$fpr" rsa2048 auth never || fail "adding rsa2048 failed"

# subkey 1 (cv25519) -> slot 2, subkey 2 (rsa2048, auth) -> slot 3, primary -> slot 1
edit_key "$fpr" keyedit.prompt="key 1" keyedit.prompt=keytocard cardedit.genkeys.storekeytype=2 \
	keyedit.prompt="key 1" keyedit.prompt="key 2" keyedit.prompt=keytocard \
	cardedit.genkeys.storekeytype=3 keyedit.prompt="key 2" keyedit.prompt=keytocard \
	keyedit.keytocard.use_primary=y cardedit.genkeys.storekeytype=1 keyedit.prompt=save \
	2> "$SKNS_LOG/keytocard.log" \
	|| { cat "$SKNS_LOG/keytocard.log" >&2; fail "keytocard failed"; }

status=$(gpg --card-status 2>&1) || fail "card-status failed: $status"
note "$status"
expect_match "$status" 'Key attributes \.+: ed25519 cv25519 rsa2048' "attributes follow the imported keys"
expect_match "$status" 'card-no: [0-9A-F]{4} ' "secret keys now on the card"
# the card's key information DO (DE) says "imported" (02) for all three
info=$(gpg-connect-agent --hex 'scd apdu 00 CA 00 DE 00' /bye 2>&1) || fail "scd apdu failed: $info"
note "$info"
expect_match "$info" '01 02 02 02 03 02 90 00' "key information: all three imported"

echo "imported keys at work" > msg.txt
gpg --batch --yes -u imp@example.org --sign -o msg.sig msg.txt 2> "$SKNS_LOG/sign.log" \
	|| { cat "$SKNS_LOG/sign.log" >&2; fail "signing with the imported Ed25519 key failed"; }
out=$(gpg --verify msg.sig 2>&1) || fail "gpg --verify rejected the signature: $out"
expect_match "$out" 'Good signature from "Imported <imp@example.org>"' "good signature"
gpg --batch --yes --trust-model always -r imp@example.org -e -o msg.gpg msg.txt \
	|| fail "encrypting to the imported key failed"
dec=$(gpg --batch -d msg.gpg 2> "$SKNS_LOG/decrypt.log") \
	|| { cat "$SKNS_LOG/decrypt.log" >&2; fail "decryption with the imported cv25519 key failed"; }
expect_eq "$dec" "imported keys at work" "decrypted text"
# authentication with the imported RSA key: gpg-agent signs through scdaemon (INTERNAL AUTHENTICATE)
grip=$(gpg --with-colons --with-keygrip --list-keys imp@example.org \
	| awk -F: '/^sub/ {auth = ($12 ~ /a/)} /^grp/ && auth {print $10; exit}')
[ -n "$grip" ] || fail "no keygrip for the authentication subkey"
printf 'challenge' | openssl dgst -sha256 -binary > chal.sha256
sha=$(od -An -tx1 chal.sha256 | tr -d ' \n')
before=$(sim_apdus)
gpg-connect-agent --hex "SIGKEY $grip" "SETHASH --hash=sha256 $sha" "PKSIGN" /bye > pksign.hex 2>&1 \
	|| fail "PKSIGN through gpg-agent failed"
after=$(sim_apdus)
[ "$after" -gt "$before" ] || fail "PKSIGN did not reach the card ($before -> $after APDUs)"
# the signature s from the agent's S-expression, checked against the exported public key
/usr/bin/python3 - pksign.hex auth.sig <<'EOF2'
import re, sys, urllib.parse
raw = bytearray()
for line in open(sys.argv[1]):
    m = re.match(r'D\[[0-9A-F]{4}\]  ((?:[0-9A-F]{2} {1,2})+)', line)
    if m:
        raw += bytes.fromhex(m.group(1).replace(' ', ''))
raw = bytes(raw)
# Assuan D lines percent-escape %, CR and LF
raw = re.sub(rb'%([0-9A-F]{2})', lambda m: bytes([int(m.group(1), 16)]), raw)
i = raw.find(b'(1:s')
if i < 0:
    sys.exit('no s-value in the PKSIGN answer')
j = raw.index(b':', i + 4)
n = int(raw[i + 4:j])
sig = raw[j + 1:j + 1 + n].lstrip(b'\0')
open(sys.argv[2], 'wb').write(sig.rjust(256, b'\0'))
EOF2
[ $? -eq 0 ] || fail "could not parse the PKSIGN answer"
gpg --export-ssh-key "$fpr" > auth.pub 2>/dev/null || gpg --export-ssh-key "imp@example.org" > auth.pub \
	|| fail "exporting the authentication key failed"
ssh-keygen -e -m PKCS8 -f auth.pub > auth.pem || fail "converting the ssh public key failed"
openssl pkeyutl -verify -pubin -inkey auth.pem -pkeyopt digest:sha256 -in chal.sha256 \
	-sigfile auth.sig > /dev/null || fail "the card's INTERNAL AUTHENTICATE signature does not verify"
note "sim_openpgp_keytocard: all checks passed"
