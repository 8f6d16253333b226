# common.sh — sourced by integration tests (inside tests/lib/skns.sh).
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
note() { echo "# $*" >&2; }
expect_eq() { [ "$1" = "$2" ] || fail "${3:-values differ}: got '$1', expected '$2'"; }
# a here-string, not a pipe: grep -q exits at the first match and, under pipefail, a pipe's
# writer would then die of SIGPIPE and turn a match into a failure
# grep_all ARGS...: like grep -q but reads all its input, so under pipefail the writer never dies
# of SIGPIPE (which would turn a match into "no match", or hide a failure in `... && fail`)
grep_all() { grep "$@" > /dev/null; }
expect_match() { grep -Eq -- "$2" <<< "$1" || fail "${3:-no match}: '$2' not in: $1"; }
need() { for t in "$@"; do command -v "$t" >/dev/null 2>&1 || fail "required tool missing: $t"; done; }
# wait_for SECONDS CMD...: poll CMD every 50 ms until it succeeds; fail on timeout
wait_for() {
	local t=$1; shift
	local n=$(( t * 20 ))
	for _ in $(seq "$n"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.05; done
	return 1
}
sim() { skinkey-sim ctl "$@"; }
sim_apdus() { skinkey-sim ctl "$@" stats | sed -n 's/^apdus=//p'; }
# apdu [--reader N|NAME] HEX...: raw APDUs over one PC/SC connection; one "DATA SW" line each
# (tests/lib/apdu.py: no automatic GET RESPONSE; exit 3 when the card went away mid-way).
apdu() { /usr/bin/python3 "$SK_SRC/tests/lib/apdu.py" "$@"; }
# sim_wait_present [CARD] [SECONDS]: until the simulator says the chip is in the field
sim_wait_present() {
	wait_for "${2:-60}" sh -c "skinkey-sim ctl --card '${1:-flexsecure}' status | grep -qx present=1"
}
# reader_state N: "present" or "empty" as pcscd's reader state says (no connect: works while the
# card answers garbage); reader_empty N / reader_present N test it
reader_state() { /usr/bin/python3 "$SK_SRC/tests/lib/reader_state.py" "$1"; }
reader_empty() { [ "$(reader_state "$1")" = empty ]; }
reader_present() { [ "$(reader_state "$1")" = present ]; }
# sim_out [CARD] / sim_in [CARD]: the chip leaves / enters the field, and the call returns only
# once pcscd's reader state shows it (a remove and a tap closer together than pcscd's look at
# vpcd would go unseen). The bound is a deadline for a failure, not a delay.
sim_reader() { case "${1:-flexsecure}" in desfire) echo 1 ;; *) echo 0 ;; esac; }
sim_out() {
	sim --card "${1:-flexsecure}" remove > /dev/null
	wait_for 60 reader_empty "$(sim_reader "${1:-}")" || fail "pcscd still sees the ${1:-flexsecure} chip after remove"
}
sim_in() {
	sim --card "${1:-flexsecure}" tap > /dev/null
	wait_for 60 reader_present "$(sim_reader "${1:-}")" || fail "pcscd does not see the ${1:-flexsecure} chip after tap"
}
# reader_has_card N: pcscd reports a card in reader N (0 or 1)
reader_has_card() {
	/usr/bin/python3 -c "
import sys
from smartcard.System import readers
r = readers()[int(sys.argv[1])]
c = r.createConnection()
try:
    c.connect()
except Exception:
    sys.exit(1)
" "$1"
}
