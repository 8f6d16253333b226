#!/usr/bin/env bash
# The socket: private directory, same-uid peers only (SO_PEERCRED), one daemon per user even when
# many clients autostart at once, GETINFO basics.
source "$SK_SRC/tests/lib/common.sh"
source "$SK_SRC/tests/integration/agent_lib.inc"
need skinkey skinkeyd gpg-connect-agent setpriv socat

dir=$XDG_RUNTIME_DIR/skinkey
sock=$dir/S.skinkeyd
log=$SKNS_LOG/skinkeyd-socket.log

# many clients at once, no daemon yet: exactly one skinkeyd
for i in 1 2 3 4 5 6; do skinkey chips > /dev/null & done
wait
n=$(skd_pids | wc -l)
expect_eq "$n" 1 "number of skinkeyd after 6 concurrent autostarts"
expect_eq "$(stat -c %a "$dir")" 700 "socket directory mode"
expect_eq "$(stat -c %a "$sock")" 600 "socket mode"

out=$(gpg-connect-agent -S "$sock" 'GETINFO version' 'GETINFO socket_name' 'GETINFO connections' /bye)
expect_match "$out" "D $sock" "socket_name"
expect_match "$out" '^D [0-9]+\.[0-9]+\.[0-9]+' "version"

# a second daemon refuses to take over
if skinkeyd --foreground 2>/dev/null; then fail "a second foreground skinkeyd started"; fi

# restart in the foreground with a log, then open the directory to others: a foreign uid must
# still be refused by the peer check
skd_kill
skinkeyd --foreground --log-file "$log" &
wait_for 60 test -S "$sock" || fail "foreground daemon did not listen"
chmod 0711 "$SKNS_SCRATCH" "$XDG_RUNTIME_DIR" "$dir"; chmod 0666 "$sock"
reply=$(printf 'GETINFO pid\nBYE\n' | timeout 5 setpriv --reuid=65534 --regid=65534 --clear-groups \
	socat - "UNIX-CONNECT:$sock" 2>&1 || true)
case "$reply" in *OK*|*"D "*) fail "a foreign uid got an answer: $reply";; esac
wait_for 60 grep -q "refusing a connection from uid 65534" "$log" || fail "no refusal logged: $(cat "$log")"
# the ssh-agent socket too: SSH_AGENTC_REQUEST_IDENTITIES from a foreign uid gets no answer
wait_for 60 test -S "$dir/S.ssh" || fail "no ssh-agent socket"
chmod 0666 "$dir/S.ssh"
n0=$(grep -c "refusing a connection from uid 65534" "$log")
reply=$(printf '\0\0\0\001\013' | timeout 5 setpriv --reuid=65534 --regid=65534 --clear-groups \
	socat - "UNIX-CONNECT:$dir/S.ssh" 2>/dev/null | od -An -tx1 || true)
[ -z "$reply" ] || fail "a foreign uid got an ssh-agent answer: $reply"
wait_for 60 sh -c "[ \$(grep -c 'refusing a connection from uid 65534' '$log') -gt $n0 ]" ||
	fail "no refusal logged for the ssh-agent socket: $(cat "$log")"
chmod 0600 "$dir/S.ssh"
chmod 0700 "$SKNS_SCRATCH" "$XDG_RUNTIME_DIR" "$dir"; chmod 0600 "$sock"
out=$(gpg-connect-agent -S "$sock" 'GETINFO pid' /bye)
expect_match "$out" '^D [0-9]+' "own uid still served"
echo "agent_socket: ok"
