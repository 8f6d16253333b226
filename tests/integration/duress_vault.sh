#!/usr/bin/env bash
# duress_vault.sh — the vault per duress context (doc/DURESS.md): with duress = on, the primary
# stores three credentials and the decoy one (a simulated DESFire vault chip beside the implant);
# with the decoy unlocked `skinkey vault list` shows only the decoy's, the primary's ids and
# names do not resolve, and no file (raw, sqlite dumps) holds a primary name or secret; vault.db
# has the same number of rows (96 cloaked) whether the contexts stored 0, 3 or 4 credentials;
# the primary, unlocked again, gets its own back; locked, the vault lists nothing without a PIN
# and, given the decoy PIN at its pinentry, unlocks the decoy (the vault is a door too).
source "$SK_SRC/tests/lib/common.sh"
source "$SK_SRC/tests/integration/agent_lib.inc"
source "$SK_SRC/tests/integration/duress_lib.inc"
need skinkey skinkeyd skinkey-sim sqlite3
S=$SKNS_SCRATCH
skv() { skinkey vault "$@"; }
dfsim() { skinkey-sim ctl --card desfire "$@"; }
rows() { sqlite3 "$XDG_DATA_HOME/skinkey/vault.db" "SELECT count(*) FROM credentials"; }

# with the audit chain on: audit.db and the outbox are in the scan (the contexts' rows sealed)
DURESS_AUDIT=required duress_prepare
if ! dfsim status 2>/dev/null | grep_all '^present=1'; then
	skinkey-sim run --card desfire --state "$S/desfire-duress.state" \
		>> "$SKNS_LOG/sim-desfire-duress.log" 2>&1 &
	wait_for 60 sh -c 'skinkey-sim ctl --card desfire status | grep -q "^present=1"' ||
		fail "DESFire simulator did not come up"
fi
echo "vault-originality = sim" >> "$DURESS_CONF"
skd_kill
skinkeyd --daemon --log-file "$SKNS_LOG/skinkeyd.log" || fail "skinkeyd did not start again"
wait_locked
out=$(skv init 2>&1) || fail "vault init: $out"

# locked implant, no PIN given (the pinentry cancels): the vault lists nothing
rm -f "$HOME/.test-pins"
out=$(skv list 2>&1) && fail "vault list while the implant is locked: $out"

[ "$(unlock 123456)" = "$PRIMARY_CHIP" ] || fail "primary unlock"
expect_eq "$(skv list | wc -l)" 0 "the primary's vault starts empty"
expect_eq "$(rows)" 96 "cloaked rows made at the first use"
for i in 1 2 3; do
	printf 'prim-s3cret-%d-Qx' "$i" | skv add "primary-bank$i.example" "alice-prim$i" > /dev/null ||
		fail "primary add $i"
done
expect_eq "$(skv list | wc -l)" 3 "the primary lists its three"
expect_eq "$(skv get primary-bank2.example alice-prim2)" "prim-s3cret-2-Qx" "primary get"
pid=$(skv list primary-bank1.example | cut -f1)
[ -n "$pid" ] || fail "no id for primary-bank1.example: $(skv list)"
expect_eq "$(rows)" 96 "rows after the primary's three"
lock; wait_locked

[ "$(unlock 222222)" = "$DECOY_CHIP" ] || fail "decoy unlock"
expect_eq "$(skv list | wc -l)" 0 "the decoy sees none of the primary's"
printf 'decoy-s3cret-Zw' | skv add decoy-mail.example bob-decoy > /dev/null || fail "decoy add"
out=$(skv list)
expect_eq "$(wc -l <<< "$out")" 1 "the decoy lists its one"
expect_match "$out" "decoy-mail.example" "the decoy's credential listed"
grep -q "primary" <<< "$out" && fail "a primary name listed with the decoy: $out"
out=$(skv get "$pid" 2>&1) && fail "the primary's id resolved with the decoy: $out"
out=$(skv get primary-bank1.example alice-prim1 2>&1) && fail "a primary name resolved: $out"
out=$(skinkey vault export 2>&1) || fail "export (decoy): $out"
grep -q "prim" <<< "$out" && fail "the decoy's export holds the primary's: $out"
expect_eq "$(rows)" 96 "rows after the decoy's one"
# every file skinkey has, and the sqlite dumps: no primary name or secret
out=$(/usr/bin/python3 "$SK_SRC/tests/integration/duress_disk.py" "$XDG_DATA_HOME/skinkey" \
	"$XDG_CONFIG_HOME/skinkey" "$XDG_CACHE_HOME" "$XDG_RUNTIME_DIR/skinkey" -- \
	primary-bank alice-prim prim-s3cret) || fail "the primary's vault is on disk: $out"
note "decoy unlocked: $out"
sqlite3 "$XDG_DATA_HOME/skinkey/vault.db" .dump | grep -qi "decoy" &&
	fail "the decoy's names are in vault.db in clear"
lock; wait_locked

# the vault is a door like the others: locked, `skinkey vault list` asks the one PIN (skinkeyd's
# pinentry) and the context the applet chooses is the vault's
printf 'user=222222\n' > "$HOME/.test-pins"; : > "$HOME/.test-pins.log"
out=$(skv list 2>&1) || fail "vault list through the vault door: $out"
expect_eq "$(grep -c user "$HOME/.test-pins.log")" 1 "PINs the vault door asked"
expect_eq "$(wc -l <<< "$out")" 1 "the decoy's one credential through the vault door"
expect_match "$out" "decoy-mail.example" "the vault door unlocked the decoy"
expect_match "$(skinkey chips)" "$DECOY_CHIP" "the decoy context after the vault's unlock"
rm -f "$HOME/.test-pins"
lock; wait_locked

[ "$(unlock 123456)" = "$PRIMARY_CHIP" ] || fail "primary unlock again"
out=$(skv list)
expect_eq "$(wc -l <<< "$out")" 3 "the primary lists its three again"
grep -q decoy <<< "$out" && fail "the decoy's credential listed with the primary: $out"
expect_eq "$(skv get "$pid")" "prim-s3cret-1-Qx" "primary get by id"
skv rm "$pid" || fail "primary rm"
expect_eq "$(skv list | wc -l)" 2 "the primary lists two after rm"
expect_eq "$(rows)" 96 "rows after an rm (the row is a filler again)"
lock; wait_locked
echo ok
