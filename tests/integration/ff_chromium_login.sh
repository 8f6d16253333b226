#!/usr/bin/env bash
# ff_chromium_login.sh — headless Chromium logs in to `openssl s_server -Verify` on 127.0.0.1 with
# a client certificate issued to the chip's P-256 authentication key and stored on the chip, the
# module registered in the user's NSS database (~/.pki/nssdb, where Chromium on Linux looks), as
# ff_firefox_login.sh does for Firefox. The chip session is unlocked once through skinkeyd's
# pinentry (an ssh-agent signature); a managed policy (AutoSelectCertificateForUrls, in a tmpfs
# over /etc/chromium inside the namespace) picks the certificate as a user's click would.
# Checked: s_server saw and verified the chip's certificate, the page Chromium rendered is the
# session page naming it, the chip made the TLS signature (INTERNAL AUTHENTICATE in its trace),
# no PIN was asked again, and Chromium connected nowhere but 127.0.0.1 (strace; host names are
# resolved nowhere: --host-resolver-rules; its IPv6 route probe is a UDP connect that sends nothing).
# skinkey-test: plain-only (Chromium cannot load a module built with ASan without its runtime)
source "$SK_SRC/pkcs11/itest_lib.sh"
source "$SK_SRC/tests/lib/ff_lib.sh"
[ "${SK_SANITIZED:-0}" != 1 ] ||
	fail "$SK_BUILD is a sanitizer build: Chromium cannot load its module (use a plain build)"
need chromium openssl certutil modutil ssh-add ssh-keygen ss strace timeout mount
CHROMIUM=/usr/lib/chromium/chromium   # /usr/bin/chromium is a wrapper script; strace the browser
[ -x "$CHROMIUM" ] || fail "required tool missing: $CHROMIUM"

w=$SKNS_SCRATCH/chromium
log=$SKNS_LOG
mkdir -p "$w" && cd "$w"
trap 'rc=$?; [ $rc -ne 0 ] && { tail -n 40 "$log/chromium.log" "$log/s_server.log" >&2 2>/dev/null; ff_dump "$log"; }; exit $rc' EXIT

mkdir -p "$XDG_CONFIG_HOME/skinkey"
printf 'pinentry-program = %s\nlog-level = debug\n' "$SK_SRC/tests/lib/pinentry-test" \
	> "$XDG_CONFIG_HOME/skinkey/skinkey.conf"
printf 'user=123456\nadmin=12345678\n' > "$HOME/.test-pins"
: > "$HOME/.test-pins.log"
prompts() { grep -c '^user$' "$HOME/.test-pins.log" || true; }
skinkeyd --daemon --log-file "$log/skinkeyd.log" || fail "skinkeyd did not start"

# --- the chip's P-256 authentication key and a client certificate for it, on the chip -------
user_cn="chromium-login-$RANDOM$RANDOM"
ff_chip_client_cert "$user_cn"

# --- the user's NSS database, as Chromium on Linux uses it ----------------------------------
nssdb=$HOME/.pki/nssdb
mkdir -p "$nssdb"
certutil -N -d "sql:$nssdb" --empty-password || fail "certutil -N"
certutil -A -d "sql:$nssdb" -n skinkey-test-ca -t "C,," -i ca.pem || fail "certutil -A (trust CA)"
out=$(modutil -dbdir "sql:$nssdb" -add skinkey -libfile "$SO" -force 2>&1) || fail "modutil -add: $out"
mods=$(modutil -list -dbdir "sql:$nssdb" 2>&1) || fail "modutil -list: $mods"
expect_match "$mods" "token: $PGP" "the NSS database sees the chip's token"

port=$((45200 + RANDOM % 400))
url="https://127.0.0.1:$port/"
openssl s_server -accept "127.0.0.1:$port" -cert srv.pem -key srv.key -CAfile ca.pem \
	-Verify 1 -verify_return_error -www >> "$log/s_server.log" 2>&1 &
wait_for 60 sh -c "ss -ltn | grep -q '127.0.0.1:$port '" || fail "s_server did not listen on $port"

# the certificate choice a user makes in Chromium's dialog, as a managed policy (namespace only)
mount -t tmpfs tmpfs /etc/chromium || fail "tmpfs over /etc/chromium (private mount namespace)"
mkdir -p /etc/chromium/policies/managed
printf '{"AutoSelectCertificateForUrls": ["{\\"pattern\\":\\"https://127.0.0.1:%s\\",\\"filter\\":{}}"]}\n' \
	"$port" > /etc/chromium/policies/managed/skinkey-test.json

# --- the user unlocks the chip session once, through skinkeyd's pinentry -------------------
export SSH_AUTH_SOCK=$XDG_RUNTIME_DIR/skinkey/S.ssh
wait_for 60 test -S "$SSH_AUTH_SOCK" || fail "no ssh-agent socket at $SSH_AUTH_SOCK"
ssh-add -L > aut.ssh.pub 2>&1 || fail "ssh-add -L: $(cat aut.ssh.pub)"
echo "unlock $user_cn" > unlock.txt
ssh-keygen -Y sign -q -f aut.ssh.pub -n skinkey-test unlock.txt </dev/null > "$log/unlock.log" 2>&1 ||
	fail "signing through skinkeyd's ssh-agent socket: $(cat "$log/unlock.log")"
expect_eq "$(prompts)" 1 "pinentry prompts for the unlock"
tries=$(pw1_tries)

# --- Chromium logs in ------------------------------------------------------------------------
: > "$log/s_server.log"
sim trace on > /dev/null || fail "skinkey-sim ctl trace on"
simlog=$log/sim-flexsecure.log
simlines=$(wc -l < "$simlog")
rc=0
timeout -k 5 90 strace -f -qq -s 0 -e trace=connect,sendto,sendmsg,sendmmsg -o "$log/chromium.strace" \
	"$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
	--disable-background-networking --disable-component-update --disable-sync \
	--disable-dev-shm-usage --host-resolver-rules='MAP * ~NOTFOUND , EXCLUDE 127.0.0.1' \
	--user-data-dir="$w/profile" --dump-dom "$url" \
	> "$w/page.html" 2> "$log/chromium.log" || rc=$?
sim trace off > /dev/null || true
[ "$rc" -ne 124 ] || fail "Chromium timed out"
[ "$rc" -eq 0 ] || note "chromium exited with $rc"
tail -n +"$((simlines + 1))" "$simlog" > "$log/sim-trace-chromium.txt"
grep -q 'S.skinkeyd' "$log/chromium.strace" || fail "Chromium did not load the module (no daemon connection)"
srv=$(cat "$log/s_server.log")
expect_match "$srv" "depth=0 .*CN ?= ?$user_cn" "s_server saw the chip's client certificate"
printf '%s\n' "$srv" | grep -E -A1 "depth=0 .*CN ?= ?$user_cn" | grep_all 'verify return:1' ||
	fail "s_server did not verify the client certificate: $srv"
# the page Chromium rendered: s_server's session page, which names the client certificate
page=$(cat "$w/page.html")
expect_match "$page" "CN ?= ?$user_cn" "the page Chromium shows names the chip's certificate"
grep -Eq '^skinkey-sim: > [01]0 88 00 00 ' "$log/sim-trace-chromium.txt" ||
	fail "no INTERNAL AUTHENTICATE reached the chip during the Chromium run"
grep -A1 -E '^skinkey-sim: > [01]0 88 00 00 ' "$log/sim-trace-chromium.txt" | grep -Eq '^skinkey-sim: < .* 90 00$' ||
	fail "the chip refused INTERNAL AUTHENTICATE"
expect_eq "$(prompts)" 1 "pinentry prompts after Chromium (no new PIN request)"
expect_eq "$(pw1_tries)" "$tries" "PW1 retries after Chromium"

grep -q 'AF_INET' "$log/chromium.strace" || fail "no inet connect() recorded: strace saw nothing?"
# One exception, and only this one: Chromium's IPv6 reachability probe connect()s a UDP socket to
# 2001:4860:4860::8888 to ask the kernel for a route; a UDP connect sends nothing (and the
# namespace has no route: ENETUNREACH). Every datagram sent is checked separately below.
probe='inet_pton\(AF_INET6, "2001:4860:4860::8888"'
bad=$(ff_foreign_connects "$log/chromium.strace" | grep -Ev "$probe" || true)
[ -z "$bad" ] || fail "Chromium connected beyond 127.0.0.1: $bad"
sent=$(grep -E '(sendto|sendmsg|sendmmsg)\(.*sa_family=AF_INET6?' "$log/chromium.strace" |
	grep -vE 'inet_addr\("127\.0\.0\.1"\)|inet_pton\(AF_INET6, "::1"' || true)
[ -z "$sent" ] || fail "Chromium sent datagrams beyond 127.0.0.1: $sent"
echo "ff_chromium_login: ok"
