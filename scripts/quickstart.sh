#!/usr/bin/env bash
# quickstart.sh — on a fresh Debian 12 machine, as root: install what is missing, build, start
# the simulated implant in a private namespace and show skinkey working end to end.
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
cd "$src"
"$src/scripts/deps.sh"
[ -d build ] || meson setup build
ninja -C build
echo
echo "=== demo: private pcscd + vpcd + two simulated chips (your own pcscd and network are untouched)"
SKNS_DESFIRE=1 exec "$src/tests/lib/skns.sh" build scripts/demo.sh
