/* p11_test.h — the checks shared by the module's unit tests (test_p11_*.c): a failure counter,
 * CHECK / CHECK_RV that report and count instead of stopping, the function list under test and
 * a one-object search. Test code only, never built into the module. */
#ifndef P11_TEST_H
#define P11_TEST_H

#include <stdio.h>

#include "p11.h"

static int failures;
static CK_FUNCTION_LIST *f __attribute__((unused));

#define CHECK(c)                                                              \
	do {                                                                  \
		if (!(c)) {                                                   \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #c); \
			failures++;                                           \
		}                                                             \
	} while (0)
#define CHECK_RV(call, want)                                                  \
	do {                                                                  \
		CK_RV rv_ = (call);                                           \
		if (rv_ != (want)) {                                          \
			fprintf(stderr, "%s:%d: %s = 0x%lx, want 0x%lx\n", __FILE__, __LINE__, \
			    #call, rv_, (CK_ULONG)(want));                   \
			failures++;                                           \
		}                                                             \
	} while (0)

/* The one object of a class with a one-byte CKA_ID, or CK_INVALID_HANDLE. */
static inline CK_OBJECT_HANDLE
find_one(CK_SESSION_HANDLE s, CK_OBJECT_CLASS cls, int id)
{
	CK_BYTE idb = (CK_BYTE)id;
	CK_ATTRIBUTE t[] = { { CKA_CLASS, &cls, sizeof(cls) }, { CKA_ID, &idb, 1 } };
	CK_OBJECT_HANDLE h[4];
	CK_ULONG n = 0;

	CHECK_RV(f->C_FindObjectsInit(s, t, 2), CKR_OK);
	CHECK_RV(f->C_FindObjects(s, h, 4, &n), CKR_OK);
	CHECK_RV(f->C_FindObjectsFinal(s), CKR_OK);
	return n == 1 ? h[0] : CK_INVALID_HANDLE;
}

#endif
