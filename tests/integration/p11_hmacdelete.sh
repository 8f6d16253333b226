#!/usr/bin/env bash
# p11_hmacdelete.sh — skinkeyd's HMAC slot commands as skinkey-pkcs11.so uses them, straight on
# the socket (so the sanitizer run covers them; p11_rules.sh drives them through the module):
# HMACPROGRAM --if-empty writes an empty slot and refuses a programmed one without writing,
# HMACDELETE erases a slot (HMACSLOTS and an independent client, ykman, agree), after which
# HMACPROGRAM --if-empty takes a new key.
source "$SK_SRC/pkcs11/itest_lib.sh"
need ykman xxd openssl
p11_tokens
SOCK="$XDG_RUNTIME_DIR/skinkey/S.skinkeyd"

# skd_key CMD [KEYHEX]: one command; answers INQUIRE KEY with the key; prints S/ERR/OK lines
skd_key() {
	/usr/bin/python3 - "$SOCK" "$1" "${2:-}" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile("rwb")
f.readline()
f.write(sys.argv[2].encode() + b"\n"); f.flush()
while True:
    l = f.readline().decode().rstrip("\n")
    if l.startswith("INQUIRE KEY"):
        key = bytes.fromhex(sys.argv[3])
        f.write(b"D " + b"".join(b"%%%02X" % c if c in b"%\r\n" else bytes([c]) for c in key)
                + b"\nEND\n"); f.flush()
        continue
    if l.startswith("#"):
        continue
    print(l)
    if not l or l.startswith("OK") or l.startswith("ERR"):
        break
PY
}
yk() {  # slot -> HMAC of "Hi There" by ykman (past skinkeyd)
	ykman --reader "$SK_READER0" otp calculate "$1" "$(printf 'Hi There' | xxd -p)"
}
jefe=$(printf Jefe | xxd -p)
want_jefe=$(printf 'Hi There' | openssl dgst -sha1 -mac HMAC -macopt key:Jefe | sed 's/.*= //')

out=$(skd_key "HMACPROGRAM --if-empty $CHIP 2" 0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b)
expect_match "$out" "^OK" "empty slot 2 programmed: $out"
expect_eq "$(yk 2)" b617318655057264e28bc0b6fb378c8ef146be00 "slot 2 holds the key (ykman)"
out=$(skd_key "HMACPROGRAM --if-empty $CHIP 2" "$jefe")
expect_match "$out" "^ERR" "a programmed slot is refused: $out"
expect_eq "$(yk 2)" b617318655057264e28bc0b6fb378c8ef146be00 "slot 2 unchanged after the refusal"
out=$(skd_key "HMACDELETE $CHIP 9")
expect_match "$out" "^ERR" "HMACDELETE of slot 9 refused: $out"
out=$(skd_key "HMACDELETE $CHIP 2")
expect_match "$out" "^OK" "HMACDELETE: $out"
expect_match "$(skd "HMACSLOTS $CHIP")" "S HMACSLOT 2 0" "HMACSLOTS shows slot 2 empty"
info=$(ykman --reader "$SK_READER0" otp info 2>&1) || fail "ykman otp info: $info"
expect_match "$info" "Slot 2: +empty" "ykman sees slot 2 empty"
out=$(skd_key "HMACPROGRAM --if-empty $CHIP 2" "$jefe")
expect_match "$out" "^OK" "the erased slot takes a new key: $out"
expect_eq "$(yk 2)" "$want_jefe" "slot 2 answers with the new key"
echo "p11_hmacdelete: ok"
