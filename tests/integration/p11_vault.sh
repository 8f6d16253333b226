#!/usr/bin/env bash
# p11_vault.sh — the PKCS#11 Vault slot against a simulated DESFire EV3 vault: credentials added
# with `skinkey vault add` are CKO_DATA objects (application = site, label = user) listed by
# pkcs11-tool without a tap (0 APDUs); `pkcs11-tool --read-object` prints a secret for the
# 4-APDU every-use read; p11tool (GnuTLS, through p11-kit) lists and exports one;
# `--write-object` adds one that `skinkey vault get` returns; C_SetAttributeValue(CKA_VALUE)
# (helper p11_vault_set) changes a secret; `--delete-object` removes one;
# corrupt rows are listed but not readable; with the chip away a read fails with
# CKR_DEVICE_REMOVED after skinkeyd's tap-timeout, never hangs.
# skinkey-test: plain-only (p11tool (GnuTLS+p11-kit) deadlocks at exit in glibc's locale lock with the ASan runtime preloaded)
source "$SK_SRC/pkcs11/itest_lib.sh"
need skinkey skinkeyd p11tool p11-kit sqlite3

skv() { skinkey vault "$@"; }
dfsim() { skinkey-sim ctl --card desfire "$@"; }
apdus() { dfsim stats | sed -n 's/^apdus=//p'; }
mkdir -p "$XDG_CONFIG_HOME/skinkey"
printf 'tap-timeout = 4s\nvault-originality = sim\n' > "$XDG_CONFIG_HOME/skinkey/skinkey.conf"
if ! dfsim status 2>/dev/null | grep_all '^present=1'; then
	skinkey-sim run --card desfire --state "$XDG_DATA_HOME/desfire-p11.state" \
		>> "$SKNS_LOG/sim-desfire-p11.log" 2>&1 &
	wait_for 60 sh -c 'skinkey-sim ctl --card desfire status | grep -q "^present=1"' ||
		fail "DESFire simulator did not come up"
fi

# before a vault exists there is no Vault token
out=$(p11 -L 2>>"$SKNS_LOG/skinkeyd.log") || true
printf '%s\n' "$out" | grep_all ' Vault' && fail "a Vault token before vault init: $out"

out=$(skv init) || fail "vault init failed"
chip=$(printf '%s' "$out" | awk '/^CHIP/ {print $2}')
[ -n "$chip" ] || fail "no chip id from vault init: $out"
printf 'pw-one' | skv add site1.example user1 >/dev/null || fail "add 1"
printf 'pw two with spaces' | skv add 'my site.example' 'user two' >/dev/null || fail "add 2"
printf 'pw-three' | skv add site3.example user3 >/dev/null || fail "add 3"
printf 'pw-four' | skv add corrupt.example user4 >/dev/null || fail "add 4"

VAULT="$chip Vault"
wait_for 60 sh -c "pkcs11-tool --module '$SO' -L 2>/dev/null | grep -q 'token label *: *$VAULT'" ||
	fail "no Vault token: $(p11 -L 2>&1)"
info=$(p11 -L 2>&1)
printf '%s\n' "$info" >&2
block=$(printf '%s\n' "$info" | grep -A12 "token label *: *$VAULT")
expect_match "$block" "serial num *: *${chip#df-}\$" "Vault token serial is the chip's UID"
printf '%s\n' "$block" | grep_all 'login required' && fail "Vault token asks for a login"

# listing: every credential, site and user, no tap
dfsim reset-stats >/dev/null
list=$(p11 --token-label "$VAULT" --list-objects --type data 2>&1) || fail "list-objects: $list"
printf '%s\n' "$list" >&2
expect_eq "$(printf '%s\n' "$list" | grep -c '^Data object')" 4 "four data objects"
expect_match "$list" "application: *'site1.example'" "site as CKA_APPLICATION"
expect_match "$list" "label: *'user1'" "user as CKA_LABEL"
expect_match "$list" "application: *'my site.example'" "site with a space"
expect_match "$list" "label: *'user two'" "user with a space"
expect_eq "$(apdus)" 0 "APDUs for listing the vault"

# reading: the secret, one every-use read (4 APDUs) for pkcs11-tool's size query + read
rd() { timeout 60 pkcs11-tool --module "$SO" --token-label "$VAULT" --read-object --type data "$@"; }
dfsim reset-stats >/dev/null
got=$(rd --label user1 --application-label site1.example 2>"$SKNS_SCRATCH/err") ||
	fail "read-object: $(cat "$SKNS_SCRATCH/err")"
expect_eq "$got" "pw-one" "pkcs11-tool --read-object prints the secret"
expect_eq "$(apdus)" 4 "APDUs for one read"
got=$(rd --label 'user two' --application-label 'my site.example' 2>&1) || fail "read 2: $got"
expect_eq "$got" "pw two with spaces" "secret of a name with spaces"
id3=$(skv list site3.example | cut -f1)
got=$(rd --id "$(printf '%s' "$id3" | od -An -tx1 | tr -d ' \n')" 2>&1) || fail "read by id: $got"
expect_eq "$got" "pw-three" "read by CKA_ID (the decimal vault id)"

# p11tool (GnuTLS) through p11-kit's module registry (see p11_p11kit.sh)
mdir=$(pkg-config --variable=p11_module_configs p11-kit-1)
mount -t tmpfs -o mode=0755 tmpfs "$mdir" || fail "private p11-kit module dir"
sed "s|^module: .*|module: $SO|" "$SK_SRC/pkcs11/skinkey-pkcs11.module" > "$mdir/skinkey-pkcs11.module"
turl="pkcs11:token=$(printf '%s' "$VAULT" | sed 's/ /%20/g')"
dfsim reset-stats >/dev/null
all=$(p11tool --list-all "$turl" 2>&1) || fail "p11tool --list-all: $all"
printf '%s\n' "$all" >&2
expect_eq "$(printf '%s\n' "$all" | grep -c 'Type: Data')" 4 "p11tool lists four data objects"
expect_match "$all" "Label: user1" "p11tool shows the user"
expect_eq "$(apdus)" 16 "p11tool --list-all: one 4-APDU read per object (GnuTLS reads values)"
dfsim reset-stats >/dev/null
got=$(timeout 60 p11tool --export --outder "$turl;object=user3;type=data" 2>"$SKNS_SCRATCH/err") ||
	fail "p11tool --export: $(cat "$SKNS_SCRATCH/err")"
expect_eq "$got" "pw-three" "p11tool --export gives the secret"
expect_eq "$(apdus)" 4 "APDUs for p11tool --export"

# writing: a new credential through PKCS#11, read back by the CLI
printf 'written-by-p11' > "$SKNS_SCRATCH/secret"
out=$(p11 --token-label "$VAULT" --write-object "$SKNS_SCRATCH/secret" --type data \
	--label user9 --application-label site9.example 2>&1) || fail "write-object: $out"
expect_eq "$(skv get site9.example user9)" "written-by-p11" "skinkey vault get after write-object"
expect_eq "$(skv list | wc -l)" 5 "five credentials after write-object"

# a new secret through C_SetAttributeValue(CKA_VALUE): VAULT_UPDATE; site/user are read-only
vset=$SK_BUILD/pkcs11/p11_vault_set
out=$(printf 'changed via p11' | "$vset" "$SO" 'user two' value 2>&1) || fail "C_SetAttributeValue: $out"
expect_eq "$(skv get 'my site.example' 'user two')" "changed via p11" "skinkey vault get after C_SetAttributeValue"
out=$("$vset" "$SO" 'user two' label eve 2>&1) && fail "label change accepted: $out"
expect_match "$out" "rv=0x10\$" "CKA_LABEL is read-only (CKR_ATTRIBUTE_READ_ONLY)"

# names with Assuan's separators survive the command line both ways
printf 'tricky+secret' > "$SKNS_SCRATCH/secret2"
out=$(p11 --token-label "$VAULT" --write-object "$SKNS_SCRATCH/secret2" --type data \
	--label 'u+1 %20x' --application-label 'a;b"c d' 2>&1) || fail "write-object tricky: $out"
expect_eq "$(skv get 'a;b"c d' 'u+1 %20x')" "tricky+secret" "tricky names through C_CreateObject"
got=$(rd --label 'u+1 %20x' --application-label 'a;b"c d' 2>&1) || fail "read tricky: $got"
expect_eq "$got" "tricky+secret" "tricky names listed back"
out=$(p11 --token-label "$VAULT" --delete-object --type data --label 'u+1 %20x' \
	--application-label 'a;b"c d' 2>&1) || fail "delete tricky: $out"

# deleting
out=$(p11 --token-label "$VAULT" --delete-object --type data --label user9 \
	--application-label site9.example 2>&1) || fail "delete-object: $out"
skv list site9.example | grep_all user9 && fail "deleted credential still listed"
expect_eq "$(skv list | wc -l)" 4 "four credentials after delete-object"

# corrupt rows: listed, reading fails cleanly (a wrong column type: no tap at all; a
# truncated blob: the daemon refuses it after the read)
db=$XDG_DATA_HOME/skinkey/vault.db
id4=$(skv list corrupt.example | cut -f1)
sqlite3 "$db" "UPDATE credentials SET type = 'abc' WHERE id = $id4" || fail "sqlite corrupt"
list=$(p11 --token-label "$VAULT" --list-objects --type data 2>&1) || fail "list with corrupt: $list"
expect_eq "$(printf '%s\n' "$list" | grep -c '^Data object')" 4 "corrupt row still listed"
dfsim reset-stats >/dev/null
rd --label user4 --application-label corrupt.example >/dev/null 2>&1 && fail "corrupt row read"
expect_eq "$(apdus)" 0 "APDUs for a row marked corrupt"
sqlite3 "$db" "UPDATE credentials SET blob = substr(blob, 1, 10) WHERE id = $id3" ||
	fail "sqlite truncate"
rd --label user3 --application-label site3.example >/dev/null 2>&1 && fail "truncated row read"
got=$(rd --label user1 --application-label site1.example 2>&1) || fail "read after corrupt: $got"
expect_eq "$got" "pw-one" "other credentials still read"

# the chip away: a clean CKR_DEVICE_REMOVED after the tap-timeout (4 s), no hang
dfsim remove >/dev/null
CHIP=$chip skd_wait_present 0
start=$(date +%s)
out=$(rd --label user1 --application-label site1.example 2>&1) && fail "read with the chip away: $out"
took=$(( $(date +%s) - start ))
expect_match "$out" "CKR_DEVICE_REMOVED" "no tap is CKR_DEVICE_REMOVED"
[ "$took" -ge 4 ] && [ "$took" -lt 30 ] || fail "no-tap failure took ${took}s (tap-timeout 4 s)"
list=$(p11 --token-label "$VAULT" --list-objects --type data 2>&1) ||
	fail "listing with the chip away: $list"
expect_eq "$(printf '%s\n' "$list" | grep -c '^Data object')" 4 "listing needs no chip"
# GnuTLS reads every value while listing: with the chip away, one tap-timeout, not one each
start=$(date +%s)
all=$(timeout 120 p11tool --list-all "$turl" 2>&1) || true
took=$(( $(date +%s) - start ))
expect_eq "$(printf '%s\n' "$all" | grep -c 'Type: Data')" 4 "p11tool lists with the chip away"
[ "$took" -lt 12 ] || fail "p11tool --list-all with the chip away took ${took}s"
dfsim tap >/dev/null
CHIP=$chip skd_wait_present 1
got=$(rd --label user1 --application-label site1.example 2>&1) || fail "read after tap: $got"
expect_eq "$got" "pw-one" "read after the chip is back"
echo "p11_vault: ok"
