/* errmap.c — SK_ERR_* <-> gpg_error_t, one table for the daemon and its clients. */
#include <gpg-error.h>

#include "client.h"
#include "common/sk_err.h"

static const struct {
	int sk;
	gpg_err_code_t gpg;
} map[] = {
	{ SK_ERR_INTERNAL, GPG_ERR_INTERNAL },
	{ SK_ERR_NOMEM, GPG_ERR_ENOMEM },
	{ SK_ERR_ARG, GPG_ERR_INV_ARG },
	{ SK_ERR_FORMAT, GPG_ERR_INV_DATA },
	{ SK_ERR_TOOBIG, GPG_ERR_TOO_LARGE },
	{ SK_ERR_IO, GPG_ERR_EIO },
	{ SK_ERR_NO_READER, GPG_ERR_ENODEV },
	{ SK_ERR_NO_CARD, GPG_ERR_CARD_NOT_PRESENT },
	{ SK_ERR_CARD_REMOVED, GPG_ERR_CARD_REMOVED },
	{ SK_ERR_CARD_RESET, GPG_ERR_CARD_RESET },
	{ SK_ERR_TIMEOUT, GPG_ERR_TIMEOUT },
	{ SK_ERR_SW, GPG_ERR_CARD },
	{ SK_ERR_BAD_RESPONSE, GPG_ERR_INV_RESPONSE },
	{ SK_ERR_NOT_FOUND, GPG_ERR_NOT_FOUND },
	{ SK_ERR_PIN_WRONG, GPG_ERR_BAD_PIN },
	{ SK_ERR_PIN_BLOCKED, GPG_ERR_PIN_BLOCKED },
	{ SK_ERR_PIN_REQUIRED, GPG_ERR_NO_PIN },
	{ SK_ERR_PIN_FORMAT, GPG_ERR_INV_LENGTH },  /* must differ from BAD_PIN: no retry spent */
	{ SK_ERR_DENIED, GPG_ERR_EACCES },
	{ SK_ERR_UNSUPPORTED, GPG_ERR_NOT_SUPPORTED },
	{ SK_ERR_CRYPTO, GPG_ERR_BAD_SIGNATURE },
	{ SK_ERR_BUSY, GPG_ERR_EBUSY },
	{ SK_ERR_CANCELED, GPG_ERR_CANCELED },
	{ SK_ERR_EXISTS, GPG_ERR_EEXIST },
	{ SK_ERR_DB, GPG_ERR_GENERAL },
	{ SK_ERR_CONFIG, GPG_ERR_INV_VALUE },
	{ SK_ERR_PROTO, GPG_ERR_ASS_GENERAL },
	{ SK_ERR_LOCKED, GPG_ERR_LOCKED },
	{ SK_ERR_UNRECORDED, GPG_ERR_NOT_OPERATIONAL },
	{ SK_ERR_FULL, GPG_ERR_ENOSPC },
};

gpg_error_t skc_err_to_gpg(int sk)
{
	if (sk == 0)
		return 0;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i].sk == sk)
			return gpg_err_make(GPG_ERR_SOURCE_SCD, map[i].gpg);
	return gpg_err_make(GPG_ERR_SOURCE_SCD, GPG_ERR_GENERAL);
}

int skc_err_from_gpg(gpg_error_t e)
{
	gpg_err_code_t c = gpg_err_code(e);

	if (e == 0)
		return 0;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i].gpg == c)
			return map[i].sk;
	switch (c) {
	case GPG_ERR_ASS_CONNECT_FAILED:
	case GPG_ERR_EOF:
	case GPG_ERR_ASS_READ_ERROR:
	case GPG_ERR_ASS_WRITE_ERROR:
		return SK_ERR_IO;
	default:
		return SK_ERR_PROTO;
	}
}

const char *skc_gpg_strerror(gpg_error_t e)
{
	if (e != 0 && skc_err_from_gpg(e) == SK_ERR_UNRECORDED)
		return sk_strerror(SK_ERR_UNRECORDED);
	return gpg_strerror(e);
}
