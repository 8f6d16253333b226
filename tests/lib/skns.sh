#!/usr/bin/env bash
# skns.sh BUILD_DIR SCRIPT [ARGS...]
# Runs SCRIPT inside a private mount+network namespace with a real pcscd (vpcd driver) and
# skinkey-sim attached to it, so a test never touches the machine's pcscd or network and two
# runs never collide. Everything started here dies with the namespace (mount, network and PID).
#   SKNS_DESFIRE=1   also run the simulated DESFire EV3 on vpcd slot 1
#   SKNS_NOCARD=1    start no simulator (the script starts its own)
#   SKNS_KEEP=DIR    keep the scratch tree (logs) in DIR instead of deleting it
#   SKNS_APDU_LOG=1  pcscd logs every APDU (PINs included) to log/pcscd.log
#   SKNS_SIM_ENCODING=minimal|real|padded  the encodings the simulated cards answer with
#                    (exported as SKINKEY_SIM_ENCODING, so a sim a script restarts keeps it)
set -euo pipefail

if [ "${SKNS_INSIDE:-}" != 1 ]; then
	[ "$(id -u)" = 0 ] || { echo "skns: integration tests need root (unshare -mn)" >&2; exit 1; }
	export SKNS_INSIDE=1
	# -p -f --mount-proc: a PID namespace too, so daemons that double-fork (gpg-agent, skinkeyd,
	# sshd) die with the namespace when this script, its PID 1, exits. --kill-child: when
	# unshare itself is killed (meson's timeout), PID 1 gets SIGTERM, cleans up and takes the
	# whole namespace with it.
	exec unshare -mnpf --mount-proc --kill-child=SIGTERM --propagation private -- "$0" "$@"
fi

build=$(cd "$1" && pwd); script=$2; shift 2
src=$(cd "$(dirname "$0")/../.." && pwd)

scratch=$(mktemp -d /tmp/skns.XXXXXX)
cleanup() {
	local rc=$?
	# kill everything we started (children of this shell and their groups)
	pkill -TERM -P $$ 2>/dev/null || true
	[ -n "${pcscd_pid:-}" ] && kill "$pcscd_pid" 2>/dev/null || true
	# let them finish their exit (a sanitizer's leak check runs then), then kill what is left
	local _
	for _ in $(seq 100); do pgrep -P $$ -r R,S,D,T > /dev/null || break; sleep 0.05; done
	pkill -KILL -P $$ 2>/dev/null || true
	# A sanitizer report from any process of the namespace (daemons included, whose stderr
	# nobody reads) fails the test, even when the script itself passed.
	local san
	for san in "$scratch"/log/sanitizer.*; do
		[ -s "$san" ] || continue
		echo "skns: sanitizer report in $(basename "$san"):" >&2; head -n 40 "$san" >&2
		[ $rc -ne 0 ] || rc=1
	done
	if [ -n "${SKNS_KEEP:-}" ]; then mkdir -p "$SKNS_KEEP"; cp -a "$scratch/." "$SKNS_KEEP/" 2>/dev/null || true; fi
	if [ $rc -ne 0 ] && [ -d "$scratch/log" ]; then
		for f in "$scratch"/log/*; do [ -s "$f" ] || continue; echo "--- tail of $f"; tail -n 30 "$f"; done >&2
	fi
	# A test may have mounted something under the scratch tree (a bind of a system directory
	# would let rm delete the machine's files through it): unmount everything below it first,
	# and never let rm cross into another filesystem.
	awk -v s="$scratch/" 'index($5, s) == 1 { print $5 }' /proc/self/mountinfo | sort -r |
		while read -r m; do umount -l "$m" 2>/dev/null || true; done
	rm -rf --one-file-system "$scratch"
	exit $rc
}
trap cleanup EXIT INT TERM

mkdir -p /run/pcscd && mount -t tmpfs -o mode=0755 tmpfs /run/pcscd
ip link set lo up
mkdir -p "$scratch"/{home,run,data,config,cache,log,tmp}
chmod 700 "$scratch/run"
export HOME=$scratch/home XDG_RUNTIME_DIR=$scratch/run XDG_DATA_HOME=$scratch/data \
	XDG_CONFIG_HOME=$scratch/config XDG_CACHE_HOME=$scratch/cache TMPDIR=$scratch/tmp
export GNUPGHOME=$HOME/.gnupg; mkdir -m 700 -p "$GNUPGHOME"
export SKNS_SCRATCH=$scratch SKNS_LOG=$scratch/log SK_BUILD=$build SK_SRC=$src
export PATH=$build/cli:$build/agent:$build/guard:$build/sim:$PATH
export SK_READER0="Virtual PCD 00 00" SK_READER1="Virtual PCD 00 01"
if [ -n "${SKNS_SIM_ENCODING:-}" ]; then export SKINKEY_SIM_ENCODING=$SKNS_SIM_ENCODING; fi

# A sanitizer build's skinkey-pkcs11.so can only be loaded by a process whose first library is
# the ASan runtime. Foreign programs that load the module get thin wrappers that preload it
# (their own leaks are not ours to report: detect_leaks=0 for them only). Firefox cannot run
# with the ASan runtime at all: tests marked plain-only are left out of the sanitizer suite.
# (no `ldd | grep -q` under pipefail: grep may exit first and ldd's SIGPIPE would read as "no")
case "$(ldd "$build/agent/skinkeyd" 2>/dev/null)" in *libasan*)
	asan_rt=$(gcc -print-file-name=libasan.so); ubsan_rt=$(gcc -print-file-name=libubsan.so)
	mkdir -p "$scratch/asanwrap"
	# pkcs11-tool, ssh, ssh-keygen and ssh-agent get it only when pointed at skinkey's module or
	# its security-key provider skinkey-sk.so (loaded by ssh-sk-helper, which inherits the
	# preload; with OpenSC's
	# module the ASan runtime would report OpenSC's own bugs, not ours); programs that load modules
	# from a registry (modutil, certutil, p11tool, p11-kit) always get it.
	for prog in pkcs11-tool ssh ssh-keygen ssh-agent modutil certutil p11tool p11-kit; do
		real=$(command -v "$prog" 2>/dev/null) || continue
		{
			echo '#!/bin/sh'
			case $prog in
			pkcs11-tool|ssh|ssh-keygen|ssh-agent)
				echo "case \"\$*\" in *skinkey-pkcs11*|*skinkey-sk*) ;; *) exec $real \"\$@\" ;; esac" ;;
			esac
			echo "LD_PRELOAD=\"$asan_rt:$ubsan_rt\${LD_PRELOAD:+:\$LD_PRELOAD}\" ASAN_OPTIONS=\"\${ASAN_OPTIONS:+\$ASAN_OPTIONS:}detect_leaks=0:verify_asan_link_order=0\" exec $real \"\$@\""
		} > "$scratch/asanwrap/$prog"
		chmod +x "$scratch/asanwrap/$prog"
	done
	export PATH=$scratch/asanwrap:$PATH SK_SANITIZED=1
	# every report goes to a file the cleanup checks (see there)
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$scratch/log/sanitizer.asan"
	export UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$scratch/log/sanitizer.ubsan"
	;;
esac
unset SSH_AUTH_SOCK GPG_AGENT_INFO DISPLAY || true

# pcscd's APDU log (-a) holds PIN bytes: only when asked for (SKNS_APDU_LOG=1). The simulator's
# own trace (skinkey-sim ctl trace on) redacts PINs, keys and secret answers.
pcscd -f ${SKNS_APDU_LOG:+-a} > "$scratch/log/pcscd.log" 2>&1 &
pcscd_pid=$!
for _ in $(seq 100); do [ -S /run/pcscd/pcscd.comm ] && break; sleep 0.05; done
[ -S /run/pcscd/pcscd.comm ] || { echo "skns: pcscd did not start" >&2; exit 1; }

wait_present() {  # card (the bound is a deadline for a failure, generous for a loaded machine)
	for _ in $(seq 1200); do
		if skinkey-sim ctl --card "$1" status 2>/dev/null | grep -q '^present=1'; then return 0; fi
		sleep 0.05
	done
	echo "skns: simulator ($1) did not come up" >&2; return 1
}
if [ "${SKNS_NOCARD:-}" != 1 ]; then
	skinkey-sim run --card flexsecure --state "$scratch/data/flexsecure.state" \
		> "$scratch/log/sim-flexsecure.log" 2>&1 &
	wait_present flexsecure
	if [ "${SKNS_DESFIRE:-}" = 1 ]; then
		skinkey-sim run --card desfire --state "$scratch/data/desfire.state" \
			> "$scratch/log/sim-desfire.log" 2>&1 &
		wait_present desfire
	fi
fi

cd "$scratch"
set +e
bash "$src/$script" "$@"
rc=$?
set -e
exit $rc
