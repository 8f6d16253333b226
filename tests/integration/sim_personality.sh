#!/usr/bin/env bash
# Both card personalities side by side: flexsecure on slot 0, DESFire EV3 on slot 1, each with
# its own ATR, control socket and state file; the DESFire card gets raw APDUs (no SELECT by AID).
. "$SK_SRC/tests/lib/common.sh"
need skinkey-sim opensc-tool /usr/bin/python3

expect_eq "$(opensc-tool -r 0 -a)" "3b:8a:80:01:4a:43:4f:50:34:20:50:37:31:00:5f" "flexsecure ATR"
! reader_has_card 1 || fail "slot 1 busy before the DESFire card runs"
# a client offering T=0|T=1 gets T=1, as with a JCOP4 on a contactless reader
proto=$(/usr/bin/python3 -c "
from smartcard.scard import *
rc, ctx = SCardEstablishContext(SCARD_SCOPE_USER)
rc, h, proto = SCardConnect(ctx, '$SK_READER0', SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1)
print('T1' if rc == 0 and proto == SCARD_PROTOCOL_T1 else 'rc=%x proto=%d' % (rc, proto))")
expect_eq "$proto" T1 "negotiated protocol"
# FF CA 00 00: the reader's GET DATA answers a JCOP-style random UID, new for each tap
uid1=$(apdu FFCA000000)
expect_match "$uid1" '^08[0-9A-F]{6} 9000$'
expect_eq "$(apdu FFCA000000)" "$uid1" "UID stable within a field session"
sim_out; sim_in
sim_wait_present flexsecure || fail "flexsecure not back"
wait_for 60 reader_has_card 0 || fail "flexsecure not seen after tap"
uid2=$(apdu FFCA000000)
expect_match "$uid2" '^08[0-9A-F]{6} 9000$'
[ "$uid1" != "$uid2" ] || fail "same random UID after a new tap"

skinkey-sim run --card desfire --state "$SKNS_SCRATCH/data/df.state" >> "$SKNS_LOG/sim-desfire2.log" 2>&1 &
dfpid=$!
trap 'kill $dfpid 2>/dev/null || true' EXIT
sim_wait_present desfire 10 || fail "DESFire simulator not present"
wait_for 60 reader_has_card 1 || fail "pcscd does not see the DESFire card"
expect_eq "$(opensc-tool -r 1 -a)" "3b:81:80:01:80:80" "DESFire ATR"
expect_match "$(sim --card desfire status)" 'card=desfire'
expect_match "$(sim --card desfire status)" 'vpcd=127.0.0.1:35964'
[ -s "$SKNS_SCRATCH/data/df.state" ] || fail "DESFire state file not written"

# GetVersion (native 60 wrapped): first frame answers 91 AF, hardware major 0x33 = EV3
sim --card desfire reset-stats >/dev/null
sim reset-stats >/dev/null
out=$(apdu --reader 1 9060000000)
expect_match "$out" ' 91AF$'
expect_eq "$(echo "$out" | cut -c7-8)" 33 "hardware major version (EV3)"
expect_eq "$(sim_apdus --card desfire)" 1 "DESFire APDU count"
expect_eq "$(sim_apdus)" 0 "flexsecure counted the DESFire APDU"
# SELECT by AID is not a DESFire thing: the framework passes it to the card as is
out=$(apdu --reader 1 00A4040007A0000005272001)
[ "$(echo "$out" | awk '{print $NF}')" != 9000 ] || fail "DESFire card accepted the ykhmac SELECT"

# remove / tap of one card leaves the other alone
sim --card desfire remove >/dev/null
wait_for 60 sh -c '! /usr/bin/python3 -c "
from smartcard.System import readers
readers()[1].createConnection().connect()" 2>/dev/null' || fail "DESFire still present after remove"
reader_has_card 0 || fail "flexsecure left with the DESFire card"
sim --card desfire tap >/dev/null
sim_wait_present desfire 10 || fail "DESFire not back after tap"
sim --card desfire quit >/dev/null
wait "$dfpid" || fail "DESFire simulator exit code"
echo ok
