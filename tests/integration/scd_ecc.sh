#!/usr/bin/env bash
# gpg with skinkey-scd on Ed25519 / Curve25519 keys: key attributes changed through gpg-agent
# (SCD SETATTR KEY-ATTR, as --card-edit key-attr does), on-card generation, EdDSA signature,
# ECDH (X25519) decryption; card-status identical to GnuPG's scdaemon.
source "$SK_SRC/tests/lib/common.sh"
source "$SK_SRC/tests/integration/agent_lib.inc"
source "$SK_SRC/tests/integration/scd_lib.inc"
need gpg gpgconf gpg-connect-agent script /usr/lib/gnupg/scdaemon
S=$SKNS_SCRATCH

use_skinkey
for attr in "1 22 ed25519" "2 18 cv25519" "3 22 ed25519"; do
	out=$(gpg-connect-agent "SCD SETATTR KEY-ATTR --force $attr" /bye 2>&1)
	expect_match "$out" '^OK' "SETATTR KEY-ATTR $attr"
done
card_status "$S/attrs.txt"
expect_match "$(cat "$S/attrs.txt")" 'Key attributes \.\.\.: ed25519 cv25519 ed25519' "ECC attributes"
compare_with_gnupg ecc-attrs

card_edit 'admin\ngenerate\nn\n0\nEcc User\necc@example.org\n\nquit\n' > "$SKNS_LOG/cardedit.txt" 2>&1 \
	|| fail "gpg --card-edit generate failed"
grep -q 'KEY_CREATED B' "$SKNS_LOG/cardedit.txt" || fail "no KEY_CREATED: $(tail -20 "$SKNS_LOG/cardedit.txt")"
expect_match "$(gpg -K)" 'ed25519' "EdDSA primary key"
expect_match "$(gpg -K)" 'cv25519 [0-9-]+ \[E\]' "ECDH subkey for encryption"
expect_match "$(gpg -K)" 'ed25519 [0-9-]+ \[A\]' "EdDSA subkey for authentication"
compare_with_gnupg ecc-keys

echo "signed with an implant's ed25519 key" > "$S/msg"
gpg --batch -u ecc@example.org --sign -o "$S/msg.gpg" "$S/msg" || fail "EdDSA sign"
gpg --verify "$S/msg.gpg" 2> "$S/v.txt" || fail "verify: $(cat "$S/v.txt")"
expect_match "$(cat "$S/v.txt")" 'Good signature from "Ecc User' "good EdDSA signature"

echo "for X25519" > "$S/plain"
gpg --batch --trust-model always --auto-key-locate local -e -r ecc@example.org -o "$S/enc.gpg" "$S/plain" \
	|| fail "encrypt to cv25519"
gpg --batch -d "$S/enc.gpg" > "$S/dec" 2>"$S/d.txt" || fail "ECDH decrypt: $(cat "$S/d.txt")"
cmp "$S/plain" "$S/dec" || fail "decrypted text differs"
gpgconf --kill gpg-agent
echo "scd_ecc: ok"
