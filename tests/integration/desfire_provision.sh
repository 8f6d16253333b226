#!/usr/bin/env bash
# DESFire vault provisioning on a factory-fresh simulated EV3: 10 APDUs (seed 004 needs 13),
# then the every-use path reads K_vault in exactly 4 APDUs; the PICC master key is now the
# journaled AES key (GetCardUID after EV2First with it); re-provisioning is idempotent.
. "$SK_SRC/tests/integration/desfire_lib.inc"
df_use prov
out=$("$tool" factory-reset "$SKNS_SCRATCH/none" 2>&1) || fail "factory reset: $out"

j=$SKNS_SCRATCH/journal
skinkey-sim ctl --card desfire reset-stats >/dev/null
out=$("$tool" provision "$j") || fail "provision: $out"
expect_re "$out" 'provisioned=1' "provisioned"
expect_re "$out" '^apdus=10$' "fresh provisioning takes 10 APDUs"
expect_eq "$(sim_apdus --card desfire)" 10 "simulator counted 10 APDUs"

skinkey-sim ctl --card desfire reset-stats >/dev/null
out=$("$tool" vault "$j") || fail "vault read: $out"
expect_re "$out" 'match=1' "vault key read back equals the journaled one"
expect_re "$out" '^apdus=4$' "every-use path is 4 APDUs"
expect_eq "$(sim_apdus --card desfire)" 4 "simulator counted 4 APDUs"

out=$("$tool" version) || fail "version"
uid=$(printf '%s\n' "$out" | sed -n 's/^uid=//p')
out=$("$tool" uid "$j") || fail "GetCardUID with the new PICC key: $out"
expect_eq "$(printf '%s\n' "$out" | sed -n 's/^uid=//p')" "$uid" "GetCardUID (encrypted) = UID"

# a second run finds everything done, changes nothing, still yields the same key
before=$("$tool" vault-show "$j" | sed -n 's/^vault=//p')
out=$("$tool" provision "$j") || fail "re-provision: $out"
expect_re "$out" 'provisioned=1' "re-provision ok"
after=$("$tool" vault-show "$j" | sed -n 's/^vault=//p')
expect_eq "$after" "$before" "vault key unchanged by a re-run"
[ ${#after} -eq 64 ] || fail "vault key is not 32 bytes"

# a wrong chip key cannot read the vault
cp "$j" "$j.bad"
/usr/bin/python3 - "$j.bad" <<'PY'
import sys
p = sys.argv[1]; b = bytearray(open(p, 'rb').read()); b[27] ^= 1; open(p, 'wb').write(b)
PY
if "$tool" vault "$j.bad" >/dev/null 2>&1; then fail "vault read with a wrong K_chip succeeded"; fi
# a factory chip that another program left inside one of its applications: the fast path's
# first command (CreateApplication) fails harmlessly there and the probing path provisions it
out=$("$tool" factory-reset "$j" 2>&1) || fail "factory reset: $out"
out=$("$tool" -a 777777 enter 2>&1) || fail "enter foreign app: $out"
out=$("$tool" provision "$j.2" 2>&1) || fail "provision from inside a foreign app: $out"
expect_re "$out" 'provisioned=1' "provisioned from a foreign selection"
n=$(printf '%s\n' "$out" | sed -n 's/^apdus=//p')
[ "$n" -gt 10 ] || fail "foreign selection: expected the probing path (more than 10 APDUs), got $n"
out=$("$tool" vault "$j.2") || fail "vault read after foreign-selection provisioning"
expect_re "$out" 'match=1' "vault key after foreign-selection provisioning"
echo "desfire provision: ok"
