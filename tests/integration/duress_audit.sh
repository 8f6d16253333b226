#!/usr/bin/env bash
# duress_audit.sh — the audit chain per duress context (issue 13, doc/DURESS.md "The audit chain
# and contexts"), with audit = required: the primary signs twice, the decoy once (PKCS#11); with
# the decoy unlocked `skinkey audit tail|export|show` show the decoy's rows only (opened with the
# key skinkeyd's AUDITVIEW gives), `skinkey audit verify` passes without any key, and no file of
# skinkey's (audit.db and state.db's outbox included, raw and as sqlite dumps) holds the
# primary's serial, AID or public key; locked, no context's row is shown; the primary unlocked
# again sees its own two signatures and not the decoy's.
source "$SK_SRC/tests/lib/common.sh"
source "$SK_SRC/tests/integration/agent_lib.inc"
source "$SK_SRC/tests/integration/duress_lib.inc"
need pkcs11-tool ssh-keygen skinkey skinkeyd skinkey-guard skinkey-sim sha256sum od /usr/bin/python3
S=$SKNS_SCRATCH
SO=$SK_BUILD/pkcs11/skinkey-pkcs11.so
[ -f "$SO" ] || fail "module not built: $SO"
p11() { pkcs11-tool --module "$SO" "$@"; }
AUDIT_DB=$XDG_DATA_HOME/skinkey/audit.db
STATE_DB=$XDG_DATA_HOME/skinkey/state.db
sql() { /usr/bin/python3 -c 'import sqlite3,sys; c=sqlite3.connect("file:"+sys.argv[1]+"?mode=ro", uri=True); [print("|".join(map(str,r))) for r in c.execute(sys.argv[2])]' "$@"; }
DURESS_AUDIT=required duress_prepare
wait_for 60 pgrep -x skinkey-guard > /dev/null || fail "skinkeyd did not start skinkey-guard"
wait_for 60 test -f "$AUDIT_DB" || fail "no audit.db"

# every event reached the chain: the outbox is empty
wait_recorded() {
	wait_for 60 bash -c "[ \"\$($(declare -f sql); sql '$STATE_DB' 'select count(*) from outbox')\" = 0 ]" ||
		fail "the guard did not record every event: $(sql "$STATE_DB" 'select kind from outbox')"
}
head -c 64 /dev/urandom > "$S/msg"
sign() {  # CHIP PIN
	p11 --token-label "$1 OpenPGP" --login --pin "$2" --sign --mechanism ECDSA --id 01 \
		--input-file "$S/msg" --output-file "$S/sig" > "$S/sign.out" 2>&1 ||
		fail "sign on $1: $(cat "$S/sign.out")"
}
# context PIN NSIG: unlock, a P-256 key on its instance, NSIG signatures; writes $S/PIN.pub
context() {
	local chip
	chip=$(unlock "$1")
	[ -n "$chip" ] || fail "skinkey duress unlock $1 printed no chip"
	out=$(p11 --token-label "$chip OpenPGP" --login --login-type so --so-pin 12345678 \
		--keypairgen --key-type EC:prime256v1 --id 01 2>&1) || fail "keygen on $chip: $out"
	for _ in $(seq "$2"); do sign "$chip" "$1"; done
	ssh-keygen -D "$SO" > "$S/$1.pub" 2>&1 || fail "ssh-keygen -D: $(cat "$S/$1.pub")"
	expect_eq "$(wc -l < "$S/$1.pub")" 1 "one key in context $1"
	echo "$chip"
}
chip=$(context 123456 2)
expect_eq "$chip" "$PRIMARY_CHIP" "the primary PIN's context"
lock; wait_locked
chip=$(context 222222 1)
expect_eq "$chip" "$DECOY_CHIP" "the decoy PIN's context"
wait_recorded

# the chain holds the contexts' rows sealed: action "context", nothing else in clear
rows=$(sql "$AUDIT_DB" "select count(*) from audit where action='context'")
[ "$rows" -ge 3 ] || fail "the contexts' events are not sealed rows: $(sql "$AUDIT_DB" 'select action, details from audit')"
expect_eq "$(sql "$AUDIT_DB" "select count(*) from audit where action like 'key-op%'")" 0 \
	"no signature row in clear"
expect_eq "$(sql "$AUDIT_DB" "select count(distinct length(details) - length(ltrim(details, 'ms=0123456789'))) from audit where action='context'")" 1 \
	"every sealed row has the same size (the time aside)"

# the decoy's view
tail_out=$(skinkey audit tail -n 1000 2>&1) || fail "skinkey audit tail: $tail_out"
note "tail with the decoy unlocked: $(wc -l <<< "$tail_out") rows of $(sql "$AUDIT_DB" 'select count(*) from audit')"
duress_shows_only "$DECOY_CHIP" "skinkey audit tail (decoy)" "$tail_out"
expect_eq "$(grep -c "key-op:sign" <<< "$tail_out")" 1 "the decoy's one signature, and no other: $tail_out"
grep -q ' context ' <<< "$tail_out" && fail "tail shows a sealed row as it is: $tail_out"
out=$(skinkey audit export --json 2>&1) || fail "skinkey audit export: $out"
duress_shows_only "$DECOY_CHIP" "skinkey audit export --json (decoy)" "$out"
expect_eq "$(grep -o 'key-op:sign' <<< "$out" | wc -l)" 1 "export: the decoy's one signature"
# show: a decoy row opens, a primary row is not there
dseq=$(awk '/key-op:sign/ {print $1}' <<< "$tail_out")
out=$(skinkey audit show "$dseq" 2>&1) || fail "skinkey audit show $dseq: $out"
expect_match "$out" "${DECOY_CHIP}" "show names the decoy's chip"
pseq=$(sql "$AUDIT_DB" "select min(seq) from audit where action='context'")
out=$(skinkey audit show "$pseq" 2>&1) && fail "a primary row is shown to the decoy: $out"
# verification needs no key; the decoy's signature counter is its last sealed row's
out=$(skinkey audit verify 2>&1) || fail "skinkey audit verify: $out"
out=$(skinkey audit verify --chip 2>&1) || fail "skinkey audit verify --chip (decoy): $out"
expect_match "$out" "chip $DECOY_CHIP: signature counter 1 = the last recorded" "decoy's counter"
# and no file of skinkey's, audit.db and state.db included, holds the primary
out=$(/usr/bin/python3 "$SK_SRC/tests/integration/duress_disk.py" "$XDG_DATA_HOME/skinkey" \
	"$XDG_CONFIG_HOME/skinkey" "$XDG_CACHE_HOME" "$XDG_RUNTIME_DIR/skinkey" -- \
	"${PRIMARY_CHIP#fs-}" "$PRIMARY_AID" "$(cut -d' ' -f2 "$S/123456.pub")") ||
	fail "disk with the decoy unlocked: $out"

# locked: no context's row is shown
lock; wait_locked; wait_recorded
out=$(skinkey audit tail -n 1000 2>&1) || fail "skinkey audit tail (locked): $out"
duress_shows_only none "skinkey audit tail (locked)" "$out"
grep -q 'key-op' <<< "$out" && fail "a context's signature shown while locked: $out"

# the primary again: its own two signatures, not the decoy's
chip=$(unlock 123456)
expect_eq "$chip" "$PRIMARY_CHIP" "the primary again"
out=$(skinkey audit tail -n 1000 2>&1) || fail "skinkey audit tail (primary): $out"
duress_shows_only "$PRIMARY_CHIP" "skinkey audit tail (primary)" "$out"
expect_eq "$(grep -c 'key-op:sign' <<< "$out")" 2 "the primary's two signatures"
# and every seal, with the recovery code (the seals cover the rows as stored)
skinkey audit init > "$S/init.txt" || fail "skinkey audit init"
grep -Eo '([0-9a-f]{4}-){15}[0-9a-f]{4}' "$S/init.txt" > "$S/code" || fail "no recovery code"
out=$(skinkey audit verify --key-file "$S/code" 2>&1) || fail "verify with the code: $out"
expect_match "$out" 'hash chain intact, every seal verified' "verify with the code"
out=$(skinkey audit verify --chip 2>&1) || fail "skinkey audit verify --chip (primary): $out"
expect_match "$out" "chip $PRIMARY_CHIP: signature counter 2 = the last recorded" "primary's counter"
# the key requests leave no line in skinkeyd's log, and the log names no context's chip
grep -n 'AUDITVIEW' "$SKNS_LOG/skinkeyd.log" >&2 && fail "AUDITVIEW is logged"
for c in "$PRIMARY_CHIP" "$DECOY_CHIP"; do
	grep -n "${c#fs-}" "$SKNS_LOG/skinkeyd.log" >&2 && fail "skinkeyd's log names $c"
done
echo ok
