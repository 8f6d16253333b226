#!/bin/busybox sh
# /init of the hid_vm test's initramfs (tests/integration/hid_vm.sh builds it): loads virtio-9p,
# hid and uhid from Debian's kernel package, mounts the host's / read-only over virtio-9p, gives
# it fresh /proc /sys /dev /tmp /run, and runs tests/lib/hidvm_guest.sh in it. The console is the
# test's log; the last line says how it ended ("HIDVM EXIT <rc>").
bb=/bin/busybox
$bb mount -t proc proc /proc
$bb mount -t sysfs sys /sys
$bb mount -t devtmpfs dev /dev
src=; build=; SKVM_CACHE=
for a in $($bb cat /proc/cmdline); do
	case $a in
	skvm.src=*) src=${a#skvm.src=} ;;
	skvm.build=*) build=${a#skvm.build=} ;;
	skvm.cache=*) SKVM_CACHE=${a#skvm.cache=} ;;
	esac
done
export SKVM_CACHE
for m in $($bb cat /modules.list); do
	$bb insmod "/mod/$m.ko" || echo "HIDVM insmod $m failed"
done
rc=1
if $bb mount -t 9p -o trans=virtio,version=9p2000.L,ro,cache=loose,msize=512000 host /host; then
	$bb mount -t proc proc /host/proc
	$bb mount -t sysfs sys /host/sys
	$bb mount -t devtmpfs dev /host/dev
	$bb mount -t tmpfs -o mode=1777 tmp /host/tmp
	$bb mount -t tmpfs -o mode=0755 run /host/run
	$bb mount -t tmpfs -o mode=1777 shm /host/dev/shm 2>/dev/null
	$bb chroot /host /bin/bash "$src/tests/lib/hidvm_guest.sh" "$src" "$build"
	rc=$?
else
	echo "HIDVM cannot mount the host's / over virtio-9p"
fi
echo "HIDVM EXIT $rc"
$bb poweroff -f
