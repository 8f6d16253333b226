/* event.c — the event bus (event.h): a fixed table of subscribers filled at start-up, the
 * thread's client (door, pid, program) and the one text form of an event. */
#include <fcntl.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/sk_err.h"
#include "event.h"

#define MAX_SUBS 16

static struct {
	unsigned mask;
	skd_event_fn fn;
	void *arg;
} subs[MAX_SUBS];
static int n_subs;

static __thread int peer_pid;
static __thread char peer_prog[32];
static __thread const char *peer_door;

static const char *const kind_names[SKD_EV__COUNT] = {
	"chip-seen", "chip-left", "tap-wanted", "key-op", "pin-fail", "pin-change", "keygen",
	"vault", "provision", "config-error", "unlock", "liveness", "presence", "context",
};

int skd_event_subscribe(unsigned mask, skd_event_fn fn, void *arg)
{
	if (n_subs == MAX_SUBS)
		return SK_ERR_TOOBIG;
	subs[n_subs].mask = mask;
	subs[n_subs].fn = fn;
	subs[n_subs].arg = arg;
	n_subs++;
	return 0;
}

void skd_event_reset(void)
{
	memset(subs, 0, sizeof(subs));
	n_subs = 0;
}

int skd_event_publish(const struct skd_event *ev)
{
	int r = 0, e;

	if (ev == NULL || ev->kind >= SKD_EV__COUNT)
		return SK_ERR_ARG;
	for (int i = 0; i < n_subs; i++) {
		if (!(subs[i].mask & SKD_EV_MASK(ev->kind)))
			continue;
		if ((e = subs[i].fn(ev, subs[i].arg)) != 0 && r == 0)
			r = e;
	}
	return r;
}

int skd_event_note(enum skd_ev_kind kind, const char *chip, const char *op, const char *object,
    int pinref, int retries, int result)
{
	struct skd_event ev = { .kind = kind, .chip = chip, .op = op, .object = object,
		.pinref = pinref, .retries = retries, .result = result, .counter = -1 };

	return skd_event_publish(&ev);
}

static void read_comm(int pid, char *out, size_t n)
{
	char path[64];
	ssize_t k;
	int fd;

	out[0] = '\0';
	if (pid <= 0)
		return;
	snprintf(path, sizeof(path), "/proc/%d/comm", pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return;
	k = read(fd, out, n - 1);
	close(fd);
	if (k <= 0) {
		out[0] = '\0';
		return;
	}
	out[k] = '\0';
	out[strcspn(out, "\n")] = '\0';
}

void skd_event_set_peer(int pid)
{
	peer_pid = pid;
	read_comm(pid, peer_prog, sizeof(peer_prog));
}

void skd_event_set_door(const char *door)
{
	peer_door = door;
}

const char *skd_event_door(void)
{
	if (peer_door != NULL)
		return peer_door;
	if (strcmp(peer_prog, "skinkey") == 0 || strcmp(peer_prog, "skinkey-vault") == 0)
		return "cli";
	return peer_pid > 0 ? "assuan" : "skinkeyd";
}

int skd_event_peer_pid(void)
{
	return peer_pid;
}

const char *skd_event_peer_prog(void)
{
	return peer_prog;
}

const char *skd_event_kind_name(enum skd_ev_kind k)
{
	return k < SKD_EV__COUNT ? kind_names[k] : "unknown";
}

int skd_event_recorded(enum skd_ev_kind k)
{
	return k < SKD_EV__COUNT && k != SKD_EV_TAP_WANTED && k != SKD_EV_CONTEXT;
}

/* ---- text form ---- */

struct out {
	char *p;
	size_t len, cap;
	int bad;
};

static void out_raw(struct out *o, const char *s, size_t n)
{
	char *q;

	if (o->bad)
		return;
	if (n + 1 > o->cap - o->len) {
		size_t cap = o->cap * 2 + n + 64;
		if ((q = realloc(o->p, cap)) == NULL) {
			o->bad = 1;
			return;
		}
		o->p = q;
		o->cap = cap;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
	o->p[o->len] = '\0';
}

/* key=value, value escaped so that a line splits on spaces and '=' only at the first one. */
static void out_kv(struct out *o, const char *key, const char *val)
{
	static const char hex[] = "0123456789ABCDEF";

	if (val == NULL || val[0] == '\0')
		return;
	if (o->len > 0)
		out_raw(o, " ", 1);
	out_raw(o, key, strlen(key));
	out_raw(o, "=", 1);
	for (const unsigned char *s = (const unsigned char *)val; *s != '\0'; s++) {
		if (*s <= 0x20 || *s >= 0x7f || *s == '%' || *s == '=' || *s == '+') {
			char e[3] = { '%', hex[*s >> 4], hex[*s & 15] };
			out_raw(o, e, 3);
		} else {
			out_raw(o, (const char *)s, 1);
		}
	}
}

static void out_kvf(struct out *o, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void out_kvf(struct out *o, const char *key, const char *fmt, ...)
{
	char v[128];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v, sizeof(v), fmt, ap);
	va_end(ap);
	out_kv(o, key, v);
}

static void out_digest(struct out *o, const uint8_t *p, size_t n)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char hexs[2 * EVP_MAX_MD_SIZE + 1];

	if (EVP_Digest(p, n, md, &mdlen, EVP_sha256(), NULL) != 1)
		return;
	for (unsigned int i = 0; i < mdlen; i++)
		snprintf(hexs + 2 * i, 3, "%02x", md[i]);
	out_kv(o, "sha256", hexs);
}

char *skd_event_details(const struct skd_event *ev)
{
	struct out o = { NULL, 0, 0, 0 };
	const char *door = skd_event_door();

	out_raw(&o, "", 0);
	if (ev->kind != SKD_EV_CHIP_SEEN && ev->kind != SKD_EV_CHIP_LEFT) {
		out_kv(&o, "door", door);
		if (peer_pid > 0)
			out_kvf(&o, "pid", "%d", peer_pid);
		out_kv(&o, "prog", peer_prog);
	}
	out_kv(&o, "chip", ev->chip);
	out_kv(&o, "reader", ev->reader);
	out_kv(&o, "applets", ev->applets);
	out_kv(&o, "op", ev->op);
	out_kv(&o, "object", ev->object);
	if (ev->pinref != 0)
		out_kvf(&o, "pin", "%02X", (unsigned)ev->pinref);
	if (ev->kind == SKD_EV_PIN_FAIL && ev->retries >= 0)
		out_kvf(&o, "retries", "%d", ev->retries);
	if (ev->signed_data != NULL && ev->signed_len > 0)
		out_digest(&o, ev->signed_data, ev->signed_len);
	if (ev->kind == SKD_EV_KEY_OP && ev->counter >= 0)
		out_kvf(&o, "counter", "%lld", (long long)ev->counter);
	if (ev->kind != SKD_EV_CHIP_SEEN && ev->kind != SKD_EV_CHIP_LEFT)
		out_kv(&o, "result", ev->result == 0 ? "ok" : sk_strerror(ev->result));
	out_kv(&o, "detail", ev->detail);
	if (o.bad) {
		free(o.p);
		return NULL;
	}
	return o.p;
}
