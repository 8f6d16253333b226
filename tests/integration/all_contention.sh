# all_contention.sh — one chip, three clients at once for a minute: gpg signing through
# skinkey-scd, ssh logins through skinkeyd's ssh-agent socket and pkcs11-tool signing through
# skinkey-pkcs11.so. Zero failures allowed. (bench/contention.sh runs the same scenario with
# GnuPG's scdaemon + OpenSC for comparison.)
. "$SK_SRC/tests/lib/common.sh"
. "$SK_SRC/tests/lib/gpgcard.sh"
. "$SK_SRC/tests/lib/sshd.sh"
. "$SK_SRC/tests/lib/contention.sh"
need gpg ssh ssh-add pkcs11-tool /usr/sbin/sshd
secs=${SK_CONTENTION_SECONDS:-60}

mkdir -p "$XDG_CONFIG_HOME/skinkey"
echo "pinentry-program = $SK_SRC/tests/lib/pinentry-test" > "$XDG_CONFIG_HOME/skinkey/skinkey.conf"
# keys made by an independent client (GnuPG's scdaemon), which is then stopped for good
GPGCARD_SCD=gnupg gpgcard_setup_agent
gpgcard_generate_ed25519 "Cont User" cont@example.org
gpgconf --kill scdaemon; gpgconf --kill gpg-agent
echo "default-key cont@example.org" > "$GNUPGHOME/gpg.conf"
skinkeyd --daemon --log-file "$SKNS_LOG/skinkeyd.log" || fail "skinkeyd did not start"
GPGCARD_SCD=skinkey gpgcard_setup_agent
gpg --card-status > /dev/null || fail "gpg --card-status through skinkey-scd"

contention_setup skinkey
out=$(contention_run "$secs")
echo "$out"
for loop in gpg ssh p11; do
	line=$(printf '%s\n' "$out" | grep "^$loop ")
	expect_match "$line" ' fail=0$' "$loop loop had failures (first: $(head -c 300 "$SKNS_LOG/contention-$loop.err" 2>/dev/null))"
	expect_match "$line" ' ok=[1-9]' "$loop loop never succeeded"
done
echo "contention: ok"
