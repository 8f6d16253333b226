#!/usr/bin/env bash
# Cold paths count APDUs (issue 9): with skinkeyd freshly started on a chip it has cached,
# `gpg --card-status` takes at most 8 APDUs, the first `gpg --sign` at most 4, `ssh-keygen -D`
# through skinkey-pkcs11.so at most 8; the PIN rules still hold (one SELECT before the VERIFY in
# the same transaction: the simulator's trace shows the order).
source "$SK_SRC/tests/lib/common.sh"
source "$SK_SRC/tests/integration/agent_lib.inc"
source "$SK_SRC/tests/lib/gpgcard.sh"
need gpg gpgconf ssh-keygen pkcs11-tool skinkey-sim
SO=$SK_BUILD/pkcs11/skinkey-pkcs11.so
S=$SKNS_SCRATCH

gpgcard_setup_agent
gpgcard_generate_ed25519 "Cold Path" "cold@example.org"
# a P-256 authentication key (OpenSSH lists no Ed25519 through PKCS#11)
out=$(pkcs11-tool --module "$SO" --login --login-type so --so-pin 12345678 --keypairgen \
	--key-type EC:prime256v1 --id 03 2>&1) || fail "P-256 key generation: $out"
echo hello > "$S/msg"
cold() { gpgconf --kill gpg-agent; skd_kill; sim reset-stats > /dev/null; }
at_most() {  # LIMIT WHAT
	local n; n=$(sim_apdus)
	note "$2: $n APDUs"
	[ -n "$n" ] && [ "$n" -le "$1" ] || fail "$2 took $n APDUs (at most $1)"
}

cold
out=$(gpg --card-status 2>&1) || fail "gpg --card-status: $out"
at_most 8 "gpg --card-status, skinkeyd fresh"
expect_match "$out" "Signature key \.+: [0-9A-F ]{40,}" "card-status shows the key"
expect_match "$out" "Name of cardholder: Cold Path|Name of cardholder: \[not set\]" "cardholder"
sim reset-stats > /dev/null
gpg --card-status > /dev/null 2>&1 || fail "warm card-status"
at_most 0 "gpg --card-status, warm"

sim trace on > /dev/null
sim reset-stats > /dev/null
: > "$S/before"; cp "$SKNS_LOG/sim-flexsecure.log" "$S/before" 2>/dev/null || true
gpg --batch --yes -u cold@example.org -o "$S/msg.sig" --sign "$S/msg" > /dev/null 2>&1 || fail "gpg --sign"
at_most 4 "first gpg --sign"
gpg --verify "$S/msg.sig" > /dev/null 2>&1 || fail "the signature does not verify"
# the PIN-bearing VERIFY comes after a SELECT of the OpenPGP applet
tr=$(tail -c +$(( $(stat -c %s "$S/before") + 1 )) "$SKNS_LOG/sim-flexsecure.log" | grep -a '> ' | sed 's/.*> //')
note "$tr"
first=$(head -1 <<< "$tr")
expect_match "$first" '^00 A4 04 00 06 D2 76 00 01 24 01' "the sign transaction starts with SELECT"
expect_match "$tr" '00 20 00 81' "a VERIFY was sent"
sim trace off > /dev/null

cold
keys=$(ssh-keygen -D "$SO" 2>&1) || fail "ssh-keygen -D: $keys"
at_most 8 "ssh-keygen -D, skinkeyd fresh"
expect_match "$keys" '^ecdsa-sha2-nistp256 ' "the card's authentication key listed"
echo "scd_coldpath: ok"
