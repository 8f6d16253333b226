#!/usr/bin/env bash
# vault_basic.sh — the DESFire vault end to end through skinkeyd and `skinkey vault`:
# provision a simulated DESFire EV3, add 1,000 credentials, fetch every one back through the CLI
# (export, and `get` for every 7th),
# check one fetch costs exactly the 4 APDUs of the every-use path, list/search/rm, then recovery
# path B: split, lose the chip, rebuild from 3 printed shares onto a factory-fresh chip; the
# split, the recoveries and the provisioning steps are in the audit chain.
. "$SK_SRC/tests/lib/common.sh"
need skinkey-sim skinkeyd skinkey sqlite3 pkcs11-tool

skv() { skinkey vault "$@"; }
dfsim() { skinkey-sim ctl --card desfire "$@"; }
start_desfire() {  # STATE_FILE
	skinkey-sim run --card desfire --state "$1" >> "$SKNS_LOG/sim-desfire-vault.log" 2>&1 &
	wait_for 60 sh -c 'skinkey-sim ctl --card desfire status | grep -q "^present=1"' ||
		fail "DESFire simulator did not come up"
}
if ! dfsim status 2>/dev/null | grep_all '^present=1'; then
	start_desfire "$XDG_DATA_HOME/desfire-a.state"
fi

# a chip whose originality signature does not verify against NXP's key (the simulator's is its
# own test key) is refused by default: no key is written to it
out=$(skv init 2>&1) && fail "init of a chip with an unverified originality signature: $out"
expect_eq "$(skv chips | wc -l)" 0 "chips after a refused init"
# allowing the simulator's test key (skinkey.conf), then a restarted skinkeyd provisions it
mkdir -p "$XDG_CONFIG_HOME/skinkey"
echo "vault-originality = sim" >> "$XDG_CONFIG_HOME/skinkey/skinkey.conf"
pkill -x skinkeyd || true
wait_for 60 sh -c '! pgrep -x skinkeyd' || fail "skinkeyd did not stop"

out=$(skv init) || fail "vault init failed"
expect_match "$out" '^CHIP df-[0-9a-f]{14} primary$' "init reports the primary chip"
chip=$(printf '%s' "$out" | awk '{print $2}')
[ -f "$XDG_DATA_HOME/skinkey/vault.db" ] || fail "vault.db not created"
expect_eq "$(stat -c %a "$XDG_DATA_HOME/skinkey/vault.kek")" 600 "KEK file mode"
skv init >/dev/null 2>&1 && fail "a second init must be refused"

n=1000
for i in $(seq 1 $n); do
	printf 'pw-%d-s3cret' "$i" | skv add "site$i.example" "user$i" >/dev/null ||
		fail "add $i failed"
done
expect_eq "$(skv list | wc -l)" "$n" "list after $n adds"

# every credential back through the CLI: all 1,000 with one export (one tap), and every 7th
# one by its own `get` (each a tap: 4 APDUs)
dfsim reset-stats >/dev/null
skv export > "$SKNS_SCRATCH/export.tsv" || fail "export failed"
expect_eq "$(skinkey-sim ctl --card desfire stats | sed -n 's/^apdus=//p')" 4 "APDUs for a whole export"
expect_eq "$(wc -l < "$SKNS_SCRATCH/export.tsv")" "$n" "exported lines"
while IFS=$'\t' read -r id type site user secret; do
	i=${site#site}; i=${i%.example}
	expect_eq "$secret" "pw-$i-s3cret" "exported secret of $site"
	expect_eq "$user" "user$i" "exported user of $site"
	expect_eq "$type" password "type of $id"
	if [ $((i % 7)) = 0 ]; then
		got=$(skv get "$id" 2> "$SKNS_SCRATCH/err") || fail "get $id: $(cat "$SKNS_SCRATCH/err")"
		expect_eq "$got" "pw-$i-s3cret" "secret of $site"
	fi
done < "$SKNS_SCRATCH/export.tsv"
expect_eq "$(skv get site77.example user77)" "pw-77-s3cret" "get by site and user"

# the same credentials through PKCS#11 (the Vault token): every 10th read with pkcs11-tool
# --read-object by site and user, each the 4-APDU every-use read
SO=$SK_BUILD/pkcs11/skinkey-pkcs11.so
VAULT=$(pkcs11-tool --module "$SO" -L 2>/dev/null | sed -n 's/^ *token label *: *\(df-[0-9a-f]* Vault\).*/\1/p' | head -1)
[ -n "$VAULT" ] || fail "no Vault token: $(pkcs11-tool --module "$SO" -L 2>&1)"
for i in $(seq 10 10 "$n"); do
	dfsim reset-stats >/dev/null
	got=$(timeout 60 pkcs11-tool --module "$SO" --token-label "$VAULT" --read-object --type data \
		--application-label "site$i.example" --label "user$i" 2> "$SKNS_SCRATCH/err") ||
		fail "pkcs11-tool read of site$i: $(cat "$SKNS_SCRATCH/err")"
	expect_eq "$got" "pw-$i-s3cret" "pkcs11-tool read of site$i"
	expect_eq "$(dfsim stats | sed -n 's/^apdus=//p')" 4 "APDUs for one pkcs11-tool read"
done

# one fetch = SELECT + AuthenticateEV2First (2 frames) + ReadData
dfsim reset-stats >/dev/null
skv get site5.example user5 >/dev/null || fail "get for the APDU count failed"
expect_eq "$(skinkey-sim ctl --card desfire stats | sed -n 's/^apdus=//p')" 4 "APDUs per fetch"

# search and remove
expect_eq "$(skv list 'site1*' | wc -l)" 112 "prefix search site1*"
expect_eq "$(skv list - user500 | wc -l)" 1 "search by user"
id=$(skv list site500.example | cut -f1)
skv rm "$id" || fail "rm failed"
skv get "$id" >/dev/null 2>&1 && fail "removed credential still readable"
expect_eq "$(skv list | wc -l)" $((n - 1)) "list after rm"

# names with separators and spaces survive the protocol and the AAD
printf 'tricky' | skv add --type note 'a;rp=b c' 'u=x%20y' >/dev/null || fail "tricky add"
expect_eq "$(skv get 'a;rp=b c' 'u=x%20y')" tricky "tricky names round trip"

# the database holds no plaintext
sqlite3 "$XDG_DATA_HOME/skinkey/vault.db" "SELECT hex(blob) FROM credentials" |
	grep -qi "$(printf 'pw-1-s3cret' | od -An -tx1 | tr -d ' \n')" && fail "plaintext in vault.db"

# recovery path B: 5 shares, lose the chip, 3 shares onto a fresh chip
skv split > "$SKNS_SCRATCH/shares" || fail "split failed"
expect_eq "$(grep -c '^SHARE SKV1-' "$SKNS_SCRATCH/shares")" 5 "five shares printed"
dfsim quit >/dev/null 2>&1 || true
wait_for 60 reader_empty 1 || fail "pcscd still sees the lost chip"
start_desfire "$XDG_DATA_HOME/desfire-b.state"     # factory-fresh, another UID
sed -n 's/^SHARE //p' "$SKNS_SCRATCH/shares" | sed -n '2p;4p;5p' > "$SKNS_SCRATCH/three"
# a mistyped share is refused before anything happens
sed '1s/\(SKV1-....-.\)\(.\)/\1Z/' "$SKNS_SCRATCH/three" > "$SKNS_SCRATCH/typo"
if cmp -s "$SKNS_SCRATCH/typo" "$SKNS_SCRATCH/three"; then
	sed -i '1s/\(SKV1-....-.\)\(.\)/\1Y/' "$SKNS_SCRATCH/typo"
fi
skv recover --shares < "$SKNS_SCRATCH/typo" >/dev/null 2>&1 && fail "mistyped share accepted"
out=$(skv recover --shares < "$SKNS_SCRATCH/three") || fail "recover from shares failed"
expect_match "$out" '^CHIP df-[0-9a-f]{14} primary$' "recovered chip is primary"
newchip=$(printf '%s' "$out" | awk '{print $2}')
[ "$newchip" != "$chip" ] || fail "recovered onto the same chip id"
skv chips > "$SKNS_SCRATCH/chips"
grep -q "^CHIP $chip retired 0 " "$SKNS_SCRATCH/chips" || fail "lost chip not retired: $(cat "$SKNS_SCRATCH/chips")"
expect_eq "$(skv get site999.example user999)" "pw-999-s3cret" "credential after recovery"
note "vault_basic: ok ($n credentials, chip $chip -> $newchip)"

# the audit chain (issue 10): the split (K_vault left as shares), the refused and the good
# recovery, and the new chip's provisioning steps, each once
wait_for 60 sh -c "[ \"\$(sqlite3 '$XDG_DATA_HOME/skinkey/state.db' 'select count(*) from outbox')\" = 0 ]" ||
	fail "the outbox did not empty"
skinkey --json audit export > "$SKNS_SCRATCH/audit.json" || fail "audit export"
/usr/bin/python3 - "$SKNS_SCRATCH/audit.json" "$chip" "$newchip" <<'PY' || fail "the vault's split and recovery are not in the chain"
import collections, json, sys
rows, old, new = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
got = collections.Counter((r["action"], r["details"].get("chip"), r["details"].get("result")) for r in rows)
assert got[("provision:vault-split", None, "ok")] == 1, f"vault-split: {got}"
assert got[("provision:vault-recover-shares", new, "ok")] == 1, "vault-recover-shares"
assert sum(n for (a, c, res), n in got.items() if a == "provision:vault-recover-shares" and res != "ok") == 1, "the mistyped share's refusal"
for chip in (old, new):
    for step in ("keys", "picc-key", "done"):   # (desfire-app only on a resumed run)
        assert got[("provision:desfire-" + step, chip, "ok")] == 1, f"desfire-{step} of {chip}"
PY
