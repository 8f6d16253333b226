#!/usr/bin/env bash
# p11_ssh.sh — OpenSSH through skinkey-pkcs11.so against a private sshd on 127.0.0.1: a wrong
# PIN fails cleanly and costs exactly one retry on the chip; the right PIN logs in with the
# P-256 authentication key (INTERNAL AUTHENTICATE) and with the RSA-2048 signature key
# (PSO:CDS with the host-built DigestInfo).
source "$SK_SRC/pkcs11/itest_lib.sh"
need ssh sshd ssh-keygen ss
p11_tokens
p11_keys

d=$SKNS_SCRATCH/ssh
mkdir -p "$d" && chmod 700 "$d"
mkdir -p /run/sshd   # sshd's privilege-separation directory (Debian's own path)
ssh-keygen -q -t ed25519 -N '' -f "$d/hostkey" || fail "host key"
keys=$(ssh-keygen -D "$SO") || fail "ssh-keygen -D"
printf '%s\n' "$keys" | grep '^ecdsa-sha2-nistp256 ' > "$d/aut.pub"
printf '%s\n' "$keys" | grep '^ssh-rsa ' > "$d/sig.pub"
[ -s "$d/aut.pub" ] && [ -s "$d/sig.pub" ] || fail "keys missing: $keys"
port=22$((RANDOM % 90 + 10))
cat > "$d/sshd_config" <<CONF
Port $port
ListenAddress 127.0.0.1
HostKey $d/hostkey
PidFile $d/sshd.pid
AuthorizedKeysFile $d/authorized_keys
PermitRootLogin yes
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
StrictModes no
LogLevel VERBOSE
CONF
/usr/sbin/sshd -D -e -f "$d/sshd_config" > "$SKNS_LOG/sshd.log" 2>&1 &
wait_for 60 sh -c "ss -ltn | grep -q ':$port '" || fail "sshd did not listen: $(cat "$SKNS_LOG/sshd.log")"

printf '#!/bin/sh\necho "$P11_TEST_PIN"\n' > "$d/askpass"
chmod 700 "$d/askpass"
login() {  # PIN
	P11_TEST_PIN=$1 SSH_ASKPASS="$d/askpass" SSH_ASKPASS_REQUIRE=force \
	timeout 60 ssh -F /dev/null -n -o BatchMode=no -o IdentityAgent=none \
		-o PKCS11Provider="$SO" -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		-o PasswordAuthentication=no -o KbdInteractiveAuthentication=no \
		-p "$port" root@127.0.0.1 echo logged-in-via-skinkey
}

cp "$d/aut.pub" "$d/authorized_keys"
expect_eq "$(pw1_tries)" 3 "fresh PW1 counter"
out=$(login 654321 2>&1) && fail "wrong PIN logged in: $out"
printf '%s' "$out" | grep_all logged-in-via-skinkey && fail "wrong PIN ran the command"
expect_eq "$(pw1_tries)" 2 "a wrong PIN costs exactly one retry (ssh said: $out)"

out=$(login 123456 2>&1) || fail "ssh with the AUT key: $out"
expect_match "$out" logged-in-via-skinkey "ssh command ran (P-256 AUT key)"
expect_eq "$(pw1_tries)" 3 "right PIN restores the counter"
grep -q "Accepted publickey for root .* ECDSA" "$SKNS_LOG/sshd.log" || fail "sshd did not log an ECDSA login"

cp "$d/sig.pub" "$d/authorized_keys"
out=$(login 123456 2>&1) || fail "ssh with the RSA key: $out"
expect_match "$out" logged-in-via-skinkey "ssh command ran (RSA SIG key)"
grep -q "Accepted publickey for root .* RSA" "$SKNS_LOG/sshd.log" || fail "sshd did not log an RSA login"
echo "p11_ssh: ok"
