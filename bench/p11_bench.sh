#!/usr/bin/env bash
# p11_bench.sh — APDUs and wall time per PKCS#11 operation through skinkey-pkcs11.so, on the
# simulated chip at 20 ms per APDU: listing (cache, no chip), login, ECDSA sign (P-256 AUT),
# RSA-2048 sign (SIG), HMAC-SHA1; and the same sign through OpenSC's opensc-pkcs11.so when it
# is installed, for comparison. A benchmark, not a test: it prints a table.
#   tests/lib/skns.sh build bench/p11_bench.sh [RUNS]
set -euo pipefail
source "$SK_SRC/pkcs11/itest_lib.sh"
runs=${1:-5}
mkdir -p "$SKNS_SCRATCH/p11bench" && cd "$SKNS_SCRATCH/p11bench"
p11_tokens
p11 --token-label "$PGP" --login --login-type so --so-pin 12345678 --keypairgen \
	--key-type EC:prime256v1 --id 03 >/dev/null 2>&1
p11 --token-label "$PGP" --login --login-type so --so-pin 12345678 --keypairgen \
	--key-type rsa:2048 --id 01 >/dev/null 2>&1
p11tool --provider "$SO" --write --secret-key 0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b \
	--label "HMAC slot 1" "pkcs11:token=$(printf '%s' "$HMAC" | sed 's/ /%20/g')" >/dev/null 2>&1
head -c 32 /dev/urandom > h
printf 'challenge' > c
sim latency 20 >/dev/null

ms_now() { date +%s%3N; }
measure() {  # label cmd...
	local label=$1 i t0 t1 a=0 ms=0
	shift
	for i in $(seq "$runs"); do
		sim reset-stats >/dev/null
		t0=$(ms_now)
		"$@" >/dev/null 2>&1 || { printf '%-34s FAILED\n' "$label"; return 0; }
		t1=$(ms_now)
		a=$((a + $(sim_apdus)))
		ms=$((ms + t1 - t0))
	done
	printf '%-34s %6d apdus %8d ms\n' "$label" $((a / runs)) $((ms / runs))
}
echo "== skinkey-pkcs11.so, 20 ms/APDU, mean of $runs"
measure "list objects (cache)" p11 --token-label "$PGP" -O
measure "ssh-keygen -D (cache)" ssh-keygen -D "$SO"
measure "login + ECDSA P-256 sign" p11 --token-label "$PGP" --login --pin 123456 --sign \
	-m ECDSA --id 03 -i h -o s
measure "login + SHA256-RSA-PKCS sign" p11 --token-label "$PGP" --login --pin 123456 --sign \
	-m SHA256-RSA-PKCS --id 01 -i h -o s
measure "HMAC-SHA1 (slot 1)" p11 --token-label "$HMAC" --sign -m SHA-1-HMAC --id 01 -i c -o s
opensc=/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so
if [ -f "$opensc" ]; then
	echo "== opensc-pkcs11.so (reads the card itself)"
	measure "list objects" pkcs11-tool --module "$opensc" -O
	measure "login + ECDSA P-256 sign" pkcs11-tool --module "$opensc" --login --pin 123456 \
		--sign -m ECDSA --id 03 -i h -o s
fi
