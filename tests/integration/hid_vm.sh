#!/usr/bin/env bash
# skinkey-hidbridge on the real kernel path. This machine's kernel has no uhid, so the test boots
# Debian's own kernel (linux-image-amd64, unpacked by scripts/vm-kernel.sh, never installed)
# under qemu-system-x86_64 with software emulation (TCG), from a small initramfs (static busybox
# + virtio-9p, hid, uhid modules) that mounts this machine's / read-only over virtio-9p and runs
# tests/lib/hidvm_scenario.sh inside the namespace harness there: pcscd + vpcd + skinkey-sim +
# skinkeyd + the bridge as an unprivileged user, systemd's udevd with 70-skinkey-uhid.rules and
# systemd's FIDO rules (uaccess on /dev/uhid; fido_id: ID_SECURITY_TOKEN=1 + uaccess on the
# hidraw), stock fido2-token -L / fido2-cred -M / fido2-assert -G against /dev/hidrawN, the
# assertion verified. No network (qemu has no NIC).
# skinkey-test: plain-only (a TCG VM running the ASan build would pass two minutes; the bridge's code is covered under ASan by hid_libfido2)
source "$SK_SRC/tests/lib/common.sh"
need qemu-system-x86_64 timeout gzip
cache=$(readlink -f "${SK_VM_CACHE:-/var/cache/skinkey-vm}/current") || true
[ -f "$cache/vmlinuz" ] && [ -f "$cache/modules.list" ] && [ -x "$cache/udev/udevadm" ] || \
	fail "no kernel for the VM in $cache: run scripts/deps.sh (scripts/vm-kernel.sh fetches Debian's linux-image-amd64)"
bb=/bin/busybox
[ -x "$bb" ] || fail "static busybox missing (package busybox-static)"
case "$(ldd "$bb" 2>&1)" in *"not a dynamic executable"*|*"statically linked"*) ;; *) fail "$bb is not static (busybox-static)";; esac

S=$SKNS_SCRATCH
root=$S/initramfs
mkdir -p "$root"/{bin,dev,proc,sys,host,mod}
cp "$bb" "$root/bin/busybox"
cp "$SK_SRC/tests/lib/hidvm_init.sh" "$root/init"
cp "$cache/modules.list" "$root/modules.list"
while read -r m; do cp "$cache/modules/$m.ko" "$root/mod/"; done < "$cache/modules.list"
( cd "$root" && find . | "$bb" cpio -o -H newc 2>/dev/null ) | gzip -1 > "$S/initrd.gz"

log=$SKNS_LOG/vm-console.log
t0=$(date +%s%N)
# 150 s hard cap (meson's own timeout is 600 s); the goal is well under two minutes
timeout -k 5 150 qemu-system-x86_64 -machine q35,accel=tcg -cpu max -smp 2 -m 768 \
	-nographic -no-reboot -nic none -monitor none -serial stdio \
	-kernel "$cache/vmlinuz" -initrd "$S/initrd.gz" \
	-append "console=ttyS0 quiet loglevel=3 panic=-1 skvm.src=$SK_SRC skvm.build=$SK_BUILD skvm.cache=$cache" \
	-virtfs "local,path=/,mount_tag=host,security_model=none,readonly=on,multidevs=remap" \
	< /dev/null > "$log" 2>&1 || true
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
tr -d '\r' < "$log" | grep -E '^(HIDVM|# |FAIL|---)' >&2 || true
grep_all -a '^HIDVM RESULT ok' < "$log" || { tail -n 60 "$log" >&2; fail "the VM scenario did not pass (console: $log)"; }
grep_all -a '^HIDVM EXIT 0' < "$log" || fail "the VM scenario did not exit cleanly"
note "figure vm_test_ms $ms"
echo "hid_vm: ok ($ms ms)"
