#!/usr/bin/env bash
# gpg-agent's extra scdaemon connections. While one gpg-agent client holds the first connection
# to its scdaemon, gpg-agent connects others to the socket that GETINFO socket_name named. That
# socket is skinkey-scd's own (S.scd.<pid>, 0600, our uid only), relayed by a forked copy with the
# same autostart and reconnect rules: an extra connection works while skinkeyd is not running
# (idle exit, a restart), where naming skinkeyd's socket gave gpg "No SmartCard daemon".
source "$SK_SRC/tests/lib/common.sh"
source "$SK_SRC/tests/integration/agent_lib.inc"
source "$SK_SRC/tests/integration/scd_lib.inc"
need gpg-connect-agent gpgconf setpriv /usr/bin/python3
S=$SKNS_SCRATCH

use_skinkey
out=$(gpg-connect-agent 'SCD SERIALNO' /bye 2>&1)
expect_match "$out" '^S SERIALNO D276' "the first connection"
relay=$(pgrep -x -P "$(pgrep -x gpg-agent)" skinkey-scd) || fail "no skinkey-scd under gpg-agent"
sock=$XDG_RUNTIME_DIR/skinkey/S.scd.$relay
out=$(gpg-connect-agent 'SCD GETINFO socket_name' /bye 2>&1)
expect_match "$out" "^D $sock\$" "GETINFO socket_name names the relay's own socket"
[ -S "$sock" ] || fail "no socket at $sock"
expect_eq "$(stat -c %a "$sock")" 600 "the extra socket's mode"

# A holds the first connection: a gpg-connect-agent session that used SCD and stays open
agent_sock=$(gpgconf --list-dirs agent-socket)
mkfifo "$S/a.in"
/usr/bin/python3 - "$agent_sock" "$S/a.ready" < "$S/a.in" > "$S/a.out" 2>&1 <<'PY' &
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
f = s.makefile("rwb", buffering=0)
def answer():
    while True:
        line = f.readline()
        if not line or line.startswith(b"OK") or line.startswith(b"ERR"):
            return line
print(answer())                                   # greeting
f.write(b"SCD GETINFO version\n")
r = answer()
open(sys.argv[2], "w").write(r.decode())
sys.stdin.read()                                  # hold the connection until told
f.write(b"BYE\n")
PY
apid=$!
exec 7> "$S/a.in"
wait_for 60 test -s "$S/a.ready" || fail "client A got no answer: $(cat "$S/a.out")"
expect_match "$(cat "$S/a.ready")" '^OK' "client A's SCD command"

# skinkeyd stops; B's SCD command goes through the extra socket and starts it again
skd_kill
[ -z "$(skd_pids)" ] || fail "skinkeyd still runs"
out=$(timeout 60 gpg-connect-agent 'SCD SERIALNO' /bye 2>&1) || true
expect_match "$out" '^S SERIALNO D276' "an extra connection while skinkeyd was stopped: $out"
[ -n "$(skd_pids)" ] || fail "the extra connection did not start skinkeyd"
grep_all -q 'No SmartCard daemon' <<< "$out" && fail "gpg-agent said No SmartCard daemon: $out"

# and again, skinkeyd killed -9 this time, two extra clients at once
old=$(skd_pids)
kill -9 $old
wait_for 60 sh -c "! kill -0 $old 2>/dev/null || grep -q '^State:.*Z' /proc/$old/status" || fail "skinkeyd $old did not die"
bs=()
for i in 1 2; do
	timeout 60 gpg-connect-agent 'SCD SERIALNO' /bye > "$S/b$i.out" 2>&1 &
	bs+=($!)
done
wait "${bs[@]}" || true
for i in 1 2; do expect_match "$(cat "$S/b$i.out")" '^S SERIALNO D276' "extra client $i after kill -9"; done

# another uid: even with the socket opened to everyone, the relay closes on it at once (SO_PEERCRED)
chmod 755 "$SKNS_SCRATCH" "$XDG_RUNTIME_DIR" "$XDG_RUNTIME_DIR/skinkey"
chmod 666 "$sock"
out=$(setpriv --reuid 4243 --regid 4243 --clear-groups /usr/bin/python3 - "$sock" <<'PY' 2>&1
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.settimeout(30)
print("got %r" % s.recv(100))
PY
)
chmod 600 "$sock"
chmod 700 "$XDG_RUNTIME_DIR/skinkey" "$XDG_RUNTIME_DIR"
expect_eq "$out" "got b''" "another uid at the extra socket"

# A ends; gpg-agent ends: the relay removes its socket
exec 7>&-
wait $apid || true
gpgconf --kill gpg-agent
wait_for 60 sh -c "! kill -0 $relay 2>/dev/null" || fail "skinkey-scd outlived gpg-agent"
[ ! -e "$sock" ] || fail "the extra socket stayed behind: $sock"
note "scd_extra: ok"
