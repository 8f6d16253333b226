/* hid_iotest.c — test (1) of skinkey-hidbridge without a kernel: stock libfido2 drives the
 * bridge's HID layer through fido_dev_set_io_functions (the io callbacks feed 64-byte reports to
 * the bridge core and read its answers), the bridge relays to a real skinkeyd and the simulated
 * chip. Run by tests/integration/hid_libfido2.sh inside the namespace harness:
 *
 *   hid-iotest SIMCTL
 *
 * SIMCTL is the command that moves the chip ("skinkey-sim ctl"; "remove", "tap", "stats",
 * "reset-stats" are appended). Checks: a credential made and its self attestation verified, an
 * assertion verified against it; keepalives while the chip is away (their gaps measured, status
 * UPNEEDED); CANCEL (latency measured, skinkeyd no longer holds the request); every malformed
 * report against its CTAPHID error. Prints "figure NAME VALUE" lines for the script. */
#include <errno.h>
#include <fido.h>
#include <fido/es256.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "bridge.h"
#include "log.h"

#define MAX_KA 4096

static struct bridge *B;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static const char *simctl;
static int failures;

/* keepalives seen by the host, with their arrival times */
static uint64_t ka_time[MAX_KA];
static uint8_t ka_status[MAX_KA];
static size_t ka_n;
static uint64_t last_write;

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fprintf(stderr, "FAIL: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "\n");
	va_end(ap);
	failures++;
}

static int sim(const char *what)
{
	char cmd[512];

	snprintf(cmd, sizeof(cmd), "%s %s >/dev/null", simctl, what);
	return system(cmd);
}

static long sim_apdus(void)
{
	char cmd[512], line[256];
	long n = -1;
	FILE *f;

	snprintf(cmd, sizeof(cmd), "%s stats", simctl);
	if ((f = popen(cmd, "r")) == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, "apdus=", 6) == 0)
			n = strtol(line + 6, NULL, 10);
	pclose(f);
	return n;
}

/* The chip leaves the field, and skinkeyd has seen it go (else a request sent at once would
 * meet the chip going, not wait for the tap). Waits for the condition, 60 s at most. */
static void chip_remove(void)
{
	uint64_t t0 = bridge_now_ms();

	sim("remove");
	while (system("skinkey chips | grep -q '[[:space:]]away[[:space:]]'") != 0) {
		if (bridge_now_ms() - t0 > 60000) {
			fail("skinkeyd did not see the chip leave");
			return;
		}
		usleep(50000);
	}
}

/* ---- libfido2 io callbacks over the bridge core ---- */

static void *io_open(const char *path)
{
	(void)path;
	return B;
}

static void io_close(void *h)
{
	(void)h;
}

static int io_write(void *h, const unsigned char *buf, size_t len)
{
	(void)h;
	pthread_mutex_lock(&mu);
	last_write = bridge_now_ms();
	bridge_host_report(B, buf, len);
	bridge_step(B);
	pthread_mutex_unlock(&mu);
	return (int)len;
}

/* One report, waiting up to ms (-1: forever) while the bridge runs. */
static int io_read(void *h, unsigned char *buf, size_t len, int ms)
{
	uint64_t end = ms < 0 ? UINT64_MAX : bridge_now_ms() + (uint64_t)ms;
	uint8_t rep[CTAPHID_REPORT];

	(void)h;
	for (;;) {
		pthread_mutex_lock(&mu);
		bridge_step(B);
		if (bridge_output(B, rep)) {
			if ((rep[4] & 0x7f) == CTAPHID_KEEPALIVE && (rep[4] & 0x80) && ka_n < MAX_KA) {
				ka_time[ka_n] = bridge_now_ms();
				ka_status[ka_n++] = rep[7];
			}
			pthread_mutex_unlock(&mu);
			memcpy(buf, rep, len < sizeof(rep) ? len : sizeof(rep));
			return (int)(len < sizeof(rep) ? len : sizeof(rep));
		}
		int wait = bridge_timeout_ms(B);
		pthread_mutex_unlock(&mu);
		uint64_t now = bridge_now_ms();
		if (now >= end)
			return 0;
		if (wait < 0 || (uint64_t)wait > end - now)
			wait = end - now > 1000 ? 1000 : (int)(end - now);
		struct pollfd pf = { bridge_fd(B), POLLIN, 0 };
		(void)poll(&pf, 1, wait);
	}
}

static const fido_dev_io_t bridge_io = { io_open, io_close, io_read, io_write };

/* ---- FIDO operations ---- */

static int make_cred(fido_dev_t *dev, fido_cred_t **out)
{
	fido_cred_t *cred = fido_cred_new();
	unsigned char cdh[32], uid[16];
	int r;

	*out = NULL;
	if (getrandom(cdh, sizeof(cdh), 0) != sizeof(cdh) || getrandom(uid, sizeof(uid), 0) != sizeof(uid)) {
		fail("getrandom");
		goto out;
	}
	if ((r = fido_cred_set_type(cred, COSE_ES256)) != FIDO_OK ||
	    (r = fido_cred_set_clientdata_hash(cred, cdh, sizeof(cdh))) != FIDO_OK ||
	    (r = fido_cred_set_rp(cred, "skinkey.test", "skinkey test")) != FIDO_OK ||
	    (r = fido_cred_set_user(cred, uid, sizeof(uid), "alice", "Alice", NULL)) != FIDO_OK ||
	    (r = fido_cred_set_rk(cred, FIDO_OPT_FALSE)) != FIDO_OK) {
		fail("cred setup: %s", fido_strerr(r));
		goto out;
	}
	if ((r = fido_dev_make_cred(dev, cred, NULL)) != FIDO_OK) {
		fail("makeCredential through the bridge: %s", fido_strerr(r));
		goto out;
	}
	/* The attestation is checked by libfido2: x5c when the chip sends one, else self. */
	r = fido_cred_x5c_ptr(cred) != NULL ? fido_cred_verify(cred) : fido_cred_verify_self(cred);
	if (r != FIDO_OK) {
		fail("attestation (%s) does not verify: %s", fido_cred_fmt(cred), fido_strerr(r));
		goto out;
	}
	printf("credential made, attestation %s verified (%s)\n", fido_cred_fmt(cred),
	    fido_cred_x5c_ptr(cred) != NULL ? "x5c" : "self");
	*out = cred;
	cred = NULL;
out:
	fido_cred_free(&cred);
	return *out != NULL ? 0 : -1;
}

/* One assertion with the credential; rc is libfido2's; verified when it succeeds. */
static int get_assert(fido_dev_t *dev, const fido_cred_t *cred, int *verified)
{
	fido_assert_t *a = fido_assert_new();
	es256_pk_t *pk = es256_pk_new();
	unsigned char cdh[32];
	int r;

	*verified = 0;
	r = FIDO_ERR_INTERNAL;
	if (getrandom(cdh, sizeof(cdh), 0) != sizeof(cdh))
		goto out;
	if ((r = fido_assert_set_rp(a, "skinkey.test")) != FIDO_OK ||
	    (r = fido_assert_set_clientdata_hash(a, cdh, sizeof(cdh))) != FIDO_OK ||
	    (r = fido_assert_allow_cred(a, fido_cred_id_ptr(cred), fido_cred_id_len(cred))) != FIDO_OK ||
	    (r = fido_assert_set_up(a, FIDO_OPT_TRUE)) != FIDO_OK)
		goto out;
	if ((r = fido_dev_get_assert(dev, a, NULL)) != FIDO_OK)
		goto out;
	if (es256_pk_from_ptr(pk, fido_cred_pubkey_ptr(cred), fido_cred_pubkey_len(cred)) == FIDO_OK &&
	    fido_assert_count(a) == 1 && fido_assert_verify(a, 0, COSE_ES256, pk) == FIDO_OK)
		*verified = 1;
out:
	es256_pk_free(&pk);
	fido_assert_free(&a);
	return r;
}

/* ---- keepalive and cancel ---- */

struct mover {
	pthread_t t;
	fido_dev_t *dev;
	int cancel;           /* 1: cancel once UPNEEDED is seen; 0: tap after hold_ms */
	uint64_t hold_ms;
	uint64_t acted_at;
};

static int upneeded_seen(size_t from)
{
	int seen = 0;

	pthread_mutex_lock(&mu);
	for (size_t i = from; i < ka_n; i++)
		seen |= ka_status[i] == CTAPHID_STATUS_UPNEEDED;
	pthread_mutex_unlock(&mu);
	return seen;
}

static void *mover_main(void *arg)
{
	struct mover *m = arg;
	size_t from;
	uint64_t t0 = bridge_now_ms();

	pthread_mutex_lock(&mu);
	from = ka_n;
	pthread_mutex_unlock(&mu);
	/* wait for the condition (the host was told to tap), not for time; 20 s cap */
	while (!upneeded_seen(from) && bridge_now_ms() - t0 < 20000)
		usleep(5000);
	if (!m->cancel) {
		uint64_t t1 = bridge_now_ms();
		while (bridge_now_ms() - t1 < m->hold_ms)
			usleep(10000);
		m->acted_at = bridge_now_ms();
		sim("reset-stats");
		sim("tap");
	} else {
		m->acted_at = bridge_now_ms();
		int r = fido_dev_cancel(m->dev);
		if (r != FIDO_OK)
			fail("fido_dev_cancel: %s", fido_strerr(r));
	}
	return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* Returns the APDUs the chip saw from the tap to the end of the assertion (-1 on failure). */
static long keepalive_test(fido_dev_t *dev, const fido_cred_t *cred)
{
	struct mover m = { .dev = dev, .cancel = 0, .hold_ms = 1500 };
	uint64_t gaps[MAX_KA], start;
	size_t from, n = 0, up = 0;
	int verified, r;

	chip_remove();
	pthread_mutex_lock(&mu);
	from = ka_n;
	pthread_mutex_unlock(&mu);
	pthread_create(&m.t, NULL, mover_main, &m);
	start = bridge_now_ms();
	r = get_assert(dev, cred, &verified);
	pthread_join(m.t, NULL);
	long apdus = sim_apdus();
	if (r != FIDO_OK || !verified)
		fail("assertion with the chip tapped late: %s, verified %d", fido_strerr(r), verified);
	/* gaps: request -> first keepalive, then between keepalives (host's arrival times) */
	uint64_t prev = start;
	for (size_t i = from; i < ka_n; i++) {
		gaps[n++] = ka_time[i] - prev;
		prev = ka_time[i];
		up += ka_status[i] == CTAPHID_STATUS_UPNEEDED;
	}
	if (n < 10) {
		fail("only %zu keepalives in a %llu ms wait", n, (unsigned long long)(bridge_now_ms() - start));
		return -1;
	}
	if (up == 0)
		fail("no keepalive said UPNEEDED while the chip was away");
	qsort(gaps, n, sizeof(gaps[0]), cmp_u64);
	uint64_t p95 = gaps[(n * 95) / 100], max = gaps[n - 1], med = gaps[n / 2];
	printf("figure keepalives %zu\nfigure keepalive_upneeded %zu\nfigure keepalive_gap_median_ms %llu\n"
	    "figure keepalive_gap_p95_ms %llu\nfigure keepalive_gap_max_ms %llu\n", n, up,
	    (unsigned long long)med, (unsigned long long)p95, (unsigned long long)max);
	/* CTAP asks for one every 100 ms at most; the bridge sends every 80 ms. A loaded machine
	 * may delay one poll, so the bound is on the 95th percentile; the max is reported. */
	if (p95 > 100)
		fail("keepalive gaps: 95th percentile %llu ms > 100 ms", (unsigned long long)p95);
	printf("figure apdus_tap_then_assert %ld\n", apdus);
	return apdus;
}

static void cancel_test(fido_dev_t *dev, const fido_cred_t *cred, long apdus_per_assert)
{
	struct mover m = { .dev = dev, .cancel = 1 };
	uint64_t done;
	int verified, r;

	chip_remove();
	pthread_create(&m.t, NULL, mover_main, &m);
	r = get_assert(dev, cred, &verified);
	done = bridge_now_ms();
	pthread_join(m.t, NULL);
	if (r != FIDO_ERR_KEEPALIVE_CANCEL)
		fail("cancelled assertion answered %s, not FIDO_ERR_KEEPALIVE_CANCEL", fido_strerr(r));
	printf("figure cancel_latency_ms %llu\n", (unsigned long long)(done - m.acted_at));
	/* skinkeyd dropped the cancelled request: from the tap on, the chip sees what it saw for
	 * one assertion after a tap in keepalive_test (a leftover request would add its APDUs). */
	sim("reset-stats");
	sim("tap");
	r = get_assert(dev, cred, &verified);
	long n = sim_apdus();
	if (r != FIDO_OK || !verified)
		fail("assertion after a cancel: %s, verified %d", fido_strerr(r), verified);
	printf("figure apdus_assert_after_cancel %ld\n", n);
	if (n != apdus_per_assert)
		fail("%ld APDUs from the tap on, %ld for one assertion: the cancelled one ran", n, apdus_per_assert);
}

/* ---- malformed reports, raw ---- */

static void raw_send(uint32_t cid, int init, uint8_t cmd_or_seq, uint16_t bcnt, const uint8_t *d, size_t n)
{
	uint8_t p[CTAPHID_REPORT + 1];

	memset(p, 0, sizeof(p));
	p[1] = (uint8_t)(cid >> 24); p[2] = (uint8_t)(cid >> 16); p[3] = (uint8_t)(cid >> 8); p[4] = (uint8_t)cid;
	if (init) {
		p[5] = (uint8_t)(cmd_or_seq | 0x80);
		p[6] = (uint8_t)(bcnt >> 8);
		p[7] = (uint8_t)bcnt;
		memcpy(p + 8, d, n > 57 ? 57 : n);
	} else {
		p[5] = cmd_or_seq;
		memcpy(p + 6, d, n > 59 ? 59 : n);
	}
	io_write(B, p, sizeof(p));
}

/* Next report that is not a keepalive: its command (0x80 set) and first data byte; -1 none. */
static int raw_recv(uint32_t cid, int ms, uint8_t *first)
{
	uint8_t p[CTAPHID_REPORT];

	for (;;) {
		if (io_read(B, p, sizeof(p), ms) != CTAPHID_REPORT)
			return -1;
		if (p[4] == (0x80 | CTAPHID_KEEPALIVE))
			continue;
		if (((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]) != cid) {
			fail("answer on channel %02x%02x%02x%02x, expected %08x", p[0], p[1], p[2], p[3], cid);
			return -1;
		}
		*first = p[7];
		/* read the rest of a long answer, so the next answer starts at a report of its own */
		for (size_t left = (size_t)(p[5] << 8 | p[6]), got = CTAPHID_INIT_DATA; got < left; got += CTAPHID_CONT_DATA) {
			uint8_t c[CTAPHID_REPORT];
			if (io_read(B, c, sizeof(c), ms) != CTAPHID_REPORT || (c[4] & 0x80)) {
				fail("answer of %zu bytes cut short", left);
				return -1;
			}
		}
		return p[4];
	}
}

static void expect_error(const char *what, uint32_t cid, uint8_t err)
{
	uint8_t first = 0;
	int cmd = raw_recv(cid, 2000, &first);

	if (cmd != (0x80 | CTAPHID_ERROR) || first != err)
		fail("%s: expected CTAPHID error %02x, got command %02x data %02x", what, err, cmd & 0xff, first);
	else
		printf("malformed: %-48s -> ERROR %02x\n", what, err);
}

static uint32_t raw_alloc(void)
{
	uint8_t p[CTAPHID_REPORT], nonce[8] = { 9, 8, 7, 6, 5, 4, 3, 2 };

	raw_send(CTAPHID_BROADCAST, 1, CTAPHID_INIT, 8, nonce, 8);
	if (io_read(B, p, sizeof(p), 2000) != CTAPHID_REPORT || p[4] != (0x80 | CTAPHID_INIT) ||
	    memcmp(p + 7, nonce, 8) != 0) {
		fail("INIT on the broadcast channel not answered");
		return 0;
	}
	return (uint32_t)p[15] << 24 | (uint32_t)p[16] << 16 | (uint32_t)p[17] << 8 | p[18];
}

static void expect_ping(uint32_t cid, const char *what)
{
	uint8_t first = 0;

	raw_send(cid, 1, CTAPHID_PING, 1, (const uint8_t *)"P", 1);
	if (raw_recv(cid, 2000, &first) != (0x80 | CTAPHID_PING) || first != 'P')
		fail("%s: PING not answered afterwards", what);
}

/* CTAPHID_MSG: a U2F VERSION APDU goes through skinkeyd's CTAP --u2f to the chip and the chip's
 * answer comes back as the MSG answer. The simulated applet has no CTAP1 and answers 6D00 (the
 * real applet's SELECT says U2F_V2 and would answer "U2F_V2" 9000); either is the chip's own. */
static void u2f_test(void)
{
	static const uint8_t version[] = { 0x00, 0x03, 0x00, 0x00, 0x00 };
	uint8_t p[CTAPHID_REPORT];
	uint32_t a = raw_alloc();

	if (a == 0)
		return;
	raw_send(a, 1, CTAPHID_MSG, sizeof(version), version, sizeof(version));
	do {
		if (io_read(B, p, sizeof(p), 10000) != CTAPHID_REPORT) {
			fail("U2F VERSION: no answer");
			return;
		}
	} while (p[4] == (0x80 | CTAPHID_KEEPALIVE));
	if (p[4] == (0x80 | CTAPHID_MSG) && p[5] == 0 && p[6] == 2 && p[7] == 0x6d && p[8] == 0x00)
		printf("U2F VERSION over CTAPHID_MSG: the chip's SW 6D00 (the simulated applet has no CTAP1)\n");
	else if (p[4] == (0x80 | CTAPHID_MSG) && p[5] == 0 && p[6] == 8 && memcmp(p + 7, "U2F_V2\x90\x00", 8) == 0)
		printf("U2F VERSION over CTAPHID_MSG: U2F_V2 9000\n");
	else
		fail("U2F VERSION over CTAPHID_MSG: got command %02x, %u bytes: %02x %02x", p[4], p[6], p[7], p[8]);
}

static void malformed_test(void)
{
	static uint8_t zeros[64];
	static const uint8_t getinfo = 0x04;
	/* clientPIN getRetries {1: 1, 2: 1}: needs the chip (getInfo is answered from skinkeyd's
	 * cache), spends nothing */
	static const uint8_t get_retries[] = { 0x06, 0xa2, 0x01, 0x01, 0x02, 0x01 };
	uint32_t a = raw_alloc(), b = raw_alloc();
	uint8_t first;

	if (a == 0 || b == 0)
		return;
	raw_send(0x0badcafe, 1, CTAPHID_PING, 1, zeros, 1);
	expect_error("init packet on a channel never allocated", 0x0badcafe, 0x0b);
	raw_send(0x0badcafe, 0, 0, 0, zeros, 0);
	expect_error("continuation on a channel never allocated", 0x0badcafe, 0x0b);
	raw_send(0, 1, CTAPHID_PING, 1, zeros, 1);
	expect_error("channel 0", 0, 0x0b);
	raw_send(CTAPHID_BROADCAST, 1, CTAPHID_CBOR, 1, &getinfo, 1);
	expect_error("CBOR on the broadcast channel", CTAPHID_BROADCAST, 0x0b);
	raw_send(CTAPHID_BROADCAST, 1, CTAPHID_INIT, 7, zeros, 7);
	expect_error("INIT with a 7-byte nonce", CTAPHID_BROADCAST, 0x03);
	raw_send(a, 1, CTAPHID_CBOR, CTAPHID_MAX_PAYLOAD + 1, zeros, 57);
	expect_error("length 7610 (maximum 7609)", a, 0x03);
	raw_send(a, 1, CTAPHID_PING, 200, zeros, 57);
	raw_send(a, 0, 0, 0, zeros, 59);
	raw_send(a, 0, 2, 0, zeros, 59);
	expect_error("continuation 2 after 0 (bad sequence)", a, 0x04);
	raw_send(a, 0, 3, 0, zeros, 59);   /* rest of the dropped message: spurious */
	raw_send(b, 0, 0, 0, zeros, 59);   /* continuation without init */
	if (raw_recv(a, 300, &first) != -1 || raw_recv(b, 1, &first) != -1)
		fail("spurious continuation packets were answered");
	else
		printf("malformed: %-48s -> ignored (spec)\n", "continuation without an init packet");
	expect_ping(b, "spurious continuation");
	raw_send(a, 1, CTAPHID_PING, 100, zeros, 57);
	raw_send(b, 1, CTAPHID_PING, 1, zeros, 1);
	expect_error("init on b while a is mid-message (interleaved)", b, 0x06);
	raw_send(a, 0, 0, 0, zeros, 43);
	if (raw_recv(a, 2000, &first) != (0x80 | CTAPHID_PING))
		fail("a's message not completed after b was refused");
	raw_send(a, 1, CTAPHID_PING, 100, zeros, 57);
	raw_send(a, 1, CTAPHID_PING, 1, zeros, 1);
	expect_error("new message on a while a is mid-message", a, 0x04);
	raw_send(a, 1, CTAPHID_LOCK, 1, zeros, 1);
	expect_error("LOCK (not offered)", a, 0x01);
	raw_send(a, 1, 0x42, 0, zeros, 0);
	expect_error("unknown command 0x42", a, 0x01);
	raw_send(a, 1, CTAPHID_PING, 100, zeros, 57);
	expect_error("message not completed (timeout)", a, 0x05);
	/* busy: a waits for the chip, b is refused, a is cancelled */
	chip_remove();
	raw_send(a, 1, CTAPHID_CBOR, sizeof(get_retries), get_retries, sizeof(get_retries));
	raw_send(b, 1, CTAPHID_PING, 1, zeros, 1);
	expect_error("PING on b while a waits for the chip", b, 0x06);
	raw_send(a, 1, CTAPHID_CBOR, 1, &getinfo, 1);
	expect_error("second request on a while a waits", a, 0x06);
	raw_send(a, 1, CTAPHID_CANCEL, 0, zeros, 0);
	if (raw_recv(a, 2000, &first) != (0x80 | CTAPHID_CBOR) || first != 0x2d)
		fail("CANCEL of a raw CBOR request: no CTAP2_ERR_KEEPALIVE_CANCEL");
	sim("tap");
	expect_ping(b, "after the cancel");
}

int main(int argc, char **argv)
{
	fido_dev_t *dev = NULL;
	fido_cred_t *cred = NULL;
	int r, verified;
	long before, per_assert;

	if (argc != 2) {
		fprintf(stderr, "usage: hid-iotest SIMCTL\n");
		return 2;
	}
	simctl = argv[1];
	if (getenv("HID_IOTEST_DEBUG") != NULL)
		sk_log_set_level(SK_LOG_DEBUG);
	fido_init(getenv("FIDO_DEBUG") != NULL ? FIDO_DEBUG : 0);
	if (bridge_new(&B, 0) != 0) {
		fprintf(stderr, "FAIL: bridge\n");
		return 1;
	}
	if ((dev = fido_dev_new()) == NULL || fido_dev_set_io_functions(dev, &bridge_io) != FIDO_OK) {
		fail("libfido2 device");
		goto out;
	}
	if ((r = fido_dev_open(dev, "skinkey-hidbridge")) != FIDO_OK) {
		fail("fido_dev_open through the bridge: %s", fido_strerr(r));
		goto out;
	}
	if (!fido_dev_is_fido2(dev))
		fail("the bridge does not say CBOR");
	printf("opened: CTAPHID protocol %u, device %u.%u.%u, flags %02x\n", fido_dev_protocol(dev),
	    fido_dev_major(dev), fido_dev_minor(dev), fido_dev_build(dev), fido_dev_flags(dev));
	if (make_cred(dev, &cred) != 0)
		goto out;
	before = sim_apdus();
	r = get_assert(dev, cred, &verified);
	per_assert = sim_apdus() - before;
	if (r != FIDO_OK || !verified) {
		fail("assertion: %s, verified %d", fido_strerr(r), verified);
		goto out;
	}
	printf("assertion verified against the credential's key (%ld APDUs)\n", per_assert);
	long tap_assert = keepalive_test(dev, cred);
	cancel_test(dev, cred, tap_assert);
	u2f_test();
	malformed_test();
	fido_dev_close(dev);
out:
	fido_cred_free(&cred);
	fido_dev_free(&dev);
	bridge_free(&B);
	if (failures != 0) {
		fprintf(stderr, "hid-iotest: %d failure(s)\n", failures);
		return 1;
	}
	printf("hid-iotest: ok\n");
	return 0;
}
