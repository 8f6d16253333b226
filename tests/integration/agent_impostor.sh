#!/usr/bin/env bash
# Another local user must not be able to pose as skinkeyd. With XDG_RUNTIME_DIR unset the
# clients use /tmp/skinkey-<uid>/; an "attacker" uid that creates that directory first and
# listens on S.skinkeyd (answering like skinkeyd, asking for the vault secret) must receive
# zero bytes from `skinkey vault add`, skinkey-scd and pkcs11-tool with skinkey's module, each
# of which must refuse with a message that says what is wrong, start no daemon, and send
# nothing. Also: a directory and socket of the victim's own with a foreign-uid listener
# (SO_PEERCRED), and a victim directory writable by others.
source "$SK_SRC/tests/lib/common.sh"
source "$SK_SRC/tests/integration/agent_lib.inc"
need skinkey skinkeyd pkcs11-tool setpriv socat /usr/bin/python3

module=$SK_BUILD/pkcs11/skinkey-pkcs11.so
scd=$SK_BUILD/agent/skinkey-scd
[ -f "$module" ] || fail "module not built: $module"
attacker=4242     # uids with no passwd entry: nothing on the host is changed
victim2=4243

# A private /tmp for this namespace (the host's /tmp is shared with other test runs), with the
# scratch tree (which lives under the host's /tmp) mounted back at its own path.
# The harness removes the scratch tree from the host's view: undo the mounts on exit.
unmount_tmp() { cd /; umount -l "$SKNS_SCRATCH" 2>/dev/null; umount -l /tmp 2>/dev/null; umount -l /run/pcscd/keep 2>/dev/null; true; }
mkdir -p /run/pcscd/keep
mount --bind "$SKNS_SCRATCH" /run/pcscd/keep
mount -t tmpfs -o mode=1777 tmpfs /tmp
mkdir -p "$SKNS_SCRATCH"
mount --bind /run/pcscd/keep "$SKNS_SCRATCH"
cd "$SKNS_SCRATCH"
[ -d "$SKNS_LOG" ] || fail "scratch tree lost after the /tmp remount"

# The impostor: accepts, greets like skinkeyd, answers OK to everything and asks for the vault
# secret, and records every byte any client sends it.
cat > "$SKNS_SCRATCH/impostor.py" <<'PY'
import os, socket, sys, threading
path, record, ready = sys.argv[1], sys.argv[2], sys.argv[3]
if len(sys.argv) > 4:  # bind as root, then listen as another uid (SO_PEERCRED = listen time)
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path); os.chmod(path, 0o600)
    uid = int(sys.argv[4]); os.setgroups([]); os.setresgid(uid, uid, uid); os.setresuid(uid, uid, uid)
else:
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.bind(path); os.chmod(path, 0o666)
s.listen(16)
lock = threading.Lock()
def serve(c):
    c.sendall(b"OK skinkeyd 9.9.9 ready\n")
    buf = b""
    while True:
        d = c.recv(4096)
        if not d:
            break
        with lock, open(record, "ab") as f:
            f.write(d)
        buf += d
        while b"\n" in buf:
            line, buf = buf.split(b"\n", 1)
            c.sendall(b"INQUIRE VAULT_SECRET\n" if line.startswith(b"VAULT_ADD") else b"OK\n")
    c.close()
open(ready, "w").close()
while True:
    c, _ = s.accept()
    with lock, open(record, "ab") as f:
        pass
    threading.Thread(target=serve, args=(c,), daemon=True).start()
PY

as_attacker() { setpriv --reuid=$attacker --regid=$attacker --clear-groups "$@"; }
no_daemon() { [ -z "$(pgrep -x skinkeyd)" ] || fail "$1: a skinkeyd was started"; }
# run_clients LABEL UID EXPECT_RE: the three clients as UID with XDG_RUNTIME_DIR unset
run_clients() {
	local label=$1 uid=$2 re=$3 out rc
	local as=(env -u XDG_RUNTIME_DIR)
	if [ "$uid" != 0 ]; then
		as=(setpriv --reuid="$uid" --regid="$uid" --clear-groups env -u XDG_RUNTIME_DIR HOME=/tmp/home-$uid)
		mkdir -p -m 700 "/tmp/home-$uid"; chown "$uid:$uid" "/tmp/home-$uid"
	fi

	out=$(printf 'hunter2-vault-secret' | "${as[@]}" skinkey vault add site.example alice 2>&1) &&
		fail "$label: skinkey vault add succeeded against an impostor: $out"
	expect_match "$out" "$re" "$label: vault add's message"
	rc=0; out=$(printf 'SERIALNO openpgp\nPKSIGN --hash=sha256 OPENPGP.1\n' |
		"${as[@]}" timeout 20 "$scd" --multi-server 2>&1) || rc=$?
	[ $rc -ne 124 ] || fail "$label: skinkey-scd hung"
	expect_match "$out" "$re" "$label: skinkey-scd's message"
	expect_match "$out" '^ERR ' "$label: skinkey-scd answers gpg-agent with an ERR"
	rc=0; out=$("${as[@]}" timeout 20 pkcs11-tool --module "$module" --login --pin 123456 -O 2>&1) || rc=$?
	[ $rc -ne 124 ] || fail "$label: pkcs11-tool hung"
	[ $rc -ne 0 ] || fail "$label: pkcs11-tool logged in through an impostor: $out"
	expect_match "$out" "skinkey-pkcs11: .*$re" "$label: the module's log line"
	no_daemon "$label"
}
# start_impostor DIR [UID_AFTER_BIND]: the impostor listening on DIR/S.skinkeyd
imp_pid=
start_impostor() {
	local dir=$1 rec=$2
	rm -f /tmp/impostor.ready
	if [ $# -gt 2 ]; then
		/usr/bin/python3 "$SKNS_SCRATCH/impostor.py" "$dir/S.skinkeyd" "$rec" \
			/tmp/impostor.ready "$3" 2>>"$SKNS_LOG/impostor.log" &
	else
		as_attacker /usr/bin/python3 "$SKNS_SCRATCH/impostor.py" "$dir/S.skinkeyd" "$rec" \
			/tmp/impostor.ready 2>>"$SKNS_LOG/impostor.log" &
	fi
	imp_pid=$!
	wait_for 60 test -e /tmp/impostor.ready || fail "impostor did not start"
}
stop_impostor() { kill "$imp_pid" 2>/dev/null; wait "$imp_pid" 2>/dev/null || true; imp_pid=; }
trap 'rc=$?; [ -n "$imp_pid" ] && kill "$imp_pid" 2>/dev/null; skd_kill; unmount_tmp; exit $rc' EXIT
chmod 0755 "$SKNS_SCRATCH"   # the impostor (another uid) runs its script from here

# 1. the attacker owns /tmp/skinkey-<victim uid> (world-usable, so a non-root victim could
#    connect) and listens there; the victims are root and an ordinary uid
for v in 0 $victim2; do
	d=/tmp/skinkey-$v
	as_attacker mkdir -m 0755 "$d"
	rec=$d/received
	as_attacker touch "$rec"
	start_impostor "$d" "$rec"
	# the impostor works: a client that does not check gets its greeting and talks
	greet=$(printf 'GETINFO version\n' | timeout 5 socat - "UNIX-CONNECT:$d/S.skinkeyd" | sed -n 1p)
	expect_match "$greet" '^OK skinkeyd' "the impostor answers like skinkeyd"
	: > "$rec"
	run_clients "attacker's directory, victim uid $v" "$v" \
		"refusing the socket directory $d: it belongs to uid $attacker, not to you \(uid $v\)"
	expect_eq "$(stat -c %s "$rec")" 0 "bytes the attacker received from uid $v's clients"
	# nothing was created in the attacker's directory by the victim
	expect_eq "$(find "$d" -mindepth 1 ! -user $attacker | wc -l)" 0 "files the victim made in $d"
	stop_impostor
	# skinkeyd itself refuses to serve from there
	if [ "$v" = 0 ]; then
		rc=0; timeout 20 env -u XDG_RUNTIME_DIR skinkeyd --foreground 2>"$SKNS_LOG/skd-impostor-dir.log" || rc=$?
		[ $rc -ne 0 ] && [ $rc -ne 124 ] || fail "skinkeyd served from the attacker's directory (rc $rc)"
		grep_all "not ours or not private" "$SKNS_LOG/skd-impostor-dir.log" || fail "skinkeyd gave no reason: $(cat "$SKNS_LOG/skd-impostor-dir.log")"
	fi
	rm -rf "$d"
done

# 2. the victim's own private directory and its own socket file, but the listening process runs
#    as another uid: SO_PEERCRED decides, before a byte is sent
d=/tmp/skinkey-0
mkdir -m 0700 "$d"
rec=/tmp/received-peercred
: > "$rec"; chmod 0666 "$rec"
start_impostor "$d" "$rec" $attacker
expect_eq "$(stat -c %u "$d/S.skinkeyd")" 0 "socket file owned by the victim"
run_clients "foreign listener in the victim's directory" 0 \
	"refusing $d/S.skinkeyd: the process listening there \(pid [0-9]+\) runs as uid $attacker, not as you \(uid 0\); nothing was sent"
expect_eq "$(stat -c %s "$rec")" 0 "bytes the foreign listener received"
stop_impostor
rm -rf "$d"

# 3. the victim's directory is writable by others (anyone could have replaced the socket):
#    refuse, and do not autostart a daemon into it
mkdir -m 0777 "$d"
run_clients "victim's directory writable by others" 0 \
	"refusing the socket directory $d: group or others may write into it \(mode 0777"
rm -rf "$d"

# 4. a clean /tmp/skinkey-0: the fallback still works (autostart, a real answer)
out=$(env -u XDG_RUNTIME_DIR skinkey chips 2>&1) || fail "fallback directory: skinkey chips failed: $out"
expect_eq "$(stat -c %a "$d")" 700 "fallback directory mode"
expect_eq "$(stat -c %u "$d")" 0 "fallback directory owner"
for p in $(pgrep -x skinkeyd); do kill "$p" 2>/dev/null || true; done
wait_for 60 sh -c '! pgrep -r R,S,D,T -x skinkeyd' || fail "skinkeyd did not stop"
echo "agent_impostor: ok"
