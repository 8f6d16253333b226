#!/usr/bin/env bash
# duress_bench.sh — what a DuressApplet unlock costs on the host path (libskduress through
# pcscd and vpcd to the simulator): APDUs and time of an unlock per context (primary, decoy,
# burn) and of a refused PIN, N unlocks each on one connection, with medians, means and the
# two-sample Kolmogorov–Smirnov statistic between contexts' times. A benchmark: it prints figures.
# Then through skinkeyd (duress = on): APDUs and time of an unlock per context (`skinkey duress
# unlock`: the applet, the instance's AID, its public data, VERIFY PW1) and of the first
# signature after it (PKAUTH with the P-256 AUT key, PIN from the unlock), against a chip
# without duress (duress = off: the first signature with its VERIFY, PIN by INQUIRE), R runs each.
#   tests/lib/skns.sh build bench/duress_bench.sh [N] [R]
set -euo pipefail
. "$SK_SRC/tests/lib/common.sh"
need /usr/bin/python3
n=${1:-200}
runs=${2:-20}
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

# ---- through skinkeyd ----
set +e
. "$SK_SRC/tests/integration/agent_lib.inc"
. "$SK_SRC/tests/integration/duress_lib.inc"
set -e
SO=$SK_BUILD/pkcs11/skinkey-pkcs11.so
duress_prepare > /dev/null 2>&1 || fail "duress_prepare"
for pin in 123456 222222; do
	chip=$(printf '%s\n' "$pin" | skinkey duress unlock | sed -n 's/: unlocked$//p')
	pkcs11-tool --module "$SO" --token-label "$chip OpenPGP" --login --login-type so \
		--so-pin 12345678 --keypairgen --key-type EC:prime256v1 --id 03 > /dev/null 2>&1 ||
		fail "keygen on $chip"
	skinkey duress lock > /dev/null
done
data=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
ns() { date +%s%N; }
sign() { gpg-connect-agent -S "$SKD_SOCK" "$@" "SETDATA $data" "PKAUTH OPENPGP.3" /bye 2>&1 |
	grep -q '^D ' || fail "PKAUTH: $(gpg-connect-agent -S "$SKD_SOCK" "$@" "SETDATA $data" "PKAUTH OPENPGP.3" /bye 2>&1 | tail -1)"; }
row() {  # label apdus-list ms-list
	/usr/bin/python3 -c 'import statistics as s, sys
a = [int(x) for x in sys.argv[2].split()]; t = [int(x) / 1e6 for x in sys.argv[3].split()]
print("%-34s apdus=%-5s median=%8.3f ms  mean=%8.3f ms  n=%d" % (sys.argv[1], "/".join(sorted(set(map(str, a)))), s.median(t), s.mean(t), len(t)))' "$@"
}
echo "through skinkeyd, one skinkey / gpg-connect-agent process each (start-up included),"
echo "$runs runs per context, interleaved:"
declare -A ua ut sa st
for i in $(seq "$runs"); do
	order="123456 222222"; [ $((i % 2)) = 0 ] && order="222222 123456"
	for pin in $order; do
		sim reset-stats > /dev/null; t0=$(ns)
		printf '%s\n' "$pin" | skinkey duress unlock > /dev/null || fail "unlock $pin"
		t1=$(ns); ua[$pin]="${ua[$pin]:-} $(sim_apdus)"; ut[$pin]="${ut[$pin]:-} $((t1 - t0))"
		sim reset-stats > /dev/null; t0=$(ns); sign; t1=$(ns)
		sa[$pin]="${sa[$pin]:-} $(sim_apdus)"; st[$pin]="${st[$pin]:-} $((t1 - t0))"
		skinkey duress lock > /dev/null
	done
done
for pin in 123456 222222; do
	name=$([ "$pin" = 123456 ] && echo primary || echo decoy)
	row "$name: unlock" "${ua[$pin]}" "${ut[$pin]}"
	row "$name: first signature after it" "${sa[$pin]}" "${st[$pin]}"
done
# the same chip without duress: the primary's instance, PIN asked by the signature itself
skd_kill
sed -i 's/^duress = on$/duress = off/' "$DURESS_CONF"
sim_out; sim_in
skinkeyd --daemon --log-file "$SKNS_LOG/skinkeyd-plain.log" || fail "skinkeyd (duress off)"
wait_for 60 bash -c "skinkey chips 2>/dev/null | grep -q '$PRIMARY_CHIP.* 1 '" ||
	wait_for 60 bash -c "skinkey chips 2>/dev/null | grep -q '$PRIMARY_CHIP'" || fail "plain chip not seen"
printf '123456' > "$SKNS_SCRATCH/pin"
pa=""; pt=""
for _ in $(seq "$runs"); do
	skd DROPPINS > /dev/null
	sim reset-stats > /dev/null; t0=$(ns); sign "/definqfile NEEDPIN $SKNS_SCRATCH/pin"; t1=$(ns)
	pa="$pa $(sim_apdus)"; pt="$pt $((t1 - t0))"
done
row "no duress: first signature + VERIFY" "$pa" "$pt"
