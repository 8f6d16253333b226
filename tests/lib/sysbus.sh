# sysbus.sh — sourced by tests: a private D-Bus "system" bus in the scratch dir with a stub
# org.freedesktop.login1 (tests/lib/login1_stub.py) that logs Session.Lock calls with their time.
# sysbus_start  -> exports DBUS_SYSTEM_BUS_ADDRESS, sets LOGIN1_LOG, SYSBUS_PID, LOGIN1_PID
# login1_locks  -> how many Lock calls so far
# login1_idle B -> the stub session's IdleHint set to B (true|false), PropertiesChanged emitted
sysbus_start() {
	local dir=$SKNS_SCRATCH/sysbus
	mkdir -p "$dir"
	cat > "$dir/system.conf" <<CONF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path=$dir/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_type="method_call"/>
    <allow send_destination="*" eavesdrop="true"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
CONF
	dbus-daemon --config-file="$dir/system.conf" --nofork --nopidfile > "$SKNS_LOG/sysbus.log" 2>&1 &
	SYSBUS_PID=$!
	wait_for 10 test -S "$dir/bus" || fail "private system bus did not start"
	export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$dir/bus
	LOGIN1_LOG=$SKNS_SCRATCH/login1.log
	: > "$LOGIN1_LOG"
	/usr/bin/python3 "$SK_SRC/tests/lib/login1_stub.py" "$LOGIN1_LOG" 2> "$SKNS_LOG/login1-stub.err" &
	LOGIN1_PID=$!
	wait_for 10 grep -qx READY "$LOGIN1_LOG" || fail "stub login1 did not start"
}
login1_locks() { grep -c '^LOCK ' "$LOGIN1_LOG" || true; }
# login1_idle true|false: the session's IdleHint as logind announces it (PropertiesChanged)
login1_idle() { dbus-send --system --print-reply --dest=org.freedesktop.login1 /org/freedesktop/login1/session/c1 org.freedesktop.login1.Session.SetIdleHint "boolean:$1" > /dev/null; }
