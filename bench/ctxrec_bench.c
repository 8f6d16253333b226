/* ctxrec_bench.c — the per-context record store's costs (bench/ctxrec_bench.sh prints them):
 * what an unlock adds (read the file, HKDF, open a 16 KiB AES-256-GCM record: ctxrec_file_read +
 * ctxrec_derive + ctxrec_unseal), what a seal costs (ctxrec_seal + the atomic rewrite with two
 * fsyncs: ctxrec_file_write), with median, p90 and p99 over N runs, wall time and CPU time.
 *   ctxrec-bench [N] [DIR]     (default 200, a fresh directory under /tmp) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/log.h"
#include "common/sk_err.h"
#include "ctxrec.h"

static double now_us(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static void figure(const char *what, double *v, int n, double cpu)
{
	qsort(v, (size_t)n, sizeof(*v), cmp);
	printf("%-34s n=%-5d median %8.1f us  p90 %8.1f us  p99 %8.1f us  cpu/op %7.1f us\n", what,
	    n, v[n / 2], v[n * 9 / 10], v[n * 99 / 100], cpu / n);
}

static void quiet(int level, const char *line, void *arg)
{
	(void)level; (void)line; (void)arg;
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 200;
	char dir[] = "/tmp/ctxrec-bench-XXXXXX", path[300];
	static uint8_t hdr[CTXREC_HDR_LEN], sealed[CTXREC_SIZE];
	uint8_t secret[32], key[CTXREC_KEY_LEN], filler[1024];
	struct ctxrec *rec = ctxrec_new(), *o = ctxrec_new();
	double *open_t, *seal_t, cpu, t;
	int r = 1;

	sk_log_set_sink(quiet, NULL);
	if (n < 10 || n > 100000 || rec == NULL || o == NULL)
		return 2;
	if (argc > 2)
		snprintf(path, sizeof(path), "%s/contexts.rec", argv[2]);
	else if (mkdtemp(dir) != NULL)
		snprintf(path, sizeof(path), "%s/contexts.rec", dir);
	else
		return 2;
	open_t = calloc((size_t)n, sizeof(double));
	seal_t = calloc((size_t)n, sizeof(double));
	memset(secret, 0x5a, sizeof(secret));
	memset(filler, 0xc3, sizeof(filler));
	if (open_t == NULL || seal_t == NULL || ctxrec_file_init(path) != 0 ||
	    ctxrec_file_read(path, 1, hdr, sealed) != 0 ||
	    ctxrec_derive(secret, 32, hdr + 32, 1, key) != 0)
		goto out;
	/* a record as a context leaves it: its AID, a label, about 6 KiB of cached public data */
	ctxrec_put(rec, "inst.aid", filler, 16);
	ctxrec_put(rec, "chip.label", (const uint8_t *)"work", 4);
	for (int i = 0; i < 6; i++) {
		char k[16];

		snprintf(k, sizeof(k), "c.opgp.%d", i);
		ctxrec_put(rec, k, filler, sizeof(filler));
	}
	cpu = now_us(CLOCK_PROCESS_CPUTIME_ID);
	for (int i = 0; i < n; i++) {
		t = now_us(CLOCK_MONOTONIC);
		if (ctxrec_seal(key, hdr, 1, rec, sealed) != 0 || ctxrec_file_write(path, 1, sealed) != 0)
			goto out;
		seal_t[i] = now_us(CLOCK_MONOTONIC) - t;
	}
	figure("seal + atomic write (2 fsyncs)", seal_t, n, now_us(CLOCK_PROCESS_CPUTIME_ID) - cpu);
	cpu = now_us(CLOCK_PROCESS_CPUTIME_ID);
	for (int i = 0; i < n; i++) {
		t = now_us(CLOCK_MONOTONIC);
		if (ctxrec_file_read(path, 1, hdr, sealed) != 0 ||
		    ctxrec_derive(secret, 32, hdr + 32, 1, key) != 0 ||
		    ctxrec_unseal(key, hdr, 1, sealed, o) != 0)
			goto out;
		open_t[i] = now_us(CLOCK_MONOTONIC) - t;
	}
	figure("read + HKDF + open (an unlock)", open_t, n, now_us(CLOCK_PROCESS_CPUTIME_ID) - cpu);
	/* a slot nobody wrote: the same work, the tag fails */
	cpu = now_us(CLOCK_PROCESS_CPUTIME_ID);
	for (int i = 0; i < n; i++) {
		t = now_us(CLOCK_MONOTONIC);
		if (ctxrec_file_read(path, 2, hdr, sealed) != 0 ||
		    ctxrec_derive(secret, 32, hdr + 32, 2, key) != 0 ||
		    ctxrec_unseal(key, hdr, 2, sealed, o) != SK_ERR_CRYPTO)
			goto out;
		open_t[i] = now_us(CLOCK_MONOTONIC) - t;
	}
	figure("read + HKDF + open (random slot)", open_t, n, now_us(CLOCK_PROCESS_CPUTIME_ID) - cpu);
	printf("file %d bytes, %d records of %d, record plaintext %d bytes, used %zu\n",
	    CTXREC_FILE_LEN, CTXREC_SLOTS, CTXREC_SIZE, CTXREC_PT_LEN, ctxrec_encoded_len(rec));
	r = 0;
out:
	if (r != 0)
		fprintf(stderr, "ctxrec-bench: a step failed\n");
	free(open_t);
	free(seal_t);
	ctxrec_free(&rec);
	ctxrec_free(&o);
	if (argc <= 2) {
		remove(path);
		remove(dir);
	}
	return r;
}
