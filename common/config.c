/* config.c — strict `key = value` files with [sections] and typed getters. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "sk_err.h"

struct config_entry {
	char *section;   /* NULL before any [section] */
	char *key;
	char *value;
	unsigned line;
};

struct sk_config {
	char *name;
	struct config_entry *e;
	size_t n, alloc;
};

void sk_config_free(struct sk_config **cp)
{
	struct sk_config *c;
	size_t i;

	if (cp == NULL || (c = *cp) == NULL)
		return;
	for (i = 0; i < c->n; i++) {
		free(c->e[i].section);
		free(c->e[i].key);
		free(c->e[i].value);
	}
	free(c->e);
	free(c->name);
	free(c);
	*cp = NULL;
}

static int name_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
	    ch == '_' || ch == '.' || ch == ':' || ch == '-';
}

static int valid_name(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!name_char(s[i]))
			return 0;
	return 1;
}

static int same_section(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return (a == NULL || *a == '\0') && (b == NULL || *b == '\0');
	return strcmp(a, b) == 0;
}

static const struct config_entry *config_find(const struct sk_config *c, const char *section,
    const char *key)
{
	size_t i;

	if (c == NULL)
		return NULL;
	for (i = 0; i < c->n; i++)
		if (same_section(c->e[i].section, section) && strcmp(c->e[i].key, key) == 0)
			return &c->e[i];
	return NULL;
}

/* Parser state for one file. */
struct parse {
	struct sk_config *c;
	char *section;
	unsigned line;
};

static int parse_error(const struct parse *ps, const char *why)
{
	sk_log(SK_LOG_ERROR, "%s:%u: %s", ps->c->name, ps->line, why);
	return SK_ERR_CONFIG;
}

static const char *skip_ws(const char *s, const char *end)
{
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	return s;
}

static const char *trim_end(const char *s, const char *end)
{
	while (end > s && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '\r'))
		end--;
	return end;
}

static int parse_section(struct parse *ps, const char *s, const char *end)
{
	const char *a = skip_ws(s + 1, end), *b;

	if (end - s < 2 || end[-1] != ']')
		return parse_error(ps, "section header must end with ']'");
	b = trim_end(a, end - 1);
	if (!valid_name(a, (size_t)(b - a)))
		return parse_error(ps, "bad section name (allowed: A-Z a-z 0-9 _ . : -)");
	free(ps->section);
	if ((ps->section = strndup(a, (size_t)(b - a))) == NULL)
		return SK_ERR_NOMEM;
	return 0;
}

/* Value: the rest of the line, trimmed; "..." keeps spaces and '#', with no escapes. */
static int parse_value(struct parse *ps, const char *a, const char *b, char **out)
{
	a = skip_ws(a, b);
	if (a < b && *a == '"') {
		if (b - a < 2 || b[-1] != '"' || memchr(a + 1, '"', (size_t)(b - a - 2)) != NULL)
			return parse_error(ps, "unterminated or misplaced quote in value");
		a++;
		b--;
	}
	if ((*out = strndup(a, (size_t)(b - a))) == NULL)
		return SK_ERR_NOMEM;
	return 0;
}

static int add_entry(struct parse *ps, char *key, char *value)
{
	struct sk_config *c = ps->c;
	struct config_entry *e;

	if (config_find(c, ps->section, key) != NULL)
		return parse_error(ps, "duplicate key");
	if (c->n >= SK_CONFIG_MAX_ENTRIES)
		return parse_error(ps, "too many entries");
	if (c->n == c->alloc) {
		size_t na = c->alloc == 0 ? 16 : c->alloc * 2;
		if ((e = reallocarray(c->e, na, sizeof(*e))) == NULL)
			return SK_ERR_NOMEM;
		c->e = e;
		c->alloc = na;
	}
	e = &c->e[c->n];
	e->section = NULL;
	if (ps->section != NULL && (e->section = strdup(ps->section)) == NULL)
		return SK_ERR_NOMEM;
	e->key = key;
	e->value = value;
	e->line = ps->line;
	c->n++;
	return 0;
}

static int parse_assignment(struct parse *ps, const char *s, const char *end)
{
	const char *eq = memchr(s, '=', (size_t)(end - s)), *k;
	char *key = NULL, *value = NULL;
	int r;

	if (eq == NULL)
		return parse_error(ps, "expected 'key = value', '[section]' or '# comment'");
	k = trim_end(s, eq);
	if (!valid_name(s, (size_t)(k - s)))
		return parse_error(ps, "bad key name (allowed: A-Z a-z 0-9 _ . : -)");
	if ((key = strndup(s, (size_t)(k - s))) == NULL)
		return SK_ERR_NOMEM;
	if ((r = parse_value(ps, eq + 1, end, &value)) != 0 || (r = add_entry(ps, key, value)) != 0) {
		free(key);
		free(value);
	}
	return r;
}

static int parse_line(struct parse *ps, const char *s, const char *end)
{
	end = trim_end(s, end);
	s = skip_ws(s, end);
	if (s == end || *s == '#')
		return 0;
	if (*s == '[')
		return parse_section(ps, s, end);
	return parse_assignment(ps, s, end);
}

int sk_config_parse(const char *name, const char *text, size_t len, struct sk_config **out)
{
	struct parse ps = { NULL, NULL, 0 };
	const char *p = text, *end = text + len, *nl;
	int r = SK_ERR_NOMEM;

	*out = NULL;
	if ((ps.c = calloc(1, sizeof(*ps.c))) == NULL ||
	    (ps.c->name = strdup(name != NULL ? name : "config")) == NULL)
		goto out;
	r = SK_ERR_CONFIG;
	if (len > SK_CONFIG_MAX_FILE) {
		sk_log(SK_LOG_ERROR, "%s: file larger than %d bytes", ps.c->name, SK_CONFIG_MAX_FILE);
		r = SK_ERR_TOOBIG;
		goto out;
	}
	if (len > 0 && memchr(text, '\0', len) != NULL) {
		sk_log(SK_LOG_ERROR, "%s: contains a NUL byte", ps.c->name);
		goto out;
	}
	while (p < end) {
		ps.line++;
		if ((nl = memchr(p, '\n', (size_t)(end - p))) == NULL)
			nl = end;
		if (nl - p > SK_CONFIG_MAX_LINE) {
			r = parse_error(&ps, "line too long");
			goto out;
		}
		if ((r = parse_line(&ps, p, nl)) != 0)
			goto out;
		p = nl < end ? nl + 1 : end;
	}
	*out = ps.c;
	ps.c = NULL;
	r = 0;
out:
	free(ps.section);
	sk_config_free(&ps.c);
	return r;
}

static int read_file(const char *path, char **text, size_t *len)
{
	struct stat st;
	ssize_t got;
	size_t n = 0;
	int fd, r = SK_ERR_IO;

	*text = NULL;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return SK_ERR_NOT_FOUND;
		sk_log(SK_LOG_ERROR, "%s: cannot open: %s", path, strerror(errno));
		return SK_ERR_IO;
	}
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		sk_log(SK_LOG_ERROR, "%s: not a regular file", path);
		goto out;
	}
	if (st.st_size > SK_CONFIG_MAX_FILE) {
		sk_log(SK_LOG_ERROR, "%s: file larger than %d bytes", path, SK_CONFIG_MAX_FILE);
		r = SK_ERR_TOOBIG;
		goto out;
	}
	if ((*text = malloc(SK_CONFIG_MAX_FILE + 1)) == NULL) {
		r = SK_ERR_NOMEM;
		goto out;
	}
	while ((got = read(fd, *text + n, SK_CONFIG_MAX_FILE + 1 - n)) > 0 &&
	    (n += (size_t)got) <= SK_CONFIG_MAX_FILE)
		;
	if (got < 0 || n > SK_CONFIG_MAX_FILE) {
		sk_log(SK_LOG_ERROR, "%s: read failed or file grew", path);
		r = got < 0 ? SK_ERR_IO : SK_ERR_TOOBIG;
		goto out;
	}
	*len = n;
	r = 0;
out:
	if (r != 0) {
		free(*text);
		*text = NULL;
	}
	close(fd);
	return r;
}

int sk_config_load(const char *path, struct sk_config **out)
{
	char *text = NULL;
	size_t len = 0;
	int r;

	*out = NULL;
	if ((r = read_file(path, &text, &len)) != 0)
		return r;
	r = sk_config_parse(path, text, len, out);
	free(text);
	return r;
}

int sk_config_has(const struct sk_config *c, const char *section, const char *key)
{
	return config_find(c, section, key) != NULL;
}

static int value_error(const struct sk_config *c, const struct config_entry *e, const char *why)
{
	sk_log(SK_LOG_ERROR, "%s:%u: %s%s%s: %s", c->name, e->line,
	    e->section != NULL ? e->section : "", e->section != NULL ? "." : "", e->key, why);
	return SK_ERR_CONFIG;
}

int sk_config_get_string(const struct sk_config *c, const char *section, const char *key,
    const char *def, const char **out)
{
	const struct config_entry *e = config_find(c, section, key);

	*out = e != NULL ? e->value : def;
	return 0;
}

/* Parses a signed decimal number filling the whole string. */
static int parse_long(const char *s, long *v)
{
	char *end;

	if (*s != '-' && (*s < '0' || *s > '9'))
		return -1;
	errno = 0;
	*v = strtol(s, &end, 10);
	return errno != 0 || *end != '\0' ? -1 : 0;
}

int sk_config_get_int(const struct sk_config *c, const char *section, const char *key,
    long def, long min, long max, long *out)
{
	const struct config_entry *e = config_find(c, section, key);
	long v;

	*out = def;
	if (e == NULL)
		return 0;
	if (parse_long(e->value, &v) != 0)
		return value_error(c, e, "not an integer");
	if (v < min || v > max) {
		sk_log(SK_LOG_ERROR, "%s:%u: %s out of range [%ld, %ld]", c->name, e->line, e->key,
		    min, max);
		return SK_ERR_CONFIG;
	}
	*out = v;
	return 0;
}

int sk_config_get_bool(const struct sk_config *c, const char *section, const char *key,
    int def, int *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	const struct config_entry *e = config_find(c, section, key);
	size_t i;

	*out = def;
	if (e == NULL)
		return 0;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(e->value, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(e->value, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return value_error(c, e, "not a boolean (yes/no/true/false/on/off/1/0)");
}

/* "<digits><unit>" with unit ms, s, m, h, d or none (seconds) → milliseconds. */
static int parse_duration(const char *s, uint64_t *ms)
{
	static const struct { const char *u; uint64_t mul; } units[] = {
		{ "", 1000 }, { "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 },
		{ "d", 86400000 },
	};
	uint64_t v = 0;
	size_t i;

	if (*s < '0' || *s > '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (UINT64_MAX - 9) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(s, units[i].u) != 0)
			continue;
		if (v > UINT64_MAX / units[i].mul)
			return -1;
		*ms = v * units[i].mul;
		return 0;
	}
	return -1;
}

int sk_config_get_duration(const struct sk_config *c, const char *section, const char *key,
    uint64_t def_ms, uint64_t min_ms, uint64_t max_ms, uint64_t *out_ms)
{
	const struct config_entry *e = config_find(c, section, key);
	uint64_t v;

	*out_ms = def_ms;
	if (e == NULL)
		return 0;
	if (parse_duration(e->value, &v) != 0)
		return value_error(c, e, "not a duration (e.g. 500ms, 30s, 5m, 1h, 1d)");
	if (v < min_ms || v > max_ms)
		return value_error(c, e, "duration out of range");
	*out_ms = v;
	return 0;
}

int sk_config_foreach(const struct sk_config *c, sk_config_visit_fn fn, void *arg)
{
	size_t i;
	int r;

	if (c == NULL)
		return 0;
	for (i = 0; i < c->n; i++)
		if ((r = fn(c->e[i].section, c->e[i].key, c->e[i].value, c->e[i].line, arg)) != 0)
			return r;
	return 0;
}

/* Does "known" (key, section.key or section.*) cover e? */
static int known_match(const char *known, const struct config_entry *e)
{
	size_t sl;

	if (e->section == NULL || e->section[0] == '\0')
		return strcmp(known, e->key) == 0;
	sl = strlen(e->section);
	if (strncmp(known, e->section, sl) != 0 || known[sl] != '.')
		return 0;
	return strcmp(known + sl + 1, "*") == 0 || strcmp(known + sl + 1, e->key) == 0;
}

int sk_config_check_known(const struct sk_config *c, const char *const *known)
{
	size_t i, k;
	int r = 0;

	if (c == NULL)
		return 0;
	for (i = 0; i < c->n; i++) {
		for (k = 0; known[k] != NULL && !known_match(known[k], &c->e[i]); k++)
			;
		if (known[k] == NULL)
			r = value_error(c, &c->e[i], "unknown key");
	}
	return r;
}
