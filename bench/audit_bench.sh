#!/usr/bin/env bash
# audit_bench.sh — what the audit chain costs: append rate with synchronous=FULL and verify rate
# (audit-bench, library level), and the latency a recorded signature adds: gpg --detach-sign
# through skinkey-scd, and PKSIGN straight on skinkeyd's socket, with audit = required (the
# guard running) and with audit = off. Medians. A benchmark, not a test: it prints figures.
#   tests/lib/skns.sh build bench/audit_bench.sh [GPG_SIGNATURES] [PKSIGNS] [ROUNDS]
# (the signatures of each mode are split over ROUNDS alternating rounds, default 4)
set -euo pipefail
. "$SK_SRC/tests/lib/common.sh"
. "$SK_SRC/tests/lib/gpgcard.sh"
need gpg gpgconf /usr/bin/python3
gpg_n=${1:-40}
pk_n=${2:-300}

echo "== library (audit-bench, 100000 rows)"
"$SK_BUILD/audit/audit-bench" 100000

mkdir -p "$XDG_CONFIG_HOME/skinkey"
CONF=$XDG_CONFIG_HOME/skinkey/skinkey.conf
gpgcard_setup_agent
gpgcard_generate_ed25519 "Bench User" bench@example.org
echo "bench" > "$HOME/msg"

ROUNDS=${3:-4}
SMP=$HOME/bench-samples; mkdir -p "$SMP"; rm -f "$SMP"/*

gpg_samples() {  # gpg_samples N FILE: N gpg --detach-sign, microseconds each, appended to FILE
	local t0 t1 i
	for ((i = 0; i < $1; i++)); do
		t0=$(date +%s%N)
		gpg --batch --yes -u bench@example.org --detach-sign -o "$HOME/msg.sig" "$HOME/msg" 2>/dev/null
		t1=$(date +%s%N)
		echo $(( (t1 - t0) / 1000 )) >> "$2"
	done
}

pksign_samples() {  # pksign_samples N B2B_FILE ONE_FILE: SETDATA+PKSIGN on one connection, us
	/usr/bin/python3 - "$XDG_RUNTIME_DIR/skinkey/S.skinkeyd" "$1" "$XDG_DATA_HOME/skinkey/state.db" "$2" "$3" <<'PY'
import hashlib, socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile("rwb", 0)
def cmd(c):
    f.write(c.encode() + b"\n")
    while True:
        l = f.readline()
        if l.startswith(b"OK"): return
        if l.startswith(b"ERR"): raise SystemExit(f"{c}: {l!r}")
        if l.startswith(b"INQUIRE"): f.write(b"D 123456\nEND\n")
import sqlite3
db = sqlite3.connect(sys.argv[3], timeout=10)
def drained():  # the guard acknowledged everything (skinkeyd deletes on ACK)
    for _ in range(5000):
        if db.execute("select count(*) from outbox").fetchone()[0] == 0: return
        time.sleep(0.001)
f.readline()
cmd("SERIALNO")
b2b, one = open(sys.argv[4], "a"), open(sys.argv[5], "a")
tag = "%d" % time.time_ns()
for i in range(int(sys.argv[2])):
    d = hashlib.sha256(b"%s %d" % (tag.encode(), i)).hexdigest()
    a = time.perf_counter(); cmd("SETDATA " + d); cmd("PKSIGN OPENPGP.1"); print(int((time.perf_counter() - a) * 1e6), file=b2b)
for i in range(int(sys.argv[2])):
    drained()
    d = hashlib.sha256(b"x%s %d" % (tag.encode(), i)).hexdigest()
    a = time.perf_counter(); cmd("SETDATA " + d); cmd("PKSIGN OPENPGP.1"); print(int((time.perf_counter() - a) * 1e6), file=one)
PY
}

median_ms() { sort -n "$1" | awk '{ a[NR] = $1 } END { printf "%.2f", a[int((NR + 1) / 2)] / 1000 }'; }

run() {  # run required|off: one round of each measure in that mode
	pid=$(pgrep -x skinkeyd || true); [ -n "$pid" ] && kill "$pid" && wait_for 60 sh -c "! kill -0 $pid"
	touch "$CONF"; grep -v '^audit' "$CONF" > "$CONF.new" || true; mv "$CONF.new" "$CONF"
	echo "audit = $1" >> "$CONF"
	skinkeyd --daemon --log-file "$SKNS_LOG/skinkeyd-$1.log"
	gpgconf --kill gpg-agent
	gpg --batch --yes -u bench@example.org --detach-sign -o "$HOME/msg.sig" "$HOME/msg" 2>/dev/null   # warm-up, PIN cached
	gpg_samples $(( (gpg_n + ROUNDS - 1) / ROUNDS )) "$SMP/gpg-$1"
	pksign_samples $(( (pk_n + ROUNDS - 1) / ROUNDS )) "$SMP/b2b-$1" "$SMP/one-$1"
}
echo "== one Ed25519 signature on the simulated chip (no added APDU latency)"
echo "   ($ROUNDS rounds, each audit = required then audit = off: the machine's load drifts alike)"
for ((r = 0; r < ROUNDS; r++)); do
	run required
	pgrep -x skinkey-guard >/dev/null || fail "no guard ran with audit = required"
	run off
done
for m in required off; do
	echo "audit = $m: gpg --detach-sign median $(median_ms "$SMP/gpg-$m") ms ($(wc -l < "$SMP/gpg-$m")), PKSIGN on the socket median $(median_ms "$SMP/b2b-$m") ms back to back, $(median_ms "$SMP/one-$m") ms one at a time ($(wc -l < "$SMP/one-$m") each)"
done
/usr/bin/python3 - "$SMP" <<'PY'
import statistics, sys
d = sys.argv[1]
med = lambda f: statistics.median(int(x) for x in open(f"{d}/{f}")) / 1000
for what, f in (("gpg --detach-sign", "gpg"), ("PKSIGN back to back", "b2b"), ("PKSIGN one at a time", "one")):
    print(f"added by audit = required, {what}: {med(f + '-required') - med(f + '-off'):+.2f} ms (median vs median)")
PY
