#!/usr/bin/env bash
# fido_bench.sh — issue 11's figures: APDUs (counted by the simulator) and wall time at 20 ms per
# APDU of an ecdsa-sk enrolment, one ssh login with an ecdsa-sk key without PIN, one with PIN
# (verify-required), `ssh-keygen -K`, all through skinkey-sk.so and skinkeyd; and the same
# getAssertion (device open included) made by python3-fido2's own PC/SC client on the same chip.
# A benchmark, not a test:  tests/lib/skns.sh build bench/fido_bench.sh [RUNS]
set -euo pipefail
source "$SK_SRC/tests/lib/common.sh"
source "$SK_SRC/tests/integration/agent_lib.inc"
source "$SK_SRC/tests/lib/sshd.sh"
need skinkeyd skinkey-sim ssh ssh-keygen /usr/sbin/sshd /usr/bin/python3
runs=${1:-3}
SKP=$SK_BUILD/fido/client/skinkey-sk.so
w=$SKNS_SCRATCH/fidobench; mkdir -p "$w" "$XDG_CONFIG_HOME/skinkey"; cd "$w"
printf 'tap-timeout = 30s\n' > "$XDG_CONFIG_HOME/skinkey/skinkey.conf"
skinkeyd --daemon --log-file "$SKNS_LOG/skinkeyd.log" || fail "skinkeyd did not start"
printf '#!/bin/sh\necho 4321\n' > askpass; chmod 700 askpass
export SSH_ASKPASS=$w/askpass SSH_ASKPASS_REQUIRE=force DISPLAY=:0

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'; }
ms_now() { date +%s%3N; }
login() {  # key
	timeout 60 ssh -F /dev/null -n -o BatchMode=no -o IdentityAgent=none -o IdentitiesOnly=yes \
		-o SecurityKeyProvider="$SKP" -i "$1" -o StrictHostKeyChecking=no \
		-o UserKnownHostsFile=/dev/null -p "$SSHD_PORT" root@127.0.0.1 true
}
enrol() { rm -f "$w/e" "$w/e.pub"; ssh-keygen -q -t ecdsa-sk -w "$SKP" -N '' -f "$w/e" < /dev/null; }
download() { rm -rf "$w/k"; mkdir "$w/k"; (cd "$w/k" && ssh-keygen -K -w "$SKP" -N '' < /dev/null); }
count() { sim reset-stats >/dev/null; "$@" >/dev/null 2>&1 || fail "step failed: $*"; sim_apdus; }
timed() {
	local i t0
	for i in $(seq "$runs"); do
		t0=$(ms_now); "$@" >/dev/null 2>&1 || fail "step failed: $*"; echo $(( $(ms_now) - t0 ))
	done | median
}

declare -A a t
ssh-keygen -q -t ecdsa-sk -w "$SKP" -N '' -f nopin < /dev/null || fail "enrolment"
skinkey fido info > /dev/null 2>&1 || true
echo 4321 | skinkey fido pin set > /dev/null || fail "pin set"
ssh-keygen -q -t ecdsa-sk -w "$SKP" -O verify-required -N '' -f uv < /dev/null || fail "verify-required enrolment"
ssh-keygen -q -t ecdsa-sk -w "$SKP" -O resident -O application=ssh:bench -N '' -f rk < /dev/null ||
	fail "resident enrolment"
cat nopin.pub uv.pub > keys.pub
sshd_start keys.pub
login nopin || fail "warm-up login"

a[enrol]=$(count enrol); a[login]=$(count login nopin); a[login_pin]=$(count login uv)
a[K]=$(count download)
sim latency 20 >/dev/null
t[enrol]=$(timed enrol); t[login]=$(timed login nopin); t[login_pin]=$(timed login uv)
t[K]=$(timed download)
sim latency 0 >/dev/null

# python3-fido2 0.9's own PC/SC client: open (SELECT, getInfo) + getAssertion, without and with
# PIN (getKeyAgreement, getPinToken), on a credential of its own; APDUs per phase by the sim.
/usr/bin/python3 - "$SK_READER0" "$runs" > py.out <<'PY'
import hashlib, subprocess, sys, time
from smartcard.System import readers
from fido2.pcsc import CtapPcscDevice
from fido2.ctap2 import Ctap2
from fido2.ctap2.pin import ClientPin

def sim(cmd):
    return subprocess.run(["skinkey-sim", "ctl", cmd], capture_output=True, text=True, check=True).stdout
def apdus():
    return int([l for l in sim("stats").splitlines() if l.startswith("apdus=")][0][6:])
reader = [r for r in readers() if str(r) == sys.argv[1]][0]
runs = int(sys.argv[2])
def open_ctap():
    return Ctap2(CtapPcscDevice(reader.createConnection(), str(reader)))
cdh = hashlib.sha256(b"bench").digest()
ctap = open_ctap()
token = ClientPin(ctap).get_pin_token("4321")
pp = ClientPin(ctap).protocol
att = ctap.make_credential(cdh, {"id": "ssh:py"}, {"id": b"u", "name": "u"},
    [{"type": "public-key", "alg": -7}], pin_uv_param=pp.authenticate(token, cdh), pin_uv_protocol=pp.VERSION)
allow = [{"type": "public-key", "id": att.auth_data.credential_data.credential_id}]
def nopin():
    open_ctap().get_assertion("ssh:py", cdh, allow)
def withpin():
    c = open_ctap()
    cp = ClientPin(c)
    t = cp.get_pin_token("4321")
    c.get_assertion("ssh:py", cdh, allow, pin_uv_param=cp.protocol.authenticate(t, cdh), pin_uv_protocol=cp.protocol.VERSION)
for name, fn in (("nopin", nopin), ("pin", withpin)):
    sim("reset-stats"); fn(); n = apdus()
    sim("latency 20")
    ms = []
    for _ in range(runs):
        t0 = time.monotonic(); fn(); ms.append(int((time.monotonic() - t0) * 1000))
    sim("latency 0")
    print(name, n, sorted(ms)[len(ms) // 2])
PY
read -r _ a[py_login] t[py_login] < <(grep '^nopin ' py.out)
read -r _ a[py_login_pin] t[py_login_pin] < <(grep '^pin ' py.out)

printf '\nFIDO2 on the simulated flexSecure, 20 ms per APDU, median of %s\n\n' "$runs"
printf '| %-46s | %5s | %8s | %16s | %9s |\n' operation APDUs ms "python3-fido2 APDUs" "python ms"
printf '|%s|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..48})" "-------" "----------" "------------------" "-----------"
printf '| %-46s | %5s | %8s | %16s | %9s |\n' "ssh-keygen -t ecdsa-sk (enrolment, PIN)" "${a[enrol]}" "${t[enrol]}" - -
printf '| %-46s | %5s | %8s | %16s | %9s |\n' "ssh login, ecdsa-sk key without PIN" "${a[login]}" "${t[login]}" "${a[py_login]}" "${t[py_login]}"
printf '| %-46s | %5s | %8s | %16s | %9s |\n' "ssh login, verify-required key (PIN)" "${a[login_pin]}" "${t[login_pin]}" "${a[py_login_pin]}" "${t[py_login_pin]}"
printf '| %-46s | %5s | %8s | %16s | %9s |\n' "ssh-keygen -K (one resident key)" "${a[K]}" "${t[K]}" - -
printf '\n(python3-fido2: device open + getAssertion of its own credential, the PC/SC path it has;\n'
printf 'ssh times include ssh'"'"'s own key exchange and process start.)\n'
