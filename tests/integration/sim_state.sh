#!/usr/bin/env bash
# State persistence: an HMAC slot programmed through APDUs survives a simulator restart; the
# state file is rewritten atomically; a corrupt state file makes the simulator refuse to start.
. "$SK_SRC/tests/lib/common.sh"
need skinkey-sim /usr/bin/python3 sha1sum

state=$SKNS_SCRATCH/data/flexsecure.state
[ -s "$state" ] || fail "factory-fresh state file not written at start"

# RFC 2202 test 1 key (20 x 0b) into slot 1: YubiKey config structure, HMAC-SHA1 chal-resp
cfg=$(/usr/bin/python3 - <<'PY'
key = bytes([0x0b] * 20)
c = bytearray(52)
c[22:38] = key[:16]; c[16:20] = key[16:]
c[46] = 0x40; c[47] = 0x26
crc = 0xffff
for b in c[:50]:
    crc ^= b
    for _ in range(8):
        crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
crc = ~crc & 0xffff
c[50] = crc & 0xff; c[51] = crc >> 8
print(c.hex())
PY
)
chal=$(printf 'Hi There' | od -An -tx1 | tr -d ' \n')
want=b617318655057264e28bc0b6fb378c8ef146be00
out=$(apdu 00A4040007A0000005272001 "0001010034$cfg" "0001300008$chal")
expect_eq "$(echo "$out" | sed -n 2p | awk '{print $2}')" 9000 "program slot 1"
expect_eq "$(echo "$out" | sed -n 3p)" "${want^^} 9000" "HMAC before restart"
serial=$(apdu 00A4040007A0000005272001 0001100000 | sed -n 2p)
sum_before=$(sha1sum < "$state")
[ ! -e "$state.tmp" ] || fail "temporary state file left behind"

# restart the simulator on the same state
sim quit >/dev/null
wait_for 60 sh -c '! skinkey-sim ctl status' || fail "simulator did not quit"
expect_eq "$(sha1sum < "$state")" "$sum_before" "state file changed by quit"
skinkey-sim run --card flexsecure --state "$state" >> "$SKNS_LOG/sim-restart.log" 2>&1 &
simpid=$!
trap 'kill $simpid 2>/dev/null || true' EXIT
sim_wait_present flexsecure || fail "restarted simulator not present"
wait_for 60 reader_has_card 0 || fail "pcscd does not see the restarted card"
out=$(apdu 00A4040007A0000005272001 "0001300008$chal" 0001100000)
expect_eq "$(echo "$out" | sed -n 2p)" "${want^^} 9000" "HMAC after restart"
expect_eq "$(echo "$out" | sed -n 3p)" "$serial" "serial after restart"
sim quit >/dev/null
wait "$simpid" || fail "simulator exit code $?"

# a damaged state file: refuse to start, say why, leave the file alone
printf '\x01' | dd of="$state" bs=1 seek=20 conv=notrunc status=none
sum_bad=$(sha1sum < "$state")
set +e
msg=$(timeout 60 skinkey-sim run --card flexsecure --state "$state" --ctl "$SKNS_SCRATCH/bad.ctl" 2>&1)
rc=$?
set -e
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || fail "simulator started on a corrupt state file (rc=$rc)"
expect_match "$msg" 'corrupt'
expect_eq "$(sha1sum < "$state")" "$sum_bad" "corrupt state file was modified"

echo ok
