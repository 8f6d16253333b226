/* audit_bench.c — the audit chain's library-level costs (bench/audit_bench.sh prints them):
 * append rate with synchronous=FULL (one transaction per row, and 64 rows per transaction as
 * skinkey-guard applies a batch), and verify rate over N rows, hashes only and with every seal.
 *   audit-bench [ROWS]      (default 200000)
 *   audit-bench --verify PATH [TIMES]   verify an existing audit.db TIMES times (profiling) */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit/audit.h"
#include "common/log.h"
#include "common/sk_err.h"

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now_s(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

/* Verification is CPU-bound: on a shared machine its CPU time is the figure, wall time beside. */
static void verify_figure(struct audit_log *l, const uint8_t *key, const char *what)
{
	struct audit_report rep;
	double w = now_s(), c = clock_s(CLOCK_PROCESS_CPUTIME_ID);

	if (audit_verify_full(l, key, &rep) != 0) {
		printf("verify %s: FAILED: %s\n", what, rep.why);
		return;
	}
	c = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c;
	w = now_s() - w;
	printf("verify %" PRIu64 " rows, %s: %.0f rows per CPU second (%.0f rows/s wall)\n",
	    rep.rows, what, (double)rep.rows / c, (double)rep.rows / w);
}

static const char details[] =
    "ms=1796381939167 door=gpg pid=4242 prog=skinkey-scd chip=fs-fffeedf466b1 op=sign "
    "object=3A8236599F7A7A67764F514FA56D15CEA86601D6 pin=81 "
    "sha256=9572026c4b15bbc8c1a1b2f3e4d5c6b7a8990011223344556677889900aabbcc counter=17 "
    "result=ok";

static int append_rows(struct audit_log *l, uint64_t n, int batch)
{
	for (uint64_t i = 0; i < n; i += (uint64_t)batch) {
		if (batch > 1 && audit_begin(l) != 0)
			return -1;
		for (int k = 0; k < batch && i + (uint64_t)k < n; k++)
			if (audit_append(l, 1796381939, "gpg:skinkey-scd[4242]", "key-op:sign", details,
			    NULL) != 0)
				return -1;
		if (batch > 1 && audit_commit(l) != 0)
			return -1;
	}
	return 0;
}

static void rm_db(const char *dir)
{
	char p[512];
	const char *sfx[] = { "", "-wal", "-shm" };

	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/audit.db%s", dir, sfx[i]);
		unlink(p);
	}
}

int main(int argc, char **argv)
{
	uint64_t rows = argc > 1 ? strtoull(argv[1], NULL, 10) : 200000, single = 200;
	char dir[] = "/tmp/sk-audit-bench-XXXXXX", path[512];
	uint8_t key[AUDIT_KEY_LEN];
	struct audit_log *l = NULL;
	double t;

	sk_log_set_level(SK_LOG_ERROR);
	if (argc > 2 && strcmp(argv[1], "--verify") == 0) {
		long times = argc > 3 ? strtol(argv[3], NULL, 10) : 1;
		if (audit_open_ro(argv[2], &l) != 0)
			return 1;
		for (long i = 0; i < times; i++)
			verify_figure(l, NULL, "hashes only");
		audit_close(&l);
		return 0;
	}
	if (mkdtemp(dir) == NULL || audit_open(dir, &l) != 0 || audit_seal_start(l) != 0 ||
	    audit_take_recovery(l, key) != 0)
		return 1;
	t = now_s();
	if (append_rows(l, single, 1) != 0)
		return 1;
	t = now_s() - t;
	printf("append, 1 row per transaction (synchronous=FULL): %.0f rows/s (%.2f ms/row)\n",
	    (double)single / t, t * 1000 / (double)single);
	t = now_s();
	if (append_rows(l, rows - single, 64) != 0)
		return 1;
	t = now_s() - t;
	printf("append, 64 rows per transaction (a guard batch): %.0f rows/s\n",
	    (double)(rows - single) / t);
	audit_close(&l);
	snprintf(path, sizeof(path), "%s/audit.db", dir);
	if (audit_open_ro(path, &l) != 0)
		return 1;
	verify_figure(l, NULL, "hashes only");
	verify_figure(l, key, "hashes and seals");
	audit_close(&l);
	if (getenv("AUDIT_BENCH_KEEP") != NULL) {
		printf("kept %s\n", path);
		return 0;
	}
	rm_db(dir);
	rmdir(dir);
	return 0;
}
