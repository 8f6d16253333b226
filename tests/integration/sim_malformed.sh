#!/usr/bin/env bash
# malformed modes change data-bearing answers exactly as documented; answers without data and
# the card's behaviour after `malformed off` are untouched.
. "$SK_SRC/tests/lib/common.sh"
need skinkey-sim /usr/bin/python3

SEL=00A4040007A0000005272001
fresh=030400000000020F0000   # factory-fresh ykhmac SELECT answer
expect_eq "$(apdu $SEL)" "$fresh 9000" "normal SELECT"

sim malformed truncate >/dev/null
expect_match "$(sim status)" 'malformed=truncate'
expect_eq "$(apdu $SEL)" "0304000000 9000" "truncate cuts the data in half"
expect_eq "$(apdu $SEL 0001300001AA)" "$(printf '0304000000 9000\n9000')" "no-data answer untouched"

sim malformed badlen >/dev/null
expect_eq "$(apdu $SEL)" "0382FFF000000000020F0000 9000" "badlen: length 82 FFF0 past the end"

sim malformed badsw >/dev/null
expect_eq "$(apdu $SEL $SEL $SEL)" "$(printf '%s 6F00\n%s 6A80\n%s 9999' $fresh $fresh $fresh)" "badsw rotation"

sim malformed chain >/dev/null
set +e
out=$(apdu $SEL 00C0000005)
rc=$?
set -e
expect_eq "$rc" 3 "GET RESPONSE after a chain cut fails"
expect_eq "$(echo "$out" | sed -n 1p)" "0304000000 6105" "chain: 61xx with half the data"
expect_match "$(echo "$out" | sed -n 2p)" '^(ERROR|NORESPONSE)' "no answer to GET RESPONSE"
expect_match "$(sim status)" 'present=0'
sim malformed off >/dev/null
sim tap >/dev/null
sim_wait_present flexsecure || fail "no present=1 after tap"
wait_for 60 reader_has_card 0 || fail "card not back after tap"
expect_eq "$(apdu $SEL)" "$fresh 9000" "normal again after malformed off"

sim malformed on >/dev/null
out=$(apdu $SEL $SEL $SEL || true)
expect_eq "$(echo "$out" | sed -n 1p)" "0304000000 9000" "on: 1st = truncate"
expect_eq "$(echo "$out" | sed -n 2p)" "0382FFF000000000020F0000 9000" "on: 2nd = badlen"
expect_eq "$(echo "$out" | sed -n 3p)" "$fresh 6F00" "on: 3rd = badsw"
expect_eq "$(apdu $SEL)" "0304000000 6105" "on: 4th = chain"
sim malformed off >/dev/null
echo ok
