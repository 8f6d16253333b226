/* test_config.c — config syntax, strictness and typed getters. */
#include <stdint.h>
#include <stdio.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "sk_err.h"
#include "test_common.h"

int main(void);

static char last_line[512];

static void sink(int level, const char *line, void *arg)
{
	snprintf(last_line, sizeof(last_line), "%s", line);
}

static int parse_str(const char *text, struct sk_config **c)
{
	last_line[0] = '\0';
	return sk_config_parse("test.conf", text, strlen(text), c);
}

static const char good[] =
	"# skinkey test\n"
	"log-level = debug\n"
	"\n"
	"   tap-timeout=30s   \r\n"
	"[presence]\n"
	"interval = 500ms\n"
	"enabled = Yes\n"
	"count = -42\n"
	"quoted = \"  a # b  \"\n"
	"empty =\n"
	"[vault]\n"
	"enabled = off\n";

static void test_good(void)
{
	struct sk_config *c = NULL;
	const char *s;
	uint64_t ms;
	long v;
	int b;

	CHECK_EQ(parse_str(good, &c), 0);
	CHECK(c != NULL);
	CHECK_EQ(sk_config_get_string(c, NULL, "log-level", "x", &s), 0);
	CHECK(strcmp(s, "debug") == 0);
	CHECK_EQ(sk_config_get_duration(c, "", "tap-timeout", 1, 0, UINT64_MAX, &ms), 0);
	CHECK_EQ(ms, 30000);
	CHECK_EQ(sk_config_get_duration(c, "presence", "interval", 1, 0, UINT64_MAX, &ms), 0);
	CHECK_EQ(ms, 500);
	CHECK_EQ(sk_config_get_bool(c, "presence", "enabled", 0, &b), 0);
	CHECK_EQ(b, 1);
	CHECK_EQ(sk_config_get_bool(c, "vault", "enabled", 1, &b), 0);
	CHECK_EQ(b, 0);
	CHECK_EQ(sk_config_get_int(c, "presence", "count", 0, -100, 100, &v), 0);
	CHECK_EQ(v, -42);
	CHECK_EQ(sk_config_get_int(c, "presence", "count", 7, 0, 100, &v), SK_ERR_CONFIG);
	CHECK_EQ(v, 7);
	CHECK(strstr(last_line, "test.conf:8") != NULL);
	CHECK_EQ(sk_config_get_string(c, "presence", "quoted", NULL, &s), 0);
	CHECK(strcmp(s, "  a # b  ") == 0);
	CHECK_EQ(sk_config_get_string(c, "presence", "empty", NULL, &s), 0);
	CHECK(s != NULL && s[0] == '\0');
	CHECK_EQ(sk_config_get_string(c, "presence", "log-level", "dflt", &s), 0);
	CHECK(strcmp(s, "dflt") == 0);
	CHECK_EQ(sk_config_get_int(c, NULL, "log-level", 3, 0, 10, &v), SK_ERR_CONFIG);
	CHECK(strstr(last_line, "test.conf:2") != NULL);
	CHECK_EQ(sk_config_get_bool(c, NULL, "log-level", 1, &b), SK_ERR_CONFIG);
	CHECK_EQ(sk_config_get_duration(c, NULL, "log-level", 5, 0, 10, &ms), SK_ERR_CONFIG);
	CHECK_EQ(ms, 5);
	CHECK_EQ(sk_config_get_duration(c, "presence", "interval", 5, 1000, 2000, &ms), SK_ERR_CONFIG);
	CHECK(sk_config_has(c, "vault", "enabled"));
	CHECK(!sk_config_has(c, NULL, "enabled"));
	{
		static const char *const known[] = { "log-level", "tap-timeout", "presence.*",
			"vault.enabled", NULL };
		static const char *const fewer[] = { "log-level", "presence.*", "vault.enabled",
			NULL };
		CHECK_EQ(sk_config_check_known(c, known), 0);
		CHECK_EQ(sk_config_check_known(c, fewer), SK_ERR_CONFIG);
		CHECK(strstr(last_line, "test.conf:4") != NULL);
	}
	sk_config_free(&c);
	CHECK(c == NULL);
}

static void test_bad(void)
{
	static const char *const bad[] = {
		"novalue\n", "= x\n", "bad key = 1\n", "[unterminated\n", "[]\n", "[bad name]\n",
		"a = \"x\n", "a = \"x\"y\"\n", "a = 1\na = 2\n", "k\xC3\xA9y = 1\n",
		"[s]\n=1\n",
	};
	struct sk_config *c = NULL;
	char longline[SK_CONFIG_MAX_LINE + 10];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK_EQ(parse_str(bad[i], &c), SK_ERR_CONFIG);
		CHECK(c == NULL);
		CHECK(strstr(last_line, "test.conf:") != NULL);
	}
	CHECK_EQ(parse_str("a = 1\n\n[x]\nb\n", &c), SK_ERR_CONFIG);
	CHECK(strstr(last_line, "test.conf:4:") != NULL);
	CHECK_EQ(sk_config_parse("t", "a = 1\0b", 7, &c), SK_ERR_CONFIG);
	memset(longline, 'a', sizeof(longline));
	memcpy(longline, "k = ", 4);
	longline[sizeof(longline) - 1] = '\0';
	CHECK_EQ(parse_str(longline, &c), SK_ERR_CONFIG);
	CHECK(strstr(last_line, "too long") != NULL);
	/* same key in two sections is fine */
	CHECK_EQ(parse_str("[a]\nk = 1\n[b]\nk = 2\n", &c), 0);
	sk_config_free(&c);
}

static void test_values(void)
{
	struct sk_config *c = NULL;
	uint64_t ms;
	long v;

	CHECK_EQ(parse_str("d1 = 5m\nd2 = 1h\nd3 = 2d\nd4 = 7\nd5 = 5x\nd6 = -1s\nd7 = s\n"
	    "d8 = 99999999999999999999s\ni1 = 12x\ni2 = 99999999999999999999\ni3 = +5\ni4 = \"\t5\"\n", &c), 0);
	CHECK_EQ(sk_config_get_duration(c, NULL, "d1", 0, 0, UINT64_MAX, &ms), 0);
	CHECK_EQ(ms, 300000);
	CHECK_EQ(sk_config_get_duration(c, NULL, "d2", 0, 0, UINT64_MAX, &ms), 0);
	CHECK_EQ(ms, 3600000);
	CHECK_EQ(sk_config_get_duration(c, NULL, "d3", 0, 0, UINT64_MAX, &ms), 0);
	CHECK_EQ(ms, 172800000);
	CHECK_EQ(sk_config_get_duration(c, NULL, "d4", 0, 0, UINT64_MAX, &ms), 0);
	CHECK_EQ(ms, 7000);
	CHECK_EQ(sk_config_get_duration(c, NULL, "d5", 0, 0, UINT64_MAX, &ms), SK_ERR_CONFIG);
	CHECK_EQ(sk_config_get_duration(c, NULL, "d6", 0, 0, UINT64_MAX, &ms), SK_ERR_CONFIG);
	CHECK_EQ(sk_config_get_duration(c, NULL, "d7", 0, 0, UINT64_MAX, &ms), SK_ERR_CONFIG);
	CHECK_EQ(sk_config_get_duration(c, NULL, "d8", 0, 0, UINT64_MAX, &ms), SK_ERR_CONFIG);
	CHECK_EQ(sk_config_get_int(c, NULL, "i1", 0, 0, 100, &v), SK_ERR_CONFIG);
	CHECK_EQ(sk_config_get_int(c, NULL, "i2", 0, 0, 100, &v), SK_ERR_CONFIG);
	CHECK_EQ(sk_config_get_int(c, NULL, "i3", 0, 0, 100, &v), SK_ERR_CONFIG);
	CHECK_EQ(sk_config_get_int(c, NULL, "i4", 0, 0, 100, &v), SK_ERR_CONFIG);
	sk_config_free(&c);
	/* a NULL config means defaults */
	CHECK_EQ(sk_config_get_int(NULL, NULL, "x", 9, 0, 10, &v), 0);
	CHECK_EQ(v, 9);
}

static void test_file(void)
{
	char path[] = "/tmp/sk-test-config-XXXXXX";
	struct sk_config *c = NULL;
	const char *s;
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	if (fd < 0)
		return;
	CHECK(write(fd, "[x]\nname = v\n", 13) == 13);
	close(fd);
	CHECK_EQ(sk_config_load(path, &c), 0);
	CHECK_EQ(sk_config_get_string(c, "x", "name", NULL, &s), 0);
	CHECK(s != NULL && strcmp(s, "v") == 0);
	sk_config_free(&c);
	unlink(path);
	CHECK_EQ(sk_config_load(path, &c), SK_ERR_NOT_FOUND);
	CHECK_EQ(sk_config_load("/", &c), SK_ERR_IO);
}

int main(void)
{
	sk_log_set_sink(sink, NULL);
	test_good();
	test_bad();
	test_values();
	test_file();
	return test_done("test_config");
}
