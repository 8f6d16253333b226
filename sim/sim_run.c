/* sim_run.c — `skinkey-sim run`: connects the card to vpcd (the field), answers control
 * commands, and moves APDUs between vpcd and the card framework. One thread, one poll(). */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "sim_core.h"
#include "sim_link.h"
#include "sim_run.h"

#define RETRY_MS 100
/* After leaving the field the chip stays away at least this long, so pcscd (which polls vpcd
 * every 400 ms) always sees the removal: a faster re-tap would look like nothing happened. */
#define AWAY_MS 700

#define STATS_APPLETS 12
#define STATS_WRITES 24

struct sim_stats {
	unsigned long apdus, bytes_in, bytes_out, taps, removes, cuts, resets, state_writes,
	    state_errors;
	/* APDUs per applet: counted for the applet selected after the APDU (a SELECT counts for the
	 * applet it selects, a GET RESPONSE for the applet that answers) */
	const char *applet[STATS_APPLETS];
	unsigned long per_applet[STATS_APPLETS];
	/* persistent-state (EEPROM) writes per applet command: the applet selected after it, INS */
	struct { const char *applet; uint8_t ins; unsigned long n; } writes[STATS_WRITES];
};

struct sim_rt {
	const struct sim_run_opts *o;
	struct sim_card *card;
	struct sim_vpcd vpcd;
	struct sim_stats st;
	int tapped;           /* the chip is meant to be in the field */
	int seen;             /* pcscd powered or used the card on this connection */
	int trace;
	long latency_ms;
	long cut_left;        /* APDUs still answered before the chip leaves; -1 = off */
	int quit;
	long long away_until;  /* monotonic ms before which no reconnect happens */
	int secret_answer;     /* the last answer was secret and continues with 61xx */
	struct sim_rbuf resp;
	const char *state_path; /* the card's state file (swap_path after `swap`) */
	char swap_path[4096];
};

static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void leave_field(struct sim_rt *rt, const char *why)
{
	if (rt->vpcd.fd >= 0) {
		sim_log("chip leaves the field (%s)", why);
		rt->away_until = now_ms() + AWAY_MS;
	}
	sim_vpcd_close(&rt->vpcd);
	sim_card_power_loss(rt->card);
	rt->seen = 0;
}

static void try_connect(struct sim_rt *rt)
{
	if (!rt->tapped || rt->vpcd.fd >= 0 || now_ms() < rt->away_until)
		return;
	if (sim_vpcd_connect(&rt->vpcd) == 0)
		sim_log("in the field: connected to vpcd %s:%s", rt->vpcd.host, rt->vpcd.port);
}

static void count_write(struct sim_stats *s, const char *applet, uint8_t ins)
{
	size_t i;

	for (i = 0; i < STATS_WRITES && s->writes[i].applet != NULL; i++)
		if (s->writes[i].ins == ins && strcmp(s->writes[i].applet, applet) == 0)
			break;
	if (i == STATS_WRITES)
		return;
	s->writes[i].applet = applet;   /* static strings of the applet tables */
	s->writes[i].ins = ins;
	s->writes[i].n++;
}

static void save_if_dirty(struct sim_rt *rt, uint8_t ins)
{
	if (!sim_card_take_dirty(rt->card))
		return;
	if (sim_state_save(rt->state_path, rt->card) == 0) {
		rt->st.state_writes++;
		count_write(&rt->st, sim_card_selected_name(rt->card), ins);
	} else {
		rt->st.state_errors++;
	}
}

/* Commands whose data is a secret, by INS across the card's applets: PINs (VERIFY 20, CHANGE
 * REFERENCE DATA 24, RESET RETRY COUNTER 2C; DuressApplet SELECT_CONTEXT 20), OpenPGP key import
 * (PUT DATA DB 3FFF), ykhmac slot programming and OATH PUT (01, except the ykhmac serial and
 * challenge P1 10/30/38), OATH SET CODE (03), DuressApplet SET_KEY 40, SET_PIN 41, ADMIN_AUTH 60. */
static int secret_command(const uint8_t *p, size_t n)
{
	if (n <= 5)
		return 0;
	switch (p[1]) {
	case 0x20: case 0x24: case 0x2C: case 0x03: case 0x40: case 0x41: case 0x60:
		return 1;
	case 0xDB:
		return p[2] == 0x3F && p[3] == 0xFF;
	case 0x01:
		return p[2] != 0x10 && p[2] != 0x30 && p[2] != 0x38;
	default:
		return 0;
	}
}

/* Answers that are secrets: PSO:DECIPHER (2A 80 86) plaintext, HMAC-SHA1 (01 30/38), OATH codes
 * (A2, A4 with P1 00 and data: CALCULATE ALL, not SELECT), DuressApplet CHALLENGE (30);
 * GET RESPONSE / SEND REMAINING continue them. */
static int secret_answer(const uint8_t *cmd, size_t n, int prev_secret)
{
	if (n < 4)
		return 0;
	if (cmd[1] == 0xC0 || cmd[1] == 0xA5)
		return prev_secret;
	return (cmd[1] == 0x2A && cmd[2] == 0x80 && cmd[3] == 0x86) ||
	    (cmd[1] == 0x01 && (cmd[2] == 0x30 || cmd[2] == 0x38)) || cmd[1] == 0xA2 ||
	    (cmd[1] == 0xA4 && cmd[2] == 0x00 && cmd[0] == 0x00 && n > 5) ||   /* not SELECT */
	    cmd[1] == 0x30;
}

static void trace_command(const struct sim_rt *rt, const uint8_t *p, size_t n)
{
	if (!rt->trace)
		return;
	if (secret_command(p, n))
		sim_hexdump("> (data redacted)", p, 4);
	else
		sim_hexdump(">", p, n);
}

static void trace_answer(struct sim_rt *rt, const uint8_t *cmd, size_t n)
{
	const struct sim_rbuf *r = &rt->resp;

	rt->secret_answer = secret_answer(cmd, n, rt->secret_answer) && r->len > 2;
	if (!rt->trace)
		return;
	if (rt->secret_answer)
		sim_hexdump("< (data redacted)", r->p + r->len - 2, 2);
	else
		sim_hexdump("<", r->p, r->len);
	/* a secret answer split by 61xx keeps its GET RESPONSE parts redacted */
	rt->secret_answer = rt->secret_answer && r->p[r->len - 2] == 0x61;
}

static void count_applet(struct sim_stats *s, const char *name)
{
	size_t i;

	for (i = 0; i < STATS_APPLETS && s->applet[i] != NULL; i++)
		if (strcmp(s->applet[i], name) == 0)
			break;
	if (i == STATS_APPLETS)
		return;
	s->applet[i] = name;         /* the applet tables' names are static strings */
	s->per_applet[i]++;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void on_apdu(struct sim_rt *rt, const uint8_t *cmd, size_t n)
{
	rt->st.apdus++;
	rt->st.bytes_in += n;
	rt->seen = 1;
	trace_command(rt, cmd, n);
	if (rt->cut_left == 0) {
		rt->cut_left = -1;
		rt->tapped = 0;
		rt->st.cuts++;
		leave_field(rt, "cut-after reached");
		return;
	}
	if (rt->cut_left > 0)
		rt->cut_left--;
	if (rt->latency_ms > 0)
		sleep_ms(rt->latency_ms);
	if (sim_card_transmit(rt->card, cmd, n, &rt->resp) == SIM_TX_CUT) {
		count_applet(&rt->st, sim_card_selected_name(rt->card));
		save_if_dirty(rt, n > 1 ? cmd[1] : 0);
		rt->tapped = 0;
		rt->st.cuts++;
		leave_field(rt, "malformed chain: power cut");
		return;
	}
	count_applet(&rt->st, sim_card_selected_name(rt->card));
	save_if_dirty(rt, n > 1 ? cmd[1] : 0);
	trace_answer(rt, cmd, n);
	rt->st.bytes_out += rt->resp.len;
	if (sim_vpcd_send(&rt->vpcd, rt->resp.p, rt->resp.len) != 0)
		leave_field(rt, "vpcd write failed");
}

static void on_control(struct sim_rt *rt, uint8_t ctl)
{
	const struct sim_personality *p = sim_card_personality(rt->card);

	switch (ctl) {
	case 0:  /* power off */
		sim_card_power_loss(rt->card);
		break;
	case 1:  /* power on */
		rt->seen = 1;
		break;
	case 2:  /* reset */
		rt->st.resets++;
		sim_card_power_loss(rt->card);
		rt->seen = 1;
		break;
	case 4:  /* get ATR */
		if (sim_vpcd_send(&rt->vpcd, p->atr, p->atr_len) != 0)
			leave_field(rt, "vpcd write failed");
		break;
	default:
		sim_log("vpcd: unknown control byte %u ignored", ctl);
	}
}

static void on_vpcd(struct sim_rt *rt)
{
	static uint8_t frame[SIM_FRAME_MAX];
	size_t n;

	if (sim_vpcd_recv(&rt->vpcd, frame, &n) != 0) {
		leave_field(rt, "vpcd closed the link");
		return;   /* still tapped: reconnect when vpcd listens again */
	}
	if (n == 1)
		on_control(rt, frame[0]);
	else
		on_apdu(rt, frame, n);
	OPENSSL_cleanse(frame, n);   /* commands carry PINs and keys */
}

static int parse_long(const char *s, long max, long *out)
{
	char *end = NULL;
	long v;

	if (s == NULL || *s == '\0')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 0 || v > max)
		return -1;
	*out = v;
	return 0;
}

static void fmt_applets(const struct sim_rt *rt, char *out, size_t len)
{
	size_t i, used = 0;

	out[0] = '\0';
	for (i = 0; i < sim_card_napplets(rt->card); i++) {
		int k = snprintf(out + used, len - used, "%s%s", i ? "," : "",
		    sim_card_applet(rt->card, i, NULL)->name);

		if (k < 0 || (size_t)k >= len - used)
			break;
		used += (size_t)k;
	}
}

static void fmt_status(const struct sim_rt *rt, char *out, size_t len)
{
	int connected = rt->vpcd.fd >= 0;
	char applets[128];

	fmt_applets(rt, applets, sizeof(applets));
	snprintf(out, len,
	    "present=%d\nconnected=%d\ntapped=%d\ncard=%s\napplets=%s\nvpcd=%s:%s\nlatency=%ld\n"
	    "trace=%s\nmalformed=%s\nencoding=%s\ncut_after=%ld\nstate=%s\nkeepalive=%d\ncredprotect=%s\n",
	    rt->tapped && connected && rt->seen, connected, rt->tapped,
	    sim_card_personality(rt->card)->name, applets, rt->vpcd.host, rt->vpcd.port,
	    rt->latency_ms, rt->trace ? "on" : "off",
	    sim_malformed_name(sim_card_malformed(rt->card)), sim_encoding_name(sim_encoding()),
	    rt->cut_left, rt->state_path, sim_fido_keepalive(),
	    sim_fido_credprotect_spec() ? "spec" : "applet");
}

static void fmt_stats(const struct sim_rt *rt, char *out, size_t len)
{
	const struct sim_stats *s = &rt->st;
	size_t i, k;
	int w;

	w = snprintf(out, len,
	    "apdus=%lu\nbytes_in=%lu\nbytes_out=%lu\ntaps=%lu\nremoves=%lu\ncuts=%lu\nresets=%lu\n"
	    "state_writes=%lu\nstate_errors=%lu\n",
	    s->apdus, s->bytes_in, s->bytes_out, s->taps, s->removes, s->cuts, s->resets,
	    s->state_writes, s->state_errors);
	/* apdus_<applet>=N per applet that answered APDUs since reset-stats */
	for (i = 0; w > 0 && (size_t)w < len && i < STATS_APPLETS && s->applet[i] != NULL; i++) {
		k = (size_t)w;
		w += snprintf(out + k, len - k, "apdus_%s=%lu\n", s->applet[i], s->per_applet[i]);
	}
	/* writes_<applet>_<INS>=N: persistent-state writes per command since reset-stats */
	for (i = 0; w > 0 && (size_t)w < len && i < STATS_WRITES && s->writes[i].applet != NULL; i++) {
		k = (size_t)w;
		w += snprintf(out + k, len - k, "writes_%s_%02X=%lu\n", s->writes[i].applet,
		    s->writes[i].ins, s->writes[i].n);
	}
}

/* `swap STATEFILE`: another chip of the same personality (same ATR) takes this one's place in
 * the field without the reader seeing it leave — a clone made from a copy of the state file
 * has the same serial and UID and its own secrets and PIN state. This chip's state is saved
 * first; the new one is written to STATEFILE from then on. */
static int swap_card(struct sim_rt *rt, const char *path, char *out, size_t len)
{
	struct sim_card *nc = NULL;
	int r;

	if (path == NULL || strlen(path) >= sizeof(rt->swap_path)) {
		snprintf(out, len, "error: swap takes a state file\n");
		return -1;
	}
	if (sim_card_new(sim_card_personality(rt->card), &nc) != 0 ||
	    (r = sim_state_load(path, nc)) < 0 || r == 1) {
		snprintf(out, len, "error: cannot load the state file %s\n", path);
		sim_card_free(&nc);
		return -1;
	}
	save_if_dirty(rt, 0);
	sim_card_free(&rt->card);
	rt->card = nc;
	snprintf(rt->swap_path, sizeof(rt->swap_path), "%s", path);
	rt->state_path = rt->swap_path;
	return 0;
}

/* One control command; writes the answer ("ok", key=value lines, or "error: ...") to out. */
static void handle_command(struct sim_rt *rt, char *line, char *out, size_t len)
{
	char *save = NULL, *cmd = strtok_r(line, " \t\r", &save), *arg = strtok_r(NULL, " \t\r", &save);
	enum sim_malformed m;
	enum sim_encoding enc;
	long v;

	snprintf(out, len, "ok\n");
	if (cmd == NULL) {
		snprintf(out, len, "error: empty command\n");
	} else if (strtok_r(NULL, " \t\r", &save) != NULL) {
		snprintf(out, len, "error: too many arguments\n");
	} else if (strcmp(cmd, "tap") == 0) {
		if (!rt->tapped)
			rt->st.taps++;
		rt->tapped = 1;
		try_connect(rt);
	} else if (strcmp(cmd, "remove") == 0) {
		if (rt->tapped)
			rt->st.removes++;
		rt->tapped = 0;
		leave_field(rt, "remove");
	} else if (strcmp(cmd, "dropout") == 0) {
		/* the field drops for MS and comes back: the chip loses power (PIN state, selection) */
		if (parse_long(arg, 60000, &v) != 0 || v == 0) {
			snprintf(out, len, "error: dropout takes milliseconds 1..60000\n");
		} else if (rt->tapped) {
			leave_field(rt, "dropout");
			rt->away_until = now_ms() + v;
		}
	} else if (strcmp(cmd, "swap") == 0) {
		swap_card(rt, arg, out, len);
	} else if (strcmp(cmd, "status") == 0) {
		fmt_status(rt, out, len);
	} else if (strcmp(cmd, "stats") == 0) {
		fmt_stats(rt, out, len);
	} else if (strcmp(cmd, "reset-stats") == 0) {
		memset(&rt->st, 0, sizeof(rt->st));
	} else if (strcmp(cmd, "latency") == 0) {
		if (parse_long(arg, 60000, &v) != 0)
			snprintf(out, len, "error: latency takes milliseconds 0..60000\n");
		else
			rt->latency_ms = v;
	} else if (strcmp(cmd, "trace") == 0) {
		if (arg != NULL && strcmp(arg, "on") == 0)
			rt->trace = 1;
		else if (arg != NULL && strcmp(arg, "off") == 0)
			rt->trace = 0;
		else
			snprintf(out, len, "error: trace on|off\n");
	} else if (strcmp(cmd, "cut-after") == 0) {
		if (parse_long(arg, 1000000000L, &v) != 0)
			snprintf(out, len, "error: cut-after takes a count of APDUs\n");
		else
			rt->cut_left = v;
	} else if (strcmp(cmd, "malformed") == 0) {
		if (arg == NULL || sim_malformed_parse(arg, &m) != 0)
			snprintf(out, len, "error: malformed on|off|truncate|badlen|badsw|chain|template\n");
		else
			sim_card_set_malformed(rt->card, m);
	} else if (strcmp(cmd, "encoding") == 0) {
		if (arg == NULL || sim_encoding_parse(arg, &enc) != 0)
			snprintf(out, len, "error: encoding minimal|real|padded\n");
		else
			sim_set_encoding(enc);
	} else if (strcmp(cmd, "keepalive") == 0) {
		if (parse_long(arg, 100, &v) != 0)
			snprintf(out, len, "error: keepalive takes a count of 9100 answers 0..100\n");
		else
			sim_fido_set_keepalive((int)v);
	} else if (strcmp(cmd, "credprotect") == 0) {
		if (arg != NULL && strcmp(arg, "applet") == 0)
			sim_fido_set_credprotect_spec(0);
		else if (arg != NULL && strcmp(arg, "spec") == 0)
			sim_fido_set_credprotect_spec(1);
		else
			snprintf(out, len, "error: credprotect applet|spec\n");
	} else if (strcmp(cmd, "quit") == 0) {
		rt->quit = 1;
	} else {
		snprintf(out, len, "error: unknown command '%s' (tap, remove, status, stats, "
		    "reset-stats, latency MS, trace on|off, cut-after N, malformed KIND, "
		    "encoding KIND, keepalive N, credprotect applet|spec, dropout MS, swap STATEFILE, quit)\n", cmd);
	}
	if (strncmp(out, "error", 5) != 0 && cmd != NULL && strcmp(cmd, "status") != 0 &&
	    strcmp(cmd, "stats") != 0)
		sim_log("ctl: %s%s%s", cmd, arg ? " " : "", arg ? arg : "");
}

static void on_ctl(struct sim_rt *rt, int lfd)
{
	char line[SIM_CTL_LINE_MAX], out[1024];
	int cfd = sim_ctl_accept(lfd, line, sizeof(line));

	if (cfd < 0)
		return;
	handle_command(rt, line, out, sizeof(out));
	sim_ctl_reply(cfd, out);
}

static void install_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
}

static void loop(struct sim_rt *rt, int lfd)
{
	while (!rt->quit && !got_signal) {
		struct pollfd pf[2] = { { lfd, POLLIN, 0 }, { rt->vpcd.fd, POLLIN, 0 } };
		nfds_t np = rt->vpcd.fd >= 0 ? 2 : 1;
		int k;

		try_connect(rt);
		pf[1].fd = rt->vpcd.fd;
		np = rt->vpcd.fd >= 0 ? 2 : 1;
		k = poll(pf, np, RETRY_MS);
		if (k < 0 && errno != EINTR) {
			sim_log("poll: %s", strerror(errno));
			break;
		}
		if (k <= 0)
			continue;
		if (np == 2 && (pf[1].revents & (POLLIN | POLLHUP | POLLERR)))
			on_vpcd(rt);
		if (pf[0].revents & POLLIN)
			on_ctl(rt, lfd);
	}
}

int sim_run(const struct sim_run_opts *o)
{
	struct sim_rt rt;
	int lfd = -1, rc = 1, r;

	memset(&rt, 0, sizeof(rt));
	rt.o = o;
	rt.state_path = o->state_path;
	rt.vpcd.fd = -1;
	rt.cut_left = -1;
	rt.tapped = 1;
	if (sim_vpcd_parse_addr(&rt.vpcd, o->vpcd_addr) != 0) {
		fprintf(stderr, "skinkey-sim: bad --vpcd address '%s' (want HOST:PORT)\n", o->vpcd_addr);
		goto out;
	}
	if (sim_card_new(o->pers, &rt.card) != 0) {
		fprintf(stderr, "skinkey-sim: cannot create the %s card\n", o->pers->name);
		goto out;
	}
	if ((r = sim_state_load(o->state_path, rt.card)) < 0)
		goto out;
	sim_log("%s card, %s state %s", o->pers->name, r == 1 ? "factory-fresh" : "loaded",
	    o->state_path);
	if (r == 1 && sim_state_save(o->state_path, rt.card) != 0) {
		fprintf(stderr, "skinkey-sim: cannot write state file %s\n", o->state_path);
		goto out;
	}
	install_signals();
	if ((lfd = sim_ctl_listen(o->ctl_path)) < 0)
		goto out;
	loop(&rt, lfd);
	sim_log("stopping (%s)", rt.quit ? "quit" : "signal");
	rc = 0;
out:
	if (lfd >= 0) {
		close(lfd);
		unlink(o->ctl_path);
	}
	sim_vpcd_close(&rt.vpcd);
	sim_rbuf_free(&rt.resp);
	sim_card_free(&rt.card);
	return rc;
}
