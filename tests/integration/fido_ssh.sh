#!/usr/bin/env bash
# skinkey-sk.so with the real OpenSSH programs on a loopback sshd and the simulated chip:
# ecdsa-sk without PIN (ssh-keygen -w, login with SecurityKeyProvider); ed25519-sk refused with a
# reason; a resident key with a PIN, got back by `ssh-keygen -K` on a clean HOME, login with it;
# verify-required with sshd's verify-required; the key in ssh-agent (-P allowing the provider);
# the chip away when ssh starts and tapped while ssh waits; the chip leaving mid-assertion; a wrong
# PIN spends exactly one retry.
source "$SK_SRC/tests/lib/common.sh"
source "$SK_SRC/tests/integration/agent_lib.inc"
source "$SK_SRC/tests/lib/sshd.sh"
need skinkeyd skinkey-sim ssh ssh-keygen ssh-agent ssh-add /usr/sbin/sshd
SKP=$SK_BUILD/fido/client/skinkey-sk.so
FR=$SK_BUILD/fido/client/fido_check_relay
S=$SKNS_SCRATCH
mkdir -p "$XDG_CONFIG_HOME/skinkey" "$HOME/.ssh"
printf 'tap-timeout = 20s\n' > "$XDG_CONFIG_HOME/skinkey/skinkey.conf"
log=$SKNS_LOG/skinkeyd.log
skinkeyd --daemon --log-file "$log" || fail "skinkeyd did not start"

# PINs come from an askpass program (ssh, ssh-keygen and ssh-add all use it when forced)
printf '#!/bin/sh\necho "$1" >> %s/askpass.log\ncat %s/pin\n' "$S" "$S" > "$S/askpass"
chmod +x "$S/askpass"
export SSH_ASKPASS=$S/askpass SSH_ASKPASS_REQUIRE=force DISPLAY=:0
setpin() { printf '%s\n' "$1" > "$S/pin"; }
sshx() {
	ssh -F /dev/null -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		-o ConnectTimeout=30 -o LogLevel=ERROR -o SecurityKeyProvider="$SKP" -o IdentitiesOnly=yes \
		-p "$SSHD_PORT" "$@" root@127.0.0.1 echo logged-in < /dev/null
}

# 1. ecdsa-sk without PIN
ssh-keygen -q -t ecdsa-sk -w "$SKP" -N '' -C nopin -f "$HOME/.ssh/id_nopin" < /dev/null ||
	fail "ssh-keygen -t ecdsa-sk"
expect_match "$(cat "$HOME/.ssh/id_nopin.pub")" '^sk-ecdsa-sha2-nistp256@openssh.com ' "ecdsa-sk public key"
out=$(ssh-keygen -q -t ed25519-sk -w "$SKP" -N '' -f "$S/id_ed" < /dev/null 2>&1) &&
	fail "ed25519-sk enrolled: $out"
expect_match "$out" 'no Ed25519' "ed25519-sk refused with the reason"
cp "$HOME/.ssh/id_nopin.pub" "$S/authorized_keys"
sshd_start "$S/authorized_keys"
out=$(sshx -i "$HOME/.ssh/id_nopin" 2>&1) || fail "login with the ecdsa-sk key: $out"
expect_match "$out" 'logged-in' "login without PIN"

# the login's assertion is in the audit chain: the fido door, the relying party, the result
AUDIT_DB=$XDG_DATA_HOME/skinkey/audit.db
sql() { /usr/bin/python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); [print("|".join(map(str,r))) for r in c.execute(sys.argv[2])]' "$@"; }
audited() { [ -f "$AUDIT_DB" ] && [ -n "$(sql "$AUDIT_DB" "select seq from audit where action='key-op:fido-assert'")" ]; }
wait_for 20 audited || fail "no key-op:fido-assert row in the audit chain"
row=$(sql "$AUDIT_DB" "select actor, details from audit where action='key-op:fido-assert' order by seq desc limit 1")
expect_match "$row" '^fido:' "the fido door"
expect_match "$row" 'object=ssh:' "the relying party recorded"
expect_match "$row" 'result=ok' "result recorded"

# 2. the key in ssh-agent
eval "$(ssh-agent -s -P "$SKP")" > /dev/null
SSH_SK_PROVIDER=$SKP ssh-add "$HOME/.ssh/id_nopin" < /dev/null 2> "$S/ssh-add.err" ||
	fail "ssh-add: $(cat "$S/ssh-add.err")"
out=$(SSH_AUTH_SOCK=$SSH_AUTH_SOCK ssh -F /dev/null -o StrictHostKeyChecking=no \
	-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR -o BatchMode=yes -p "$SSHD_PORT" \
	root@127.0.0.1 echo via-agent < /dev/null 2>&1) || fail "login through ssh-agent: $out"
expect_match "$out" 'via-agent' "login through the agent"
ssh-agent -k > /dev/null

# 3. chip away when ssh starts, tapped while ssh waits
sim remove > /dev/null
chip_away() { skd CHIPS | grep -Eq '^S CHIP fs-[0-9a-f]+ 0 '; }
wait_for 20 chip_away || fail "skinkeyd did not see the chip leave"
: > "$log.mark"; n0=$(grep -c 'tap chip' "$log" || true)
sshx -i "$HOME/.ssh/id_nopin" > "$S/away.out" 2>&1 &
client=$!
wait_for 30 sh -c "[ \$(grep -c 'tap chip' '$log') -gt $n0 ]" || fail "ssh's signature did not wait for a tap"
kill -0 "$client" 2>/dev/null || fail "ssh ended while waiting for the tap: $(cat "$S/away.out")"
sim tap > /dev/null
wait "$client" || fail "login after the tap: $(cat "$S/away.out")"
expect_match "$(cat "$S/away.out")" 'logged-in' "login after the tap"

# 4. a PIN, a resident key, ssh-keygen -K on a clean HOME, login with it
out=$("$FR" setpin 4321 2>&1) || fail "setting the FIDO PIN: $out"
setpin 4321
ssh-keygen -q -t ecdsa-sk -w "$SKP" -O resident -O application=ssh:skt -N '' -C rk \
	-f "$HOME/.ssh/id_rk" < /dev/null 2> "$S/rk.err" || fail "resident ssh-keygen: $(cat "$S/rk.err")"
mkdir "$S/clean" && cd "$S/clean"
HOME=$S/clean ssh-keygen -K -w "$SKP" -N '' < /dev/null 2> "$S/k.err" || fail "ssh-keygen -K: $(cat "$S/k.err")"
[ -f "$S/clean/id_ecdsa_sk_rk_skt.pub" ] || fail "ssh-keygen -K wrote: $(ls "$S/clean"): $(cat "$S/k.err")"
expect_eq "$(cut -d' ' -f2 "$S/clean/id_ecdsa_sk_rk_skt.pub")" "$(cut -d' ' -f2 "$HOME/.ssh/id_rk.pub")" \
	"the key got back by -K is the one enrolled"
cd "$S"
cat "$HOME/.ssh/id_rk.pub" >> "$S/authorized_keys"
cp "$S/authorized_keys" "$SSHD_DIR/authorized_keys"
out=$(sshx -i "$S/clean/id_ecdsa_sk_rk_skt" 2>&1) || fail "login with the key from -K: $out"
expect_match "$out" 'logged-in' "login with the resident key (PIN)"
expect_eq "$("$FR" retries)" 8 "retries after right PINs"

# 5. verify-required on both sides
ssh-keygen -q -t ecdsa-sk -w "$SKP" -O verify-required -N '' -C uv -f "$HOME/.ssh/id_uv" \
	< /dev/null 2> "$S/uv.err" || fail "verify-required ssh-keygen: $(cat "$S/uv.err")"
echo "verify-required $(cat "$HOME/.ssh/id_uv.pub")" > "$SSHD_DIR/authorized_keys"
out=$(sshx -i "$HOME/.ssh/id_uv" 2>&1) || fail "login with a verify-required key: $out"
expect_match "$out" 'logged-in' "verify-required login"

# 6. a wrong PIN: exactly one retry spent, read back from the chip
setpin 9999
out=$(sshx -i "$HOME/.ssh/id_uv" 2>&1) && fail "login with a wrong PIN: $out"
expect_eq "$("$FR" retries)" 7 "a wrong PIN spends exactly one retry"

# 7. the chip leaves mid-assertion: a clear error within the timeout, no hang
setpin 4321
cp "$HOME/.ssh/id_nopin.pub" "$SSHD_DIR/authorized_keys"
sim cut-after 0 > /dev/null
t0=$(date +%s)
rc=0
out=$(timeout 60 ssh -F /dev/null -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
	-o LogLevel=ERROR -o SecurityKeyProvider="$SKP" -o IdentitiesOnly=yes -o BatchMode=yes \
	-i "$HOME/.ssh/id_nopin" -p "$SSHD_PORT" root@127.0.0.1 true < /dev/null 2>&1) || rc=$?
t1=$(date +%s)
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || fail "ssh with the chip cut mid-assertion: rc=$rc: $out"
expect_match "$out" 'skinkey-sk: ' "a clear error from the provider"
note "chip cut mid-assertion: ssh failed after $((t1 - t0)) s: $(grep skinkey-sk <<< "$out" | head -1)"
sim tap > /dev/null
echo "fido_ssh: ok"
