#!/usr/bin/env bash
# Secrets stay where they belong (issue 8, "held"): with debug logging, a vault secret added and
# fetched and a PIN given to the PKCS#11 module appear in no log and no database file (state.db,
# vault.db, audit.db and their -wal/-shm); skinkeyd runs with core dumps off and not dumpable
# (as an ordinary uid its /proc files then belong to root, so nobody of its uid can ptrace it or
# read its memory).
source "$SK_SRC/tests/lib/common.sh"
source "$SK_SRC/tests/integration/agent_lib.inc"
source "$SK_SRC/pkcs11/itest_lib.sh"
need skinkey skinkeyd setpriv pkcs11-tool
S=$SKNS_SCRATCH
data=$XDG_DATA_HOME/skinkey
dfsim() { skinkey-sim ctl --card desfire "$@"; }
marker=zq-S3cret-7f3a91c0
pin=123456

mkdir -p "$XDG_CONFIG_HOME/skinkey"
printf 'vault-originality = sim\n' > "$XDG_CONFIG_HOME/skinkey/skinkey.conf"
if ! dfsim status 2>/dev/null | grep_all '^present=1'; then
	skinkey-sim run --card desfire --state "$XDG_DATA_HOME/desfire-hyg.state" \
		>> "$SKNS_LOG/sim-desfire-hyg.log" 2>&1 &
	wait_for 10 sh -c 'skinkey-sim ctl --card desfire status | grep -q "^present=1"' ||
		fail "DESFire simulator did not come up"
fi
skinkeyd --daemon -v --log-file "$SKNS_LOG/skd-debug.log" || fail "skinkeyd did not start"
pid=$(skd_pids); [ -n "$pid" ] || fail "no skinkeyd"
expect_match "$(grep '^Max core file size' "/proc/$pid/limits")" ' 0 +0 ' "core dumps off"

out=$(skinkey vault init 2>&1) || fail "vault init: $out"
printf '%s' "$marker" | skinkey vault add hyg.example alice > /dev/null 2>&1 || fail "vault add"
id=$(skinkey vault list | awk '/hyg.example/ {print $1; exit}')
expect_eq "$(skinkey vault get "$id")" "$marker" "the secret comes back"
p11_tokens
out=$(p11 --token-label "$PGP" --login --pin "$pin" --list-objects 2>&1) || fail "login: $out"
grep_all 'debug\|P11\|VAULT' "$SKNS_LOG/skd-debug.log" || fail "the debug log is empty: nothing was tested"

files=$(find "$SKNS_LOG" "$data" -type f)
hits=$(grep -alF "$marker" $files || true)
[ -z "$hits" ] || fail "the vault secret is in: $hits"
# a PIN is six digits: look for it where text is written (logs), not in binary databases
hits=$(grep -lE "(^|[^0-9])$pin([^0-9]|\$)" "$SKNS_LOG"/skd-*.log || true)
[ -z "$hits" ] || fail "the PIN is in: $hits ($(grep -hE "(^|[^0-9])$pin([^0-9]|\$)" $hits | head -3))"
note "searched $(wc -w <<< "$files") files for the secret"
skd_kill

# not dumpable: run as an ordinary uid, its /proc entries then belong to root
uid=4246
home=$S/home-$uid
mkdir -p "$home/run" "$home/data" "$home/config/skinkey"; chmod 700 "$home/run"
echo "audit = off" > "$home/config/skinkey/skinkey.conf"   # no guard to clean up after
chown -R $uid:$uid "$home"
chmod 0755 "$S"
setpriv --reuid=$uid --regid=$uid --clear-groups env HOME="$home" XDG_RUNTIME_DIR="$home/run" \
	XDG_DATA_HOME="$home/data" XDG_CONFIG_HOME="$home/config" \
	skinkeyd --foreground --log-file "$home/skd.log" &
upid=$!
# everything of that uid (in this PID namespace) ends with the test
uid_gone() { [ -z "$(pgrep -u $uid)" ]; }
trap 'rc=$?; for p in $(pgrep -u $uid); do kill $p; done; wait_for 10 uid_gone; skd_kill; exit $rc' EXIT
wait_for 20 test -S "$home/run/skinkey/S.skinkeyd" || fail "skinkeyd as uid $uid did not start: $(cat "$home/skd.log")"
expect_eq "$(awk '/^Uid:/ {print $2}' "/proc/$upid/status")" $uid "skinkeyd's uid"
expect_eq "$(stat -c %u "/proc/$upid/mem")" 0 "owner of /proc/PID/mem of a non-dumpable skinkeyd"
expect_match "$(grep '^Max core file size' "/proc/$upid/limits")" ' 0 +0 ' "core dumps off (uid $uid)"
kill $upid; wait $upid 2>/dev/null || true
wait_for 10 uid_gone || fail "processes of uid $uid left: $(pgrep -u $uid -a)"
echo "agent_hygiene: ok"
