/* Diagnostics for vault/: through common/log.h, prefixed. Callers never pass a secret. */
#include <stdio.h>

#include "common/log.h"
#include "vault/vault_int.h"

void vault_log(const char *fmt, ...)
{
	char line[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	sk_warn("vault: %s", line);
}
