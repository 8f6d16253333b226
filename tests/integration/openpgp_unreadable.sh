#!/usr/bin/env bash
# A chip whose OpenPGP application data skinkey cannot read (skinkey-sim ctl malformed template:
# the AID answers, 6E has an indefinite length inside) is reported as such at every door:
# skinkey status (table and --json) on the chip's line, the scdaemon protocol's error text, and
# gpg --card-status says it is no "Card not present". A card answering in the encodings real
# cards use (long-form lengths, reordered and padded templates) reads as before.
source "$SK_SRC/tests/lib/common.sh"
source "$SK_SRC/tests/integration/agent_lib.inc"
source "$SK_SRC/tests/lib/gpgcard.sh"
need skinkey skinkeyd skinkey-sim gpg gpg-connect-agent /usr/bin/python3

# the daemon meets the broken chip on its first read
sim malformed template > /dev/null
skinkey status > "$SKNS_LOG/status-broken.txt" 2>&1 || fail "skinkey status: $(cat "$SKNS_LOG/status-broken.txt")"
wait_for 60 sh -c "skinkey status 2>/dev/null | grep -q 'could not be read'" ||
	fail "no unreadable-data error on the chip line: $(skinkey status 2>&1)"
out=$(skinkey status 2>&1)
note "$out"
chip=$(skinkey chips | awk '/present/ {print $1; exit}')
[ -n "$chip" ] || fail "the chip is not identified: its AID was readable"
line=$(grep "^  $chip" <<< "$out")
expect_match "$line" "error: the card's application data could not be read: DO 6E: " "status line of $chip"
json=$(skinkey status --json) || fail "skinkey status --json"
/usr/bin/python3 - "$chip" "$json" <<'PY' || fail "json: $json"
import json, sys
d = json.loads(sys.argv[2])
c = [c for c in d["chips"] if c["id"] == sys.argv[1]][0]
assert c["error"].startswith("the card's application data could not be read: DO 6E: "), c
PY

# the scdaemon protocol: an error that says so, never "Card not present"
t=$(skd SERIALNO LEARN 2>&1)
note "$t"
expect_match "$t" "ERR [0-9]+ .*- the card's application data could not be read" "SERIALNO error text"
if grep -q "Card not present\|not present" <<< "$t"; then fail "says card not present: $t"; fi
gpgcard_setup_agent
g=$(gpg --card-status 2>&1) && fail "gpg --card-status succeeded on unreadable data: $g"
note "$g"
if grep -qi "card not present" <<< "$g"; then fail "gpg says Card not present: $g"; fi
expect_match "$g" "Invalid response" "gpg names the reason (GPG_ERR_INV_RESPONSE)"

# readable again (a new tap): the error is gone, in every encoding real cards use
for enc in real padded minimal; do
	sim malformed off > /dev/null
	sim encoding "$enc" > /dev/null
	sim remove > /dev/null
	wait_for 60 sh -c "! skinkey chips | grep -q '$chip.*present'" || fail "$enc: chip still present"
	sim tap > /dev/null
	wait_for 60 sh -c "skinkey status 2>/dev/null | grep -q '^  $chip  *yes .*3   0  3'" ||
		fail "$enc: chip not read again: $(skinkey status 2>&1)"
	out=$(skinkey status 2>&1)
	if grep -q "could not be read" <<< "$out"; then fail "$enc: error still shown: $out"; fi
	g=$(gpg --card-status 2>&1) || fail "$enc: gpg --card-status: $g"
	expect_match "$g" "PIN retry counter : 3 0 3" "$enc: gpg --card-status"
done
echo "openpgp_unreadable: ok"
