/* log.c — leveled logging to stderr or syslog; APDU traces with secrets redacted. */
#include "log.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>

#include "sk_err.h"

#define LOG_LINE_MAX 1024

static int log_level = SK_LOG_INFO;
static const char *log_ident = "skinkey";
static int log_syslog;
static sk_log_sink_fn log_sink;
static void *log_sink_arg;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *const level_names[] = { "error", "warn", "info", "debug", "trace" };

void sk_log_set_level(int level)
{
	if (level < SK_LOG_ERROR)
		level = SK_LOG_ERROR;
	if (level > SK_LOG_TRACE)
		level = SK_LOG_TRACE;
	__atomic_store_n(&log_level, level, __ATOMIC_RELAXED);
}

int sk_log_get_level(void)
{
	return __atomic_load_n(&log_level, __ATOMIC_RELAXED);
}

int sk_log_parse_level(const char *s, int *level)
{
	int i;

	for (i = SK_LOG_ERROR; i <= SK_LOG_TRACE; i++) {
		if (strcasecmp(s, level_names[i]) == 0 ||
		    (s[0] == (char)('0' + i) && s[1] == '\0')) {
			*level = i;
			return 0;
		}
	}
	if (strcasecmp(s, "warning") == 0) {
		*level = SK_LOG_WARN;
		return 0;
	}
	return SK_ERR_ARG;
}

void sk_log_set_ident(const char *ident)
{
	log_ident = ident != NULL ? ident : "skinkey";
}

void sk_log_use_syslog(int on)
{
	log_syslog = on;
	if (on)
		openlog(log_ident, LOG_PID, LOG_DAEMON);
}

static sk_log_filter_fn log_filter;

void sk_log_set_filter(sk_log_filter_fn fn)
{
	log_filter = fn;
}

void sk_log_set_sink(sk_log_sink_fn fn, void *arg)
{
	pthread_mutex_lock(&log_lock);
	log_sink = fn;
	log_sink_arg = arg;
	pthread_mutex_unlock(&log_lock);
}

static int syslog_priority(int level)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG, LOG_DEBUG };

	return prio[level];
}

static void log_emit(int level, const char *line)
{
	pthread_mutex_lock(&log_lock);
	if (log_sink != NULL)
		log_sink(level, line, log_sink_arg);
	else if (log_syslog)
		syslog(syslog_priority(level), "%s", line);
	else
		fprintf(stderr, "%s: %s%s\n", log_ident,
		    level <= SK_LOG_WARN ? (level == SK_LOG_ERROR ? "error: " : "warning: ") : "",
		    line);
	pthread_mutex_unlock(&log_lock);
}

void sk_log(int level, const char *fmt, ...)
{
	char line[LOG_LINE_MAX];
	va_list ap;

	if (level > sk_log_get_level())
		return;
	if (level < SK_LOG_ERROR)
		level = SK_LOG_ERROR;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (log_filter != NULL)
		log_filter(line, sizeof(line));
	log_emit(level, line);
}

/* Commands whose data field carries a secret (see log.h). */
static int cmd_data_secret(uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2)
{
	if (cla == 0x90)
		return 1;
	switch (ins) {
	case 0x01: case 0x03:              /* OATH PUT / SET CODE, ykhmac program slot */
	case 0x20: case 0x24: case 0x2C:   /* VERIFY, CHANGE REFERENCE DATA, RESET RETRY COUNTER */
	case 0x40: case 0x41: case 0x60:   /* DuressApplet SET_KEY, SET_PIN, ADMIN_AUTH */
	case 0xDB:                         /* PUT DATA (odd): private key import */
		return 1;
	case 0x2A:                         /* PSO:ENCIPHER: plaintext in */
		return p1 == 0x86 && p2 == 0x80;
	case 0xDA:                         /* PUT DATA of keys, resetting code, KDF-DO */
		return p1 == 0x00 && (p2 == 0xD1 || p2 == 0xD2 || p2 == 0xD3 || p2 == 0xD5 ||
		    p2 == 0xF9);
	default:
		return 0;
	}
}

static int rsp_data_secret(uint8_t cla, uint8_t ins, uint8_t p1, uint8_t p2)
{
	if (cla == 0x90)
		return 1;
	if (ins == 0x2A && p1 == 0x80 && p2 == 0x86)   /* PSO:DECIPHER: session key out */
		return 1;
	if (ins == 0x01 && (p1 == 0x30 || p1 == 0x38)) /* ykhmac challenge-response */
		return 1;
	if (ins == 0xA2)                                /* OATH CALCULATE: live codes */
		return 1;
	if ((ins == 0xA4 || ins == 0xA5) && p1 == 0x00 && p2 <= 0x01)
		return 1;                               /* OATH CALCULATE ALL, SEND REMAINING */
	return 0;
}

unsigned sk_apdu_secrecy(const uint8_t *cmd, size_t len)
{
	unsigned s = 0;
	uint8_t cla;

	if (cmd == NULL || len < 4)
		return 0;
	/* The chaining bit (0x10) does not change what an interindustry command means. */
	cla = (cmd[0] & 0x80) ? cmd[0] : (uint8_t)(cmd[0] & ~0x10u);
	if (cmd_data_secret(cla, cmd[1], cmd[2], cmd[3]))
		s |= SK_REDACT_CMD;
	if (rsp_data_secret(cla, cmd[1], cmd[2], cmd[3]))
		s |= SK_REDACT_RSP;
	return s;
}

/* Appends "XX XX ..." for n bytes to line (always terminated, truncated with "..."). */
static void hex_append(char *line, size_t cap, const uint8_t *p, size_t n)
{
	size_t used = strlen(line), i;

	for (i = 0; i < n; i++) {
		if (cap - used < 8) {
			snprintf(line + used, cap - used, " ...");
			return;
		}
		snprintf(line + used, cap - used, " %02X", p[i]);
		used += 3;
	}
}

static void redact_append(char *line, size_t cap, size_t n)
{
	size_t used = strlen(line);

	snprintf(line + used, cap - used, " <%zu bytes redacted>", n);
}

/* A command: the header (and the Lc bytes) stay visible, the data field may go. */
static void format_cmd(char *line, size_t cap, const uint8_t *p, size_t len, int secret)
{
	size_t hdr;

	if (!secret || len <= 5) {             /* case 1/2 short: no data field */
		hex_append(line, cap, p, len);
		return;
	}
	if (p[4] != 0)                         /* short: CLA INS P1 P2 Lc data [Le] */
		hdr = 5;
	else if (len > 7)                      /* extended: CLA INS P1 P2 00 Lc1 Lc2 data [Le] */
		hdr = 7;
	else
		hdr = 4;
	hex_append(line, cap, p, hdr);
	redact_append(line, cap, len - hdr);
}

static void format_rsp(char *line, size_t cap, const uint8_t *p, size_t len, int secret)
{
	if (!secret || len <= 2) {
		hex_append(line, cap, p, len);
		return;
	}
	redact_append(line, cap, len - 2);
	hex_append(line, cap, p + len - 2, 2);
}

void sk_log_apdu(int dir, const uint8_t *p, size_t len, int secret)
{
	char line[LOG_LINE_MAX];

	if (sk_log_get_level() < SK_LOG_TRACE)
		return;
	snprintf(line, sizeof(line), "%s", dir == SK_APDU_CMD ? ">" : "<");
	if (p == NULL)
		len = 0;
	if (dir == SK_APDU_CMD)
		format_cmd(line, sizeof(line), p, len,
		    secret || (sk_apdu_secrecy(p, len) & SK_REDACT_CMD));
	else
		format_rsp(line, sizeof(line), p, len, secret);
	log_emit(SK_LOG_TRACE, line);
}
