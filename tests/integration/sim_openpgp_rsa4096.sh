# sim_openpgp_rsa4096.sh — RSA-4096 on the simulated OpenPGP card through GnuPG's scdaemon: on-card
# generation (a 512-byte modulus in 7F49), 512-byte signatures and 513-byte PSO:DECIPHER commands
# (extended length or chaining plus GET RESPONSE through the real pcscd/vpcd path).
source "$SK_SRC/tests/lib/common.sh"
need gpg gpgconf gpg-connect-agent openssl cmp /usr/bin/python3

# scdaemon talks to pcscd (our namespaced one), never to USB readers directly.
cat > "$GNUPGHOME/scdaemon.conf" <<EOF
disable-ccid
reader-port $SK_READER0
log-file $SKNS_LOG/scdaemon.log
EOF
# A pinentry that answers the admin PIN or the user PIN by what gpg-agent asks for.
pinentry=$SKNS_SCRATCH/fake-pinentry
cat > "$pinentry" <<'EOF'
#!/bin/bash
echo "OK fake pinentry"
desc=""
while IFS= read -r line; do
	case "$line" in
	SETDESC*|SETPROMPT*) desc="$desc $line"; echo OK ;;
	GETPIN)
		if printf '%s' "$desc" | grep -qi 'admin'; then echo "D 12345678"; else echo "D 123456"; fi
		echo OK; desc="" ;;
	BYE) echo OK; exit 0 ;;
	*) echo OK ;;
	esac
done
EOF
chmod +x "$pinentry"
echo "pinentry-program $pinentry" > "$GNUPGHOME/gpg-agent.conf"

# card_edit ANSWERS...: drives `gpg --card-edit` through --command-fd/--status-fd, answering each
# prompt keyword from the given "keyword=answer" list (answers for a repeated keyword are used in
# order; cardedit.prompt takes the card-edit commands).
card_edit() {
	/usr/bin/python3 - "$@" <<'EOF'
import subprocess, sys, collections
answers = collections.defaultdict(collections.deque)
for a in sys.argv[1:]:
    k, v = a.split('=', 1)
    answers[k].append(v)
p = subprocess.Popen(['gpg', '--no-tty', '--command-fd', '0', '--status-fd', '1',
                      '--card-edit'], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
for line in p.stdout:
    sys.stderr.write('status: ' + line)
    parts = line.split()
    if len(parts) < 3 or parts[0] != '[GNUPG:]' or parts[1] not in ('GET_LINE', 'GET_BOOL', 'GET_HIDDEN'):
        continue
    kw = parts[2]
    if not answers[kw]:
        sys.stderr.write('card_edit: no answer for %s\n' % kw)
        p.kill()
        sys.exit(2)
    ans = answers[kw].popleft()
    sys.stderr.write('answer: %s\n' % ans)
    p.stdin.write(ans + '\n')
    p.stdin.flush()
sys.exit(p.wait())
EOF
}

card_edit cardedit.prompt=admin cardedit.prompt=key-attr \
	cardedit.genkeys.algo=1 cardedit.genkeys.size=4096 cardedit.genkeys.algo=1 \
	cardedit.genkeys.size=4096 cardedit.genkeys.algo=1 cardedit.genkeys.size=4096 \
	cardedit.prompt=generate cardedit.genkeys.backup_enc=n \
	keygen.valid=0 keygen.name="Sim Big" keygen.email=big@example.org keygen.comment= \
	cardedit.prompt=quit 2> "$SKNS_LOG/cardedit-4096.log" \
	|| { cat "$SKNS_LOG/cardedit-4096.log" >&2; fail "card-edit RSA-4096 generation failed"; }
status=$(gpg --card-status 2>&1)
note "$status"
expect_match "$status" 'Key attributes \.+: rsa4096 rsa4096 rsa4096' "RSA-4096 attributes"
gpg --list-keys big@example.org | grep -q 'rsa4096' || fail "the generated public key is not rsa4096"
echo "four kilobit" > msg.txt
gpg --batch --yes -u big@example.org --sign -o big.sig msg.txt 2> "$SKNS_LOG/sign.log" \
	|| { cat "$SKNS_LOG/sign.log" >&2; fail "RSA-4096 signature with the card failed"; }
out=$(gpg --verify big.sig 2>&1) || fail "gpg --verify rejected the card's RSA-4096 signature: $out"
expect_match "$out" 'Good signature from "Sim Big <big@example.org>"' "good RSA-4096 signature"
gpg --batch --yes --trust-model always -r big@example.org -e -o big.gpg msg.txt \
	|| fail "encrypting to the RSA-4096 card key failed"
dec=$(gpg --batch -d big.gpg 2> "$SKNS_LOG/decrypt.log") \
	|| { cat "$SKNS_LOG/decrypt.log" >&2; fail "RSA-4096 decryption through the card failed"; }
expect_eq "$dec" "four kilobit" "decrypted text"
note "sim_openpgp_rsa4096: all checks passed"
