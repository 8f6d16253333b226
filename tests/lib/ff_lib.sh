# ff_lib.sh — sourced by tests/integration/ff_*.sh (inside tests/lib/skns.sh): a fresh
# Firefox ESR profile with a PKCS#11 module in its NSS database and prefs that keep Firefox
# off the network, a headless screenshot run under strace (every connect/sendto is recorded), and
# failure dumps.

# ff_profile DIR MODULE_SO CA_PEM: NSS db, module "skinkey", trusted test CA, user.js.
ff_profile() {
	local prof=$1 so=$2 ca=$3 out
	mkdir -p "$prof"
	certutil -N -d "sql:$prof" --empty-password || fail "certutil -N (profile NSS db)"
	certutil -A -d "sql:$prof" -n skinkey-test-ca -t "C,," -i "$ca" || fail "certutil -A (trust CA)"
	# modutil asks to confirm unless -force; with a browser running it would refuse
	out=$(modutil -dbdir "sql:$prof" -add skinkey -libfile "$so" -force 2>&1) ||
		fail "modutil -add: $out"
	ff_prefs > "$prof/user.js"
}

# ff_chip_client_cert CN (in the current directory, after sourcing pkcs11/itest_lib.sh): a P-256
# authentication key generated on the chip (id 03) through the module, a test CA (ca.pem), a
# server certificate for 127.0.0.1 (srv.pem, srv.key) and a client certificate CN for the chip's
# key (cli.der), written to the chip (DO 7F21). Sets PGP/HMAC/CHIP (p11_tokens).
ff_chip_client_cert() {
	local user_cn=$1 out
	p11_tokens
	out=$(p11 --token-label "$PGP" --login --login-type so --so-pin 12345678 --keypairgen \
		--key-type EC:prime256v1 --id 03 2>&1) || fail "P-256 key generation on the chip: $out"
	out=$(p11 --token-label "$PGP" --read-object --type pubkey --id 03 -o aut.spki.der 2>&1) ||
		fail "reading the public key through the module: $out"
	openssl pkey -pubin -inform DER -in aut.spki.der -out aut.pub.pem 2>/dev/null ||
		fail "the module's public key is not a DER SubjectPublicKeyInfo"
	openssl pkey -pubin -in aut.pub.pem -text -noout | grep_all 'prime256v1' ||
		fail "the chip's key is not on P-256: $(openssl pkey -pubin -in aut.pub.pem -text -noout)"

	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key \
		-subj "/O=skinkey test/CN=skinkey test CA" -days 2 -out ca.pem 2>/dev/null || fail "test CA"
	printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' > srv.ext
	openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout srv.key \
		-subj /CN=127.0.0.1 -out srv.csr 2>/dev/null || fail "server key"
	openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
		-extfile srv.ext -out srv.pem 2>/dev/null || fail "server certificate"
	printf 'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n' > cli.ext
	openssl x509 -new -CA ca.pem -CAkey ca.key -force_pubkey aut.pub.pem \
		-subj "/O=skinkey test/CN=$user_cn" -days 2 -extfile cli.ext -outform DER \
		-out cli.der 2>/dev/null || fail "client certificate for the chip's key"
	out=$(p11 --token-label "$PGP" --login --login-type so --so-pin 12345678 \
		--write-object cli.der --type cert --id 03 2>&1) || fail "writing the certificate to 7F21: $out"
}

# Prefs: automatic client-certificate choice, no first-run pages, and nothing that talks to
# the network (updates, telemetry, safe browsing, remote settings, captive portal, DoH,
# speculative connections, push, ...). The namespace has only loopback anyway; the strace
# check in ff_screenshot proves no connect() went elsewhere.
ff_prefs() {
	local p
	while read -r p; do
		[ -n "$p" ] && printf 'user_pref(%s);\n' "$p"
	done <<'PREFS'
"security.default_personal_cert", "Select Automatically"
"security.remember_cert_checkbox_default_setting", true
"security.osclientcerts.autoload", false
"security.enterprise_roots.enabled", false
"security.OCSP.enabled", 0
"security.remote_settings.crlite_filters.enabled", false
"security.remote_settings.intermediates.enabled", false
"security.certerrors.mitm.priming.enabled", false
"security.pki.crlite_mode", 0
"browser.shell.checkDefaultBrowser", false
"browser.startup.homepage_override.mstone", "ignore"
"browser.startup.page", 0
"browser.startup.homepage", "about:blank"
"startup.homepage_welcome_url", ""
"startup.homepage_welcome_url.additional", ""
"startup.homepage_override_url", ""
"browser.aboutwelcome.enabled", false
"trailhead.firstrun.didSeeAboutWelcome", true
"browser.newtabpage.enabled", false
"browser.newtabpage.activity-stream.feeds.topsites", false
"browser.newtabpage.activity-stream.feeds.section.topstories", false
"browser.newtabpage.activity-stream.feeds.snippets", false
"browser.newtabpage.activity-stream.telemetry", false
"browser.newtabpage.activity-stream.feeds.telemetry", false
"browser.topsites.contile.enabled", false
"browser.ping-centre.telemetry", false
"browser.discovery.enabled", false
"browser.region.update.enabled", false
"browser.region.network.url", ""
"browser.search.update", false
"browser.search.geoSpecificDefaults", false
"browser.translations.enable", false
"browser.ml.enable", false
"browser.urlbar.speculativeConnect.enabled", false
"browser.urlbar.suggest.quicksuggest.sponsored", false
"browser.urlbar.suggest.quicksuggest.nonsponsored", false
"browser.contentblocking.report.monitor.enabled", false
"browser.safebrowsing.malware.enabled", false
"browser.safebrowsing.phishing.enabled", false
"browser.safebrowsing.blockedURIs.enabled", false
"browser.safebrowsing.downloads.enabled", false
"browser.safebrowsing.downloads.remote.enabled", false
"browser.safebrowsing.update.enabled", false
"browser.safebrowsing.provider.google.updateURL", ""
"browser.safebrowsing.provider.google4.updateURL", ""
"browser.safebrowsing.provider.mozilla.updateURL", ""
"datareporting.policy.dataSubmissionEnabled", false
"datareporting.healthreport.uploadEnabled", false
"datareporting.policy.firstRunURL", ""
"toolkit.telemetry.enabled", false
"toolkit.telemetry.unified", false
"toolkit.telemetry.archive.enabled", false
"toolkit.telemetry.server", ""
"toolkit.telemetry.reportingpolicy.firstRun", false
"toolkit.telemetry.shutdownPingSender.enabled", false
"toolkit.telemetry.newProfilePing.enabled", false
"toolkit.telemetry.updatePing.enabled", false
"toolkit.telemetry.bhrPing.enabled", false
"toolkit.telemetry.firstShutdownPing.enabled", false
"app.update.enabled", false
"app.update.auto", false
"app.update.disabledForTesting", true
"app.update.checkInstallTime", false
"app.update.url", ""
"app.normandy.enabled", false
"app.normandy.api_url", ""
"app.shield.optoutstudies.enabled", false
"messaging-system.rsexperimentloader.enabled", false
"services.settings.server", "data:,#remote-settings-dummy/v1"
"extensions.update.enabled", false
"extensions.update.autoUpdateDefault", false
"extensions.getAddons.cache.enabled", false
"extensions.systemAddon.update.enabled", false
"extensions.blocklist.enabled", false
"extensions.pocket.enabled", false
"extensions.webservice.discoverURL", ""
"extensions.autoDisableScopes", 15
"media.gmp-manager.url", ""
"media.gmp-gmpopenh264.enabled", false
"media.gmp-widevinecdm.enabled", false
"geo.provider.network.url", ""
"dom.push.connection.enabled", false
"dom.push.serverURL", ""
"identity.fxaccounts.enabled", false
"signon.management.page.breach-alerts.enabled", false
"network.proxy.type", 0
"network.trr.mode", 5
"network.captive-portal-service.enabled", false
"network.connectivity-service.enabled", false
"captivedetect.canonicalURL", ""
"network.dns.disablePrefetch", true
"network.prefetch-next", false
"network.predictor.enabled", false
"network.http.speculative-parallel-limit", 0
PREFS
}

# ff_start PROFILE URL PNG LOGDIR TIMEOUT: starts headless Firefox in the background to
# render URL into PNG; sets FF_PID (the timeout(1) process: signalling it reaches Firefox's
# whole process group). Every connect(), sendto() and sendmmsg() of Firefox and its children goes to
# LOGDIR/firefox.strace; stdout/stderr to LOGDIR/firefox.log.
ff_start() {
	local prof=$1 url=$2 png=$3 log=$4 t=$5
	MOZ_HEADLESS=1 MOZ_CRASHREPORTER_DISABLE=1 MOZ_DISABLE_AUTO_SAFE_MODE=1 MOZ_REMOTE_SETTINGS_DEVTOOLS=1 \
		timeout -k 5 "$t" strace -f -qq -s 0 -e trace=connect,sendto,sendmmsg -o "$log/firefox.strace" \
		firefox-esr --headless --no-remote --profile "$prof" \
		--screenshot "$png" "$url" > "$log/firefox.log" 2>&1 &
	FF_PID=$!
}

# ff_wait: waits for the Firefox started by ff_start; returns its status (124 on timeout).
ff_wait() {
	local rc=0
	wait "$FF_PID" || rc=$?
	return "$rc"
}

# ff_stop: ends the Firefox started by ff_start (TERM, then KILL after timeout's -k grace).
ff_stop() {
	kill -TERM "$FF_PID" 2>/dev/null || true
	ff_wait || true
}

# ff_screenshot PROFILE URL PNG LOGDIR TIMEOUT: ff_start and ff_wait.
ff_screenshot() {
	ff_start "$@"
	ff_wait
}

# ff_foreign_connects STRACE_LOG: prints every AF_INET/AF_INET6 connect() to an address other
# than loopback (empty output = Firefox stayed on 127.0.0.1).
ff_foreign_connects() {
	grep -E 'sa_family=AF_INET6?' "$1" | grep -vE 'inet_addr\("127\.0\.0\.1"\)|inet_pton\(AF_INET6, "::1"' || true
}

# ff_dump LOGDIR: what went wrong, on stderr (skns.sh also tails every file in $SKNS_LOG).
ff_dump() {
	local log=$1 f
	for f in firefox.log s_server.log; do
		[ -s "$log/$f" ] && { echo "--- $f"; tail -n 60 "$log/$f"; }
	done
	[ -s "$log/firefox.strace" ] && { echo "--- firefox connect() calls"; grep -E 'AF_INET|AF_UNIX' "$log/firefox.strace" |
		sed -E 's/^[0-9]+ +//; s/connect\([0-9]+, /connect(/' | sort | uniq -c | sort -rn | head -n 30; }
	[ -s "$log/skinkeyd.log" ] && { echo "--- skinkeyd.log"; tail -n 40 "$log/skinkeyd.log"; }
	return 0
} >&2
