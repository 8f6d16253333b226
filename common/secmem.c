/* secmem.c — mlocked, non-dumpable, wiped memory for secrets; process hardening. */
#include "secmem.h"

#include <openssl/crypto.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include "log.h"
#include "sk_err.h"

/* Each allocation gets pages of its own (so munlock never unlocks a neighbour's secret); a
 * header in front of the returned pointer keeps the sizes. */
struct secmem_hdr {
	size_t maplen;
	size_t n;
};
#define SECMEM_HDR 32  /* keeps the user pointer 16-byte aligned */

static int secmem_mlock_warned;

static size_t page_size(void)
{
	long ps = sysconf(_SC_PAGESIZE);

	return ps > 0 ? (size_t)ps : 4096;
}

void *sk_secure_alloc(size_t n)
{
	size_t ps = page_size(), maplen;
	struct secmem_hdr *h;
	uint8_t *m;

	if (n == 0 || n > SIZE_MAX / 2)
		return NULL;
	maplen = (n + SECMEM_HDR + ps - 1) / ps * ps;
	m = mmap(NULL, maplen, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (m == MAP_FAILED) {
		sk_log(SK_LOG_ERROR, "secmem: mmap of %zu bytes failed", maplen);
		return NULL;
	}
	if (mlock(m, maplen) != 0 && !secmem_mlock_warned) {
		secmem_mlock_warned = 1;
		sk_log(SK_LOG_DEBUG, "secmem: mlock failed (RLIMIT_MEMLOCK?); secrets may be swapped");
	}
	(void)madvise(m, maplen, MADV_DONTDUMP);
	h = (struct secmem_hdr *)(void *)m;
	h->maplen = maplen;
	h->n = n;
	return m + SECMEM_HDR;
}

static struct secmem_hdr *secmem_header(const void *p)
{
	return (struct secmem_hdr *)(void *)((uint8_t *)(uintptr_t)p - SECMEM_HDR);
}

size_t sk_secure_size(const void *p)
{
	return p == NULL ? 0 : secmem_header(p)->n;
}

void sk_secure_free(void *p)
{
	struct secmem_hdr *h;
	size_t maplen;

	if (p == NULL)
		return;
	h = secmem_header(p);
	maplen = h->maplen;
	OPENSSL_cleanse(h, maplen);
	(void)munlock(h, maplen);
	(void)munmap(h, maplen);
}

void sk_wipe(void *p, size_t n)
{
	if (p != NULL && n > 0)
		explicit_bzero(p, n);
}

void sk_freezero(void *p, size_t n)
{
	if (p == NULL)
		return;
	sk_wipe(p, n);
	free(p);
}

int sk_ct_eq(const void *a, const void *b, size_t n)
{
	if (n == 0)
		return 1;
	return CRYPTO_memcmp(a, b, n) == 0;
}

int sk_process_harden(void)
{
	struct rlimit rl = { 0, 0 };
	int r = SK_ERR_INTERNAL;

	if (setrlimit(RLIMIT_CORE, &rl) != 0) {
		sk_log(SK_LOG_ERROR, "harden: cannot disable core dumps");
		goto out;
	}
	if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) {
		sk_log(SK_LOG_ERROR, "harden: prctl(PR_SET_DUMPABLE) failed");
		goto out;
	}
	r = 0;
out:
	return r;
}
