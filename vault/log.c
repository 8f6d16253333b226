/* Diagnostics for vault/: one line to stderr, prefixed. Callers never pass a secret. */
#include <stdio.h>

#include "vault/vault_int.h"

void vault_log(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("skinkey vault: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
}
