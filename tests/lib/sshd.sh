# sshd.sh — sourced by tests and the demo: a private sshd on 127.0.0.1 inside the namespace.
# sshd_start AUTHORIZED_KEYS_FILE   -> sets SSHD_PORT, SSHD_DIR
# ssh_login_check AGENT_SOCK [extra ssh options...]  -> runs `ssh ... true`, fails the test on error
sshd_start() {
	SSHD_DIR=$SKNS_SCRATCH/sshd
	mkdir -p "$SSHD_DIR" /run/sshd
	chmod 755 "$SSHD_DIR"
	cp "$1" "$SSHD_DIR/authorized_keys"
	rm -f "$SSHD_DIR/hostkey" "$SSHD_DIR/hostkey.pub"   # a second sshd in the same test
	ssh-keygen -q -t ed25519 -N '' -f "$SSHD_DIR/hostkey" </dev/null >/dev/null
	SSHD_PORT=${SSHD_PORT:-2222}
	cat > "$SSHD_DIR/sshd_config" <<CONF
Port $SSHD_PORT
ListenAddress 127.0.0.1
HostKey $SSHD_DIR/hostkey
PidFile $SSHD_DIR/sshd.pid
AuthorizedKeysFile $SSHD_DIR/authorized_keys
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
LogLevel VERBOSE
CONF
	/usr/sbin/sshd -D -e -f "$SSHD_DIR/sshd_config" > "$SKNS_LOG/sshd.log" 2>&1 &
	SSHD_PID=$!
	wait_for 5 bash -c "exec 3<>/dev/tcp/127.0.0.1/$SSHD_PORT" || fail "sshd did not start (see sshd.log)"
}

ssh_login_check() {
	local sock=$1; shift
	SSH_AUTH_SOCK=$sock ssh -F /dev/null -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		-o BatchMode=yes -o ConnectTimeout=10 -o LogLevel=ERROR -p "$SSHD_PORT" "$@" root@127.0.0.1 true
}
