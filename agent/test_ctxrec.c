/* test_ctxrec.c — the per-context record store: entries and their encoding, sealing per slot,
 * the file (made random, checked, one slot replaced leaving the others byte for byte), a writer
 * SIGKILLed mid-write losing nothing. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/log.h"
#include "common/sk_err.h"
#include "ctxrec.h"

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK(%s)\n", __FILE__, __LINE__, #c); failures++; } } while (0)

static void quiet(int level, const char *line, void *arg)
{
	(void)level; (void)line; (void)arg;
}

static uint8_t *slurp(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b = malloc(CTXREC_FILE_LEN + 16);

	*n = 0;
	if (f != NULL && b != NULL)
		*n = fread(b, 1, CTXREC_FILE_LEN + 16, f);
	if (f != NULL)
		fclose(f);
	return b;
}

static void test_entries(void)
{
	struct ctxrec *a = ctxrec_new(), *b = ctxrec_new();
	static uint8_t pt[CTXREC_PT_LEN], big[CTXREC_PT_LEN];
	const uint8_t *v;
	size_t n;

	CHECK(a != NULL && b != NULL);
	CHECK(ctxrec_put(a, "inst.aid", (const uint8_t *)"0123456789abcdef", 16) == 0);
	CHECK(ctxrec_put(a, "cache.opgp.grip.1", (const uint8_t *)"G1", 2) == 0);
	CHECK(ctxrec_put(a, "cache.opgp.grip.2", (const uint8_t *)"G2", 2) == 0);
	CHECK(ctxrec_put(a, "empty", NULL, 0) == 0);
	CHECK(ctxrec_put(a, "cache.opgp.grip.1", (const uint8_t *)"G1b", 3) == 0);   /* replaced */
	CHECK(ctxrec_count(a) == 4);
	CHECK(ctxrec_get(a, "cache.opgp.grip.1", &v, &n) == 0 && n == 3 && memcmp(v, "G1b", 3) == 0);
	CHECK(ctxrec_get(a, "nope", &v, &n) == SK_ERR_NOT_FOUND && v == NULL && n == 0);
	CHECK(ctxrec_put(a, "", (const uint8_t *)"x", 1) == SK_ERR_ARG);
	CHECK(ctxrec_put(a, "has space", (const uint8_t *)"x", 1) == SK_ERR_ARG);
	CHECK(ctxrec_put(a, "k", big, sizeof(big)) == SK_ERR_TOOBIG);
	CHECK(ctxrec_count(a) == 4);   /* a refused put changes nothing */
	CHECK(ctxrec_put(a, "k", big, CTXREC_PT_LEN - ctxrec_encoded_len(a) - 4) == 0);
	CHECK(ctxrec_encoded_len(a) == CTXREC_PT_LEN);   /* exactly full */
	CHECK(ctxrec_put(a, "z", NULL, 0) == SK_ERR_TOOBIG);
	CHECK(ctxrec_encode(a, pt) == 0);
	CHECK(ctxrec_parse(pt, sizeof(pt), b) == 0 && ctxrec_count(b) == 5);
	CHECK(ctxrec_get(b, "inst.aid", &v, &n) == 0 && n == 16 && memcmp(v, "0123456789abcdef", 16) == 0);
	CHECK(ctxrec_get(b, "empty", &v, &n) == 0 && n == 0);
	CHECK(ctxrec_del_prefix(b, "cache.") == 2 && ctxrec_count(b) == 3);
	CHECK(ctxrec_get(b, "cache.opgp.grip.2", &v, &n) == SK_ERR_NOT_FOUND);
	CHECK(ctxrec_get(b, "k", &v, &n) == 0);
	CHECK(ctxrec_put(b, "v.1", (const uint8_t *)"a", 1) == 0 &&
	    ctxrec_put(b, "v.10", (const uint8_t *)"b", 1) == 0);
	CHECK(ctxrec_del(b, "v.1") == 0 && ctxrec_del(b, "v.1") == SK_ERR_NOT_FOUND);
	CHECK(ctxrec_get(b, "v.10", &v, &n) == 0 && n == 1 && v[0] == 'b');
	CHECK(ctxrec_del_prefix(b, "v.") == 1);
	/* malformed plaintexts: refused, the record untouched */
	{
		static const uint8_t noend[] = { 1, 1, 'a', 0, 1, 'x' };
		static const uint8_t dup[] = { 1, 1, 'a', 0, 0, 1, 'a', 0, 0, 0 };
		static const uint8_t trunc[] = { 1, 1, 'a', 0, 9, 'x', 0 };
		static const uint8_t ctl[] = { 1, 1, '\n', 0, 0, 0 };
		static const uint8_t v2[] = { 2, 0 };
		static const uint8_t ok[] = { 1, 1, 'a', 0, 1, 'x', 0, 0xff, 0xff };

		CHECK(ctxrec_parse(noend, sizeof(noend), b) == SK_ERR_FORMAT);
		CHECK(ctxrec_parse(dup, sizeof(dup), b) == SK_ERR_FORMAT);
		CHECK(ctxrec_parse(trunc, sizeof(trunc), b) == SK_ERR_FORMAT);
		CHECK(ctxrec_parse(ctl, sizeof(ctl), b) == SK_ERR_FORMAT);
		CHECK(ctxrec_parse(v2, sizeof(v2), b) == SK_ERR_FORMAT);
		CHECK(ctxrec_count(b) == 3);
		CHECK(ctxrec_parse(ok, sizeof(ok), b) == 0 && ctxrec_count(b) == 1);   /* after the end: ignored */
	}
	ctxrec_free(&a);
	ctxrec_free(&b);
	CHECK(a == NULL);
	ctxrec_free(&a);
}

/* One context's secret per slot: its record opens with its key only, in its slot only. */
static void test_file(const char *dir)
{
	static uint8_t hdr[CTXREC_HDR_LEN], rec[CTXREC_SIZE], sealed[CTXREC_SIZE];
	uint8_t key[CTXREC_SLOTS][CTXREC_KEY_LEN], secret[CTXREC_SLOTS][32], *before, *after;
	struct ctxrec *r = ctxrec_new(), *o = ctxrec_new();
	const uint8_t *v;
	char path[256], junk[300];
	size_t nb, na;
	struct stat sb;
	FILE *f;

	snprintf(path, sizeof(path), "%s/contexts.rec", dir);
	CHECK(ctxrec_file_read(path, 0, hdr, rec) == SK_ERR_NOT_FOUND);
	CHECK(ctxrec_file_init(path) == 0);
	CHECK(stat(path, &sb) == 0 && sb.st_size == CTXREC_FILE_LEN && (sb.st_mode & 077) == 0);
	before = slurp(path, &nb);
	CHECK(nb == CTXREC_FILE_LEN && ctxrec_file_check(before, nb) == 0);
	CHECK(ctxrec_file_init(path) == 0);   /* there: kept as it is */
	after = slurp(path, &na);
	CHECK(na == nb && memcmp(before, after, nb) == 0);
	free(after);
	for (int s = 0; s < CTXREC_SLOTS; s++) {
		memset(secret[s], 0x40 + s, sizeof(secret[s]));
		CHECK(ctxrec_file_read(path, s, hdr, rec) == 0);
		CHECK(ctxrec_derive(secret[s], 32, hdr + 32, s, key[s]) == 0);
		/* a fresh file: random records that open with no context's key */
		CHECK(ctxrec_unseal(key[s], hdr, s, rec, o) == SK_ERR_CRYPTO);
	}
	CHECK(memcmp(key[0], key[1], CTXREC_KEY_LEN) != 0);
	CHECK(ctxrec_derive(secret[0], 32, hdr + 32, 3, key[0]) == SK_ERR_ARG);
	/* write slot 1: slots 0 and 2 and the header stay byte for byte */
	CHECK(ctxrec_put(r, "inst.aid", (const uint8_t *)"decoy-instance!!", 16) == 0);
	CHECK(ctxrec_seal(key[1], hdr, 1, r, sealed) == 0);
	CHECK(ctxrec_file_write(path, 1, sealed) == 0);
	after = slurp(path, &na);
	CHECK(na == nb && memcmp(before, after, CTXREC_HDR_LEN + CTXREC_SIZE) == 0);
	CHECK(memcmp(before + CTXREC_HDR_LEN + 2 * CTXREC_SIZE, after + CTXREC_HDR_LEN + 2 * CTXREC_SIZE,
	    CTXREC_SIZE) == 0);
	CHECK(memcmp(before + CTXREC_HDR_LEN + CTXREC_SIZE, after + CTXREC_HDR_LEN + CTXREC_SIZE,
	    CTXREC_SIZE) != 0);
	free(after);
	CHECK(ctxrec_file_read(path, 1, hdr, rec) == 0);
	CHECK(ctxrec_unseal(key[1], hdr, 1, rec, o) == 0 && ctxrec_get(o, "inst.aid", &v, &na) == 0 &&
	    na == 16 && memcmp(v, "decoy-instance!!", 16) == 0);
	CHECK(ctxrec_unseal(key[0], hdr, 1, rec, o) == SK_ERR_CRYPTO);   /* another context's key */
	CHECK(ctxrec_unseal(key[1], hdr, 0, rec, o) == SK_ERR_CRYPTO);   /* moved to another slot */
	rec[CTXREC_NONCE_LEN + 5] ^= 1;
	CHECK(ctxrec_unseal(key[1], hdr, 1, rec, o) == SK_ERR_CRYPTO);   /* altered */
	rec[CTXREC_NONCE_LEN + 5] ^= 1;
	hdr[40] ^= 1;
	CHECK(ctxrec_unseal(key[1], hdr, 1, rec, o) == SK_ERR_CRYPTO);   /* another install's salt */
	hdr[40] ^= 1;
	/* the same record sealed twice differs (fresh nonce), same length */
	CHECK(ctxrec_seal(key[1], hdr, 1, r, rec) == 0 && memcmp(rec, sealed, CTXREC_SIZE) != 0);
	/* a leftover temporary file of a killed writer does not stop the next write */
	snprintf(junk, sizeof(junk), "%s.tmp", path);
	if ((f = fopen(junk, "wb")) != NULL) {
		fputs("half", f);
		fclose(f);
	}
	CHECK(ctxrec_file_write(path, 1, rec) == 0);
	CHECK(access(junk, F_OK) != 0);
	/* a file that is not ours: refused, never overwritten */
	if ((f = fopen(path, "r+b")) != NULL) {
		fputc('X', f);
		fclose(f);
	}
	CHECK(ctxrec_file_init(path) == SK_ERR_FORMAT);
	CHECK(ctxrec_file_write(path, 0, rec) == SK_ERR_FORMAT);
	after = slurp(path, &na);
	CHECK(na == nb && after[0] == 'X');
	free(after);
	if (truncate(path, 100) == 0)
		CHECK(ctxrec_file_read(path, 0, hdr, rec) == SK_ERR_FORMAT);
	free(before);
	ctxrec_free(&r);
	ctxrec_free(&o);
}

/* A writer SIGKILLed at an arbitrary point of its writes: the file is always whole and its
 * slot opens, holding one of the values written. */
static void test_killed_writer(const char *dir)
{
	static uint8_t hdr[CTXREC_HDR_LEN], rec[CTXREC_SIZE];
	uint8_t key[CTXREC_KEY_LEN], secret[32];
	char path[256];
	int rounds = 0, opened = 0;

	memset(secret, 0x77, sizeof(secret));
	snprintf(path, sizeof(path), "%s/killed.rec", dir);
	CHECK(ctxrec_file_init(path) == 0);
	CHECK(ctxrec_file_read(path, 2, hdr, rec) == 0);
	CHECK(ctxrec_derive(secret, 32, hdr + 32, 2, key) == 0);
	for (rounds = 0; rounds < 12; rounds++) {
		int p[2], st;
		uint32_t done = 0;
		pid_t pid;

		if (pipe(p) != 0)
			break;
		if ((pid = fork()) == 0) {
			struct ctxrec *r = ctxrec_new();
			static uint8_t out[CTXREC_SIZE];

			close(p[0]);
			for (uint32_t i = 1;; i++) {
				uint8_t be[4] = { (uint8_t)(i >> 24), (uint8_t)(i >> 16), (uint8_t)(i >> 8),
					(uint8_t)i };

				if (r == NULL || ctxrec_put(r, "n", be, 4) != 0 ||
				    ctxrec_seal(key, hdr, 2, r, out) != 0 ||
				    ctxrec_file_write(path, 2, out) != 0)
					_exit(3);
				if (write(p[1], &i, sizeof(i)) != (ssize_t)sizeof(i))
					_exit(4);
			}
		}
		close(p[1]);
		/* kill it after a few writes, at whatever point of the next one it is */
		for (int k = 0; k <= rounds % 4; k++)
			if (read(p[0], &done, sizeof(done)) != (ssize_t)sizeof(done))
				break;
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		close(p[0]);
		CHECK(WIFSIGNALED(st));
		{
			struct ctxrec *o = ctxrec_new();
			const uint8_t *v;
			size_t n;

			CHECK(ctxrec_file_read(path, 2, hdr, rec) == 0);
			if (o != NULL && ctxrec_unseal(key, hdr, 2, rec, o) == 0 &&
			    ctxrec_get(o, "n", &v, &n) == 0 && n == 4) {
				uint32_t got = (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 |
				    (uint32_t)v[2] << 8 | v[3];
				/* what it reported done is there, or the write after it */
				CHECK(got == done || got == done + 1);
				opened++;
			}
			ctxrec_free(&o);
		}
	}
	CHECK(opened == rounds && rounds == 12);
	printf("killed writer: %d rounds, the file whole and its slot open after every kill\n", opened);
}

int main(void)
{
	char dir[] = "/tmp/skd-ctxrec-XXXXXX", cmd[64];

	sk_log_set_sink(quiet, NULL);
	if (mkdtemp(dir) == NULL)
		return 1;
	test_entries();
	test_file(dir);
	test_killed_writer(dir);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	return failures ? 1 : 0;
}
