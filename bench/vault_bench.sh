#!/usr/bin/env bash
# vault_bench.sh — the DESFire vault's costs: APDUs and wall time for provisioning and for one
# fetch at 20 ms per APDU (NFC-like), host time per fetch with no added latency, and
# list/search times with 100,000 credentials (vault-bench, library level).
# A benchmark, not a test: it prints a table. Run as root from the source tree:
#   tests/lib/skns.sh build bench/vault_bench.sh [FETCHES]
set -euo pipefail
. "$SK_SRC/tests/lib/common.sh"
need skinkey-sim skinkeyd skinkey
# the simulated DESFire chips carry skinkey-sim's originality key, not NXP's
mkdir -p "$XDG_CONFIG_HOME/skinkey"
echo "vault-originality = sim" >> "$XDG_CONFIG_HOME/skinkey/skinkey.conf"
fetches=${1:-50}
latency=20

ms_now() { date +%s%3N; }
dfsim() { skinkey-sim ctl --card desfire "$@"; }
dfapdus() { dfsim stats | sed -n 's/^apdus=//p'; }
if ! dfsim status 2>/dev/null | grep -q '^present=1'; then
	skinkey-sim run --card desfire --state "$XDG_DATA_HOME/desfire.state" \
		>> "$SKNS_LOG/sim-desfire-vault.log" 2>&1 &
	wait_for 10 sh -c 'skinkey-sim ctl --card desfire status | grep -q "^present=1"' ||
		fail "DESFire simulator did not come up"
fi
skinkey vault list >/dev/null 2>&1 || true      # start skinkeyd outside the timings

# measure CMD...: runs CMD once after reset-stats; prints "apdus ms"
measure() {
	local t0 t1
	dfsim reset-stats >/dev/null
	t0=$(ms_now)
	"$@" >/dev/null 2>&1 || fail "benchmark step failed: $*"
	t1=$(ms_now)
	echo "$(dfapdus) $((t1 - t0))"
}

dfsim latency "$latency" >/dev/null
read -r prov_apdus prov_ms < <(measure skinkey vault init)
printf 'hunter2' | skinkey vault add bench.example me >/dev/null
read -r get_apdus get_ms < <(measure skinkey vault get bench.example me)
dfsim latency 0 >/dev/null
t0=$(ms_now)
for _ in $(seq "$fetches"); do skinkey vault get bench.example me >/dev/null; done
host_ms=$(( ($(ms_now) - t0) / fetches ))

printf '%-44s %8s %10s\n' "operation" "APDUs" "ms"
printf '%-44s %8s %10s\n' "provision fresh chip (20 ms/APDU)" "$prov_apdus" "$prov_ms"
printf '%-44s %8s %10s\n' "one fetch, CLI -> daemon -> chip (20 ms/APDU)" "$get_apdus" "$get_ms"
printf '%-44s %8s %10s\n' "one fetch, host time (0 ms/APDU, avg of $fetches)" 4 "$host_ms"
echo
echo "library level, 100,000 credentials:"
"$SK_BUILD/vault/vault-bench" 100000 | sed 's/^/  /'
