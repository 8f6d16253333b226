#!/usr/bin/env bash
# pkg_setup.sh — `skinkey setup` from the installed tree (meson install laid over /usr): a dry
# run shows diffs and writes nothing; `setup all` writes gpg-agent.conf, environment.d, .bashrc,
# the user unit link, ~/.gitconfig and both NSS databases, and each door then works (gpg through
# skinkey-scd, ssh-add through the agent socket, the module in modutil's list); every door run
# again changes nothing; `setup --undo` restores every file byte for byte and removes what it made.
source "$SK_SRC/tests/lib/common.sh"
source "$SK_SRC/tests/lib/pkg.sh"
source "$SK_SRC/tests/lib/gpgcard.sh"
need modutil certutil git gpg gpgconf ssh-add sha256sum
root=$SKNS_SCRATCH/inst
pkg_meson_install "$root"
pkg_overlay_usr "$root"
export PATH=/usr/local/bin:$PATH
MOD=/usr/lib/x86_64-linux-gnu/pkcs11/skinkey-pkcs11.so
[ -f "$MOD" ] || fail "installed module missing"

# a chip with keys (gpg-agent.conf as a user had it: another scdaemon-program line)
gpgcard_setup_agent
gpgcard_generate_ed25519 "Setup Test" setup@example.org
fpr=$(gpgcard_sig_fpr)
[ ${#fpr} = 40 ] || fail "no signature key fingerprint: $fpr"
gpgconf --kill gpg-agent
# what the user had before
printf "alias ll='ls -l'\n" > "$HOME/.bashrc"
printf '[user]\n\tname = Setup Test\n\temail = setup@example.org\n' > "$HOME/.gitconfig"
ff=$HOME/.mozilla/firefox/abcd1234.default-esr
mkdir -p "$ff"
certutil -N -d "sql:$ff" --empty-password || fail "certutil -N"

snap() {  # every file setup may touch, hashed; links; directories (data/: skinkeyd's, not setup's)
	( cd "$SKNS_SCRATCH" && {
		find home config -path home/.gnupg -prune -o -type f -print0 | sort -z | xargs -0 -r sha256sum
		sha256sum home/.gnupg/gpg-agent.conf
		find home config -path home/.gnupg -prune -o -type l -printf '%p -> %l\n' | sort
		find home config -path home/.gnupg -prune -o -type d -print | sort
		stat -c '%n %a' home/.bashrc home/.gitconfig home/.gnupg/gpg-agent.conf
	} )
}
s0=$(snap)

out=$(skinkey setup --dry-run all 2>&1) || fail "dry run: $out"
printf '%s\n' "$out" >&2
expect_match "$out" '^\+scdaemon-program /usr/local/libexec/skinkey-scd$' "dry run shows the gpg-agent.conf diff"
expect_match "$out" 'would change .*/\.bashrc' "dry run names .bashrc"
expect_match "$out" '^\+.*signingkey = '"$fpr" "dry run shows git's signing key"
expect_match "$out" 'would change .*abcd1234\.default-esr/pkcs11\.txt' "dry run names Firefox's module list"
expect_match "$out" 'nothing was written' "dry run says it wrote nothing"
expect_eq "$(snap)" "$s0" "dry run changed files"

out=$(skinkey setup all 2>&1) || fail "setup all: $out"
printf '%s\n' "$out" >&2
s1=$(snap)
[ "$s1" != "$s0" ] || fail "setup all changed nothing"
conf=$(cat "$GNUPGHOME/gpg-agent.conf")
expect_match "$conf" '^scdaemon-program /usr/local/libexec/skinkey-scd$' "gpg-agent.conf"
expect_match "$conf" "^#skinkey# scdaemon-program $SK_BUILD/agent/skinkey-scd\$" "the old scdaemon-program commented out"
expect_match "$conf" '^pinentry-program ' "other gpg-agent lines kept"
expect_eq "$(grep -v '^#' "$XDG_CONFIG_HOME/environment.d/50-skinkey.conf")" \
	'SSH_AUTH_SOCK=${XDG_RUNTIME_DIR}/skinkey/S.ssh' "environment.d"
expect_match "$(cat "$HOME/.bashrc")" "^alias ll='ls -l'\$" ".bashrc kept the user's line"
expect_eq "$(readlink "$XDG_CONFIG_HOME/systemd/user/default.target.wants/skinkeyd.service")" \
	/usr/local/lib/systemd/user/skinkeyd.service "skinkeyd's user unit enabled"
expect_eq "$(git config --global gpg.format)" openpgp "git gpg.format"
expect_eq "$(git config --global user.signingkey)" "$fpr" "git user.signingkey"
expect_eq "$(git config --global commit.gpgsign)" true "git commit.gpgsign"
expect_eq "$(git config --global user.name)" "Setup Test" "git kept user.name"
for db in "$ff" "$HOME/.pki/nssdb"; do
	l=$(modutil -dbdir "sql:$db" -list 2>&1 </dev/null) || fail "modutil -list $db: $l"
	expect_match "$l" "library name: $MOD" "module in $db"
done

# the doors work with what setup wrote
card=$(gpg --card-status 2>&1) || fail "gpg --card-status after setup: $card"
expect_match "$card" "Signature key \.*: ${fpr:0:4} ${fpr:4:4}" "gpg reads the card through the installed skinkey-scd"
exes=$(for p in /proc/[0-9]*; do readlink "$p/exe" 2>/dev/null || true; done)
expect_match "$exes" '^/usr/local/libexec/skinkey-scd$' "gpg-agent runs the installed skinkey-scd"
keys=$(bash -c 'source ~/.bashrc; echo "$SSH_AUTH_SOCK"; ssh-add -L' 2>&1) || fail "ssh-add -L with .bashrc's SSH_AUTH_SOCK: $keys"
expect_match "$keys" "^$XDG_RUNTIME_DIR/skinkey/S.ssh\$" ".bashrc sets SSH_AUTH_SOCK"
expect_match "$keys" '^ssh-ed25519 ' "ssh-add lists the chip's key"

# idempotent: all, then each door on its own, change nothing
out=$(skinkey setup all 2>&1) || fail "setup all again: $out"
if grep_all -E '^(changed|linked) ' <<< "$out"; then fail "second setup all changed files: $out"; fi
for d in gpg ssh git firefox chromium; do
	out=$(skinkey setup "$d" 2>&1) || fail "setup $d again: $out"
	expect_match "$out" '^unchanged ' "setup $d again says unchanged"
	if grep_all -E '^(changed|linked) ' <<< "$out"; then fail "setup $d again changed files: $out"; fi
done
expect_eq "$(snap)" "$s1" "running setup again changed files"
out=$(skinkey setup --dry-run all 2>&1) || fail "dry run after setup: $out"
expect_match "$out" '0 file\(s\) would change' "dry run after setup sees nothing to do"

# undo: byte for byte, directories it made are gone
gpgconf --kill gpg-agent
out=$(skinkey setup --undo 2>&1) || fail "setup --undo: $out"
printf '%s\n' "$out" >&2
expect_eq "$(snap)" "$s0" "undo did not restore every file"
[ ! -e "$HOME/.pki" ] || fail "undo left ~/.pki"
[ ! -e "$XDG_DATA_HOME/skinkey/setup" ] || fail "undo left its state directory"
out=$(skinkey setup --undo 2>&1) || fail "second undo: $out"
expect_match "$out" 'nothing to undo' "second undo"
echo "pkg_setup: ok"
