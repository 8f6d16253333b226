/* test_ctxrec_skd.c — skinkeyd's use of the per-context records: between SKD_EV_CONTEXT start
 * and end, the context chip's row, label and cache go to its record and never to state.db;
 * they come back at the next start with the same secret only; the instance AID is kept per
 * context without touching the other slots. */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/log.h"
#include "common/sk_err.h"
#include "ctxrec.h"
#include "event.h"
#include "skd_int.h"

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK(%s)\n", __FILE__, __LINE__, #c); failures++; } } while (0)

static void quiet(int level, const char *line, void *arg)
{
	(void)level; (void)line; (void)arg;
}

static void context(const char *chip, int ctx, const uint8_t *secret)
{
	struct skd_event ev = { .kind = SKD_EV_CONTEXT, .chip = chip, .context = ctx,
		.ctx_secret = secret, .ctx_secret_len = secret != NULL ? 32 : 0, .counter = -1,
		.retries = -1 };

	CHECK(skd_event_publish(&ev) == 0);
}

/* rows of state.db that name chip, read with a connection of our own */
static int rows_naming(const char *db, const char *chip)
{
	sqlite3 *h = NULL;
	sqlite3_stmt *st = NULL;
	int n = -1;

	if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(h, "SELECT (SELECT count(*) FROM chips WHERE id = ?1) + "
	    "(SELECT count(*) FROM cache WHERE chip = ?1)", -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_text(st, 1, chip, -1, SQLITE_STATIC);
		if (sqlite3_step(st) == SQLITE_ROW)
			n = sqlite3_column_int(st, 0);
	}
	sqlite3_finalize(st);
	sqlite3_close(h);
	return n;
}

static uint8_t *slurp(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *b = calloc(1, CTXREC_FILE_LEN);

	if (f != NULL && b != NULL && fread(b, 1, CTXREC_FILE_LEN, f) != CTXREC_FILE_LEN)
		memset(b, 0, CTXREC_FILE_LEN);
	if (f != NULL)
		fclose(f);
	return b;
}

int main(void)
{
	char dir[] = "/tmp/skd-ctxskd-XXXXXX", db[64], rec[64], cmd[80];
	static const char *chip = "fs-fffe11223344";
	uint8_t s1[32], s2[32], aid[16], got_aid[16], *val = NULL, *f0, *f1;
	struct skd_chip_info ci, *v = NULL;
	size_t len = 0, n = 0;

	sk_log_set_sink(quiet, NULL);
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(db, sizeof(db), "%s/state.db", dir);
	snprintf(rec, sizeof(rec), "%s/contexts.rec", dir);
	memset(s1, 0x11, sizeof(s1));
	memset(s2, 0x22, sizeof(s2));
	CHECK(skd_state_open(db) == 0);
	CHECK(skd_ctxrec_open(rec) == 0 && strcmp(skd_ctxrec_path(), rec) == 0);
	CHECK(skd_ctxrec_events_init() == 0);
	f0 = slurp(rec);

	/* no context: the chip goes to state.db as ever */
	CHECK(skd_state_chip_seen("fs-plain", "openpgp", 10) == 0);
	CHECK(rows_naming(db, "fs-plain") == 1);

	/* context 1 active: everything for its chip stays out of state.db */
	CHECK(!skd_ctxrec_owns(chip));
	context(chip, 1, s1);
	CHECK(skd_ctxrec_owns(chip) && !skd_ctxrec_owns("fs-plain"));
	CHECK(skd_state_chip_seen(chip, "openpgp,ykhmac", 100) == 0);
	CHECK(skd_cache_put(chip, "opgp.grip.1", (const uint8_t *)"GRIP1", 5) == 0);
	CHECK(skd_cache_put(chip, "opgp.grip.2", (const uint8_t *)"GRIP2", 5) == 0);
	CHECK(skd_cache_del(chip, "opgp.grip.2") == 0);
	CHECK(skd_state_chip_label(chip, "decoy-label") == 0);
	CHECK(rows_naming(db, chip) == 0);
	CHECK(skd_cache_get(chip, "opgp.grip.1", &val, &len) == 0 && len == 5 &&
	    memcmp(val, "GRIP1", 5) == 0 && val[5] == 0);
	free(val);
	CHECK(skd_cache_get(chip, "opgp.grip.2", &val, &len) == SK_ERR_NOT_FOUND);
	CHECK(skd_state_chip_get(chip, &ci) == 0 && strcmp(ci.label, "decoy-label") == 0 &&
	    strcmp(ci.applets, "openpgp,ykhmac") == 0 && ci.first_seen == 100);
	CHECK(skd_state_chip_list(&v, &n) == 0 && n == 2);
	free(v);
	f1 = slurp(rec);   /* the label is durable: already sealed */
	CHECK(memcmp(f0 + CTXREC_HDR_LEN + CTXREC_SIZE, f1 + CTXREC_HDR_LEN + CTXREC_SIZE,
	    CTXREC_SIZE) != 0);
	CHECK(memcmp(f0, f1, CTXREC_HDR_LEN + CTXREC_SIZE) == 0);   /* header, slot 0 untouched */
	free(f1);

	/* the end: nothing listed, nothing in state.db, the chip is an unknown one */
	context(chip, 1, NULL);
	CHECK(skd_state_chip_get(chip, &ci) == SK_ERR_NOT_FOUND);
	CHECK(skd_state_chip_list(&v, &n) == 0 && n == 1);
	free(v);
	CHECK(rows_naming(db, chip) == 0);
	/* late writes for the ended context (an operation that outlived the lock): dropped */
	CHECK(skd_ctxrec_owns(chip));
	CHECK(skd_state_chip_seen(chip, "openpgp", 200) == 0);
	CHECK(skd_cache_put(chip, "opgp.grip.3", (const uint8_t *)"LATE", 4) != 0);
	CHECK(skd_cache_get(chip, "opgp.grip.1", &val, &len) == SK_ERR_NOT_FOUND);
	CHECK(skd_state_chip_label(chip, "late") == SK_ERR_NOT_FOUND);
	CHECK(rows_naming(db, chip) == 0);

	/* another secret in the same slot: the record does not open (started empty) */
	context(chip, 1, s2);
	CHECK(skd_cache_get(chip, "opgp.grip.1", &val, &len) == SK_ERR_NOT_FOUND);
	CHECK(skd_state_chip_get(chip, &ci) == 0 && ci.label[0] == '\0');
	context(chip, 1, NULL);   /* (nothing changed: the slot is not rewritten) */

	/* the same secret again: everything back */
	context(chip, 1, s1);
	CHECK(skd_cache_get(chip, "opgp.grip.1", &val, &len) == 0 && len == 5);
	free(val);
	CHECK(skd_state_chip_get(chip, &ci) == 0 && strcmp(ci.label, "decoy-label") == 0);
	context(chip, 1, NULL);

	/* the instance of context 2: recorded in slot 2 only, read back with its secret only */
	free(f0);
	f0 = slurp(rec);
	memset(aid, 0xA2, sizeof(aid));
	CHECK(skd_ctxrec_instance(2, s2, 32, got_aid) == SK_ERR_NOT_FOUND);
	CHECK(skd_ctxrec_instance_store(2, s2, 32, aid) == 0);
	CHECK(skd_ctxrec_instance(2, s2, 32, got_aid) == 0 && memcmp(aid, got_aid, 16) == 0);
	CHECK(skd_ctxrec_instance(2, s1, 32, got_aid) == SK_ERR_NOT_FOUND);
	CHECK(skd_ctxrec_instance(1, s2, 32, got_aid) == SK_ERR_NOT_FOUND);
	CHECK(skd_ctxrec_instance(3, s2, 32, got_aid) == SK_ERR_ARG);
	f1 = slurp(rec);
	CHECK(memcmp(f0, f1, CTXREC_HDR_LEN + 2 * CTXREC_SIZE) == 0);
	free(f0);
	free(f1);
	/* and a context that starts later sees it in its record */
	context(chip, 2, s2);
	CHECK(skd_cache_get(chip, "opgp.grip.1", &val, &len) == SK_ERR_NOT_FOUND);
	context(chip, 2, NULL);
	CHECK(skd_ctxrec_instance(2, s2, 32, got_aid) == 0 && memcmp(aid, got_aid, 16) == 0);

	skd_ctxrec_close();

	/* a contexts.rec that is not one: reported, left as it is, and a context's state still
	 * stays out of state.db (in memory only) */
	{
		char bad[80];
		FILE *f;

		snprintf(bad, sizeof(bad), "%s/not-a-record", dir);
		if ((f = fopen(bad, "wb")) != NULL) {
			fputs("some other file", f);
			fclose(f);
		}
		CHECK(skd_ctxrec_open(bad) == 0 && skd_ctxrec_path()[0] == '\0');
		context("fs-fffe99887766", 0, s1);
		CHECK(skd_ctxrec_owns("fs-fffe99887766"));
		CHECK(skd_state_chip_seen("fs-fffe99887766", "openpgp", 300) == 0);
		CHECK(skd_cache_put("fs-fffe99887766", "opgp.grip.1", (const uint8_t *)"M", 1) == 0);
		CHECK(skd_cache_get("fs-fffe99887766", "opgp.grip.1", &val, &len) == 0 && len == 1);
		free(val);
		CHECK(skd_state_chip_label("fs-fffe99887766", "mem") != 0);   /* not durable: said */
		CHECK(rows_naming(db, "fs-fffe99887766") == 0);
		context("fs-fffe99887766", 0, NULL);
		if ((f = fopen(bad, "rb")) != NULL) {
			char buf[32] = "";

			CHECK(fgets(buf, sizeof(buf), f) != NULL && strcmp(buf, "some other file") == 0);
			fclose(f);
		}
		skd_ctxrec_close();
	}
	/* a context id outside the slots: held in memory, never in state.db */
	CHECK(skd_ctxrec_open(rec) == 0);
	context("fs-fffe55555555", 7, s1);
	CHECK(skd_ctxrec_owns("fs-fffe55555555"));
	CHECK(skd_cache_put("fs-fffe55555555", "opgp.grip.1", (const uint8_t *)"Y", 1) == 0);
	CHECK(rows_naming(db, "fs-fffe55555555") == 0);
	context("fs-fffe55555555", 7, NULL);
	skd_ctxrec_close();
	skd_state_close();
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "cannot remove %s\n", dir);
	return failures ? 1 : 0;
}
