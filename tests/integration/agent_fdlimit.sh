#!/usr/bin/env bash
# skinkeyd at its descriptor limit. (A) ulimit -n 64: far more idle connections than that on both
# sockets; the daemon serves a bounded number, refuses the rest with a reason, stays idle on the
# CPU, closes the ones that never send a command (10 s), logs each kind a few times only, and a
# normal client is answered or told why within a deadline, then served. (B) the limit lowered
# under a running daemon (prlimit) so that accept() itself fails with EMFILE: the daemon backs
# off instead of spinning, a client gets a clear error within its deadline instead of hanging,
# and everything works again once the idle peers leave.
source "$SK_SRC/tests/lib/common.sh"
source "$SK_SRC/tests/integration/agent_lib.inc"
need skinkey skinkeyd prlimit /usr/bin/python3
S=$SKNS_SCRATCH
SSH_SOCK=$XDG_RUNTIME_DIR/skinkey/S.ssh
TICK=$(getconf CLK_TCK)

# idle.py PATH N STATUS STOP [PATH N ...]: N connections to each PATH that never send a byte;
# STATUS is rewritten with counts as the daemon greets, refuses and closes them; STOP ends it.
cat > "$S/idle.py" <<'PY'
import os, selectors, socket, sys
args = sys.argv[1:]
status, stop = args[0], args[1]
sel = selectors.DefaultSelector()
conns, not_connected = [], 0
for path, n in zip(args[2::2], args[3::2]):
    for _ in range(int(n)):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.setblocking(False)
        try:
            s.connect(path)
        except OSError:          # EAGAIN: the accept queue is full
            not_connected += 1
            s.close()
            continue
        conns.append(s)
        sel.register(s, selectors.EVENT_READ, [b"", False])
closed = 0
while True:
    for key, _ in sel.select(0.1):
        try:
            d = key.fileobj.recv(4096)
        except OSError:
            d = b""
        if d:
            key.data[0] += d
        else:
            key.data[1] = True
            closed += 1
            sel.unregister(key.fileobj)
    with open(status + ".tmp", "w") as f:
        f.write("connected=%d not_connected=%d closed=%d open=%d\n" %
                (len(conns), not_connected, closed, len(conns) - closed))
    os.rename(status + ".tmp", status)
    if os.path.exists(stop):
        break
for s in conns:
    s.close()
PY
# field NAME: a count from the idle peers' status file
field() { tr ' ' '\n' < "$S/idle.status" | sed -n "s/^$1=//p"; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# cpu_window PID LABEL: the daemon's CPU time over a 2 s measuring window, in ticks; a spinning
# daemon uses ~2 s (200 ticks at 100 Hz) of it
cpu_window() {
	local a b
	a=$(cpu_ticks "$1"); sleep 2; b=$(cpu_ticks "$1")
	note "$2: skinkeyd used $((b - a)) ticks of CPU in 2 s ($TICK ticks/s)"
	[ $((b - a)) -lt $((TICK / 2)) ] || fail "$2: skinkeyd spins: $((b - a)) ticks in 2 s"
}
idle_pid=
start_idle() {
	rm -f "$S/idle.status" "$S/idle.stop"
	/usr/bin/python3 "$S/idle.py" "$S/idle.status" "$S/idle.stop" "$@" 2>>"$SKNS_LOG/idle.log" &
	idle_pid=$!
	wait_for 30 test -s "$S/idle.status" || fail "the idle peers did not start"
}
stop_idle() { touch "$S/idle.stop"; wait "$idle_pid" 2>/dev/null || true; idle_pid=; }
trap 'rc=$?; [ -n "$idle_pid" ] && kill "$idle_pid" 2>/dev/null; skd_kill; exit $rc' EXIT

# ---- A: ulimit -n 64: bounded connections, refusals, first-command deadline ----
log=$SKNS_LOG/skd-a.log
(ulimit -n 64 && exec skinkeyd --daemon --log-file "$log") || fail "skinkeyd did not start"
wait_for 10 test -S "$SSH_SOCK" || fail "no ssh-agent socket"
pid=$(skd_pids); [ -n "$pid" ] || fail "no skinkeyd"
expect_eq "$(awk '/^Max open files/ {print $4}' "/proc/$pid/limits")" 64 "the daemon's descriptor limit"
start_idle "$SKD_SOCK" 150 "$SSH_SOCK" 60
refused() { [ "$(grep -c 'refusing new ones' "$log")" -ge 1 ]; }
wait_for 30 refused || fail "the daemon did not refuse connections over its bound: $(cat "$log")"
served=$(( $(ls "/proc/$pid/fd" | wc -l) ))
note "A: $(cat "$S/idle.status"); the daemon holds $served descriptors"
[ "$served" -lt 64 ] || fail "the daemon is at its descriptor limit ($served)"
cpu_window "$pid" "A: 210 idle connections"
# a normal client meanwhile: served, or told why, within its deadline
t0=$(date +%s)
rc=0; out=$(timeout 60 skinkey chips 2>&1) || rc=$?
note "A: a client while the idle peers hold the daemon: rc $rc after $(( $(date +%s) - t0 )) s: $out"
[ $rc -ne 124 ] || fail "A: skinkey chips hung"
[ $rc -eq 0 ] || expect_match "$out" "refused the connection|did not greet|did not take the connection" "A: the client says why"
# the idle ones that were served are closed for sending no command
all_closed() { [ "$(field open)" = 0 ]; }
wait_for 60 all_closed || fail "A: idle connections were not closed: $(cat "$S/idle.status")"
grep_all "no command within 10 s" "$log" || fail "A: no line about idle connections: $(cat "$log")"
for what in 'refusing new ones' 'no command within'; do
	n=$(grep -c "$what" "$log")
	[ "$n" -le 6 ] || fail "A: '$what' logged $n times (rate limit)"
done
stop_idle
out=$(timeout 30 skinkey chips 2>&1) || fail "A: skinkey chips after the idle peers left: $out"
kill -0 "$pid" || fail "A: skinkeyd died"
skd_kill

# ---- B: accept() fails with EMFILE: back off, do not spin, recover ----
log=$SKNS_LOG/skd-b.log
skinkeyd --daemon --log-file "$log" || fail "skinkeyd did not start"
wait_for 10 test -S "$SSH_SOCK" || fail "no ssh-agent socket"
pid=$(skd_pids); [ -n "$pid" ] || fail "no skinkeyd"
out=$(skinkey chips 2>&1) || fail "B: skinkey chips: $out"
base=$(ls "/proc/$pid/fd" | wc -l)
prlimit --pid "$pid" --nofile=$((base + 6)):$((base + 6)) || fail "prlimit"
start_idle "$SKD_SOCK" 120
emfile() { grep -q 'cannot accept a connection: Too many open files' "$log"; }
wait_for 30 emfile || fail "B: accept never met EMFILE: $(cat "$S/idle.status"); $(cat "$log")"
note "B: $(cat "$S/idle.status")"
cpu_window "$pid" "B: out of descriptors"
t0=$(date +%s)
rc=0; out=$(timeout 60 skinkey chips 2>&1) || rc=$?
note "B: a client while the daemon is out of descriptors: rc $rc after $(( $(date +%s) - t0 )) s: $out"
[ $rc -ne 124 ] || fail "B: skinkey chips hung"
[ $rc -eq 0 ] || expect_match "$out" "did not greet|did not take the connection|refused the connection" "B: the client says why"
n=$(grep -c 'cannot accept a connection' "$log")
[ "$n" -le 6 ] || fail "B: accept failures logged $n times (rate limit)"
stop_idle
out=$(timeout 60 skinkey chips 2>&1) || fail "B: skinkey chips after the idle peers left: $out"
kill -0 "$pid" || fail "B: skinkeyd died"
echo "agent_fdlimit: ok"
