/* p11_holdsign.c — test helper (not installed): a long-lived PKCS#11 client, as a browser is.
 * Logs in to the first OpenPGP token with PIN, waits until GOFILE exists, then tries N ECDSA
 * signatures with key CKA_ID 03, printing each CK_RV. Usage: p11_holdsign MODULE PIN GOFILE N */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <p11-kit/pkcs11.h>

int main(int argc, char **argv);

static CK_SLOT_ID find_openpgp(CK_FUNCTION_LIST_PTR f, int *found)
{
	CK_SLOT_ID slots[64];
	CK_ULONG n = 64;
	CK_TOKEN_INFO ti;

	*found = 0;
	if (f->C_GetSlotList(CK_TRUE, slots, &n) != CKR_OK)
		return 0;
	for (CK_ULONG i = 0; i < n; i++)
		if (f->C_GetTokenInfo(slots[i], &ti) == CKR_OK && memmem(ti.label, 32, "OpenPGP", 7)) {
			*found = 1;
			return slots[i];
		}
	return 0;
}

static CK_RV sign_once(CK_FUNCTION_LIST_PTR f, CK_SESSION_HANDLE s)
{
	CK_OBJECT_CLASS cls = CKO_PRIVATE_KEY;
	CK_BYTE id = 3, hash[32] = { 1 }, sig[256];
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof(cls) }, { CKA_ID, &id, 1 } };
	CK_MECHANISM m = { CKM_ECDSA, NULL, 0 };
	CK_OBJECT_HANDLE o;
	CK_ULONG n = 0, sl = sizeof(sig);
	CK_RV rv;

	if ((rv = f->C_FindObjectsInit(s, t, 2)) != CKR_OK)
		return rv;
	rv = f->C_FindObjects(s, &o, 1, &n);
	f->C_FindObjectsFinal(s);
	if (rv != CKR_OK || n != 1)
		return rv != CKR_OK ? rv : CKR_KEY_HANDLE_INVALID;
	if ((rv = f->C_SignInit(s, &m, o)) != CKR_OK)
		return rv;
	return f->C_Sign(s, hash, sizeof(hash), sig, &sl);
}

int main(int argc, char **argv)
{
	CK_C_GetFunctionList gfl;
	CK_FUNCTION_LIST_PTR f;
	CK_SESSION_HANDLE s = 0;
	CK_SLOT_ID slot;
	void *lib;
	int found, n;

	if (argc != 5 || (lib = dlopen(argv[1], RTLD_NOW)) == NULL ||
	    (gfl = (CK_C_GetFunctionList)dlsym(lib, "C_GetFunctionList")) == NULL ||
	    gfl(&f) != CKR_OK || f->C_Initialize(NULL) != CKR_OK) {
		fprintf(stderr, "usage: p11_holdsign MODULE PIN GOFILE N (or the module did not load)\n");
		return 2;
	}
	slot = find_openpgp(f, &found);
	if (!found || f->C_OpenSession(slot, CKF_SERIAL_SESSION, NULL, NULL, &s) != CKR_OK) {
		fprintf(stderr, "no OpenPGP token\n");
		return 2;
	}
	printf("login rv=0x%lx\n", f->C_Login(s, CKU_USER, (CK_UTF8CHAR_PTR)argv[2],
	    (CK_ULONG)strlen(argv[2])));
	fflush(stdout);
	while (access(argv[3], F_OK) != 0)
		usleep(50000);
	n = atoi(argv[4]);
	for (int k = 0; k < n; k++) {
		printf("sign %d rv=0x%lx\n", k, sign_once(f, s));
		fflush(stdout);
	}
	f->C_Finalize(NULL);
	return 0;
}
