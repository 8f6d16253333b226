#!/usr/bin/env bash
# duress_applet.sh — libskduress against the simulated DuressApplet through pcscd: setup with
# the admin key, each PIN picks its context, a wrong PIN costs every context a try (as the
# applet says) and is never retried, a blocked context stays blocked, a refused admin key sends
# nothing more; in the simulator's trace every SELECT_CONTEXT and ADMIN_AUTH follows the
# DuressApplet's SELECT directly (HACKING.md rule 1).
source "$SK_SRC/tests/lib/common.sh"
probe=$SK_BUILD/duress/sk-duress-probe
[ -x "$probe" ] || fail "required tool missing: $probe"
need skinkey-sim

val() { printf '%s\n' "$1" | sed -n "s/^$2=//p"; }
zero=$(printf '0%.0s' $(seq 64))
admin=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
simlog=$SKNS_SCRATCH/log/sim-flexsecure.log
[ -f "$simlog" ] || fail "no simulator log at $simlog"
sim trace on > /dev/null || fail "skinkey-sim ctl trace on"
simlines=$(wc -l < "$simlog")

out=$($probe version) || fail "version: $out"
expect_eq "$(val "$out" version)" 1.0.0 "applet version"

# factory state: no PIN set, nothing unlocks
out=$($probe unlock 111111) && fail "factory applet unlocked: $out"
expect_eq "$(val "$out" err)" -15 "factory applet: PIN refused (SK_ERR_PIN_WRONG)"

out=$($probe setup "$zero" 111111 222222 333333 "$admin") || fail "setup: $out"
sim reset-stats > /dev/null
out=$($probe setup "$zero" 1 2 3) && fail "old admin key still accepted: $out"
expect_eq "$(val "$out" err)" -19 "old admin key refused (SK_ERR_DENIED)"
expect_eq "$(sim_apdus)" 2 "refused admin key: SELECT + ADMIN_AUTH, nothing more"

n=0
for pin in 111111 222222 333333; do
	out=$($probe unlock "$pin" 00112233) || fail "unlock $pin: $out"
	expect_eq "$(val "$out" ctx)" "$n" "PIN $pin opens context $n"
	macs[n]=$(val "$out" mac)
	[ "${#macs[n]}" = 64 ] || fail "context $n: CHALLENGE answer '${macs[n]}'"
	n=$((n + 1))
done
[ "${macs[0]}" != "${macs[1]}" ] && [ "${macs[1]}" != "${macs[2]}" ] ||
	fail "two contexts answered the same CHALLENGE: their keys are not separate"
# the same PIN, the same context key
expect_eq "$(val "$($probe unlock 222222 00112233)" mac)" "${macs[1]}" "decoy key stable"

# a wrong PIN: one SELECT, one SELECT_CONTEXT, no retry; every counter decrements
sim reset-stats > /dev/null
out=$($probe unlock 999999) && fail "wrong PIN accepted: $out"
expect_eq "$(val "$out" err)" -15 "wrong PIN is SK_ERR_PIN_WRONG"
expect_eq "$(sim_apdus)" 2 "wrong PIN: SELECT + SELECT_CONTEXT, never retried"
out=$($probe unlock 999999) && fail "wrong PIN accepted: $out"
# primary unlock refills only the primary's counter; decoy and burn are at 1
$probe unlock 111111 > /dev/null || fail "primary after two wrong PINs"
out=$($probe unlock 999999) && fail "wrong PIN accepted: $out"
out=$($probe unlock 222222) && fail "decoy unlocked with its counter at 0: $out"
expect_eq "$(val "$out" err)" -16 "decoy blocked after three wrong PINs (SK_ERR_PIN_BLOCKED)"
out=$($probe unlock 333333) && fail "burn unlocked with its counter at 0: $out"
expect_eq "$(val "$out" err)" -16 "burn blocked too: every counter decremented"
out=$($probe unlock 111111) || fail "primary (2 tries left) refused: $out"
expect_eq "$(val "$out" ctx)" 0 "primary still opens"
# the admin unblocks by setting the PINs again
$probe setup "$admin" 111111 222222 333333 > /dev/null || fail "setup again"
expect_eq "$(val "$($probe unlock 222222)" ctx)" 1 "decoy open again after setup"

# local refusal: an empty PIN never reaches the chip
sim reset-stats > /dev/null
out=$($probe unlock "") && fail "empty PIN accepted: $out"
expect_eq "$(val "$out" err)" -18 "empty PIN refused locally (SK_ERR_PIN_FORMAT)"
expect_eq "$(sim_apdus)" 0 "empty PIN: no APDU"

sim trace off > /dev/null || true
tail -n +"$((simlines + 1))" "$simlog" > "$SKNS_SCRATCH/log/duress-trace.txt"
# each PIN or admin-key APDU of the DuressApplet (redacted 00 20 / 00 60 / 00 41 / 00 40)
# directly after a SELECT of F0 44 55 52 45 53 53 01 answered 90 00
/usr/bin/python3 - "$SKNS_SCRATCH/log/duress-trace.txt" <<'PY' || fail "a PIN went out without its SELECT just before it"
import re, sys
lines = [l.rstrip("\n") for l in open(sys.argv[1]) if l.startswith("skinkey-sim: ")]
cmds = []   # (command text, answer text)
for i, l in enumerate(lines):
    if l.startswith("skinkey-sim: >"):
        ans = lines[i + 1] if i + 1 < len(lines) and lines[i + 1].startswith("skinkey-sim: <") else ""
        cmds.append((l[len("skinkey-sim: >"):].strip().upper(), ans.upper()))
sel = "00 A4 04 00 08 F0 44 55 52 45 53 53 01"
pins = 0
for k, (c, a) in enumerate(cmds):
    m = re.match(r"\(DATA REDACTED\)\s+00 (20|60)\b", c)
    if not m:
        continue
    pins += 1
    prev, pans = cmds[k - 1] if k else ("", "")
    if not prev.startswith(sel) or not pans.endswith("90 00"):
        print("PIN APDU %r after %r / %r" % (c, prev, pans)); sys.exit(1)
if pins < 15:
    print("only %d PIN/admin APDUs in the trace: trace not captured?" % pins); sys.exit(1)
print("pin_apdus=%d all after their SELECT" % pins)
PY
echo ok
