#!/usr/bin/env bash
# vault_backup.sh — recovery path A: a second DESFire chip provisioned with the same K_vault;
# the primary is lost; tapping the backup makes it primary, the lost chip is retired and its
# K_chip forgotten, and every credential still decrypts; the provisioning steps, the backup and
# the recovery are in the audit chain.
. "$SK_SRC/tests/lib/common.sh"
need skinkey-sim skinkeyd skinkey sqlite3
# the simulated DESFire chips carry skinkey-sim's originality key, not NXP's
mkdir -p "$XDG_CONFIG_HOME/skinkey"
echo "vault-originality = sim" >> "$XDG_CONFIG_HOME/skinkey/skinkey.conf"

skv() { skinkey vault "$@"; }
ctl2=$XDG_RUNTIME_DIR/sim-desfire2.ctl
dfsim() { skinkey-sim ctl --card desfire "$@"; }
df2() { skinkey-sim ctl --ctl "$ctl2" "$@"; }
present() { "$@" status 2>/dev/null | grep_all '^present=1'; }
if ! present dfsim; then
	skinkey-sim run --card desfire --state "$XDG_DATA_HOME/desfire-a.state" \
		>> "$SKNS_LOG/sim-desfire-vault.log" 2>&1 &
	wait_for 60 present dfsim || fail "DESFire simulator did not come up"
fi
skv init > "$SKNS_SCRATCH/init" || fail "init failed"
primary=$(awk '{print $2}' "$SKNS_SCRATCH/init")
for i in 1 2 3; do printf 'pw%d' "$i" | skv add "site$i" me >/dev/null || fail "add $i"; done

# the backup chip: a second simulated DESFire on slot 0 (the flexSecure leaves)
skinkey-sim ctl --card flexsecure quit >/dev/null 2>&1 || true
wait_for 60 reader_empty 0 || fail "pcscd still sees the flexSecure after it quit"
skinkey-sim run --card desfire --vpcd 127.0.0.1:35963 --ctl "$ctl2" \
	--state "$XDG_DATA_HOME/desfire-b.state" >> "$SKNS_LOG/sim-desfire2.log" 2>&1 &
wait_for 60 present df2 || fail "second DESFire simulator did not come up"
out=$(skv backup) || fail "backup provisioning failed"
expect_match "$out" '^CHIP df-[0-9a-f]{14} backup$' "backup reported"
backup=$(printf '%s' "$out" | awk '{print $2}')
[ "$backup" != "$primary" ] || fail "backup is the primary chip"
skv chips | grep_all "^CHIP $backup backup 1 " || fail "backup not registered"

# lose the primary
dfsim quit >/dev/null 2>&1 || true
wait_for 60 reader_empty 1 || fail "pcscd still sees the primary chip after it quit"
out=$(skv recover --backup) || fail "recover with the backup failed"
expect_eq "$out" "CHIP $backup primary" "backup promoted"
skv chips > "$SKNS_SCRATCH/chips"
grep -q "^CHIP $primary retired 0 " "$SKNS_SCRATCH/chips" ||
	fail "lost chip not retired / K_chip kept: $(cat "$SKNS_SCRATCH/chips")"
expect_eq "$(sqlite3 "$XDG_DATA_HOME/skinkey/vault.db" \
	"SELECT kchip IS NULL FROM chips WHERE chip_id = '$primary'")" 1 "K_chip erased"
for i in 1 2 3; do expect_eq "$(skv get "site$i" me)" "pw$i" "credential $i via the backup"; done
note "vault_backup: ok ($primary retired, $backup primary)"

# the audit chain (issue 10): every DESFire provisioning step of both chips, the backup and the
# recovery, each once, with its chip; no key in any row
wait_for 60 sh -c "[ \"\$(sqlite3 '$XDG_DATA_HOME/skinkey/state.db' 'select count(*) from outbox')\" = 0 ]" ||
	fail "the outbox did not empty"
skinkey --json audit export > "$SKNS_SCRATCH/audit.json" || fail "audit export"
/usr/bin/python3 - "$SKNS_SCRATCH/audit.json" "$primary" "$backup" <<'PY' || fail "the vault's provisioning, backup and recovery are not in the chain"
import collections, json, sys
rows, primary, backup = json.load(open(sys.argv[1])), sys.argv[2], sys.argv[3]
got = collections.Counter((r["action"], r["details"].get("chip"), r["details"].get("result")) for r in rows)
for chip in (primary, backup):
    for step in ("keys", "picc-key", "done"):   # (desfire-app only on a resumed run)
        assert got[("provision:desfire-" + step, chip, "ok")] == 1, f"desfire-{step} of {chip}: {got}"
assert got[("provision:vault-init", primary, "ok")] == 1, "vault-init"
assert got[("provision:vault-backup", backup, "ok")] == 1, "vault-backup"
assert got[("provision:vault-recover-backup", backup, "ok")] == 1, "vault-recover-backup"
PY
