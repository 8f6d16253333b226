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

# presence_load_setup: after presence_setup, the clients of the load: gpg through skinkey-scd (the
# keys were made with GnuPG's scdaemon), the PKCS#11 token (SO, TOK), one signature to start.
presence_load_setup() {
	SO=$SK_BUILD/pkcs11/skinkey-pkcs11.so
	TOK=$(pkcs11-tool --module "$SO" -L 2>/dev/null | sed -n 's/^ *token label *: *\(fs-[0-9a-f]* OpenPGP\).*/\1/p' | head -1)
	[ -n "$TOK" ] || fail "no PKCS#11 token"
	GPGCARD_SCD=skinkey gpgcard_setup_agent
	gpg --card-status > /dev/null 2>&1 || fail "gpg --card-status through skinkey-scd"
	presence_gpg_sign 0 || fail "a gpg signature through skinkey-scd before the load"
}
presence_gpg_sign() {
	echo "load $1" | gpg --batch --pinentry-mode ask -u presence@example.org --clearsign 2> /dev/null |
		gpg --batch --verify 2> /dev/null
}
# presence_load SECONDS [count]: rounds of a gpg signature, a PKCS#11 listing and an ssh login at
# once (three clients of the one daemon that owns the chip) until SECONDS have passed. Sets
# LOAD_OPS, LOAD_SIGS and LOAD_FAIL_GPG/_P11/_SSH; without "count" the first failure fails the test.
presence_load() {
	local end=$(( $(date +%s) + $1 )) g k rg rk rs
	LOAD_OPS=0 LOAD_SIGS=0 LOAD_FAIL_GPG=0 LOAD_FAIL_P11=0 LOAD_FAIL_SSH=0
	while [ "$(date +%s)" -lt "$end" ]; do
		presence_gpg_sign "$LOAD_OPS" & g=$!
		pkcs11-tool --module "$SO" --token-label "$TOK" -O > /dev/null 2>&1 & k=$!
		ssh_login_check "$SSH_AUTH_SOCK"; rs=$?
		wait "$g"; rg=$?
		wait "$k"; rk=$?
		LOAD_OPS=$((LOAD_OPS + 3)); LOAD_SIGS=$((LOAD_SIGS + 1))
		[ "$rg" = 0 ] || LOAD_FAIL_GPG=$((LOAD_FAIL_GPG + 1))
		[ "$rk" = 0 ] || LOAD_FAIL_P11=$((LOAD_FAIL_P11 + 1))
		[ "$rs" = 0 ] || LOAD_FAIL_SSH=$((LOAD_FAIL_SSH + 1))
		if [ "${2:-}" != count ]; then
			[ "$rg" = 0 ] || fail "a gpg signature of the load failed beside the checks"
			[ "$rk" = 0 ] || fail "a PKCS#11 listing of the load failed beside the checks"
			[ "$rs" = 0 ] || fail "an ssh login of the load failed beside the checks"
		fi
	done
}
