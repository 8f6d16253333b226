#!/usr/bin/env bash
# presence_clone.sh — continuous presence (issue 12) against a clone and under load:
# - liveness checks every second for 60 s beside a load of gpg signatures (gpg-agent with
#   skinkey-scd), ssh logins (skinkey's agent) and PKCS#11 object listings (pkcs11-tool), in
#   parallel: every check proves the chip, no operation of the load fails, the checks write
#   nothing to the chip's EEPROM (the simulator's per-command write counts: only the signature
#   counter of each gpg signature moves), no PIN retry is spent;
# - a clone (a copy of the chip's state from before its keys were made and before the enrolment:
#   same serial, UID and ATR, other secrets, its own PIN state) swapped in without the reader seeing the chip leave:
#   the next check fails, Session.Lock follows, the failure is in the audit chain.
. "$SK_SRC/tests/lib/common.sh"
. "$SK_SRC/tests/integration/agent_lib.inc"
. "$SK_SRC/tests/lib/gpgcard.sh"
. "$SK_SRC/tests/lib/sshd.sh"
. "$SK_SRC/tests/lib/sysbus.sh"
. "$SK_SRC/tests/lib/presence.sh"
need ssh ssh-add gpg gpgconf /usr/sbin/sshd /usr/bin/python3 dbus-daemon pkcs11-tool

presence_setup "lock-session drop-pins" "log-level = debug"
proofs() { grep -c 'proved itself' "$SKNS_LOG/guard.log" || true; }
proofs_ge() { [ "$(proofs)" -ge "$1" ]; }
stat_of() { sim stats | sed -n "s/^$1=//p"; }

presence_load_setup

ssh_login_check "$SSH_AUTH_SOCK" || fail "ssh login through the skinkey agent failed"
wait_for 60 pstate_is present || fail "no presence session after the unlock"
chip=$(sed -n 's/^chip=//p' "$PSTATE")
tries() { skd "P11PINSTATUS $chip" | sed -n 's/^S P11PIN //p'; }
# a gpg signature (its forced signature PIN needs a SELECT, which resets PW1/82 too) restores
# PW1/82 in the same transaction while checks run: INTERNAL AUTHENTICATE still proves the chip
# right after it, without an enrolment
presence_gpg_sign pre || fail "a gpg signature before the enrolment"
out=$(skd "LIVENESS $chip")
expect_match "$out" '^S LIVENESS ok [0-9]+ [0-9]+ aut' "a check right after a gpg signature (not enrolled)"
# other reads through skinkey-scd may still SELECT (READCERT's first read): the enrolled HMAC proof
# answers then (the clone was copied before the enrolment: it has neither proof)
skinkey presence enroll > /dev/null || fail "skinkey presence enroll"
retries0=$(tries)
[ -n "$retries0" ] || fail "no PIN status for $chip"
note "PIN status before: $retries0"

# 1. 60 s of checks beside a load: no EEPROM write by the checks, no retry spent, no failure
sim reset-stats > /dev/null
p0=$(proofs)
presence_load 60
ops=$LOAD_OPS
p1=$(proofs)
note "60 s: $((p1 - p0)) liveness proofs beside $ops load operations ($(grep -c 'APDU, aut)' "$SKNS_LOG/guard.log") INTERNAL AUTHENTICATE, $(grep -c 'APDU, hmac)' "$SKNS_LOG/guard.log") HMAC in the whole run)"
[ $((p1 - p0)) -ge 30 ] || fail "only $((p1 - p0)) liveness proofs in 60 s at a 1 s interval"
if grep -q 'presence: chip .*: liveness' "$SKNS_LOG/guard.log"; then fail "a liveness check failed under load: $(grep 'liveness:' "$SKNS_LOG/guard.log" | head -3)"; fi
# the load's own writes: each gpg signature moves the signature counter (PSO:CDS, INS 2A); the
# checks (INS 88, ykhmac 01 with a challenge) and everything else write nothing
sigs=$LOAD_SIGS
expect_eq "$(sim stats | grep '^writes_' | tr '\n' ' ')" "writes_openpgp_2A=$sigs " "per-command EEPROM writes during 60 s of checks and the load ($sigs gpg signatures)"
expect_eq "$(stat_of state_writes)" "$sigs" "EEPROM writes during 60 s of checks and the load"
expect_eq "$(tries)" "$retries0" "PIN retry counters (P11PINSTATUS)"
expect_eq "$(login1_locks)" 0 "Lock calls while the chip stayed"

# 2. a clone swapped in, the reader never sees the chip leave: the next check fails -> Lock
t0=$(date +%s.%N)
sim swap "$SKNS_SCRATCH/clone.state" > /dev/null || fail "sim swap"
wait_for 60 locks_ge 1 || fail "no Session.Lock after the clone was swapped in"
t1=$(sed -n 's/^LOCK //p' "$LOGIN1_LOG" | head -1)
note "lock latency after a clone swap (interval 1 s; a wrong proof has no grace): $(echo "$t1 - $t0" | bc) s"
if grep -q 'chip-left' "$SKNS_LOG/guard.log"; then fail "the swap was seen as a removal: the check was not what caught the clone"; fi
grep -q 'gave a wrong proof: the actions run now, no grace' "$SKNS_LOG/guard.log" ||
	fail "the clone's wrong proof waited for the grace time: $(grep presence "$SKNS_LOG/guard.log" | tail -5)"
wait_for 60 sh -c "skinkey audit tail -n 40 | grep -q '^.*liveness:check'" || fail "no liveness failure in the audit chain"
wait_for 60 sh -c "skinkey audit tail -n 40 | grep -q 'presence:locked'" || fail "no presence:locked row"
