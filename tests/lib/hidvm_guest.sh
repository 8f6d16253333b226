#!/usr/bin/env bash
# hidvm_guest.sh SRC BUILD — runs inside the hid_vm test's VM (Debian's kernel, the host's / read
# only): the namespace harness as on the host (pcscd + vpcd + skinkey-sim), with the scenario
# tests/lib/hidvm_scenario.sh.
set -euo pipefail
src=$1 build=$2
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8
hostname skinkey-vm 2>/dev/null || true
echo "HIDVM guest up after $(cut -d' ' -f1 /proc/uptime) s, kernel $(uname -r)"
exec bash "$src/tests/lib/skns.sh" "$build" tests/lib/hidvm_scenario.sh
