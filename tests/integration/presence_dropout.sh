#!/usr/bin/env bash
# presence_dropout.sh — continuous presence (issue 12) with the PIN-free proof:
# - `skinkey presence enroll` programs an empty HMAC-SHA1 slot (one EEPROM write, counted by the
#   simulator) and keeps the secret on the host, 0600; a second one is refused; --again puts a new
#   secret in the enrolled slot;
# - another program selecting another applet (OATH, then the HMAC applet, raw PC/SC) and skinkey's
#   own HMAC/OATH use between checks: the genuine chip still proves itself, no Lock;
# - a 0.5 s field dropout (the chip resets and loses its PIN state) with 2 s grace: the chip proves
#   itself with the enrolled HMAC, no PIN sent, no Lock, the session continues (ssh works, and
#   INTERNAL AUTHENTICATE is used again once the PIN state stands);
# - no EEPROM write and no PIN retry spent by any of these checks;
# - a clone (same serial, UID, ATR; state copied before the enrolment) still ends in a Lock.
. "$SK_SRC/tests/lib/common.sh"
. "$SK_SRC/tests/integration/agent_lib.inc"
. "$SK_SRC/tests/lib/gpgcard.sh"
. "$SK_SRC/tests/lib/sshd.sh"
. "$SK_SRC/tests/lib/sysbus.sh"
. "$SK_SRC/tests/lib/presence.sh"
need ssh ssh-add gpg /usr/sbin/sshd /usr/bin/python3 dbus-daemon

presence_setup "lock-session drop-pins" "log-level = debug"
stat_of() { sim stats | sed -n "s/^$1=//p"; }
# proofs [KIND]: successful checks so far in the guard's log (KIND aut|hmac: of that proof)
proofs() { grep 'proved itself (' "$SKNS_LOG/guard.log" | grep -c "APDU, ${1:-[a-z]*})" || true; }
proofs_ge() { [ "$(proofs "${2:-}")" -ge "$1" ]; }
failed_checks() { grep -c 'presence: chip .*: liveness:' "$SKNS_LOG/guard.log" || true; }

ssh_login_check "$SSH_AUTH_SOCK" || fail "ssh login through the skinkey agent failed"
wait_for 60 pstate_is present || fail "no presence session after the unlock"
chip=$(sed -n 's/^chip=//p' "$PSTATE")
tries() { skd "P11PINSTATUS $chip" | sed -n 's/^S P11PIN //p'; }
retries0=$(tries)
[ -n "$retries0" ] || fail "no PIN status for $chip"

wait_for 60 proofs_ge 1 aut || fail "no INTERNAL AUTHENTICATE proof while the PIN state stands"

# 1. enrolment: one EEPROM write (the slot's programming), a 0600 secret on the host
sim reset-stats > /dev/null
out=$(skinkey presence enroll) || fail "skinkey presence enroll: $out"
expect_match "$out" "chip $chip enrolled .*HMAC slot 1" "enroll output"
expect_eq "$(stat_of state_writes)" 1 "EEPROM writes of the enrolment"
expect_eq "$(stat_of writes_ykhmac_01)" 1 "the enrolment's write is the HMAC slot programming (ykhmac INS 01)"
keyf=$XDG_DATA_HOME/skinkey/presence/$chip.key
expect_eq "$(stat -c %a "$keyf")" 600 "mode of the host's copy of the secret"
if skinkey presence enroll > /dev/null 2>&1; then fail "a second enrolment of the same chip was accepted"; fi
expect_eq "$(stat_of state_writes)" 1 "EEPROM writes after a refused second enrolment"
# --again: a new secret in the enrolled slot (one more write); the checks go on with it
k1=$(sed -n 's/^key //p' "$keyf")
out=$(skinkey presence enroll --again) || fail "skinkey presence enroll --again: $out"
expect_match "$out" "chip $chip enrolled .*HMAC slot 1" "enroll --again output"
[ "$(sed -n 's/^key //p' "$keyf")" != "$k1" ] || fail "enroll --again kept the old secret"
expect_eq "$(stat_of writes_ykhmac_01)" 2 "writes of an enrolment and an enrolment again"
note "enrolment twice: $(stat_of apdus) APDUs, 2 EEPROM writes (writes_ykhmac_01)"

# the checks: zero writes from here on
sim reset-stats > /dev/null
locks0=$(login1_locks)
fails0=$(failed_checks)

# 2. another applet selected between checks, by another program and by skinkey itself
p=$(proofs hmac)
apdu 00A4040007A0000005272101 > /dev/null || fail "raw SELECT of the OATH applet"
out=$(skinkey presence test) || fail "check after another program selected OATH: $out"
expect_match "$out" 'proved itself.*enrolled HMAC proof' "check after OATH was selected elsewhere"
apdu 00A4040007A0000005272001 > /dev/null || fail "raw SELECT of the HMAC applet"
out=$(skinkey presence test) || fail "check after another program selected the HMAC applet: $out"
skinkey oath list > /dev/null || fail "skinkey oath list (skinkey's own use of the OATH applet)"
out=$(skinkey presence test) || fail "check after skinkey's own OATH use: $out"
expect_match "$out" 'proved itself' "check after skinkey's OATH use"
wait_for 60 proofs_ge $((p + 1)) hmac || fail "the guard's checks did not go on with the HMAC proof"
expect_eq "$(login1_locks)" "$locks0" "Lock calls after other applets' use"

# 3. ssh again (PIN state back), then a 0.5 s dropout with 2 s grace: no Lock, the session goes on
ssh_login_check "$SSH_AUTH_SOCK" || fail "ssh after other applets' use"
p=$(proofs aut)
wait_for 60 proofs_ge $((p + 1)) aut || fail "no INTERNAL AUTHENTICATE proof once the PIN state stood again"
h=$(proofs hmac)
sim dropout 500 > /dev/null || fail "sim dropout"
sim_wait_present || fail "the chip did not come back after the dropout"
# after the dropout the chip has no PIN state: only the enrolled proof can succeed
wait_for 60 proofs_ge $((h + 1)) hmac || fail "no HMAC proof after the dropout: $(grep 'liveness:' "$SKNS_LOG/guard.log" | tail -3)"
wait_for 60 pstate_is present || fail "presence state after the dropout: $(pstate)"
# two more proofs: the 2 s grace of a removal seen at the dropout is over by then
p=$(proofs)
wait_for 60 proofs_ge $((p + 2)) || fail "the checks stopped after the dropout"
expect_eq "$(login1_locks)" "$locks0" "Lock calls after a 0.5 s dropout with 2 s grace"
if grep -q 'grace over' "$SKNS_LOG/guard.log"; then fail "a grace ran out: $(grep 'grace over' "$SKNS_LOG/guard.log")"; fi
expect_match "$(skinkey presence status)" '^presence: present' "presence status after the dropout"
grep -q 'chip-left\|proved itself within grace' "$SKNS_LOG/guard.log" && note "the dropout was seen as a removal and cancelled within grace" || note "the dropout was seen as a chip reset only"
ssh_login_check "$SSH_AUTH_SOCK" || fail "ssh after the dropout: the session did not go on"
expect_eq "$(stat_of state_writes)" 0 "EEPROM writes of the checks"
if sim stats | grep -q '^writes_'; then fail "per-command EEPROM writes: $(sim stats | grep '^writes_')"; fi
expect_eq "$(tries)" "$retries0" "PIN retry counters (P11PINSTATUS)"
note "failed checks logged since the enrolment: $(( $(failed_checks) - fails0 ))"

# 4. a clone still ends the session: no PIN state and an empty HMAC slot
n=$(login1_locks)
sim swap "$SKNS_SCRATCH/clone.state" > /dev/null || fail "sim swap"
wait_for 60 locks_ge $((n + 1)) || fail "no Session.Lock after the clone was swapped in"
grep -q 'liveness:wrong-answer\|liveness:refused\|liveness:pin-state-gone' "$SKNS_LOG/guard.log" || fail "no failed proof logged for the clone"
wait_for 60 sh -c "skinkey audit tail -n 40 | grep -q 'presence:locked'" || fail "no presence:locked row"
