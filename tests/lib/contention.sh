# contention.sh — sourced: the "everything at once" scenario. Three loops share one chip for
# SECONDS seconds: gpg signing, ssh logins, pkcs11-tool signing. Each loop counts successes and
# failures (with the first error kept in $SKNS_LOG/contention-<loop>.err).
#   contention_setup BACKEND     skinkey | gnupg (GnuPG scdaemon + gpg-agent ssh + OpenSC)
#   contention_run SECONDS       runs the loops, then prints "<loop> ok=N fail=M" lines
# Needs an Ed25519/cv25519 key set on the card (gpgcard_generate_ed25519) and tests/lib/sshd.sh.

contention_setup() {
	CONT_BACKEND=$1
	echo hello > "$HOME/cont.txt"
	if [ "$CONT_BACKEND" = skinkey ]; then
		CONT_SSH_SOCK=$XDG_RUNTIME_DIR/skinkey/S.ssh
		CONT_P11=$SK_BUILD/pkcs11/skinkey-pkcs11.so
	else
		echo enable-ssh-support >> "$GNUPGHOME/gpg-agent.conf"
		gpgconf --kill gpg-agent
		gpg-connect-agent /bye >/dev/null 2>&1
		CONT_SSH_SOCK=$(gpgconf --list-dirs agent-ssh-socket)
		CONT_P11=/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so
	fi
	SSH_AUTH_SOCK=$CONT_SSH_SOCK ssh-add -L > "$HOME/cont.pub" 2>"$SKNS_LOG/contention-ssh-add.err" ||
		fail "$CONT_BACKEND: no ssh key from the agent"
	sshd_start "$HOME/cont.pub"
}

_cont_loop() {  # name deadline cmd...
	local name=$1 deadline=$2; shift 2
	local ok=0 bad=0
	while [ "$(date +%s)" -lt "$deadline" ]; do
		if "$@" > /dev/null 2> "$SKNS_LOG/contention-$name.last"; then
			ok=$((ok + 1))
		else
			bad=$((bad + 1))
			[ -s "$SKNS_LOG/contention-$name.err" ] || cp "$SKNS_LOG/contention-$name.last" "$SKNS_LOG/contention-$name.err"
		fi
	done
	echo "$name ok=$ok fail=$bad" > "$SKNS_LOG/contention-$name.result"
}

_cont_gpg() { gpg --batch --yes -o "$HOME/cont.sig.$BASHPID" --sign "$HOME/cont.txt" && gpg --verify "$HOME/cont.sig.$BASHPID"; }
_cont_ssh() { ssh_login_check "$CONT_SSH_SOCK"; }
_cont_p11() {
	pkcs11-tool --module "$CONT_P11" --login --pin 123456 --sign -m EDDSA ${CONT_P11_KEY:---id 03} \
		-i "$HOME/cont.txt" -o "$HOME/cont.p11sig"
}

contention_run() {
	local secs=$1 deadline
	deadline=$(( $(date +%s) + secs ))
	rm -f "$SKNS_LOG"/contention-*.result "$SKNS_LOG"/contention-*.err
	local pids=()
	_cont_loop gpg "$deadline" _cont_gpg & pids+=($!)
	_cont_loop ssh "$deadline" _cont_ssh & pids+=($!)
	_cont_loop p11 "$deadline" _cont_p11 & pids+=($!)
	wait "${pids[@]}"   # not a bare wait: sshd is a child too
	cat "$SKNS_LOG"/contention-gpg.result "$SKNS_LOG"/contention-ssh.result "$SKNS_LOG"/contention-p11.result
}
