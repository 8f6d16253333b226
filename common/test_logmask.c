/* test_logmask.c — a masked id never reaches the log sink, other text does; the oldest id goes
 * when the table is full; short ids are refused (they would match inside other words). */
#include <stdio.h>
#include <string.h>

#include "common/log.h"
#include "common/logmask.h"
#include "common/sk_err.h"

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK(%s)\n", __FILE__, __LINE__, #c); failures++; } } while (0)

static char last[1024];

static void sink(int level, const char *line, void *arg)
{
	(void)level; (void)arg;
	snprintf(last, sizeof(last), "%s", line);
}

int main(void)
{
	char id[32];

	sk_log_set_sink(sink, NULL);
	sk_logmask_install();
	sk_log(SK_LOG_ERROR, "chip fs-0005aabbccdd in reader");
	CHECK(strstr(last, "fs-0005aabbccdd") != NULL);
	CHECK(sk_logmask_add("fs-0005aabbccdd") == 0);
	CHECK(sk_logmask_add("fs-0005aabbccdd") == 0);   /* once */
	CHECK(sk_logmask_has("fs-0005aabbccdd") && !sk_logmask_has("fs-0005aabbccde"));
	sk_log(SK_LOG_ERROR, "chip fs-0005aabbccdd in reader, again fs-0005aabbccdd; fs-locked");
	CHECK(strstr(last, "fs-0005aabbccdd") == NULL);
	CHECK(strstr(last, "chip fs-context in reader, again fs-context; fs-locked") != NULL);
	CHECK(sk_logmask_add("fs-x") == SK_ERR_ARG);
	/* full: the oldest goes */
	for (int i = 0; i < SK_LOGMASK_MAX; i++) {
		snprintf(id, sizeof(id), "fs-00000000000%d", i);
		CHECK(sk_logmask_add(id) == 0);
	}
	CHECK(!sk_logmask_has("fs-0005aabbccdd") && sk_logmask_has("fs-000000000000"));
	sk_log(SK_LOG_ERROR, "fs-000000000007 fs-000000000003");
	CHECK(strstr(last, "fs-context fs-context") != NULL);
	sk_logmask_reset();
	CHECK(!sk_logmask_has("fs-000000000000"));
	if (failures)
		fprintf(stderr, "%d failures\n", failures);
	return failures != 0;
}
