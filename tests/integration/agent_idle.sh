#!/usr/bin/env bash
# idle-exit: a daemon without clients leaves after the configured time; a client brings it back.
source "$SK_SRC/tests/lib/common.sh"
source "$SK_SRC/tests/integration/agent_lib.inc"
need skinkey skinkeyd
mkdir -p "$XDG_CONFIG_HOME/skinkey"
printf 'idle-exit = 2s\n' > "$XDG_CONFIG_HOME/skinkey/skinkey.conf"
skinkey chips > /dev/null
pid=$(skd_pids)
[ -n "$pid" ] || fail "no daemon"
wait_for 60 sh -c "! kill -0 $pid 2>/dev/null" || fail "daemon did not exit after its last client left (idle-exit 2s)"
[ ! -S "$SKD_SOCK" ] || fail "socket left behind"
skinkey chips | grep_all present || fail "autostart after idle exit"
# a bad configuration is refused with file:line
printf 'idle-exit = 2s\npin-cache = sometimes\n' > "$XDG_CONFIG_HOME/skinkey/skinkey.conf"
skd_kill
rc=0; out=$(skinkeyd --foreground 2>&1) || rc=$?
[ "$rc" -ne 0 ] || fail "skinkeyd started with a bad configuration"
expect_match "$out" 'pin-cache' "the bad key is named"
echo "agent_idle: ok"
