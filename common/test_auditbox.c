/* test_auditbox.c — a sealed audit event opens with its key only, every box has one size, a
 * changed box or a row without one does not open. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/auditbox.h"
#include "common/sk_err.h"

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK(%s)\n", __FILE__, __LINE__, #c); failures++; } } while (0)

int main(void)
{
	uint8_t g1[32], g2[32], k1[SK_AUDITBOX_KEY_LEN], k2[SK_AUDITBOX_KEY_LEN];
	char *a = NULL, *b = NULL, *c = NULL, kind[32], plain[SK_AUDITBOX_PLAIN], row[4200];
	char longd[3000];

	memset(g1, 0x11, sizeof(g1));
	memset(g2, 0x22, sizeof(g2));
	CHECK(sk_auditbox_key(g1, k1) == 0);
	CHECK(sk_auditbox_key(g2, k2) == 0);
	CHECK(memcmp(k1, k2, sizeof(k1)) != 0 && memcmp(k1, g1, sizeof(k1)) != 0);
	CHECK(sk_auditbox_seal(k1, "key-op", "door=ssh chip=fs-0005ffee0001 object=AB12", &a) == 0);
	CHECK(sk_auditbox_seal(k1, "chip-seen", "", &b) == 0);
	memset(longd, 'x', sizeof(longd) - 1);
	longd[sizeof(longd) - 1] = '\0';
	CHECK(sk_auditbox_seal(k1, "vault", longd, &c) == 0);
	if (a == NULL || b == NULL || c == NULL)
		return 1;
	/* one size, nothing in clear */
	CHECK(strlen(a) == 4 + SK_AUDITBOX_HEX_LEN && strlen(b) == strlen(a) && strlen(c) == strlen(a));
	CHECK(strstr(a, "fs-") == NULL && strstr(a, "key-op") == NULL);
	/* as the guard stores it: "ms=... box=..." */
	snprintf(row, sizeof(row), "ms=1234 %s", a);
	CHECK(sk_auditbox_open(k1, row, kind, sizeof(kind), plain, sizeof(plain)) == 0);
	CHECK(strcmp(kind, "key-op") == 0);
	CHECK(strcmp(plain, "door=ssh chip=fs-0005ffee0001 object=AB12") == 0);
	CHECK(sk_auditbox_open(k1, b, kind, sizeof(kind), plain, sizeof(plain)) == 0);
	CHECK(strcmp(kind, "chip-seen") == 0 && plain[0] == '\0');
	CHECK(sk_auditbox_open(k1, c, kind, sizeof(kind), plain, sizeof(plain)) == 0);
	CHECK(strcmp(kind, "vault") == 0 && strlen(plain) < SK_AUDITBOX_PLAIN &&
	    strlen(plain) > 300);
	/* small buffers cut, never overflow */
	CHECK(sk_auditbox_open(k1, a, kind, 4, plain, 8) == 0);
	CHECK(strcmp(kind, "key") == 0 && strcmp(plain, "door=ss") == 0);
	/* another context's key, a changed byte, no box, a short box */
	CHECK(sk_auditbox_open(k2, a, kind, sizeof(kind), plain, sizeof(plain)) == SK_ERR_CRYPTO);
	CHECK(kind[0] == '\0' && plain[0] == '\0');
	a[40] = a[40] == '0' ? '1' : '0';
	CHECK(sk_auditbox_open(k1, a, kind, sizeof(kind), plain, sizeof(plain)) == SK_ERR_CRYPTO);
	CHECK(sk_auditbox_open(k1, "ms=1 chip=fs-locked", kind, sizeof(kind), plain,
	    sizeof(plain)) == SK_ERR_NOT_FOUND);
	CHECK(sk_auditbox_open(k1, "box=abcd", kind, sizeof(kind), plain, sizeof(plain)) ==
	    SK_ERR_CRYPTO);
	/* two seals of the same event differ (fresh nonce) */
	free(c);
	CHECK(sk_auditbox_seal(k1, "chip-seen", "", &c) == 0);
	CHECK(c != NULL && strcmp(b, c) != 0);
	free(a);
	free(b);
	free(c);
	if (failures)
		fprintf(stderr, "%d failures\n", failures);
	return failures != 0;
}
