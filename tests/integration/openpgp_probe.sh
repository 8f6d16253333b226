#!/usr/bin/env bash
# openpgp_probe.sh — libskopenpgp against the simulated OpenPGP card through the real pcscd:
# application data, PIN handling (a wrong PIN costs exactly one retry, a short PIN none, a
# good PIN restores the counter), on-card P-256 / Ed25519 / X25519 generation with the
# fingerprint written back, signatures and ECDH checked with OpenSSL.
source "$SK_SRC/tests/lib/common.sh"
probe=$SK_BUILD/openpgp/sk-opgp-probe
[ -x "$probe" ] || fail "required tool missing: $probe"
need skinkey-sim

val() { printf '%s\n' "$1" | sed -n "s/^$2=//p"; }

info=$($probe info) || fail "info: $info"
expect_eq "$(val "$info" version)" "3.4" "applet version"
expect_eq "$(val "$info" pw1_tries)" 3 "fresh PW1 counter"
expect_eq "$(val "$info" pw3_tries)" 3 "fresh PW3 counter"
expect_match "$(val "$info" serial)" '^[0-9A-F]{8}$' "serial"
expect_eq "$(val "$info" fpr1)" "0000000000000000000000000000000000000000" "no SIG key yet"

# A short PIN never reaches the card: no APDU after the PIN check, the counter untouched.
sim reset-stats >/dev/null
out=$($probe verify 81 12345) && fail "short PIN accepted"
expect_eq "$(val "$out" err)" PIN_FORMAT "short PIN refused locally"
expect_eq "$(sim_apdus)" 0 "no APDU for a short PIN"

# A wrong PIN costs exactly one retry and VERIFY is not re-sent.
sim reset-stats >/dev/null
out=$($probe verify 81 000000) && fail "wrong PIN accepted"
expect_eq "$(val "$out" err)" PIN_WRONG "wrong PIN"
expect_eq "$(val "$out" tries)" 2 "one retry used"
n=$(sim_apdus)
[ "$n" -le 4 ] || fail "wrong PIN took $n APDUs (SELECT, C4, F9, VERIFY expected)"
expect_eq "$(val "$($probe info)" pw1_tries)" 2 "counter on the card after one wrong PIN"

out=$($probe verify 81 123456) || fail "good PIN refused: $out"
expect_eq "$(val "$($probe info)" pw1_tries)" 3 "counter restored by a good PIN"

out=$($probe keys) || fail "key generation / operations: $out"
printf '%s\n' "$out" >&2
expect_eq "$(val "$out" extended)" 1 "extended length APDUs in use (7F66)"
for k in p256_sign ed25519_auth x25519_ecdh p256_ecdh; do
	expect_eq "$(val "$out" $k)" ok "$k"
done
info=$($probe info) || fail "info after keygen: $info"
expect_eq "$(val "$info" fpr1)" "$(val "$out" sig_fpr)" "SIG fingerprint on the card"
expect_eq "$(val "$info" fpr3)" "$(val "$out" aut_fpr)" "AUT fingerprint on the card"
expect_eq "$(val "$info" time1)" 1577836800 "SIG generation time"
[ "$(val "$info" sig_counter)" -ge 1 ] || fail "signature counter did not move"
echo ok
