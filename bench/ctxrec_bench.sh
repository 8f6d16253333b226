#!/usr/bin/env bash
# ctxrec_bench.sh — the per-context record store's costs (agent/ctxrec.h): what an unlock adds
# (read contexts.rec, HKDF, open a 16 KiB AES-256-GCM record), the same for a slot nobody wrote,
# and a seal with its atomic rewrite (tmp, fsync, rename, directory fsync), on the data
# directory's file system. A benchmark: it prints figures.
#   bench/ctxrec_bench.sh [BUILD_DIR] [N]      (default build, 200)
set -euo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
b=${1:-build}
n=${2:-200}
bin=$src/$b/agent/ctxrec-bench
[ -x "$bin" ] || { echo "ctxrec_bench: build it first (ninja -C $b agent/ctxrec-bench)" >&2; exit 1; }
dir=$(mktemp -d "${XDG_DATA_HOME:-$HOME/.local/share}/ctxrec-bench.XXXXXX" 2>/dev/null || mktemp -d)
trap 'rm -rf "$dir"' EXIT
echo "# ctxrec-bench $n runs in $dir ($(nproc) cores, load $(cut -d' ' -f1 /proc/loadavg))"
"$bin" "$n" "$dir"
