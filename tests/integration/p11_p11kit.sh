#!/usr/bin/env bash
# p11_p11kit.sh — registration: a p11-kit module file (the installed one names the module by
# file name; here a private user config with the build path) makes the tokens visible to
# `p11-kit list-modules`, GnuTLS's `p11tool --list-all` and p11-kit-proxy; NSS's `modutil`
# loads the module into a private NSS database and lists its slots; meson installs the module
# and its module file into p11-kit's directories.
# skinkey-test: plain-only (p11tool (GnuTLS+p11-kit) deadlocks at exit in glibc's locale lock with the ASan runtime preloaded)
source "$SK_SRC/pkcs11/itest_lib.sh"
need p11-kit p11tool modutil certutil
p11_tokens
p11_keys

# the installed module file is what p11-kit expects
grep -qx 'module: skinkey-pkcs11.so' "$SK_SRC/pkcs11/skinkey-pkcs11.module" ||
	fail "module file does not name skinkey-pkcs11.so"
inst=$(meson introspect "$SK_BUILD" --installed 2>/dev/null) || fail "meson introspect"
expect_match "$inst" "$(pkg-config --variable=p11_module_configs p11-kit-1)/skinkey-pkcs11.module" \
	"module file installed into p11-kit's module config dir"
expect_match "$inst" "$(pkg-config --variable=p11_module_path p11-kit-1)/skinkey-pkcs11.so" \
	"module installed into p11-kit's module dir"

# p11-kit skips user configuration for root: give this mount namespace a private module
# directory instead (tmpfs over p11-kit's, holding only the trust module and ours)
mdir=$(pkg-config --variable=p11_module_configs p11-kit-1)
cp "$mdir/p11-kit-trust.module" "$SKNS_SCRATCH/trust.module" 2>/dev/null || true
mount -t tmpfs -o mode=0755 tmpfs "$mdir" || fail "private p11-kit module dir"
[ -f "$SKNS_SCRATCH/trust.module" ] && cp "$SKNS_SCRATCH/trust.module" "$mdir/p11-kit-trust.module"
sed "s|^module: .*|module: $SO|" "$SK_SRC/pkcs11/skinkey-pkcs11.module" > "$mdir/skinkey-pkcs11.module"
mods=$(p11-kit list-modules 2>&1) || fail "p11-kit list-modules: $mods"
printf '%s\n' "$mods" >&2
expect_match "$mods" "skinkey-pkcs11" "p11-kit lists the module"
expect_match "$mods" "token: $PGP" "p11-kit lists the OpenPGP token"
expect_match "$mods" "token: $HMAC" "p11-kit lists the HMAC token"

all=$(p11tool --list-all "pkcs11:token=$(printf '%s' "$PGP" | sed 's/ /%20/g')" 2>&1) ||
	fail "p11tool --list-all: $all"
printf '%s\n' "$all" >&2
expect_match "$all" "Type: Public key \(EC/ECDSA" "p11tool sees the P-256 key"
expect_match "$all" "Type: Public key \(RSA" "p11tool sees the RSA keys"
expect_eq "$(printf '%s\n' "$all" | grep -c 'Type: Public key')" 3 "three public keys"

proxy=/usr/lib/x86_64-linux-gnu/p11-kit-proxy.so
[ -f "$proxy" ] || fail "p11-kit-proxy.so missing"
out=$(pkcs11-tool --module "$proxy" -L 2>&1) || fail "p11-kit-proxy: $out"
expect_match "$out" "$PGP" "p11-kit-proxy shows the OpenPGP token"

# NSS (Firefox's crypto library): a private database with the module added
db=$SKNS_SCRATCH/nssdb
mkdir -p "$db"
certutil -N -d "sql:$db" --empty-password || fail "certutil -N"
out=$(modutil -dbdir "sql:$db" -add skinkey -libfile "$SO" -force 2>&1) || fail "modutil -add: $out"
list=$(modutil -dbdir "sql:$db" -list skinkey 2>&1) || fail "modutil -list: $list"
printf '%s\n' "$list" >&2
expect_match "$list" "Token Name: *$PGP" "NSS sees the OpenPGP token"
expect_match "$list" "Token Name: *$HMAC" "NSS sees the HMAC token"
echo "p11_p11kit: ok"
