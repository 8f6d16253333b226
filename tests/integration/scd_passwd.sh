#!/usr/bin/env bash
# PIN management through gpg --card-edit with skinkey-scd: change PIN (PASSWD 1), unblock with the
# Admin PIN (PASSWD --reset 1), change the Admin PIN (PASSWD 3); the chip accepts the new PINs.
source "$SK_SRC/tests/lib/common.sh"
source "$SK_SRC/tests/integration/agent_lib.inc"
source "$SK_SRC/tests/integration/scd_lib.inc"
need gpg gpgconf gpg-connect-agent script skinkey skinkey-sim
S=$SKNS_SCRATCH
chip_ok() {  # PIN REF(82|83) -> OK line from CHECKPIN, on a fresh tap (no PIN state left)
	sim_out
	wait_for 60 sh -c "skinkey chips | grep -q away" || fail "chip not seen leaving"
	sim_in
	wait_for 60 sh -c "skinkey chips | grep -q present" || fail "chip not back"
	printf '%s' "$1" > "$S/pin"
	skd "/definqfile NEEDPIN $S/pin" SERIALNO "CHECKPIN $2" 2>&1 | tail -n 1   # CHECKPIN's answer
}

use_skinkey
echo SK_TEST_NEWPW1=24681357 > "$S/pinentry.env"
card_edit 'admin\npasswd\n1\nq\nquit\n' > "$SKNS_LOG/passwd1.txt" 2>&1 || fail "passwd 1"
sn=$(gpg --card-status 2>/dev/null | sed -n 's/^Application ID ...: //p')
[ -n "$sn" ] || fail "no serial number"
expect_match "$(chip_ok 24681357 "$sn")" '^OK' "new user PIN accepted by the chip"
expect_match "$(chip_ok 123456 "$sn")" 'Bad PIN' "old user PIN refused"

# unblock / reset PW1 with the Admin PIN
echo SK_TEST_NEWPW1=13572468 > "$S/pinentry.env"
card_edit 'admin\npasswd\n2\nq\nquit\n' > "$SKNS_LOG/passwd2.txt" 2>&1 || fail "passwd 2 (unblock)"
expect_match "$(chip_ok 13572468 "$sn")" '^OK' "PIN set by the Admin PIN"
card_status "$S/cs.txt"
expect_match "$(cat "$S/cs.txt")" 'PIN retry counter : 3 0 3' "counters after the reset"

# change the Admin PIN
echo SK_TEST_NEWPW3=87654321 > "$S/pinentry.env"
card_edit 'admin\npasswd\n3\nq\nquit\n' > "$SKNS_LOG/passwd3.txt" 2>&1 || fail "passwd 3"
expect_match "$(chip_ok 87654321 "$sn/OPENPGP.3")" '^OK' "new Admin PIN accepted"
gpgconf --kill gpg-agent
echo "scd_passwd: ok"
