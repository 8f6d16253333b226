/* test_p11_rules.c — the PKCS#11 3.0 base-spec rules the module follows, through its function
 * list over the mock backend: CKR_CRYPTOKI_NOT_INITIALIZED everywhere outside C_Initialize ..
 * C_Finalize, C_GetInterface for 2.x, slot ids valid from C_Initialize on and stable, the
 * login state of tokens without a PIN, SO and read-only sessions, what an SO session sees after
 * C_GenerateKeyPair, CKF_RNG / C_GenerateRandom / C_SeedRandom, the HMAC token's object rules
 * (a session object never touches the chip; a slot is written only when empty, after an
 * explicit C_DestroyObject), attribute errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "p11.h"
#include "p11_test.h"
#include "p11_mock.h"

CK_RV C_GetInterfaceList(SK_CK_INTERFACE *list, CK_ULONG *count);
CK_RV C_GetInterface(CK_UTF8CHAR *name, CK_VERSION *ver, SK_CK_INTERFACE **out, CK_FLAGS flags);

#define RW (CKF_SERIAL_SESSION | CKF_RW_SESSION)
#define RO CKF_SERIAL_SESSION

/* The slot whose token label contains `what` ("OpenPGP", "HMAC", "Vault"). */
static CK_SLOT_ID
slot_of(const char *what)
{
	CK_SLOT_ID ids[16];
	CK_ULONG n = 16, i;
	CK_TOKEN_INFO ti;

	CHECK_RV(f->C_GetSlotList(CK_TRUE, ids, &n), CKR_OK);
	for (i = 0; i < n; i++)
		if (f->C_GetTokenInfo(ids[i], &ti) == CKR_OK &&
		    memmem(ti.label, sizeof(ti.label), what, strlen(what)) != NULL)
			return ids[i];
	fprintf(stderr, "no %s slot\n", what);
	failures++;
	return (CK_SLOT_ID)-1;
}

static void
test_not_initialized(void)
{
	CK_INFO info;
	CK_ULONG n = 0;
	CK_BYTE b[4];
	CK_MECHANISM m = { CKM_SHA_1_HMAC, NULL, 0 };

	CHECK_RV(f->C_GetInfo(&info), CKR_CRYPTOKI_NOT_INITIALIZED);
	CHECK_RV(f->C_GetSlotList(CK_TRUE, NULL, &n), CKR_CRYPTOKI_NOT_INITIALIZED);
	CHECK_RV(f->C_Finalize(NULL), CKR_CRYPTOKI_NOT_INITIALIZED);
	/* functions the module does not offer, and the legacy ones, too */
	CHECK_RV(f->C_EncryptInit(1, &m, 1), CKR_CRYPTOKI_NOT_INITIALIZED);
	CHECK_RV(f->C_DigestInit(1, &m), CKR_CRYPTOKI_NOT_INITIALIZED);
	CHECK_RV(f->C_GetFunctionStatus(1), CKR_CRYPTOKI_NOT_INITIALIZED);
	CHECK_RV(f->C_SeedRandom(1, b, sizeof(b)), CKR_CRYPTOKI_NOT_INITIALIZED);
	CHECK_RV(f->C_GenerateRandom(1, b, sizeof(b)), CKR_CRYPTOKI_NOT_INITIALIZED);
	CHECK_RV(f->C_Finalize(&n), CKR_ARGUMENTS_BAD);
}

static void
test_interface_versions(void)
{
	SK_CK_INTERFACE *i = NULL;
	CK_VERSION v;
	static const CK_VERSION ok2[] = { { 2, 0 }, { 2, 11 }, { 2, 20 }, { 2, 40 } };
	static const CK_VERSION bad[] = { { 1, 0 }, { 3, 1 }, { 4, 0 } };
	size_t k;

	for (k = 0; k < sizeof(ok2) / sizeof(ok2[0]); k++) {
		v = ok2[k];
		i = NULL;
		CHECK_RV(C_GetInterface((CK_UTF8CHAR *)"PKCS 11", &v, &i, 0), CKR_OK);
		CHECK(i != NULL && ((CK_FUNCTION_LIST *)i->pFunctionList)->version.major == 2 &&
		    ((CK_FUNCTION_LIST *)i->pFunctionList)->version.minor == 40);
		CHECK_RV(C_GetInterface(NULL, &v, &i, 0), CKR_OK);
	}
	v = (CK_VERSION){ 3, 0 };
	CHECK_RV(C_GetInterface(NULL, &v, &i, 0), CKR_OK);
	CHECK(i != NULL && ((CK_VERSION *)i->pFunctionList)->major == 3);
	CHECK_RV(C_GetInterface(NULL, NULL, &i, 0), CKR_OK);   /* default: 3.0 */
	CHECK(i != NULL && ((CK_VERSION *)i->pFunctionList)->major == 3);
	for (k = 0; k < sizeof(bad) / sizeof(bad[0]); k++) {
		v = bad[k];
		CHECK_RV(C_GetInterface(NULL, &v, &i, 0), CKR_ARGUMENTS_BAD);
		CHECK(i == NULL);
	}
	CHECK_RV(C_GetInterface(NULL, NULL, NULL, 0), CKR_ARGUMENTS_BAD);
}

/* Remembered ids work right after C_Initialize (no C_GetSlotList first), are the same after
 * C_Finalize/C_Initialize and in another process. */
static void
test_slot_ids(void)
{
	CK_SLOT_ID pgp, hmac, ids[16], again[16];
	CK_ULONG n = 16, m = 16, cnt = 0;
	CK_TOKEN_INFO ti;
	CK_SLOT_INFO si;
	CK_SESSION_HANDLE s;
	pid_t pid;
	int st = 0;

	CHECK_RV(f->C_Initialize(NULL), CKR_OK);
	CHECK_RV(f->C_GetSlotList(CK_TRUE, ids, &n), CKR_OK);
	pgp = slot_of("OpenPGP");
	hmac = slot_of("HMAC");
	CHECK(pgp != hmac);
	CHECK_RV(f->C_Finalize(NULL), CKR_OK);

	CHECK_RV(f->C_Initialize(NULL), CKR_OK);
	CHECK_RV(f->C_GetTokenInfo(pgp, &ti), CKR_OK);
	CHECK(memcmp(ti.label, "fs-000600000001 OpenPGP ", 24) == 0);
	CHECK_RV(f->C_Finalize(NULL), CKR_OK);
	CHECK_RV(f->C_Initialize(NULL), CKR_OK);
	CHECK_RV(f->C_GetMechanismList(hmac, NULL, &cnt), CKR_OK);
	CHECK(cnt >= 1);
	CHECK_RV(f->C_Finalize(NULL), CKR_OK);
	CHECK_RV(f->C_Initialize(NULL), CKR_OK);
	CHECK_RV(f->C_OpenSession(hmac, RO, NULL, NULL, &s), CKR_OK);
	CHECK_RV(f->C_GetTokenInfo(hmac, &ti), CKR_OK);
	CHECK(memcmp(ti.label, "fs-000600000001 HMAC ", 21) == 0);
	CHECK_RV(f->C_GetSlotList(CK_TRUE, again, &m), CKR_OK);
	CHECK(m == n && memcmp(ids, again, n * sizeof(ids[0])) == 0);
	/* C_CloseAllSessions takes the slot id */
	CHECK_RV(f->C_CloseAllSessions(hmac), CKR_OK);
	CHECK_RV(f->C_CloseSession(s), CKR_SESSION_HANDLE_INVALID);
	CHECK_RV(f->C_GetSlotInfo(hmac + 1000000, &si), CKR_SLOT_ID_INVALID);
	CHECK_RV(f->C_Finalize(NULL), CKR_OK);

	pid = fork();
	if (pid == 0) {
		int bad = f->C_Initialize(NULL) != CKR_OK;

		bad |= f->C_GetTokenInfo(pgp, &ti) != CKR_OK ||
		    memcmp(ti.label, "fs-000600000001 OpenPGP ", 24) != 0;
		bad |= f->C_OpenSession(hmac, RO, NULL, NULL, &s) != CKR_OK;
		bad |= f->C_Finalize(NULL) != CKR_OK;
		_exit(bad);
	}
	CHECK(pid > 0 && waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

/* HMAC and Vault have no PIN: public session states, no C_Login, C_Logout "not logged in";
 * their flags say so, and what they offer works without a login. */
static void
no_login_token(CK_SLOT_ID slot)
{
	CK_TOKEN_INFO ti;
	CK_SESSION_INFO si;
	CK_SESSION_HANDLE ro, rw;

	CHECK_RV(f->C_GetTokenInfo(slot, &ti), CKR_OK);
	CHECK(!(ti.flags & (CKF_LOGIN_REQUIRED | CKF_USER_PIN_INITIALIZED)));
	CHECK((ti.flags & CKF_TOKEN_INITIALIZED) && (ti.flags & CKF_RNG));
	CHECK(ti.ulMaxPinLen == 0 && ti.ulMinPinLen == 0);
	CHECK_RV(f->C_OpenSession(slot, RO, NULL, NULL, &ro), CKR_OK);
	CHECK_RV(f->C_OpenSession(slot, RW, NULL, NULL, &rw), CKR_OK);
	CHECK_RV(f->C_GetSessionInfo(ro, &si), CKR_OK);
	CHECK(si.state == CKS_RO_PUBLIC_SESSION);
	CHECK_RV(f->C_GetSessionInfo(rw, &si), CKR_OK);
	CHECK(si.state == CKS_RW_PUBLIC_SESSION);
	CHECK_RV(f->C_Login(rw, CKU_USER, (CK_UTF8CHAR *)"anything", 8),
	    CKR_USER_PIN_NOT_INITIALIZED);
	CHECK_RV(f->C_Login(rw, CKU_USER, NULL, 0), CKR_USER_PIN_NOT_INITIALIZED);
	CHECK_RV(f->C_Login(rw, CKU_CONTEXT_SPECIFIC, (CK_UTF8CHAR *)"x", 1),
	    CKR_OPERATION_NOT_INITIALIZED);
	CHECK_RV(f->C_Login(rw, 7, (CK_UTF8CHAR *)"x", 1), CKR_USER_TYPE_INVALID);
	CHECK_RV(f->C_Login(rw, CKU_SO, (CK_UTF8CHAR *)"x", 1), CKR_SESSION_READ_ONLY_EXISTS);
	CHECK_RV(f->C_CloseSession(ro), CKR_OK);
	CHECK_RV(f->C_Login(rw, CKU_SO, (CK_UTF8CHAR *)"x", 1), CKR_USER_TYPE_INVALID);
	CHECK_RV(f->C_Login(rw, CKU_USER, NULL, 5), CKR_ARGUMENTS_BAD);
	CHECK_RV(f->C_GetSessionInfo(rw, &si), CKR_OK);
	CHECK(si.state == CKS_RW_PUBLIC_SESSION);
	CHECK_RV(f->C_Logout(rw), CKR_USER_NOT_LOGGED_IN);
	CHECK_RV(f->C_CloseSession(rw), CKR_OK);
}

static void
test_no_login_tokens(void)
{
	CK_SLOT_ID hmac = slot_of("HMAC");
	CK_SESSION_HANDLE s;
	CK_MECHANISM m = { CKM_SHA_1_HMAC, NULL, 0 };
	CK_BYTE mac[20];
	CK_ULONG n = sizeof(mac);

	no_login_token(hmac);
	no_login_token(slot_of("Vault"));
	/* public session, no login: the HMAC still answers */
	CHECK_RV(f->C_OpenSession(hmac, RO, NULL, NULL, &s), CKR_OK);
	CHECK_RV(f->C_SignInit(s, &m, find_one(s, CKO_SECRET_KEY, 1)), CKR_OK);
	CHECK_RV(f->C_Sign(s, (CK_BYTE *)"Hi There", 8, mac, &n), CKR_OK);
	CHECK(n == 20);
	CHECK_RV(f->C_CloseSession(s), CKR_OK);
}

/* 5.6.1: no SO login while a read-only session exists; no read-only session while the SO is
 * logged in. */
static void
test_so_and_ro(void)
{
	CK_SLOT_ID pgp = slot_of("OpenPGP");
	CK_SESSION_HANDLE ro, rw, rw2, x;
	CK_SESSION_INFO si;

	p11_mock_forget();
	CHECK_RV(f->C_OpenSession(pgp, RO, NULL, NULL, &ro), CKR_OK);
	CHECK_RV(f->C_OpenSession(pgp, RW, NULL, NULL, &rw), CKR_OK);
	CHECK_RV(f->C_Login(rw, CKU_SO, (CK_UTF8CHAR *)"12345678", 8),
	    CKR_SESSION_READ_ONLY_EXISTS);
	CHECK_RV(f->C_Login(ro, CKU_SO, (CK_UTF8CHAR *)"12345678", 8),
	    CKR_SESSION_READ_ONLY_EXISTS);
	CHECK_RV(f->C_CloseSession(ro), CKR_OK);
	CHECK_RV(f->C_Login(rw, CKU_SO, (CK_UTF8CHAR *)"12345678", 8), CKR_OK);
	CHECK_RV(f->C_OpenSession(pgp, RO, NULL, NULL, &x), CKR_SESSION_READ_WRITE_SO_EXISTS);
	CHECK_RV(f->C_OpenSession(pgp, RW, NULL, NULL, &rw2), CKR_OK);
	CHECK_RV(f->C_GetSessionInfo(rw2, &si), CKR_OK);
	CHECK(si.state == CKS_RW_SO_FUNCTIONS);
	CHECK_RV(f->C_Logout(rw), CKR_OK);
	CHECK_RV(f->C_OpenSession(pgp, RO, NULL, NULL, &ro), CKR_OK);
	CHECK_RV(f->C_CloseAllSessions(pgp), CKR_OK);
}

/* The SO generates a key: the private-key handle it gets back is one its session can read
 * (pkcs11-tool prints it), and still not one it can sign with. */
static void
test_so_keygen(void)
{
	static CK_BYTE p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
	CK_SLOT_ID pgp = slot_of("OpenPGP");
	CK_BYTE id = 3, idv[4];
	CK_BBOOL yes = CK_TRUE;
	CK_ATTRIBUTE pubt[] = { { CKA_EC_PARAMS, p256, sizeof(p256) }, { CKA_TOKEN, &yes, 1 } };
	CK_ATTRIBUTE privt[] = { { CKA_ID, &id, 1 }, { CKA_TOKEN, &yes, 1 } };
	CK_MECHANISM gen = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_MECHANISM sig = { CKM_ECDSA, NULL, 0 };
	CK_OBJECT_HANDLE pub = 0, priv = 0;
	CK_OBJECT_CLASS cls = 0;
	CK_BBOOL prv = CK_FALSE;
	CK_ATTRIBUTE a[] = { { CKA_CLASS, &cls, sizeof(cls) }, { CKA_ID, idv, sizeof(idv) },
		{ CKA_PRIVATE, &prv, 1 } };
	CK_SESSION_HANDLE s;

	p11_mock_forget();
	CHECK_RV(f->C_OpenSession(pgp, RW, NULL, NULL, &s), CKR_OK);
	CHECK_RV(f->C_Login(s, CKU_SO, (CK_UTF8CHAR *)"12345678", 8), CKR_OK);
	CHECK_RV(f->C_GenerateKeyPair(s, &gen, pubt, 2, privt, 2, &pub, &priv), CKR_OK);
	CHECK_RV(f->C_GetAttributeValue(s, priv, a, 3), CKR_OK);
	CHECK(cls == CKO_PRIVATE_KEY && a[1].ulValueLen == 1 && idv[0] == 3 && prv == CK_TRUE);
	CHECK(find_one(s, CKO_PRIVATE_KEY, 3) == priv);
	CHECK_RV(f->C_SignInit(s, &sig, priv), CKR_USER_NOT_LOGGED_IN);
	CHECK_RV(f->C_Logout(s), CKR_OK);
	CHECK_RV(f->C_GetAttributeValue(s, priv, a, 1), CKR_OBJECT_HANDLE_INVALID);
	CHECK_RV(f->C_CloseSession(s), CKR_OK);
}

static void
test_random(void)
{
	CK_SLOT_ID pgp = slot_of("OpenPGP");
	CK_TOKEN_INFO ti;
	CK_SESSION_HANDLE s;
	CK_BYTE a[32], b[32];

	CHECK_RV(f->C_GetTokenInfo(pgp, &ti), CKR_OK);
	CHECK(ti.flags & CKF_RNG);
	CHECK_RV(f->C_OpenSession(pgp, RO, NULL, NULL, &s), CKR_OK);
	CHECK_RV(f->C_SeedRandom(s + 100, a, sizeof(a)), CKR_SESSION_HANDLE_INVALID);
	CHECK_RV(f->C_SeedRandom(s, NULL, 4), CKR_ARGUMENTS_BAD);
	CHECK_RV(f->C_SeedRandom(s, a, sizeof(a)), CKR_RANDOM_SEED_NOT_SUPPORTED);
	CHECK_RV(f->C_GenerateRandom(s + 100, a, sizeof(a)), CKR_SESSION_HANDLE_INVALID);
	CHECK_RV(f->C_GenerateRandom(s, NULL, 4), CKR_ARGUMENTS_BAD);
	CHECK_RV(f->C_GenerateRandom(s, a, sizeof(a)), CKR_OK);
	CHECK_RV(f->C_GenerateRandom(s, b, sizeof(b)), CKR_OK);
	CHECK(memcmp(a, b, sizeof(a)) != 0);
	CHECK_RV(f->C_CloseSession(s), CKR_OK);
}

/* CKR_ATTRIBUTE_SENSITIVE only for the secret parts the object has; anything it does not have
 * is CKR_ATTRIBUTE_TYPE_INVALID; both leave ulValueLen = CK_UNAVAILABLE_INFORMATION and fill
 * the other attributes of the template. */
static void
test_attribute_errors(void)
{
	CK_SESSION_HANDLE s;
	CK_OBJECT_HANDLE ec, rsa, pub, hk;
	CK_BYTE label[64], buf[512];
	CK_ATTRIBUTE a[2];

	CHECK_RV(f->C_OpenSession(slot_of("OpenPGP"), RO, NULL, NULL, &s), CKR_OK);
	CHECK_RV(f->C_Login(s, CKU_USER, (CK_UTF8CHAR *)"123456", 6), CKR_OK);
	ec = find_one(s, CKO_PRIVATE_KEY, 1);
	rsa = find_one(s, CKO_PRIVATE_KEY, 2);
	pub = find_one(s, CKO_PUBLIC_KEY, 1);
	a[0] = (CK_ATTRIBUTE){ CKA_LABEL, label, sizeof(label) };
	a[1] = (CK_ATTRIBUTE){ CKA_VALUE, buf, sizeof(buf) };
	CHECK_RV(f->C_GetAttributeValue(s, ec, a, 2), CKR_ATTRIBUTE_SENSITIVE);
	CHECK(a[0].ulValueLen == 13 && memcmp(label, "Signature key", 13) == 0);
	CHECK(a[1].ulValueLen == CK_UNAVAILABLE_INFORMATION);
	a[1] = (CK_ATTRIBUTE){ CKA_PRIME_1, NULL, 0 };
	CHECK_RV(f->C_GetAttributeValue(s, ec, a, 2), CKR_ATTRIBUTE_TYPE_INVALID);
	CHECK(a[1].ulValueLen == CK_UNAVAILABLE_INFORMATION);
	a[1] = (CK_ATTRIBUTE){ CKA_VALUE, NULL, 0 };
	CHECK_RV(f->C_GetAttributeValue(s, rsa, &a[1], 1), CKR_ATTRIBUTE_TYPE_INVALID);
	CHECK(a[1].ulValueLen == CK_UNAVAILABLE_INFORMATION);
	a[1] = (CK_ATTRIBUTE){ CKA_PRIVATE_EXPONENT, NULL, 0 };
	CHECK_RV(f->C_GetAttributeValue(s, rsa, &a[1], 1), CKR_ATTRIBUTE_SENSITIVE);
	CHECK(a[1].ulValueLen == CK_UNAVAILABLE_INFORMATION);
	a[1] = (CK_ATTRIBUTE){ CKA_VALUE, buf, sizeof(buf) };
	CHECK_RV(f->C_GetAttributeValue(s, pub, &a[1], 1), CKR_ATTRIBUTE_TYPE_INVALID);
	a[1] = (CK_ATTRIBUTE){ 0x7fff0001UL, buf, sizeof(buf) };
	CHECK_RV(f->C_GetAttributeValue(s, pub, &a[1], 1), CKR_ATTRIBUTE_TYPE_INVALID);
	CHECK(a[1].ulValueLen == CK_UNAVAILABLE_INFORMATION);
	CHECK_RV(f->C_GetAttributeValue(s, pub, NULL, 1), CKR_ARGUMENTS_BAD);
	CHECK_RV(f->C_CloseSession(s), CKR_OK);

	CHECK_RV(f->C_OpenSession(slot_of("HMAC"), RO, NULL, NULL, &s), CKR_OK);
	hk = find_one(s, CKO_SECRET_KEY, 1);
	a[1] = (CK_ATTRIBUTE){ CKA_VALUE, buf, sizeof(buf) };
	CHECK_RV(f->C_GetAttributeValue(s, hk, &a[1], 1), CKR_ATTRIBUTE_SENSITIVE);
	a[1] = (CK_ATTRIBUTE){ CKA_MODULUS, buf, sizeof(buf) };
	CHECK_RV(f->C_GetAttributeValue(s, hk, &a[1], 1), CKR_ATTRIBUTE_TYPE_INVALID);
	CHECK_RV(f->C_CloseSession(s), CKR_OK);
}

/* C_GenerateKeyPair asked for session objects (CKA_TOKEN absent or false): refused, and the
 * key in the card slot is the one that was there. */
static void
test_keygen_session_objects(void)
{
	static CK_BYTE p256[] = { 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
	CK_BYTE id = 1, pt[80], pt2[80];
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ATTRIBUTE pubt[] = { { CKA_EC_PARAMS, p256, sizeof(p256) }, { CKA_TOKEN, &yes, 1 } };
	CK_ATTRIBUTE privt[] = { { CKA_ID, &id, 1 }, { CKA_TOKEN, &no, 1 } };
	CK_MECHANISM gen = { CKM_EC_KEY_PAIR_GEN, NULL, 0 };
	CK_OBJECT_HANDLE pub = 0, priv = 0;
	CK_ATTRIBUTE q = { CKA_EC_POINT, pt, sizeof(pt) };
	CK_SESSION_HANDLE s;

	p11_mock_forget();
	CHECK_RV(f->C_OpenSession(slot_of("OpenPGP"), RW, NULL, NULL, &s), CKR_OK);
	CHECK_RV(f->C_Login(s, CKU_SO, (CK_UTF8CHAR *)"12345678", 8), CKR_OK);
	CHECK_RV(f->C_GetAttributeValue(s, find_one(s, CKO_PUBLIC_KEY, 1), &q, 1), CKR_OK);
	CHECK_RV(f->C_GenerateKeyPair(s, &gen, pubt, 2, privt, 2, &pub, &priv),
	    CKR_TEMPLATE_INCONSISTENT);
	CHECK_RV(f->C_GenerateKeyPair(s, &gen, pubt, 2, privt, 1, &pub, &priv),
	    CKR_TEMPLATE_INCONSISTENT);
	CHECK_RV(f->C_GenerateKeyPair(s, &gen, pubt, 1, &privt[0], 1, &pub, &priv),
	    CKR_TEMPLATE_INCONSISTENT);
	CHECK(pub == CK_INVALID_HANDLE && priv == CK_INVALID_HANDLE);
	q.pValue = pt2;
	q.ulValueLen = sizeof(pt2);
	CHECK_RV(f->C_GetAttributeValue(s, find_one(s, CKO_PUBLIC_KEY, 1), &q, 1), CKR_OK);
	CHECK(memcmp(pt, pt2, q.ulValueLen) == 0);
	CHECK_RV(f->C_CloseSession(s), CKR_OK);
}

static void
test_session_counts(void)
{
	CK_SLOT_ID hmac = slot_of("HMAC"), got = 99;
	CK_SESSION_HANDLE a, b;
	CK_TOKEN_INFO ti;

	CHECK_RV(f->C_OpenSession(hmac, RO, NULL, NULL, &a), CKR_OK);
	CHECK_RV(f->C_OpenSession(hmac, RW, NULL, NULL, &b), CKR_OK);
	CHECK_RV(f->C_GetTokenInfo(hmac, &ti), CKR_OK);
	CHECK(ti.ulSessionCount == 2 && ti.ulRwSessionCount == 1);
	CHECK_RV(f->C_CloseAllSessions(hmac), CKR_OK);
	CHECK_RV(f->C_GetTokenInfo(hmac, &ti), CKR_OK);
	CHECK(ti.ulSessionCount == 0 && ti.ulRwSessionCount == 0);
	CHECK_RV(f->C_WaitForSlotEvent(CKF_DONT_BLOCK, NULL, NULL), CKR_ARGUMENTS_BAD);
	CHECK_RV(f->C_WaitForSlotEvent(CKF_DONT_BLOCK, &got, &got), CKR_ARGUMENTS_BAD);
	CHECK_RV(f->C_WaitForSlotEvent(CKF_DONT_BLOCK, &got, NULL), CKR_NO_EVENT);
}

/* A search and a signature are separate operations of a session: one may run while the other
 * is under way, and ending one leaves the other alone; a second search is CKR_OPERATION_ACTIVE. */
static void
test_find_during_sign(void)
{
	SK_CK_INTERFACE *i = NULL;
	void *f3;
	CK_SESSION_HANDLE s;
	CK_MECHANISM m = { CKM_SHA_1_HMAC, NULL, 0 };
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_ATTRIBUTE t = { CKA_CLASS, &cls, sizeof(cls) };
	CK_OBJECT_HANDLE h[4], k;
	CK_BYTE mac[20];
	CK_ULONG n = 0;

	CHECK_RV(C_GetInterface(NULL, NULL, &i, 0), CKR_OK);
	f3 = i != NULL ? i->pFunctionList : NULL;
	CHECK_RV(f->C_OpenSession(slot_of("HMAC"), RO, NULL, NULL, &s), CKR_OK);
	k = find_one(s, CKO_SECRET_KEY, 1);
	CHECK_RV(f->C_SignInit(s, &m, k), CKR_OK);
	CHECK_RV(f->C_FindObjectsInit(s, &t, 1), CKR_OK);
	CHECK_RV(f->C_FindObjectsInit(s, &t, 1), CKR_OPERATION_ACTIVE);
	n = sizeof(mac);
	CHECK_RV(f->C_Sign(s, (CK_BYTE *)"Hi There", 8, mac, &n), CKR_OK);   /* ends the sign only */
	CHECK_RV(f->C_FindObjects(s, h, 4, &n), CKR_OK);
	CHECK(n == 2 && (h[0] == k || h[1] == k));
	CHECK_RV(f->C_SignInit(s, &m, k), CKR_OK);
	CHECK_RV(f->C_FindObjectsFinal(s), CKR_OK);                          /* ends the search only */
	CHECK_RV(f->C_FindObjects(s, h, 4, &n), CKR_OPERATION_NOT_INITIALIZED);
	n = sizeof(mac);
	CHECK_RV(f->C_Sign(s, (CK_BYTE *)"Hi There", 8, mac, &n), CKR_OK);
	CHECK_RV(f->C_FindObjectsFinal(s), CKR_OPERATION_NOT_INITIALIZED);
	/* C_SessionCancel ends only what its flags name */
	CHECK_RV(f->C_SignInit(s, &m, k), CKR_OK);
	CHECK_RV(f->C_FindObjectsInit(s, &t, 1), CKR_OK);
	CHECK_RV(((SK_CK_FUNCTION_LIST_3_0 *)f3)->C_SessionCancel(s, CKF_FIND_OBJECTS), CKR_OK);
	CHECK_RV(f->C_FindObjects(s, h, 4, &n), CKR_OPERATION_NOT_INITIALIZED);
	CHECK_RV(f->C_SignInit(s, &m, k), CKR_OPERATION_ACTIVE);
	CHECK_RV(((SK_CK_FUNCTION_LIST_3_0 *)f3)->C_SessionCancel(s, CKF_DECRYPT), CKR_OK);
	CHECK_RV(f->C_SignInit(s, &m, k), CKR_OPERATION_ACTIVE);
	CHECK_RV(((SK_CK_FUNCTION_LIST_3_0 *)f3)->C_SessionCancel(s, CKF_SIGN), CKR_OK);
	CHECK_RV(f->C_SignInit(s, &m, k), CKR_OK);
	CHECK_RV(f->C_CloseSession(s), CKR_OK);
}

static CK_RV
hmac_create(CK_SESSION_HANDLE s, int slot, const char *key, CK_ATTRIBUTE *extra, CK_ULONG nextra,
    CK_OBJECT_HANDLE *out)
{
	CK_OBJECT_CLASS cls = CKO_SECRET_KEY;
	CK_KEY_TYPE kt = CKK_GENERIC_SECRET;
	CK_BYTE id = (CK_BYTE)slot;
	CK_ATTRIBUTE t[8] = { { CKA_CLASS, &cls, sizeof(cls) }, { CKA_KEY_TYPE, &kt, sizeof(kt) },
		{ CKA_ID, &id, 1 }, { CKA_VALUE, (void *)key, (CK_ULONG)strlen(key) } };
	CK_ULONG i;

	for (i = 0; i < nextra && i < 4; i++)
		t[4 + i] = extra[i];
	return f->C_CreateObject(s, t, 4 + nextra, out);
}

static int
hmac_of(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE k, CK_BYTE mac[20])
{
	CK_MECHANISM m = { CKM_SHA_1_HMAC, NULL, 0 };
	CK_ULONG n = 20;

	return f->C_SignInit(s, &m, k) == CKR_OK &&
	    f->C_Sign(s, (CK_BYTE *)"Hi There", 8, mac, &n) == CKR_OK && n == 20;
}

static void
test_hmac_objects(void)
{
	CK_SLOT_ID hmac = slot_of("HMAC");
	CK_SESSION_HANDLE s, ro;
	CK_OBJECT_HANDLE h = 0, k1;
	CK_BBOOL yes = CK_TRUE, no = CK_FALSE;
	CK_ATTRIBUTE tok = { CKA_TOKEN, &yes, 1 }, sess = { CKA_TOKEN, &no, 1 };
	CK_ATTRIBUTE priv[] = { { CKA_TOKEN, &yes, 1 }, { CKA_PRIVATE, &yes, 1 } };
	CK_ATTRIBUTE ext[] = { { CKA_TOKEN, &yes, 1 }, { CKA_EXTRACTABLE, &yes, 1 } };
	CK_ATTRIBUTE notsens[] = { { CKA_TOKEN, &yes, 1 }, { CKA_SENSITIVE, &no, 1 } };
	CK_BBOOL tv = CK_FALSE, dv = CK_FALSE;
	CK_ATTRIBUTE q[] = { { CKA_TOKEN, &tv, 1 }, { CKA_DESTROYABLE, &dv, 1 } };
	CK_BYTE before[20], after[20];
	int writes;

	CHECK_RV(f->C_OpenSession(hmac, RW, NULL, NULL, &s), CKR_OK);
	CHECK_RV(f->C_OpenSession(hmac, RO, NULL, NULL, &ro), CKR_OK);
	k1 = find_one(s, CKO_SECRET_KEY, 1);
	CHECK(hmac_of(s, k1, before));
	writes = p11_mock.hmac_writes;
	/* a session object (CKA_TOKEN false, or absent: the default) never reaches the chip */
	CHECK_RV(hmac_create(s, 1, "Jefe", NULL, 0, &h), CKR_TEMPLATE_INCONSISTENT);
	CHECK_RV(hmac_create(s, 2, "Jefe", NULL, 0, &h), CKR_TEMPLATE_INCONSISTENT);
	CHECK_RV(hmac_create(s, 2, "Jefe", &sess, 1, &h), CKR_TEMPLATE_INCONSISTENT);
	CHECK_RV(hmac_create(ro, 2, "Jefe", &sess, 1, &h), CKR_TEMPLATE_INCONSISTENT);
	CHECK(h == CK_INVALID_HANDLE);
	/* a token object needs a R/W session and a key the token can honour */
	CHECK_RV(hmac_create(ro, 2, "Jefe", &tok, 1, &h), CKR_SESSION_READ_ONLY);
	CHECK_RV(hmac_create(s, 2, "Jefe", priv, 2, &h), CKR_TEMPLATE_INCONSISTENT);
	CHECK_RV(hmac_create(s, 2, "Jefe", ext, 2, &h), CKR_TEMPLATE_INCONSISTENT);
	CHECK_RV(hmac_create(s, 2, "Jefe", notsens, 2, &h), CKR_TEMPLATE_INCONSISTENT);
	/* slot 1 is programmed: never overwritten */
	CHECK_RV(hmac_create(s, 1, "Jefe", &tok, 1, &h), CKR_ATTRIBUTE_VALUE_INVALID);
	CHECK(p11_mock.hmac_writes == writes);
	CHECK(hmac_of(s, find_one(s, CKO_SECRET_KEY, 1), after));
	CHECK(memcmp(before, after, 20) == 0);
	CHECK(find_one(s, CKO_SECRET_KEY, 2) == CK_INVALID_HANDLE);
	/* an empty slot is written; its key is a token object that outlives the session */
	CHECK_RV(hmac_create(s, 2, "Jefe", &tok, 1, &h), CKR_OK);
	CHECK(p11_mock.hmac_writes == writes + 1);
	CHECK_RV(f->C_GetAttributeValue(s, h, q, 2), CKR_OK);
	CHECK(tv == CK_TRUE && dv == CK_TRUE);
	/* destroying the programmed key is the explicit step: R/W only, then the slot is free */
	CHECK_RV(f->C_DestroyObject(ro, k1), CKR_SESSION_READ_ONLY);
	CHECK_RV(f->C_DestroyObject(s, k1), CKR_OK);
	CHECK(p11_mock.hmac_writes == writes + 2);
	CHECK(find_one(s, CKO_SECRET_KEY, 1) == CK_INVALID_HANDLE);
	CHECK_RV(f->C_SignInit(s, &(CK_MECHANISM){ CKM_SHA_1_HMAC, NULL, 0 }, k1),
	    CKR_KEY_HANDLE_INVALID);
	CHECK_RV(hmac_create(s, 1, "\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b\x0b"
	    "\x0b\x0b\x0b\x0b\x0b", &tok, 1, &h), CKR_OK);
	CHECK(hmac_of(s, h, after) && memcmp(before, after, 20) == 0);
	CHECK_RV(f->C_CloseSession(ro), CKR_OK);
	CHECK_RV(f->C_CloseSession(s), CKR_OK);
	/* both keys are still there for the next session */
	CHECK_RV(f->C_OpenSession(hmac, RO, NULL, NULL, &s), CKR_OK);
	CHECK(find_one(s, CKO_SECRET_KEY, 1) != CK_INVALID_HANDLE);
	CHECK(find_one(s, CKO_SECRET_KEY, 2) != CK_INVALID_HANDLE);
	CHECK_RV(f->C_CloseSession(s), CKR_OK);
}

int
main(void)
{
	p11_mock_reset();
	p11_mock_vault_reset(1);
	p11_set_backend(&p11_mock_backend);
	CHECK_RV(C_GetFunctionList(&f), CKR_OK);
	test_not_initialized();
	test_interface_versions();
	test_slot_ids();
	CHECK_RV(f->C_Initialize(NULL), CKR_OK);
	test_no_login_tokens();
	test_so_and_ro();
	test_so_keygen();
	test_random();
	test_hmac_objects();
	test_attribute_errors();
	test_keygen_session_objects();
	test_session_counts();
	test_find_during_sign();
	CHECK_RV(f->C_Finalize(NULL), CKR_OK);
	if (failures) {
		fprintf(stderr, "%d check(s) failed\n", failures);
		return 1;
	}
	printf("test_p11_rules: all checks passed\n");
	return 0;
}
