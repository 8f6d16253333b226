#!/usr/bin/env bash
# p11_rules.sh — PKCS#11 3.0 rules checked with real clients (python3-pykcs11, pkcs11-tool,
# p11tool, ctypes) against the module on the simulated chip:
# - HMAC token: a session object (CKA_TOKEN false, the default) in a R/W session without login
#   never reaches the chip (no APDU, state file and HMAC answer unchanged), also when p11tool
#   writes one; a programmed slot is never overwritten (module and skinkeyd's HMACPROGRAM
#   --if-empty);
#   C_DestroyObject is the explicit erase, after which the slot takes a new key.
# - Slot ids: remembered from one process, used in another right after C_Initialize.
# - Tokens without login: public session states, C_Login / C_Logout answers.
# - SO and read-only sessions exclude each other; the SO's C_GenerateKeyPair returns a handle
#   pkcs11-tool can print (no warning, no bogus data object).
# - C_GetInterface for 2.x, CKF_RNG with C_GenerateRandom, C_SeedRandom's answers.
# skinkey-test: plain-only (python3-pykcs11 and ctypes load the module without the ASan runtime; p11tool deadlocks at exit with it)
source "$SK_SRC/pkcs11/itest_lib.sh"
need p11tool xxd sha256sum
PY=/usr/bin/python3
$PY -c 'import PyKCS11' || fail "python3-pykcs11 missing (scripts/deps.sh)"
mkdir -p "$SKNS_SCRATCH/p11rules" && cd "$SKNS_SCRATCH/p11rules"
p11_tokens
export SO HMAC PGP
STATE="$XDG_DATA_HOME/flexsecure.state"   # tests/lib/skns.sh starts the simulator on it

# pyk SCRIPT: runs python with PyKCS11 loaded on the module (lib), helpers slot(label), rv(fn)
pyk() {
	$PY - "$@" <<PY
import os, sys, hmac, hashlib, PyKCS11
from PyKCS11 import *
lib = PyKCS11Lib(); lib.load(os.environ["SO"])
def slot(label):
    for s in lib.getSlotList(tokenPresent=True):
        if lib.getTokenInfo(s).label.strip() == label:
            return s
    sys.exit("no token " + label)
def rv(fn, *a):
    try:
        fn(*a)
        return "CKR_OK"
    except PyKCS11Error as e:
        return CKR[e.value]
$(cat)
PY
}

# ---- HMAC token: session objects never touch the chip ----
hmac_answer() {  # slot -> hex HMAC of "Hi There"
	printf 'Hi There' > chal
	p11 --token-label "$HMAC" --sign -m SHA-1-HMAC --id "0$1" -i chal -o resp >/dev/null 2>&1 ||
		fail "HMAC slot $1"
	xxd -p resp
}
out=$(pyk <<'EOF'
s = lib.openSession(slot(os.environ["HMAC"]), CKF_SERIAL_SESSION | CKF_RW_SESSION)
t = [(CKA_CLASS, CKO_SECRET_KEY), (CKA_KEY_TYPE, CKK_GENERIC_SECRET), (CKA_ID, (1,)),
     (CKA_VALUE, b"\x0b" * 20), (CKA_TOKEN, True)]
s.createObject(t)
print("programmed")
EOF
) || fail "programming slot 1 as a token object: $out"
expect_eq "$(hmac_answer 1)" b617318655057264e28bc0b6fb378c8ef146be00 "slot 1 programmed (RFC 2202 #1)"
[ -f "$STATE" ] || fail "no simulator state file at $STATE"
before=$(sha256sum < "$STATE")
sim reset-stats >/dev/null
out=$(pyk <<'EOF'
s = lib.openSession(slot(os.environ["HMAC"]), CKF_SERIAL_SESSION | CKF_RW_SESSION)
print("state", s.getSessionInfo().state == CKS_RW_PUBLIC_SESSION)
base = [(CKA_CLASS, CKO_SECRET_KEY), (CKA_KEY_TYPE, CKK_GENERIC_SECRET), (CKA_VALUE, b"Jefe")]
# CKA_TOKEN absent (default false) and explicitly false, on the programmed and the empty slot
for t in (base + [(CKA_ID, (1,))], base + [(CKA_ID, (2,))],
          base + [(CKA_ID, (1,)), (CKA_TOKEN, False)], base + [(CKA_LABEL, "HMAC slot 2"), (CKA_TOKEN, False)]):
    print("session-object", rv(s.createObject, t))
print("keys", len(s.findObjects([(CKA_CLASS, CKO_SECRET_KEY)])))
print("token-false", [o for o in s.findObjects([(CKA_CLASS, CKO_SECRET_KEY), (CKA_TOKEN, False)])])
EOF
) || fail "session-object attempts: $out"
printf '%s\n' "$out" >&2
expect_eq "$(printf '%s\n' "$out" | grep -c '^session-object CKR_TEMPLATE_INCONSISTENT$')" 4 \
	"every session-object create refused"
expect_match "$out" "state True" "a session without login is CKS_RW_PUBLIC_SESSION"
expect_match "$out" "keys 1" "no new key appeared"
expect_match "$out" "token-false \[\]" "no object reports CKA_TOKEN false"
# GnuTLS's p11tool writes CKA_TOKEN = CKA_PRIVATE = CKA_SENSITIVE = false without --mark-sensitive
export GNUTLS_PIN=unused
out=$(p11tool --provider "$SO" --write --secret-key 4a656665 --label "HMAC slot 1" \
	"pkcs11:token=$(printf '%s' "$HMAC" | sed 's/ /%20/g')" 2>&1) && fail "p11tool session key accepted: $out"
expect_eq "$(sim_apdus)" 0 "no APDU reached the chip for a session object"
expect_eq "$(sha256sum < "$STATE")" "$before" "the chip's state file is unchanged"
expect_eq "$(hmac_answer 1)" b617318655057264e28bc0b6fb378c8ef146be00 "slot 1 answers as before"

# ---- a programmed slot is never overwritten; C_DestroyObject is the explicit erase ----
out=$(pyk <<'EOF'
s = lib.openSession(slot(os.environ["HMAC"]), CKF_SERIAL_SESSION | CKF_RW_SESSION)
t = [(CKA_CLASS, CKO_SECRET_KEY), (CKA_KEY_TYPE, CKK_GENERIC_SECRET), (CKA_ID, (1,)),
     (CKA_VALUE, b"Jefe"), (CKA_TOKEN, True)]
print("overwrite", rv(s.createObject, t))
EOF
) || fail "overwrite attempt: $out"
expect_match "$out" "overwrite CKR_ATTRIBUTE_VALUE_INVALID" "programmed slot refused by the module"
# skinkeyd refuses too what the module sends (HMACPROGRAM --if-empty), reading the chip in the
# same transaction: a stale cache in the module cannot overwrite a slot
out=$($PY - "$XDG_RUNTIME_DIR/skinkey/S.skinkeyd" "$CHIP" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); f = s.makefile("rwb")
f.readline()
f.write(("HMACPROGRAM --if-empty %s 1\n" % sys.argv[2]).encode()); f.flush()
while True:
    l = f.readline().decode().rstrip("\n")
    if l.startswith("INQUIRE KEY"):
        f.write(b"D Jefe\nEND\n"); f.flush()
    elif not l.startswith("S ") and not l.startswith("#"):
        print(l); break
PY
)
expect_match "$out" "^ERR" "skinkeyd's HMACPROGRAM refuses a programmed slot: $out"
expect_eq "$(hmac_answer 1)" b617318655057264e28bc0b6fb378c8ef146be00 "slot 1 still answers as before"
out=$(p11 --token-label "$HMAC" --delete-object --type secrkey --id 01 2>&1) ||
	fail "pkcs11-tool --delete-object of slot 1's key: $out"
objs=$(p11 --token-label "$HMAC" -O 2>&1)
grep -q 'Secret Key Object' <<< "$objs" && fail "slot 1's key still listed: $objs"
out=$(pyk <<'EOF'
s = lib.openSession(slot(os.environ["HMAC"]), CKF_SERIAL_SESSION | CKF_RW_SESSION)
t = [(CKA_CLASS, CKO_SECRET_KEY), (CKA_KEY_TYPE, CKK_GENERIC_SECRET), (CKA_ID, (1,)),
     (CKA_VALUE, b"Jefe"), (CKA_TOKEN, True)]
k = s.createObject(t)
a = s.getAttributeValue(k, [CKA_TOKEN, CKA_PRIVATE, CKA_SENSITIVE])
print("attrs", a)
EOF
) || fail "programming the erased slot: $out"
expect_match "$out" "attrs \[True, False, True\]" "new key: token object, public, sensitive"
expect_eq "$(hmac_answer 1)" "$(printf 'Hi There' | openssl dgst -sha1 -mac HMAC -macopt key:Jefe | sed 's/.*= //')" \
	"the erased slot took the new key"

# ---- tokens without login; slot ids remembered across processes ----
ids=$(pyk <<'EOF'
for s in lib.getSlotList(tokenPresent=True):
    print(s, lib.getTokenInfo(s).label.strip().replace(" ", "_"))
EOF
) || fail "slot list: $ids"
printf '%s\n' "$ids" >&2
out=$(IDS="$ids" pyk <<'EOF'
# a new process: C_Initialize, then the remembered ids straight away (no C_GetSlotList)
for line in os.environ["IDS"].splitlines():
    sid, label = line.split()
    sid = int(sid)
    ti = lib.getTokenInfo(sid)
    print("same", ti.label.strip().replace(" ", "_") == label)
    mechs = lib.getMechanismList(sid)
    s = lib.openSession(sid)
    print("rng", bool(ti.flags & CKF_RNG), len(s.generateRandom(16)) == 16)
    print("seed", rv(s.seedRandom, [1, 2, 3]))
    if ti.flags & CKF_LOGIN_REQUIRED:
        continue
    print("nopin", not (ti.flags & CKF_USER_PIN_INITIALIZED))
    print("public", s.getSessionInfo().state == CKS_RO_PUBLIC_SESSION)
    print("login", rv(s.login, "123456"))
    print("logout", rv(s.logout))
EOF
) || fail "remembered slot ids: $out"
printf '%s\n' "$out" >&2
grep -q 'same False' <<< "$out" && fail "a remembered slot id names another token: $out"
expect_eq "$(printf '%s\n' "$out" | grep -c '^same True$')" "$(printf '%s\n' "$ids" | wc -l)" \
	"every remembered slot id works right after C_Initialize"
grep -q 'False' <<< "$out" && fail "a remembered slot, CKF_RNG / C_GenerateRandom, or a PIN-less token's flags/state is wrong: $out"
expect_eq "$(printf '%s\n' "$out" | grep -v '^seed CKR_RANDOM_SEED_NOT_SUPPORTED$' | grep -c '^seed')" 0 \
	"C_SeedRandom answers CKR_RANDOM_SEED_NOT_SUPPORTED"
expect_match "$out" "public True" "HMAC token: public session state"
grep '^login' <<< "$out" | grep_all -v 'CKR_USER_PIN_NOT_INITIALIZED' &&
	fail "C_Login on a token without a PIN: $out"
grep '^logout' <<< "$out" | grep_all -v 'CKR_USER_NOT_LOGGED_IN' &&
	fail "C_Logout on a token without a PIN: $out"

# ---- SO and read-only sessions ----
out=$(pyk <<'EOF'
sl = slot(os.environ["PGP"])
ro = lib.openSession(sl)
rw = lib.openSession(sl, CKF_SERIAL_SESSION | CKF_RW_SESSION)
print("so-with-ro", rv(rw.login, "12345678", CKU_SO))
ro.closeSession()
print("so", rv(rw.login, "12345678", CKU_SO))
print("ro-with-so", rv(lib.openSession, sl))
rw.logout()
EOF
) || fail "SO / RO sessions: $out"
expect_match "$out" "so-with-ro CKR_SESSION_READ_ONLY_EXISTS" "no SO login while a RO session exists"
expect_match "$out" "so CKR_OK" "SO login once every session is R/W"
expect_match "$out" "ro-with-so CKR_SESSION_READ_WRITE_SO_EXISTS" "no RO session while the SO is in"

# ---- the SO's key generation, as pkcs11-tool prints it ----
out=$(p11 --token-label "$PGP" --login --login-type so --so-pin 12345678 --keypairgen \
	--key-type EC:prime256v1 --id 03 2>&1) || fail "keypairgen as SO: $out"
printf '%s\n' "$out" >&2
expect_match "$out" "Private Key Object; EC" "pkcs11-tool shows the generated private key"
grep -qi 'warning' <<< "$out" && fail "pkcs11-tool warned: $out"
grep -qi 'Data object' <<< "$out" && fail "bogus data object printed: $out"

# a key generation asking for session objects (PyKCS11's default templates carry no CKA_TOKEN)
# is refused before the card replaces the key in the slot
out=$(pyk <<'EOF'
s = lib.openSession(slot(os.environ["PGP"]), CKF_SERIAL_SESSION | CKF_RW_SESSION)
s.login("12345678", CKU_SO)
pub = s.findObjects([(CKA_CLASS, CKO_PUBLIC_KEY), (CKA_ID, (3,))])[0]
before = bytes(s.getAttributeValue(pub, [CKA_EC_POINT])[0])
mech = Mechanism(CKM_EC_KEY_PAIR_GEN)
p256 = bytes.fromhex("06082a8648ce3d030107")
print("sessionkeys", rv(s.generateKeyPair, [(CKA_EC_PARAMS, p256)], [(CKA_ID, (3,))], mech))
print("privfalse", rv(s.generateKeyPair, [(CKA_EC_PARAMS, p256), (CKA_TOKEN, True)],
                      [(CKA_ID, (3,)), (CKA_TOKEN, False)], mech))
pub = s.findObjects([(CKA_CLASS, CKO_PUBLIC_KEY), (CKA_ID, (3,))])[0]
print("same", bytes(s.getAttributeValue(pub, [CKA_EC_POINT])[0]) == before)
s.logout()
EOF
) || fail "keygen with session-object templates: $out"
expect_match "$out" "sessionkeys CKR_TEMPLATE_INCONSISTENT" "keygen without CKA_TOKEN refused"
expect_match "$out" "privfalse CKR_TEMPLATE_INCONSISTENT" "keygen with CKA_TOKEN false refused"
expect_match "$out" "same True" "the card key is the one pkcs11-tool generated"

# ---- C_GetInterface for 2.x (ctypes: the symbol as any 3.0-aware loader calls it) ----
out=$($PY - "$SO" <<'PY'
import ctypes, sys
lib = ctypes.CDLL(sys.argv[1])
class V(ctypes.Structure):
    _fields_ = [("major", ctypes.c_ubyte), ("minor", ctypes.c_ubyte)]
class I(ctypes.Structure):
    _fields_ = [("name", ctypes.c_char_p), ("list", ctypes.POINTER(V)), ("flags", ctypes.c_ulong)]
for ma, mi in ((2, 40), (2, 20), (2, 11), (3, 0), (3, 1)):
    p = ctypes.POINTER(I)()
    rv = lib.C_GetInterface(b"PKCS 11", ctypes.byref(V(ma, mi)), ctypes.byref(p), ctypes.c_ulong(0))
    got = "%d.%d" % (p.contents.list.contents.major, p.contents.list.contents.minor) if rv == 0 else "-"
    print("iface %d.%d rv=%d list=%s" % (ma, mi, rv, got))
PY
) || fail "C_GetInterface through ctypes: $out"
printf '%s\n' "$out" >&2
expect_match "$out" "iface 2.40 rv=0 list=2.40" "2.40 interface"
expect_match "$out" "iface 2.20 rv=0 list=2.40" "a 2.20 request gets the 2.40 list"
expect_match "$out" "iface 2.11 rv=0 list=2.40" "a 2.11 request gets the 2.40 list"
expect_match "$out" "iface 3.0 rv=0 list=3.0" "3.0 interface"
expect_match "$out" "iface 3.1 rv=7 list=-" "3.1 is not offered"
echo "p11_rules: ok"
