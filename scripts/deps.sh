#!/bin/sh
# deps.sh — install what skinkey needs to build, run its simulator and run its tests, from
# Debian 12 packages only. Installs only what is missing; safe to run again.
set -eu
PKGS="
meson ninja-build pkg-config gcc libc6-dev clang libclang-rt-14-dev
libpcsclite-dev libssl-dev libassuan-dev libgpg-error-dev libgcrypt20-dev libsqlite3-dev
libp11-kit-dev libfido2-dev libcbor-dev
pcscd vsmartcard-vpcd pcsc-tools
gnupg gpg-agent scdaemon git openssh-client openssh-server
opensc opensc-pkcs11 yubikey-manager python3-fido2 python3-pyscard python3-pykcs11 p11-kit gnutls-bin libnss3-tools
sqlite3 iproute2 util-linux procps xxd expect socat firefox-esr
oathtool keepassxc libsystemd-dev python3-dbus python3-gi dbus chromium
qemu-system-x86 fido2-tools busybox-static
build-essential dpkg-dev debhelper lintian bash-completion systemd
"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -z "$missing" ]; then
	echo "deps: everything is installed"
else
	[ "$(id -u)" = 0 ] || { echo "deps: run as root to install:$missing" >&2; exit 1; }
	echo "deps: installing:$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -q
	# shellcheck disable=SC2086
	apt-get install -y -q --no-install-recommends $missing
fi
# Debian's own kernel for the hid_vm test (downloaded and unpacked, never installed).
"$(dirname "$0")/vm-kernel.sh"
