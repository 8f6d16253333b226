#!/usr/bin/env bash
# common/: pcscd goes away and comes back. The watcher (common/pcsc.h) reports every card and
# reader as gone, fails with SK_ERR_NO_READER while pcscd is down, and when the caller keeps
# watching (as skinkeyd does) reports the readers and the card of the new pcscd.
. "$SK_SRC/tests/lib/common.sh"
need skinkey-sim pcscd
SKA=$SK_BUILD/common/sk-apdu
[ -x "$SKA" ] || fail "sk-apdu not built at $SKA"
R0=$SK_READER0
R1=$SK_READER1
out=$SKNS_SCRATCH
newpcscd=
wpid=
cleanup_restart() {
	[ -n "$wpid" ] && kill "$wpid" 2>/dev/null
	[ -n "$newpcscd" ] && kill "$newpcscd" 2>/dev/null
	return 0
}
trap cleanup_restart EXIT

"$SKA" watch -R -t 60 -n 9 >"$out/w.out" 2>"$out/w.err" &
wpid=$!
wait_for 60 grep -q "^card-inserted $R0\$" "$out/w.out" || fail "watcher: no initial state"

# the pcscd of this namespace (its pid file lives on our private /run/pcscd)
old=$(tr -cd 0-9 </run/pcscd/pcscd.pid) || fail "no pcscd pid file"
kill "$old"
wait_for 60 grep -q '^pcscd-lost$' "$out/w.out" || fail "watcher did not notice pcscd leaving"
grep -q "^card-removed $R0\$" "$out/w.out" || fail "card not reported gone with pcscd"
grep -q "^reader-removed $R0\$" "$out/w.out" || fail "reader 0 not reported gone"
grep -q "^reader-removed $R1\$" "$out/w.out" || fail "reader 1 not reported gone"

for _ in $(seq 100); do [ -e /run/pcscd/pcscd.comm ] || break; sleep 0.05; done
pcscd -f -a >"$SKNS_LOG/pcscd2.log" 2>&1 &
newpcscd=$!
wait_for 60 sh -c "[ \$(grep -c '^card-inserted $R0\$' '$out/w.out') = 2 ]" ||
	fail "watcher did not see the card after pcscd came back: $(cat "$out/w.out")"
wait "$wpid" || fail "watcher failed: $(cat "$out/w.out" "$out/w.err")"
wpid=
# 3 first, 3 gone, 3 again; pcscd-lost lines are not events
expect_eq "$(grep -cv "^pcscd-lost\$" "$out/w.out")" 9 "events"
[ "$(grep -c 'cannot reach pcscd' "$out/w.err")" -le 1 ] || fail "log flooded while pcscd was down"
"$SKA" -r "$R0" send 00A4040006D2760001240100 | grep_all '9000$' || fail "card unusable after restart"
echo "common_pcscd_restart: ok"
