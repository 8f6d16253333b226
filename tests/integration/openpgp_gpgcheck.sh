#!/usr/bin/env bash
# openpgp_gpgcheck.sh — what libskopenpgp writes to a card is what GnuPG expects: after
# sk-opgp-probe generates keys (P-256 SIG, Ed25519 AUT, then P-256 ECDH DEC), GnuPG's own
# scdaemon reads the same fingerprints, creation times and algorithm attributes, and derives a
# keygrip from each public key the card returns. (gpg's own fingerprint computation is
# compared with skinkey's in openpgp/test_opgp_key.c, on keys gpg 2.2.40 made.)
source "$SK_SRC/tests/lib/common.sh"
probe=$SK_BUILD/openpgp/sk-opgp-probe
[ -x "$probe" ] || fail "required tool missing: $probe"
need gpg gpgconf /usr/bin/python3 skinkey-sim

cat > "$GNUPGHOME/scdaemon.conf" <<EOF2
disable-ccid
reader-port $SK_READER0
EOF2
val() { printf '%s\n' "$1" | sed -n "s/^$2=//p"; }
spaced() {  # gpg's layout: 5 groups of 4, two spaces, 5 groups of 4
	local a b
	a=$(printf '%s' "${1:0:20}" | sed 's/..../& /g; s/ $//')
	b=$(printf '%s' "${1:20:20}" | sed 's/..../& /g; s/ $//')
	printf '%s  %s' "$a" "$b"
}

out=$($probe keys) || fail "probe keys: $out"
sig=$(val "$out" sig_fpr); aut=$(val "$out" aut_fpr)
dec=$(printf '%s\n' "$out" | sed -n 's/^dec_fpr=//p' | tail -n 1)   # the P-256 ECDH key

status=$(gpg --card-status --with-keygrip 2>&1) || fail "gpg --card-status: $status"
expect_match "$status" "Key attributes \.+: nistp256 nistp256 ed25519" "attributes as GnuPG sees them"
expect_match "$status" "Signature key \.+: $(spaced "$sig")" "SIG fingerprint as GnuPG reads it"
expect_match "$status" "Encryption key\.+: $(spaced "$dec")" "DEC fingerprint as GnuPG reads it"
expect_match "$status" "Authentication key: $(spaced "$aut")" "AUT fingerprint as GnuPG reads it"
expect_match "$status" "created \.+: 2020-01-01 00:00:00" "generation time"
grips=$(printf '%s\n' "$status" | grep -c '^ *keygrip \.*: [0-9A-F]\{40\}$' || true)
expect_eq "$grips" 3 "GnuPG derives a keygrip from each public key the card returns"
echo ok
