#!/usr/bin/env bash
# skinkey oath list|code|add|delete|rename through skinkeyd against the simulated YKOATH applet.
# Every code is compared with oathtool's (Debian's oathtool) for the same random secret: TOTP
# at fixed times (SHA-1 6 digits, SHA-256 8 digits, a 60 s period) and HOTP at counters 0, 1, 2
# and from a given start counter. Then JSON output, rename (the old name is gone, the code
# stays), delete, refusal to replace a credential without --force, and an applet password set
# by ykman: refused without it, a wrong one is "Bad PIN", the right one from --password-file.
source "$SK_SRC/tests/lib/common.sh"
source "$SK_SRC/tests/integration/agent_lib.inc"
need skinkey skinkeyd skinkey-sim oathtool ykman openssl /usr/bin/python3

skinkey status >/dev/null || fail "status"
b32() { /usr/bin/python3 -c 'import base64,sys; print(base64.b32encode(bytes.fromhex(sys.argv[1])).decode().rstrip("="))' "$1"; }
S1=$(b32 "$(openssl rand -hex 20)")
S2=$(b32 "$(openssl rand -hex 32)")
S3=$(b32 "$(openssl rand -hex 20)")
S4=$(b32 "$(openssl rand -hex 10)")   # 10 bytes: shorter than a YubiKey's 14-byte minimum

printf '%s\n' "$S1" | skinkey oath add "Example:alice@example.org" || fail "add TOTP"
printf '%s\n' "$S2" | skinkey oath add --algo sha256 --digits 8 totp256 || fail "add TOTP SHA-256"
printf '%s\n' "$S3" | skinkey oath add --hotp hotp1 || fail "add HOTP"
printf '%s\n' "$S4" | skinkey oath add --period 60 slow || fail "add 60 s TOTP"
printf '%s\n' "$S3" | skinkey oath add --hotp --counter 41 hotp41 || fail "add HOTP at 41"

for t in 59 1111111109 1234567890 2000000000 $(date +%s); do
	expect_eq "$(skinkey oath code --time "$t" "Example:alice@example.org")" \
		"$(oathtool --totp -b -N "@$t" "$S1")" "TOTP SHA-1 at $t"
	expect_eq "$(skinkey oath code --time "$t" totp256)" \
		"$(oathtool --totp=sha256 -d 8 -b -N "@$t" "$S2")" "TOTP SHA-256 8 digits at $t"
	expect_eq "$(skinkey oath code --time "$t" slow)" \
		"$(oathtool --totp -s 60 -b -N "@$t" "$S4")" "TOTP 60 s at $t"
done
for c in 0 1 2; do
	expect_eq "$(skinkey oath code hotp1)" "$(oathtool --hotp -b -c $c "$S3")" "HOTP counter $c"
done
expect_eq "$(skinkey oath code hotp41)" "$(oathtool --hotp -b -c 41 "$S3")" "HOTP from counter 41"

# all codes at once: TOTP computed (CALCULATE ALL; the 60 s one by itself), HOTP not counted up
all=$(skinkey oath code --time 1111111109) || fail "code (all)"
expect_match "$all" "^Example:alice@example.org	$(oathtool --totp -b -N @1111111109 "$S1")\$" "all: SHA-1"
expect_match "$all" "^60/slow	$(oathtool --totp -s 60 -b -N @1111111109 "$S4")\$" "all: 60 s period"
expect_match "$all" "^hotp1	\(HOTP" "all: HOTP not computed"
expect_eq "$(skinkey oath code hotp1)" "$(oathtool --hotp -b -c 3 "$S3")" "listing all did not count HOTP up"

json=$(skinkey --json oath code --time 59) || fail "code --json"
/usr/bin/python3 - "$json" "$(oathtool --totp=sha256 -d 8 -b -N @59 "$S2")" <<'PY' || fail "code JSON: $json"
import json, sys
d = {c["name"]: c for c in json.loads(sys.argv[1])}
t = d["totp256"]
assert t["type"] == "totp" and t["code"] == sys.argv[2], t
assert t["valid_from"] == 30 and t["valid_until"] == 60, t
assert d["60/slow"]["valid_from"] == 0 and d["60/slow"]["valid_until"] == 60, d["60/slow"]
assert d["hotp1"]["code"] is None and d["hotp1"]["type"] == "hotp", d["hotp1"]
PY
json=$(skinkey oath list --json) || fail "list --json"
/usr/bin/python3 - "$json" <<'PY' || fail "list JSON: $json"
import json, sys
d = {c["name"]: c for c in json.loads(sys.argv[1])}
assert set(d) == {"Example:alice@example.org", "totp256", "hotp1", "60/slow", "hotp41"}, d
assert d["totp256"] == {"name": "totp256", "type": "totp", "algorithm": "sha256", "period": 30}, d
assert d["hotp1"]["type"] == "hotp" and d["60/slow"]["period"] == 60, d
PY
# ykman, an independent client, sees the same credentials
expect_match "$(ykman --reader "$SK_READER0" oath accounts list)" 'Example:alice@example.org' "ykman lists"

# rename: the code follows the credential, the old name is gone
skinkey oath rename totp256 "Bank:bob" || fail "rename"
expect_eq "$(skinkey oath code --time 59 Bank:bob)" "$(oathtool --totp=sha256 -d 8 -b -N @59 "$S2")" "renamed code"
rc=0; out=$(skinkey oath code totp256 2>&1) || rc=$?
expect_eq "$rc" 1 "old name after rename"; expect_match "$out" 'Not found' "old name message"
rc=0; out=$(skinkey oath rename hotp1 Bank:bob 2>&1) || rc=$?
expect_eq "$rc" 1 "rename onto an existing name"
expect_eq "$(skinkey oath code hotp1)" "$(oathtool --hotp -b -c 4 "$S3")" "refused rename left hotp1"

# replacing a secret needs --force
rc=0; out=$(printf '%s\n' "$S2" | skinkey oath add hotp1 2>&1) || rc=$?
expect_eq "$rc" 1 "add over an existing name"; expect_match "$out" '--force replaces it' "message"
expect_eq "$(skinkey oath code hotp1)" "$(oathtool --hotp -b -c 5 "$S3")" "refused add left hotp1"
printf '%s\n' "$S2" | skinkey oath add --force --algo sha256 --digits 8 hotp1 || fail "add --force"
expect_eq "$(skinkey oath code --time 59 hotp1)" "$(oathtool --totp=sha256 -d 8 -b -N @59 "$S2")" "replaced"

# bad input: clear errors, nothing written
rc=0; out=$(echo 'not base32!' | skinkey oath add junk 2>&1) || rc=$?
expect_eq "$rc" 1 "bad secret"; expect_match "$out" 'not base32' "bad secret message"
rc=0; skinkey oath add --digits 9 junk </dev/null 2>/dev/null || rc=$?; expect_eq "$rc" 2 "9 digits"
expect_eq "$(skinkey oath list | grep -c junk)" 0 "nothing added by bad input"

expect_eq "$(skinkey oath code --time 59 60/slow)" "$(oathtool --totp -s 60 -b -N @59 "$S4")" "full name"
skinkey oath delete slow || fail "delete (by the name without the period)"
expect_eq "$(skinkey oath list | grep -c slow)" 0 "deleted"
rc=0; skinkey oath delete slow 2>/dev/null || rc=$?; expect_eq "$rc" 1 "delete twice"

# the guard's audit chain holds the codes computed and the changes made (never a code or secret)
wait_for 60 sh -c "skinkey audit tail -n 200 | grep -q 'key-op:oath-code .* key Bank:bob .* ok'" ||
	fail "no key-op:oath-code row: $(skinkey audit tail -n 5 2>&1)"
wait_for 60 sh -c "skinkey audit tail -n 200 | grep -q 'provision:oath-rename .* key Bank:bob .* ok'" ||
	fail "no provision:oath-rename row"
wait_for 60 sh -c "skinkey audit tail -n 200 | grep -q 'provision:oath-add .* key hotp1 .* FAILED'" ||
	fail "the refused add is not recorded as failed"

# an access password (set by ykman, as a user of a YubiKey would): VALIDATE before every command
ykman --reader "$SK_READER0" oath access change -n 's3cret pass' >/dev/null || fail "ykman set password"
rc=0; out=$(skinkey oath list </dev/null 2>&1) || rc=$?
expect_eq "$rc" 1 "no password"; expect_match "$out" 'password-file' "no password message"
echo wrong > "$HOME/pw.bad"; printf 's3cret pass\n' > "$HOME/pw"
rc=0; out=$(skinkey oath --password-file "$HOME/pw.bad" list 2>&1) || rc=$?
expect_eq "$rc" 1 "wrong password"; expect_match "$out" 'Bad PIN' "wrong password message"
expect_eq "$(skinkey oath --password-file "$HOME/pw" code --time 59 Example:alice@example.org)" \
	"$(oathtool --totp -b -N @59 "$S1")" "with the password"
echo ok
