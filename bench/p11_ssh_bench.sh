#!/usr/bin/env bash
# p11_ssh_bench.sh — the PKCS#11 issue's benchmark: APDUs (the simulator counts them) for
# `ssh-keygen -D` with skinkeyd fresh and warm, one `ssh -I` login and one pkcs11-tool signature,
# with skinkey-pkcs11.so and with OpenSC's opensc-pkcs11.so on the same simulated chip; and the
# wall time of one ssh login at 20 ms per APDU, medians of RUNS. A benchmark, not a test.
#   tests/lib/skns.sh build bench/p11_ssh_bench.sh [RUNS]
set -euo pipefail
source "$SK_SRC/pkcs11/itest_lib.sh"
source "$SK_SRC/tests/lib/sshd.sh"
need ssh ssh-keygen /usr/sbin/sshd
runs=${1:-5}
OSC=/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so
[ -f "$OSC" ] || fail "OpenSC's module is not installed"
w=$SKNS_SCRATCH/p11bench; mkdir -p "$w"; cd "$w"

p11_tokens
p11 --token-label "$PGP" --login --login-type so --so-pin 12345678 --keypairgen \
	--key-type EC:prime256v1 --id 03 >/dev/null 2>&1 || fail "P-256 key generation"
ssh-keygen -D "$SO" > keys.pub || fail "ssh-keygen -D"
sshd_start keys.pub
printf '#!/bin/sh\necho 123456\n' > askpass; chmod 700 askpass
echo hello > m

median() { sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : int((a[NR/2]+a[NR/2+1])/2)}'; }
ms_now() { date +%s%3N; }
stop_daemon() { pkill -x skinkeyd 2>/dev/null || true; for _ in $(seq 40); do pgrep -x skinkeyd >/dev/null || return 0; sleep 0.05; done; }
ssh_login() {  # module
	SSH_ASKPASS=$w/askpass SSH_ASKPASS_REQUIRE=force timeout 60 ssh -F /dev/null -n \
		-o BatchMode=no -o IdentityAgent=none -o PKCS11Provider="$1" \
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		-o PasswordAuthentication=no -o KbdInteractiveAuthentication=no \
		-p "$SSHD_PORT" root@127.0.0.1 true
}
p11_sign() { pkcs11-tool --module "$1" --login --pin 123456 --sign -m ECDSA --id 03 -i m -o s; }
# count CMD...: APDUs of one run
count() { sim reset-stats >/dev/null; "$@" >/dev/null 2>&1 || fail "step failed: $*"; sim_apdus; }
# timed CMD...: median ms over RUNS
timed() {
	local i t0
	for i in $(seq "$runs"); do
		t0=$(ms_now); "$@" >/dev/null 2>&1 || fail "step failed: $*"; echo $(( $(ms_now) - t0 ))
	done | median
}

declare -A a t
# skinkey: "fresh" = skinkeyd not running: the first client starts it and it reads the chip.
stop_daemon
a[sk.list_fresh]=$(count ssh-keygen -D "$SO")
a[sk.list_warm]=$(count ssh-keygen -D "$SO")
a[sk.login]=$(count ssh_login "$SO")
a[sk.login2]=$(count ssh_login "$SO")
a[sk.sign]=$(count p11_sign "$SO")
# OpenSC reads the chip itself in every process: no fresh/warm difference to make.
stop_daemon
a[osc.list_fresh]=$(count ssh-keygen -D "$OSC")
a[osc.list_warm]=$(count ssh-keygen -D "$OSC")
a[osc.login]=$(count ssh_login "$OSC")
a[osc.login2]=$(count ssh_login "$OSC")
a[osc.sign]=$(count p11_sign "$OSC")

sim latency 20 >/dev/null
ssh-keygen -D "$SO" >/dev/null   # skinkeyd running again, chip known
t[sk.login]=$(timed ssh_login "$SO")
t[sk.listlogin]=$(timed sh -c "ssh-keygen -D '$SO' && $(declare -f ssh_login); SSHD_PORT=$SSHD_PORT w=$w ssh_login '$SO'")
stop_daemon
t[osc.login]=$(timed ssh_login "$OSC")
t[osc.listlogin]=$(timed sh -c "ssh-keygen -D '$OSC' && $(declare -f ssh_login); SSHD_PORT=$SSHD_PORT w=$w ssh_login '$OSC'")
sim latency 0 >/dev/null

printf '\nPKCS#11 on the simulated flexSecure (P-256 AUT key)\n\n'
printf '| %-44s | %9s | %9s | %7s |\n' "APDUs" skinkey OpenSC ratio
printf '|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..46})" "-----------" "-----------" "---------"
ratio() { awk -v s="$1" -v o="$2" 'BEGIN { if (s == 0) print "inf"; else printf "%.1fx", o / s }'; }
row() { printf '| %-44s | %9s | %9s | %7s |\n' "$1" "${a[sk.$2]}" "${a[osc.$2]}" "$(ratio "${a[sk.$2]}" "${a[osc.$2]}")"; }
row "ssh-keygen -D, skinkeyd fresh" list_fresh
row "ssh-keygen -D, warm" list_warm
row "ssh -I login (first)" login
row "ssh -I login (next)" login2
row "pkcs11-tool --sign (ECDSA)" sign
lsk=$(( ${a[sk.list_warm]} + ${a[sk.login2]} )); losc=$(( ${a[osc.list_warm]} + ${a[osc.login2]} ))
printf '| %-44s | %9s | %9s | %7s |\n' "listing + login (warm)" "$lsk" "$losc" "$(ratio "$lsk" "$losc")"
printf '\n| %-44s | %9s | %9s | %7s |\n' "wall time, 20 ms/APDU, median of $runs (ms)" skinkey OpenSC ratio
printf '|%s|%s|%s|%s|\n' "$(printf -- '-%.0s' {1..46})" "-----------" "-----------" "---------"
printf '| %-44s | %9s | %9s | %7s |\n' "one ssh -I login" "${t[sk.login]}" "${t[osc.login]}" "$(ratio "${t[sk.login]}" "${t[osc.login]}")"
printf '| %-44s | %9s | %9s | %7s |\n' "ssh-keygen -D + ssh -I login" "${t[sk.listlogin]}" "${t[osc.listlogin]}" "$(ratio "${t[sk.listlogin]}" "${t[osc.listlogin]}")"
