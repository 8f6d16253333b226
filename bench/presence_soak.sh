#!/usr/bin/env bash
# presence_soak.sh — continuous presence's soak (issue 12), not in the suite: liveness checks every
# second for MINUTES (default 10) beside a load of gpg signatures (skinkey-scd), ssh logins
# (skinkey's agent) and PKCS#11 listings (pkcs11-tool), three clients at once, as presence_clone
# does for 60 s. The chip is enrolled (`skinkey presence enroll`). Prints figures: checks (by
# proof), failed checks, load operations and failures, EEPROM writes per command, PIN retry
# counters before/after, Lock calls, chip time per check (p50/p99), CPU time of skinkeyd and
# skinkey-guard. A figure printer: it fails only when it cannot run.
#   tests/lib/skns.sh build bench/presence_soak.sh [MINUTES]
set -uo pipefail
. "$SK_SRC/tests/lib/common.sh"
. "$SK_SRC/tests/integration/agent_lib.inc"
. "$SK_SRC/tests/lib/gpgcard.sh"
. "$SK_SRC/tests/lib/sshd.sh"
. "$SK_SRC/tests/lib/sysbus.sh"
. "$SK_SRC/tests/lib/presence.sh"
need ssh ssh-add gpg gpgconf /usr/sbin/sshd /usr/bin/python3 dbus-daemon pkcs11-tool
minutes=${1:-10}
presence_setup "lock-session drop-pins" "log-level = debug
idle-exit = 0"
presence_load_setup
ssh_login_check "$SSH_AUTH_SOCK" || fail "ssh login"
wait_for 60 pstate_is present || fail "no presence session"
chip=$(sed -n 's/^chip=//p' "$PSTATE")
skinkey presence enroll > /dev/null || fail "skinkey presence enroll"
tries() { skd "P11PINSTATUS $chip" | sed -n 's/^S P11PIN //p'; }
cpu() { awk '{print $14 + $15}' "/proc/$1/stat"; }   # utime + stime, clock ticks
pct() { sort -n | awk -v p="$1" '{a[NR]=$1} END {k=int((p*NR+99)/100); if (k<1) k=1; printf "%.2f", a[k]}'; }
count() { grep -c "$1" "$SKNS_SCRATCH/soak.log" || true; }

pid=$(skd 'GETINFO pid' | sed -n 's/^D //p'); gpid=$(pgrep -x skinkey-guard)
r0=$(tries); sim reset-stats > /dev/null
l0=$(wc -l < "$SKNS_LOG/guard.log")
c0=$(cpu "$pid"); g0=$(cpu "$gpid"); t0=$(date +%s)
presence_load $((minutes * 60)) count
t1=$(date +%s); c1=$(cpu "$pid"); g1=$(cpu "$gpid")
tail -n +"$((l0 + 1))" "$SKNS_LOG/guard.log" > "$SKNS_SCRATCH/soak.log"
aut=$(count 'APDU, aut)'); hm=$(count 'APDU, hmac)')
failed=$(count 'presence: chip .*: liveness:')
hz=$(getconf CLK_TCK)
echo "soak: $((t1 - t0)) s, presence-interval 1 s, grace 2 s, chip enrolled"
echo "checks: $((aut + hm)) proved ($aut INTERNAL AUTHENTICATE, $hm HMAC), $failed failed ($(grep -o 'liveness:[a-z-]*' "$SKNS_SCRATCH/soak.log" | sort | uniq -c | tr '\n' ' ' || true))"
ms_of() { sed -n "s/.*(\([0-9]*\) us on the chip, $1 APDU, $2).*/\1/p" "$SKNS_SCRATCH/soak.log" | awk '{print $1/1000}'; }
echo "chip time per check (ms): aut (1 APDU) p50 $(ms_of 1 aut | pct 50) p99 $(ms_of 1 aut | pct 99); hmac (2 APDUs) p50 $(ms_of 2 hmac | pct 50) p99 $(ms_of 2 hmac | pct 99) n=$(ms_of 2 hmac | wc -l); aut refused then hmac (3 APDUs) p50 $(ms_of 3 hmac | pct 50) p99 $(ms_of 3 hmac | pct 99) n=$(ms_of 3 hmac | wc -l)"
echo "load: $LOAD_OPS operations ($LOAD_SIGS gpg signatures), failures: gpg $LOAD_FAIL_GPG, pkcs11-tool $LOAD_FAIL_P11, ssh $LOAD_FAIL_SSH"
echo "EEPROM writes: $(sim stats | sed -n 's/^state_writes=//p') ($(sim stats | grep '^writes_' | tr '\n' ' ' || true)); gpg signatures move the signature counter (openpgp 2A), checks write nothing"
echo "PIN status (P11PINSTATUS: retry counters): before $r0, after $(tries)"
echo "Lock calls: $(login1_locks); presence state: $(pstate)"
echo "CPU: skinkeyd $(echo "scale=2; ($c1 - $c0) / $hz" | bc) s, skinkey-guard $(echo "scale=2; ($g1 - $g0) / $hz" | bc) s over $((t1 - t0)) s"
