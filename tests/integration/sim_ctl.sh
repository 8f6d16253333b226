#!/usr/bin/env bash
# skinkey-sim control socket: status fields, errors, tap/remove as pcscd sees them, stats counting.
. "$SK_SRC/tests/lib/common.sh"
need skinkey-sim opensc-tool /usr/bin/python3

# no simulator on a path: a clear error and a non-zero exit
if out=$(skinkey-sim ctl --ctl "$SKNS_SCRATCH/none.ctl" status 2>&1); then fail "ctl on a dead socket succeeded"; fi
expect_match "$out" 'no simulator is running'
if skinkey-sim ctl frobnicate 2>/dev/null; then fail "unknown command accepted"; fi
if skinkey-sim ctl latency abc 2>/dev/null; then fail "bad latency accepted"; fi
if skinkey-sim ctl malformed sideways 2>/dev/null; then fail "bad malformed kind accepted"; fi

expect_eq "$(stat -c %a "$XDG_RUNTIME_DIR/skinkey-sim-flexsecure.ctl")" 600 "control socket mode"
# a second simulator on the same control socket refuses to start
if timeout 5 skinkey-sim run --state "$SKNS_SCRATCH/second.state" 2>"$SKNS_SCRATCH/second.err"; then
	fail "second simulator started"
fi
expect_match "$(cat "$SKNS_SCRATCH/second.err")" 'already runs'

st=$(sim status)
expect_match "$st" '^present=1'
expect_match "$st" 'connected=1'
expect_match "$st" 'card=flexsecure'
expect_match "$st" 'applets=([a-z]+,)*ykhmac'

# trace: APDUs in the simulator's log, PIN and key data never
sim trace on >/dev/null
cfg=$(/usr/bin/python3 -c "
c = bytearray(52); c[22:38] = b'\xab' * 16; c[16:20] = b'\xab' * 4; c[46] = 0x40; c[47] = 0x26
crc = 0xffff
for b in c[:50]:
    crc ^= b
    for _ in range(8):
        crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
crc = ~crc & 0xffff; c[50] = crc & 0xff; c[51] = crc >> 8
print(c.hex())")
out=$(apdu 00A4040007A0000005272001 0020008106313233343536 "0001010034$cfg" 0001300001AA)
expect_eq "$(echo "$out" | sed -n 3p | awk '{print $2}')" 9000 "slot programmed"
expect_match "$(echo "$out" | sed -n 4p)" '^[0-9A-F]{40} 9000$' "HMAC answer"
sim trace off >/dev/null
apdu 00A4040007A0000005272001 >/dev/null
log=$(cat "$SKNS_LOG/sim-flexsecure.log")
expect_match "$log" '> 00 A4 04 00 07 A0 00 00 05 27 20 01'
expect_match "$log" 'redacted\) 00 20 00 81$'
expect_match "$log" 'redacted\) 00 01 01 00$'
! printf '%s' "$log" | grep_all '31 32 33 34 35 36' || fail "PIN bytes in the trace"
! printf '%s' "$log" | grep_all 'AB AB AB' || fail "HMAC key bytes in the trace"
expect_match "$log" '< 03 04 00 00 00 00 02 0F 00 00 90 00'  # SELECT answer is no secret
hmac=$(echo "$out" | sed -n 4p | cut -c1-8 | sed 's/../& /g; s/ $//')
! printf '%s' "$log" | grep_all "$hmac" || fail "HMAC answer bytes in the trace"
expect_match "$log" '> 00 01 30 00 01 AA'                   # the challenge is no secret
expect_match "$log" '< \(data redacted\) 90 00'              # its HMAC answer is
expect_eq "$(printf '%s\n' "$log" | grep -c '> 00 A4 04 00 07 A0 00 00 05 27 20 01')" 1 "trace off stops tracing"

# pcscd sees the card in slot 0, not in slot 1
expect_match "$(opensc-tool -l)" '0 +Yes +Virtual PCD 00 00'
reader_has_card 0 || fail "reader 0 has no card"
! reader_has_card 1 || fail "reader 1 has a card"

# remove: pcscd sees the card leave; tap: it comes back
sim remove >/dev/null
expect_match "$(sim status)" 'present=0'
wait_for 60 sh -c "opensc-tool -l | grep -Eq '0 +No +Virtual PCD 00 00'" || fail "pcscd still lists a card after remove"
! reader_has_card 0 || fail "can still connect to the card after remove"
sim tap >/dev/null
sim_wait_present flexsecure || fail "no present=1 after tap"
wait_for 60 reader_has_card 0 || fail "pcscd does not see the card after tap"

st=$(sim stats)
expect_match "$st" 'taps=1'
expect_match "$st" 'removes=1'

# stats: exactly the APDUs we send are counted; reset-stats zeroes
sim reset-stats >/dev/null
expect_eq "$(sim_apdus)" 0 "after reset-stats"
apdu 00A4040007A0000005272001 0001100000 00A4040002FFFF >/dev/null
expect_eq "$(sim_apdus)" 3 "three APDUs"
out=$(apdu 00A4040002FFFF 00A404 0001300041$(printf '00%.0s' $(seq 65)))
expect_eq "$(echo "$out" | sed -n 1p)" 6A82 "unknown AID"
expect_eq "$(echo "$out" | sed -n 2p)" 6700 "malformed APDU"
expect_eq "$(echo "$out" | sed -n 3p)" 6700 "65-byte challenge"
expect_eq "$(sim_apdus)" 6 "six APDUs"
st=$(sim stats)
expect_eq "$(echo "$st" | head -1)" "apdus=6" "stats first line"
echo "ok"
