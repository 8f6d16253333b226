#!/usr/bin/env bash
# ff_firefox_login.sh — Firefox ESR (headless) with skinkey-pkcs11.so in a fresh NSS profile
# logs in to `openssl s_server -Verify` on 127.0.0.1 with a client certificate issued to the
# chip's P-256 authentication key and stored on the chip (DO 7F21). No in-browser PIN: the
# user unlocked the chip session once through skinkeyd's pinentry (an ssh-agent signature on
# skinkeyd's S.ssh socket), and from then on the token reports the user as logged in.
# Checked: modutil -list shows the module and its tokens; an open session (a ctypes client)
# turns from public to user functions with the unlock; before it, Firefox cannot authenticate (and costs no PIN retry); after it, s_server saw
# and verified the chip's certificate, the chip made the signature, no PIN was asked again,
# the screenshot shows s_server's session page, the chip's trace shows the TLS signature, the
# login ends when the chip leaves the field, and Firefox connected nowhere but 127.0.0.1.
# The screenshot is kept in $SK_ARTIFACTS (when set) and in the scratch tree.
# skinkey-test: plain-only (Firefox crashes at start with the ASan runtime preloaded)
source "$SK_SRC/pkcs11/itest_lib.sh"
source "$SK_SRC/tests/lib/ff_lib.sh"
# Firefox crashes with the ASan runtime preloaded, so it cannot load a sanitizer-built module:
# scripts/test.sh leaves suite 'firefox' out of sanitizer runs. Run here anyway, say why.
[ "${SK_SANITIZED:-0}" != 1 ] ||
	fail "$SK_BUILD is a sanitizer build: Firefox cannot load its module (use a plain build)"
need firefox-esr openssl certutil modutil ssh-add ssh-keygen ss strace timeout /usr/bin/python3 cmp

w=$SKNS_SCRATCH/ff
log=$SKNS_LOG
mkdir -p "$w" && cd "$w"
trap 'rc=$?; [ $rc -ne 0 ] && ff_dump "$log"; exit $rc' EXIT

# PINs no client can supply are asked by skinkeyd through the scripted pinentry; every prompt
# is counted in ~/.test-pins.log. The config must exist before the daemon autostarts.
mkdir -p "$XDG_CONFIG_HOME/skinkey"
printf 'pinentry-program = %s\nlog-level = debug\n' "$SK_SRC/tests/lib/pinentry-test" \
	> "$XDG_CONFIG_HOME/skinkey/skinkey.conf"
printf 'user=123456\nadmin=12345678\n' > "$HOME/.test-pins"
: > "$HOME/.test-pins.log"
prompts() { grep -c '^user$' "$HOME/.test-pins.log" || true; }

# skinkeyd started here (not autostarted by the module) so that its log lands in $SKNS_LOG
skinkeyd --daemon --log-file "$log/skinkeyd.log" || fail "skinkeyd did not start"

# --- the chip's P-256 authentication key and its certificate --------------------------------
user_cn="ff-login-$RANDOM$RANDOM"
ff_chip_client_cert "$user_cn"

out=$(p11 --token-label "$PGP" --read-object --type cert --id 03 -o cli.back.der 2>&1) ||
	fail "reading the certificate back through the module: $out"
cmp -s cli.der cli.back.der || fail "the certificate read back from 7F21 differs from the one written"

# The module lists the certificate (read back from the chip) without a login, and no
# private key yet: nobody unlocked PW1.
objs=$(p11 --token-label "$PGP" --list-objects 2>&1) || fail "listing objects: $objs"
expect_match "$objs" "Certificate Object" "certificate listed by the module"
expect_match "$objs" "CN=$user_cn|CN = $user_cn" "certificate subject as the module lists it"
printf '%s' "$objs" | grep_all 'Private Key Object' &&
	fail "a private key is visible before the user unlocked the chip: $objs"

# A long-lived client with one open session, like a running Firefox: what C_GetSessionInfo
# says about that same session before the unlock, after it, and after the chip left.
coproc P11S { exec /usr/bin/python3 "$SK_SRC/tests/lib/ff_p11state.py" "$SO" "$PGP" 2>>"$log/p11state.log"; }
read -r -t 20 -u "${P11S[0]}" l && [ "$l" = ready ] || fail "ff_p11state.py: $(cat "$log/p11state.log")"
p11state() {
	local l
	echo check >&"${P11S[1]}"
	read -r -t 20 -u "${P11S[0]}" l || fail "ff_p11state.py did not answer: $(cat "$log/p11state.log")"
	echo "$l"
}
expect_eq "$(p11state)" "state=0" "session state before the unlock (CKS_RO_PUBLIC_SESSION)"

# --- Firefox profile -----------------------------------------------------------------------
prof=$w/profile
ff_profile "$prof" "$SO" ca.pem
mods=$(modutil -list -dbdir "sql:$prof" 2>&1) || fail "modutil -list: $mods"
printf '%s\n' "$mods" > "$log/modutil-list.txt"
expect_match "$mods" "[0-9]+\. skinkey" "modutil -list names the module"
expect_match "$mods" "library name: [^ ]*skinkey-pkcs11\.so" "modutil -list shows the library"
expect_match "$mods" "slots: 2 slots attached" "modutil -list: one slot per applet"
expect_match "$mods" "token: $PGP" "modutil -list shows the OpenPGP token"
expect_match "$mods" "token: $HMAC" "modutil -list shows the HMAC token"
mod=$(modutil -list skinkey -dbdir "sql:$prof" 2>&1) || fail "modutil -list skinkey: $mod"
printf '%s\n' "$mod" >> "$log/modutil-list.txt"
expect_match "$mod" "Status: Enabled" "the module's slots are enabled"
expect_match "$mod" "Token Name: $PGP" "modutil -list skinkey: the OpenPGP token"

port=$((44800 + RANDOM % 400))
openssl s_server -accept "127.0.0.1:$port" -cert srv.pem -key srv.key -CAfile ca.pem \
	-Verify 1 -verify_return_error -www >> "$log/s_server.log" 2>&1 &
wait_for 60 sh -c "ss -ltn | grep -q '127.0.0.1:$port '" || fail "s_server did not listen on $port"
url="https://127.0.0.1:$port/"

# --- before the unlock: no login, so no client certificate, and no PIN sent ----------------
tries=$(pw1_tries)
[ -n "$tries" ] && [ "$tries" -gt 0 ] || fail "cannot read PW1 retries from the chip: '$tries'"
: > "$log/s_server.log"
simlog=$log/sim-flexsecure.log
sim trace on > /dev/null || fail "skinkey-sim ctl trace on"
simlines=$(wc -l < "$simlog")
ff_start "$prof" "$url" "$w/locked.png" "$log" 30
# Firefox reaches the TLS handshake, where NSS would need a PIN; headless, it can only wait.
wait_for 60 sh -c "ss -tn state established '( dport = :$port )' | grep -q 127.0.0.1" ||
	{ ff_stop; fail "Firefox (locked token) never connected to s_server"; }
sleep 3   # an observation window for a negative check: the locked token must not log in
kill -0 "$FF_PID" 2>/dev/null || note "Firefox gave up on the locked token by itself"
ff_stop
mv "$log/firefox.log" "$log/firefox-locked.log"; mv "$log/firefox.strace" "$log/firefox-locked.strace"
grep -q 'S.skinkeyd' "$log/firefox-locked.strace" || fail "Firefox did not load the module (no daemon connection)"
grep -Eq "CN ?= ?$user_cn" "$log/s_server.log" &&
	fail "the server got the chip's certificate although nobody unlocked the chip"
sim trace off > /dev/null || true
tail -n +"$((simlines + 1))" "$simlog" > "$log/sim-trace-locked.txt"
grep -Eq '^skinkey-sim: > [01]0 (88|2A) ' "$log/sim-trace-locked.txt" &&
	fail "the chip signed for Firefox although nobody unlocked it: $(grep -E ' (88|2A) ' "$log/sim-trace-locked.txt")"
expect_eq "$(pw1_tries)" "$tries" "PW1 retries after the locked attempt"
expect_eq "$(prompts)" 0 "pinentry prompts caused by the locked attempt"

# --- the user unlocks the chip session once, through skinkeyd's pinentry -------------------
export SSH_AUTH_SOCK=$XDG_RUNTIME_DIR/skinkey/S.ssh
wait_for 60 test -S "$SSH_AUTH_SOCK" || fail "no ssh-agent socket at $SSH_AUTH_SOCK"
ssh-add -L > aut.ssh.pub 2>&1 || fail "ssh-add -L: $(cat aut.ssh.pub)"
grep -q '^ecdsa-sha2-nistp256 ' aut.ssh.pub || fail "agent does not list the P-256 key: $(cat aut.ssh.pub)"
want=$(ssh-keygen -i -m PKCS8 -f aut.pub.pem | awk '{print $2}')
expect_eq "$(awk '/^ecdsa-sha2-nistp256 /{print $2}' aut.ssh.pub)" "$want" \
	"agent key vs the certificate's key"
echo "unlock $user_cn" > unlock.txt
ssh-keygen -Y sign -q -f aut.ssh.pub -n skinkey-test unlock.txt </dev/null > "$log/unlock.log" 2>&1 ||
	fail "signing through skinkeyd's ssh-agent socket: $(cat "$log/unlock.log")"
printf 'ff %s\n' "$(cat aut.ssh.pub)" > allowed
ssh-keygen -Y verify -f allowed -I ff -n skinkey-test -s unlock.txt.sig < unlock.txt > /dev/null ||
	fail "the unlock signature does not verify"
expect_eq "$(prompts)" 1 "pinentry prompts for the unlock"
expect_eq "$(pw1_tries)" "$tries" "PW1 retries after the unlock"

expect_eq "$(p11state)" "state=1" "the open session after the unlock (CKS_RO_USER_FUNCTIONS)"
# The token now reports the user as logged in: the private key is visible without a login,
# and NSS lists it without asking for a password (stdin is empty: a prompt would fail).
objs=$(p11 --token-label "$PGP" --list-objects 2>&1) || fail "listing objects: $objs"
expect_match "$objs" "Private Key Object" "private key visible after the unlock"
keys=$(certutil -K -d "sql:$prof" -h "$PGP" < /dev/null 2>&1) ||
	fail "NSS wants a password for the unlocked token: $keys"
expect_match "$keys" "ec " "NSS lists the chip's EC key"

# --- Firefox logs in -----------------------------------------------------------------------
: > "$log/s_server.log"
sim reset-stats > /dev/null
sim trace on > /dev/null || fail "skinkey-sim ctl trace on"
simlines=$(wc -l < "$simlog")
rc=0; ff_screenshot "$prof" "$url" "$w/page.png" "$log" 30 || rc=$?
[ "$rc" -ne 124 ] ||
	fail "Firefox timed out (stalled on a PIN it cannot ask? the token must report the user as logged in)"
[ "$rc" -eq 0 ] || note "firefox exited with $rc"
grep -q 'S.skinkeyd' "$log/firefox.strace" || fail "Firefox did not load the module (no daemon connection)"
apdus=$(sim_apdus)
sim trace off > /dev/null || true
tail -n +"$((simlines + 1))" "$simlog" > "$log/sim-trace-firefox.txt"
srv=$(cat "$log/s_server.log")
expect_match "$srv" "depth=0 .*CN ?= ?$user_cn" "s_server saw the chip's client certificate"
printf '%s\n' "$srv" | grep -E -A1 "depth=0 .*CN ?= ?$user_cn" | grep_all 'verify return:1' ||
	fail "s_server did not verify the client certificate: $srv"
printf '%s\n' "$srv" | grep_all -i 'verify error' && fail "certificate verification error: $srv"
[ "${apdus:-0}" -gt 0 ] || fail "Firefox never reached the chip (no client signature by the chip)"
# the TLS 1.3 CertificateVerify signature: INTERNAL AUTHENTICATE with the AUT key, answered 9000
grep -Eq '^skinkey-sim: > [01]0 88 00 00 ' "$log/sim-trace-firefox.txt" ||
	fail "no INTERNAL AUTHENTICATE reached the chip during the Firefox run ($apdus APDUs)"
grep -A1 -E '^skinkey-sim: > [01]0 88 00 00 ' "$log/sim-trace-firefox.txt" | grep -Eq '^skinkey-sim: < .* 90 00$' ||
	fail "the chip refused INTERNAL AUTHENTICATE: $(grep -A1 ' 88 00 00 ' "$log/sim-trace-firefox.txt")"
expect_eq "$(p11state)" "state=1" "the open session after Firefox"
expect_eq "$(prompts)" 1 "pinentry prompts after Firefox (no new PIN request)"
expect_eq "$(pw1_tries)" "$tries" "PW1 retries after Firefox"

# what the browser showed: s_server's session page with the chip's certificate
[ -s "$w/page.png" ] || fail "Firefox wrote no screenshot"
info=$(/usr/bin/python3 "$SK_SRC/tests/lib/ff_png.py" "$w/page.png" 2>&1) ||
	fail "the screenshot is not s_server's page: $info"
note "screenshot $w/page.png: $info (width height white-background rows-with-text black-pixels)"
if [ -n "${SK_ARTIFACTS:-}" ]; then
	mkdir -p "$SK_ARTIFACTS"
	cp "$w/page.png" "$SK_ARTIFACTS/ff_firefox_login.png" || fail "copy screenshot to $SK_ARTIFACTS"
	cp "$log/s_server.log" "$SK_ARTIFACTS/ff_firefox_login.s_server.log" || true
fi

# The unlock belongs to the chip session: once the chip leaves the field the token is locked
# again (pin-cache = presence): for the session that stayed open (public again, or closed
# with the chip) and for a new process.
sim remove > /dev/null || fail "skinkey-sim ctl remove"
skd_wait_present 0
sim tap > /dev/null || fail "skinkey-sim ctl tap"
skd_wait_present 1
st=$(p11state)
case "$st" in
	state=0|state=2|rv=0xb0|rv=0xb3|rv=0x32) ;;   # public; SESSION_CLOSED, _HANDLE_INVALID, DEVICE_REMOVED
	*) fail "the open session still reports a login after the chip left the field: $st" ;;
esac
note "the open session after the chip came back: $st"
exec {P11S[1]}>&-
objs=$(p11 --token-label "$PGP" --list-objects 2>&1) || fail "listing objects after a re-tap: $objs"
printf '%s' "$objs" | grep_all 'Private Key Object' &&
	fail "the token still reports a login after the chip left the field: $objs"
expect_match "$objs" "Certificate Object" "certificate still listed (from the cache) after a re-tap"

# Firefox stayed on loopback in both runs (the namespace has nothing else, this shows it tried
# nothing else either).
for s in "$log/firefox-locked.strace" "$log/firefox.strace"; do
	grep -q 'AF_INET' "$s" || fail "no inet connect() recorded in $s: strace saw nothing?"
	bad=$(ff_foreign_connects "$s")
	[ -z "$bad" ] || fail "Firefox connected beyond 127.0.0.1: $bad"
done
echo "ff_firefox_login: ok"
