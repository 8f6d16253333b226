#!/usr/bin/env bash
# contention.sh — gpg signing, ssh logins and pkcs11-tool signing at once on one chip, for
# SECONDS (default 60): with skinkey (skinkey-scd, skinkeyd's ssh-agent, skinkey-pkcs11.so) and
# with GnuPG's scdaemon + gpg-agent's ssh support + OpenSC's opensc-pkcs11.so. Prints the counts.
#   tests/lib/skns.sh build bench/contention.sh [SECONDS] [BACKENDS...]
set -euo pipefail
. "$SK_SRC/tests/lib/common.sh"
. "$SK_SRC/tests/lib/gpgcard.sh"
. "$SK_SRC/tests/lib/sshd.sh"
. "$SK_SRC/tests/lib/contention.sh"
secs=${1:-60}; shift || true
backends=${*:-gnupg skinkey}
port=2222
for b in $backends; do
	gpgconf --kill all 2>/dev/null || true; pkill -x skinkeyd 2>/dev/null || true
	[ -n "${SSHD_PID:-}" ] && kill "$SSHD_PID" 2>/dev/null || true
	rm -rf "$GNUPGHOME"; mkdir -m 700 "$GNUPGHOME"
	GPGCARD_SCD=$b; export GPGCARD_SCD
	gpgcard_setup_agent
	if [ ! -s "$HOME/cont-key.pub" ]; then
		gpgcard_generate_ed25519 "Cont User" cont@example.org
		gpg --export cont@example.org > "$HOME/cont-key.pub"
		gpgconf --kill all
	else
		gpg --import "$HOME/cont-key.pub" 2>/dev/null
		gpg --card-status >/dev/null 2>"$SKNS_LOG/cs-$b.err" || fail "$b: gpg --card-status: $(cat "$SKNS_LOG/cs-$b.err")"
	fi
	echo "default-key cont@example.org" > "$GNUPGHOME/gpg.conf"
	SSHD_PORT=$port; port=$((port + 1))
	contention_setup "$b"
	echo "== $b: $secs s of gpg + ssh + pkcs11-tool at once"
	contention_run "$secs"
	for l in gpg ssh p11; do
		if [ -s "$SKNS_LOG/contention-$l.err" ]; then
			echo "   first $l error:"; head -n 3 "$SKNS_LOG/contention-$l.err" | sed 's/^/     /'
		fi
	done
done
