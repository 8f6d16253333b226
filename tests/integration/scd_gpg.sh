#!/usr/bin/env bash
# Stock gpg 2.2 with `scdaemon-program skinkey-scd`: gpg --card-status shows what GnuPG's own
# scdaemon shows on the same simulated card (before and after key generation), key generation
# through --card-edit, a signature gpg --verify accepts, encrypt + decrypt, git commit -S +
# git verify-commit.
source "$SK_SRC/tests/lib/common.sh"
source "$SK_SRC/tests/integration/agent_lib.inc"
source "$SK_SRC/tests/integration/scd_lib.inc"
need gpg gpgconf gpg-connect-agent script git /usr/lib/gnupg/scdaemon
S=$SKNS_SCRATCH

compare_with_gnupg fresh
expect_match "$(cat "$S/ours-fresh.txt")" 'PIN retry counter : 3 0 3' "fresh counters"

use_skinkey
card_edit 'admin\ngenerate\nn\n0\nTest User\ntest@example.org\n\nquit\n' > "$SKNS_LOG/cardedit.txt" 2>&1 \
	|| fail "gpg --card-edit generate failed"
grep -q 'KEY_CREATED B' "$SKNS_LOG/cardedit.txt" || fail "no KEY_CREATED: $(tail -20 "$SKNS_LOG/cardedit.txt")"
keys=$(gpg -K --with-colons)
expect_match "$keys" '^sec>?:' "secret key listed"
[ "$(printf '%s\n' "$keys" | grep -c '^ssb')" = 2 ] || fail "expected 2 card subkeys: $keys"
expect_match "$(gpg -K)" 'Card serial no\. = FFFE' "keys are on the card"
expect_match "$(gpg -K)" 'rsa2048 [0-9-]+ \[A\]' "authentication subkey usage"
expect_match "$(gpg -K)" 'rsa2048 [0-9-]+ \[E\]' "encryption subkey usage"
compare_with_gnupg keys
expect_match "$(cat "$S/ours-keys.txt")" 'Signature key \.\.\.\.: [0-9A-F ]{40,}' "signature key fingerprint shown"

asked=$(grep -c '^GETPIN' "$SKNS_LOG/pinentry.log")
echo "skinkey signs this" > "$S/msg"
gpg --batch -u test@example.org --sign -o "$S/msg.gpg" "$S/msg" || fail "gpg --sign"
gpg --verify "$S/msg.gpg" 2> "$S/verify.txt" || fail "gpg --verify rejected: $(cat "$S/verify.txt")"
expect_match "$(cat "$S/verify.txt")" 'Good signature from "Test User' "good signature"
gpg --batch -u test@example.org --detach-sign --armor -o "$S/msg.asc" "$S/msg" || fail "detach-sign"
echo tampered >> "$S/msg"
if gpg --verify "$S/msg.asc" "$S/msg" 2>/dev/null; then fail "a tampered message verified"; fi

echo "secret for the implant" > "$S/plain"
gpg --batch --trust-model always --auto-key-locate local -e -r test@example.org -o "$S/enc.gpg" "$S/plain" \
	|| fail "encrypt"
gpg --batch -d "$S/enc.gpg" > "$S/dec" 2>/dev/null || fail "decrypt through the card"
cmp "$S/plain" "$S/dec" || fail "decrypted text differs"

# git commit -S / git verify-commit
fpr=$(gpg -K --with-colons | awk -F: '/^fpr/ {print $10; exit}')
git init -q "$S/repo"
cd "$S/repo"
git config user.name "Test User"; git config user.email test@example.org
git config user.signingkey "$fpr"
echo hi > f; git add f
git commit -q -S -m "signed by the implant" || fail "git commit -S"
git verify-commit HEAD 2> "$S/vc.txt" || fail "git verify-commit: $(cat "$S/vc.txt")"
expect_match "$(cat "$S/vc.txt")" 'Good signature' "git verify-commit good signature"
cd "$S"

# pin-cache = presence (default): the PIN entered once serves every later operation while the
# chip stays in the field, though the signature PIN is "forced" (verified before each PSO:CDS)
expect_eq "$(grep -c '^GETPIN' "$SKNS_LOG/pinentry.log")" "$asked" "PINs asked again after key generation"

# gpg-agent's extra connections go to the relay's own socket, relayed to the one daemon (scd_extra)
out=$(gpg-connect-agent 'SCD GETINFO socket_name' /bye)
expect_match "$out" "^D $XDG_RUNTIME_DIR/skinkey/S.scd.[0-9]+\$" "socket_name names the relay's socket"
gpgconf --kill gpg-agent
echo "scd_gpg: ok"
