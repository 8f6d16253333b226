#!/usr/bin/env bash
# Desktop notifications while skinkeyd waits for a tap (agent/notify.c), on a private session
# bus (dbus-daemon inside the namespace) with a stub notification service: a client without a
# terminal (setsid) — on the Assuan socket and on the ssh-agent socket — gets "Tap your implant"
# with its name and the chip's label, withdrawn
# (CloseNotification) once the chip is tapped, and also when the wait times out; a client in a
# terminal (script(1) gives it a pty) gets none; OPTION skinkey-notify=never/always overrides;
# without a notification service the operation still works.
source "$SK_SRC/tests/lib/common.sh"
source "$SK_SRC/tests/integration/agent_lib.inc"
need skinkey skinkeyd skinkey-sim dbus-daemon setsid script gpg-connect-agent ssh-add ssh-keygen pkcs11-tool /usr/bin/python3

mkdir -p "$XDG_CONFIG_HOME/skinkey"
printf 'tap-timeout = 8s\nlog-level = debug\npinentry-program = %s\n' "$SK_SRC/tests/lib/pinentry-test" \
	> "$XDG_CONFIG_HOME/skinkey/skinkey.conf"
printf 'user=123456\nadmin=12345678\n' > "$HOME/.test-pins"
export DBUS_SESSION_BUS_ADDRESS=unix:path=$XDG_RUNTIME_DIR/test-bus
dbus-daemon --session --address="$DBUS_SESSION_BUS_ADDRESS" --nofork --nopidfile \
	> "$SKNS_LOG/dbus.log" 2>&1 &
bus_pid=$!
wait_for 10 test -S "$XDG_RUNTIME_DIR/test-bus" || fail "dbus-daemon did not start"
NLOG=$HOME/notifications.log
/usr/bin/python3 "$SK_SRC/tests/lib/notify_stub.py" "$NLOG" 2> "$SKNS_LOG/notify-stub.err" &
stub_pid=$!
trap 'rc=$?; skd_kill; kill $stub_pid $bus_pid 2>/dev/null; exit $rc' EXIT
wait_for 10 grep -qx READY "$NLOG" || fail "stub notification service did not start"

skinkeyd --daemon --log-file "$SKNS_LOG/skinkeyd.log" || fail "skinkeyd did not start"
skinkey status >/dev/null || fail "status"
chip=$(skinkey chips | awk '{print $1; exit}')
skinkey label "$chip" "Left hand" || fail "label"
echo "$(openssl rand -hex 20)" | skinkey hmac program 1 >/dev/null || fail "program slot 1"
waits() { grep -c 'waiting up to' "$SKNS_LOG/skinkeyd.log" || true; }
notes() { grep -c '^NOTIFY' "$NLOG" || true; }
chip_away() { skinkey chips | awk -v c="$chip" '$1 == c && $2 == "away" { f = 1 } END { exit !f }'; }

# 1. no terminal, chip away: notified with who waits and which chip; withdrawn after the tap
sim remove >/dev/null
wait_for 10 chip_away || fail "chip still shown present"
setsid -w skinkey hmac calculate 1 00 > "$HOME/out1" 2>&1 < /dev/null &
cli=$!
wait_for 10 grep -q '^NOTIFY 1 ' "$NLOG" || fail "no notification for a client without a terminal"
line=$(grep '^NOTIFY 1 ' "$NLOG")
expect_match "$line" '^NOTIFY 1 Tap your implant\|skinkey is waiting for your implant “Left hand” \('"$chip"'\)\. Hold it to the reader within 8 s\.\|app=skinkey\|urgency=2$' "notification text"
grep -q '^CLOSE 1$' "$NLOG" && fail "withdrawn before the tap"
sim tap >/dev/null
wait "$cli" || fail "the operation after the tap: $(cat "$HOME/out1")"
expect_match "$(cat "$HOME/out1")" '^[0-9a-f]{40}$' "HMAC after the tap"
wait_for 10 grep -qx 'CLOSE 1' "$NLOG" || fail "notification not withdrawn after the tap"

# 2. no tap at all: withdrawn when the wait ends (tap-timeout)
sim remove >/dev/null
wait_for 10 chip_away || fail "chip still shown present"
rc=0; setsid -w skinkey hmac calculate 1 00 </dev/null >/dev/null 2>&1 || rc=$?
expect_eq "$rc" 1 "no tap: timeout"
expect_eq "$(notes)" 2 "second notification"
wait_for 10 grep -qx 'CLOSE 2' "$NLOG" || fail "notification not withdrawn after the timeout"

# 3. a client in a terminal: nothing shown (its own prompt is visible)
before=$(waits)
script -qec "skinkey hmac calculate 1 00" /dev/null > "$HOME/out3" 2>&1 &
cli=$!
wait_for 10 sh -c "[ \$(grep -c 'waiting up to' '$SKNS_LOG/skinkeyd.log') -gt $before ]" || fail "the terminal client did not wait"
sim tap >/dev/null
wait "$cli" || fail "terminal client: $(cat "$HOME/out3")"
expect_match "$(cat "$HOME/out3")" '[0-9a-f]{40}' "HMAC in the terminal"
expect_eq "$(notes)" 2 "no notification for a client with a terminal"

# 4. the client decides: never (no terminal, no notification), always (terminal, notified)
sim remove >/dev/null
wait_for 10 chip_away || fail "chip still shown present"
before=$(waits)
setsid -w gpg-connect-agent -S "$SKD_SOCK" 'OPTION skinkey-notify=never' "OATHLIST $chip" /bye </dev/null > "$HOME/out4" 2>&1 &
cli=$!
wait_for 10 sh -c "[ \$(grep -c 'waiting up to' '$SKNS_LOG/skinkeyd.log') -gt $before ]" || fail "never-client did not wait"
sim tap >/dev/null
wait "$cli"
expect_eq "$(notes)" 2 "OPTION skinkey-notify=never"
sim remove >/dev/null
wait_for 10 chip_away || fail "chip still shown present"
script -qec "gpg-connect-agent -S '$SKD_SOCK' 'OPTION skinkey-notify=always' 'OATHLIST $chip' /bye" /dev/null > "$HOME/out5" 2>&1 &
cli=$!
wait_for 10 grep -q '^NOTIFY 3 ' "$NLOG" || fail "OPTION skinkey-notify=always in a terminal: not notified"
expect_match "$(grep '^NOTIFY 3 ' "$NLOG")" 'gpg-connect-agent is waiting' "who waits"
sim tap >/dev/null
wait "$cli"
wait_for 10 grep -qx 'CLOSE 3' "$NLOG" || fail "always: not withdrawn"
rc=0; out=$(gpg-connect-agent -S "$SKD_SOCK" 'OPTION skinkey-notify=sometimes' /bye 2>&1) || rc=$?
expect_match "$out" 'ERR' "a bad OPTION value is refused"

# 5. ssh from a desktop (no terminal) through skinkeyd's ssh-agent socket: notified, withdrawn
so=$SK_BUILD/pkcs11/skinkey-pkcs11.so
pgp=$(pkcs11-tool --module "$so" -L 2>/dev/null | sed -n 's/^ *token label *: *\(.*OpenPGP\) *$/\1/p' | head -1)
[ -n "$pgp" ] || fail "no OpenPGP token: $(pkcs11-tool --module "$so" -L 2>&1)"
out=$(pkcs11-tool --module "$so" --token-label "$pgp" \
	--login --login-type so --so-pin 12345678 --keypairgen --key-type EC:prime256v1 --id 03 2>&1) ||
	fail "P-256 authentication key: $out"
export SSH_AUTH_SOCK=$XDG_RUNTIME_DIR/skinkey/S.ssh
ssh-add -L > "$HOME/aut.pub" || fail "ssh-add -L"
echo "to sign" > "$HOME/msg"
sim remove >/dev/null
wait_for 10 chip_away || fail "chip still shown present"
setsid -w ssh-keygen -Y sign -q -f "$HOME/aut.pub" -n notify-test "$HOME/msg" </dev/null > "$HOME/out7" 2>&1 &
cli=$!
wait_for 10 grep -q '^NOTIFY 4 ' "$NLOG" || fail "no notification for ssh without a terminal"
expect_match "$(grep '^NOTIFY 4 ' "$NLOG")" 'ssh-keygen is waiting for your implant' "who waits (ssh-agent socket)"
sim tap >/dev/null
wait "$cli" || fail "ssh-agent signature after the tap: $(cat "$HOME/out7")"
[ -s "$HOME/msg.sig" ] || fail "no signature written"
wait_for 10 grep -qx 'CLOSE 4' "$NLOG" || fail "ssh-agent notification not withdrawn"

# 6. no notification service on the bus: the operation still works
kill "$stub_pid"; wait "$stub_pid" 2>/dev/null || true
sim remove >/dev/null
wait_for 10 chip_away || fail "chip still shown present"
setsid -w skinkey hmac calculate 1 00 > "$HOME/out6" 2>&1 < /dev/null &
cli=$!
before=$(waits)
wait_for 10 sh -c "grep -q 'no desktop notification' '$SKNS_LOG/skinkeyd.log'" || fail "no sign of the missing service in the log"
sim tap >/dev/null
wait "$cli" || fail "without a notification service: $(cat "$HOME/out6")"
echo ok
