# sshag_rsa.sh — an RSA-2048 AUT key through skinkeyd's ssh-agent socket: the rsa-sha2-256 and
# rsa-sha2-512 signature flags ssh asks for are honoured (sshd verifies each).
. "$SK_SRC/tests/lib/common.sh"
. "$SK_SRC/tests/lib/gpgcard.sh"
. "$SK_SRC/tests/lib/sshd.sh"
need ssh ssh-add gpg /usr/sbin/sshd

mkdir -p "$XDG_CONFIG_HOME/skinkey"
echo "pinentry-program = $SK_SRC/tests/lib/pinentry-test" > "$XDG_CONFIG_HOME/skinkey/skinkey.conf"
GPGCARD_SCD=gnupg gpgcard_setup_agent
gpgcard_generate_rsa2048 "Rsa User" rsa@example.org
gpgconf --kill scdaemon; gpgconf --kill gpg-agent
skinkeyd --daemon --log-file "$SKNS_LOG/skinkeyd.log" || fail "skinkeyd did not start"

export SSH_AUTH_SOCK=$XDG_RUNTIME_DIR/skinkey/S.ssh
wait_for 60 test -S "$SSH_AUTH_SOCK" || fail "no ssh-agent socket"
ssh-add -L > "$HOME/rsa.pub" || fail "ssh-add -L failed"
expect_match "$(cat "$HOME/rsa.pub")" '^ssh-rsa ' "RSA key listed"
expect_eq "$(awk '{print $2}' "$HOME/rsa.pub")" "$(gpg --export-ssh-key rsa@example.org | awk '{print $2}')" \
	"agent key vs gpg --export-ssh-key"
sshd_start "$HOME/rsa.pub"
for alg in rsa-sha2-256 rsa-sha2-512; do
	ssh_login_check "$SSH_AUTH_SOCK" -o PubkeyAcceptedAlgorithms=$alg || fail "login with $alg failed"
	grep -q "Accepted publickey for root .* RSA SHA256:" "$SKNS_LOG/sshd.log" || fail "sshd logged no RSA login"
done
# the daemon made one card signature per login with the digest ssh asked for
expect_eq "$(grep -c 'signing with the authentication key' "$SKNS_LOG/skinkeyd.log")" 2 "card signatures"
echo "ssh-agent RSA: ok"
