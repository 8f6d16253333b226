#!/usr/bin/env bash
# p11_firefox.sh — Firefox ESR (headless) with skinkey-pkcs11.so in its NSS profile logs in
# to `openssl s_server -Verify` on loopback with the client certificate stored on the chip
# (DO 7F21 of the P-256 authentication key); the TLS signature is made by the chip. The user
# unlocked the chip beforehand through skinkeyd (here: a pkcs11-tool login), so the token is
# already in the user state and Firefox shows no PIN prompt of its own.
source "$SK_SRC/pkcs11/itest_lib.sh"
need firefox-esr openssl certutil modutil ssh-keygen ss
w=$SKNS_SCRATCH/p11ff
mkdir -p "$w" && cd "$w"
p11_tokens
out=$(p11 --token-label "$PGP" --login --login-type so --so-pin 12345678 --keypairgen \
	--key-type EC:prime256v1 --id 03 2>&1) || fail "keygen: $out"

# a CA, a server certificate, and a client certificate for the chip's key, written to 7F21
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key \
	-subj /CN=skinkey-test-ca -days 2 -out ca.crt 2>/dev/null || fail "CA"
printf 'subjectAltName=IP:127.0.0.1\n' > srv.ext
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout srv.key \
	-subj /CN=127.0.0.1 -out srv.csr 2>/dev/null || fail "server key"
openssl x509 -req -in srv.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
	-extfile srv.ext -out srv.crt 2>/dev/null || fail "server certificate"
ssh-keygen -D "$SO" | grep '^ecdsa-sha2-nistp256 ' > aut.ssh.pub || fail "AUT key"
ssh-keygen -e -m PKCS8 -f aut.ssh.pub > aut.pub || fail "AUT key conversion"
printf 'extendedKeyUsage=clientAuth\nkeyUsage=digitalSignature\n' > cli.ext
openssl x509 -new -CA ca.crt -CAkey ca.key -force_pubkey aut.pub -subj /CN=skinkey-aut \
	-days 2 -extfile cli.ext -outform DER -out aut.der 2>/dev/null || fail "client certificate"
out=$(p11 --token-label "$PGP" --login --login-type so --so-pin 12345678 \
	--write-object aut.der --type cert --id 03 2>&1) || fail "write certificate: $out"

# the user unlocks the chip once through skinkeyd (any client; here pkcs11-tool)
head -c 32 /dev/urandom > h
p11 --token-label "$PGP" --login --pin 123456 --sign -m ECDSA --id 03 -i h -o s >/dev/null 2>&1 ||
	fail "unlock"
tries=$(pw1_tries)

port=$((44300 + RANDOM % 500))
openssl s_server -accept "127.0.0.1:$port" -cert srv.crt -key srv.key -CAfile ca.crt \
	-Verify 1 -verify_return_error -www > "$SKNS_LOG/s_server.log" 2>&1 &
wait_for 10 sh -c "ss -ltn | grep -q ':$port '" || fail "s_server did not listen"

# Firefox profile: NSS db with the module and the CA, automatic client certificate choice
prof=$w/profile
mkdir -p "$prof"
certutil -N -d "sql:$prof" --empty-password || fail "profile db"
certutil -A -d "sql:$prof" -n skinkey-test-ca -t "CT,," -i ca.crt || fail "trust CA"
out=$(modutil -dbdir "sql:$prof" -add skinkey -libfile "$SO" -force 2>&1) || fail "modutil: $out"
cat > "$prof/user.js" <<PREFS
user_pref("security.default_personal_cert", "Select Automatically");
user_pref("security.remember_cert_checkbox_default_setting", true);
user_pref("security.osclientcerts.autoload", false);
user_pref("browser.shell.checkDefaultBrowser", false);
user_pref("browser.aboutwelcome.enabled", false);
user_pref("datareporting.policy.dataSubmissionEnabled", false);
user_pref("toolkit.telemetry.reportingpolicy.firstRun", false);
user_pref("app.update.enabled", false);
user_pref("network.connectivity-service.enabled", false);
user_pref("network.captive-portal-service.enabled", false);
PREFS
sim reset-stats >/dev/null
MOZ_HEADLESS=1 timeout 120 firefox-esr --headless --no-remote --profile "$prof" \
	--screenshot "$w/page.png" "https://127.0.0.1:$port/" > "$SKNS_LOG/firefox.log" 2>&1 ||
	note "firefox exited with $? (see firefox.log)"
log=$(cat "$SKNS_LOG/s_server.log")
printf '%s\n' "$log" | tail -20 >&2
expect_match "$log" "CN ?= ?skinkey-aut" "s_server saw the chip's client certificate"
printf '%s' "$log" | grep -qi "verify error\|alert" && fail "client authentication failed: $log"
[ "$(sim_apdus)" -gt 0 ] || fail "Firefox never reached the chip (no client signature)"
[ -s "$w/page.png" ] || fail "Firefox rendered no page"
expect_eq "$(pw1_tries)" "$tries" "no PIN was sent by Firefox"
echo "p11_firefox: ok"
