#!/usr/bin/env bash
# guard_events.sh — skinkeyd starts skinkey-guard; chip and key-operation events reach the
# sealed audit chain through the outbox (ssh-agent and gpg doors); the outbox empties once the
# guard acknowledged; `skinkey-guard init` prints the recovery code once; a stopped guard
# (alive, not acknowledging) makes key operations fail closed after audit-deadline with the
# documented error, and they work again once it acknowledges; configuration errors (a refused
# skinkey.conf, a missing pinentry-program, a setting the guard refuses) are rows.
. "$SK_SRC/tests/lib/common.sh"
. "$SK_SRC/tests/integration/agent_lib.inc"
. "$SK_SRC/tests/lib/gpgcard.sh"
. "$SK_SRC/tests/lib/sshd.sh"
need ssh ssh-add gpg /usr/sbin/sshd /usr/bin/python3

mkdir -p "$XDG_CONFIG_HOME/skinkey"
printf 'pinentry-program = %s\naudit-deadline = 1s\n' "$SK_SRC/tests/lib/pinentry-test" \
	> "$XDG_CONFIG_HOME/skinkey/skinkey.conf"
GPGCARD_SCD=gnupg gpgcard_setup_agent
gpgcard_generate_ed25519 "Guard User" guard@example.org
gpgconf --kill scdaemon; gpgconf --kill gpg-agent

AUDIT_DB=$XDG_DATA_HOME/skinkey/audit.db
STATE_DB=$XDG_DATA_HOME/skinkey/state.db
sql() { /usr/bin/python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); [print("|".join(map(str,r))) for r in c.execute(sys.argv[2])]' "$@"; }
guard_pid() { pgrep -x skinkey-guard | head -1; }

skinkeyd --daemon --log-file "$SKNS_LOG/skinkeyd.log" || fail "skinkeyd did not start"
wait_for 5 pgrep -x skinkey-guard || fail "skinkeyd did not start skinkey-guard"
wait_for 10 test -f "$AUDIT_DB" || fail "no audit.db"

# chip-seen reaches the chain
wait_for 10 sh -c "[ \"\$(/usr/bin/python3 -c 'import sqlite3;print(sqlite3.connect(\"$AUDIT_DB\").execute(\"select count(*) from audit where action=\\\"chip-seen\\\"\").fetchone()[0])')\" -ge 1 ]" \
	|| fail "no chip-seen row in audit.db"

# a key operation through the ssh-agent door
export SSH_AUTH_SOCK=$XDG_RUNTIME_DIR/skinkey/S.ssh
wait_for 5 test -S "$SSH_AUTH_SOCK" || fail "no ssh-agent socket"
ssh-add -L > "$HOME/agent.pub" || fail "ssh-add -L"
sshd_start "$HOME/agent.pub"
ssh_login_check "$SSH_AUTH_SOCK" || fail "ssh login through the skinkey agent failed"
wait_for 10 sh -c "[ -n \"\$(/usr/bin/python3 -c 'import sqlite3;print(\"\".join(r[0] for r in sqlite3.connect(\"$AUDIT_DB\").execute(\"select actor from audit where action=\\\"key-op:auth\\\"\")))')\" ]" \
	|| fail "no key-op:auth row"
row=$(sql "$AUDIT_DB" "select actor, details from audit where action='key-op:auth' order by seq desc limit 1")
expect_match "$row" '^ssh-agent:ssh\[[0-9]+\]\|' "the ssh-agent door and the ssh client named"
expect_match "$row" 'result=ok' "result recorded"
expect_match "$row" 'sha256=[0-9a-f]{64}' "hash of what the chip signed"
expect_match "$row" 'chip=fs-[0-9a-f]{12}' "chip recorded"
if grep -q '123456' <<< "$(sql "$AUDIT_DB" "select details from audit")"; then fail "a PIN in the audit chain"; fi
wait_for 10 test "$(sql "$STATE_DB" "select count(*) from outbox")" = 0 || fail "the outbox did not empty after the guard's ACK"

# HMAC (programming is a provisioning step, a calculation a key operation) and a PIN failure
skinkey hmac program --generate 2 > /dev/null || fail "hmac program"
skinkey hmac calculate 2 00112233 > /dev/null || fail "hmac calculate"
SO=$SK_BUILD/pkcs11/skinkey-pkcs11.so
tok=$(pkcs11-tool --module "$SO" -L 2>/dev/null | sed -n 's/^ *token label *: *\(fs-[0-9a-f]* OpenPGP\).*/\1/p' | head -1)
if pkcs11-tool --module "$SO" --token-label "$tok" --login --pin 999999 -O > /dev/null 2>&1; then fail "a wrong PIN logged in"; fi
wait_for 60 sh -c "skinkey audit tail -n 50 | grep -q 'provision:hmac-program .* key slot2 .* ok'" || fail "no hmac-program row"
wait_for 60 sh -c "skinkey audit tail -n 50 | grep -q 'key-op:hmac .* key slot2 .* ok'" || fail "no key-op:hmac row"
wait_for 60 sh -c "skinkey audit tail -n 50 | grep -Eq 'pin-fail:verify +pkcs11:pkcs11-tool.* PIN 8[12]  2 tries left  FAILED: '" || fail "no pin-fail row with the tries left"

# the recovery code: once
skinkey audit init > "$SKNS_SCRATCH/init.txt" || fail "skinkey audit init"
expect_match "$(cat "$SKNS_SCRATCH/init.txt")" '([0-9a-f]{4}-){15}[0-9a-f]{4}' "recovery code printed"
if skinkey audit init > /dev/null 2>&1; then fail "the recovery code was printed twice"; fi
grep -Eo '([0-9a-f]{4}-){15}[0-9a-f]{4}' "$SKNS_SCRATCH/init.txt" > "$SKNS_SCRATCH/code"

# readable tail, JSON export, verification with the code and against the chip's counter
gpg-connect-agent -S "$SKD_SOCK" 'GETATTR SIG-COUNTER' /bye > /dev/null
skinkey audit tail -n 50 > "$SKNS_SCRATCH/tail.txt" || fail "skinkey audit tail"
expect_match "$(cat "$SKNS_SCRATCH/tail.txt")" 'key-op:auth +ssh-agent:ssh\[[0-9]+\] +fs-[0-9a-f]{12} +key [0-9A-F]{40}.* ok' "a readable key-op line"
expect_match "$(cat "$SKNS_SCRATCH/tail.txt")" 'chip-seen +skinkeyd +fs-[0-9a-f]{12}.*in "Virtual PCD 00 00"' "a readable chip-seen line"
skinkey audit export --json > "$SKNS_SCRATCH/export.json" || fail "skinkey audit export --json"
/usr/bin/python3 - "$SKNS_SCRATCH/export.json" <<'PY' || fail "export --json is not the chain"
import json, sys
rows = json.load(open(sys.argv[1]))
assert [r["seq"] for r in rows] == list(range(1, len(rows) + 1)), "seqs"
ops = [r for r in rows if r["action"] == "key-op:auth"]
assert ops and ops[-1]["details"]["result"] == "ok" and len(ops[-1]["details"]["sha256"]) == 64
assert all(len(r["hash"]) == 64 for r in rows)
PY
out=$(skinkey audit verify --key-file "$SKNS_SCRATCH/code") || fail "verify with the code: $out"
expect_match "$out" 'hash chain intact, every seal verified' "verify with the code"
# the key on the chip (DO 0103, PW1): stored on the user's command, read back for verification
echo 123456 | skinkey audit key-to-chip --key-file "$SKNS_SCRATCH/code" > "$SKNS_SCRATCH/k2c.txt" ||
	fail "key-to-chip: $(cat "$SKNS_SCRATCH/k2c.txt")"
out=$(echo 123456 | skinkey audit verify --key-from-chip) || fail "verify --key-from-chip: $out"
expect_match "$out" 'every seal verified' "verified with the key from the chip"
sim remove; wait_for 60 sh -c "! gpg-connect-agent -S '$SKD_SOCK' CHIPS /bye | grep -q 'CHIP fs-[0-9a-f]* 1'"
sim tap; wait_for 60 sh -c "gpg-connect-agent -S '$SKD_SOCK' CHIPS /bye | grep -q 'CHIP fs-[0-9a-f]* 1'"
# (the PIN cache went with the chip: the PIN is asked again)
if echo 654321 | skinkey audit verify --key-from-chip > /dev/null 2>&1; then fail "a wrong PIN read the key"; fi
# a signature through gpg records the chip's counter; verify --chip compares it
echo "signed" > "$HOME/msg.txt"
GPGCARD_SCD=skinkey gpgcard_setup_agent   # gpg-agent through skinkey-scd from here on
gpg --batch --yes -u guard@example.org --detach-sign "$HOME/msg.txt" || fail "gpg --detach-sign through skinkeyd"
# (the client has its answer once the event is in the outbox; the guard writes the row just after)
wait_for 60 sh -c "skinkey audit tail -n 5 | grep -q 'key-op:sign .*counter [0-9]'" || fail "no key-op:sign row with the counter"
out=$(skinkey audit verify --key-file "$SKNS_SCRATCH/code" --chip) || fail "verify --chip: $out"
expect_match "$out" 'signature counter [0-9]+ = the last recorded' "the chip's counter matches the chain"
# a corrupted copy: verify names the row
/usr/bin/python3 -c 'import sqlite3,sys; d=sqlite3.connect(sys.argv[2]); sqlite3.connect(sys.argv[1]).backup(d); d.close()' "$AUDIT_DB" "$SKNS_SCRATCH/copy.db"
/usr/bin/python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute("update audit set actor=\"gpg:forged[1]\" where seq=2"); c.commit()' "$SKNS_SCRATCH/copy.db"
if out=$(skinkey audit verify --db "$SKNS_SCRATCH/copy.db" --key-file "$SKNS_SCRATCH/code"); then fail "an edited copy verified"; fi
expect_match "$out" 'FAILED at row 2: edited row' "the edited row named"

# a refused skinkey.conf is recorded once a skinkeyd starts again
d=$(pgrep -x skinkeyd | head -1)
kill -TERM "$d"; wait_for 60 sh -c "! kill -0 $d 2>/dev/null" || fail "skinkeyd did not stop"
cp "$XDG_CONFIG_HOME/skinkey/skinkey.conf" "$SKNS_SCRATCH/conf.good"
echo "no-such-key = 1" >> "$XDG_CONFIG_HOME/skinkey/skinkey.conf"
if skinkeyd --daemon --log-file "$SKNS_LOG/skinkeyd.log" 2>/dev/null; then fail "skinkeyd started with a bad configuration"; fi
cp "$SKNS_SCRATCH/conf.good" "$XDG_CONFIG_HOME/skinkey/skinkey.conf"
skinkeyd --daemon --log-file "$SKNS_LOG/skinkeyd.log" || fail "skinkeyd did not start again"
wait_for 60 sh -c "skinkey audit tail -n 10 | grep -Eq 'config-error +skinkeyd +- +FAILED: bad configuration'" || fail "no config-error row"

# only one guard, even when asked again
skinkey-guard --daemon   # returns once the child knows it lost the lock and exited
expect_eq "$(pgrep -x skinkey-guard | wc -l)" 1 "guards running"

# fail-closed: a stopped guard does not acknowledge; after the deadline key operations are refused
g=$(guard_pid)
kill -STOP "$g"
sim remove; wait_for 10 sh -c "! gpg-connect-agent -S '$SKD_SOCK' CHIPS /bye | grep -q 'CHIP fs-[0-9a-f]* 1'"
sim tap; wait_for 10 sh -c "gpg-connect-agent -S '$SKD_SOCK' CHIPS /bye | grep -q 'CHIP fs-[0-9a-f]* 1'"
if ssh_login_check "$SSH_AUTH_SOCK"; then fail "a key operation ran while the guard did not acknowledge"; fi
grep -q 'skinkey-guard is not running or does not acknowledge events within' "$SKNS_LOG/skinkeyd.log" || fail "no refusal in skinkeyd's log"
kill -CONT "$g"
ssh_login_check "$SSH_AUTH_SOCK" || fail "key operations did not resume with the guard back"

# SIGKILL: skinkeyd starts a new guard for the next key operation
kill -KILL "$g"
ssh_login_check "$SSH_AUTH_SOCK" || fail "no new guard after SIGKILL"
wait_for 5 pgrep -x skinkey-guard || fail "no guard running"
[ "$(guard_pid)" != "$g" ] || fail "the same guard?"

# configuration errors beyond a refused skinkey.conf: a pinentry-program that is not there (when
# a PIN must be asked) and a setting of the guard's own that it refuses
d=$(pgrep -x skinkeyd | head -1); g=$(guard_pid)
kill -TERM "$d"; wait_for 60 sh -c "! kill -0 $d 2>/dev/null" || fail "skinkeyd did not stop"
kill -TERM "$g"; wait_for 60 sh -c "! kill -0 $g 2>/dev/null" || fail "the guard did not stop"
printf 'pinentry-program = /nonexistent/pinentry\naudit-deadline = 1s\npresence-actions = lock-session teleport\n' \
	> "$XDG_CONFIG_HOME/skinkey/skinkey.conf"
skinkeyd --daemon --log-file "$SKNS_LOG/skinkeyd.log" || fail "skinkeyd did not start"
wait_for 60 pgrep -x skinkey-guard || fail "no guard"
sim_out; sim_in   # the PIN cache goes with the chip: the next signature must ask for the PIN
if ssh_login_check "$SSH_AUTH_SOCK"; then fail "a login without a PIN to ask"; fi
wait_for 60 sh -c "skinkey audit tail -n 20 | grep -Eq 'config-error:pinentry-program +ssh-agent:ssh\[[0-9]+\] .*/nonexistent/pinentry +FAILED: bad configuration'" ||
	fail "no config-error row for the missing pinentry: $(skinkey audit tail -n 5)"
wait_for 60 sh -c "skinkey audit tail -n 20 | grep -Eq 'config-error +skinkey-guard .*FAILED: bad configuration'" ||
	fail "no config-error row for the guard's refused setting: $(skinkey audit tail -n 5)"
skinkey --json audit export | /usr/bin/python3 -c '
import json, sys
rows = [r for r in json.load(sys.stdin) if r["action"] == "config-error" and r["actor"] == "skinkey-guard"]
assert rows and rows[-1]["details"]["op"] == "presence-actions", rows' || fail "the guard did not name presence-actions"
