#!/usr/bin/env bash
# presence_lock.sh — continuous presence (issue 12) on a private system bus with a stub logind:
# an ssh login through skinkey's agent unlocks a session (PW1/82 accepted); while it is unlocked
# skinkey-guard runs a liveness check every second (INTERNAL AUTHENTICATE verified with the key
# pinned at unlock). The chip leaving: Session.Lock is called, the ssh session that used the chip
# ends, the ssh-agent door answers locked, the PINs are gone; after a tap and a PIN (PKCS#11
# login) everything works again. SIGKILL of skinkeyd while unlocked: Lock (fail-closed). Every
# presence change and liveness failure reaches the audit chain.
. "$SK_SRC/tests/lib/common.sh"
. "$SK_SRC/tests/integration/agent_lib.inc"
. "$SK_SRC/tests/lib/gpgcard.sh"
. "$SK_SRC/tests/lib/sshd.sh"
. "$SK_SRC/tests/lib/sysbus.sh"
. "$SK_SRC/tests/lib/presence.sh"
need ssh ssh-add gpg /usr/sbin/sshd /usr/bin/python3 dbus-daemon pkcs11-tool

presence_setup "lock-session lock-agents drop-pins end-ssh"

# 1. unlock: an ssh login through the agent (the PIN from pinentry-program) starts the session
ssh_login_check "$SSH_AUTH_SOCK" || fail "ssh login through the skinkey agent failed"
wait_for 60 pstate_is present || fail "no presence session after the unlock (state: $(pstate))"
expect_match "$(skinkey presence status)" '^presence: present' "skinkey presence status while unlocked"
out=$(skinkey presence test) || fail "skinkey presence test: $out"
expect_match "$out" 'proved itself' "presence test"
expect_eq "$(login1_locks)" 0 "Lock calls while the chip is present"

# a long ssh session that authenticated with the chip
SSH_AUTH_SOCK=$SSH_AUTH_SOCK setsid ssh -F /dev/null -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
	-o BatchMode=yes -o LogLevel=ERROR -p "$SSHD_PORT" root@127.0.0.1 'sleep 600' < /dev/null > /dev/null 2>&1 &
ssh_pid=$!
wait_for 60 sh -c "skinkey audit tail -n 20 | grep -q 'key-op:auth .*ssh\[$ssh_pid\]'" || fail "the long ssh session did not authenticate through the chip"

# 2. removal: Lock, the ssh session ends, the agent is locked
t0=$(date +%s.%N)
sim_out
wait_for 60 locks_ge 1 || fail "no Session.Lock after the chip left"
t1=$(sed -n 's/^LOCK //p' "$LOGIN1_LOG" | head -1)
note "lock latency after removal (grace 2 s): $(echo "$t1 - $t0" | bc) s"
wait_for 60 sh -c "! kill -0 $ssh_pid 2>/dev/null" || fail "the ssh session that used the chip still runs"
# the removal is seen either by the reader watch (chip-left) or first by a liveness check that
# found no chip (liveness:absent): both are the chip leaving
expect_match "$(skinkey presence status)" '^presence: idle \((chip-left|liveness:absent)\)' "skinkey presence status after the lock"
sim_in
wait_for 60 skd_sees_card || fail "skinkeyd does not see the chip again"
if ssh_login_check "$SSH_AUTH_SOCK"; then fail "the ssh-agent door answered while locked"; fi
grep -q 'ssh-agent door locked by presence' "$SKNS_LOG/skinkeyd.log" || fail "no 'locked' refusal in skinkeyd's log"
wait_for 60 sh -c "skinkey audit tail -n 40 | grep -q 'presence:grace'" || fail "no presence:grace row in the audit chain"
wait_for 60 sh -c "skinkey audit tail -n 40 | grep -q 'presence:locked'" || fail "no presence:locked row in the audit chain"

# 3. a tap and a PIN (PKCS#11 login) unlock again: ssh works, a new session is watched
SO=$SK_BUILD/pkcs11/skinkey-pkcs11.so
tok=$(pkcs11-tool --module "$SO" -L 2>/dev/null | sed -n 's/^ *token label *: *\(fs-[0-9a-f]* OpenPGP\).*/\1/p' | head -1)
pkcs11-tool --module "$SO" --token-label "$tok" --login --pin 123456 -O > /dev/null || fail "PKCS#11 login after the tap"
ssh_login_check "$SSH_AUTH_SOCK" || fail "ssh after a tap and the PIN"
wait_for 60 pstate_is present || fail "no presence session after the second unlock"

# 4. fail-closed: SIGKILL of skinkeyd while unlocked -> Lock within grace
n=$(login1_locks)
t0=$(date +%s.%N)
kill -KILL "$(skd_pids | head -1)"
wait_for 60 locks_ge $((n + 1)) || fail "no Session.Lock after SIGKILL of skinkeyd"
t1=$(sed -n 's/^LOCK //p' "$LOGIN1_LOG" | tail -1)
note "lock latency after SIGKILL of skinkeyd (grace 2 s): $(echo "$t1 - $t0" | bc) s"
