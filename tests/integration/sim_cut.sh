#!/usr/bin/env bash
# cut-after N: N more APDUs are answered, the next gets no answer (the chip left the field),
# pcscd sees the card gone, and it stays away until `tap`.
. "$SK_SRC/tests/lib/common.sh"
need skinkey-sim /usr/bin/python3

sim reset-stats >/dev/null
sim cut-after 2 >/dev/null
expect_match "$(sim status)" 'cut_after=2'
set +e
out=$(apdu 00A4040007A0000005272001 0001100000 0001100000 0001100000)
rc=$?
set -e
expect_eq "$rc" 3 "apdu.py exit code (transmit failed)"
expect_eq "$(echo "$out" | sed -n 1p | awk '{print $2}')" 9000 "first APDU answered"
expect_eq "$(echo "$out" | sed -n 2p | awk '{print $2}')" 9000 "second APDU answered"
expect_match "$(echo "$out" | sed -n 3p)" '^(ERROR|NORESPONSE)' "third APDU got no answer"
expect_eq "$(echo "$out" | wc -l)" 3 "fourth APDU never sent"
st=$(sim status)
expect_match "$st" 'present=0'
expect_match "$st" 'connected=0'
expect_match "$st" 'cut_after=-1'
expect_match "$(sim stats)" 'cuts=1'
wait_for 60 reader_empty 0 || fail "card still present after the cut"
sleep 1   # an observation window for a negative check: nothing may bring the card back
! reader_has_card 0 || fail "card came back without a tap"
sim tap >/dev/null
sim_wait_present flexsecure || fail "no present=1 after tap"
wait_for 60 reader_has_card 0 || fail "card not back after tap"
expect_eq "$(apdu 00A4040007A0000005272001 | awk '{print $2}')" 9000 "answers after the tap"
echo ok
