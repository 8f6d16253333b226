/* log.h — logging to stderr (default) or syslog, with APDU traces that redact secrets. */
#ifndef SK_LOG_H
#define SK_LOG_H

#include <stddef.h>
#include <stdint.h>

enum sk_log_level {
	SK_LOG_ERROR = 0,
	SK_LOG_WARN = 1,
	SK_LOG_INFO = 2,   /* default */
	SK_LOG_DEBUG = 3,
	SK_LOG_TRACE = 4   /* APDU traces */
};

void sk_log_set_level(int level);
int sk_log_get_level(void);
/* "error", "warn", "info", "debug", "trace" (or 0-4). 0 or SK_ERR_ARG. */
int sk_log_parse_level(const char *s, int *level);
/* Program name prefixed to stderr lines and used as the syslog ident (not copied). */
void sk_log_set_ident(const char *ident);
/* on != 0: log to syslog (LOG_DAEMON) instead of stderr. */
void sk_log_use_syslog(int on);
/* Tests: receive every formatted line (without newline) instead of stderr/syslog.
 * NULL restores the default. */
typedef void (*sk_log_sink_fn)(int level, const char *line, void *arg);
void sk_log_set_sink(sk_log_sink_fn fn, void *arg);

/* A rewrite of every formatted line before it is written anywhere (skinkeyd: the chip ids of
 * duress contexts). fn edits line in place (a NUL-terminated string in cap bytes) and must not
 * log. Set once before threads start; NULL: none. */
typedef void (*sk_log_filter_fn)(char *line, size_t cap);
void sk_log_set_filter(sk_log_filter_fn fn);

void sk_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define sk_error(...) sk_log(SK_LOG_ERROR, __VA_ARGS__)
#define sk_warn(...) sk_log(SK_LOG_WARN, __VA_ARGS__)
#define sk_info(...) sk_log(SK_LOG_INFO, __VA_ARGS__)
#define sk_debug(...) sk_log(SK_LOG_DEBUG, __VA_ARGS__)

/* APDU trace at SK_LOG_TRACE: "> 00 A4 04 00 06 D2 76 ..." / "< ... 90 00".
 * A command's data field is replaced with "<N bytes redacted>" when secret != 0 or when
 * sk_apdu_secrecy() says so; a response's data (everything but the trailing SW) when secret != 0. */
enum sk_apdu_dir { SK_APDU_CMD = 0, SK_APDU_RSP = 1 };
void sk_log_apdu(int dir, const uint8_t *p, size_t len, int secret);

/* Which parts of an exchange carry secrets, judged from the raw command APDU:
 * SK_REDACT_CMD: VERIFY (20), CHANGE REFERENCE DATA (24), RESET RETRY COUNTER (2C), PUT DATA odd
 *   (DB, key import), PUT DATA DA with P1P2 00D1/00D2/00D3/00D5/00F9 (SM keys, resetting code, AES
 *   key, KDF-DO), PSO:ENCIPHER (2A 86 80), OATH/ykhmac PUT/program (01) and SET CODE (03),
 *   DuressApplet SET_KEY (40) / SET_PIN (41) / ADMIN_AUTH (60), any CLA 0x90 (DESFire native,
 *   secure messaging; also CLA 80 chained).
 * SK_REDACT_RSP: PSO:DECIPHER (2A 80 86), ykhmac challenge-response (01 P1 30/38), OATH
 *   CALCULATE (A2), CALCULATE ALL / SEND REMAINING (A4/A5 P1 00 P2 00-01; not SELECT), CLA 0x90. */
#define SK_REDACT_CMD 0x1u
#define SK_REDACT_RSP 0x2u
unsigned sk_apdu_secrecy(const uint8_t *cmd, size_t len);

#endif
