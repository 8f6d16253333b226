#!/usr/bin/env bash
# scd_cardedit.sh — gpg --card-edit `name` and `url`, a private DO, through skinkey-scd, with
# card-status identical to GnuPG's own scdaemon; then ssh through gpg-agent's enable-ssh-support
# with the chip's Ed25519 authentication key to an sshd on loopback.
source "$SK_SRC/tests/lib/common.sh"
source "$SK_SRC/tests/integration/agent_lib.inc"
source "$SK_SRC/tests/integration/scd_lib.inc"
source "$SK_SRC/tests/lib/sshd.sh"
need gpg gpgconf gpg-connect-agent script ssh ssh-add /usr/sbin/sshd /usr/lib/gnupg/scdaemon
S=$SKNS_SCRATCH

use_skinkey
card_edit 'admin\nname\nDoe\nJane\nurl\nhttps://keys.example.org/jane.asc\nquit\n' \
	> "$SKNS_LOG/cardedit-name.txt" 2>&1 || fail "gpg --card-edit name/url failed"
card_status "$S/cs.txt"
expect_match "$(cat "$S/cs.txt")" 'Name of cardholder: Jane Doe' "cardholder name set"
expect_match "$(cat "$S/cs.txt")" 'URL of public key : https://keys.example.org/jane.asc' "URL set"

out=$(gpg-connect-agent 'SCD SETATTR PRIVATE-DO-1 skinkey%20private%20do' /bye 2>&1)
expect_match "$out" '^OK' "SETATTR PRIVATE-DO-1"
card_status "$S/cs2.txt"
expect_match "$(cat "$S/cs2.txt")" 'Private DO 1 \.*: skinkey private do' "private DO 1 shown"
compare_with_gnupg name-url-privdo

# Ed25519 keys on the chip through skinkey-scd, then gpg-agent's ssh support uses the AUT key
for attr in "1 22 ed25519" "2 18 cv25519" "3 22 ed25519"; do
	out=$(gpg-connect-agent "SCD SETATTR KEY-ATTR --force $attr" /bye 2>&1)
	expect_match "$out" '^OK' "SETATTR KEY-ATTR $attr"
done
card_edit 'admin\ngenerate\nn\n0\nSsh User\nssh@example.org\n\nquit\n' > "$SKNS_LOG/cardedit-gen.txt" 2>&1 \
	|| fail "gpg --card-edit generate failed"
echo enable-ssh-support >> "$GNUPGHOME/gpg-agent.conf"
gpgconf --kill gpg-agent
gpg-connect-agent /bye >/dev/null 2>&1
sock=$(gpgconf --list-dirs agent-ssh-socket)
SSH_AUTH_SOCK=$sock ssh-add -L > "$S/agent.pub" || fail "gpg-agent lists no ssh key"
expect_match "$(cat "$S/agent.pub")" '^ssh-ed25519 .* cardno:' "gpg-agent offers the chip's Ed25519 key"
expect_eq "$(awk '{print $2}' "$S/agent.pub")" "$(gpg --export-ssh-key ssh@example.org | awk '{print $2}')" \
	"the AUT key"
sshd_start "$S/agent.pub"
ssh_login_check "$sock" || fail "ssh through gpg-agent + skinkey-scd failed"
grep -q 'Accepted publickey for root .* ED25519' "$SKNS_LOG/sshd.log" || fail "sshd logged no Ed25519 login"
echo "card-edit name/url/private DO and gpg-agent ssh: ok"
