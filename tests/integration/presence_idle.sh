#!/usr/bin/env bash
# presence_idle.sh — logind reports the session idle: PINs are dropped (issue 12). On the private
# system bus the stub logind's session (Id c1, alias session/auto) sets IdleHint and emits
# PropertiesChanged from its own path, as logind does. skinkey-guard (presence-interval set) hears
# it: the watched session ends quietly (no grace, no Lock: idle is not absence), skinkeyd forgets
# the cached PINs, and the next ssh login asks for the PIN again. IdleHint false changes nothing;
# the next PIN starts a watched session again. The change is in the audit chain.
. "$SK_SRC/tests/lib/common.sh"
. "$SK_SRC/tests/integration/agent_lib.inc"
. "$SK_SRC/tests/lib/gpgcard.sh"
. "$SK_SRC/tests/lib/sshd.sh"
. "$SK_SRC/tests/lib/sysbus.sh"
. "$SK_SRC/tests/lib/presence.sh"
need ssh ssh-add gpg /usr/sbin/sshd /usr/bin/python3 dbus-daemon dbus-send

presence_setup "lock-session drop-pins"
prompts() { grep -c . "$HOME/.test-pins.log" 2>/dev/null || true; }
wait_for 60 grep -q 'watching /org/freedesktop/login1/session/c1 for IdleHint' "$SKNS_LOG/guard.log" ||
	fail "skinkey-guard does not watch the logind session: $(grep presence "$SKNS_LOG/guard.log")"

ssh_login_check "$SSH_AUTH_SOCK" || fail "ssh login through the skinkey agent failed"
wait_for 60 pstate_is present || fail "no presence session after the unlock"
n=$(prompts)
[ "$n" -ge 1 ] || fail "the first ssh login did not ask for the PIN"
ssh_login_check "$SSH_AUTH_SOCK" || fail "second ssh login"
expect_eq "$(prompts)" "$n" "PIN prompts of a second login while the PIN is cached"

# idle: PINs dropped, the watch ends without a Lock
login1_idle true || fail "SetIdleHint true on the stub logind"
wait_for 60 grep -q 'session idle (logind IdleHint): PINs dropped' "$SKNS_LOG/guard.log" || fail "no PIN drop after IdleHint true"
wait_for 60 pstate_is idle || fail "presence state after idle: $(pstate)"
expect_match "$(skinkey presence status)" '^presence: idle \(session-idle\)' "presence status after idle"
grep -q 'presence: cached PINs dropped' "$SKNS_LOG/skinkeyd.log" || fail "skinkeyd did not drop its PINs"
wait_for 60 sh -c "skinkey audit tail -n 20 | grep -q 'presence:idle'" || fail "no presence:idle row in the audit chain"

# the next login asks for the PIN again and starts a new watched session
ssh_login_check "$SSH_AUTH_SOCK" || fail "ssh login after idle"
expect_eq "$(prompts)" "$((n + 1))" "PIN prompts: the login after idle asked again"
wait_for 60 pstate_is present || fail "no presence session after the PIN following idle"

# IdleHint false drops nothing
login1_idle false || fail "SetIdleHint false"
wait_for 60 grep -q 'IdleHint false' "$SKNS_LOG/guard.log" || fail "skinkey-guard did not hear IdleHint false"
ssh_login_check "$SSH_AUTH_SOCK" || fail "ssh login after IdleHint false"
expect_eq "$(prompts)" "$((n + 1))" "PIN prompts after IdleHint false (the PIN stays cached)"
expect_eq "$(login1_locks)" 0 "Lock calls: idle is not absence"
expect_eq "$(grep -c 'PINs dropped' "$SKNS_LOG/guard.log")" 1 "PIN drops (one idle, one not-idle)"
