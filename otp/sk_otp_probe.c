/* sk_otp_probe.c — drives libskotp against a real PC/SC reader (the simulator in integration
 * tests). Prints key=value lines; on failure "err=CODE" and exit 1.
 *   sk-otp-probe [-r READER] status
 *   sk-otp-probe [-r READER] serial
 *   sk-otp-probe [-r READER] program SLOT KEYHEX(40)
 *   sk-otp-probe [-r READER] delete SLOT
 *   sk-otp-probe [-r READER] hmac SLOT CHALHEX        (SELECT then the challenge)
 *   sk-otp-probe [-r READER] oath-put NAME totp|hotp ALG DIGITS KEYHEX [COUNTER]
 *   sk-otp-probe [-r READER] oath-list | oath-delete NAME | oath-calc NAME totp|hotp STEP
 *   sk-otp-probe [-r READER] oath-calc-all STEP
 *       (OATH commands SELECT first and VALIDATE with $SK_OATH_PASSWORD when the applet has
 *       a password) */
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

/* ---- YKOATH ---- */

static uint8_t parse_type(const char *s)
{
	return strcmp(s, "hotp") == 0 ? OATH_TYPE_HOTP : OATH_TYPE_TOTP;
}

static void print_creds(const struct oath_cred *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		printf("cred=%s type=%s algo=%u", c[i].name, c[i].type == OATH_TYPE_HOTP ? "hotp" :
		    "totp", c[i].algo);
		if (c[i].has_code)
			printf(" code=%0*u", (int)c[i].digits, c[i].code);
		printf("\n");
	}
}

/* Every OATH command: SELECT (and VALIDATE when a password is given through SK_OATH_PASSWORD)
 * then the command, in one transaction. */
static int oath_open(struct sk_card *c)
{
	struct oath_info info;
	const char *pw = getenv("SK_OATH_PASSWORD");
	int r;

	if ((r = oath_select(c, &info)) != 0)
		return r;
	if (pw != NULL && info.has_challenge)
		return oath_validate(c, &info, pw, strlen(pw));
	return 0;
}

static int oath_run(struct sk_card *c, int argc, char **argv)
{
	struct oath_cred *creds = NULL;
	uint8_t key[64], digits = 0;
	uint32_t code = 0;
	size_t n = 0;
	int r;

	if ((r = oath_open(c)) != 0)
		return r;
	if (strcmp(argv[0], "oath-put") == 0 && argc >= 6) {
		if (unhex(argv[5], key, sizeof(key), &n) != 0)
			return SK_ERR_ARG;
		return oath_put(c, argv[1], parse_type(argv[2]), (uint8_t)atoi(argv[3]),
		    (uint8_t)atoi(argv[4]), key, n, argc >= 7 ? (uint32_t)strtoul(argv[6], NULL, 10) : 0);
	}
	if (strcmp(argv[0], "oath-delete") == 0 && argc >= 2)
		return oath_delete(c, argv[1]);
	if (strcmp(argv[0], "oath-calc") == 0 && argc >= 4) {
		if ((r = oath_calculate(c, argv[1], parse_type(argv[2]), strtoull(argv[3], NULL, 10),
		    &code, &digits)) == 0)
			printf("code=%0*u\n", (int)digits, code);
		return r;
	}
	if (strcmp(argv[0], "oath-list") == 0)
		r = oath_list(c, &creds, &n);
	else if (strcmp(argv[0], "oath-calc-all") == 0 && argc >= 2)
		r = oath_calculate_all(c, strtoull(argv[1], NULL, 10), &creds, &n);
	else
		return SK_ERR_ARG;
	if (r == 0)
		print_creds(creds, n);
	free(creds);
	return r;
}

static int cmd_oath(struct sk_card *c, int argc, char **argv)
{
	int r;

	if ((r = sk_card_begin(c)) != 0)
		return fail("begin", r);
	r = oath_run(c, argc, argv);
	(void)sk_card_end(c);
	return r != 0 ? fail(argv[0], r) : 0;
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
	if (argc >= 1 && strncmp(argv[0], "oath-", 5) == 0)
		return cmd_oath(c, argc, argv);
	fprintf(stderr, "usage: sk-otp-probe [-r READER] status|serial|program SLOT KEY|delete SLOT|"
	    "hmac SLOT CHAL|oath-put|oath-list|oath-delete|oath-calc|oath-calc-all ...\n");
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
