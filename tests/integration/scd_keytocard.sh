#!/usr/bin/env bash
# gpg's keytocard through skinkey-scd (WRITEKEY): a software encryption subkey moves to the chip,
# card-status shows its fingerprint as GnuPG's scdaemon does, and the chip decrypts for it.
source "$SK_SRC/tests/lib/common.sh"
source "$SK_SRC/tests/integration/agent_lib.inc"
source "$SK_SRC/tests/integration/scd_lib.inc"
need gpg gpgconf script /usr/lib/gnupg/scdaemon
S=$SKNS_SCRATCH

use_skinkey
gpg --batch --pinentry-mode loopback --passphrase '' --quick-gen-key "Soft User <soft@example.org>" \
	rsa2048 sign,cert never 2>/dev/null || fail "software key"
fpr=$(gpg -K --with-colons | awk -F: '/^fpr/ {print $10; exit}')
gpg --batch --pinentry-mode loopback --passphrase '' --quick-add-key "$fpr" rsa2048 encr never \
	2>/dev/null || fail "software subkey"
subfpr=$(gpg -K --with-colons | awk -F: '/^fpr/ {n++; if (n == 2) {print $10; exit}}')
printf 'key 1\nkeytocard\n2\nsave\n' | timeout 120 script -qec \
	"gpg --no-batch --command-fd 0 --status-fd 1 --edit-key $fpr" /dev/null > "$SKNS_LOG/keytocard.txt" 2>&1 \
	|| fail "keytocard: $(tail -20 "$SKNS_LOG/keytocard.txt")"
expect_match "$(gpg -K)" 'ssb> +rsa2048' "subkey is now a card stub"
card_status "$S/cs.txt"
grep -q "Encryption key....: $(echo "$subfpr" | sed 's/\(....\)/\1 /g; s/ $//; s/\(.\{24\}\) /\1  /')" "$S/cs.txt" \
	|| fail "card-status does not show the moved key $subfpr: $(cat "$S/cs.txt")"
compare_with_gnupg keytocard

echo "moved to the implant" > "$S/plain"
gpg --batch --trust-model always --auto-key-locate local -e -r soft@example.org -o "$S/enc.gpg" "$S/plain" \
	|| fail "encrypt"
gpg --batch -d "$S/enc.gpg" > "$S/dec" 2> "$S/d.txt" || fail "decrypt on the chip: $(cat "$S/d.txt")"
cmp "$S/plain" "$S/dec" || fail "decrypted text differs"
gpgconf --kill gpg-agent
echo "scd_keytocard: ok"
