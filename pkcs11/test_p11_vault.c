/* test_p11_vault.c — the Vault slot over the mock backend: no slot without a vault; token label
 * and flags; CKO_DATA objects listed without a fetch; CKA_VALUE read with one fetch for the size
 * query and the value; corrupt rows and a missing tap fail cleanly; C_CreateObject,
 * C_SetAttributeValue(CKA_VALUE) and C_DestroyObject add, change and remove credentials;
 * read-only sessions refuse them. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "p11.h"
#include "p11_test.h"
#include "p11_mock.h"

/* The Vault slot's id, or (CK_SLOT_ID)-1 when there is none. */
static CK_SLOT_ID
vault_slot(void)
{
	CK_SLOT_ID ids[16];
	CK_ULONG n = 16, i;
	CK_TOKEN_INFO ti;

	CHECK_RV(f->C_GetSlotList(CK_TRUE, NULL, &n), CKR_OK);
	n = 16;
	CHECK_RV(f->C_GetSlotList(CK_TRUE, ids, &n), CKR_OK);
	for (i = 0; i < n; i++) {
		CHECK_RV(f->C_GetTokenInfo(ids[i], &ti), CKR_OK);
		if (memcmp(ti.label, "df-04a1b2c3d4e5f6 Vault ", 24) == 0)
			return ids[i];
	}
	return (CK_SLOT_ID)-1;
}

static CK_ULONG
find_data(CK_SESSION_HANDLE s, const char *site, CK_OBJECT_HANDLE *h, CK_ULONG max)
{
	CK_OBJECT_CLASS cls = CKO_DATA;
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_APPLICATION, (void *)site, site ? (CK_ULONG)strlen(site) : 0 } };
	CK_ULONG n = 0;

	CHECK_RV(f->C_FindObjectsInit(s, t, site ? 2 : 1), CKR_OK);
	CHECK_RV(f->C_FindObjects(s, h, max, &n), CKR_OK);
	CHECK_RV(f->C_FindObjectsFinal(s), CKR_OK);
	return n;
}

static CK_OBJECT_HANDLE
create(CK_SESSION_HANDLE s, const char *site, const char *user, const char *secret, CK_RV want)
{
	CK_OBJECT_CLASS cls = CKO_DATA;
	CK_BBOOL tru = CK_TRUE;
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof(cls) }, { CKA_TOKEN, &tru, 1 },
		{ CKA_APPLICATION, (void *)site, (CK_ULONG)strlen(site) },
		{ CKA_LABEL, (void *)user, (CK_ULONG)strlen(user) },
		{ CKA_VALUE, (void *)secret, (CK_ULONG)strlen(secret) } };
	CK_OBJECT_HANDLE h = CK_INVALID_HANDLE;

	CHECK_RV(f->C_CreateObject(s, t, 5, &h), want);
	return h;
}

static void
test_no_vault(void)
{
	p11_mock_vault_reset(0);
	CHECK_RV(f->C_Initialize(NULL), CKR_OK);
	CHECK(vault_slot() == (CK_SLOT_ID)-1);
	CHECK_RV(f->C_Finalize(NULL), CKR_OK);
}

static void
test_read(CK_SESSION_HANDLE s, CK_OBJECT_HANDLE h)
{
	char buf[64], label[64], app[64], id[24];
	CK_BBOOL priv = CK_TRUE, destroy = CK_FALSE;
	CK_ATTRIBUTE a[] = { { CKA_LABEL, label, sizeof(label) }, { CKA_APPLICATION, app, sizeof(app) },
		{ CKA_PRIVATE, &priv, 1 }, { CKA_DESTROYABLE, &destroy, 1 }, { CKA_ID, id, sizeof(id) } };
	CK_ATTRIBUTE v = { CKA_VALUE, NULL, 0 };
	int calls;

	CHECK_RV(f->C_GetAttributeValue(s, h, a, 5), CKR_OK);
	CHECK(a[0].ulValueLen == 5 && memcmp(label, "alice", 5) == 0);
	CHECK(a[1].ulValueLen == 11 && memcmp(app, "example.org", 11) == 0);
	CHECK(priv == CK_FALSE && destroy == CK_TRUE);
	CHECK(a[4].ulValueLen == 1 && id[0] == '1');
	CHECK(p11_mock_vault_st.gets == 0);
	/* size query then value: one fetch */
	CHECK_RV(f->C_GetAttributeValue(s, h, &v, 1), CKR_OK);
	CHECK(v.ulValueLen == 7);
	v.pValue = buf;
	v.ulValueLen = sizeof(buf);
	CHECK_RV(f->C_GetAttributeValue(s, h, &v, 1), CKR_OK);
	CHECK(v.ulValueLen == 7 && memcmp(buf, "s3cret!", 7) == 0);
	CHECK(p11_mock_vault_st.gets == 1);
	/* a read with a buffer fetches anew (nothing kept after the value was handed out) */
	v.ulValueLen = sizeof(buf);
	CHECK_RV(f->C_GetAttributeValue(s, h, &v, 1), CKR_OK);
	CHECK(p11_mock_vault_st.gets == 2);
	/* a too-small buffer keeps it for the retry */
	v.ulValueLen = 3;
	CHECK_RV(f->C_GetAttributeValue(s, h, &v, 1), CKR_BUFFER_TOO_SMALL);
	v.ulValueLen = sizeof(buf);
	CHECK_RV(f->C_GetAttributeValue(s, h, &v, 1), CKR_OK);
	CHECK(p11_mock_vault_st.gets == 3);
	/* no tap: device removed, cleanly */
	p11_mock_vault_st.no_tap = 1;
	v.ulValueLen = sizeof(buf);
	CHECK_RV(f->C_GetAttributeValue(s, h, &v, 1), CKR_DEVICE_REMOVED);
	p11_mock_vault_st.no_tap = 0;
	/* and the same session does not wait for the chip again right away */
	calls = p11_mock_vault_st.calls;
	CHECK_RV(f->C_GetAttributeValue(s, h, &v, 1), CKR_DEVICE_REMOVED);
	CHECK(p11_mock_vault_st.calls == calls);
}

static void
test_vault(void)
{
	CK_SESSION_HANDLE s, ro;
	CK_OBJECT_HANDLE h[8], a, b;
	CK_TOKEN_INFO ti;
	CK_SLOT_ID id;
	CK_ULONG len = 0;
	CK_ATTRIBUTE v = { CKA_VALUE, NULL, 0 };

	p11_mock_vault_reset(1);
	CHECK_RV(f->C_Initialize(NULL), CKR_OK);
	if ((id = vault_slot()) == (CK_SLOT_ID)-1) {
		CHECK(0 && "no Vault slot");
		return;
	}
	CHECK_RV(f->C_GetTokenInfo(id, &ti), CKR_OK);
	CHECK(!(ti.flags & CKF_LOGIN_REQUIRED));
	CHECK(memcmp(ti.serialNumber, "04a1b2c3d4e5f6  ", 16) == 0);   /* the UID: 17 > 16 */
	CHECK_RV(f->C_GetMechanismList(id, NULL, &len), CKR_OK);
	CHECK(len == 0);
	CHECK_RV(f->C_OpenSession(id, CKF_SERIAL_SESSION, NULL, NULL, &ro), CKR_OK);
	create(ro, "example.org", "alice", "s3cret!", CKR_SESSION_READ_ONLY);
	CHECK_RV(f->C_OpenSession(id, CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL, NULL, &s), CKR_OK);
	CHECK(find_data(s, NULL, h, 8) == 0);
	a = create(s, "example.org", "alice", "s3cret!", CKR_OK);
	b = create(s, "example.net", "bob", "hunter2", CKR_OK);
	create(s, "", "bob", "x", CKR_TEMPLATE_INCOMPLETE);
	CHECK(a != CK_INVALID_HANDLE && b != CK_INVALID_HANDLE && a != b);
	CHECK(find_data(ro, NULL, h, 8) == 2);
	CHECK(find_data(ro, "example.org", h, 8) == 1 && h[0] == a);
	test_read(ro, a);
	/* corrupt: listed, never read, no fetch */
	p11_mock_vault_corrupt(2);
	CHECK(find_data(ro, NULL, h, 8) == 2);
	len = (CK_ULONG)p11_mock_vault_st.gets;
	CHECK_RV(f->C_GetAttributeValue(ro, b, &v, 1), CKR_ATTRIBUTE_SENSITIVE);
	CHECK(v.ulValueLen == CK_UNAVAILABLE_INFORMATION);
	CHECK((CK_ULONG)p11_mock_vault_st.gets == len);
	/* a new secret: only CKA_VALUE, only read/write */
	{
		char nv[] = "n3w-secret", buf[32], lab[] = "eve";
		CK_ATTRIBUTE set = { CKA_VALUE, nv, (CK_ULONG)strlen(nv) };
		CK_ATTRIBUTE setl = { CKA_LABEL, lab, 3 };
		CK_ATTRIBUTE get = { CKA_VALUE, buf, sizeof(buf) };

		CHECK_RV(f->C_SetAttributeValue(ro, a, &set, 1), CKR_SESSION_READ_ONLY);
		CHECK_RV(f->C_SetAttributeValue(s, a, &setl, 1), CKR_ATTRIBUTE_READ_ONLY);
		CHECK_RV(f->C_SetAttributeValue(s, a, &set, 1), CKR_OK);
		CHECK_RV(f->C_GetAttributeValue(s, a, &get, 1), CKR_OK);
		CHECK(get.ulValueLen == strlen(nv) && memcmp(buf, nv, strlen(nv)) == 0);
	}
	/* destroy: read-only refused, then gone */
	CHECK_RV(f->C_DestroyObject(ro, a), CKR_SESSION_READ_ONLY);
	CHECK_RV(f->C_DestroyObject(s, a), CKR_OK);
	CHECK(find_data(s, "example.org", h, 8) == 0);
	CHECK_RV(f->C_DestroyObject(s, a), CKR_OBJECT_HANDLE_INVALID);
	CHECK_RV(f->C_CloseSession(ro), CKR_OK);
	CHECK_RV(f->C_CloseSession(s), CKR_OK);
	CHECK_RV(f->C_Finalize(NULL), CKR_OK);
}

int
main(void)
{
	p11_mock_reset();
	p11_set_backend(&p11_mock_backend);
	CHECK_RV(C_GetFunctionList(&f), CKR_OK);
	test_no_vault();
	test_vault();
	if (failures) {
		fprintf(stderr, "%d check(s) failed\n", failures);
		return 1;
	}
	printf("test_p11_vault: ok\n");
	return 0;
}
