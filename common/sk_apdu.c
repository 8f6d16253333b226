/* sk_apdu.c — sk-apdu: a small test tool that drives common/'s PC/SC backend and APDU engine.
 *
 *   sk-apdu list                            reader names, one a line
 *   sk-apdu [opts] atr                      the card's ATR in hex
 *   sk-apdu [opts] send HEX...              each raw APDU through sk_card_apdu: "DATA SW" a line
 *   sk-apdu [opts] shell                    the same for hex lines read from stdin
 *   sk-apdu [opts] reset                    reset the card (SCARD_RESET_CARD) as another program would
 *   sk-apdu watch [-t SEC] [-n COUNT] [-k MS]  print watcher events "EVENT READER" as they happen;
 *                                           -k: another thread calls sk_pcsc_cancel after MS
 *                                           -R: when pcscd goes away, keep watching (as skinkeyd)
 *                                           -1: stop each sk_pcsc_watch call after one event
 *                                               and call again (state kept between calls)
 * opts: -r READER (default: the first reader), -e allow extended length, -s mark APDUs secret,
 *       -c print "apdus=N" at the end, -v APDU trace on stderr, -T no transaction around all. */
#include <PCSC/winscard.h>
#include <getopt.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "card.h"
#include "log.h"
#include "pcsc.h"
#include "sk_err.h"

int main(int argc, char **argv);

struct opts {
	const char *reader;
	int extended, secret, count, trace, no_tx, timeout_s, events, cancel_ms, retry, single;
};

static int unhex(const char *s, uint8_t *out, size_t room, size_t *n)
{
	size_t k = 0;
	unsigned v;

	while (*s != '\0' && *s != '\n') {
		if (*s == ' ' || *s == ':') {
			s++;
			continue;
		}
		if (k == room || sscanf(s, "%2x", &v) != 1 || s[1] == '\0')
			return -1;
		out[k++] = (uint8_t)v;
		s += 2;
	}
	*n = k;
	return 0;
}

/* Raw APDU bytes → struct sk_apdu (cases 1-4, short and extended). */
static int parse_apdu(const uint8_t *p, size_t n, struct sk_apdu *a)
{
	memset(a, 0, sizeof(*a));
	if (n < 4)
		return -1;
	a->cla = p[0]; a->ins = p[1]; a->p1 = p[2]; a->p2 = p[3];
	if (n == 4)
		return 0;
	if (n == 5) {
		a->le = p[4] == 0 ? 256 : p[4];
		return 0;
	}
	if (p[4] != 0) {
		a->lc = p[4];
		a->data = p + 5;
		if (n == 5 + a->lc)
			return 0;
		if (n != 6 + a->lc)
			return -1;
		a->le = p[n - 1] == 0 ? 256 : p[n - 1];
		return 0;
	}
	a->flags |= SK_APDU_EXTENDED_OK;
	if (n == 7) {
		a->le = (size_t)((p[5] << 8) | p[6]);
		a->le = a->le == 0 ? 65536 : a->le;
		return 0;
	}
	a->lc = (size_t)((p[5] << 8) | p[6]);
	a->data = p + 7;
	if (a->lc == 0 || (n != 7 + a->lc && n != 9 + a->lc))
		return -1;
	if (n == 9 + a->lc) {
		a->le = (size_t)((p[n - 2] << 8) | p[n - 1]);
		a->le = a->le == 0 ? 65536 : a->le;
	}
	return 0;
}

static int send_one(struct sk_card *c, const struct opts *o, const char *hex, struct sk_buf *rsp)
{
	static uint8_t raw[70000];
	struct sk_apdu a;
	uint16_t sw;
	size_t n, i;
	int r;

	if (unhex(hex, raw, sizeof(raw), &n) != 0 || parse_apdu(raw, n, &a) != 0) {
		fprintf(stderr, "sk-apdu: not an APDU: %s\n", hex);
		return SK_ERR_ARG;
	}
	if (o->extended)
		a.flags |= SK_APDU_EXTENDED_OK;
	if (o->secret)
		a.flags |= SK_APDU_SECRET;
	if ((r = sk_card_apdu(c, &a, rsp, &sw)) != 0) {
		printf("error: %s\n", sk_strerror(r));
		fflush(stdout);
		return r;
	}
	for (i = 0; i < sk_buf_len(rsp); i++)
		printf("%02X", sk_buf_ptr(rsp)[i]);
	printf("%s%04X\n", sk_buf_len(rsp) > 0 ? " " : "", sw);
	fflush(stdout);
	return 0;
}

static int first_reader(struct sk_pcsc *p, char **out)
{
	char **names = NULL;
	int r;

	*out = NULL;
	if ((r = sk_pcsc_list_readers(p, &names)) != 0)
		return r;
	if (names[0] == NULL)
		r = SK_ERR_NO_READER;
	else if ((*out = strdup(names[0])) == NULL)
		r = SK_ERR_NOMEM;
	sk_pcsc_readers_free(&names);
	return r;
}

static int cmd_list(struct sk_pcsc *p)
{
	char **names = NULL;
	size_t i;
	int r;

	if ((r = sk_pcsc_list_readers(p, &names)) != 0)
		return r;
	for (i = 0; names[i] != NULL; i++)
		printf("%s\n", names[i]);
	sk_pcsc_readers_free(&names);
	return 0;
}

static int print_event(enum sk_pcsc_event ev, const char *reader, void *arg)
{
	int *left = arg;

	printf("%s %s\n", sk_pcsc_event_name(ev), reader);
	fflush(stdout);
	return --*left <= 0;
}

struct canceler {
	struct sk_pcsc *p;
	int ms;
};

static void *cancel_later(void *arg)
{
	struct canceler *k = arg;
	struct timespec ts = { k->ms / 1000, (long)(k->ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
	sk_pcsc_cancel(k->p);
	return NULL;
}

static int cmd_watch(struct sk_pcsc *p, const struct opts *o)
{
	struct canceler k = { p, o->cancel_ms };
	int left = o->events > 0 ? o->events : -1, r, started = 0;
	pthread_t t;

	if (o->cancel_ms > 0)
		started = pthread_create(&t, NULL, cancel_later, &k) == 0;
	for (;;) {
		int one = 1;

		r = sk_pcsc_watch(p, o->timeout_s < 0 ? -1 : o->timeout_s * 1000, print_event,
		    o->single ? &one : &left);
		if (r == 0 && o->single && --left != 0)
			continue;                    /* next call picks up where this one stopped */
		if (r != SK_ERR_NO_READER || !o->retry)
			break;
		printf("pcscd-lost\n");
		fflush(stdout);
		nanosleep(&(struct timespec){ 0, 300 * 1000000L }, NULL);
	}
	if (started)
		pthread_join(t, NULL);
	return r;
}

/* What another program does to the card: connect, then disconnect with a reset. */
static int cmd_reset(const char *reader)
{
	SCARDCONTEXT ctx;
	SCARDHANDLE h;
	DWORD proto;
	LONG rv;

	if ((rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &ctx)) != SCARD_S_SUCCESS)
		return SK_ERR_NO_READER;
	rv = SCardConnect(ctx, reader, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0 | SCARD_PROTOCOL_T1,
	    &h, &proto);
	if (rv == SCARD_S_SUCCESS)
		rv = SCardDisconnect(h, SCARD_RESET_CARD);
	SCardReleaseContext(ctx);
	return rv == SCARD_S_SUCCESS ? 0 : SK_ERR_IO;
}

static int cmd_atr(struct sk_card *c)
{
	uint8_t atr[64];
	size_t n = sizeof(atr), i;
	int r;

	if ((r = sk_pcsc_card_atr(c, atr, &n)) != 0)
		return r;
	for (i = 0; i < n; i++)
		printf("%02X", atr[i]);
	printf("\n");
	return 0;
}

/* send / shell: each APDU through the engine, inside one transaction unless -T. */
static int cmd_apdus(struct sk_card *c, const struct opts *o, char **hex, int nhex)
{
	struct sk_buf *rsp = sk_buf_new_secure(0);
	char line[140000];
	int r = 0, i, rr;

	if (rsp == NULL)
		return SK_ERR_NOMEM;
	if (!o->no_tx && (r = sk_card_begin(c)) != 0)
		goto out;
	for (i = 0; hex != NULL && i < nhex; i++)
		if ((rr = send_one(c, o, hex[i], rsp)) != 0 && r == 0)
			r = rr;
	while (hex == NULL && fgets(line, sizeof(line), stdin) != NULL)
		if (line[0] != '\n' && (rr = send_one(c, o, line, rsp)) != 0 && r == 0)
			r = rr;
	if (!o->no_tx)
		(void)sk_card_end(c);
out:
	if (o->count)
		printf("apdus=%lu\n", sk_card_apdu_count(c));
	sk_buf_free(&rsp);
	return r;
}

static int run_card_cmd(struct sk_pcsc *p, const struct opts *o, const char *cmd, char **args,
    int nargs)
{
	struct sk_card *c = NULL;
	char *reader = NULL;
	int r;

	if (o->reader == NULL && (r = first_reader(p, &reader)) != 0)
		return r;
	if (strcmp(cmd, "reset") == 0) {
		r = cmd_reset(o->reader != NULL ? o->reader : reader);
		goto out;
	}
	if ((r = sk_pcsc_connect(p, o->reader != NULL ? o->reader : reader, &c)) != 0)
		goto out;
	if (o->extended)
		sk_card_set_caps(c, SK_CAP_EXTENDED | SK_CAP_CHAINING, 0, 0);
	if (strcmp(cmd, "atr") == 0)
		r = cmd_atr(c);
	else if (strcmp(cmd, "send") == 0)
		r = cmd_apdus(c, o, args, nargs);
	else
		r = cmd_apdus(c, o, NULL, 0);
out:
	sk_card_free(&c);
	free(reader);
	return r;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	int ch;

	memset(o, 0, sizeof(*o));
	o->timeout_s = -1;
	while ((ch = getopt(argc, argv, "r:escvTt:n:k:R1")) != -1) {
		switch (ch) {
		case 'r': o->reader = optarg; break;
		case 'e': o->extended = 1; break;
		case 's': o->secret = 1; break;
		case 'c': o->count = 1; break;
		case 'v': o->trace = 1; break;
		case 'T': o->no_tx = 1; break;
		case 't': o->timeout_s = atoi(optarg); break;
		case 'n': o->events = atoi(optarg); break;
		case 'k': o->cancel_ms = atoi(optarg); break;
		case 'R': o->retry = 1; break;
		case '1': o->single = 1; break;
		default: return -1;
		}
	}
	return optind < argc ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct sk_pcsc *p = NULL;
	struct opts o;
	const char *cmd;
	int r;

	if (parse_opts(argc, argv, &o) != 0) {
		fprintf(stderr, "usage: sk-apdu [-r READER] [-escvT] list|atr|send HEX...|shell|reset\n"
		    "       sk-apdu watch [-t SECONDS] [-n EVENTS] [-k CANCEL_MS] [-R] [-1]\n");
		return 2;
	}
	sk_log_set_ident("sk-apdu");
	if (o.trace)
		sk_log_set_level(SK_LOG_TRACE);
	cmd = argv[optind];
	if ((r = sk_pcsc_open(&p)) != 0)
		goto out;
	if (strcmp(cmd, "list") == 0)
		r = cmd_list(p);
	else if (strcmp(cmd, "watch") == 0)
		r = cmd_watch(p, &o);
	else if (strcmp(cmd, "atr") == 0 || strcmp(cmd, "send") == 0 ||
	    strcmp(cmd, "shell") == 0 || strcmp(cmd, "reset") == 0)
		r = run_card_cmd(p, &o, cmd, argv + optind + 1, argc - optind - 1);
	else
		r = SK_ERR_ARG;
out:
	sk_pcsc_close(&p);
	if (r != 0)
		fprintf(stderr, "sk-apdu: %s\n", sk_strerror(r));
	return r == 0 ? 0 : r == SK_ERR_TIMEOUT ? 3 : r == SK_ERR_CANCELED ? 4 : 1;
}
