#!/usr/bin/env bash
# WRITECERT / READCERT (DO 7F21) through skinkeyd: the Admin PIN asked by INQUIRE NEEDPIN, the
# certificate read back byte for byte, and again from the cache while the chip is away.
source "$SK_SRC/tests/lib/common.sh"
source "$SK_SRC/tests/integration/agent_lib.inc"
need skinkey skinkeyd skinkey-sim gpg-connect-agent head cmp
S=$SKNS_SCRATCH

skinkey chips > /dev/null
head -c 700 /dev/urandom > "$S/cert.der"
printf '12345678' > "$S/pw3"
out=$(skd "/definqfile NEEDPIN $S/pw3" "/definqfile CERTDATA $S/cert.der" SERIALNO \
	'WRITECERT OPENPGP.3' 2>&1 | tail -n 1)
expect_eq "$out" "OK" "WRITECERT"
skd "/datafile $S/back.der" SERIALNO 'READCERT OPENPGP.3' > /dev/null 2>&1
cmp "$S/cert.der" "$S/back.der" || fail "READCERT differs from what was written"

# away: answered from the cache, no tap needed
sim remove > /dev/null
wait_for 60 sh -c "skinkey chips | grep -q away" || fail "chip not seen leaving"
rm -f "$S/back2.der"
skd "/datafile $S/back2.der" SERIALNO 'READCERT OPENPGP.3' > /dev/null 2>&1
cmp "$S/cert.der" "$S/back2.der" || fail "cached READCERT differs"
# an empty slot is an error, not empty data
out=$(skd SERIALNO 'READKEY OPENPGP.1' 2>&1 | tail -n 1)
expect_match "$out" '^ERR ' "READKEY of an empty slot"
echo "agent_cert: ok"
