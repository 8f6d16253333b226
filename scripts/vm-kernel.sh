#!/bin/sh
# vm-kernel.sh — fetch Debian's own kernel for tests/integration/hid_vm.sh, without installing it:
# `apt-get download` of the package linux-image-amd64 points to, `dpkg-deb -x`, and keep only
# vmlinuz and the modules the test's initramfs loads (virtio-9p for the host's /, hid, uhid).
# Also systemd's udevd and fido_id (package udev, same version as the installed systemd, also
# unpacked only), which the VM runs to check what the udev rules make of the bridge's devices.
# Into ${SK_VM_CACHE:-/var/cache/skinkey-vm}/<kernel package>/, with "current" pointing to it.
# Needs Debian's package registry once (install time, as scripts/deps.sh); the test is offline.
set -eu
cache=${SK_VM_CACHE:-/var/cache/skinkey-vm}
# dependency order (what `modinfo -F depends` says for Debian 12's 6.1 kernel)
MODULES="virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci netfs fscache
9pnet 9pnet_virtio 9p hid uhid hid-generic"

pkg=$(apt-cache depends linux-image-amd64 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
[ -n "$pkg" ] || { echo "vm-kernel: apt-cache knows no linux-image-amd64 (apt-get update?)" >&2; exit 1; }
if [ -f "$cache/$pkg/vmlinuz" ] && [ -f "$cache/$pkg/modules.list" ] && [ -x "$cache/$pkg/udev/udevadm" ]; then
	ln -sfn "$pkg" "$cache/current"
	echo "vm-kernel: $pkg already in $cache"
	exit 0
fi
mkdir -p "$cache"
tmp=$(mktemp -d "$cache/.fetch.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
( cd "$tmp" && apt-get download -q "$pkg" ) >&2
dpkg-deb -x "$tmp"/"$pkg"_*.deb "$tmp/x"
mkdir -p "$tmp/out/modules"
cp "$tmp"/x/boot/vmlinuz-* "$tmp/out/vmlinuz"
for m in $MODULES; do
	f=$(find "$tmp/x/lib/modules" -name "$m.ko" -o -name "$m.ko.xz" | head -n 1)
	[ -n "$f" ] || { echo "vm-kernel: module $m not in $pkg" >&2; exit 1; }
	case $f in *.xz) xz -dc "$f" > "$tmp/out/modules/$m.ko" ;; *) cp "$f" "$tmp/out/modules/$m.ko" ;; esac
	echo "$m" >> "$tmp/out/modules.list"
done
( cd "$tmp" && apt-get download -q udev ) >&2
dpkg-deb -x "$tmp"/udev_*.deb "$tmp/u"
mkdir -p "$tmp/out/udev"
cp "$tmp/u/bin/udevadm" "$tmp/u/lib/udev/fido_id" "$tmp/u/lib/udev/rules.d/60-fido-id.rules" "$tmp/out/udev/"
ln -s udevadm "$tmp/out/udev/systemd-udevd"
rm -rf "${cache:?}/$pkg"
mv "$tmp/out" "$cache/$pkg"
ln -sfn "$pkg" "$cache/current"
echo "vm-kernel: $pkg in $cache"
