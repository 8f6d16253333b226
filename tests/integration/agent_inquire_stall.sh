#!/usr/bin/env bash
# Issue 8, "a stalled peer": a client that never answers INQUIRE NEEDPIN holds neither the card
# lock nor the PC/SC transaction. While one client stalls at the PIN question (once with the card
# taken first, CHECKPIN, and once asked before the card is taken, PKAUTH), another skinkeyd
# client's card operation and a foreign PC/SC program (tests/lib/apdu.py) both succeed; the
# stalled client gets a timeout error after inquire-timeout and its connection ends; no PIN retry
# is spent.
source "$SK_SRC/tests/lib/common.sh"
source "$SK_SRC/tests/integration/agent_lib.inc"
need skinkey skinkeyd gpg-connect-agent pkcs11-tool timeout /usr/bin/python3
S=$SKNS_SCRATCH
SO=$SK_BUILD/pkcs11/skinkey-pkcs11.so
mkdir -p "$XDG_CONFIG_HOME/skinkey"
printf 'inquire-timeout = 6s\n' > "$XDG_CONFIG_HOME/skinkey/skinkey.conf"
skinkeyd --daemon --log-file "$SKNS_LOG/skinkeyd.log" -v || fail "skinkeyd did not start"
wait_for 20 test -S "$SKD_SOCK" || fail "no skinkeyd socket"

# an authentication key for PKAUTH (pkcs11-tool starts skinkeyd)
out=$(pkcs11-tool --module "$SO" --login --login-type so --so-pin 12345678 --keypairgen \
	--key-type EC:prime256v1 --id 03 2>&1) || fail "P-256 key generation: $out"
sn=$(skd SERIALNO | sed -n 's/^S SERIALNO //p')
[ -n "$sn" ] || fail "no serial number"
tries() { apdu 00A4040006D27600012401 00CA00C400 | sed -n '2s/^\(..............\) 9000$/\1/p' | cut -c9-10; }
expect_eq "$(tries)" "03" "PW1 counter before"

# stall CMD...: connect, send the commands, answer nothing once INQUIRE NEEDPIN comes; print what
# the daemon sent afterwards (until it closes) and how long that took
stall() {
	/usr/bin/python3 - "$SKD_SOCK" "$@" <<'PY'
import socket, sys, time
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile("rb")
def line():
    return f.readline().decode(errors="replace").rstrip("\n")
assert line().startswith("OK"), "no greeting"
stalled = False
for cmd in sys.argv[2:]:
    s.sendall((cmd + "\n").encode())
    while True:
        l = line()
        if l.startswith("INQUIRE NEEDPIN"):
            stalled = True
            break
        if l.startswith("OK"):
            break
        if l.startswith("ERR") or l == "":
            sys.exit("%s: %s" % (cmd, l or "closed"))
    if stalled:
        break
if not stalled:
    sys.exit("no INQUIRE NEEDPIN")
print("STALLING", flush=True)
t0 = time.monotonic()
rest = []
while True:   # never answer: read what the daemon says until it closes the connection
    l = line()
    if l == "":
        break
    rest.append(l)
print("AFTER %.1f %s" % (time.monotonic() - t0, " | ".join(rest)), flush=True)
PY
}

for kind in checkpin pkauth; do
	if [ $kind = checkpin ]; then
		stall "CHECKPIN $sn" > "$S/stall-$kind.out" 2>&1 &
	else
		stall "SETDATA $(printf '%064d' 0)" "PKAUTH OPENPGP.3" > "$S/stall-$kind.out" 2>&1 &
	fi
	spid=$!
	wait_for 20 grep -q STALLING "$S/stall-$kind.out" || fail "$kind: no INQUIRE NEEDPIN: $(cat "$S/stall-$kind.out")"
	# another client's card operation goes on
	r=$(timeout 20 gpg-connect-agent -S "$SKD_SOCK" 'RANDOM 8' /bye 2>&1) || { [ -n "${CARD_DEBUG:-}" ] && gdb -p "$(pgrep -x skinkeyd | head -1)" -batch -ex 'thread apply all bt' > /tmp/card_gdb.txt 2>&1; fail "$kind: RANDOM hung: $r"; }
	expect_match "$r" '^OK' "$kind: RANDOM while a client stalls: $r"
	# and a foreign PC/SC program
	a=$(timeout 20 /usr/bin/python3 "$SK_SRC/tests/lib/apdu.py" 00A4040006D27600012401 00CA004F00 2>&1) || fail "$kind: apdu.py blocked or failed: $a"
	expect_match "$a" 'D2760001240103.* 9000' "$kind: the foreign program reads the AID"
	# the stalled client gets a timeout error and the connection ends
	wait "$spid" || fail "$kind: stalled client: $(cat "$S/stall-$kind.out")"
	o=$(cat "$S/stall-$kind.out")
	note "$kind: $o"
	expect_match "$o" 'AFTER [0-9.]+ ERR [0-9]+ .*[Tt]imeout' "$kind: timeout error"
	t=$(sed -n 's/^AFTER \([0-9]*\).*/\1/p' <<< "$o")
	[ "$t" -ge 5 ] && [ "$t" -le 30 ] || fail "$kind: the timeout came after $t s (inquire-timeout 6 s)"
	expect_eq "$(tries)" "03" "$kind: no PIN retry spent"
done
# the daemon still serves
expect_match "$(skd 'RANDOM 8')" 'OK' "daemon alive"
echo "agent_inquire_stall: ok"
