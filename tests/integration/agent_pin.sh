#!/usr/bin/env bash
# PIN safety: a wrong PIN costs exactly one retry (checked by GnuPG's own scdaemon reading C4 from
# the card), skinkeyd never retries a refused VERIFY, a PIN of the wrong length never reaches the
# card, the PIN cache is wiped when the chip leaves the field.
source "$SK_SRC/tests/lib/common.sh"
source "$SK_SRC/tests/integration/agent_lib.inc"
need skinkey skinkeyd skinkey-sim gpg-connect-agent /usr/lib/gnupg/scdaemon
S=$SKNS_SCRATCH
printf 'disable-ccid\npcsc-shared\n' > "$GNUPGHOME/scdaemon.conf"

skinkey chips > /dev/null
chip=$(skinkey chips | awk '/present/ {print $1; exit}')
[ -n "$chip" ] || fail "no chip present"

# PW1 tries as the card says, read by GnuPG's scdaemon (not by skinkeyd)
card_tries() {
	printf 'SERIALNO openpgp\nGETATTR CHV-STATUS\nBYE\n' | /usr/lib/gnupg/scdaemon --server 2>/dev/null |
		sed -n 's/^S CHV-STATUS +[0-9]*+[0-9]*+[0-9]*+[0-9]*+\([0-9]*\)+.*/\1/p'
}
# checkpin PIN: CHECKPIN answering INQUIRE NEEDPIN with PIN; prints the daemon's reply
checkpin() {
	printf '%s' "$1" > "$S/pin"
	skd "/definqfile NEEDPIN $S/pin" "SERIALNO" "CHECKPIN $chip" 2>&1 | tail -n 1   # CHECKPIN's answer
}

expect_eq "$(card_tries)" 3 "factory PW1 counter"

out=$(checkpin 999999)
expect_match "$out" 'ERR [0-9]+ Bad PIN' "wrong PIN refused"
expect_eq "$(card_tries)" 2 "one wrong PIN costs exactly one retry"
st=$(skd "CHIPSTATUS $chip")
expect_match "$st" 'CHV-STATUS \+[0-9]+\+[0-9]+\+[0-9]+\+[0-9]+\+2\+' "skinkeyd's cache shows the spent retry"

# too short for PW1 (minimum 6): refused locally, no retry spent
out=$(checkpin 123)
expect_match "$out" '^ERR ' "short PIN refused"
expect_eq "$(card_tries)" 2 "a short PIN costs nothing"

# the right PIN restores the counter; afterwards the chip stays unlocked for this session
out=$(checkpin 123456)
expect_match "$out" '^OK' "correct PIN accepted"
expect_eq "$(card_tries)" 3 "counter reset by a correct PIN"

# the cached PIN is gone once the chip leaves: a wrong PIN given now is really sent (one retry)
sim_out
wait_for 60 sh -c "skinkey chips | grep -q away" || fail "chip not seen leaving"
sim_in
wait_for 60 sh -c "skinkey chips | grep -q present" || fail "chip not back"
out=$(checkpin 654321)
expect_match "$out" 'Bad PIN' "after a new tap the wrong PIN reaches the card (cache wiped)"
expect_eq "$(card_tries)" 2 "exactly one retry for one refused CHECKPIN"
out=$(checkpin 123456)
expect_match "$out" '^OK' "correct PIN again"
expect_eq "$(card_tries)" 3 "counter back to 3"
echo "agent_pin: ok"
