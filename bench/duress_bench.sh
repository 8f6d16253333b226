#!/usr/bin/env bash
# duress_bench.sh — what a DuressApplet unlock costs on the host path (libskduress through
# pcscd and vpcd to the simulator): APDUs and time of an unlock per context (primary, decoy,
# burn) and of a refused PIN, N unlocks each on one connection, with medians, means and the
# two-sample Kolmogorov–Smirnov statistic between contexts' times. A benchmark: it prints figures.
# Not measured yet (needs skinkeyd's duress unlock, issue 13): the first signature after an
# unlock, and the same against a chip without duress.
#   tests/lib/skns.sh build bench/duress_bench.sh [N]
set -euo pipefail
. "$SK_SRC/tests/lib/common.sh"
need /usr/bin/python3
n=${1:-200}
probe=$SK_BUILD/duress/sk-duress-probe
[ -x "$probe" ] || fail "required tool missing: $probe"
zero=$(printf '0%.0s' $(seq 64))
$probe setup "$zero" 111111 222222 333333 > /dev/null || fail "duress setup"

out=$SKNS_SCRATCH/duress-bench
mkdir -p "$out"
$probe times "$n" 111111 222222 333333 > "$out/times" || fail "unlocks: $(tail -3 "$out/times")"
# a refused PIN costs a try of every context: measure one, then restore the counters
sim reset-stats > /dev/null
t0=$(date +%s%N); $probe unlock 999999 > /dev/null && fail "wrong PIN accepted"; t1=$(date +%s%N)
wrong_apdus=$(sim_apdus)
$probe unlock 111111 > /dev/null
$probe setup "$zero" 111111 222222 333333 > /dev/null

/usr/bin/python3 - "$out" "$n" "$wrong_apdus" "$(( (t1 - t0) / 1000 ))" <<'PY'
import statistics, sys
d, n = sys.argv[1], int(sys.argv[2])
names = {"0": "primary", "1": "decoy", "2": "burn"}
times = {v: [] for v in names.values()}
apdus = "?"
for l in open(f"{d}/times"):
    if l.startswith("us="):
        ctx, us = l[3:].split()
        times[names[ctx]].append(int(us) / 1000)
    elif l.startswith("apdus="):
        apdus = l[6:].strip()
def ks(a, b):
    a, b = sorted(a), sorted(b); i = j = 0; m = 0.0
    while i < len(a) and j < len(b):
        x = min(a[i], b[j])
        while i < len(a) and a[i] <= x: i += 1
        while j < len(b) and b[j] <= x: j += 1
        m = max(m, abs(i / len(a) - j / len(b)))
    return m
print(f"unlocks per context: {n}, interleaved (one connection, one transaction each), "
      f"apdus/unlock={apdus}")
for name, t in times.items():
    print(f"{name:8s} n={len(t)}  median={statistics.median(t):.3f} ms  "
          f"mean={statistics.mean(t):.3f} ms  p90={sorted(t)[int(len(t) * 0.9)]:.3f} ms")
print(f"refused  apdus={sys.argv[3]}  one process, connect included: {int(sys.argv[4]) / 1000:.1f} ms")
for a, b in (("primary", "decoy"), ("primary", "burn"), ("decoy", "burn")):
    print(f"KS({a},{b})={ks(times[a], times[b]):.3f}  "
          f"mean diff={abs(statistics.mean(times[a]) - statistics.mean(times[b])):.3f} ms")
PY
