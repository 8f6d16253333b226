#!/usr/bin/env bash
# Fidelity: python3-fido2 0.9.1 (an independent CTAP2 client) talks to the simulated FIDO2
# applet over PC/SC: getInfo, makeCredential with packed self attestation verified by the
# library, assertions verified against the attested key, RP binding of credential IDs, resident
# keys with getNextAssertion, excludeList, reset; long messages use chaining and 61xx.
# credProtect both ways: as CTAP 2.1 describes (`credprotect spec`) and as the flexSecure applet
# does (the default: level 3 for every credential made with the extension).
. "$SK_SRC/tests/lib/common.sh"
need skinkey-sim /usr/bin/python3

expect_match "$(sim status)" '^credprotect=applet$' "the simulator's default credProtect mode"
sim credprotect spec >/dev/null
sim trace on >/dev/null
/usr/bin/python3 - "$SK_READER0" <<'PY'
import hashlib, sys
from smartcard.System import readers
from fido2.pcsc import CtapPcscDevice
from fido2.ctap import CtapError
from fido2.ctap2 import Ctap2
from fido2.attestation import Attestation, AttestationType
from fido2.ctap2.pin import ClientPin, PinProtocolV1
from fido2.ctap2.extensions import HmacSecretExtension

def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)

reader = [r for r in readers() if str(r) == sys.argv[1]][0]
dev = CtapPcscDevice(reader.createConnection(), str(reader))
ctap = Ctap2(dev)
info = ctap.get_info()
if "FIDO_2_0" not in info.versions:
    fail("versions %r" % info.versions)
if info.options.get("rk") is not True or info.options.get("clientPin") is not False:
    fail("options %r" % info.options)
ES256 = [{"type": "public-key", "alg": -7}]
cdh = hashlib.sha256(b"client data 1").digest()
# a long RP name and user name: the request needs command chaining (CLA 90)
rp = {"id": "example.com", "name": "Example " + "x" * 200}
user = {"id": b"user-1", "name": "alice", "displayName": "Alice " + "y" * 100}
att = ctap.make_credential(cdh, rp, user, ES256)
if att.fmt != "packed":
    fail("fmt %s" % att.fmt)
# self attestation: signature over authData | cdh with the new credential key
res = Attestation.for_type(att.fmt)().verify(att.att_statement, att.auth_data, cdh)
if res.attestation_type != AttestationType.SELF:
    fail("attestation type %r" % res.attestation_type)
cred = att.auth_data.credential_data
if att.auth_data.rp_id_hash != hashlib.sha256(b"example.com").digest():
    fail("rpIdHash")
if len(cred.aaguid) != 16 or bytes(cred.aaguid) != bytes(info.aaguid):
    fail("aaguid differs from getInfo")
allow = [{"type": "public-key", "id": cred.credential_id}]
cdh2 = hashlib.sha256(b"client data 2").digest()
a = ctap.get_assertion("example.com", cdh2, allow)
a.verify(cdh2, cred.public_key)
if a.auth_data.counter <= att.auth_data.counter:
    fail("signature counter did not grow")
if not a.auth_data.flags & 0x01:
    fail("UP flag missing")
b = ctap.get_assertion("example.com", cdh2, allow, options={"up": False})
if b.auth_data.flags & 0x01:
    fail("UP set on a silent assertion")
b.verify(cdh2, cred.public_key)
# a credential ID is bound to its RP
try:
    ctap.get_assertion("evil.example", cdh2, allow)
    fail("credential usable for another RP")
except CtapError as e:
    if e.code != CtapError.ERR.NO_CREDENTIALS:
        fail("evil RP: %r" % e.code)
# excludeList
try:
    ctap.make_credential(cdh, rp, user, ES256, exclude_list=allow)
    fail("excludeList ignored")
except CtapError as e:
    if e.code != CtapError.ERR.CREDENTIAL_EXCLUDED:
        fail("exclude: %r" % e.code)
# only ES256
try:
    ctap.make_credential(cdh, rp, user, [{"type": "public-key", "alg": -8}])
    fail("EdDSA accepted")
except CtapError as e:
    if e.code != CtapError.ERR.UNSUPPORTED_ALGORITHM:
        fail("alg: %r" % e.code)
# resident keys: two users on one RP, newest first, then getNextAssertion
rrp = {"id": "rk.example", "name": "RK"}
k1 = ctap.make_credential(cdh, rrp, {"id": b"u1", "name": "one"}, ES256, options={"rk": True})
k2 = ctap.make_credential(cdh, rrp, {"id": b"u2", "name": "two"}, ES256, options={"rk": True})
a1 = ctap.get_assertion("rk.example", cdh2)
if a1.number_of_credentials != 2 or a1.user["id"] != b"u2" or a1.user.get("name") != "two":
    fail("first rk assertion %r %r" % (a1.number_of_credentials, a1.user))
a1.verify(cdh2, k2.auth_data.credential_data.public_key)
a2 = ctap.get_next_assertion()
if a2.user["id"] != b"u1":
    fail("next rk assertion %r" % a2.user)
a2.verify(cdh2, k1.auth_data.credential_data.public_key)
try:
    ctap.get_assertion("none.example", cdh2)
    fail("assertion without credentials")
except CtapError as e:
    if e.code != CtapError.ERR.NO_CREDENTIALS:
        fail("none: %r" % e.code)
# reset forgets everything
ctap.reset()
try:
    ctap.get_assertion("example.com", cdh2, allow)
    fail("credential survived reset")
except CtapError as e:
    if e.code != CtapError.ERR.NO_CREDENTIALS:
        fail("after reset: %r" % e.code)
# hmac-secret: same salt -> same secret, other salt or credential -> other secret
hs = HmacSecretExtension(ctap, PinProtocolV1())
if not hs.is_supported():
    fail("hmac-secret not in getInfo extensions")
def hs_cred(uid):
    att = ctap.make_credential(cdh, {"id": "hs.example"}, {"id": uid}, ES256, extensions={"hmac-secret": True})
    if att.auth_data.extensions.get("hmac-secret") is not True or not att.auth_data.flags & 0x80:
        fail("hmac-secret not confirmed at creation")
    return att.auth_data.credential_data
def hs_get(cd, salts, tamper=False):
    ext_in = hs.process_get_input({"hmacGetSecret": salts})
    if tamper:
        ext_in[3] = bytes(16)
    a = ctap.get_assertion("hs.example", cdh2, [{"type": "public-key", "id": cd.credential_id}],
                           extensions={"hmac-secret": ext_in})
    a.verify(cdh2, cd.public_key)
    return hs.process_get_output(a.auth_data)["hmacGetSecret"]
c1, c2 = hs_cred(b"h1"), hs_cred(b"h2")
A, B = b"a" * 32, b"b" * 32
o1 = hs_get(c1, {"salt1": A})["output1"]
if len(o1) != 32 or hs_get(c1, {"salt1": A})["output1"] != o1:
    fail("hmac-secret not repeatable")
o2 = hs_get(c1, {"salt1": B})["output1"]
if o2 == o1 or hs_get(c2, {"salt1": A})["output1"] == o1:
    fail("hmac-secret does not depend on salt and credential")
both = hs_get(c1, {"salt1": A, "salt2": B})
if both["output1"] != o1 or both["output2"] != o2:
    fail("two-salt outputs differ from single-salt ones")
try:
    hs_get(c1, {"salt1": A}, tamper=True)
    fail("forged saltAuth accepted")
except CtapError as e:
    if e.code != CtapError.ERR.PIN_AUTH_INVALID:
        fail("forged saltAuth: %r" % e.code)

# clientPIN protocol 1: set, token, UV flag, wrong PIN counting, change
cp = ClientPin(ctap, PinProtocolV1())
if cp.get_pin_retries()[0] != 8:
    fail("factory PIN retries")
cp.set_pin("1234")
ctap = Ctap2(dev)
if ctap.info.options.get("clientPin") is not True:
    fail("clientPin not reported set")
try:
    ctap.make_credential(cdh, rp, user, ES256)
    fail("makeCredential without PIN accepted")
except CtapError as e:
    if e.code != CtapError.ERR.PIN_REQUIRED:
        fail("no pinAuth: %r" % e.code)
cp = ClientPin(ctap, PinProtocolV1())
token = cp.get_pin_token("1234")
att = ctap.make_credential(cdh, rp, user, ES256, pin_uv_param=cp.protocol.authenticate(token, cdh),
                           pin_uv_protocol=1)
if not att.auth_data.flags & 0x04:
    fail("UV flag missing after pinAuth")
try:
    ctap.make_credential(cdh, rp, user, ES256, pin_uv_param=b"\0" * 16, pin_uv_protocol=1)
    fail("forged pinAuth accepted")
except CtapError as e:
    if e.code != CtapError.ERR.PIN_AUTH_INVALID:
        fail("forged pinAuth: %r" % e.code)
try:
    cp.get_pin_token("9999")
    fail("wrong PIN accepted")
except CtapError as e:
    if e.code != CtapError.ERR.PIN_INVALID:
        fail("wrong PIN: %r" % e.code)
if cp.get_pin_retries()[0] != 7:
    fail("retries after a wrong PIN: %r" % (cp.get_pin_retries(),))
cp.change_pin("1234", "56789")
token = cp.get_pin_token("56789")
if cp.get_pin_retries()[0] != 8:
    fail("retries not refilled")
a = ctap.get_assertion("example.com", cdh2, [{"type": "public-key", "id": att.auth_data.credential_data.credential_id}],
                       pin_uv_param=cp.protocol.authenticate(token, cdh2), pin_uv_protocol=1)
if a.auth_data.flags & 0x05 != 0x05:
    fail("assertion flags %x" % a.auth_data.flags)
a.verify(cdh2, att.auth_data.credential_data.public_key)
# credProtect: 2 hides a resident key from discovery without UV, 3 needs UV even by ID
if "credProtect" not in ctap.info.extensions:
    fail("credProtect not in getInfo extensions")
def protected(level, uid):
    pa = cp.protocol.authenticate(token, cdh)
    att = ctap.make_credential(cdh, {"id": "cp.example"}, {"id": uid}, ES256, extensions={"credProtect": level},
                               options={"rk": True}, pin_uv_param=pa, pin_uv_protocol=1)
    if att.auth_data.extensions.get("credProtect") != level:
        fail("credProtect %d not confirmed: %r" % (level, att.auth_data.extensions))
    return att.auth_data.credential_data
p2, p3 = protected(2, b"c2"), protected(3, b"c3")
def by_id(cd):
    return ctap.get_assertion("cp.example", cdh2, [{"type": "public-key", "id": cd.credential_id}])
try:
    ctap.get_assertion("cp.example", cdh2)
    fail("protected resident keys discoverable without UV")
except CtapError as e:
    if e.code != CtapError.ERR.NO_CREDENTIALS:
        fail("discovery without UV: %r" % e.code)
by_id(p2).verify(cdh2, p2.public_key)
try:
    by_id(p3)
    fail("credProtect 3 usable without UV")
except CtapError as e:
    if e.code != CtapError.ERR.NO_CREDENTIALS:
        fail("level 3 by id: %r" % e.code)
d = ctap.get_assertion("cp.example", cdh2, pin_uv_param=cp.protocol.authenticate(token, cdh2), pin_uv_protocol=1)
if d.number_of_credentials != 2 or d.user["id"] != b"c3":
    fail("discovery with UV: %r %r" % (d.number_of_credentials, d.user))
d.verify(cdh2, p3.public_key)
ctap.reset()
if Ctap2(dev).info.options.get("clientPin") is not False:
    fail("PIN survived reset")
print("fido2 ok")
PY
sim trace off >/dev/null
sim credprotect applet >/dev/null
/usr/bin/python3 - "$SK_READER0" <<'PY'
import hashlib, sys
from smartcard.System import readers
from fido2.pcsc import CtapPcscDevice
from fido2.ctap import CtapError
from fido2.ctap2 import Ctap2

def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)

reader = [r for r in readers() if str(r) == sys.argv[1]][0]
ctap = Ctap2(CtapPcscDevice(reader.createConnection(), str(reader)))
ES256 = [{"type": "public-key", "alg": -7}]
cdh = hashlib.sha256(b"client data applet").digest()
def make(ext, uid):
    att = ctap.make_credential(cdh, {"id": "cpa.example"}, {"id": uid}, ES256, extensions=ext)
    return att.auth_data
plain, asked2 = make(None, b"a1"), make({"credProtect": 2}, b"a2")
if plain.extensions and "credProtect" in plain.extensions:
    fail("a credential without the extension got credProtect %r" % plain.extensions)
if (asked2.extensions or {}).get("credProtect") != 3:
    fail("the applet's answer to a level-2 request is not level 3: %r" % asked2.extensions)
def by_id(ad):
    return ctap.get_assertion("cpa.example", cdh, [{"type": "public-key", "id": ad.credential_data.credential_id}])
by_id(plain).verify(cdh, plain.credential_data.public_key)
try:
    by_id(asked2)
    fail("a level-2 request made a credential usable by id without UV (the applet gives 3)")
except CtapError as e:
    if e.code != CtapError.ERR.NO_CREDENTIALS:
        fail("level 3 by id: %r" % e.code)
print("credprotect applet ok")
PY
log=$(cat "$SKNS_LOG/sim-flexsecure.log")
expect_match "$log" '> 90 10 80 00'        # chained NFCCTAP_MSG
expect_match "$log" '< .* 61 [0-9A-F]{2}$'   # long answer split
expect_match "$log" '> 00 C0 00 00'        # GET RESPONSE
echo ok
