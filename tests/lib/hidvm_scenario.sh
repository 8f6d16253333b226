#!/usr/bin/env bash
# hidvm_scenario.sh — the hid_vm test's scenario, inside the VM's namespace harness (pcscd + vpcd
# + skinkey-sim already up). skinkey-hidbridge runs as an unprivileged user (uid 1000) and creates
# the CTAPHID device through the kernel's uhid; stock fido2-token, fido2-cred and fido2-assert
# (as that user) use the /dev/hidraw device the kernel made of it: list, info, a credential made
# and verified, an assertion made and verified with the credential's public key.
# systemd's udevd runs with our 70-skinkey-uhid.rules and systemd's 60-fido-id.rules/70-uaccess.rules:
# the test checks the uaccess tag on /dev/uhid and ID_SECURITY_TOKEN=1 + uaccess on the hidraw.
# There is no logind in the VM: the ACL it would grant the seat's user for the tag is a chown.
source "$SK_SRC/tests/lib/common.sh"
# VM uptime at each step (no fork: under TCG every exec costs)
mark() { local up _; read -r up _ < /proc/uptime; echo "# t=${up}s $*" >&2; }
mark "scenario starts (pcscd, vpcd, skinkey-sim up)"
export PATH=$SK_BUILD/hidbridge:$PATH
need skinkey-hidbridge skinkeyd fido2-token fido2-cred fido2-assert setpriv openssl
U=1000
S=$SKNS_SCRATCH
chmod 711 "$S"   # the user's tree lives below the harness's scratch directory
uhome=$S/user
mkdir -p "$uhome"/{home,run,data,config/skinkey,cache}
chmod 700 "$uhome/run"
printf 'tap-timeout = 20s\n' > "$uhome/config/skinkey/skinkey.conf"
chown -R "$U:$U" "$uhome"
asuser() {
	setpriv --reuid="$U" --regid="$U" --clear-groups env HOME="$uhome/home" \
		XDG_RUNTIME_DIR="$uhome/run" XDG_DATA_HOME="$uhome/data" XDG_CONFIG_HOME="$uhome/config" \
		XDG_CACHE_HOME="$uhome/cache" TMPDIR="$uhome/home" "$@"
}
[ -c /dev/uhid ] || fail "no /dev/uhid in the VM"

# systemd's udevd (package udev, unpacked by scripts/vm-kernel.sh) with only the rules under test:
# ours for /dev/uhid, systemd's 60-fido-id.rules (fido_id) and 70-uaccess.rules for the hidraw.
udevdir=${SKVM_CACHE:?}/udev
cp /usr/lib/udev/rules.d/70-uaccess.rules "$S/70-uaccess.rules" || fail "systemd's 70-uaccess.rules missing"
mount -t tmpfs -o mode=0755 rules /usr/lib/udev/rules.d   # the host's / is read-only here
[ -d /etc/udev/rules.d ] && mount -t tmpfs -o mode=0755 rules /etc/udev/rules.d
sed "s|IMPORT{program}=\"fido_id\"|IMPORT{program}=\"$udevdir/fido_id\"|" "$udevdir/60-fido-id.rules" \
	> /usr/lib/udev/rules.d/60-fido-id.rules
cp "$S/70-uaccess.rules" "$SK_SRC/data/udev/70-skinkey-uhid.rules" /usr/lib/udev/rules.d/
"$udevdir/systemd-udevd" --daemon --resolve-names=never || fail "udevd did not start"
"$udevdir/udevadm" trigger --action=add --subsystem-match=misc --sysname-match=uhid
"$udevdir/udevadm" settle --timeout=60 || fail "udev did not settle"
uhid_tags=$("$udevdir/udevadm" info -q property -n /dev/uhid | sed -n 's/^TAGS=//p')
expect_match "$uhid_tags" ':uaccess:' "70-skinkey-uhid.rules tags /dev/uhid uaccess"
note "/dev/uhid tags: $uhid_tags"
# what logind would grant the seat's user for the uaccess tag (no logind here): the device itself
chown "$U" /dev/uhid
mark "udevd up"
t0=$(date +%s%N)
asuser skinkey-hidbridge --poll 1 --log-level debug > "$SKNS_LOG/hidbridge.log" 2>&1 &
# wait by the clock, not by a count of polls: under TCG every fork is slow
wait_until() {  # SECONDS CMD...
	local end=$(( SECONDS + $1 )); shift
	until "$@"; do [ "$SECONDS" -lt "$end" ] || return 1; sleep 0.1; done
}
hidraw_up() { compgen -G '/sys/class/hidraw/hidraw*' > /dev/null; }
wait_until 60 hidraw_up || fail "the bridge made no hidraw device: $(tail -5 "$SKNS_LOG/hidbridge.log")"
h=$(ls /sys/class/hidraw/ | head -n 1)
dev=/dev/$h
note "hidraw device $dev after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
# the descriptor is FIDO's (usage page 0xF1D0, usage 1): what fido_id and browsers look for
rd=$(od -An -tx1 "/sys/class/hidraw/$h/device/report_descriptor" | tr -d ' \n')
expect_match "$rd" '^06d0f10901a101' "FIDO usage page in the report descriptor"
bridge_pid=$(pgrep -f '^skinkey-hidbridge --poll') || fail "the bridge is not running"
uids=$(sed -n 's/^Uid:[[:space:]]*//p' "/proc/$bridge_pid/status")
expect_match "$uids" "^$U[[:space:]]+$U[[:space:]]+$U[[:space:]]+$U\$" "the bridge runs as uid $U (real, effective, saved, fs)"
wait_until 10 test -c "$dev" || fail "$dev not created"
"$udevdir/udevadm" settle --timeout=60 || fail "udev did not settle"
props=$("$udevdir/udevadm" info -q property -n "$dev")
expect_match "$props" '^ID_SECURITY_TOKEN=1$' "systemd's fido_id recognises the bridge's hidraw"
expect_match "$(sed -n 's/^TAGS=//p' <<< "$props")" ':uaccess:' "the FIDO hidraw gets the uaccess tag"
note "$dev: ID_SECURITY_TOKEN=1, tags $(sed -n 's/^TAGS=//p' <<< "$props")"
chown "$U" "$dev"   # logind's ACL for the uaccess tag

mark "hidraw checked by udev"
list=$(asuser fido2-token -L) || fail "fido2-token -L failed"
note "fido2-token -L: $list"
expect_match "$list" "^$dev: vendor=0x1209, product=0x5354" "fido2-token lists the bridge"
info=$(asuser fido2-token -I "$dev") || fail "fido2-token -I failed"
expect_match "$info" 'FIDO_2_0' "getInfo through the kernel path"

mark "fido2-token -L, -I done"
W=$uhome/home
cdh=$(head -c 32 /dev/urandom | base64 -w0)
uid=$(head -c 16 /dev/urandom | base64 -w0)
printf '%s\nskinkey.test\nalice\n%s\n' "$cdh" "$uid" > "$W/cred.in"
chown "$U" "$W/cred.in"
asuser fido2-cred -M -i "$W/cred.in" -o "$W/cred.out" "$dev" es256 || fail "fido2-cred -M failed"
asuser fido2-cred -V -i "$W/cred.out" -o "$W/cred.ver" es256 || fail "fido2-cred -V: attestation does not verify"
credid=$(sed -n 1p "$W/cred.ver")
[ "$credid" = "$(sed -n 5p "$W/cred.out")" ] || fail "credential id differs between -M and -V"
sed -n '2,$p' "$W/cred.ver" > "$W/pub.pem"
openssl pkey -pubin -in "$W/pub.pem" -noout || fail "no public key from fido2-cred -V"

mark "credential made and verified"
cdh2=$(head -c 32 /dev/urandom | base64 -w0)
printf '%s\nskinkey.test\n%s\n' "$cdh2" "$credid" > "$W/assert.in"
chown "$U" "$W/assert.in"
asuser fido2-assert -G -p -i "$W/assert.in" -o "$W/assert.out" "$dev" || fail "fido2-assert -G failed"
fido2-assert -V -p -i "$W/assert.out" "$W/pub.pem" es256 || fail "the assertion does not verify"
# and a forged one does not (the check can fail)
sed '4s/^\(....\)./\1A/' "$W/assert.out" > "$W/assert.bad"
[ "$(sed -n 4p "$W/assert.bad")" != "$(sed -n 4p "$W/assert.out")" ] || sed -i '4s/^\(....\)./\1B/' "$W/assert.bad"
if fido2-assert -V -p -i "$W/assert.bad" "$W/pub.pem" es256 2>/dev/null; then fail "a forged signature verified"; fi
mark "assertion made and verified"
# SIGTERM: the bridge exits and the kernel's device goes with it
kill -TERM "$bridge_pid"
wait_until 30 sh -c "! kill -0 $bridge_pid 2>/dev/null" || fail "the bridge did not exit on SIGTERM"
hidraw_gone() { ! compgen -G '/sys/class/hidraw/hidraw*' > /dev/null; }
wait_until 10 hidraw_gone || fail "the hidraw device outlived the bridge"
mark "bridge exited, device gone"
# the user's daemons (skinkeyd, started by the bridge, and what it started) end before the
# harness's own cleanup, which would otherwise wait for them. skinkeyd takes ~30 s to exit on
# SIGTERM in this VM (on the host, 0.15 s): after 5 s it is killed, and said so.
pkill -TERM -u "$U" || true
pkill -TERM -x systemd-udevd || true
no_user_procs() { ! pgrep -u "$U" > /dev/null; }
if ! wait_until 5 no_user_procs; then
	note "still running 5 s after SIGTERM, killed: $(pgrep -d, -l -u "$U")"
	pkill -KILL -u "$U" || true
fi
mark "bridge and daemons stopped"
note "scenario took $(( ($(date +%s%N) - t0) / 1000000 )) ms"
echo "HIDVM RESULT ok"
