#!/usr/bin/env bash
# guard_anchor.sh — the chain's head leaves the host, offline: anchor-command receives each new
# head on stdin and `skinkey audit anchor check` finds it in the chain; an RFC 3161 request for
# the head, answered by a local TSA (openssl ts -reply), verifies with `anchor verify` (OpenSSL's
# TS API) and fails against another CA and against a truncated copy of the chain; the head
# signed on the chip through gpg verifies with plain gpg --verify and `anchor check`.
. "$SK_SRC/tests/lib/common.sh"
. "$SK_SRC/tests/integration/agent_lib.inc"
. "$SK_SRC/tests/lib/gpgcard.sh"
need gpg gpgconf openssl /usr/bin/python3
S=$SKNS_SCRATCH/anchor; mkdir -p "$S"
AUDIT_DB=$XDG_DATA_HOME/skinkey/audit.db

mkdir -p "$XDG_CONFIG_HOME/skinkey"
printf 'pinentry-program = %s\nanchor-command = cat >> %s/heads.txt\n' \
	"$SK_SRC/tests/lib/pinentry-test" "$S" > "$XDG_CONFIG_HOME/skinkey/skinkey.conf"
gpgcard_setup_agent   # gpg through skinkey-scd: skinkeyd and its guard start on first use
gpgcard_generate_ed25519 "Anchor User" anchor@example.org
echo "anchor me" > "$S/msg"
gpg --batch --yes -u anchor@example.org --detach-sign -o "$S/msg.sig" "$S/msg" || fail "gpg --detach-sign"
wait_for 60 sh -c "skinkey audit tail | grep -q 'key-op:sign'" || fail "no key-op:sign row"

# anchor-command: each new head, one line on stdin
wait_for 60 grep -q '^skinkey-audit-head v1 seq=[0-9]* hash=[0-9a-f]\{64\} ts=[0-9]*$' "$S/heads.txt" ||
	fail "anchor-command got no head"
tail -1 "$S/heads.txt" > "$S/last-head.txt"
out=$(skinkey audit anchor check "$S/last-head.txt") || fail "anchor check: $out"
expect_match "$out" 'is in the chain with the anchored hash' "the anchor-command head is in the chain"

# RFC 3161 with a local TSA
cd "$S"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout ca.key -out ca.crt \
	-subj /CN=Test-TSA-CA -days 2 2>/dev/null || fail "CA"
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout tsa.key -out tsa.csr \
	-subj /CN=Test-TSA 2>/dev/null || fail "TSA key"
printf 'extendedKeyUsage = critical,timeStamping\n' > tsa.ext
openssl x509 -req -in tsa.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out tsa.crt -days 2 \
	-extfile tsa.ext 2>/dev/null || fail "TSA certificate"
cat > tsa.cnf <<EOF
[ tsa ]
default_tsa = tsa1
[ tsa1 ]
dir = $S
serial = $S/tsa.serial
crypto_device = builtin
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256
accuracy = secs:1
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = sha256
EOF
echo 01 > tsa.serial
skinkey audit anchor request -o head.tsq || fail "anchor request"
openssl ts -query -in head.tsq -text 2>/dev/null | grep -q 'Hash Algorithm: sha256' || fail "not a SHA-256 TimeStampReq"
imprint=$(openssl asn1parse -inform DER -in head.tsq | sed -n 's/.*OCTET STRING *\[HEX DUMP\]://p' | tr 'A-F' 'a-f')
headhash=$(/usr/bin/python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select hex(row_hash) from audit order by seq desc limit 1").fetchone()[0].lower())' "$AUDIT_DB")
expect_eq "$imprint" "$headhash" "the request's imprint is the head row's hash"
openssl ts -reply -queryfile head.tsq -config tsa.cnf -inkey tsa.key -signer tsa.crt -out head.tsr \
	2>/dev/null || fail "openssl ts -reply"
out=$(skinkey audit anchor verify head.tsr --ca ca.crt --untrusted tsa.crt) || fail "anchor verify: $out"
expect_match "$out" 'existed at [0-9]{14}' "the TSA's time reported"
# another CA does not vouch for this TSA
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -keyout other.key -out other.crt \
	-subj /CN=Other -days 2 2>/dev/null
if skinkey audit anchor verify head.tsr --ca other.crt --untrusted tsa.crt > out.txt 2>&1; then
	fail "a reply verified against the wrong CA"
fi
# more rows, then the tail cut back to before the anchored row: the anchor notices
gpg --batch --yes -u anchor@example.org --detach-sign -o "$S/msg.sig" "$S/msg" || fail "second signature"
n=$(/usr/bin/python3 -c 'import sqlite3,sys; print(sqlite3.connect(sys.argv[1]).execute("select count(*) from audit").fetchone()[0])' "$AUDIT_DB")
aseq=$(sed -n 's/.*seq=\([0-9]*\).*/\1/p' last-head.txt)
/usr/bin/python3 -c 'import sqlite3,sys; d=sqlite3.connect(sys.argv[2]); sqlite3.connect(sys.argv[1]).backup(d); d.execute("delete from audit where seq >= ?", (int(sys.argv[3]),)); d.commit()' \
	"$AUDIT_DB" cut.db "$aseq"
if out=$(skinkey audit anchor check --db cut.db last-head.txt); then fail "a cut chain kept its anchor: $out"; fi
expect_match "$out" 'truncated or rewritten' "the cut is named"
if out=$(skinkey audit anchor verify --db cut.db head.tsr --ca ca.crt --untrusted tsa.crt); then
	fail "a cut chain verified against the timestamp"
fi

# the head signed with the OpenPGP signature key on the chip, plain gpg --verify
skinkey audit anchor sign -o head.asc || fail "anchor sign"
gpg --verify head.asc 2> verify.txt || fail "gpg --verify: $(cat verify.txt)"
expect_match "$(cat verify.txt)" 'Good signature from "Anchor User' "signed with the chip's key"
out=$(skinkey audit anchor check head.asc) || fail "anchor check of the signed head: $out"
echo "guard_anchor: ok (chain of $n rows)"
