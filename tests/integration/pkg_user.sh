#!/usr/bin/env bash
# pkg_user.sh — the main job as an ordinary user (uid 4242, not root, no capabilities) with the
# installed tree laid over /usr: `skinkey setup gpg ssh git` configures the doors, keys are made
# on the chip, gpg signs and verifies, git makes a commit that verify-commit accepts, ssh logs in
# through skinkeyd's agent socket and with `ssh -I` (PKCS#11), and a vault credential is stored
# and fetched from the DESFire chip. Then pcscd is replaced by one that drops this user the way
# a polkit-enabled pcscd does: `skinkey status` and `skinkey doctor` say so and name the fix.
source "$SK_SRC/tests/lib/common.sh"
source "$SK_SRC/tests/lib/pkg.sh"
source "$SK_SRC/tests/lib/sshd.sh"
need setpriv gpg git ssh ssh-add /usr/sbin/sshd /usr/bin/python3
root=$SKNS_SCRATCH/inst
pkg_meson_install "$root"
pkg_overlay_usr "$root"

# the DESFire chip for the vault
if ! skinkey-sim ctl --card desfire status 2>/dev/null | grep_all '^present=1'; then
	skinkey-sim run --card desfire --state "$XDG_DATA_HOME/desfire.state" > "$SKNS_LOG/sim-desfire.log" 2>&1 &
	wait_for 10 sh -c 'skinkey-sim ctl --card desfire status | grep -q "^present=1"' ||
		fail "DESFire simulator did not come up"
fi

# an ordinary account, known to this namespace only (private copies of passwd and group)
U=$SKNS_SCRATCH/skuser
mkdir -p "$U/home" "$U/run" "$U/log"
cp /etc/passwd "$SKNS_SCRATCH/passwd"; cp /etc/group "$SKNS_SCRATCH/group"
echo "skuser:x:4242:4242:skinkey test user:$U/home:/bin/bash" >> "$SKNS_SCRATCH/passwd"
echo "skuser:x:4242:" >> "$SKNS_SCRATCH/group"
mount --bind "$SKNS_SCRATCH/passwd" /etc/passwd
mount --bind "$SKNS_SCRATCH/group" /etc/group
cp "$SK_SRC/tests/lib/pinentry-test" "$U/pinentry-test"
chmod 755 "$SKNS_SCRATCH" "$U"
chmod 700 "$U/run"
chown -R 4242:4242 "$U/home" "$U/run" "$U/log"
as_user() {  # SCRIPT-TEXT: runs under bash as skuser with a login-like environment only
	# (sanitizer build: skns's wrappers that preload the ASan runtime for ssh come first)
	setpriv --reuid=4242 --regid=4242 --clear-groups --inh-caps=-all --bounding-set=-all \
		env -i HOME="$U/home" USER=skuser LOGNAME=skuser SHELL=/bin/bash \
		XDG_RUNTIME_DIR="$U/run" PATH="${SK_SANITIZED:+$SKNS_SCRATCH/asanwrap:}/usr/local/bin:/usr/bin:/bin" LANG=C.UTF-8 \
		U="$U" bash -euo pipefail -c "$1"
}
expect_eq "$(as_user 'id -u; id -G' | tr '\n' ' ')" "4242 4242 " "the job's user"

# 1. setup and keys (the user's own files; the scripted pinentry answers the factory PINs).
#    Ed25519 signs, cv25519 decrypts, RSA-2048 authenticates: OpenSSH 9.2's PKCS#11 client (ssh -I)
#    takes RSA and ECDSA keys only.
as_user '
	cd "$HOME"
	printf "user=123456\nadmin=12345678\n" > .test-pins
	mkdir -p -m 700 .gnupg .config/skinkey
	echo "pinentry-program $U/pinentry-test" > .gnupg/gpg-agent.conf
	printf "pinentry-program = %s\nvault-originality = sim\n" "$U/pinentry-test" > .config/skinkey/skinkey.conf
	skinkey status > "$U/log/status.out"
	skinkey setup gpg ssh > "$U/log/setup.out"
	gpgconf --kill gpg-agent
	printf "%s\n" admin key-attr 2 1 2 1 1 2048 generate n 0 "Skin User" skuser@example.org "" quit |
		gpg --no-tty --command-fd 0 --status-fd 2 --pinentry-mode ask --card-edit \
		> "$U/log/card-edit.out" 2> "$U/log/card-edit.status"
	skinkey setup git >> "$U/log/setup.out"
' || fail "setup and key generation as skuser (see $U/log)"
expect_match "$(cat "$U/log/status.out")" 'fs-[0-9a-f]{12}' "skinkey status as the user shows the chip"
[ "$(stat -c %u "$U/run/skinkey/S.skinkeyd")" = 4242 ] || fail "skinkeyd's socket is not the user's"
skd_pid=$(pgrep -u 4242 -x skinkeyd) || fail "no skinkeyd running as the user"
expect_eq "$(readlink "/proc/$skd_pid/exe")" /usr/local/bin/skinkeyd "the installed skinkeyd runs as the user"

# 2. gpg signature and a verified git commit
as_user '
	cd "$HOME"
	echo "signed by an implant" > msg.txt
	gpg --batch --yes --sign --output msg.gpg msg.txt
	gpg --verify msg.gpg 2> "$U/log/verify.out"
	git init -q repo && cd repo
	git config user.name "Skin User" && git config user.email skuser@example.org
	echo hello > hello.txt && git add hello.txt
	git commit -q -m "signed on the implant by an ordinary user"
	git verify-commit HEAD 2> "$U/log/verify-commit.out"
	git cat-file commit HEAD | grep -q "^gpgsig "
' || fail "gpg sign / git commit as skuser (see $U/log)"
expect_match "$(cat "$U/log/verify.out")" 'Good signature from "Skin User' "gpg --verify"
expect_match "$(cat "$U/log/verify-commit.out")" 'Good signature from "Skin User' "git verify-commit"

# 3. ssh: through the agent socket (SSH_AUTH_SOCK from the .bashrc setup wrote) and with ssh -I
as_user 'source "$HOME/.bashrc"; ssh-add -L' > "$SKNS_SCRATCH/agent.pub" || fail "ssh-add -L as skuser"
expect_match "$(cat "$SKNS_SCRATCH/agent.pub")" '^ssh-rsa ' "the chip's key through the agent"
sshd_start "$SKNS_SCRATCH/agent.pub"
as_user "
	source \"\$HOME/.bashrc\"
	ssh -F /dev/null -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes \
		-o ConnectTimeout=10 -p $SSHD_PORT skuser@127.0.0.1 'id -un' > \"\$U/log/ssh-agent.out\"
	printf '#!/bin/sh\necho 123456\n' > \"\$HOME/askpass\" && chmod 700 \"\$HOME/askpass\"
	SSH_ASKPASS=\"\$HOME/askpass\" SSH_ASKPASS_REQUIRE=force timeout 60 ssh -F /dev/null -n \
		-o BatchMode=no -o IdentityAgent=none -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		-I /usr/lib/x86_64-linux-gnu/pkcs11/skinkey-pkcs11.so -p $SSHD_PORT skuser@127.0.0.1 'id -un' \
		> \"\$U/log/ssh-I.out\"
" || fail "ssh as skuser (see $U/log and sshd.log)"
expect_eq "$(cat "$U/log/ssh-agent.out")" skuser "ssh through the agent logged in as skuser"
expect_eq "$(cat "$U/log/ssh-I.out")" skuser "ssh -I with the installed module logged in as skuser"

# 4. the vault: provision the DESFire chip, store a credential, fetch it back
as_user '
	skinkey vault init > "$U/log/vault-init.out"
	printf "correct horse battery staple" | skinkey vault add mail.example skuser > /dev/null
	skinkey vault get mail.example skuser > "$U/log/vault-get.out"
' || fail "vault as skuser (see $U/log)"
expect_eq "$(cat "$U/log/vault-get.out")" "correct horse battery staple" "vault fetch as skuser"

# 5. pcscd refusing this user as polkit does (Debian 12's pcscd has no polkit: a stand-in that
#    accepts and closes, like pcsc-lite's "Rejected unauthorized PC/SC client")
kill "$(tr -cd 0-9 < /run/pcscd/pcscd.pid)"
wait_for 10 sh -c '! [ -e /run/pcscd/pcscd.comm ]' || fail "pcscd did not go away"
/usr/bin/python3 "$SK_SRC/tests/lib/pcscd_refuse.py" /run/pcscd/pcscd.comm > "$SKNS_LOG/refuse.log" 2>&1 &
wait_for 10 test -S /run/pcscd/pcscd.comm || fail "refusing stand-in did not start"
as_user 'pkill -u 4242 -x skinkeyd || true; while pgrep -u 4242 -x skinkeyd >/dev/null; do sleep 0.05; done
	skinkey status > "$U/log/status-refused.out" 2>&1 || true
	skinkey doctor > "$U/log/doctor-refused.out" 2>&1 && exit 1 || true' || fail "doctor found nothing with pcscd refusing"
st=$(cat "$U/log/status-refused.out"); doc=$(cat "$U/log/doctor-refused.out")
printf '%s\n' "$st" "$doc" >&2
expect_match "$st" 'pcscd refuses this user: its polkit policy' "skinkey status names the refusal"
if grep_all -i 'is pcscd running\|sees no reader' <<< "$st"; then fail "status blames the reader: $st"; fi
expect_match "$doc" "^FAIL pcscd: pcscd accepted the connection and closed it .*refuses this user \(uid 4242\)" "doctor names the refusal"
expect_match "$doc" 'subject.user == "skuser"' "doctor's polkit rule names the user"
echo "pkg_user: ok"
