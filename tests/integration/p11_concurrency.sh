#!/usr/bin/env bash
# p11_concurrency.sh — four processes on one chip through skinkey-pkcs11.so for a minute: two
# `ssh -I` login loops to a loopback sshd and two pkcs11-tool ECDSA signing loops. Zero failures,
# no deadlock (every loop must keep succeeding until the end).
source "$SK_SRC/pkcs11/itest_lib.sh"
source "$SK_SRC/tests/lib/sshd.sh"
source "$SK_SRC/tests/lib/contention.sh"
need ssh ssh-keygen pkcs11-tool /usr/sbin/sshd
secs=${SK_CONTENTION_SECONDS:-60}
w=$SKNS_SCRATCH/p11conc; mkdir -p "$w"; cd "$w"
p11_tokens
p11 --token-label "$PGP" --login --login-type so --so-pin 12345678 --keypairgen \
	--key-type EC:prime256v1 --id 03 >/dev/null 2>&1 || fail "P-256 key generation"
ssh-keygen -D "$SO" > keys.pub || fail "ssh-keygen -D"
sshd_start keys.pub
printf '#!/bin/sh\necho 123456\n' > askpass; chmod 700 askpass
head -c 32 /dev/urandom > h

login() {
	SSH_ASKPASS=$w/askpass SSH_ASKPASS_REQUIRE=force timeout 60 ssh -F /dev/null -n \
		-o BatchMode=no -o IdentityAgent=none -o PKCS11Provider="$SO" \
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o LogLevel=ERROR \
		-o PasswordAuthentication=no -o KbdInteractiveAuthentication=no \
		-p "$SSHD_PORT" root@127.0.0.1 true
}
sign() {
	timeout 60 pkcs11-tool --module "$SO" --token-label "$PGP" --login --pin 123456 \
		--sign -m ECDSA --id 03 -i h -o "sig.$BASHPID"
}
deadline=$(( $(date +%s) + secs ))
pids=()
for n in 1 2; do
	_cont_loop "ssh$n" "$deadline" login & pids+=($!)
	_cont_loop "p11sign$n" "$deadline" sign & pids+=($!)
done
wait "${pids[@]}"
for n in 1 2; do
	for l in "ssh$n" "p11sign$n"; do
		line=$(cat "$SKNS_LOG/contention-$l.result")
		echo "$line"
		expect_match "$line" ' fail=0$' "$l had failures (first: $(head -c 300 "$SKNS_LOG/contention-$l.err" 2>/dev/null))"
		expect_match "$line" ' ok=[1-9]' "$l never succeeded"
	done
done
echo "p11 concurrency: ok"
