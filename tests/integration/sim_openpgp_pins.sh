# sim_openpgp_pins.sh — PIN management of the simulated OpenPGP card driven by GnuPG's own
# scdaemon: set the resetting code (PUT DATA D3), change PW1 (CHANGE REFERENCE DATA), block PW1
# with wrong PINs (63Cx, then 6983), unblock it with the resetting code and with PW3 (RESET RETRY
# COUNTER P1 00 / 02), all seen through gpg's view of the retry counters (C4).
source "$SK_SRC/tests/lib/common.sh"
need gpg gpgconf gpg-connect-agent /usr/bin/python3

source "$SK_SRC/tests/lib/gnupg_scd.sh"
counters() { gpg --card-status 2>/dev/null | sed -n 's/^PIN retry counter : //p'; }
hex() { printf '%s' "$1" | od -An -tx1 | tr -d '\n'; }
# verify_pw1 PIN: VERIFY 82 through scdaemon; prints the status word
verify_pw1() {
	gpg-connect-agent --hex "scd apdu 00 20 00 82 $(printf '%02x' ${#1}) $(hex "$1")" /bye 2>&1 \
		| sed -n 's/^D\[0000\]  \([0-9A-F][0-9A-F] [0-9A-F][0-9A-F]\).*/\1/p'
}

expect_eq "$(counters)" "3 0 3" "factory counters (no resetting code)"

# 1. resetting code 87654321 (admin menu 4)
set_pins $'admin\t12345678' $'new|repeat|reset code\t87654321'
card_edit cardedit.prompt=admin cardedit.prompt=passwd cardutil.change_pin.menu=4 \
	cardutil.change_pin.menu=q cardedit.prompt=quit 2> "$SKNS_LOG/rc.log" \
	|| { cat "$SKNS_LOG/rc.log" >&2; fail "setting the resetting code failed"; }
expect_eq "$(counters)" "3 3 3" "resetting code set"

# 2. change PW1 123456 -> 654321 (menu 1)
set_pins $'admin\t12345678' $'new|repeat\t654321' $'pin\t123456'
card_edit cardedit.prompt=admin cardedit.prompt=passwd cardutil.change_pin.menu=1 \
	cardutil.change_pin.menu=q cardedit.prompt=quit 2> "$SKNS_LOG/chg.log" \
	|| { cat "$SKNS_LOG/chg.log" >&2; fail "changing PW1 failed"; }
expect_eq "$(verify_pw1 123456)" "63 C2" "old PIN refused after the change"
expect_eq "$(verify_pw1 654321)" "90 00" "new PIN accepted"

# 3. block PW1: three wrong PINs, then even the right one is blocked
expect_eq "$(verify_pw1 000000)" "63 C2" "first wrong PIN"
expect_eq "$(verify_pw1 000000)" "63 C1" "second wrong PIN"
expect_eq "$(verify_pw1 000000)" "63 C0" "third wrong PIN"
expect_eq "$(verify_pw1 654321)" "69 83" "PW1 blocked"
expect_eq "$(counters)" "0 3 3" "gpg sees PW1 blocked"

# 4. unblock with the resetting code (card-edit "unblock"), new PIN 111111
set_pins $'admin\t12345678' $'new|repeat\t111111' $'reset code\t87654321'
card_edit cardedit.prompt=unblock cardedit.prompt=quit 2> "$SKNS_LOG/unblock.log" \
	|| { cat "$SKNS_LOG/unblock.log" >&2; fail "unblock with the resetting code failed"; }
expect_eq "$(counters)" "3 3 3" "unblocked by the resetting code"
expect_eq "$(verify_pw1 111111)" "90 00" "PIN set by the resetting code"

# 5. block again and unblock with the admin PIN (menu 2), new PIN 222222
for _ in 1 2 3; do verify_pw1 000000 > /dev/null; done
expect_eq "$(counters)" "0 3 3" "blocked again"
set_pins $'admin\t12345678' $'new|repeat\t222222'
card_edit cardedit.prompt=admin cardedit.prompt=passwd cardutil.change_pin.menu=2 \
	cardutil.change_pin.menu=q cardedit.prompt=quit 2> "$SKNS_LOG/unblock3.log" \
	|| { cat "$SKNS_LOG/unblock3.log" >&2; fail "unblock with the admin PIN failed"; }
expect_eq "$(counters)" "3 3 3" "unblocked by the admin PIN"
expect_eq "$(verify_pw1 222222)" "90 00" "PIN set by the admin"

# 6. a wrong admin PIN costs a PW3 try; VERIFY without data reports the state without a cost
sw=$(gpg-connect-agent --hex "scd apdu 00 20 00 83 08 $(hex 99999999)" /bye 2>&1 \
	| sed -n 's/^D\[0000\]  \([0-9A-F][0-9A-F] [0-9A-F][0-9A-F]\).*/\1/p')
expect_eq "$sw" "63 C2" "wrong admin PIN"
sw=$(gpg-connect-agent --hex "scd apdu 00 20 00 83" /bye 2>&1 \
	| sed -n 's/^D\[0000\]  \([0-9A-F][0-9A-F] [0-9A-F][0-9A-F]\).*/\1/p')
expect_eq "$sw" "63 C2" "PW3 state query"
expect_eq "$(counters)" "3 3 2" "one PW3 try used by a wrong admin PIN"
note "sim_openpgp_pins: all checks passed"
