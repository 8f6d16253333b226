#!/usr/bin/env bash
# audit_bench.sh — what the audit chain costs: append rate with synchronous=FULL and verify rate
# (audit-bench, library level), and the latency a recorded signature adds: gpg --detach-sign
# through skinkey-scd, and PKSIGN straight on skinkeyd's socket, with audit = required (the
# guard running) and with audit = off. Medians. A benchmark, not a test: it prints figures.
#   tests/lib/skns.sh build bench/audit_bench.sh [GPG_SIGNATURES] [PKSIGNS]
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

gpg_median() {  # median ms of N gpg --detach-sign
	local t0 t1 i
	for ((i = 0; i < gpg_n; i++)); do
		t0=$(date +%s%N)
		gpg --batch --yes -u bench@example.org --detach-sign -o "$HOME/msg.sig" "$HOME/msg" 2>/dev/null
		t1=$(date +%s%N)
		echo $(( (t1 - t0) / 1000 ))
	done | sort -n | awk '{ a[NR] = $1 } END { printf "%.2f", a[int((NR + 1) / 2)] / 1000 }'
}

pksign_median() {  # median ms of N SETDATA+PKSIGN on one connection
	/usr/bin/python3 - "$XDG_RUNTIME_DIR/skinkey/S.skinkeyd" "$pk_n" "$XDG_DATA_HOME/skinkey/state.db" <<'PY'
import hashlib, socket, statistics, sys, time
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
b2b, one = [], []
for i in range(int(sys.argv[2])):
    d = hashlib.sha256(b"%d" % i).hexdigest()
    a = time.perf_counter(); cmd("SETDATA " + d); cmd("PKSIGN OPENPGP.1"); b2b.append(time.perf_counter() - a)
for i in range(int(sys.argv[2])):
    drained()
    d = hashlib.sha256(b"x%d" % i).hexdigest()
    a = time.perf_counter(); cmd("SETDATA " + d); cmd("PKSIGN OPENPGP.1"); one.append(time.perf_counter() - a)
print("%.2f ms back to back, %.2f ms one at a time" % (statistics.median(b2b) * 1000, statistics.median(one) * 1000))
PY
}

run() {  # run required|off
	pid=$(pgrep -x skinkeyd || true); [ -n "$pid" ] && kill "$pid" && wait_for 60 sh -c "! kill -0 $pid"
	touch "$CONF"; grep -v '^audit' "$CONF" > "$CONF.new" || true; mv "$CONF.new" "$CONF"
	echo "audit = $1" >> "$CONF"
	skinkeyd --daemon --log-file "$SKNS_LOG/skinkeyd-$1.log"
	gpgconf --kill gpg-agent
	gpg --batch --yes -u bench@example.org --detach-sign -o "$HOME/msg.sig" "$HOME/msg" 2>/dev/null   # warm-up, PIN cached
	echo "audit = $1: gpg --detach-sign median $(gpg_median) ms ($gpg_n), PKSIGN on the socket median $(pksign_median) ($pk_n each)"
}
echo "== one Ed25519 signature on the simulated chip (no added APDU latency)"
run required
pgrep -x skinkey-guard >/dev/null || fail "no guard ran with audit = required"
run off
