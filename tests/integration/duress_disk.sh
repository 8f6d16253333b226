#!/usr/bin/env bash
# duress_disk.sh — nothing on disk tells (issue 13, "Disk"). The primary gets a key (PKCS#11
# keygen), a label, its public data read (LEARN, ssh-keygen -D); it is locked; the decoy does
# the same and stays unlocked. Then every file skinkey has (data, config, cache and runtime
# directories, raw bytes, and the sqlite .dump of every database among them: state.db with its
# outbox, vault.db, audit.db, as audit = required keeps a chain) holds none of the
# primary's serial (text, BE/LE bytes), AID, fingerprints, public key or label (duress_disk.py,
# checked on planted copies first). The decoy's label comes back after a restart of skinkeyd
# (its record, opened with its chip answer, is what holds it), the primary's after its own
# unlock. contexts.rec keeps its size and 3 slots whatever happened.
source "$SK_SRC/tests/lib/common.sh"
source "$SK_SRC/tests/integration/agent_lib.inc"
source "$SK_SRC/tests/integration/duress_lib.inc"
need pkcs11-tool ssh-keygen skinkey skinkeyd skinkey-guard skinkey-sim sqlite3 sha256sum od
S=$SKNS_SCRATCH
SO=$SK_BUILD/pkcs11/skinkey-pkcs11.so
[ -f "$SO" ] || fail "module not built: $SO"
p11() { pkcs11-tool --module "$SO" "$@"; }
data=$XDG_DATA_HOME/skinkey
rec=$data/contexts.rec
REC_LEN=$((64 + 3 * 16384))
rec_shape() { printf '%s %s\n' "$(stat -c %s "$rec")" "$(od -An -tu1 -j11 -N1 "$rec" | tr -d ' ')"; }

# with the audit chain on: audit.db and the outbox are in the scan (the contexts' rows sealed)
DURESS_AUDIT=required duress_prepare
wait_for 60 pgrep -x skinkey-guard > /dev/null || fail "skinkeyd did not start skinkey-guard"
[ -f "$rec" ] || fail "no contexts.rec after skinkeyd's start"
expect_eq "$(rec_shape)" "$REC_LEN 3" "contexts.rec: size and slots before any unlock"
sum0=$(sha256sum < "$rec")

# a context: keygen, label, its public data read; prints nothing, fills $S/<pin>.*
use_context() {  # PIN LABEL EXPECTED_CHIP
	local chip out
	chip=$(unlock "$1")
	expect_eq "$chip" "$3" "unlock $1 picks its context"
	out=$(p11 --token-label "$chip OpenPGP" --login --login-type so --so-pin 12345678 \
		--keypairgen --key-type EC:prime256v1 --id 03 2>&1) || fail "keygen on $chip: $out"
	skinkey label "$chip" "$2" > /dev/null || fail "skinkey label $chip"
	expect_match "$(skd CHIPS 2>&1)" "$2" "the label shows while $chip is unlocked"
	skd 'LEARN --force' > "$S/$1.learn" 2>&1
	grep -oiE '[0-9a-f]{40}' "$S/$1.learn" | sort -u > "$S/$1.fpr"
	[ -s "$S/$1.fpr" ] || fail "no fingerprint in LEARN ($1): $(cat "$S/$1.learn")"
	ssh-keygen -D "$SO" > "$S/$1.pub" 2>&1 || fail "ssh-keygen -D ($1): $(cat "$S/$1.pub")"
	[ "$(wc -l < "$S/$1.pub")" = 1 ] || fail "one key expected ($1): $(cat "$S/$1.pub")"
}
use_context 123456 "Primary-Label-q7Zx" "$PRIMARY_CHIP"
lock; wait_locked
use_context 222222 "Decoy-Label-m3Kp" "$DECOY_CHIP"

# the primary's identity: label, chip id, AID, serial (text, bytes both ways), manufacturer and
# serial, fingerprints, public key (ssh blob and EC point)
needles=("Primary-Label-q7Zx" "$PRIMARY_AID" "${PRIMARY_AID:20:8}" "${PRIMARY_AID:16:12}"
	$(cat "$S/123456.fpr") "$(cut -d' ' -f2 "$S/123456.pub")")
note "primary needles: ${#needles[@]} (serial ${PRIMARY_AID:20:8}, $(wc -l < "$S/123456.fpr") fingerprints)"
scan() { /usr/bin/python3 "$SK_SRC/tests/integration/duress_disk.py" "$@" -- "${needles[@]}"; }

# the scanner finds what is there: the same needles planted in a scratch directory
mkdir -p "$S/control"
cp "$S/123456.learn" "$S/control/learn.txt"
/usr/bin/python3 -c 'import sys; s = bytes.fromhex(sys.argv[1])
open(sys.argv[2], "wb").write(b"\0" + s[::-1] + b"\0")' "${PRIMARY_AID:20:8}" "$S/control/le.bin"
sqlite3 "$S/control/c.db" "CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('primary-label-Q7ZX');"
out=$(scan "$S/control") && fail "scanner control: nothing found in $S/control: $out"
expect_match "$out" "$S/control/learn.txt holds" "scanner control: LEARN text"
expect_match "$out" "$S/control/le.bin holds ${PRIMARY_AID:20:8} \\(bytes reversed\\)" \
	"scanner control: serial bytes, little-endian"
expect_match "$out" "$S/control/c.db \\(.dump\\) holds Primary-Label-q7Zx" "scanner control: sqlite"

# with the decoy unlocked: every skinkey file, and every database dumped
ls -la "$data" >&2
out=$(scan "$data" "$XDG_CONFIG_HOME/skinkey" "$XDG_CACHE_HOME" "$XDG_RUNTIME_DIR/skinkey") ||
	fail "the primary's identity is on disk: $out"
note "decoy unlocked: $out"
expect_eq "$(rec_shape)" "$REC_LEN 3" "contexts.rec: size and slots with two contexts used"
[ "$(sha256sum < "$rec")" != "$sum0" ] || fail "contexts.rec never changed: nothing was recorded"

# the decoy's state is the decoy's record's: back after a restart, with its chip answer only
lock; wait_locked
skd_kill
skinkeyd --daemon --log-file "$SKNS_LOG/skinkeyd.log" || fail "skinkeyd did not start again"
wait_locked
out=$(skd CHIPS 2>&1)
grep -q -- "-Label-" <<< "$out" && fail "a label shows while locked: $out"
[ "$(unlock 222222)" = "$DECOY_CHIP" ] || fail "decoy unlock after the restart"
out=$(skd CHIPS 2>&1)
expect_match "$out" "Decoy-Label-m3Kp" "the decoy's label, from its record after a restart"
grep -q "Primary-Label" <<< "$out" && fail "the primary's label shows with the decoy: $out"
lock; wait_locked
[ "$(unlock 123456)" = "$PRIMARY_CHIP" ] || fail "primary unlock after the restart"
out=$(skd CHIPS 2>&1)
expect_match "$out" "Primary-Label-q7Zx" "the primary's label, from its record"
grep -q "Decoy-Label" <<< "$out" && fail "the decoy's label shows with the primary: $out"
lock; wait_locked
expect_eq "$(rec_shape)" "$REC_LEN 3" "contexts.rec: size and slots at the end"
echo ok
