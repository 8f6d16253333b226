#!/usr/bin/env bash
# gpg_bench.sh — APDUs and wall time for `gpg --card-status` and one `gpg --sign`, with
# skinkey-scd and with GnuPG's own scdaemon, on the same simulated card at 20 ms per APDU; and
# the APDUs of on-card key generation (Ed25519/cv25519 through gpg --card-edit, the same
# dialogue) on a factory-fresh card with each.
# A benchmark, not a test: it prints a table. Run as root from the source tree:
#   tests/lib/skns.sh build bench/gpg_bench.sh [RUNS]
set -euo pipefail
. "$SK_SRC/tests/lib/common.sh"
. "$SK_SRC/tests/lib/gpgcard.sh"
runs=${1:-5}
latency=20

ms_now() { date +%s%3N; }
apdus() { sim_apdus; }

# measure LABEL CMD...: runs CMD once after reset-stats; prints "apdus ms"
measure() {
	local t0 t1
	sim reset-stats >/dev/null
	t0=$(ms_now)
	"$@" >/dev/null 2>&1 || fail "benchmark step failed: $*"
	t1=$(ms_now)
	echo "$(apdus) $((t1 - t0))"
}

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'; }

kill_backends() {
	gpgconf --kill scdaemon 2>/dev/null || true
	gpgconf --kill gpg-agent 2>/dev/null || true
	pkill -x skinkeyd 2>/dev/null || true
	for _ in $(seq 40); do pgrep -x skinkeyd >/dev/null || pgrep -x scdaemon >/dev/null || break; sleep 0.05; done
}

echo hello > "$HOME/msg.txt"
declare -A res
for backend in ${BENCH_BACKENDS:-gnupg skinkey}; do
	kill_backends
	export GPGCARD_SCD=$backend
	rm -rf "$GNUPGHOME"; mkdir -m 700 "$GNUPGHOME"
	gpgcard_setup_agent
	sim latency 0 >/dev/null
	if [ "$backend" = gnupg ]; then
		gpgcard_generate_ed25519 "Bench User" "bench@example.org"
		gpg --export bench@example.org > "$HOME/bench.pub"
	else
		gpg --import "$HOME/bench.pub" 2>/dev/null
		gpg --card-status >/dev/null 2>&1   # creates the secret key stubs for this GNUPGHOME
	fi
	sim latency "$latency" >/dev/null
	for what in cold warm sign sign2; do : > "$HOME/$what.a"; : > "$HOME/$what.t"; done
	for _ in $(seq "$runs"); do
		kill_backends
		read -r a t < <(measure gpg --card-status); echo "$a" >> "$HOME/cold.a"; echo "$t" >> "$HOME/cold.t"
		read -r a t < <(measure gpg --card-status); echo "$a" >> "$HOME/warm.a"; echo "$t" >> "$HOME/warm.t"
		read -r a t < <(measure gpg --batch --yes -u bench@example.org -o "$HOME/msg.sig" --sign "$HOME/msg.txt")
		echo "$a" >> "$HOME/sign.a"; echo "$t" >> "$HOME/sign.t"
		gpg --verify "$HOME/msg.sig" >/dev/null 2>&1 || fail "$backend: signature does not verify"
		read -r a t < <(measure gpg --batch --yes -u bench@example.org -o "$HOME/msg.sig" --sign "$HOME/msg.txt")
		echo "$a" >> "$HOME/sign2.a"; echo "$t" >> "$HOME/sign2.t"
		gpg --verify "$HOME/msg.sig" >/dev/null 2>&1 || fail "$backend: second signature does not verify"
	done
	for what in cold warm sign sign2; do
		res[$backend.$what.a]=$(median < "$HOME/$what.a")
		res[$backend.$what.t]=$(median < "$HOME/$what.t")
	done
done
sim latency 0 >/dev/null

# key generation: the same gpg --card-edit dialogue on a factory-fresh card for each backend
fresh_card() {
	local st=$SKNS_SCRATCH/data/flexsecure.state
	sim quit >/dev/null 2>&1 || true
	for _ in $(seq 100); do sim status >/dev/null 2>&1 || break; sleep 0.05; done
	rm -f "$st"
	skinkey-sim run --card flexsecure --state "$st" >> "$SKNS_LOG/sim-flexsecure.log" 2>&1 &
	wait_for 10 sh -c "skinkey-sim ctl status 2>/dev/null | grep -q '^present=1'" ||
		fail "the fresh simulated card did not come up"
}
for backend in ${BENCH_BACKENDS:-gnupg skinkey}; do
	kill_backends
	fresh_card
	export GPGCARD_SCD=$backend
	rm -rf "$GNUPGHOME"; mkdir -m 700 "$GNUPGHOME"
	gpgcard_setup_agent
	gpg --card-status >/dev/null 2>&1 || fail "$backend: card-status before key generation"
	sim reset-stats >/dev/null
	gpgcard_generate_ed25519 "Keygen $backend" "keygen-$backend@example.org"
	res[$backend.keygen.a]=$(apdus)
done

printf '\ngpg on the simulated flexSecure, %d ms per APDU, median of %d runs\n\n' "$latency" "$runs"
printf '| %-46s | %14s | %14s | %14s | %14s |\n' operation "skinkey APDUs" "skinkey ms" "GnuPG APDUs" "GnuPG ms"
printf '|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..48})" "$(printf -- '-%.0s' {1..16})" "$(printf -- '-%.0s' {1..16})" "$(printf -- '-%.0s' {1..16})" "$(printf -- '-%.0s' {1..16})"
row() { printf '| %-46s | %14s | %14s | %14s | %14s |\n' "$1" "${res[skinkey.$2.a]:--}" "${res[skinkey.$2.t]:--}" "${res[gnupg.$2.a]}" "${res[gnupg.$2.t]}"; }
row "gpg --card-status (daemon fresh)" cold
row "gpg --card-status (warm)" warm
row "first gpg --sign after start (PIN entered)" sign
row "next gpg --sign (Ed25519, forced PIN)" sign2
printf '\non-card key generation through gpg --card-edit (Ed25519 + cv25519 + Ed25519), APDUs\n\n'
printf '| %-46s | %14s | %14s |\n' operation "skinkey APDUs" "GnuPG APDUs"
printf '|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..48})" "$(printf -- '-%.0s' {1..16})" "$(printf -- '-%.0s' {1..16})"
printf '| %-46s | %14s | %14s |\n' "key-attr 25519 + generate (after card-status)" "${res[skinkey.keygen.a]:--}" "${res[gnupg.keygen.a]:--}"
