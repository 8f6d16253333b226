/* test_p11_module.c — the whole module through its function list, over the mock backend:
 * interfaces, slots, tokens, objects (CKA_ID pairing, EC_PARAMS, sensitivity), login and PIN
 * retry accounting, signatures verified with OpenSSL per mechanism, RSA decrypt, ECDH, key
 * generation, certificate upload, HMAC-SHA1 (RFC 2202), removal mid-operation, threads, fork. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "p11.h"
#include "p11_test.h"
#include "p11_mock.h"

CK_RV C_GetInterfaceList(SK_CK_INTERFACE *list, CK_ULONG *count);
CK_RV C_GetInterface(CK_UTF8CHAR *name, CK_VERSION *ver, SK_CK_INTERFACE **out, CK_FLAGS flags);

static void
test_interfaces(void)
{
	SK_CK_INTERFACE list[4], *iface = NULL;
	CK_ULONG n = 0;
	CK_VERSION v3 = { 3, 0 };

	CHECK_RV(C_GetInterfaceList(NULL, &n), CKR_OK);
	CHECK(n == 2);
	n = 1;
	CHECK_RV(C_GetInterfaceList(list, &n), CKR_BUFFER_TOO_SMALL);
	n = 4;
	CHECK_RV(C_GetInterfaceList(list, &n), CKR_OK);
	CHECK(strcmp((char *)list[0].pInterfaceName, "PKCS 11") == 0);
	CHECK_RV(C_GetInterface((CK_UTF8CHAR *)"PKCS 11", &v3, &iface, 0), CKR_OK);
	CHECK(iface != NULL && ((CK_VERSION *)iface->pFunctionList)->major == 3);
	CHECK(iface != NULL &&
	    ((SK_CK_FUNCTION_LIST_3_0 *)iface->pFunctionList)->C_GetInterface != NULL &&
	    ((SK_CK_FUNCTION_LIST_3_0 *)iface->pFunctionList)->C_MessageVerifyFinal != NULL);
	CHECK_RV(C_GetInterface((CK_UTF8CHAR *)"Vendor X", NULL, &iface, 0), CKR_ARGUMENTS_BAD);
	CHECK_RV(C_GetFunctionList(&f), CKR_OK);
	CHECK(f->version.major == 2 && f->version.minor == 40);
}

/* Application-supplied mutexes (no CKF_OS_LOCKING_OK): the module must use them. */
static int cb_locks, cb_unlocks, cb_creates, cb_destroys;
static pthread_mutex_t cb_mu = PTHREAD_MUTEX_INITIALIZER;

static CK_RV
cb_create(CK_VOID_PTR_PTR m)
{
	cb_creates++;
	*m = &cb_mu;
	return CKR_OK;
}

static CK_RV
cb_destroy(CK_VOID_PTR m)
{
	cb_destroys++;
	return CKR_OK;
}

static CK_RV
cb_lock(CK_VOID_PTR m)
{
	pthread_mutex_lock(m);
	cb_locks++;
	return CKR_OK;
}

static CK_RV
cb_unlock(CK_VOID_PTR m)
{
	cb_unlocks++;
	pthread_mutex_unlock(m);
	return CKR_OK;
}

static void
test_mutex_callbacks(void)
{
	CK_C_INITIALIZE_ARGS a;
	CK_ULONG n = 0;

	memset(&a, 0, sizeof(a));
	a.CreateMutex = cb_create;
	CHECK_RV(f->C_Initialize(&a), CKR_ARGUMENTS_BAD);   /* some but not all callbacks */
	a.DestroyMutex = cb_destroy;
	a.LockMutex = cb_lock;
	a.UnlockMutex = cb_unlock;
	CHECK_RV(f->C_Initialize(&a), CKR_OK);
	CHECK_RV(f->C_GetSlotList(CK_TRUE, NULL, &n), CKR_OK);
	CHECK(cb_creates == 1 && cb_locks >= 1 && cb_locks == cb_unlocks);
	CHECK_RV(f->C_Finalize(NULL), CKR_OK);
	CHECK(cb_destroys == 1 && cb_locks == cb_unlocks);
}

static void
test_init_args(void)
{
	CK_C_INITIALIZE_ARGS a;

	memset(&a, 0, sizeof(a));
	a.pReserved = &a;
	CHECK_RV(f->C_Initialize(&a), CKR_ARGUMENTS_BAD);
	memset(&a, 0, sizeof(a));
	a.flags = CKF_OS_LOCKING_OK;
	CHECK_RV(f->C_Initialize(&a), CKR_OK);
	CHECK_RV(f->C_Initialize(NULL), CKR_CRYPTOKI_ALREADY_INITIALIZED);
	CHECK_RV(f->C_Finalize(NULL), CKR_OK);
	CHECK_RV(f->C_Finalize(NULL), CKR_CRYPTOKI_NOT_INITIALIZED);
	CHECK_RV(f->C_Initialize(NULL), CKR_OK);
}

static void
test_slots(CK_SLOT_ID *pgp, CK_SLOT_ID *hmac)
{
	CK_SLOT_ID slots[8];
	CK_ULONG n = 0, i;
	CK_TOKEN_INFO ti;
	CK_MECHANISM_INFO mi;

	CHECK_RV(f->C_GetSlotList(CK_TRUE, NULL, &n), CKR_OK);
	CHECK(n == 2);
	n = 1;
	CHECK_RV(f->C_GetSlotList(CK_TRUE, slots, &n), CKR_BUFFER_TOO_SMALL);
	CHECK(n == 2);
	CHECK_RV(f->C_GetSlotList(CK_TRUE, slots, &n), CKR_OK);
	*pgp = *hmac = 99;
	for (i = 0; i < n; i++) {
		CHECK_RV(f->C_GetTokenInfo(slots[i], &ti), CKR_OK);
		CHECK(memcmp(ti.serialNumber, "fs-000600000001 ", 16) == 0);
		if (memcmp(ti.label, "fs-000600000001 OpenPGP ", 24) == 0)
			*pgp = slots[i];
		if (memcmp(ti.label, "fs-000600000001 HMAC ", 21) == 0)
			*hmac = slots[i];
	}
	CHECK(*pgp != 99 && *hmac != 99);
	CHECK_RV(f->C_GetTokenInfo(*pgp, &ti), CKR_OK);
	CHECK((ti.flags & CKF_LOGIN_REQUIRED) && (ti.flags & CKF_USER_PIN_INITIALIZED));
	CHECK_RV(f->C_GetMechanismInfo(*pgp, CKM_ECDSA_SHA256, &mi), CKR_OK);
	CHECK(mi.flags & CKF_SIGN);
	CHECK_RV(f->C_GetMechanismInfo(*pgp, CKM_RSA_PKCS_PSS, &mi), CKR_MECHANISM_INVALID);
	CHECK_RV(f->C_GetMechanismInfo(*hmac, CKM_SHA_1_HMAC, &mi), CKR_OK);
	CHECK_RV(f->C_GetSlotInfo(77, NULL), CKR_ARGUMENTS_BAD);
	CHECK_RV(f->C_GetTokenInfo(77, &ti), CKR_SLOT_ID_INVALID);
}

static void
test_objects_public(CK_SESSION_HANDLE s)
{
	CK_OBJECT_CLASS cls = CKO_PUBLIC_KEY;
	CK_ATTRIBUTE t = { CKA_CLASS, &cls, sizeof(cls) };
	CK_OBJECT_HANDLE h[16], pub;
	CK_ULONG n = 0;
	CK_BYTE params[32], point[80];
	CK_KEY_TYPE kt;
	CK_ATTRIBUTE a[] = { { CKA_EC_PARAMS, params, sizeof(params) },
		{ CKA_EC_POINT, point, sizeof(point) }, { CKA_KEY_TYPE, &kt, sizeof(kt) } };
	static const CK_BYTE p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
	static const CK_BYTE ed[] = { 0x06, 0x03, 0x2b, 0x65, 0x70 };

	CHECK_RV(f->C_FindObjectsInit(s, &t, 1), CKR_OK);
	CHECK_RV(f->C_FindObjects(s, h, 16, &n), CKR_OK);
	CHECK_RV(f->C_FindObjectsFinal(s), CKR_OK);
	CHECK(n == 3);
	/* private keys are hidden before login */
	cls = CKO_PRIVATE_KEY;
	CHECK_RV(f->C_FindObjectsInit(s, &t, 1), CKR_OK);
	CHECK_RV(f->C_FindObjects(s, h, 16, &n), CKR_OK);
	CHECK_RV(f->C_FindObjectsFinal(s), CKR_OK);
	CHECK(n == 0);
	pub = find_one(s, CKO_PUBLIC_KEY, 1);
	CHECK_RV(f->C_GetAttributeValue(s, pub, a, 3), CKR_OK);
	CHECK(kt == CKK_EC && a[0].ulValueLen == sizeof(p256) && memcmp(params, p256, 10) == 0);
	CHECK(a[1].ulValueLen == 67 && point[0] == 0x04 && point[1] == 65 && point[2] == 0x04);
	pub = find_one(s, CKO_PUBLIC_KEY, 3);
	a[0].ulValueLen = sizeof(params);
	a[1].ulValueLen = sizeof(point);
	CHECK_RV(f->C_GetAttributeValue(s, pub, a, 3), CKR_OK);
	CHECK(kt == CKK_EC_EDWARDS && a[0].ulValueLen == 5 && memcmp(params, ed, 5) == 0);
	CHECK(a[1].ulValueLen == 34 && point[0] == 0x04 && point[1] == 32);
	/* size query, then too small */
	a[0].pValue = NULL;
	CHECK_RV(f->C_GetAttributeValue(s, pub, a, 1), CKR_OK);
	CHECK(a[0].ulValueLen == 5);
	a[0].pValue = params;
	a[0].ulValueLen = 2;
	CHECK_RV(f->C_GetAttributeValue(s, pub, a, 1), CKR_BUFFER_TOO_SMALL);
	CHECK(a[0].ulValueLen == CK_UNAVAILABLE_INFORMATION);
}

static void
test_login(CK_SESSION_HANDLE s)
{
	CK_SESSION_INFO si;
	CK_TOKEN_INFO ti;
	int before;

	CHECK_RV(f->C_GetSessionInfo(s, &si), CKR_OK);
	CHECK(si.state == CKS_RW_PUBLIC_SESSION);
	before = p11_mock.verifies;
	CHECK_RV(f->C_Login(s, CKU_USER, (CK_UTF8CHAR *)"654321", 6), CKR_PIN_INCORRECT);
	CHECK(p11_mock.verifies == before + 1);   /* exactly one attempt reached the card */
	CHECK(p11_mock.user_retries == 2);
	CHECK_RV(f->C_GetTokenInfo(si.slotID, &ti), CKR_OK);
	CHECK(ti.flags & CKF_USER_PIN_COUNT_LOW);
	CHECK_RV(f->C_Login(s, CKU_USER, (CK_UTF8CHAR *)"123", 3), CKR_PIN_LEN_RANGE);
	CHECK(p11_mock.verifies == before + 1 && p11_mock.user_retries == 2);
	CHECK_RV(f->C_Login(s, CKU_USER, (CK_UTF8CHAR *)"123456", 6), CKR_OK);
	CHECK(p11_mock.user_retries == 3);
	CHECK_RV(f->C_Login(s, CKU_USER, (CK_UTF8CHAR *)"123456", 6), CKR_USER_ALREADY_LOGGED_IN);
	CHECK_RV(f->C_GetSessionInfo(s, &si), CKR_OK);
	CHECK(si.state == CKS_RW_USER_FUNCTIONS);
	CHECK(find_one(s, CKO_PRIVATE_KEY, 1) != CK_INVALID_HANDLE);
}

static void
sign_verify_ec(CK_SESSION_HANDLE s, CK_MECHANISM_TYPE m, const char *md)
{
	CK_MECHANISM mech = { m, NULL, 0 };
	CK_OBJECT_HANDLE k = find_one(s, CKO_PRIVATE_KEY, 1);
	CK_BYTE msg[] = "message to sign", sig[128], dgst[64];
	CK_ULONG n = 0;
	unsigned dl = 32;
	ECDSA_SIG *es = ECDSA_SIG_new();
	unsigned char *der = NULL;
	int derl;
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(p11_mock_key(1), NULL);

	if (md != NULL)
		EVP_Digest(msg, sizeof(msg), dgst, &dl, EVP_get_digestbyname(md), NULL);
	else
		memset(dgst, 0x5a, 32);
	CHECK_RV(f->C_SignInit(s, &mech, k), CKR_OK);
	CHECK_RV(f->C_Sign(s, md ? msg : dgst, md ? sizeof(msg) : 32, NULL, &n), CKR_OK);
	CHECK(n == 64);
	n = 10;
	CHECK_RV(f->C_Sign(s, md ? msg : dgst, md ? sizeof(msg) : 32, sig, &n), CKR_BUFFER_TOO_SMALL);
	n = sizeof(sig);
	CHECK_RV(f->C_Sign(s, md ? msg : dgst, md ? sizeof(msg) : 32, sig, &n), CKR_OK);
	CHECK(n == 64);
	ECDSA_SIG_set0(es, BN_bin2bn(sig, 32, NULL), BN_bin2bn(sig + 32, 32, NULL));
	derl = i2d_ECDSA_SIG(es, &der);
	EVP_PKEY_verify_init(c);
	CHECK(EVP_PKEY_verify(c, der, (size_t)derl, dgst, dl) == 1);
	EVP_PKEY_CTX_free(c);
	OPENSSL_free(der);
	ECDSA_SIG_free(es);
}

static void
test_ecdsa(CK_SESSION_HANDLE s)
{
	CK_MECHANISM mech = { CKM_ECDSA_SHA256, NULL, 0 };
	CK_OBJECT_HANDLE k = find_one(s, CKO_PRIVATE_KEY, 1);
	CK_BYTE sig[64];
	CK_ULONG n = sizeof(sig);

	sign_verify_ec(s, CKM_ECDSA, NULL);
	sign_verify_ec(s, CKM_ECDSA_SHA256, "SHA256");
	sign_verify_ec(s, CKM_ECDSA_SHA384, "SHA384");
	/* multi-part */
	CHECK_RV(f->C_SignInit(s, &mech, k), CKR_OK);
	CHECK_RV(f->C_SignInit(s, &mech, k), CKR_OPERATION_ACTIVE);
	CHECK_RV(f->C_SignUpdate(s, (CK_BYTE *)"abc", 3), CKR_OK);
	CHECK_RV(f->C_SignUpdate(s, (CK_BYTE *)"def", 3), CKR_OK);
	CHECK_RV(f->C_SignFinal(s, sig, &n), CKR_OK);
	CHECK(n == 64);
	CHECK_RV(f->C_SignFinal(s, sig, &n), CKR_OPERATION_NOT_INITIALIZED);
	/* wrong mechanism for the key type */
	mech.mechanism = CKM_SHA256_RSA_PKCS;
	CHECK_RV(f->C_SignInit(s, &mech, k), CKR_KEY_TYPE_INCONSISTENT);
	/* the DEC key does not sign */
	mech.mechanism = CKM_RSA_PKCS;
	CHECK_RV(f->C_SignInit(s, &mech, find_one(s, CKO_PRIVATE_KEY, 2)),
	    CKR_KEY_FUNCTION_NOT_PERMITTED);
}

static void
test_eddsa(CK_SESSION_HANDLE s)
{
	CK_MECHANISM mech = { CKM_EDDSA, NULL, 0 };
	CK_BYTE msg[] = "ed25519 message", sig[64];
	CK_ULONG n = sizeof(sig);
	EVP_MD_CTX *c = EVP_MD_CTX_new();

	CHECK_RV(f->C_SignInit(s, &mech, find_one(s, CKO_PRIVATE_KEY, 3)), CKR_OK);
	CHECK_RV(f->C_Sign(s, msg, sizeof(msg), sig, &n), CKR_OK);
	CHECK(n == 64);
	EVP_DigestVerifyInit(c, NULL, NULL, NULL, p11_mock_key(3));
	CHECK(EVP_DigestVerify(c, sig, n, msg, sizeof(msg)) == 1);
	EVP_MD_CTX_free(c);
}

static void
test_rsa_decrypt(CK_SESSION_HANDLE s)
{
	CK_MECHANISM mech = { CKM_RSA_PKCS, NULL, 0 };
	CK_OBJECT_HANDLE k = find_one(s, CKO_PRIVATE_KEY, 2);
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(p11_mock_key(2), NULL);
	CK_BYTE ct[256], pt[256];
	size_t ctl = sizeof(ct);
	CK_ULONG n = 0;

	EVP_PKEY_encrypt_init(c);
	EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING);
	CHECK(EVP_PKEY_encrypt(c, ct, &ctl, (const unsigned char *)"secret!", 7) == 1);
	EVP_PKEY_CTX_free(c);
	CHECK_RV(f->C_DecryptInit(s, &mech, k), CKR_OK);
	CHECK_RV(f->C_Decrypt(s, ct, (CK_ULONG)ctl, NULL, &n), CKR_OK);
	CHECK(n == 256);
	CHECK_RV(f->C_Decrypt(s, ct, (CK_ULONG)ctl, pt, &n), CKR_OK);
	CHECK(n == 7 && memcmp(pt, "secret!", 7) == 0);
}

/* A derived key says what the module does with it: a session object, not modifiable, not
 * copyable, destroyable. */
static void
check_session_key_attrs(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE k)
{
	CK_BBOOL mod = CK_TRUE, cp = CK_TRUE, de = CK_FALSE, tk = CK_TRUE;
	CK_ATTRIBUTE q[] = { { CKA_MODIFIABLE, &mod, 1 }, { CKA_COPYABLE, &cp, 1 },
		{ CKA_DESTROYABLE, &de, 1 }, { CKA_TOKEN, &tk, 1 } };
	CK_ATTRIBUTE lbl = { CKA_LABEL, "x", 1 };

	CHECK_RV(f->C_GetAttributeValue(s, k, q, 4), CKR_OK);
	CHECK(!mod && !cp && de && !tk);
	CHECK_RV(f->C_SetAttributeValue(s, k, &lbl, 1), CKR_ACTION_PROHIBITED);
}

/* Generates a P-256 DEC key (needs SO), derives with it, compares with OpenSSL's side. */
static void
test_genkey_ecdh(CK_SESSION_HANDLE s, CK_SLOT_ID slot)
{
	static CK_BYTE p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
	CK_BYTE id = 2, point[80], z[64];
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ATTRIBUTE pubt[] = { { CKA_EC_PARAMS, p256, sizeof(p256) }, { CKA_TOKEN, &yes, 1 } };
	CK_ATTRIBUTE privt[] = { { CKA_ID, &id, 1 }, { CKA_DERIVE, &yes, 1 }, { CKA_TOKEN, &yes, 1 } };
	CK_MECHANISM gen = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_OBJECT_HANDLE pub = 0, priv = 0, dk = 0;
	CK_SESSION_HANDLE so;
	EVP_PKEY *peer = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	uint8_t peer_pt[65], zz[32];
	size_t pl = sizeof(peer_pt), zl = sizeof(zz);
	CK_ECDH1_DERIVE_PARAMS dp;
	CK_MECHANISM derive = { CKM_ECDH1_DERIVE, &dp, sizeof(dp) };
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE kt = CKK_GENERIC_SECRET;
	CK_ATTRIBUTE dt[] = { { CKA_CLASS, &cls, sizeof(cls) }, { CKA_KEY_TYPE, &kt, sizeof(kt) },
		{ CKA_SENSITIVE, &no, 1 }, { CKA_EXTRACTABLE, &yes, 1 } };
	CK_ATTRIBUTE zv = { CKA_VALUE, z, sizeof(z) };
	EVP_PKEY_CTX *c;

	CHECK_RV(f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &so),
	    CKR_OK);
	/* the user is logged in (shared by the application's sessions): SO must wait */
	CHECK_RV(f->C_Login(so, CKU_SO, (CK_UTF8CHAR *)"12345678", 8),
	    CKR_USER_ANOTHER_ALREADY_LOGGED_IN);
	CHECK_RV(f->C_Logout(so), CKR_OK);
	p11_mock_forget();
	CHECK_RV(f->C_GenerateKeyPair(so, &gen, pubt, 2, privt, 3, &pub, &priv),
	    CKR_USER_NOT_LOGGED_IN);
	CHECK_RV(f->C_Login(so, CKU_SO, (CK_UTF8CHAR *)"12345678", 8), CKR_OK);
	/* session objects asked for (CKA_TOKEN absent = false): the card key stays */
	CHECK_RV(f->C_GenerateKeyPair(so, &gen, pubt, 1, privt, 2, &pub, &priv),
	    CKR_TEMPLATE_INCONSISTENT);
	CHECK_RV(f->C_GenerateKeyPair(so, &gen, pubt, 2, privt, 3, &pub, &priv), CKR_OK);
	CHECK(pub != 0 && priv != 0);
	CHECK_RV(f->C_Logout(so), CKR_OK);
	CHECK_RV(f->C_Login(so, CKU_USER, (CK_UTF8CHAR *)"123456", 6), CKR_OK);
	CHECK(find_one(so, CKO_PRIVATE_KEY, 2) == priv);
	(void)point;
	EVP_PKEY_get_octet_string_param(peer, OSSL_PKEY_PARAM_PUB_KEY, peer_pt, sizeof(peer_pt), &pl);
	dp.kdf = CKD_NULL;
	dp.shared_data = NULL;
	dp.shared_data_len = 0;
	dp.public_data = peer_pt;
	dp.public_data_len = (CK_ULONG)pl;
	CHECK_RV(f->C_DeriveKey(so, &derive, priv, dt, 4, &dk), CKR_OK);
	CHECK_RV(f->C_GetAttributeValue(so, dk, &zv, 1), CKR_OK);
	c = EVP_PKEY_CTX_new(peer, NULL);
	EVP_PKEY_derive_init(c);
	EVP_PKEY_derive_set_peer(c, p11_mock_key(2));
	CHECK(EVP_PKEY_derive(c, zz, &zl) == 1);
	CHECK(zv.ulValueLen == 32 && memcmp(z, zz, 32) == 0);
	EVP_PKEY_CTX_free(c);
	EVP_PKEY_free(peer);
	check_session_key_attrs(so, dk);
	/* the derived key is CKA_PRIVATE: gone from sight with the user */
	CHECK_RV(f->C_Logout(so), CKR_OK);
	CHECK_RV(f->C_GetAttributeValue(so, dk, &zv, 1), CKR_OBJECT_HANDLE_INVALID);
	CHECK_RV(f->C_Login(so, CKU_USER, (CK_UTF8CHAR *)"123456", 6), CKR_OK);
	CHECK_RV(f->C_DestroyObject(so, dk), CKR_OK);
	CHECK_RV(f->C_DestroyObject(so, priv), CKR_ACTION_PROHIBITED);
	CHECK_RV(f->C_CloseSession(so), CKR_OK);
}

/* X25519 DEC key by CKM_EC_MONTGOMERY_KEY_PAIR_GEN; ECDH with a raw 32-byte peer key. */
static void
test_x25519(CK_SLOT_ID slot)
{
	CK_MECHANISM gen = { CKM_EC_MONTGOMERY_KEY_PAIR_GEN, NULL, 0 };
	CK_OBJECT_HANDLE pub = 0, priv = 0, dk = 0;
	CK_SESSION_HANDLE s;
	EVP_PKEY *peer = EVP_PKEY_Q_keygen(NULL, NULL, "X25519");
	uint8_t pp[32], zz[32], z[32];
	size_t pl = sizeof(pp), zl = sizeof(zz);
	CK_ECDH1_DERIVE_PARAMS dp = { CKD_NULL, 0, NULL, 0, NULL };
	CK_MECHANISM derive = { CKM_ECDH1_DERIVE, &dp, sizeof(dp) };
	CK_ATTRIBUTE zv = { CKA_VALUE, z, sizeof(z) };
	CK_KEY_TYPE kt = 0;
	CK_ATTRIBUTE kta = { CKA_KEY_TYPE, &kt, sizeof(kt) };
	CK_BYTE three = 3;
	CK_BBOOL yes = CK_TRUE;
	CK_ATTRIBUTE tok = { CKA_TOKEN, &yes, 1 };
	CK_ATTRIBUTE bad_id[] = { { CKA_ID, &three, 1 }, { CKA_TOKEN, &yes, 1 } };
	EVP_PKEY_CTX *c;

	CHECK_RV(f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s), CKR_OK);
	f->C_Logout(s);
	p11_mock_forget();
	CHECK_RV(f->C_Login(s, CKU_SO, (CK_UTF8CHAR *)"12345678", 8), CKR_OK);
	/* X25519 only in the DEC slot */
	CHECK_RV(f->C_GenerateKeyPair(s, &gen, &tok, 1, bad_id, 2, &pub, &priv),
	    CKR_TEMPLATE_INCONSISTENT);
	CHECK_RV(f->C_GenerateKeyPair(s, &gen, &tok, 1, &tok, 1, &pub, &priv), CKR_OK);
	CHECK_RV(f->C_Logout(s), CKR_OK);
	CHECK_RV(f->C_Login(s, CKU_USER, (CK_UTF8CHAR *)"123456", 6), CKR_OK);
	CHECK(priv == find_one(s, CKO_PRIVATE_KEY, 2));
	CHECK_RV(f->C_GetAttributeValue(s, priv, &kta, 1), CKR_OK);
	CHECK(kt == CKK_EC_MONTGOMERY);
	EVP_PKEY_get_raw_public_key(peer, pp, &pl);
	dp.public_data = pp;
	dp.public_data_len = (CK_ULONG)pl;
	CHECK_RV(f->C_DeriveKey(s, &derive, priv, NULL, 0, &dk), CKR_OK);
	CHECK_RV(f->C_GetAttributeValue(s, dk, &zv, 1), CKR_OK);
	c = EVP_PKEY_CTX_new(peer, NULL);
	EVP_PKEY_derive_init(c);
	EVP_PKEY_derive_set_peer(c, p11_mock_key(2));
	CHECK(EVP_PKEY_derive(c, zz, &zl) == 1);
	CHECK(zv.ulValueLen == 32 && memcmp(z, zz, 32) == 0);
	/* a peer key of the wrong length is refused before the chip sees it */
	dp.public_data_len = 31;
	CHECK_RV(f->C_DeriveKey(s, &derive, priv, NULL, 0, &dk), CKR_MECHANISM_PARAM_INVALID);
	EVP_PKEY_CTX_free(c);
	EVP_PKEY_free(peer);
	CHECK_RV(f->C_CloseSession(s), CKR_OK);   /* session objects go with it */
}

static void
test_cert_upload(CK_SLOT_ID slot)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	X509 *x = X509_new();
	unsigned char *der = NULL;
	int dl;
	CK_OBJECT_CLASS cls = CKO_CERTIFICATE;
	CK_CERTIFICATE_TYPE ct = CKC_X_509;
	CK_BYTE id = 3, subj[256];
	CK_BBOOL yes = CK_TRUE;
	CK_ATTRIBUTE t[5];
	CK_ATTRIBUTE sa = { CKA_SUBJECT, subj, sizeof(subj) };
	CK_OBJECT_HANDLE h = 0;
	CK_SESSION_HANDLE s;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
	    (const unsigned char *)"skinkey test", -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, k);
	X509_sign(x, k, EVP_sha256());
	dl = i2d_X509(x, &der);
	t[0] = (CK_ATTRIBUTE){ CKA_CLASS, &cls, sizeof(cls) };
	t[1] = (CK_ATTRIBUTE){ CKA_CERTIFICATE_TYPE, &ct, sizeof(ct) };
	t[2] = (CK_ATTRIBUTE){ CKA_ID, &id, 1 };
	t[3] = (CK_ATTRIBUTE){ CKA_VALUE, der, (CK_ULONG)dl };
	t[4] = (CK_ATTRIBUTE){ CKA_TOKEN, &yes, 1 };
	CHECK_RV(f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s), CKR_OK);
	CHECK_RV(f->C_Logout(s), CKR_OK);
	p11_mock_forget();
	CHECK_RV(f->C_CreateObject(s, t, 4, &h), CKR_TEMPLATE_INCONSISTENT);   /* session object */
	CHECK_RV(f->C_CreateObject(s, t, 5, &h), CKR_USER_NOT_LOGGED_IN);
	CHECK_RV(f->C_Login(s, CKU_SO, (CK_UTF8CHAR *)"12345678", 8), CKR_OK);
	CHECK_RV(f->C_CreateObject(s, t, 5, &h), CKR_OK);
	CHECK(h == find_one(s, CKO_CERTIFICATE, 3));
	CHECK_RV(f->C_GetAttributeValue(s, h, &sa, 1), CKR_OK);
	CHECK(sa.ulValueLen > 10 && sa.ulValueLen < sizeof(subj));
	CHECK_RV(f->C_CloseSession(s), CKR_OK);
	OPENSSL_free(der);
	X509_free(x);
	EVP_PKEY_free(k);
}

static void
test_hmac(CK_SLOT_ID slot)
{
	/* RFC 2202 test case 1 */
	static const CK_BYTE want[] = { 0xb6, 0x17, 0x31, 0x86, 0x55, 0x05, 0x72, 0x64, 0xe2, 0x8b,
		0xc0, 0xb6, 0xfb, 0x37, 0x8c, 0x8e, 0xf1, 0x46, 0xbe, 0x00 };
	/* RFC 2202 test case 2: key "Jefe" */
	static const CK_BYTE want2[] = { 0xef, 0xfc, 0xdf, 0x6a, 0xe5, 0xeb, 0x2f, 0xa2, 0xd2, 0x74,
		0x16, 0xd5, 0xf1, 0x84, 0xdf, 0x9c, 0x25, 0x9a, 0x7c, 0x79 };
	CK_MECHANISM mech = { CKM_SHA_1_HMAC, NULL, 0 };
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE k, k2 = 0;
	CK_BYTE mac[20], val[20];
	CK_ULONG n = sizeof(mac);
	CK_ATTRIBUTE va = { CKA_VALUE, val, sizeof(val) };
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE kt = CKK_GENERIC_SECRET;
	CK_BBOOL yes = CK_TRUE;
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof(cls) }, { CKA_KEY_TYPE, &kt, sizeof(kt) },
		{ CKA_LABEL, "HMAC slot 2", 11 }, { CKA_VALUE, "Jefe", 4 }, { CKA_TOKEN, &yes, 1 } };
	const char *chal = "what do ya want for nothing?";
	CK_BYTE big[65];

	memset(big, 'x', sizeof(big));
	CHECK_RV(f->C_OpenSession(slot, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s), CKR_OK);
	k = find_one(s, CKO_SECRET_KEY, 1);
	CHECK(k != CK_INVALID_HANDLE);
	CHECK(find_one(s, CKO_SECRET_KEY, 2) == CK_INVALID_HANDLE);   /* slot 2 empty */
	CHECK_RV(f->C_GetAttributeValue(s, k, &va, 1), CKR_ATTRIBUTE_SENSITIVE);
	CHECK_RV(f->C_SignInit(s, &mech, k), CKR_OK);
	CHECK_RV(f->C_Sign(s, (CK_BYTE *)"Hi There", 8, mac, &n), CKR_OK);
	CHECK(n == 20 && memcmp(mac, want, 20) == 0);
	CHECK_RV(f->C_CreateObject(s, t, 5, &k2), CKR_OK);
	CHECK(k2 == find_one(s, CKO_SECRET_KEY, 2));
	CHECK_RV(f->C_SignInit(s, &mech, k2), CKR_OK);
	n = sizeof(mac);
	CHECK_RV(f->C_Sign(s, (CK_BYTE *)chal, (CK_ULONG)strlen(chal), mac, &n), CKR_OK);
	CHECK(n == 20 && memcmp(mac, want2, 20) == 0);
	/* challenge over 64 bytes: refused before the chip sees it */
	CHECK_RV(f->C_SignInit(s, &mech, k), CKR_OK);
	n = sizeof(mac);
	CHECK_RV(f->C_Sign(s, big, sizeof(big), mac, &n), CKR_DATA_LEN_RANGE);
	/* chip pulled away mid-operation */
	p11_mock.remove_next = 1;
	CHECK_RV(f->C_SignInit(s, &mech, k), CKR_OK);
	n = sizeof(mac);
	CHECK_RV(f->C_Sign(s, (CK_BYTE *)"Hi There", 8, mac, &n), CKR_DEVICE_REMOVED);
	CHECK_RV(f->C_Sign(s, (CK_BYTE *)"Hi There", 8, mac, &n), CKR_OPERATION_NOT_INITIALIZED);
	CHECK_RV(f->C_CloseSession(s), CKR_OK);
}

static void
test_daemon_pin(CK_SLOT_ID slot)
{
	CK_SESSION_HANDLE s;
	CK_SESSION_INFO si;

	p11_mock_forget();
	CHECK_RV(f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s), CKR_OK);
	CHECK_RV(f->C_Logout(s), CKR_USER_NOT_LOGGED_IN);
	CHECK_RV(f->C_GetSessionInfo(s, &si), CKR_OK);
	CHECK(si.state == CKS_RO_PUBLIC_SESSION);
	p11_mock.daemon_has_pin = 1;   /* user unlocked through skinkeyd's pinentry */
	CHECK_RV(f->C_GetSessionInfo(s, &si), CKR_OK);
	CHECK(si.state == CKS_RO_USER_FUNCTIONS);
	CHECK(find_one(s, CKO_PRIVATE_KEY, 1) != CK_INVALID_HANDLE);
	p11_mock.daemon_has_pin = 0;
	/* NULL PIN with nothing held: fails without a VERIFY */
	CHECK_RV(f->C_Login(s, CKU_USER, NULL, 0), CKR_PIN_INCORRECT);
	CHECK_RV(f->C_CloseSession(s), CKR_OK);
}

static void *
thread_main(void *arg)
{
	CK_SLOT_ID slot = *(CK_SLOT_ID *)arg;
	CK_SESSION_HANDLE s;
	CK_MECHANISM mech = { CKM_SHA_1_HMAC, NULL, 0 };
	CK_BYTE mac[20];
	CK_ULONG n;
	int i;

	for (i = 0; i < 50; i++) {
		CHECK_RV(f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s), CKR_OK);
		CHECK_RV(f->C_SignInit(s, &mech, find_one(s, CKO_SECRET_KEY, 1)), CKR_OK);
		n = sizeof(mac);
		CHECK_RV(f->C_Sign(s, (CK_BYTE *)"Hi There", 8, mac, &n), CKR_OK);
		CHECK_RV(f->C_CloseSession(s), CKR_OK);
	}
	return NULL;
}

static void
test_threads(CK_SLOT_ID slot)
{
	pthread_t t[8];
	int i;

	for (i = 0; i < 8; i++)
		pthread_create(&t[i], NULL, thread_main, &slot);
	for (i = 0; i < 8; i++)
		pthread_join(t[i], NULL);
}

static void
test_fork(CK_SLOT_ID slot)
{
	CK_SESSION_HANDLE s;
	CK_ULONG n = 0;
	pid_t pid;
	int st = 0, closes = p11_mock.closes;

	pid = fork();
	if (pid == 0) {
		int bad = 0;

		bad |= f->C_GetSlotList(CK_TRUE, NULL, &n) != CKR_CRYPTOKI_NOT_INITIALIZED;
		bad |= f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s) !=
		    CKR_CRYPTOKI_NOT_INITIALIZED;
		bad |= f->C_Initialize(NULL) != CKR_OK;
		bad |= f->C_GetSlotList(CK_TRUE, NULL, &n) != CKR_OK || n != 2;
		bad |= f->C_Finalize(NULL) != CKR_OK;
		_exit(bad);
	}
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
	CHECK(p11_mock.closes == closes);
	CHECK_RV(f->C_GetSlotList(CK_TRUE, NULL, &n), CKR_OK);   /* parent unaffected */
}

int
main(void)
{
	CK_SLOT_ID pgp = 0, hmac = 0;
	CK_SESSION_HANDLE s;

	p11_mock_reset();
	p11_set_backend(&p11_mock_backend);
	test_interfaces();
	test_mutex_callbacks();
	test_init_args();
	test_slots(&pgp, &hmac);
	CHECK_RV(f->C_OpenSession(pgp, 0, NULL, NULL, &s), CKR_SESSION_PARALLEL_NOT_SUPPORTED);
	CHECK_RV(f->C_OpenSession(pgp, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s), CKR_OK);
	test_objects_public(s);
	test_login(s);
	test_ecdsa(s);
	test_eddsa(s);
	test_rsa_decrypt(s);
	test_genkey_ecdh(s, pgp);
	test_cert_upload(pgp);
	test_x25519(pgp);
	test_hmac(hmac);
	CHECK_RV(f->C_CloseSession(s), CKR_OK);
	test_daemon_pin(pgp);
	test_threads(hmac);
	test_fork(hmac);
	CHECK_RV(f->C_Finalize(NULL), CKR_OK);
	if (failures) {
		fprintf(stderr, "%d check(s) failed\n", failures);
		return 1;
	}
	printf("test_p11_module: all checks passed\n");
	return 0;
}
