# itest_lib.sh — sourced by tests/integration/p11_*.sh (inside tests/lib/skns.sh).
source "$SK_SRC/tests/lib/common.sh"
need pkcs11-tool skinkey-sim
SO=$SK_BUILD/pkcs11/skinkey-pkcs11.so
[ -f "$SO" ] || fail "module not built: $SO"
p11() { pkcs11-tool --module "$SO" "$@"; }

# Waits for the (autostarted) daemon to know the chip; sets PGP, HMAC (token labels), CHIP.
p11_tokens() {
	# The first client autostarts skinkeyd: keep what it prints before detaching in the log.
	pkcs11-tool --module "$SO" -L >/dev/null 2>>"$SKNS_LOG/skinkeyd.log" || true
	wait_for 20 sh -c "pkcs11-tool --module '$SO' -L 2>/dev/null | grep -q ' OpenPGP'" ||
		fail "no OpenPGP token appeared: $(p11 -L 2>&1)"
	local l
	l=$(p11 -L 2>/dev/null)
	PGP=$(printf '%s\n' "$l" | sed -n 's/^ *token label *: *\(fs-[0-9a-f]* OpenPGP\).*/\1/p' | head -1)
	HMAC=$(printf '%s\n' "$l" | sed -n 's/^ *token label *: *\(fs-[0-9a-f]* HMAC\).*/\1/p' | head -1)
	CHIP=${PGP% OpenPGP}
	[ -n "$PGP" ] && [ -n "$HMAC" ] || fail "tokens missing: $l"
}

# On-card keys: RSA-2048 SIG (01), RSA-2048 DEC (02) unless $1 = ecdh (then P-256 DEC),
# P-256 AUT (03).
p11_keys() {
	local dec=${1:-rsa:2048} out
	for spec in "rsa:2048 01" "$dec 02" "EC:prime256v1 03"; do
		set -- $spec
		out=$(p11 --token-label "$PGP" --login --login-type so --so-pin 12345678 \
			--keypairgen --key-type "$1" --id "$2" 2>&1) || fail "keygen $spec: $out"
	done
}

# PW1 retry counter as the chip has it right now (read past the daemon).
pw1_tries() {
	"$SK_BUILD/openpgp/sk-opgp-probe" -r "$SK_READER0" info | sed -n 's/^pw1_tries=//p'
}

# One Assuan command to skinkeyd (no INQUIRE); prints its S/D lines.
skd() {
	/usr/bin/python3 - "$XDG_RUNTIME_DIR/skinkey/S.skinkeyd" "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile("rwb")
f.readline()
f.write(sys.argv[2].encode() + b"\n"); f.flush()
while True:
    l = f.readline().decode().rstrip("\n")
    if not l or l.startswith("OK") or l.startswith("ERR"):
        break
    print(l)
PY
}
# Waits until skinkeyd sees the chip in the field (1) or away (0).
skd_wait_present() {  # 0|1
	wait_for 10 sh -c "true; $(declare -f skd); skd CHIPS | grep -q '^S CHIP $CHIP $1 '" ||
		fail "skinkeyd did not see chip $CHIP with present=$1: $(skd CHIPS)"
}
