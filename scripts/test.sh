#!/usr/bin/env bash
# test.sh — the whole skinkey test suite: installs what is missing, builds, then runs every unit,
# fuzz-replay and integration test (integration tests run in private unshare -mn namespaces with a
# real pcscd + vpcd + skinkey-sim). Then the same again built with ASan+UBSan.
#   scripts/test.sh            everything (plain build, then sanitizer build)
#   scripts/test.sh --quick    plain build only
#   scripts/test.sh --asan     sanitizer build only
# The full run also builds the libFuzzer configuration with clang and replays every corpus.
# Exits non-zero on any failure; ends with a line "N passed, N failed".
set -uo pipefail
src=$(cd "$(dirname "$0")/.." && pwd)
cd "$src"
mode=${1:-all}

"$src/scripts/deps.sh" || exit 1
# tests keep what a person should look at here (the Firefox screenshot, the server's log)
export SK_ARTIFACTS=$src/artifacts
mkdir -p "$SK_ARTIFACTS"

pass=0; fail=0; failed_names=()
run_suite() {  # builddir [meson setup args...]
	local b=$1; shift
	if [ ! -d "$b" ]; then
		meson setup "$b" "$@" >/dev/null || { echo "meson setup $b failed" >&2; fail=$((fail+1)); return; }
	else
		meson setup --reconfigure "$b" "$@" >/dev/null || { fail=$((fail+1)); return; }
	fi
	if ! ninja -C "$b"; then
		echo "build in $b failed" >&2; fail=$((fail+1)); failed_names+=("$b:build"); return
	fi
	local extra=()
	# Tests marked "# skinkey-test: plain-only (REASON)" drive clients that cannot run with the
	# ASan runtime preloaded (Firefox crashes; p11tool deadlocks in p11-kit's exit handler). The
	# module's code under them is exercised under ASan by the other p11 tests.
	case "$b" in *asan*) extra=(--no-suite plainonly) ;; esac
	meson test -C "$b" --print-errorlogs --num-processes 2 "${extra[@]}"
	# count from meson's machine-readable log, not from its exit code alone
	local log=$b/meson-logs/testlog.json
	local p f
	p=$(grep -c '"result": "OK"' "$log" 2>/dev/null || true)
	f=$(grep -c -E '"result": "(FAIL|TIMEOUT|ERROR|UNEXPECTEDPASS)"' "$log" 2>/dev/null || true)
	local s; s=$(grep -c '"result": "SKIP"' "$log" 2>/dev/null || true)
	if [ "${s:-0}" != 0 ]; then
		echo "$b: $s test(s) skipped: a skipped test counts as a failure here" >&2
		f=$(( ${f:-0} + s ))
	fi
	while IFS= read -r n; do failed_names+=("$b:$n"); done < <(
		/usr/bin/python3 - "$log" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    t = json.loads(line)
    if t.get("result") not in ("OK",):
        print(t.get("name"))
PY
	)
	pass=$(( pass + ${p:-0} )); fail=$(( fail + ${f:-0} ))
}

# The libFuzzer build (clang, every library instrumented) must build from a clean tree and replay
# every corpus: one check, counted as one test.
fuzz_build() {
	if ! command -v clang > /dev/null; then
		echo "clang missing: the libFuzzer build cannot be checked" >&2
		fail=$((fail + 1)); failed_names+=("build-fuzz:clang missing"); return
	fi
	if "$src/scripts/fuzz.sh" 0; then
		pass=$((pass + 1))
	else
		fail=$((fail + 1)); failed_names+=("build-fuzz:build or corpus replay")
	fi
}

case "$mode" in
	all|--all) run_suite build; run_suite build-asan -Db_sanitize=address,undefined -Db_lundef=false
		fuzz_build ;;
	--quick) run_suite build ;;
	--asan) run_suite build-asan -Db_sanitize=address,undefined -Db_lundef=false ;;
	*) echo "usage: scripts/test.sh [--quick|--asan]" >&2; exit 2 ;;
esac

if [ ${#failed_names[@]} -gt 0 ]; then
	echo "failed:"; printf '  %s\n' "${failed_names[@]}"
fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ] && [ "$pass" -gt 0 ]
