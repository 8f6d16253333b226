#!/usr/bin/env bash
# guard_burn.sh — burn-context actions (issue 13): when skinkeyd publishes SKD_EV_CONTEXT for
# the burn context (the DuressApplet's context 2; published here by the TESTCONTEXT test hook,
# as the duress unlock does), skinkey-guard runs burn-actions from skinkey.conf (here
# lock-agents, drop-pins and exec) at each entry, and not for another context. The guard's key
# for the context reaches it over the event connection only: EVENTS --ctx is refused to any
# other client, and neither the context secret nor the key derived from it is in any file of
# skinkey's (state.db and its outbox, audit.db, the logs).
. "$SK_SRC/tests/lib/common.sh"
. "$SK_SRC/tests/integration/agent_lib.inc"
. "$SK_SRC/tests/lib/gpgcard.sh"
need gpg gpgconf ssh-keygen ssh-add /usr/bin/python3
S=$SKNS_SCRATCH/burn; mkdir -p "$S"
mkdir -p "$XDG_CONFIG_HOME/skinkey"
printf 'pinentry-program = %s\naudit-deadline = 2s\nburn-actions = lock-agents drop-pins exec echo "$SKINKEY_REASON" >> %s\n' \
	"$SK_SRC/tests/lib/pinentry-test" "$S/burned" > "$XDG_CONFIG_HOME/skinkey/skinkey.conf"
GPGCARD_SCD=gnupg gpgcard_setup_agent
gpgcard_generate_ed25519 "Burn User" burn@example.org
gpgconf --kill scdaemon; gpgconf --kill gpg-agent
printf '#!/bin/sh\nexec %s "$@" --log-file %s -v\n' "$SK_BUILD/guard/skinkey-guard" "$SKNS_LOG/guard.log" > "$S/guard"
chmod +x "$S/guard"; export SKINKEY_GUARD_PROGRAM=$S/guard
SKINKEY_TEST_HOOKS=1 skinkeyd --daemon --log-file "$SKNS_LOG/skinkeyd.log" || fail "skinkeyd did not start"
wait_for 60 pgrep -x skinkey-guard || fail "no guard"
export SSH_AUTH_SOCK=$XDG_RUNTIME_DIR/skinkey/S.ssh
wait_for 60 test -S "$SSH_AUTH_SOCK" || fail "no ssh-agent socket"
ssh-add -L | grep ssh-ed25519 | head -1 > "$S/aut.pub" || fail "ssh-add -L"
echo "a message" > "$S/msg"
sign() { ssh-keygen -Y sign -q -f "$S/aut.pub" -n guard-burn "$S/msg" < /dev/null > "$S/sign.out" 2>&1; }
sign || fail "ssh signature before any context: $(cat "$S/sign.out")"

# only the guard gets the context's key
out=$(skd 'EVENTS --ctx=0')
expect_match "$out" '^ERR .*skinkey-guard only' "EVENTS --ctx refused to another client"

secret() { /usr/bin/python3 -c 'import os; print(os.urandom(32).hex())'; }
count() { [ -f "$S/burned" ] && grep -c burn-context "$S/burned" || echo 0; }
burned_twice() { [ "$(count)" = 2 ]; }
s1=$(secret); s2=$(secret)
# the decoy context (1): nothing runs; then the burn context (2): the actions run once
skd "TESTCONTEXT 1 $s1" | grep_all '^OK' || fail "TESTCONTEXT 1"
skd "TESTCONTEXT 1 end" | grep_all '^OK' || fail "TESTCONTEXT 1 end"
skd "TESTCONTEXT 2 $s2" | grep_all '^OK' || fail "TESTCONTEXT 2"
wait_for 60 test -s "$S/burned" || fail "burn-actions did not run (exec)"
expect_eq "$(count)" 1 "burn-actions ran once (not for the decoy)"
wait_for 60 grep -q 'lock-agents drop-pins exec' "$SKNS_LOG/guard.log" || fail "the guard did not run lock-agents and drop-pins"
if sign; then fail "the ssh-agent door signed after lock-agents"; fi
grep -q 'door locked by presence' "$SKNS_LOG/skinkeyd.log" || fail "skinkeyd did not refuse the ssh-agent door"
# its end, and a new entry: once more
skd "TESTCONTEXT 2 end" | grep_all '^OK' || fail "TESTCONTEXT 2 end"
skd "TESTCONTEXT 2 $(secret)" | grep_all '^OK' || fail "TESTCONTEXT 2 (second entry)"
wait_for 60 burned_twice || fail "burn-actions did not run for the second entry ($(count))"
skd "TESTCONTEXT 2 end" | grep_all '^OK' || fail "TESTCONTEXT 2 end"

# neither the secret nor the guard's key from it in any file of skinkey's
/usr/bin/python3 - "$s1" "$s2" "$XDG_DATA_HOME/skinkey" "$SKNS_LOG" <<'PY' || fail "a context secret or key on disk"
import hashlib, hmac, os, sys
def hkdf(ikm):  # RFC 5869, SHA-256, no salt, info "skinkey-guard-context-v1", 32 bytes
    prk = hmac.new(b"\0" * 32, ikm, hashlib.sha256).digest()
    return hmac.new(prk, b"skinkey-guard-context-v1\x01", hashlib.sha256).digest()
needles = []
for s in sys.argv[1:3]:
    raw = bytes.fromhex(s)
    for b in (raw, hkdf(raw)):
        needles += [b, b.hex().encode(), b.hex().upper().encode()]
bad = []
for d in sys.argv[3:5]:
    for root, _, files in os.walk(d):
        for f in files:
            data = open(os.path.join(root, f), "rb").read()
            bad += [f for n in needles if n in data]
assert not bad, f"found in {sorted(set(bad))}"
PY
echo "guard_burn: ok"
