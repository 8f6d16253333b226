#!/usr/bin/env bash
# skinkeyd's run modes: --server and --multi-server on stdin/stdout (what gpg-agent starts as
# scdaemon-program), skinkey-scd relaying to the socket daemon, KILLSCD, --version.
source "$SK_SRC/tests/lib/common.sh"
source "$SK_SRC/tests/integration/agent_lib.inc"
need skinkeyd skinkey-scd skinkey

expect_match "$(skinkeyd --version)" '^skinkeyd \(skinkey\) [0-9.]+$' "skinkeyd --version"
rc=0; skinkeyd 2>/dev/null || rc=$?; expect_eq "$rc" 2 "skinkeyd without a mode"

# --server: one session on stdin/stdout, no socket daemon running
out=$(printf 'SERIALNO\nLEARN --force\nGETINFO socket_name\nBYE\n' | timeout 20 skinkeyd --server 2>/dev/null)
expect_match "$out" '^OK skinkeyd' "greeting"
expect_match "$out" 'S SERIALNO D27600012401' "SERIALNO in --server mode"
expect_match "$out" 'S CHV-STATUS \+[0-9]+\+127\+127\+127\+3\+0\+3' "LEARN in --server mode"
[ -z "$(skd_pids)" ] || fail "--server left a daemon behind"

# --multi-server: also owns the socket while it runs when nobody else does
coproc MS { timeout 30 skinkeyd --multi-server 2>/dev/null; }
read -r -u "${MS[0]}" hello
expect_match "$hello" '^OK' "multi-server greeting"
wait_for 60 test -S "$SKD_SOCK" || fail "--multi-server did not take the free socket"
expect_match "$(skd 'GETINFO pid')" '^D [0-9]+' "a second client over the socket"
printf 'KILLSCD\n' >&"${MS[1]}"
wait "$MS_PID" || true
wait_for 60 sh -c "! gpg-connect-agent -S $SKD_SOCK /bye 2>/dev/null | grep -q ." || fail "KILLSCD did not end --multi-server"

# skinkey-scd relays to the socket daemon (autostarted), several sessions at once
out=$(printf 'SERIALNO openpgp\nGETINFO socket_name\nBYE\n' | timeout 20 skinkey-scd --multi-server)
expect_match "$out" 'S SERIALNO D27600012401' "SERIALNO through the relay"
expect_match "$out" "^D $XDG_RUNTIME_DIR/skinkey/S.scd.[0-9]+\$" "socket_name through the relay: its own socket for extra connections"
p1=$(printf 'GETINFO pid\nBYE\n' | skinkey-scd --multi-server | sed -n 's/^D //p')
p2=$(printf 'GETINFO pid\nBYE\n' | skinkey-scd --multi-server | sed -n 's/^D //p')
[ -n "$p1" ] && [ "$p1" = "$p2" ] || fail "relays reached different daemons ($p1, $p2)"
# KILLSCD through a relay ends that session only: the daemon keeps serving others
printf 'KILLSCD\n' | skinkey-scd --multi-server > /dev/null || true
expect_eq "$(printf 'GETINFO pid\nBYE\n' | skinkey-scd --multi-server | sed -n 's/^D //p')" "$p1" \
	"daemon still running after KILLSCD"
echo "agent_modes: ok"
