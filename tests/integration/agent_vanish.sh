#!/usr/bin/env bash
# skinkeyd killed while clients wait on it: nobody dies of SIGPIPE (exit 141). `skinkey vault
# get` waiting for a tap says "skinkeyd stopped"; pkcs11-tool signing through skinkey-pkcs11.so
# gets CKR_DEVICE_ERROR and the module logs a line; both exit on their own, and the next use
# autostarts a fresh daemon that serves again.
source "$SK_SRC/tests/lib/common.sh"
source "$SK_SRC/tests/integration/agent_lib.inc"   # skd_pids, the kill-on-exit trap
source "$SK_SRC/pkcs11/itest_lib.sh"               # p11, p11_tokens, skd (python), skd_wait_present
need skinkey skinkeyd

dfsim() { skinkey-sim ctl --card desfire "$@"; }
mkdir -p "$XDG_CONFIG_HOME/skinkey"
# long enough that the kill lands while the client still waits for the tap
printf 'tap-timeout = 60s\nvault-originality = sim\n' > "$XDG_CONFIG_HOME/skinkey/skinkey.conf"
if ! dfsim status 2>/dev/null | grep_all '^present=1'; then
	skinkey-sim run --card desfire --state "$XDG_DATA_HOME/desfire-vanish.state" \
		>> "$SKNS_LOG/sim-desfire-vanish.log" 2>&1 &
	wait_for 10 sh -c 'skinkey-sim ctl --card desfire status | grep -q "^present=1"' ||
		fail "DESFire simulator did not come up"
fi
work=$SKNS_SCRATCH/vanish; mkdir -p "$work"; cd "$work"

conns() { skd 'GETINFO connections' | sed -n 's/^D //p'; }
# kill_when_waiting: once a client besides our probe is connected, kill -9 the daemon
kill_when_waiting() {
	wait_for 20 sh -c "true; $(declare -f skd conns); [ \"\$(conns)\" -ge 2 ]" ||
		fail "the client never connected (connections: $(conns))"
	local p; p=$(skd_pids)
	[ -n "$p" ] || fail "no skinkeyd to kill"
	kill -9 $p
	wait_for 10 sh -c "! kill -0 $p 2>/dev/null" || fail "skinkeyd $p did not die"
}

p11_tokens
out=$(p11 --token-label "$PGP" --login --login-type so --so-pin 12345678 --keypairgen \
	--key-type EC:prime256v1 --id 03 2>&1) || fail "keygen: $out"
head -c 32 /dev/urandom > h
sign() { timeout 90 pkcs11-tool --module "$SO" --token-label "$PGP" --login --pin 123456 \
	--sign -m ECDSA --id 03 -i h -o sig; }
sign > sign0.out 2>&1 || fail "sign with the chip present: $(cat sign0.out)"
out=$(skinkey vault init 2>&1) || fail "vault init: $out"
printf 'pw-vanish' | skinkey vault add site.example alice > add.out 2>&1 || fail "vault add: $(cat add.out)"
id=$(skinkey vault list | awk '$0 ~ /site.example/ {print $1; exit}')
[ -n "$id" ] || fail "no credential id: $(skinkey vault list 2>&1)"

# 1. the CLI waits for the vault chip's tap; skinkeyd dies
dfsim remove >/dev/null
wait_for 10 sh -c "true; $(declare -f skd); skd CHIPS | grep -q '^S CHIP df-[0-9a-f]* 0 '" ||
	fail "skinkeyd did not see the vault chip leave: $(skd CHIPS)"
{ r=0; timeout 90 skinkey vault get "$id" > get.out 2> get.err || r=$?; echo $r > get.rc; } &
kill_when_waiting
wait_for 30 test -s get.rc || fail "skinkey vault get did not end after skinkeyd died"
rc=$(cat get.rc)
[ "$rc" != 141 ] || fail "skinkey vault get died of SIGPIPE"
[ "$rc" != 124 ] || fail "skinkey vault get hung"
[ "$rc" != 0 ] || fail "skinkey vault get succeeded without a daemon: $(cat get.out)"
expect_match "$(cat get.err)" "skinkeyd stopped" "the CLI says the daemon stopped"
[ ! -s get.out ] || fail "vault get printed something: $(cat get.out)"
dfsim tap >/dev/null

# 2. pkcs11-tool signing waits for the flexSecure's tap; skinkeyd dies
out=$(skinkey chips 2>&1) || fail "skinkey chips did not start a fresh daemon: $out"
sim remove >/dev/null
skd_wait_present 0
{ r=0; sign > sign1.out 2>&1 || r=$?; echo $r > sign1.rc; } &
kill_when_waiting
wait_for 30 test -s sign1.rc || fail "pkcs11-tool did not end after skinkeyd died"
rc=$(cat sign1.rc)
[ "$rc" != 141 ] || fail "pkcs11-tool died of SIGPIPE: $(cat sign1.out)"
[ "$rc" != 124 ] || fail "pkcs11-tool hung"
[ "$rc" != 0 ] || fail "pkcs11-tool signed without a daemon"
expect_match "$(cat sign1.out)" "CKR_DEVICE_ERROR" "a vanished daemon is CKR_DEVICE_ERROR"
expect_match "$(cat sign1.out)" "^skinkey-pkcs11: .*connection to skinkeyd failed" "the module logs why"

# 3. the next use starts a fresh daemon that serves
sim tap >/dev/null
sign > sign2.out 2>&1 || fail "sign after the daemon came back: $(cat sign2.out)"
out=$(skinkey vault get "$id" 2>&1) || fail "vault get after the daemon came back: $out"
expect_eq "$out" "pw-vanish" "the secret after a restart"

# 4. the daemon dies while the client is connected but idle, and the client writes next: the
#    write meets a closed socket (EPIPE; SIGPIPE would kill the client with 141). Both clients
#    read stdin after connecting: wait until they block in read(0, ...), kill, then feed them.
case $(uname -m) in x86_64) read_nr=0 ;; aarch64) read_nr=63 ;; *) fail "read(2)'s number on $(uname -m)?" ;; esac
# reading_stdin NAME: a process NAME is blocked in read(0, ...)
reading_stdin() {
	local p
	for p in $(pgrep -x "$1"); do
		case $(cat "/proc/$p/syscall" 2>/dev/null) in "$read_nr 0x0 "*) return 0 ;; esac
	done
	return 1
}
# write_after_death NAME TAG CMD...: run CMD with stdin from a fifo, kill -9 skinkeyd once NAME
# waits on stdin, then give it the line; TAG.rc, TAG.out receive the outcome
write_after_death() {
	local name=$1 tag=$2 p; shift 2
	rm -f "$tag.fifo"; mkfifo "$tag.fifo"
	{ r=0; timeout 60 "$@" < "$tag.fifo" > "$tag.out" 2>&1 || r=$?; echo $r > "$tag.rc"; } &
	exec 7> "$tag.fifo"
	wait_for 20 sh -c "true; read_nr=$read_nr; $(declare -f reading_stdin); reading_stdin $name" ||
		fail "$name never waited on stdin: $(cat "$tag.out")"
	[ "$(conns)" -ge 2 ] || fail "$name is not connected to skinkeyd"
	p=$(skd_pids); [ -n "$p" ] || fail "no skinkeyd to kill"
	kill -9 $p
	wait_for 10 sh -c "! kill -0 $p 2>/dev/null" || fail "skinkeyd $p did not die"
	printf '%s\n' "$IN" >&7
	exec 7>&-
	wait_for 30 test -s "$tag.rc" || fail "$name did not end after skinkeyd died"
	rc=$(cat "$tag.rc")
	[ "$rc" != 141 ] || fail "$name died of SIGPIPE: $(cat "$tag.out")"
	[ "$rc" != 124 ] || fail "$name hung"
	[ "$rc" != 0 ] || fail "$name succeeded without a daemon: $(cat "$tag.out")"
}
IN=pw-lost write_after_death skinkey add3 skinkey vault add site3.example carol
expect_match "$(cat add3.out)" "^skinkey vault: VAULT_ADD: skinkeyd stopped" "vault add says the daemon stopped"
list=$(skinkey vault list 2>&1) || fail "vault list after the restart: $list"
case $list in *site3.example*) fail "a credential was stored by a dead daemon: $list" ;; esac
out=$(skinkey vault get "$id" 2>&1) || fail "vault get after the lost add: $out; $(dfsim status | tr "\n" " "); $(skd READERS CHIPS)"
expect_eq "$out" "pw-vanish" "the first secret after the lost add"

# pkcs11-tool asks for the PIN only on a terminal: script(1) gives it one (-e: its exit status)
IN=123456 write_after_death pkcs11-tool login script -qefc "$(printf '%q ' pkcs11-tool --module \
	"$SO" --token-label "$PGP" --login --sign -m ECDSA --id 03 -i h -o sig)" /dev/null
expect_match "$(cat login.out)" "CKR_DEVICE_ERROR" "a write to a vanished daemon is CKR_DEVICE_ERROR"
expect_match "$(cat login.out)" "^skinkey-pkcs11: .*connection to skinkeyd failed" "the module logs why"
sign > sign3.out 2>&1 || fail "sign after the second restart: $(cat sign3.out)"
echo "agent_vanish: ok"
