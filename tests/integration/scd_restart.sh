#!/usr/bin/env bash
# gpg-agent keeps skinkey-scd for its whole life; skinkeyd may restart under it. (1) gpg --sign
# works across a skinkeyd stopped with SIGTERM between two signatures; (2a) a skinkeyd killed -9
# while PKSIGN waits for the tap after its PIN was given fails that one signature cleanly (a
# PIN-bearing command is never sent twice) and the next works; (2b) a command that asked for
# nothing (RANDOM) waiting for the tap is sent again to a fresh daemon and answered; (3) a
# skinkeyd killed while gpg-agent answers its PIN inquiry: that command fails cleanly, the PIN is
# dropped, the next signature works. gpg never prints "Broken pipe", and gpg-agent's
# skinkey-scd is the same process throughout.
source "$SK_SRC/tests/lib/common.sh"
source "$SK_SRC/tests/integration/agent_lib.inc"
source "$SK_SRC/tests/integration/scd_lib.inc"
need gpg gpgconf gpg-connect-agent script
S=$SKNS_SCRATCH
# gpg-agent's skinkey-scd (its forked copies serving extra connections are its children, not gpg-agent's)
relay_pid() { pgrep -x -P "$(pgrep -d, -x gpg-agent)" skinkey-scd; }

use_skinkey
# the relay's own messages (gpg-agent drops its scdaemon's stderr) and gpg-agent's side
printf '#!/bin/sh\nexec %s "$@" 2>>%s\n' "$SK_BUILD/agent/skinkey-scd" "$SKNS_LOG/skinkey-scd.log" > "$S/scd-wrap"
chmod +x "$S/scd-wrap"
sed -i "s|^scdaemon-program .*|scdaemon-program $S/scd-wrap|" "$GNUPGHOME/gpg-agent.conf"
printf 'log-file %s\ndebug ipc\n' "$SKNS_LOG/gpg-agent.log" >> "$GNUPGHOME/gpg-agent.conf"
for attr in "1 22 ed25519" "2 18 cv25519" "3 22 ed25519"; do
	out=$(gpg-connect-agent "SCD SETATTR KEY-ATTR --force $attr" /bye 2>&1)
	expect_match "$out" '^OK' "SETATTR KEY-ATTR $attr"
done
card_edit 'admin\ngenerate\nn\n0\nRestart User\nrestart@example.org\n\nquit\n' > "$SKNS_LOG/cardedit.txt" 2>&1 ||
	fail "gpg --card-edit generate failed"
grep_all 'KEY_CREATED B' "$SKNS_LOG/cardedit.txt" || fail "no KEY_CREATED: $(tail -20 "$SKNS_LOG/cardedit.txt")"

echo "signed across restarts" > "$S/msg"
n=0
gsign() {  # gsign: one gpg --sign that must succeed and verify
	n=$((n + 1))
	timeout 120 gpg --batch -u restart@example.org --sign -o "$S/msg$n.gpg" "$S/msg" 2> "$S/sign$n.err" ||
		fail "gpg --sign #$n: $(cat "$S/sign$n.err")"
	grep_all -i 'broken pipe' "$S/sign$n.err" && fail "gpg --sign #$n saw a broken pipe: $(cat "$S/sign$n.err")"
	gpg --verify "$S/msg$n.gpg" 2> "$S/verify$n.txt" || fail "verify #$n: $(cat "$S/verify$n.txt")"
}
gsign
relay=$(relay_pid)
[ -n "$relay" ] || fail "no skinkey-scd running under gpg-agent"
old=$(skd_pids); [ -n "$old" ] || fail "no skinkeyd"

# 1. SIGTERM between two signatures
kill $old
wait_for 10 sh -c "! kill -0 $old 2>/dev/null" || fail "skinkeyd did not stop on SIGTERM"
gsign
new=$(skd_pids); [ -n "$new" ] && [ "$new" != "$old" ] || fail "no fresh skinkeyd ($old -> $new)"
expect_eq "$(relay_pid)" "$relay" "gpg-agent's skinkey-scd after a SIGTERM restart"

# 2a. kill -9 while PKSIGN waits for the tap after gpg-agent gave the PIN: the relay does not
#     send a PIN-bearing command twice; gpg fails cleanly (no broken pipe), the next sign works
skd_kill
skinkeyd --daemon --log-file "$SKNS_LOG/skd-tap.log" || fail "skinkeyd --daemon"
chip_away() { skd CHIPS | grep -q '^S CHIP fs-[0-9a-f]* 0 '; }
kill_when_waiting() {  # LOG: kill -9 the daemon once it waits for the tap, and a fresh one runs
	wait_for 30 grep -q 'waiting up to .*tap chip' "$1" ||
		fail "skinkeyd never waited for the tap: $(cat "$1")"
	old=$(skd_pids)
	kill -9 $old
	wait_for 10 sh -c "! kill -0 $old 2>/dev/null" || fail "skinkeyd $old did not die"
}
sim remove >/dev/null
wait_for 10 chip_away || fail "skinkeyd did not see the chip leave: $(skd CHIPS)"
{ r=0; timeout 120 gpg --batch -u restart@example.org --sign -o "$S/msg-tap.gpg" "$S/msg" \
	2> "$S/sign-tap.err" || r=$?; echo $r > "$S/sign-tap.rc"; } &
kill_when_waiting "$SKNS_LOG/skd-tap.log"
wait_for 60 test -s "$S/sign-tap.rc" || fail "gpg --sign hung after skinkeyd died"
[ "$(cat "$S/sign-tap.rc")" != 0 ] || fail "gpg --sign succeeded though its PIN went to a dead daemon"
grep_all -i 'broken pipe' "$S/sign-tap.err" && fail "gpg saw a broken pipe: $(cat "$S/sign-tap.err")"
expect_eq "$(relay_pid)" "$relay" "gpg-agent's skinkey-scd after a kill -9 mid-PKSIGN"
sim tap >/dev/null
gsign

# 2b. kill -9 while a command that asked for nothing (RANDOM) waits for the tap: the relay sends it
#     again to a fresh daemon, and gpg-agent's client gets its answer as if nothing happened
skd_kill
skinkeyd --daemon --log-file "$SKNS_LOG/skd-rnd.log" || fail "skinkeyd --daemon"
sim remove >/dev/null
wait_for 10 chip_away || fail "skinkeyd did not see the chip leave: $(skd CHIPS)"
{ timeout 120 gpg-connect-agent 'SCD RANDOM 16' /bye > "$S/rnd.out" 2>&1; echo $? > "$S/rnd.rc"; } &
kill_when_waiting "$SKNS_LOG/skd-rnd.log"
wait_for 20 sh -c '[ -n "$(pgrep -x skinkeyd)" ]' || fail "the relay did not start a fresh skinkeyd"
[ ! -s "$S/rnd.rc" ] || fail "RANDOM ended when skinkeyd died: $(cat "$S/rnd.out")"
sim tap >/dev/null
wait_for 60 test -s "$S/rnd.rc" || fail "RANDOM did not finish after the tap"
expect_match "$(cat "$S/rnd.out")" '^D ' "RANDOM answered across a kill -9"
grep_all '^ERR' "$S/rnd.out" && fail "RANDOM across a kill -9: $(cat "$S/rnd.out")"
expect_eq "$(relay_pid)" "$relay" "gpg-agent's skinkey-scd after a kill -9 mid-RANDOM"

# 3. skinkeyd killed while gpg-agent is answering the PIN inquiry: the PIN must go nowhere
skd_kill
printf 'SK_TEST_PW1=123456\n' > "$S/pinentry.env"
slow=$S/pinentry-slow.sh
cat > "$slow" <<SLOW
#!/bin/sh
# the test pinentry, but GETPIN waits until the test has killed skinkeyd
echo "OK Pleased to meet you"
while read -r cmd rest; do
	case "\$cmd" in
	GETPIN) touch "$S/pin-asked"; while [ ! -e "$S/pin-go" ]; do sleep 0.05; done
		echo "D 123456"; echo OK;;
	BYE) echo OK; exit 0;;
	*) echo OK;;
	esac
done
SLOW
chmod +x "$slow"
sed -i "s|^pinentry-program .*|pinentry-program $slow|" "$GNUPGHOME/gpg-agent.conf"
gpg-connect-agent reloadagent /bye >/dev/null
relay=$(relay_pid)
rm -f "$S/pin-asked" "$S/pin-go"
{ r=0; timeout 120 gpg --batch -u restart@example.org --sign -o "$S/msg-pin.gpg" "$S/msg" \
	2> "$S/sign-pin.err" || r=$?; echo $r > "$S/sign-pin.rc"; } &
wait_for 60 test -e "$S/pin-asked" || fail "gpg-agent never asked for the PIN: $(cat "$S/sign-pin.err")"
old=$(skd_pids)
kill -9 $old
wait_for 10 sh -c "! kill -0 $old 2>/dev/null" || fail "skinkeyd $old did not die"
touch "$S/pin-go"
wait_for 60 test -s "$S/sign-pin.rc" || fail "gpg --sign hung after skinkeyd died mid-inquiry"
rc=$(cat "$S/sign-pin.rc")
[ "$rc" != 0 ] || fail "gpg --sign succeeded though skinkeyd died during its PIN inquiry"
grep_all -i 'broken pipe' "$S/sign-pin.err" && fail "gpg saw a broken pipe: $(cat "$S/sign-pin.err")"
expect_eq "$(relay_pid)" "$relay" "gpg-agent's skinkey-scd after a kill -9 mid-inquiry"
gsign
expect_eq "$(relay_pid)" "$relay" "gpg-agent's skinkey-scd at the end"
gpgconf --kill gpg-agent
echo "scd_restart: ok"
