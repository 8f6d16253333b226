#!/usr/bin/env bash
# fuzz.sh — a libFuzzer campaign over every fuzz harness in the tree.
#   scripts/fuzz.sh [SECONDS_PER_HARNESS] [NAME_FILTER]
#   scripts/fuzz.sh 0     build and replay every corpus through libFuzzer only (scripts/test.sh)
# Builds build-fuzz (clang, -Dfuzzing=true, ASan+UBSan: every library and program is
# instrumented), then for each test in meson's 'fuzz' suite runs its harness for the given time
# (default 120 s) on its corpus tests/fuzz/corpus/<name>/ and merges into it the inputs that add
# coverage (commit them). Prints the coverage (libFuzzer's "cov:" edges) of the corpus
# before and after the run, per harness, and exits non-zero when a harness crashed (the
# reproducer is in build-fuzz/fuzz-artifacts/).
set -uo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
cd "$src"
secs=${1:-120}
filter=${2:-}
b=build-fuzz

command -v clang >/dev/null || { echo "fuzz: clang is needed (apt-get install clang)" >&2; exit 1; }
if [ ! -d "$b" ]; then
	CC=clang meson setup "$b" -Dfuzzing=true -Db_sanitize=address,undefined -Db_lundef=false \
		>/dev/null || { echo "fuzz: meson setup failed" >&2; exit 1; }
fi
ninja -C "$b" >/dev/null || { echo "fuzz: build failed (ninja -C $b)" >&2; exit 1; }
mkdir -p "$b/fuzz-artifacts"

# harness binary and corpus directory, from meson's own test list
mapfile -t rows < <(meson introspect --tests "$b" | /usr/bin/python3 -c '
import json, sys
for t in json.load(sys.stdin):
    if any(s.endswith(":fuzz") for s in t["suite"]) and len(t["cmd"]) >= 2:
        print(t["name"], t["cmd"][0], t["cmd"][1])
')

# cov: the edge count libFuzzer reports after loading the corpus (or at the end of a run)
cov_of() {  # logfile
	sed -n 's/.*\(INITED\|DONE\) *cov: \([0-9]*\).*/\2/p' "$1" | tail -n 1
}

crashed=0
printf '%-28s %8s %8s %8s\n' harness cov-before cov-after inputs
for row in "${rows[@]}"; do
	read -r name bin corpus <<< "$row"
	[ -n "$filter" ] && [[ $name != *$filter* ]] && continue
	mkdir -p "$corpus"
	log=$b/fuzz-artifacts/$name.log
	if ! "$bin" -runs=0 "$corpus" > "$log.before" 2>&1; then
		crashed=$((crashed + 1))
		echo "  $name: its corpus does not replay cleanly — see $log.before" >&2
		continue
	fi
	before=$(cov_of "$log.before")
	if [ "$secs" = 0 ]; then   # check mode: build and corpus replay only
		printf '%-28s %8s\n' "$name" "${before:-?}"
		continue
	fi
	# new inputs go to a scratch directory; only those that add coverage are merged into the corpus
	new=$(mktemp -d)
	"$bin" -max_total_time="$secs" -print_final_stats=1 -artifact_prefix="$b/fuzz-artifacts/$name-" \
		"$new" "$corpus" > "$log" 2>&1
	rc=$?
	"$bin" -merge=1 "$corpus" "$new" >> "$log" 2>&1
	rm -rf "$new"
	"$bin" -runs=0 "$corpus" > "$log.after" 2>&1
	after=$(cov_of "$log.after")
	n=$(find "$corpus" -type f | wc -l)
	printf '%-28s %8s %8s %8s\n' "$name" "${before:-?}" "${after:-?}" "$n"
	if [ $rc -ne 0 ]; then
		crashed=$((crashed + 1))
		echo "  $name: libFuzzer exited $rc — see $log and $b/fuzz-artifacts/$name-*" >&2
	fi
done
[ $crashed -eq 0 ] || { echo "fuzz: $crashed harness(es) found a crash" >&2; exit 1; }
