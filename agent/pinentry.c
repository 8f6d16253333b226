/* pinentry.c — run pinentry (or the configured program) and ask it for one PIN. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <assuan.h>

#include "common/log.h"
#include "common/secmem.h"
#include "common/sk_err.h"
#include "event.h"
#include "pinentry.h"

#define PIN_MAX 128

struct pin_acc {
	char *buf;        /* secure memory, PIN_MAX + 1 */
	size_t len;
	int overflow;
};

static gpg_error_t pin_data(void *arg, const void *p, size_t n)
{
	struct pin_acc *a = arg;

	if (n > PIN_MAX - a->len) {
		a->overflow = 1;
		return gpg_error(GPG_ERR_TOO_LARGE);
	}
	memcpy(a->buf + a->len, p, n);
	a->len += n;
	return 0;
}

/* "SETDESC text" with Assuan percent escaping of %, CR, LF. */
static gpg_error_t set_text(assuan_context_t ctx, const char *cmd, const char *text)
{
	char line[ASSUAN_LINELENGTH];
	size_t o = (size_t)snprintf(line, sizeof(line), "%s ", cmd);

	for (const char *s = text; *s && o + 4 < sizeof(line); s++) {
		if (*s == '%' || *s == '\r' || *s == '\n') {
			snprintf(line + o, sizeof(line) - o, "%%%02X", (unsigned char)*s);
			o += 3;
		} else {
			line[o++] = *s;
		}
	}
	line[o] = '\0';
	return assuan_transact(ctx, line, NULL, NULL, NULL, NULL, NULL, NULL);
}

int skd_pinentry_getpin(const char *program, const char *desc, const char *prompt,
    int timeout_s, char **pin)
{
	char line[32];
	assuan_context_t ctx = NULL;
	const char *argv[2];
	struct pin_acc acc = { NULL, 0, 0 };
	gpg_error_t e;
	int r = SK_ERR_PIN_REQUIRED;

	*pin = NULL;
	if (program == NULL || *program == '\0')
		program = "/usr/bin/pinentry";
	if (access(program, X_OK) != 0) {
		struct skd_event ev = { .kind = SKD_EV_CONFIG_ERROR, .op = "pinentry-program",
			.object = program, .result = SK_ERR_CONFIG, .retries = -1, .counter = -1,
			.detail = "the pinentry program is not there: no PIN can be asked" };
		sk_warn("no PIN can be asked: pinentry program %s is not there (pinentry-program in "
		    "skinkey.conf)", program);
		if (skd_event_publish(&ev) != 0)
			sk_warn("the configuration error was not recorded");
		return SK_ERR_PIN_REQUIRED;
	}
	if ((acc.buf = sk_secure_alloc(PIN_MAX + 1)) == NULL)
		return SK_ERR_NOMEM;
	argv[0] = program;
	argv[1] = NULL;
	if (assuan_new(&ctx) != 0)
		goto out;
	if ((e = assuan_pipe_connect(ctx, program, argv, NULL, NULL, NULL, 0)) != 0) {
		sk_warn("cannot run %s: %s", program, gpg_strerror(e));
		goto out;
	}
	if (set_text(ctx, "SETDESC", desc) != 0 || set_text(ctx, "SETPROMPT", prompt) != 0)
		goto out;
	snprintf(line, sizeof(line), "SETTIMEOUT %d", timeout_s > 0 ? timeout_s : 60);
	(void)assuan_transact(ctx, line, NULL, NULL, NULL, NULL, NULL, NULL);   /* old pinentries lack it */
	e = assuan_transact(ctx, "GETPIN", pin_data, &acc, NULL, NULL, NULL, NULL);
	if (e != 0) {
		r = acc.overflow ? SK_ERR_PIN_FORMAT : SK_ERR_CANCELED;
		sk_info("pinentry: no PIN (%s)", acc.overflow ? "too long" : gpg_strerror(e));
		goto out;
	}
	acc.buf[acc.len] = '\0';
	*pin = acc.buf;
	acc.buf = NULL;
	r = 0;
out:
	assuan_release(ctx);
	if (acc.buf != NULL)
		sk_secure_free(acc.buf);
	return r;
}
