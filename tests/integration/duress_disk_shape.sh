#!/usr/bin/env bash
# duress_disk_shape.sh — the files do not say how many contexts there are (issue 13, "Disk"):
# three fresh installs — no duress at all (0), duress with only the primary ever unlocked (1),
# with all three contexts unlocked (3) — each ends with skinkeyd stopped; the list of files in
# skinkey's data and config directories is the same, contexts.rec has the same size and number
# of records in all three, and between 1 and 3 every file has the same size. A fresh install's
# records open with none of the contexts' answers (they are random) — checked by the unlock
# itself: a context's first unlock finds no instance recorded (learned, then recorded).
source "$SK_SRC/tests/lib/common.sh"
source "$SK_SRC/tests/integration/agent_lib.inc"
source "$SK_SRC/tests/integration/duress_lib.inc"
need skinkey skinkeyd skinkey-sim sha256sum od find
S=$SKNS_SCRATCH
data=$XDG_DATA_HOME/skinkey
conf=$XDG_CONFIG_HOME/skinkey
# files (path below data/config) with their size; contexts.rec's record count from its header
snapshot() {  # NAME
	( cd "$XDG_DATA_HOME" && find skinkey -type f -printf 'data/%p %s\n'
	  cd "$XDG_CONFIG_HOME" && find skinkey -type f -printf 'config/%p %s\n' ) | sort > "$S/$1.sizes"
	cut -d' ' -f1 "$S/$1.sizes" > "$S/$1.files"
	printf '%s %s\n' "$(stat -c %s "$data/contexts.rec")" \
		"$(od -An -tu1 -j11 -N1 "$data/contexts.rec" | tr -d ' ')" > "$S/$1.rec"
	note "$1 context(s): $(tr '\n' ' ' < "$S/$1.sizes")records $(cat "$S/$1.rec")"
}
fresh() {  # start skinkeyd on an empty data directory
	skd_kill
	rm -rf "$data"
	sim_out; sim_in
	skinkeyd --daemon --log-file "$SKNS_LOG/skinkeyd.log" || fail "skinkeyd did not start"
}

duress_prepare
cp "$conf/skinkey.conf" "$S/duress.conf"

# 3: every context unlocked once (each one's first: its instance learned and recorded)
for pin in 123456 222222 333333; do
	[ -n "$(unlock "$pin")" ] || fail "unlock $pin"
	lock; wait_locked
done
skd_kill
snapshot 3

# 1: a fresh install, only the primary unlocked
fresh
wait_locked
[ "$(unlock 123456)" = "$PRIMARY_CHIP" ] || fail "unlock of the primary (1 context)"
lock; wait_locked
skd_kill
snapshot 1

# 0: no duress at all: the chip's default instance is an ordinary chip
grep -v '^duress' "$S/duress.conf" > "$conf/skinkey.conf"
fresh
wait_for 60 bash -c "skinkey chips 2>/dev/null | grep -q '$PRIMARY_CHIP'" ||
	fail "the chip was not seen without duress: $(skinkey chips 2>&1)"
skd_kill
snapshot 0   # (skinkey.conf is shorter by its duress line: the list is compared, not sizes)
cp "$S/duress.conf" "$conf/skinkey.conf"

grep -q '^data/skinkey/contexts.rec ' "$S/0.sizes" || fail "no contexts.rec without duress"
expect_eq "$(cat "$S/0.rec")" "$((64 + 3 * 16384)) 3" "contexts.rec: size and records (0)"
expect_eq "$(cat "$S/1.rec")" "$(cat "$S/0.rec")" "contexts.rec: size and records, 1 = 0"
expect_eq "$(cat "$S/3.rec")" "$(cat "$S/0.rec")" "contexts.rec: size and records, 3 = 0"
diff -u "$S/0.files" "$S/1.files" >&2 || fail "the file list differs between 0 and 1 context"
diff -u "$S/1.files" "$S/3.files" >&2 || fail "the file list differs between 1 and 3 contexts"
diff -u "$S/1.sizes" "$S/3.sizes" >&2 || fail "file sizes differ between 1 and 3 contexts"
echo ok
