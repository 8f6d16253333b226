# sshag_agent.sh — skinkeyd's ssh-agent socket with real ssh-add, ssh, sshd and git.
. "$SK_SRC/tests/lib/common.sh"
. "$SK_SRC/tests/lib/gpgcard.sh"
. "$SK_SRC/tests/lib/sshd.sh"
need ssh ssh-add ssh-keygen git gpg /usr/sbin/sshd

mkdir -p "$XDG_CONFIG_HOME/skinkey"
echo "pinentry-program = $SK_SRC/tests/lib/pinentry-test" > "$XDG_CONFIG_HOME/skinkey/skinkey.conf"
# Keys are made with GnuPG's own scdaemon (an independent client), which is then stopped;
# skinkeyd starts afterwards and learns them from the chip.
GPGCARD_SCD=gnupg gpgcard_setup_agent
gpgcard_generate_ed25519 "Agent User" agent@example.org
gpgconf --kill scdaemon; gpgconf --kill gpg-agent
skinkeyd --daemon --log-file "$SKNS_LOG/skinkeyd.log" || fail "skinkeyd did not start"

export SSH_AUTH_SOCK=$XDG_RUNTIME_DIR/skinkey/S.ssh
wait_for 60 test -S "$SSH_AUTH_SOCK" || fail "no ssh-agent socket at $SSH_AUTH_SOCK"

# The listed key is the card's AUT key, exactly as gpg exports it.
ssh-add -L > "$HOME/agent.pub" || fail "ssh-add -L failed"
expect_eq "$(wc -l < "$HOME/agent.pub")" 1 "number of keys listed"
want=$(gpg --export-ssh-key agent@example.org | awk '{print $1, $2}')
got=$(awk '{print $1, $2}' "$HOME/agent.pub")
expect_eq "$got" "$want" "agent key vs gpg --export-ssh-key"
expect_match "$(cat "$HOME/agent.pub")" 'cardno:' "comment names the card"

sshd_start "$HOME/agent.pub"
# PW1 retry counter read straight from the chip (GET DATA C4 over raw PC/SC), not from skinkeyd
retries() {
	apdu 00A4040006D27600012401 00CA00C400 | sed -n '2{s/^\(..\)\(..\)\(..\)\(..\)\(..\).* 9000$/\5/p}' |
		xargs -I{} printf '%d\n' 0x{}
}
expect_eq "$(retries)" 3 "PW1 retries before"

# Wrong PIN: a clean failure, exactly one retry used, and the agent does not try again.
printf 'user=999999\nadmin=12345678\n' > "$HOME/.test-pins"
: > "$HOME/.test-pins.log"
if ssh_login_check "$SSH_AUTH_SOCK"; then fail "login succeeded with a wrong PIN"; fi
expect_eq "$(grep -c user "$HOME/.test-pins.log")" 1 "PIN prompts after a wrong PIN"
expect_eq "$(retries)" 2 "PW1 retries after one wrong PIN"

# Right PIN: login works, the PIN is asked once and then cached while the chip stays.
printf 'user=123456\nadmin=12345678\n' > "$HOME/.test-pins"
: > "$HOME/.test-pins.log"
ssh_login_check "$SSH_AUTH_SOCK" || fail "ssh login through the skinkey agent failed"
ssh_login_check "$SSH_AUTH_SOCK" || fail "second ssh login failed"
expect_eq "$(grep -c user "$HOME/.test-pins.log")" 1 "PIN prompts for two logins"
expect_eq "$(retries)" 3 "PW1 retries after a good VERIFY"
grep -q 'Accepted publickey for root .* ED25519' "$SKNS_LOG/sshd.log" || fail "sshd did not log an Ed25519 login"

# Key management is refused: the keys live on the chip.
ssh-keygen -q -t ed25519 -N '' -f "$HOME/filekey" </dev/null
if ssh-add "$HOME/filekey" 2>/dev/null; then fail "ssh-add of a file key was accepted"; fi
if ssh-add -D 2>/dev/null; then fail "ssh-add -D was accepted"; fi
expect_eq "$(ssh-add -L | wc -l)" 1 "keys after refused add/remove"

# Lock hides the key and refuses signing; a wrong password does not unlock.
printf '#!/bin/sh\ncat "$HOME/lockpw"\n' > "$HOME/askpass"; chmod +x "$HOME/askpass"
export SSH_ASKPASS=$HOME/askpass SSH_ASKPASS_REQUIRE=force
echo "s3cret" > "$HOME/lockpw"; ssh-add -x </dev/null >/dev/null 2>&1 || fail "ssh-add -x (lock) failed"
if ssh-add -L >/dev/null 2>&1; then fail "keys still listed while locked"; fi
if ssh_login_check "$SSH_AUTH_SOCK"; then fail "login worked while the agent was locked"; fi
echo "wrong" > "$HOME/lockpw"
if ssh-add -X </dev/null >/dev/null 2>&1; then fail "unlocked with a wrong password"; fi
echo "s3cret" > "$HOME/lockpw"; ssh-add -X </dev/null >/dev/null 2>&1 || fail "ssh-add -X (unlock) failed"
ssh_login_check "$SSH_AUTH_SOCK" || fail "login after unlock failed"
unset SSH_ASKPASS SSH_ASKPASS_REQUIRE

# An oversized or malformed frame ends that connection only.
/usr/bin/python3 - "$SSH_AUTH_SOCK" <<'PY' || fail "oversized frame was not refused"
import socket, struct, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
s.sendall(struct.pack(">I", 16 * 1024 * 1024) + b"\x0b")
s.settimeout(60)                  # bounds a failure only
try:
    data = s.recv(100)
except ConnectionResetError:
    data = b""
sys.exit(0 if data == b"" else 1)
PY
/usr/bin/python3 - "$SSH_AUTH_SOCK" <<'PY' || fail "malformed sign request was not refused"
import socket, struct, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1])
body = b"\x0d" + struct.pack(">I", 1000) + b"short"
s.sendall(struct.pack(">I", len(body)) + body)
s.settimeout(60)                  # bounds a failure only
reply = b""
while len(reply) < 5:             # the whole frame, however it was split
    d = s.recv(100)
    if not d:
        break
    reply += d
sys.exit(0 if reply == b"\x00\x00\x00\x01\x05" else 1)
PY
ssh-add -L >/dev/null || fail "agent stopped serving after bad frames"

# git commit signing with gpg.format ssh, verified by git.
git init -q "$HOME/repo"; cd "$HOME/repo"
git config user.name "Agent User"; git config user.email agent@example.org
git config gpg.format ssh
git config user.signingkey "key::$(cat "$HOME/agent.pub")"
echo "agent@example.org $(cat "$HOME/agent.pub")" > "$HOME/allowed_signers"
git config gpg.ssh.allowedSignersFile "$HOME/allowed_signers"
echo x > f; git add f
git commit -q -S -m "signed through skinkeyd's ssh-agent" || fail "git commit -S (ssh format) failed"
git verify-commit HEAD 2>&1 | grep_all 'Good "git" signature' || fail "git verify-commit did not accept the signature"
echo "ssh-agent socket: ok"
