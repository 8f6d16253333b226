#!/usr/bin/env bash
# Peers that flood or stall (issue 8, "held"): 10,000 quick connects (connect, close) and 500
# parallel ssh-agent connections each asking for the identities leave skinkeyd without growth
# (memory, threads, descriptors back to where they were) and write a handful of log lines, not
# one per connection; a client stalled in the middle of an Assuan line for 20 s does not delay
# anybody else.
source "$SK_SRC/tests/lib/common.sh"
source "$SK_SRC/tests/integration/agent_lib.inc"
need skinkey skinkeyd /usr/bin/python3
S=$SKNS_SCRATCH
SSH_SOCK=$XDG_RUNTIME_DIR/skinkey/S.ssh
log=$SKNS_LOG/skd-flood.log

skinkeyd --daemon --log-file "$log" || fail "skinkeyd did not start"
wait_for 10 test -S "$SSH_SOCK" || fail "no ssh-agent socket"
pid=$(skd_pids); [ -n "$pid" ] || fail "no skinkeyd"
out=$(skinkey chips 2>&1) || fail "skinkey chips: $out"
rss() { awk '/^VmRSS/ {print $2}' "/proc/$pid/status"; }
threads() { awk '/^Threads/ {print $2}' "/proc/$pid/status"; }
fds() { ls "/proc/$pid/fd" | wc -l; }
rss0=$(rss); th0=$(threads); fd0=$(fds); lines0=$(wc -l < "$log")

# 10,000 quick connects
/usr/bin/python3 - "$SKD_SOCK" <<'PY' || fail "quick connects"
import socket, sys
for i in range(10000):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    s.close()
PY
# 500 parallel ssh-agent connections: all open at once, then each asks for the identities
/usr/bin/python3 - "$SSH_SOCK" <<'PY' || fail "parallel ssh-agent connections"
import socket, struct, sys
conns = []
for i in range(500):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.connect(sys.argv[1])
    conns.append(s)
ok = 0
for s in conns:
    s.sendall(struct.pack(">IB", 1, 11))          # SSH_AGENTC_REQUEST_IDENTITIES
for s in conns:
    s.settimeout(30)
    hdr = b""
    while len(hdr) < 5:
        d = s.recv(5 - len(hdr))
        if not d:
            break
        hdr += d
    if len(hdr) == 5 and hdr[4] == 12:             # SSH_AGENT_IDENTITIES_ANSWER
        ok += 1
    s.close()
if ok != len(conns):
    sys.exit("only %d of %d ssh-agent connections were answered" % (ok, len(conns)))
PY

# back to where it was: every connection thread gone, its descriptor closed
settled() { [ "$(threads)" -le "$th0" ] && [ "$(fds)" -le "$fd0" ]; }
wait_for 30 settled || fail "skinkeyd did not settle: threads $th0 -> $(threads), fds $fd0 -> $(fds)"
rss1=$(rss)
note "after 10,000 connects and 500 ssh-agent connections: RSS $rss0 -> $rss1 KiB, threads $th0 -> $(threads), fds $fd0 -> $(fds)"
# under ASan the resident size measures its quarantine of freed memory (256 MB by design), not
# skinkeyd: there threads and descriptors are what shows a leak
if [ -z "${SK_SANITIZED:-}" ]; then
	[ "$rss1" -le $((rss0 + 16384)) ] || fail "skinkeyd grew: RSS $rss0 -> $rss1 KiB"
fi
lines=$(( $(wc -l < "$log") - lines0 ))
note "log lines written meanwhile: $lines"
[ "$lines" -le 40 ] || fail "$lines log lines for the flood (rate limit): $(tail -5 "$log")"

# a half line stalled for 20 s does not delay the others
/usr/bin/python3 - "$SKD_SOCK" "$S/stall.ready" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.connect(sys.argv[1])
f = s.makefile("rb")              # whole lines: libassuan may send a line and its \n apart
f.readline()                      # the greeting
s.sendall(b"GETINFO vers")        # no newline
open(sys.argv[2], "w").close()
time.sleep(20)                    # the stall itself is what is tested
s.sendall(b"ion\n")
ans = f.readline()
sys.exit(0 if ans.startswith(b"D ") else "the stalled client got %r" % ans)
PY
stall=$!
wait_for 10 test -e "$S/stall.ready" || fail "the stalling client did not start"
for i in 1 2 3; do
	t0=$(date +%s%N)
	out=$(timeout 15 skinkey chips 2>&1) || fail "skinkey chips while a client stalls: $out"
	note "skinkey chips while a client stalls: $(( ($(date +%s%N) - t0) / 1000000 )) ms"
done
kill -0 "$stall" 2>/dev/null || fail "the stalled client ended early"
wait "$stall" || fail "the stalled client was not answered after its stall"
echo "agent_flood: ok"
