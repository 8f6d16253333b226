# presence.sh — sourced by the presence tests and bench/presence_bench.sh (after common.sh,
# agent_lib.inc, gpgcard.sh, sshd.sh, sysbus.sh): a private system bus with the stub logind, an
# Ed25519 key set on the simulated chip, skinkeyd with its guard logging to $SKNS_LOG/guard.log,
# the ssh-agent socket and a loopback sshd that accepts the chip's key.
#   presence_setup "ACTIONS" [EXTRA CONF LINES]   (interval 1 s, grace 2 s)
# Before the keys are made, the simulator's state is copied to $SKNS_SCRATCH/clone.state: a
# clone with the same serial and other secrets for `sim swap`. STATE = the chip's state file.
PSTATE=$XDG_RUNTIME_DIR/skinkey/presence.state
pstate() { sed -n 's/^state=//p' "$PSTATE" 2>/dev/null; }
pstate_is() { [ "$(pstate)" = "$1" ]; }
locks_ge() { [ "$(login1_locks)" -ge "$1" ]; }

presence_setup() {
	local g
	sysbus_start
	trap 'rc=$?; skd_kill; kill $LOGIN1_PID $SYSBUS_PID 2>/dev/null; exit $rc' EXIT
	mkdir -p "$XDG_CONFIG_HOME/skinkey"
	printf 'user=123456\nadmin=12345678\n' > "$HOME/.test-pins"
	printf 'pinentry-program = %s\npresence-interval = 1s\npresence-grace = 2s\npresence-actions = %s\n%s\n' \
		"$SK_SRC/tests/lib/pinentry-test" "$1" "${2:-}" > "$XDG_CONFIG_HOME/skinkey/skinkey.conf"
	STATE=$(sim status | sed -n 's/^state=//p')
	[ -f "$STATE" ] || fail "no simulator state file ($STATE)"
	cp "$STATE" "$SKNS_SCRATCH/clone.state"
	GPGCARD_SCD=gnupg gpgcard_setup_agent
	gpgcard_generate_ed25519 "Presence User" presence@example.org > /dev/null
	gpgconf --kill scdaemon; gpgconf --kill gpg-agent
	skinkeyd --daemon --log-file "$SKNS_LOG/skinkeyd.log" || fail "skinkeyd did not start"
	wait_for 10 pgrep -x skinkey-guard || fail "skinkeyd did not start skinkey-guard"
	# the same guard with its log in the test's log directory
	g=$(pgrep -x skinkey-guard); kill "$g"; wait_for 10 sh -c "! kill -0 $g 2>/dev/null"
	skinkey-guard --daemon --log-file "$SKNS_LOG/guard.log" -v || fail "skinkey-guard --daemon"
	export SSH_AUTH_SOCK=$XDG_RUNTIME_DIR/skinkey/S.ssh
	wait_for 5 test -S "$SSH_AUTH_SOCK" || fail "no ssh-agent socket"
	ssh-add -L > "$HOME/agent.pub" || fail "ssh-add -L"
	sshd_start "$HOME/agent.pub"
}
