/* config.h — strict `key = value` configuration files.
 *
 *   # comment (whole lines only)
 *   log-level = debug
 *   [presence]
 *   interval = 2s
 *   value = "quoted keeps # and surrounding spaces"
 *
 * Keys and section names: [A-Za-z0-9_.:-]+. Anything else (a line without '=', a bad name, an
 * unterminated quote, a duplicate key in one section, a line over SK_CONFIG_MAX_LINE, a file over
 * SK_CONFIG_MAX_FILE, a NUL byte) is an error logged as "file:line: why" and SK_ERR_CONFIG.
 * Keys before any [section] are in section NULL (or ""). Getters treat a NULL config as empty, so
 * a missing file simply means defaults. */
#ifndef SK_CONFIG_H
#define SK_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#define SK_CONFIG_MAX_LINE 1024
#define SK_CONFIG_MAX_FILE (256 * 1024)
#define SK_CONFIG_MAX_ENTRIES 4096

struct sk_config;

/* 0, SK_ERR_NOT_FOUND (no such file), SK_ERR_IO, SK_ERR_TOOBIG, SK_ERR_CONFIG, SK_ERR_NOMEM. */
int sk_config_load(const char *path, struct sk_config **out);
/* name is used in messages ("file:line"). */
int sk_config_parse(const char *name, const char *text, size_t len, struct sk_config **out);
void sk_config_free(struct sk_config **c);

/* Typed getters: when the key is absent, *out = def and 0 is returned. When present but invalid,
 * "file:line: why" is logged and SK_ERR_CONFIG returned (*out = def). */
int sk_config_get_string(const struct sk_config *c, const char *section, const char *key,
    const char *def, const char **out);   /* *out valid while c lives */
int sk_config_get_int(const struct sk_config *c, const char *section, const char *key,
    long def, long min, long max, long *out);
/* yes/no/true/false/on/off/1/0 (case-insensitive). */
int sk_config_get_bool(const struct sk_config *c, const char *section, const char *key,
    int def, int *out);
/* "500ms", "30s", "5m", "1h", "1d"; a bare number is seconds. Result in milliseconds,
 * checked against [min_ms, max_ms]. */
int sk_config_get_duration(const struct sk_config *c, const char *section, const char *key,
    uint64_t def_ms, uint64_t min_ms, uint64_t max_ms, uint64_t *out_ms);
/* 1 when the key is present, else 0. */
int sk_config_has(const struct sk_config *c, const char *section, const char *key);

/* Visits every entry in file order; a non-zero return from fn stops and is returned. */
typedef int (*sk_config_visit_fn)(const char *section, const char *key, const char *value,
    unsigned line, void *arg);
int sk_config_foreach(const struct sk_config *c, sk_config_visit_fn fn, void *arg);
/* Strictness for callers: every key must be in known, a NULL-terminated list of "key" (no
 * section) or "section.key" or "section.*". Unknown keys are logged with file:line;
 * returns SK_ERR_CONFIG if there was any. */
int sk_config_check_known(const struct sk_config *c, const char *const *known);

#endif
