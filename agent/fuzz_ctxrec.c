/* fuzz_ctxrec.c — a context record's plaintext (what a record opened with a context's key
 * holds: written by skinkeyd, but a disk is not trusted) through ctxrec_parse; what parses
 * encodes and parses back to the same entries. The file header check gets the same bytes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "ctxrec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void quiet(int level, const char *line, void *arg)
{
	(void)level; (void)line; (void)arg;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t pt[CTXREC_PT_LEN], pt2[CTXREC_PT_LEN];
	struct ctxrec *a = ctxrec_new(), *b = ctxrec_new();

	sk_log_set_sink(quiet, NULL);
	(void)ctxrec_file_check(data, size);
	if (a == NULL || b == NULL)
		goto out;
	if (ctxrec_parse(data, size, a) != 0)
		goto out;
	if (ctxrec_encode(a, pt) != 0 || ctxrec_parse(pt, sizeof(pt), b) != 0 ||
	    ctxrec_count(a) != ctxrec_count(b) || ctxrec_encode(b, pt2) != 0 ||
	    memcmp(pt, pt2, sizeof(pt)) != 0)
		abort();   /* what parsed must round-trip */
	(void)ctxrec_del_prefix(b, "c");
out:
	ctxrec_free(&a);
	ctxrec_free(&b);
	return 0;
}
