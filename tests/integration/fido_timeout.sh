#!/usr/bin/env bash
# skinkey-sk.so when the implant never comes: ssh waits for the tap up to skinkeyd's tap-timeout,
# then fails with a clear message (not a hang, not OpenSSH's bare "device not found").
source "$SK_SRC/tests/lib/common.sh"
source "$SK_SRC/tests/integration/agent_lib.inc"
source "$SK_SRC/tests/lib/sshd.sh"
need skinkeyd skinkey-sim ssh ssh-keygen /usr/sbin/sshd
SKP=$SK_BUILD/fido/client/skinkey-sk.so
S=$SKNS_SCRATCH
mkdir -p "$XDG_CONFIG_HOME/skinkey"
printf 'tap-timeout = 3s\n' > "$XDG_CONFIG_HOME/skinkey/skinkey.conf"

ssh-keygen -q -t ecdsa-sk -w "$SKP" -N '' -f "$S/id" < /dev/null || fail "ssh-keygen -t ecdsa-sk"
sshd_start "$S/id.pub"
sim remove > /dev/null
chip_away() { skd CHIPS | grep -Eq '^S CHIP fs-[0-9a-f]+ 0 '; }
wait_for 10 chip_away || fail "skinkeyd did not see the chip leave"
t0=$(date +%s%N)
rc=0
out=$(timeout 60 ssh -F /dev/null -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
	-o LogLevel=ERROR -o BatchMode=yes -o SecurityKeyProvider="$SKP" -o IdentitiesOnly=yes \
	-i "$S/id" -p "$SSHD_PORT" root@127.0.0.1 true < /dev/null 2>&1) || rc=$?
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || fail "ssh without a tap: rc=$rc: $out"
expect_match "$out" "skinkey-sk: the implant was not tapped within skinkeyd's tap-timeout" "a clear message"
[ "$ms" -ge 3000 ] || fail "gave up after $ms ms, before the 3 s tap-timeout"
[ "$ms" -lt 30000 ] || fail "gave up only after $ms ms"
note "no tap: ssh failed after $ms ms (tap-timeout 3 s)"
echo "fido_timeout: ok"
