/* sk_duress_probe.c — drives libskduress against a real PC/SC reader (the simulator in
 * integration tests). Prints key=value lines; on failure "err=CODE", "errmsg=..." and exit 1.
 *   sk-duress-probe version
 *   sk-duress-probe unlock PIN [CHALHEX]        (PIN as typed; derived to the applet's 4 bytes)
 *   sk-duress-probe times N PIN...              (N rounds of one unlock per PIN, interleaved, on
 *                                                one connection: "us=CTX T" per unlock, then
 *                                                "apdus=" per unlock; for bench/)
 *   sk-duress-probe setup ADMINHEX PIN0 PIN1 PIN2 [NEWADMINHEX]
 *                                                (reset every context, then set its PIN)
 * Test tool: PINs on the command line are for the simulator only. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "card.h"
#include "duress.h"
#include "hex.h"
#include "pcsc.h"
#include "secmem.h"
#include "sk_err.h"

static int fail(const char *what, int r)
{
	printf("err=%d\nerrmsg=%s\nfailed=%s\n", r, sk_strerror(r), what);
	return 1;
}

/* Up to cap bytes of hex (common/hex.h's strict decoder). */
static int unhex(const char *s, uint8_t *out, size_t cap, size_t *n)
{
	size_t len = strlen(s);

	*n = 0;
	if (len / 2 > cap || sk_hex_decode_exact(s, len, out, len / 2) != 0)
		return SK_ERR_ARG;
	*n = len / 2;
	return 0;
}

static int cmd_unlock(struct sk_card *c, int argc, char **argv)
{
	uint8_t pin[DURESS_PIN_LEN], chal[DURESS_CHAL_MAX + 1], mac[DURESS_MAC_LEN], ctx = 0;
	size_t n = 0;
	int r;

	if ((r = duress_pin_derive(argv[1], strlen(argv[1]), pin)) != 0)
		return fail("pin", r);
	if (argc >= 3 && (r = unhex(argv[2], chal, sizeof(chal), &n)) != 0) {
		sk_wipe(pin, sizeof(pin));
		return fail("challenge hex", r);
	}
	r = duress_unlock(c, pin, argc >= 3 ? chal : NULL, n, argc >= 3 ? mac : NULL, &ctx);
	sk_wipe(pin, sizeof(pin));
	if (r != 0)
		return fail("unlock", r);
	printf("ctx=%u\nname=%s\n", ctx, duress_ctx_name(ctx));
	if (argc >= 3) {
		printf("mac=");
		for (size_t i = 0; i < sizeof(mac); i++)
			printf("%02x", mac[i]);
		printf("\n");
	}
	sk_wipe(mac, sizeof(mac));
	return 0;
}

static long long now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* N rounds; each round unlocks once with every PIN given, in turn (interleaved, so drift of a
 * loaded machine weighs on every context alike). Prints "us=CTX MICROSECONDS" per unlock. */
static int cmd_times(struct sk_card *c, int argc, char **argv)
{
	uint8_t pin[8][DURESS_PIN_LEN], ctx = 0;
	long n = strtol(argv[1], NULL, 10);
	int np = argc - 2, r = 0;
	unsigned long a0 = sk_card_apdu_count(c);

	if (n < 1 || n > 100000 || np < 1 || np > 8)
		return fail("count", SK_ERR_ARG);
	for (int k = 0; k < np; k++)
		if ((r = duress_pin_derive(argv[2 + k], strlen(argv[2 + k]), pin[k])) != 0) {
			sk_wipe(pin, sizeof(pin));
			return fail("pin", r);
		}
	for (long i = 0; i < n && r == 0; i++) {
		for (int k = 0; k < np && r == 0; k++) {
			long long t0 = now_us();

			r = duress_unlock(c, pin[k], NULL, 0, NULL, &ctx);
			printf("us=%u %lld\n", ctx, now_us() - t0);
		}
	}
	sk_wipe(pin, sizeof(pin));
	if (r != 0)
		return fail("unlock", r);
	printf("apdus=%lu\n", (sk_card_apdu_count(c) - a0) / (unsigned long)(n * np));
	return 0;
}

static int cmd_setup(struct sk_card *c, int argc, char **argv)
{
	uint8_t admin[DURESS_KEY_LEN], next[DURESS_KEY_LEN], pins[DURESS_NCTX][DURESS_PIN_LEN];
	struct duress_ctx_setup s[DURESS_NCTX];
	const char *what = "setup";
	size_t n = 0;
	int r = 0;

	memset(s, 0, sizeof(s));
	if (unhex(argv[1], admin, sizeof(admin), &n) != 0 || n != sizeof(admin)) {
		what = "admin key hex";
		r = SK_ERR_ARG;
	} else if (argc >= 6 && (unhex(argv[5], next, sizeof(next), &n) != 0 ||
	    n != sizeof(next))) {
		what = "new admin key hex";
		r = SK_ERR_ARG;
	}
	for (int i = 0; r == 0 && i < DURESS_NCTX; i++) {
		if ((r = duress_pin_derive(argv[2 + i], strlen(argv[2 + i]), pins[i])) != 0) {
			what = "pin";
			break;
		}
		s[i].reset = 1;
		s[i].pin = pins[i];
	}
	if (r == 0)
		r = duress_admin(c, admin, s, argc >= 6 ? next : NULL);
	sk_wipe(pins, sizeof(pins));
	sk_wipe(admin, sizeof(admin));
	sk_wipe(next, sizeof(next));
	if (r != 0)
		return fail(what, r);
	printf("setup=ok\n");
	return 0;
}

static int run(struct sk_card *c, int argc, char **argv)
{
	struct duress_version v;
	int r;

	if (argc >= 1 && strcmp(argv[0], "version") == 0) {
		if ((r = duress_probe(c, &v)) != 0)
			return fail("version", r);
		printf("version=%u.%u.%u\n", v.major, v.minor, v.patch);
		return 0;
	}
	if (argc >= 2 && strcmp(argv[0], "unlock") == 0)
		return cmd_unlock(c, argc, argv);
	if (argc >= 3 && strcmp(argv[0], "times") == 0)
		return cmd_times(c, argc, argv);
	if (argc >= 5 && strcmp(argv[0], "setup") == 0)
		return cmd_setup(c, argc, argv);
	return fail("usage", SK_ERR_ARG);
}

int main(int argc, char **argv)
{
	const char *reader = getenv("SK_READER0");
	struct sk_pcsc *ctx = NULL;
	struct sk_card *c = NULL;
	int r, rc;

	if (reader == NULL)
		reader = "Virtual PCD 00 00";
	if ((r = sk_pcsc_open(&ctx)) != 0 || (r = sk_pcsc_connect(ctx, reader, &c)) != 0) {
		sk_pcsc_close(&ctx);
		return fail("connect", r);
	}
	rc = run(c, argc - 1, argv + 1);
	sk_card_free(&c);
	sk_pcsc_close(&ctx);
	return rc;
}
