#!/usr/bin/env bash
# guard_crash.sh — exactly once across SIGKILL (issue 10): mixed Ed25519 signatures through all
# three doors (gpg via gpg-agent + skinkey-scd, ssh-keygen -Y sign via skinkeyd's ssh-agent socket,
# pkcs11-tool via skinkey-pkcs11.so), with skinkeyd and skinkey-guard each SIGKILLed at random
# moments during operations (at least 10 times each). Then: every operation whose client saw
# success is in the audit chain (matched by the SHA-256 of the data the chip signed, which the
# test computes on its own from what the client signed), no event is recorded twice (same outbox
# time and content) and no signature counter twice; the chain verifies with the
# recovery code, and with the guard stopped (an event waiting for it) a key operation on every
# door is refused with
# "skinkey-guard is not running: operation not recorded" (and that refusal is in the chain).
# GUARD_CRASH_OPS (default 1000, the issue's figure: about 90 s here) sets the number of operations.
. "$SK_SRC/tests/lib/common.sh"
. "$SK_SRC/tests/integration/agent_lib.inc"
. "$SK_SRC/tests/lib/gpgcard.sh"
need gpg gpgconf ssh-keygen ssh-add pkcs11-tool /usr/bin/python3
OPS=${GUARD_CRASH_OPS:-1000}
S=$SKNS_SCRATCH/crash; mkdir -p "$S"
SO=$SK_BUILD/pkcs11/skinkey-pkcs11.so
STATE_DB=$XDG_DATA_HOME/skinkey/state.db

mkdir -p "$XDG_CONFIG_HOME/skinkey"
printf 'pinentry-program = %s\naudit-deadline = 3s\n' "$SK_SRC/tests/lib/pinentry-test" \
	> "$XDG_CONFIG_HOME/skinkey/skinkey.conf"
GPGCARD_SCD=gnupg gpgcard_setup_agent
gpgcard_generate_ed25519 "Crash User" crash@example.org
gpgconf --kill scdaemon; gpgconf --kill gpg-agent
GPGCARD_SCD=skinkey gpgcard_setup_agent

# (a SIGKILLed daemon may linger as a zombie for a moment: only a live one counts)
skd_start() { pgrep -x -r R,S,D,T skinkeyd >/dev/null || skinkeyd --daemon --log-file "$SKNS_LOG/skinkeyd.log" || true; }
# skd_agent_back: a daemon runs (started again if needed) and its ssh-agent lists the key
skd_agent_back() { skd_start; ssh-add -L 2>/dev/null | grep_all ssh-ed25519; }
skd_start
wait_for 60 pgrep -x skinkey-guard || fail "skinkeyd did not start skinkey-guard"
skinkey audit init > "$S/init.txt" || fail "skinkey audit init"
grep -Eo '([0-9a-f]{4}-){15}[0-9a-f]{4}' "$S/init.txt" > "$S/code" || fail "no recovery code"
export SSH_AUTH_SOCK=$XDG_RUNTIME_DIR/skinkey/S.ssh
wait_for 60 test -S "$SSH_AUTH_SOCK" || fail "no ssh-agent socket"
ssh-add -L | grep ssh-ed25519 | head -1 > "$S/aut.pub" || fail "ssh-add -L"
PGP=$(pkcs11-tool --module "$SO" -L 2>/dev/null | sed -n 's/^ *token label *: *\(fs-[0-9a-f]* OpenPGP\).*/\1/p' | head -1)
[ -n "$PGP" ] || fail "no OpenPGP token"

# The SHA-256 skinkeyd records (sha256 of the data that went to the chip), computed here from what
# each client signed: gpg's EdDSA digest from the signature packet, the SSHSIG blob, the message.
cat > "$S/expect.py" <<'PY'
import hashlib, struct, sys
door, path = sys.argv[1], sys.argv[2]
msg = open(path, "rb").read()
if door == "gpg":
    b = open(path + ".sig", "rb").read()
    if b[0] & 0x40:
        l = b[1]; off = 2 if l < 192 else 3 if l < 224 else 6
    else:
        off = 1 + (1, 2, 4)[b[0] & 3]
    p = b[off:]
    assert p[0] == 4, "v4 signature"
    hl = struct.unpack(">H", p[4:6])[0]
    hashed = p[:6 + hl]
    h = hashlib.new({2: "sha1", 8: "sha256", 9: "sha384", 10: "sha512", 11: "sha224"}[p[3]])
    h.update(msg + hashed + b"\x04\xff" + struct.pack(">I", len(hashed)))
    data = h.digest()
elif door == "ssh":
    s = lambda x: struct.pack(">I", len(x)) + x
    data = b"SSHSIG" + s(b"guard-crash") + s(b"") + s(b"sha512") + s(hashlib.sha512(msg).digest())
else:
    data = msg
print(hashlib.sha256(data).hexdigest())
PY

op() {  # op I DOOR: one signature; 0 when the client saw success
	local i=$1 door=$2 m
	m=$S/m$i
	printf 'guard crash test op %s %s %s\n' "$i" "$door" "$RANDOM$RANDOM" > "$m"
	case $door in
	gpg) gpg --batch --yes -u crash@example.org --detach-sign -o "$m.sig" "$m" 2> "$m.err" ;;
	ssh) ssh-keygen -Y sign -q -f "$S/aut.pub" -n guard-crash "$m" < /dev/null > "$m.err" 2>&1 ;;
	p11) pkcs11-tool --module "$SO" --token-label "$PGP" --login --pin 123456 --sign -m EDDSA \
		--id 01 -i "$m" -o "$m.sig" > "$m.err" 2>&1 ;;
	esac
}
record_ok() {  # record_ok I DOOR
	echo "$2 $(/usr/bin/python3 "$S/expect.py" "$2" "$S/m$1")" >> "$S/expected"
}

# 1. A guard that does not acknowledge: every door refuses, with the message
# (an event the stopped guard cannot acknowledge: the chip leaves and comes back; an operation
# waits for every earlier event, its own is durable in the outbox before its client is answered)
g=$(pgrep -x skinkey-guard | head -1)
kill -STOP "$g"
sim remove; wait_for 60 sh -c "! gpg-connect-agent -S '$SKD_SOCK' CHIPS /bye | grep -q 'CHIP fs-[0-9a-f]* 1'"
sim tap; wait_for 60 sh -c "gpg-connect-agent -S '$SKD_SOCK' CHIPS /bye | grep -q 'CHIP fs-[0-9a-f]* 1'"
for door in gpg ssh p11; do
	if op "x$door" "$door"; then fail "$door signed while the guard did not acknowledge"; fi
done
kill -CONT "$g"
expect_match "$(cat "$S/mxgpg.err")" 'Not operational|operation not recorded' "gpg says why"
expect_match "$(cat "$S/mxp11.err")" 'skinkey-pkcs11: .*operation not recorded' "the module says why"
expect_match "$(cat "$S/mxp11.err")" 'CKR_FUNCTION_REJECTED|\(0x200\)' "pkcs11-tool gets CKR_FUNCTION_REJECTED (0x200)"
expect_match "$(cat "$S/mxssh.err")" 'agent refused operation|Couldn.t sign' "ssh-keygen is refused"
[ "$(grep -c 'skinkey-guard is not running or does not acknowledge' "$SKNS_LOG/skinkeyd.log")" -ge 3 ] ||
	fail "skinkeyd did not log the three refusals"

# 2. Mixed operations; every 6th runs while one of the daemons is SIGKILLed at a random moment.
# (The random delay only picks the moment of the kill; nothing waits on it.)
: > "$S/expected"
ok=0 failed=0 kills_skd=0 kills_guard=0
doors=(gpg ssh p11)
for ((i = 1; i <= OPS; i++)); do
	door=${doors[$((RANDOM % 3))]}
	if ((i % 6 == 0)); then
		op "$i" "$door" & p=$!
		sleep "0.$(printf %03d $((RANDOM % 250)))"
		if ((i % 12 == 0)); then
			victim=$(pgrep -x skinkeyd | head -1); [ -n "$victim" ] && kill -KILL "$victim" && kills_skd=$((kills_skd + 1))
		else
			victim=$(pgrep -x skinkey-guard | head -1); [ -n "$victim" ] && kill -KILL "$victim" && kills_guard=$((kills_guard + 1))
		fi
		if wait "$p"; then record_ok "$i" "$door"; ok=$((ok + 1)); else failed=$((failed + 1)); fi
		if ((i % 12 == 0)); then
			# (skinkey-scd reconnects under gpg-agent by itself; the ssh-agent socket needs a
			# daemon, gpg and PKCS#11 start one themselves)
			wait_for 60 skd_agent_back || fail "skinkeyd's ssh-agent did not come back"
		fi
	elif op "$i" "$door"; then
		record_ok "$i" "$door"; ok=$((ok + 1))
	else
		failed=$((failed + 1)); echo "op $i ($door) failed without a kill: $(tail -3 "$S/m$i.err")" >&2
	fi
done
echo "guard_crash: $OPS operations, $ok succeeded, $failed failed; SIGKILL: skinkeyd $kills_skd, guard $kills_guard"
[ "$kills_skd" -ge 10 ] && [ "$kills_guard" -ge 10 ] || fail "too few kills ($kills_skd, $kills_guard)"
[ "$ok" -ge $((OPS * 3 / 4)) ] || fail "only $ok of $OPS operations succeeded"

# 3. Drain: a guard runs and the outbox empties
skd_start
skinkey-guard --daemon
wait_for 60 sh -c "[ \"\$(/usr/bin/python3 -c 'import sqlite3,sys;print(sqlite3.connect(sys.argv[1]).execute(\"select count(*) from outbox\").fetchone()[0])' '$STATE_DB')\" = 0 ]" ||
	fail "the outbox did not empty"

# 4. Exactly once, and the chain verifies
skinkey --json audit export > "$S/export.json" || fail "export"
/usr/bin/python3 - "$S/export.json" "$S/expected" <<'PY' || fail "the chain does not hold every operation exactly once"
import collections, json, sys
rows = json.load(open(sys.argv[1]))
keyops = [r for r in rows if r["action"].startswith("key-op:") and r["details"].get("result") == "ok"]
ok = collections.Counter(r["details"].get("sha256") for r in keyops)
refused = [r for r in rows if r["details"].get("result") == "skinkey-guard is not running: operation not recorded"]
bad = 0
# every operation a client saw succeed is in the chain
for line in open(sys.argv[2]):
    door, sha = line.split()
    if ok[sha] < 1:
        print(f"{door} operation {sha}: not in the chain", file=sys.stderr); bad += 1
# no event twice: an event is its outbox time (ms) and everything else it says
ev = collections.Counter((r["action"], json.dumps(r["details"], sort_keys=True)) for r in rows)
twice = [k for k, n in ev.items() if n > 1]
if twice:
    print(f"{len(twice)} events recorded more than once, e.g. {twice[0]}", file=sys.stderr); bad += 1
# no signature twice: the chip's counter names each signature it made
ctr = collections.Counter((r["details"].get("chip"), r["details"]["counter"]) for r in keyops
                          if r["action"] == "key-op:sign" and "counter" in r["details"])
if any(n > 1 for n in ctr.values()):
    print("a signature counter appears twice", file=sys.stderr); bad += 1
if len(refused) < 3:
    print(f"only {len(refused)} refusals recorded", file=sys.stderr); bad += 1
# a client library that sends an unanswered request again after skinkeyd died (the PKCS#11
# module, skinkey-scd) makes the chip sign twice: two operations, two counters, two rows
again = sum(1 for n in ok.values() if n > 1)
print(f"rows {len(rows)}, key operations ok {len(keyops)}; data signed again by a client's retry: {again}")
sys.exit(1 if bad else 0)
PY
out=$(skinkey audit verify --key-file "$S/code") || fail "the chain does not verify: $out"
expect_match "$out" 'hash chain intact, every seal verified' "verified with the recovery code"
echo "guard_crash: ok"
