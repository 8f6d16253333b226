#!/usr/bin/env bash
# demo.sh — runs inside tests/lib/skns.sh (private namespace, simulated flexSecure on vpcd).
# Shows the main job: keys on the chip, the ssh key listed and used for a login to an sshd on
# loopback, and a git commit signed on the chip that git verifies.
set -euo pipefail
. "$SK_SRC/tests/lib/common.sh"
. "$SK_SRC/tests/lib/gpgcard.sh"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

# The demo answers PIN prompts itself (the simulated chip's factory PINs 123456 / 12345678);
# with a real chip, pinentry asks you.
mkdir -p "$XDG_CONFIG_HOME/skinkey"
echo "pinentry-program = $SK_SRC/tests/lib/pinentry-test" > "$XDG_CONFIG_HOME/skinkey/skinkey.conf"

step "skinkey status (starts skinkeyd; the simulated implant is in the field)"
skinkey status

step "gpg uses the chip through skinkey-scd"
gpgcard_setup_agent            # gpg-agent.conf: scdaemon-program skinkey-scd, test pinentry
gpgcard_generate_ed25519 "Demo User" "demo@example.org"
gpg --card-status | sed -n '1,40p'

step "ssh: the chip's key through skinkeyd's ssh-agent socket"
export SSH_AUTH_SOCK=$XDG_RUNTIME_DIR/skinkey/S.ssh
wait_for 5 test -S "$SSH_AUTH_SOCK" || fail "skinkeyd's ssh-agent socket did not appear"
ssh-add -L | tee "$HOME/card.pub"
. "$SK_SRC/tests/lib/sshd.sh"
sshd_start "$HOME/card.pub"
ssh_login_check "$SSH_AUTH_SOCK"
echo "ssh login with the chip's key: ok"

step "git: a commit signed on the chip, verified"
git init -q "$HOME/repo"
cd "$HOME/repo"
git config user.name "Demo User"; git config user.email demo@example.org
git config user.signingkey "$(gpgcard_sig_fpr)"
echo hello > hello.txt; git add hello.txt
git commit -q -S -m "signed on the implant"
git verify-commit HEAD
git log --show-signature -1 | head -n 6
step "done"
