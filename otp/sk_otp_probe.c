/* sk_otp_probe.c — drives libskotp against a real PC/SC reader (the simulator in integration
 * tests). Prints key=value lines; on failure "err=CODE" and exit 1.
 *   sk-otp-probe [-r READER] status
 *   sk-otp-probe [-r READER] serial
 *   sk-otp-probe [-r READER] program SLOT KEYHEX(40)
 *   sk-otp-probe [-r READER] delete SLOT
 *   sk-otp-probe [-r READER] hmac SLOT CHALHEX        (SELECT then the challenge) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "card.h"
#include "log.h"
#include "otp.h"
#include "pcsc.h"
#include "sk_err.h"

static int fail(const char *what, int r)
{
	printf("err=%d\nerrmsg=%s\nfailed=%s\n", r, sk_strerror(r), what);
	return 1;
}

static int unhex(const char *s, uint8_t *out, size_t cap, size_t *n)
{
	size_t len = strlen(s);

	if (len % 2 != 0 || len / 2 > cap)
		return SK_ERR_ARG;
	for (size_t i = 0; i < len / 2; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return SK_ERR_ARG;
		out[i] = (uint8_t)v;
	}
	*n = len / 2;
	return 0;
}

static void print_status(const struct otp_status *st)
{
	printf("version=%u.%u.%u\nseq=%u\ntouch=%u\n", st->major, st->minor, st->build, st->seq,
	    st->touch_level);
}

static int cmd_hmac(struct sk_card *c, int slot, const char *hex)
{
	uint8_t chal[OTP_CHALLENGE_MAX + 1], mac[OTP_HMAC_LEN];
	size_t n = 0;
	int r;

	if ((r = unhex(hex, chal, sizeof(chal), &n)) != 0)
		return fail("challenge hex", r);
	if ((r = sk_card_begin(c)) != 0)
		return fail("begin", r);
	if ((r = otp_select(c, NULL)) == 0)
		r = otp_hmac(c, slot, chal, n, mac);
	(void)sk_card_end(c);
	if (r != 0)
		return fail("hmac", r);
	printf("hmac=");
	for (size_t i = 0; i < sizeof(mac); i++)
		printf("%02x", mac[i]);
	printf("\n");
	return 0;
}

static int run(struct sk_card *c, int argc, char **argv)
{
	struct otp_status st;
	uint8_t key[OTP_HMAC_KEY_LEN];
	uint32_t serial = 0;
	size_t n = 0;
	int r;

	if (argc >= 1 && strcmp(argv[0], "status") == 0) {
		if ((r = otp_select(c, &st)) != 0)
			return fail("select", r);
		print_status(&st);
		return 0;
	}
	if (argc >= 1 && strcmp(argv[0], "serial") == 0) {
		if ((r = otp_select(c, NULL)) != 0 || (r = otp_serial(c, &serial)) != 0)
			return fail("serial", r);
		printf("serial=%u\n", serial);
		return 0;
	}
	if (argc >= 3 && strcmp(argv[0], "program") == 0) {
		if (unhex(argv[2], key, sizeof(key), &n) != 0 || n != sizeof(key))
			return fail("key hex (40 digits)", SK_ERR_ARG);
		if ((r = otp_program_hmac(c, atoi(argv[1]), key, NULL, &st)) != 0)
			return fail("program", r);
		print_status(&st);
		return 0;
	}
	if (argc >= 2 && strcmp(argv[0], "delete") == 0)
		return (r = otp_delete_slot(c, atoi(argv[1]), NULL)) != 0 ? fail("delete", r) : 0;
	if (argc >= 3 && strcmp(argv[0], "hmac") == 0)
		return cmd_hmac(c, atoi(argv[1]), argv[2]);
	fprintf(stderr, "usage: sk-otp-probe [-r READER] status|serial|program SLOT KEY|delete SLOT|"
	    "hmac SLOT CHAL\n");
	return 2;
}

int main(int argc, char **argv)
{
	const char *reader = getenv("SK_READER0");
	struct sk_pcsc *ctx = NULL;
	struct sk_card *c = NULL;
	int r, rc = 1;

	if (argc > 2 && strcmp(argv[1], "-r") == 0) {
		reader = argv[2];
		argv += 2;
		argc -= 2;
	}
	if (getenv("SK_PROBE_DEBUG") != NULL)
		sk_log_set_level(SK_LOG_TRACE);
	if (reader == NULL)
		reader = "Virtual PCD 00 00";
	if ((r = sk_pcsc_open(&ctx)) != 0 || (r = sk_pcsc_connect(ctx, reader, &c)) != 0) {
		rc = fail("connect", r);
		goto out;
	}
	rc = run(c, argc - 1, argv + 1);
out:
	sk_card_free(&c);
	sk_pcsc_close(&ctx);
	return rc;
}
