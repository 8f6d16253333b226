/* p11_vault_set.c — test helper (not installed): C_SetAttributeValue on a Vault credential,
 * which pkcs11-tool cannot do. Finds the CKO_DATA object with CKA_LABEL USER on the first
 * Vault token, sets ATTR (value: VALUE from stdin; label: LABEL given) in a read/write session
 * and prints the CK_RV. Usage: p11_vault_set MODULE USER value|label [LABEL] */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <p11-kit/pkcs11.h>

int main(int argc, char **argv);

static int
open_vault(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE *s)
{
	CK_SLOT_ID slots[64];
	CK_ULONG n = 64;
	CK_TOKEN_INFO ti;

	if (f->C_GetSlotList(CK_TRUE, slots, &n) != CKR_OK)
		return -1;
	for (CK_ULONG i = 0; i < n; i++)
		if (f->C_GetTokenInfo(slots[i], &ti) == CKR_OK && memmem(ti.label, 32, " Vault", 6))
			return f->C_OpenSession(slots[i], CKF_SERIAL_SESSION | CKF_RW_SESSION, NULL,
			    NULL, s) == CKR_OK ? 0 : -1;
	return -1;
}

static CK_RV
find_user(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s, const char *user, CK_OBJECT_HANDLE *o)
{
	CK_OBJECT_CLASS cls = CKO_DATA;
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof(cls) },
		{ CKA_LABEL, (void *)user, (CK_ULONG)strlen(user) } };
	CK_ULONG n = 0;
	CK_RV rv;

	if ((rv = f->C_FindObjectsInit(s, t, 2)) != CKR_OK)
		return rv;
	rv = f->C_FindObjects(s, o, 1, &n);
	f->C_FindObjectsFinal(s);
	return rv != CKR_OK ? rv : n == 1 ? CKR_OK : CKR_OBJECT_HANDLE_INVALID;
}

int
main(int argc, char **argv)
{
	CK_C_GetFunctionList gfl;
	CK_FUNCTION_LIST_PTR f;
	CK_SESSION_HANDLE s = 0;
	CK_OBJECT_HANDLE o = 0;
	CK_ATTRIBUTE a = { CKA_VALUE, NULL, 0 };
	char buf[4096];
	size_t len = 0;
	CK_RV rv;
	void *lib;

	if ((argc != 4 && argc != 5) || (lib = dlopen(argv[1], RTLD_NOW)) == NULL ||
	    (gfl = (CK_C_GetFunctionList)dlsym(lib, "C_GetFunctionList")) == NULL ||
	    gfl(&f) != CKR_OK || f->C_Initialize(NULL) != CKR_OK) {
		fprintf(stderr, "usage: p11_vault_set MODULE USER value|label [LABEL]\n");
		return 2;
	}
	if (open_vault(f, &s) != 0) {
		fprintf(stderr, "no Vault token\n");
		return 2;
	}
	if (strcmp(argv[3], "label") == 0 && argc == 5) {
		a.type = CKA_LABEL;
		a.pValue = argv[4];
		a.ulValueLen = (CK_ULONG)strlen(argv[4]);
	} else {
		len = fread(buf, 1, sizeof(buf), stdin);
		a.pValue = buf;
		a.ulValueLen = (CK_ULONG)len;
	}
	if ((rv = find_user(f, s, argv[2], &o)) == CKR_OK)
		rv = f->C_SetAttributeValue(s, o, &a, 1);
	printf("rv=0x%lx\n", rv);
	f->C_Finalize(NULL);
	return rv == CKR_OK ? 0 : 1;
}
