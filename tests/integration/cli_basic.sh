#!/usr/bin/env bash
# The skinkey command: version, usage errors and exit codes, the status table and JSON with and
# without a chip, a clear message when the daemon cannot be reached.
source "$SK_SRC/tests/lib/common.sh"
source "$SK_SRC/tests/integration/agent_lib.inc"
need skinkey skinkeyd skinkey-sim /usr/bin/python3

expect_match "$(skinkey --version)" '^skinkey [0-9]+\.[0-9]+\.[0-9]+$' "version"
rc=0; skinkey 2>/dev/null || rc=$?; expect_eq "$rc" 2 "no command"
rc=0; out=$(skinkey frobnicate 2>&1) || rc=$?; expect_eq "$rc" 2 "unknown command"
expect_match "$out" "unknown command 'frobnicate'" "unknown command message"
rc=0; skinkey status extra 2>/dev/null || rc=$?; expect_eq "$rc" 2 "stray argument"

# with the chip in the field
out=$(skinkey status) || fail "status"
expect_match "$out" 'Virtual PCD 00 00 +card +fs-[0-9a-f]{12}' "reader row with the chip"
expect_match "$out" 'fs-[0-9a-f]{12} +yes +openpgp,ykhmac[a-z0-9,]* +3 +0 +3 +Virtual PCD 00 00' "chip row"
json=$(skinkey --json status) || fail "status --json"
/usr/bin/python3 - "$json" <<'PY' || fail "status JSON: $json"
import json, sys
d = json.loads(sys.argv[1])
assert len(d["readers"]) == 2, d
c = d["chips"][0]
assert c["present"] is True and c["applets"].startswith("openpgp,ykhmac"), c
assert c["pin_retries"] == {"pw1": 3, "rc": 0, "pw3": 3}, c
assert c["serialno"].startswith("D27600012401"), c
assert c["reader"] == "Virtual PCD 00 00", c
PY
chips=$(skinkey chips --json) || fail "chips --json"
/usr/bin/python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d[0]["present"] is True' "$chips" \
	|| fail "chips JSON: $chips"

# a name for the chip: kept in state.db, shown by status and CHIPS
chip=$(skinkey chips | awk '{print $1; exit}')
skinkey label "$chip" "Left hand" || fail "label"
expect_match "$(skinkey status)" "$chip .*\"Left hand\"" "label in the table"
/usr/bin/python3 -c 'import json,sys; d=json.loads(sys.argv[1]); assert d["chips"][0]["label"] == "Left hand", d' \
	"$(skinkey status --json)" || fail "label in JSON"
rc=0; skinkey label fs-000000000000 x 2>/dev/null || rc=$?; expect_eq "$rc" 1 "label of an unknown chip"

# chip away: still listed, from the cache
sim remove > /dev/null
wait_for 60 sh -c "skinkey chips | grep -q away" || fail "chip not shown away"
out=$(skinkey status)
expect_match "$out" 'fs-[0-9a-f]{12} +no +openpgp,ykhmac[a-z0-9,]* +3 +0 +3 +-' "away chip row with cached counters"
expect_match "$out" 'Virtual PCD 00 00 +empty' "empty reader"

# daemon unreachable (socket directory not usable): exit code 3 and a reason
skd_kill
mv "$XDG_RUNTIME_DIR/skinkey" "$XDG_RUNTIME_DIR/skinkey.old"
printf 'not a directory\n' > "$XDG_RUNTIME_DIR/skinkey"
rc=0; out=$(skinkey status 2>&1) || rc=$?
expect_eq "$rc" 3 "exit code without a daemon"
expect_match "$out" 'cannot reach skinkeyd' "message without a daemon"
rm -f "$XDG_RUNTIME_DIR/skinkey"
# a directory others can enter is refused too
mkdir -m 0755 "$XDG_RUNTIME_DIR/skinkey"
rc=0; skinkey status > /dev/null 2>&1 || rc=$?
expect_eq "$rc" 3 "socket directory with mode 0755 refused"
chmod 0700 "$XDG_RUNTIME_DIR/skinkey"
skinkey status > /dev/null || fail "status after fixing the directory"
echo "cli_basic: ok"
