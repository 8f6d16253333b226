# gpgcard.sh — sourced by tests and the demo: drive stock gpg against the (simulated) card.
# GPGCARD_SCD=gnupg uses GnuPG's own scdaemon instead of skinkey-scd (fidelity comparisons).

gpgcard_setup_agent() {
	mkdir -p -m 700 "$GNUPGHOME"
	printf 'user=123456\nadmin=12345678\n' > "$HOME/.test-pins"
	{
		echo "pinentry-program $SK_SRC/tests/lib/pinentry-test"
		echo "allow-loopback-pinentry"
		if [ "${GPGCARD_SCD:-skinkey}" = skinkey ]; then
			echo "scdaemon-program $SK_BUILD/agent/skinkey-scd"
		fi
	} > "$GNUPGHOME/gpg-agent.conf"
	if [ "${GPGCARD_SCD:-skinkey}" = gnupg ]; then
		# the namespace's pcscd; no internal CCID driver (it would look for USB readers)
		echo "disable-ccid" > "$GNUPGHOME/scdaemon.conf"
	fi
	echo "no-autostart" >/dev/null
	gpgconf --kill gpg-agent 2>/dev/null || true
}

# Answers gpg --card-edit prompts line by line (GET_LINE/GET_BOOL order of gpg 2.2.40).
_gpgcard_edit() {
	gpg --no-tty --command-fd 0 --status-fd 2 --pinentry-mode ask --card-edit \
		2> "$SKNS_LOG/gpg-card-edit.status"
}

# Set all three key attributes to ECC/Curve 25519 and generate on the card.
gpgcard_generate_ed25519() {
	local name=$1 email=$2
	printf '%s\n' admin key-attr 2 1 2 1 2 1 generate n 0 "$name" "$email" "" quit | _gpgcard_edit \
		> "$SKNS_LOG/gpg-card-edit.out" || {
		cat "$SKNS_LOG/gpg-card-edit.status" >&2
		fail "gpg --card-edit generate (Ed25519/cv25519) failed"
	}
	gpg --list-secret-keys "$email" >/dev/null || fail "no secret key stub for $email after generate"
}

# RSA-2048 on the card.
gpgcard_generate_rsa2048() {
	local name=$1 email=$2
	printf '%s\n' admin key-attr 1 2048 1 2048 1 2048 generate n 0 "$name" "$email" "" quit | _gpgcard_edit \
		> "$SKNS_LOG/gpg-card-edit.out" || {
		cat "$SKNS_LOG/gpg-card-edit.status" >&2
		fail "gpg --card-edit generate (RSA-2048) failed"
	}
	gpg --list-secret-keys "$email" >/dev/null || fail "no secret key stub for $email after generate"
}

# Fingerprint of the signature key on the card.
gpgcard_sig_fpr() {
	gpg --with-colons --card-status | awk -F: '$1 == "fpr" { print $2; exit }'
}
