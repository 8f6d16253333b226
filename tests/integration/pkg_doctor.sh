#!/usr/bin/env bash
# pkg_doctor.sh — `skinkey doctor` (installed tree laid over /usr): with every door set up it
# finds nothing (exit 0); then each fault is made for real and doctor must name it, print its
# fix and exit 1: GnuPG's scdaemon holding the reader exclusively, a program with OpenSC's module
# holding it (connect_exclusive), gpg-agent without
# skinkey-scd, SSH_AUTH_SOCK unset or elsewhere, no p11-kit module file, a browser database
# without the module, pcscd.socket not enabled, skinkey-guard not running, /dev/uhid missing or
# not accessible, pcscd gone, a dead socket, no reader, and pcscd dropping this user the way
# its polkit check does (a stand-in server: Debian 12's pcscd is built without polkit).
source "$SK_SRC/tests/lib/common.sh"
source "$SK_SRC/tests/lib/pkg.sh"
need gpg gpgconf modutil certutil setpriv mknod /usr/bin/python3
root=$SKNS_SCRATCH/inst
pkg_meson_install "$root"
pkg_overlay_usr "$root"
export PATH=/usr/local/bin:$PATH

doctor() { set +e; out=$(skinkey doctor 2>&1); rc=$?; set -e; printf '%s\n' "$out" >> "$SKNS_LOG/doctor.out"; }
# expect_fault DOOR REGEX FIXREGEX: a FAIL line for DOOR matching REGEX, its fix, exit 1
expect_fault() {
	expect_eq "$rc" 1 "doctor's exit code with a fault ($2)"
	local line fix
	line=$(grep -A1 -E "^FAIL $1: .*$2" <<< "$out" || true)
	[ -n "$line" ] || fail "doctor did not report '$2' for $1: $out"
	fix=$(sed -n 2p <<< "$line")
	expect_match "$fix" "^     fix: .*$3" "doctor's fix for '$2'"
}

# pcscd.socket enabled / disabled, as this namespace sees it
wants=/etc/systemd/system/sockets.target.wants
[ -d "$wants" ] && [ -f /lib/systemd/system/pcscd.socket ] || fail "no systemd pcscd.socket on this machine"
mount -t tmpfs tmpfs "$wants" && ln -s /lib/systemd/system/pcscd.socket "$wants/pcscd.socket"

# 1. GnuPG's own scdaemon (no pcsc-shared) holds the reader; gpg-agent does not use skinkey-scd
source "$SK_SRC/tests/lib/gnupg_scd.sh"
gpg --card-status > "$SKNS_LOG/gnupg-card-status.out" 2>&1 || fail "GnuPG's scdaemon cannot read the card"
pgrep -x scdaemon >/dev/null || fail "no GnuPG scdaemon running"
doctor
expect_fault reader "'$SK_READER0' is held exclusively by another program.*scdaemon \(pid [0-9]+, GnuPG's scdaemon\)" "pcsc-shared"
expect_fault gpg "gpg-agent does not use skinkey-scd" "skinkey setup gpg"
gpgconf --kill gpg-agent
wait_for 10 sh -c '! pgrep -x scdaemon' || fail "GnuPG's scdaemon did not exit"

# 1b. a program with OpenSC's module (connect_exclusive = true in its opensc.conf) holds the reader
pkill -x skinkeyd || true
wait_for 60 sh -c '! pgrep -x skinkeyd' || fail "skinkeyd did not exit"
cat > "$SKNS_SCRATCH/opensc.conf" <<'EOF2'
app default {
	reader_driver pcsc {
		connect_exclusive = true;
	}
}
EOF2
OPENSC_CONF=$SKNS_SCRATCH/opensc.conf /usr/bin/python3 - /usr/lib/x86_64-linux-gnu/opensc-pkcs11.so \
    "$SKNS_SCRATCH/osc.ready" > "$SKNS_LOG/opensc-holder.out" 2>&1 <<'PY' &
import sys, time, PyKCS11
lib = PyKCS11.PyKCS11Lib(); lib.load(sys.argv[1])
slots = lib.getSlotList(tokenPresent=True)
session = lib.openSession(slots[0])
open(sys.argv[2], "w").write("%d slots\n" % len(slots))
while True:
    time.sleep(3600)
PY
osc=$!
wait_for 60 test -s "$SKNS_SCRATCH/osc.ready" || fail "the OpenSC holder did not open a session: $(cat "$SKNS_LOG/opensc-holder.out")"
doctor
expect_fault reader "'$SK_READER0' is held exclusively by another program.*python3 \(pid $osc, OpenSC\)" "connect_exclusive = false"
kill $osc; wait $osc 2>/dev/null || true
sim remove && sim tap   # skinkeyd found the reader taken: a new tap lets it read the chip

# 2. every door set up: nothing to report
out=$(skinkey setup gpg ssh chromium 2>&1) || fail "setup: $out"
export SSH_AUTH_SOCK=$XDG_RUNTIME_DIR/skinkey/S.ssh
wait_for 20 sh -c 'skinkey status | grep -q "fs-"' || fail "skinkeyd does not see the chip"
doctor
expect_eq "$rc" 0 "doctor with every door set up: $out"
expect_match "$out" "^ok   reader: '$SK_READER0': a card is in the field" "reader line"
expect_match "$out" '^ok   gpg: gpg-agent uses /usr/local/libexec/skinkey-scd' "gpg line"
expect_match "$out" "^ok   ssh: SSH_AUTH_SOCK is skinkeyd's agent" "ssh line"
expect_match "$out" "^ok   pkcs11: p11-kit knows skinkey's module" "pkcs11 line"
expect_match "$out" 'doctor: nothing stops a door' "summary"

# 3. SSH_AUTH_SOCK elsewhere, then unset
SSH_AUTH_SOCK=/tmp/ssh-XXXX/agent.42 doctor
expect_fault ssh "SSH_AUTH_SOCK points to /tmp/ssh-XXXX/agent.42, not skinkeyd's" "skinkey setup ssh"
env -u SSH_AUTH_SOCK bash -c 'skinkey doctor' > "$SKNS_SCRATCH/d.out" 2>&1 && rc=0 || rc=$?
out=$(cat "$SKNS_SCRATCH/d.out")
expect_fault ssh "SSH_AUTH_SOCK is not set" "skinkey setup ssh"

# 4. no p11-kit module file names the module
mount -t tmpfs tmpfs /usr/share/p11-kit/modules
doctor
expect_fault pkcs11 "no p11-kit module file names skinkey's module" "pkcs11/modules/skinkey-pkcs11.module"
umount /usr/share/p11-kit/modules

# 5. browsers: a Firefox profile and Chromium's database without the module
ff=$HOME/.mozilla/firefox/k3y.default-esr
mkdir -p "$ff" && certutil -N -d "sql:$ff" --empty-password
doctor
expect_fault firefox "1 of 1 Firefox profile\(s\) do not load skinkey's module" "skinkey setup firefox"
modutil -dbdir "sql:$HOME/.pki/nssdb" -delete skinkey -force > /dev/null 2>&1 </dev/null || fail "modutil -delete"
doctor
expect_fault chromium "does not load skinkey's module" "skinkey setup chromium"
skinkey setup firefox chromium > /dev/null || fail "setup firefox chromium"
doctor
expect_eq "$rc" 0 "doctor after setting the browsers up: $out"

# 6. pcscd not socket-activated
rm "$wants/pcscd.socket"
doctor
expect_fault pcscd "pcscd.socket is not enabled" "systemctl enable --now pcscd.socket"
ln -s /lib/systemd/system/pcscd.socket "$wants/pcscd.socket"

# 7. the guard: skinkeyd started the installed one; without it doctor names the fault
expect_match "$out" '^ok   guard: skinkey-guard is running' "guard line"
gpid=$(pgrep -x skinkey-guard) || fail "no skinkey-guard running"
kill $gpid
wait_for 10 sh -c '! pgrep -x skinkey-guard' || fail "skinkey-guard did not exit"
doctor
expect_fault guard "skinkey-guard is not running" "systemctl --user enable --now skinkey-guard.service"
skinkey-guard --daemon || fail "skinkey-guard --daemon"
doctor
expect_eq "$rc" 0 "doctor with the guard running again: $out"

# 8. the FIDO bridge's /dev/uhid: a note while the bridge is not enabled, a fault once it is
if [ -e /dev/uhid ]; then
	note "this kernel has /dev/uhid: the missing-device case is not made"
else
	expect_match "$out" '^--   fido: /dev/uhid does not exist.*not enabled' "uhid note without the bridge enabled"
	wantdir=$XDG_CONFIG_HOME/systemd/user/default.target.wants
	mkdir -p "$wantdir"
	ln -s /usr/local/lib/systemd/user/skinkey-hidbridge.service "$wantdir/skinkey-hidbridge.service"
	doctor
	expect_fault fido "/dev/uhid does not exist" "modprobe uhid"
	rm "$wantdir/skinkey-hidbridge.service"
fi
# /dev/uhid that only root may open, seen by an ordinary user: a private /dev for this namespace
# made of fresh nodes (never a bind of the machine's /dev under the scratch tree, which the
# harness deletes at the end)
mount -t tmpfs -o mode=755 tmpfs /dev
mknod -m 666 /dev/null c 1 3 && mknod -m 666 /dev/zero c 1 5 && mknod -m 666 /dev/urandom c 1 9
ln -s /proc/self/fd /dev/fd
mknod -m 600 /dev/uhid c 10 239
u=$SKNS_SCRATCH/u4242
mkdir -p "$u/home/.config/systemd/user/default.target.wants" "$u/run" && chmod 700 "$u/run"
ln -s /usr/local/lib/systemd/user/skinkey-hidbridge.service \
	"$u/home/.config/systemd/user/default.target.wants/skinkey-hidbridge.service"
chown -R 4242:4242 "$u"
chmod 755 "$SKNS_SCRATCH"
set +e
out=$(setpriv --reuid=4242 --regid=4242 --clear-groups env -i HOME="$u/home" XDG_RUNTIME_DIR="$u/run" \
	PATH="$PATH" skinkey doctor 2>&1)
rc=$?
set -e
umount -l /dev || fail "umount of the private /dev"
expect_fault fido "/dev/uhid is not accessible to this user" "70-skinkey-uhid.rules"

# 9. pcscd: gone, a dead socket, no reader, and a refusal after accept (polkit's way)
pcscd_pid=$(tr -cd 0-9 < /run/pcscd/pcscd.pid)
kill "$pcscd_pid"
wait_for 10 sh -c '! [ -e /run/pcscd/pcscd.comm ]' || fail "pcscd did not go away"
doctor
expect_fault pcscd "pcscd is not running and nothing listens on /run/pcscd/pcscd.comm" "systemctl enable --now pcscd.socket"
/usr/bin/python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.close()' /run/pcscd/pcscd.comm
doctor
expect_fault pcscd "/run/pcscd/pcscd.comm exists but no pcscd answers" "systemctl restart pcscd.socket"
rm -f /run/pcscd/pcscd.comm
mkdir -p "$SKNS_SCRATCH/no-readers.d"
pcscd -f -c "$SKNS_SCRATCH/no-readers.d" > "$SKNS_LOG/pcscd-noreader.log" 2>&1 & p2=$!
wait_for 10 test -S /run/pcscd/pcscd.comm || fail "second pcscd did not start"
doctor
expect_fault reader "pcscd sees no reader" "plug in a PC/SC NFC reader"
kill "$p2"; wait "$p2" 2>/dev/null || true
wait_for 10 sh -c '! [ -e /run/pcscd/pcscd.comm ]' || fail "second pcscd did not go away"
/usr/bin/python3 "$SK_SRC/tests/lib/pcscd_refuse.py" /run/pcscd/pcscd.comm > "$SKNS_LOG/refuse.log" 2>&1 &
wait_for 10 test -S /run/pcscd/pcscd.comm || fail "refusing stand-in did not start"
doctor
expect_fault pcscd "pcscd accepted the connection and closed it .*polkit policy refuses this user \(uid 0\)" "with a polkit rule"
expect_match "$out" '^  sudo tee /etc/polkit-1/rules.d/50-skinkey-pcscd.rules' "the rule's file"
expect_match "$out" 'action.id == "org.debian.pcsc-lite.access_pcsc"' "the rule names pcscd's polkit action"
expect_match "$out" 'subject.user == "root"' "the rule names this user"
grep_all -q 'accepted and closed' "$SKNS_LOG/refuse.log" || fail "the stand-in saw no connection"
echo "pkg_doctor: ok"
