#!/usr/bin/env bash
# A new account: HOME holds nothing (no ~/.local, no ~/.config), the runtime directory is empty.
# `skinkey status` autostarts skinkeyd, which creates every directory it uses with its parents
# (0700) and every file 0600 (state.db and its -wal/-shm included); SIGTERM leaves no socket
# behind (S.skinkeyd, S.ssh). When the daemon cannot start (its data directory cannot be made),
# the client says why and where the daemon logs, exits neither 141 nor 0, and no socket is left.
source "$SK_SRC/tests/lib/common.sh"
source "$SK_SRC/tests/integration/agent_lib.inc"
need skinkey skinkeyd
S=$SKNS_SCRATCH

home=$S/newhome; run=$S/newrun
mkdir -m 0755 "$home"; mkdir -m 0700 "$run"
as_new() { env -u XDG_DATA_HOME -u XDG_CONFIG_HOME -u XDG_CACHE_HOME -u XDG_STATE_HOME \
	HOME="$home" XDG_RUNTIME_DIR="$run" "$@"; }
new_pids() {
	local p
	for p in $(pgrep -x skinkeyd); do
		tr '\0' '\n' < "/proc/$p/environ" 2>/dev/null | grep_all -x "XDG_RUNTIME_DIR=$run" && echo "$p"
	done
	return 0
}
trap 'rc=$?; for p in $(new_pids); do kill $p; done; skd_kill; exit $rc' EXIT

rc=0; out=$(as_new timeout 60 skinkey status 2>&1) || rc=$?
[ $rc -ne 141 ] || fail "skinkey status died of SIGPIPE on a new account"
[ $rc -eq 0 ] || fail "skinkey status on a new account: rc $rc: $out"
[ -n "$out" ] || fail "skinkey status printed nothing"
data=$home/.local/share/skinkey
for d in "$home/.local" "$home/.local/share" "$data" "$run/skinkey"; do
	[ -d "$d" ] || fail "$d was not created"
	expect_eq "$(stat -c %a "$d")" 700 "mode of $d"
done
# state.db is written in WAL mode: make sure -wal/-shm exist while the daemon has it open
[ -f "$data/state.db" ] || fail "no state.db"
wait_for 10 test -S "$run/skinkey/S.ssh" || fail "no ssh-agent socket"
found=$(find "$home/.local" "$run/skinkey" -mindepth 1 \( -type f -o -type s \) -printf '%m %p\n')
note "files on the new account: $(printf '%s' "$found" | tr '\n' ';')"
expect_match "$found" "state\.db$" "state.db listed"
bad=$(find "$home/.local" "$run/skinkey" -mindepth 1 -perm /077 -printf '%m %p\n')
[ -z "$bad" ] || fail "files or directories open to group/others: $bad"
for f in "$data"/state.db-wal "$data"/state.db-shm; do
	[ ! -e "$f" ] || expect_eq "$(stat -c %a "$f")" 600 "mode of $f"
done

# SIGTERM: no socket left behind
p=$(new_pids); [ -n "$p" ] || fail "no skinkeyd for the new account"
kill $p
wait_for 10 sh -c "! kill -0 $p 2>/dev/null" || fail "skinkeyd did not stop on SIGTERM"
[ ! -e "$run/skinkey/S.skinkeyd" ] || fail "S.skinkeyd left behind after SIGTERM"
[ ! -e "$run/skinkey/S.ssh" ] || fail "S.ssh left behind after SIGTERM"

# an account where the data directory cannot be made (~/.local is a file): the client says why
rm -rf "$home/.local"; echo "not a directory" > "$home/.local"
for attempt in 1 2; do
	rc=0; out=$(as_new timeout 60 skinkey status 2>&1) || rc=$?
	[ $rc -ne 141 ] || fail "attempt $attempt: skinkey status died of SIGPIPE"
	[ $rc -ne 124 ] || fail "attempt $attempt: skinkey status hung"
	[ $rc -ne 0 ] || fail "attempt $attempt: skinkey status succeeded without a daemon: $out"
	expect_match "$out" "skinkeyd could not start: .*$home/\.local" "attempt $attempt: the client says why"
	expect_match "$out" "journalctl -t skinkeyd" "attempt $attempt: the client says where the log is"
	[ ! -e "$run/skinkey/S.skinkeyd" ] || fail "attempt $attempt: a stale S.skinkeyd was left"
	[ ! -e "$run/skinkey/S.ssh" ] || fail "attempt $attempt: a stale S.ssh was left"
	[ -z "$(new_pids)" ] || fail "attempt $attempt: a skinkeyd is running"
done
note "a daemon that cannot start: $out"
echo "agent_newhome: ok"
