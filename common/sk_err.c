/* sk_err.c — messages for SK_ERR_* codes. */
#include "sk_err.h"

#include <stddef.h>

static const char *const sk_err_msgs[] = {
	"success",
	"internal error",
	"out of memory",
	"invalid argument",
	"malformed data",
	"too big",
	"input/output error",
	"no smart card reader (is pcscd running?)",
	"no chip in the field",
	"chip removed during the operation",
	"card was reset by another program",
	"timed out",
	"unexpected status word from the card",
	"card answered malformed data",
	"not found",
	"wrong PIN",
	"PIN blocked",
	"PIN required",
	"PIN has the wrong length or format",
	"access denied",
	"not supported",
	"cryptographic check failed",
	"busy",
	"canceled",
	"already exists",
	"database error",
	"bad configuration",
	"protocol error",
	"locked",
	"skinkey-guard is not running: operation not recorded",
	"disk full: nothing was written",
};

const char *sk_strerror(int err)
{
	size_t i;

	if (err > 0 || err <= SK_ERR__LAST)
		return "unknown error";
	i = (size_t)-(long)err;
	if (i >= sizeof(sk_err_msgs) / sizeof(sk_err_msgs[0]))
		return "unknown error";
	return sk_err_msgs[i];
}
