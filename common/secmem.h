/* secmem.h — memory for secrets and process hardening. */
#ifndef SK_SECMEM_H
#define SK_SECMEM_H

#include <stddef.h>

/* Zeroed memory in its own pages, mlocked (best effort: a failing mlock is logged once at debug
 * level) and excluded from core dumps (MADV_DONTDUMP). NULL when out of memory or n == 0. */
void *sk_secure_alloc(size_t n);
/* Wipes and unmaps memory from sk_secure_alloc; NULL is fine. */
void sk_secure_free(void *p);
/* Size that was requested from sk_secure_alloc (0 for NULL). */
size_t sk_secure_size(const void *p);

/* Wipes n bytes in a way the compiler may not remove. */
void sk_wipe(void *p, size_t n);
/* Wipes n bytes and frees (plain malloc memory); NULL is fine. */
void sk_freezero(void *p, size_t n);
/* 1 when the n bytes at a and b are equal, in time independent of the contents; else 0. */
int sk_ct_eq(const void *a, const void *b, size_t n);

/* No core dumps (RLIMIT_CORE 0) and not ptrace-attachable / not dumpable (PR_SET_DUMPABLE 0).
 * Call before touching a secret. 0 or SK_ERR_INTERNAL (logged). */
int sk_process_harden(void);

#endif
