#!/usr/bin/env bash
# guard_stop.sh — fail-closed with nothing waiting (issue 10): the guard is frozen (SIGSTOP) while
# the outbox is empty, so the gate before an operation passes; the operation's own event must
# still be acknowledged before its answer is released. At every door (gpg via skinkey-scd,
# ssh-agent, PKCS#11, FIDO through skinkey-sk.so, the CLI's HMAC and OATH, the DESFire vault)
# the first operation after the freeze is refused with "operation not recorded"; after SIGCONT
# every door works again,
# and each refused operation is in the chain exactly once (the chip did it: a row with its
# result) with one more row saying its answer was withheld; no event twice; the chain verifies.
. "$SK_SRC/tests/lib/common.sh"
. "$SK_SRC/tests/integration/agent_lib.inc"
. "$SK_SRC/tests/lib/gpgcard.sh"
need gpg gpgconf ssh-keygen ssh-add pkcs11-tool /usr/bin/python3
S=$SKNS_SCRATCH/stop; mkdir -p "$S"
SO=$SK_BUILD/pkcs11/skinkey-pkcs11.so
SKP=$SK_BUILD/fido/client/skinkey-sk.so
STATE_DB=$XDG_DATA_HOME/skinkey/state.db

mkdir -p "$XDG_CONFIG_HOME/skinkey"
printf 'pinentry-program = %s\naudit-deadline = 1s\ntap-timeout = 20s\nvault-originality = sim\n' \
	"$SK_SRC/tests/lib/pinentry-test" > "$XDG_CONFIG_HOME/skinkey/skinkey.conf"
GPGCARD_SCD=gnupg gpgcard_setup_agent
gpgcard_generate_ed25519 "Stop User" stop@example.org
gpgconf --kill scdaemon; gpgconf --kill gpg-agent
GPGCARD_SCD=skinkey gpgcard_setup_agent

# the guard skinkeyd starts logs to a file of the test (its default is syslog)
printf '#!/bin/sh\nexec %s "$@" --log-file %s -v\n' "$SK_BUILD/guard/skinkey-guard" "$SKNS_LOG/guard.log" > "$S/guard"
chmod +x "$S/guard"; export SKINKEY_GUARD_PROGRAM=$S/guard
skinkeyd --daemon --log-file "$SKNS_LOG/skinkeyd.log" || fail "skinkeyd did not start"
wait_for 60 pgrep -x skinkey-guard || fail "skinkeyd did not start skinkey-guard"
skinkey audit init > "$S/init.txt" || fail "skinkey audit init"
grep -Eo '([0-9a-f]{4}-){15}[0-9a-f]{4}' "$S/init.txt" > "$S/code" || fail "no recovery code"
export SSH_AUTH_SOCK=$XDG_RUNTIME_DIR/skinkey/S.ssh
wait_for 60 test -S "$SSH_AUTH_SOCK" || fail "no ssh-agent socket"
ssh-add -L | grep ssh-ed25519 | head -1 > "$S/aut.pub" || fail "ssh-add -L"
PGP=$(pkcs11-tool --module "$SO" -L 2>/dev/null | sed -n 's/^ *token label *: *\(fs-[0-9a-f]* OpenPGP\).*/\1/p' | head -1)
[ -n "$PGP" ] || fail "no OpenPGP token"
skinkey hmac program --generate 2 > /dev/null || fail "hmac program"
printf 'JBSWY3DPEHPK3PXP\n' | skinkey oath add stop-test > /dev/null || fail "oath add"
ssh-keygen -q -t ecdsa-sk -w "$SKP" -N '' -f "$S/id_sk" < /dev/null 2> "$S/sk.err" ||
	fail "ecdsa-sk key: $(cat "$S/sk.err")"
echo "a message" > "$S/msg"
# the vault door: a simulated DESFire chip beside the flexSecure
skinkey-sim run --card desfire --state "$XDG_DATA_HOME/desfire.state" >> "$SKNS_LOG/sim-desfire.log" 2>&1 &
wait_for 60 sh -c 'skinkey-sim ctl --card desfire status | grep -q "^present=1"' || fail "no DESFire simulator"
skinkey vault init > /dev/null || fail "vault init"
printf 's3cret' | skinkey vault add example.org me > /dev/null || fail "vault add"

op() {  # op DOOR: one key operation; 0 when the client saw success
	case $1 in
	gpg) gpg --batch --yes -u stop@example.org --detach-sign -o "$S/msg.sig" "$S/msg" ;;
	ssh) ssh-keygen -Y sign -q -f "$S/aut.pub" -n guard-stop "$S/msg" < /dev/null ;;
	p11) pkcs11-tool --module "$SO" --token-label "$PGP" --login --pin 123456 --sign -m EDDSA \
		--id 01 -i "$S/msg" -o "$S/msg.p11sig" ;;
	fido) ssh-keygen -Y sign -q -w "$SKP" -f "$S/id_sk" -n guard-stop "$S/msg" < /dev/null ;;
	hmac) skinkey hmac calculate 2 00112233 ;;
	oath) skinkey oath code stop-test ;;
	vault) skinkey vault get example.org me ;;
	esac > "$S/$1.out" 2>&1
}
outbox() { /usr/bin/python3 -c 'import sqlite3,sys;print(sqlite3.connect(sys.argv[1]).execute("select count(*) from outbox").fetchone()[0])' "$STATE_DB"; }
outbox_empty() { [ "$(outbox)" = 0 ]; }
frozen() { [ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" = T ]; }

doors="gpg ssh p11 fido hmac oath vault"
for door in $doors; do op "$door" || fail "$door before the freeze: $(cat "$S/$door.out")"; done
g=$(pgrep -x skinkey-guard | head -1)
for door in $doors; do
	# nothing waits for the guard: the gate before the operation passes
	wait_for 60 outbox_empty || fail "the outbox did not empty"
	kill -STOP "$g"; wait_for 60 frozen "$g" || fail "the guard did not stop"
	if op "$door"; then fail "$door: an answer released while the guard did not acknowledge its event"; fi
	[ "$(outbox)" -ge 1 ] || fail "$door: its event is not waiting in the outbox"
	kill -CONT "$g"
done
kill -0 "$g" || fail "the guard died"
expect_match "$(cat "$S/gpg.out")" 'Not operational|operation not recorded' "gpg says why"
expect_match "$(cat "$S/p11.out")" 'skinkey-pkcs11: .*operation not recorded' "the module says why"
expect_match "$(cat "$S/p11.out")" 'CKR_FUNCTION_REJECTED|\(0x200\)' "pkcs11-tool: CKR_FUNCTION_REJECTED"
expect_match "$(cat "$S/ssh.out")" 'agent refused operation|Couldn.t sign' "ssh-keygen is refused"
expect_match "$(cat "$S/fido.out")" '.' "the FIDO signature fails"
expect_match "$(cat "$S/hmac.out")" 'skinkey-guard is not running: operation not recorded' "skinkey hmac says why"
expect_match "$(cat "$S/oath.out")" 'skinkey-guard is not running: operation not recorded' "skinkey oath says why"
expect_match "$(cat "$S/vault.out")" 'operation not recorded' "skinkey vault says why"
expect_eq "$(skinkey vault get example.org me)" "s3cret" "the vault answers after SIGCONT"
n=$(grep -c 'does not acknowledge events within 1000 ms: .* answer withheld' "$SKNS_LOG/skinkeyd.log" || true)
[ "$n" -ge 7 ] || fail "skinkeyd logged $n withheld answers, expected one per door"

# SIGCONT: every door works again, and the chain holds each refused operation once
for door in $doors; do op "$door" || fail "$door after SIGCONT: $(cat "$S/$door.out")"; done
wait_for 60 outbox_empty || fail "the outbox did not empty"
skinkey --json audit export > "$S/export.json" || fail "export"
/usr/bin/python3 - "$S/export.json" <<'PY' || fail "the chain does not hold the refused operations exactly once"
import collections, json, sys
rows = json.load(open(sys.argv[1]))
withheld = [r for r in rows if "answer withheld" in r["details"].get("detail", "")]
ev = collections.Counter((r["action"], json.dumps(r["details"], sort_keys=True)) for r in rows)
twice = [k for k, n in ev.items() if n > 1]
assert not twice, f"events recorded twice: {twice[:2]}"
ops = collections.Counter(r["action"] for r in withheld)
want = {"key-op:sign": 2, "key-op:auth": 1, "key-op:fido-assert": 1, "key-op:hmac": 1, "key-op:oath-code": 1, "vault:read": 1}
assert ops == want, f"withheld rows {dict(ops)}, expected {want}"
# each withheld row follows the operation's own row (the chip did it, result ok)
for w in withheld:
    before = [r for r in rows if r["seq"] < w["seq"] and r["action"] == w["action"]]
    assert before and before[-1]["details"].get("result") == "ok", f"no ok row before {w['seq']}"
print(f"rows {len(rows)}, withheld {len(withheld)}")
PY
out=$(skinkey audit verify --key-file "$S/code") || fail "the chain does not verify: $out"
expect_match "$out" 'hash chain intact, every seal verified' "verified with the recovery code"
echo "guard_stop: ok"
