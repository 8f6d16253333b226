# sim_openpgp_persist.sh — the OpenPGP applet's state survives a simulator restart: an Ed25519
# key generated on the card still signs (OpenSSL verifies), the retry counter and the signature
# counter keep their values, and the volatile PIN state does not survive.
source "$SK_SRC/tests/lib/common.sh"
need skinkey-sim openssl /usr/bin/python3 xxd

state=$SKNS_SCRATCH/data/flexsecure.state
sel=00A4040006D27600012401
hexs() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }
line() { printf '%s\n' "$1" | sed -n "${2}p"; }

# card_pub: raw Ed25519 public key from 47 81 (7F49 22 86 20 <32 bytes>)
pub_of() { printf '%s' "$1" | sed -n 's/^7F4922862\(0\)\([0-9A-F]\{64\}\) 9000$/\2/p'; }
# verify_ed25519 PUBHEX MSG SIGHEX
verify_ed25519() {
	{ printf '302a300506032b6570032100%s' "$1" | xxd -r -p; } > pub.der
	openssl pkey -pubin -inform DER -in pub.der -out pub.pem 2>/dev/null || return 1
	printf '%s' "$3" | xxd -r -p > sig.bin
	printf '%s' "$2" > msg.bin
	openssl pkeyutl -verify -pubin -inkey pub.pem -rawin -in msg.bin -sigfile sig.bin >/dev/null 2>&1
}

msg="persisted key signs"
out=$(apdu $sel 0020008308$(hexs 12345678) 00DA00C10A162B06010401DA470F01 0047800002B600 \
	0020008106$(hexs 123456) 002A9E9A$(printf '%02X' ${#msg})$(hexs "$msg") \
	0020008206$(hexs 999999)) || fail "APDUs before the restart failed: $out"
note "$out"
expect_eq "$(line "$out" 2)" "9000" "VERIFY PW3"
expect_eq "$(line "$out" 3)" "9000" "PUT DATA C1 (Ed25519)"
pub=$(pub_of "$(line "$out" 4)")
[ ${#pub} -eq 64 ] || fail "no Ed25519 public key from GENERATE: $(line "$out" 4)"
sig1=$(line "$out" 6 | sed -n 's/^\([0-9A-F]\{128\}\) 9000$/\1/p')
[ -n "$sig1" ] || fail "no signature: $(line "$out" 6)"
verify_ed25519 "$pub" "$msg" "$sig1" || fail "signature before the restart does not verify"
expect_eq "$(line "$out" 7)" "63C2" "wrong PW1"

sim quit >/dev/null
wait_for 60 sh -c '! skinkey-sim ctl status' || fail "simulator did not quit"
skinkey-sim run --card flexsecure --state "$state" >> "$SKNS_LOG/sim-restart.log" 2>&1 &
simpid=$!
trap 'kill $simpid 2>/dev/null || true' EXIT
sim_wait_present flexsecure || {
	# pcscd's vpcd driver sometimes misses a reconnect on the same port right after the old
	# connection closed (a simulator/vpcd issue reported to the sim owner): take the chip out of
	# the field and tap it again, as a user would
	note "restarted card not seen by pcscd; remove + tap"
	sim_out; sim_in
	sim_wait_present flexsecure || fail "restarted simulator not present: $(sim status 2>&1)"
}
wait_for 60 reader_has_card 0 || fail "pcscd does not see the restarted card"

out=$(apdu $sel 0047810002B600 00CA00C400 00CA009300 002A9E9A$(printf '%02X' ${#msg})$(hexs "$msg") \
	0020008106$(hexs 123456) 002A9E9A$(printf '%02X' ${#msg})$(hexs "$msg")) \
	|| fail "APDUs after the restart failed: $out"
note "$out"
expect_eq "$(pub_of "$(line "$out" 2)")" "$pub" "public key after the restart"
expect_eq "$(line "$out" 3)" "007F7F7F020003 9000" "PW status after the restart (PW1 2 tries)"
expect_eq "$(line "$out" 4)" "000001 9000" "signature counter after the restart"
expect_eq "$(line "$out" 5)" "6982" "PIN state is volatile"
expect_eq "$(line "$out" 6)" "9000" "VERIFY PW1 after the restart"
sig2=$(line "$out" 7 | sed -n 's/^\([0-9A-F]\{128\}\) 9000$/\1/p')
[ -n "$sig2" ] || fail "no signature after the restart: $(line "$out" 7)"
verify_ed25519 "$pub" "$msg" "$sig2" || fail "signature after the restart does not verify"
verify_ed25519 "$pub" "other message" "$sig2" && fail "signature verified over another message"
sim quit >/dev/null
wait "$simpid" || fail "simulator exit code $?"
note "sim_openpgp_persist: all checks passed"
