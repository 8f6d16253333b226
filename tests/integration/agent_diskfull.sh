#!/usr/bin/env bash
# The disk holding skinkey's data is full (a 4 MiB tmpfs mounted on the data directory inside the
# namespace, filled up). A daemon started then comes up; read-only work keeps working (status,
# chips, vault list and get, a PKCS#11 signature with the cached public key); writes fail with
# "disk full" and change nothing; once space is back every database passes integrity_check, every
# credential is intact and writes work again.
source "$SK_SRC/tests/lib/common.sh"
source "$SK_SRC/tests/integration/agent_lib.inc"
source "$SK_SRC/pkcs11/itest_lib.sh"
need skinkey skinkeyd sqlite3 pkcs11-tool
S=$SKNS_SCRATCH
data=$XDG_DATA_HOME/skinkey
dfsim() { skinkey-sim ctl --card desfire "$@"; }

mkdir -p "$XDG_CONFIG_HOME/skinkey" "$data"
# audit = off: with audit = required a key operation that cannot be recorded is refused, as
# that setting promises (skinkey-guard's chain lives on the same disk)
printf 'vault-originality = sim\naudit = off\ntap-timeout = 10s\n' > "$XDG_CONFIG_HOME/skinkey/skinkey.conf"
mount -t tmpfs -o size=4m,mode=0700 tmpfs "$data" || fail "cannot mount a tmpfs on $data"
trap 'rc=$?; skd_kill; cd /; umount -l "$data" 2>/dev/null; exit $rc' EXIT
if ! dfsim status 2>/dev/null | grep_all '^present=1'; then
	skinkey-sim run --card desfire --state "$XDG_DATA_HOME/desfire-full.state" \
		>> "$SKNS_LOG/sim-desfire-full.log" 2>&1 &
	wait_for 10 sh -c 'skinkey-sim ctl --card desfire status | grep -q "^present=1"' ||
		fail "DESFire simulator did not come up"
fi
cd "$S"

# with space: a vault with three credentials, an EC key on the flexSecure, one signature
out=$(skinkey vault init 2>&1) || fail "vault init: $out"
for i in 1 2 3; do
	printf 'secret-%s' "$i" | skinkey vault add "site$i.example" "user$i" > /dev/null 2>&1 ||
		fail "vault add $i"
done
p11_tokens
out=$(p11 --token-label "$PGP" --login --login-type so --so-pin 12345678 --keypairgen \
	--key-type EC:prime256v1 --id 03 2>&1) || fail "keygen: $out"
head -c 32 /dev/urandom > h
sign() { timeout 60 pkcs11-tool --module "$SO" --token-label "$PGP" --login --pin 123456 \
	--sign -m ECDSA --id 03 -i h -o sig; }
sign > sign0.out 2>&1 || fail "sign with space: $(cat sign0.out)"
list0=$(skinkey vault list 2>&1) || fail "vault list: $list0"

# fill the disk, then start a fresh daemon on it
skd_kill
dd if=/dev/zero of="$data/fill" bs=64k 2>/dev/null || true
avail=$(df --output=avail "$data" | tail -1 | tr -d ' ')
[ "$avail" -le 64 ] || fail "the data disk is not full: ${avail} KiB free"
note "data disk: $(df -h --output=size,used,avail "$data" | tail -1)"

t0=$(date +%s)
rc=0; out=$(timeout 60 skinkey status 2>&1) || rc=$?
note "skinkey status on a full disk: rc $rc after $(( $(date +%s) - t0 )) s"
[ $rc -eq 0 ] || fail "skinkey status on a full disk: rc $rc: $out"
out=$(timeout 60 skinkey chips 2>&1) || fail "skinkey chips on a full disk: $out"
expect_match "$out" "fs-" "the flexSecure listed on a full disk"
out=$(timeout 60 skinkey vault list 2>&1) || fail "vault list on a full disk: $out"
expect_eq "$out" "$list0" "vault list on a full disk"
id=$(awk '/site2.example/ {print $1; exit}' <<< "$list0")
out=$(timeout 60 skinkey vault get "$id" 2>&1) || fail "vault get on a full disk: $out"
expect_eq "$out" "secret-2" "vault get on a full disk"
sign > sign1.out 2>&1 || fail "sign on a full disk: $(cat sign1.out)"

# writes: refused with "disk full", nothing half-written
rc=0; out=$(printf 'secret-4' | timeout 60 skinkey vault add site4.example user4 2>&1) || rc=$?
[ $rc -ne 0 ] || fail "vault add succeeded on a full disk"
[ $rc -ne 124 ] && [ $rc -ne 141 ] || fail "vault add on a full disk: rc $rc"
expect_match "$out" "disk full" "vault add on a full disk says so"
out=$(timeout 60 skinkey vault list 2>&1) || fail "vault list after the refused add: $out"
expect_eq "$out" "$list0" "vault list after the refused add"

# space again: intact (checked with no daemon holding the databases), and writes work
rm -f "$data/fill"
skd_kill
for db in "$data"/vault.db "$data"/state.db; do
	expect_eq "$(sqlite3 "$db" 'PRAGMA integrity_check')" ok "integrity of $(basename "$db")"
done
for i in 1 2 3; do
	id=$(awk -v s="site$i.example" '$0 ~ s {print $1; exit}' <<< "$list0")
	expect_eq "$(skinkey vault get "$id" 2>&1)" "secret-$i" "credential $i after the full disk"
done
printf 'secret-4' | skinkey vault add site4.example user4 > /dev/null 2>&1 || fail "vault add once space is back"
sign > sign2.out 2>&1 || fail "sign once space is back: $(cat sign2.out)"
echo "agent_diskfull: ok"
