/* outbox.c — every recorded event goes into the outbox table of state.db (its own connection,
 * synchronous=FULL: the row is on disk before the publisher goes on, so before the client gets
 * its answer) and stays there until skinkey-guard acknowledged it (ACK): a crash of either
 * process loses nothing. Sequence numbers come from AUTOINCREMENT, so they never go back even
 * after rows are deleted; a stream id (random, stored beside) tells the guard when a new
 * state.db restarted them. Subscribers wait on a condition variable, never on a timer. */
#include <openssl/rand.h>
#include <pthread.h>
#include <sqlite3.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/auditbox.h"
#include "common/secmem.h"
#include "common/sk_err.h"
#include "event.h"
#include "skd_int.h"

static sqlite3 *ob;
static pthread_mutex_t ob_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t ob_cv = PTHREAD_COND_INITIALIZER;
static uint64_t ob_gen;          /* bumped on every insert */
static char stream_id[33];
static uint64_t ob_seen;         /* the guard has received every event up to this seq (SEEN) */
static __thread uint64_t ob_last_seq;   /* the newest row this thread wrote (0: none yet) */

static const char schema[] =
    "PRAGMA journal_mode=WAL;"
    "PRAGMA synchronous=FULL;"
    "PRAGMA secure_delete=ON;"   /* acknowledged rows overwritten, not left in free pages */
    "CREATE TABLE IF NOT EXISTS outbox ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT, ts_ms INTEGER NOT NULL, kind TEXT NOT NULL,"
    "  details TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS outbox_meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);";

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int exec(const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(ob, sql, NULL, NULL, &err) != SQLITE_OK) {
		sk_error("outbox: %s", err != NULL ? err : sqlite3_errmsg(ob));
		sqlite3_free(err);
		return SK_ERR_DB;
	}
	return 0;
}

static int load_stream_id(void)
{
	sqlite3_stmt *st = NULL;
	uint8_t rnd[16];
	int r = SK_ERR_DB;

	if (sqlite3_prepare_v2(ob, "SELECT v FROM outbox_meta WHERE k = 'stream'", -1, &st,
	    NULL) != SQLITE_OK)
		goto out;
	if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_bytes(st, 0) == 32) {
		snprintf(stream_id, sizeof(stream_id), "%s", sqlite3_column_text(st, 0));
		r = 0;
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
		r = SK_ERR_CRYPTO;
		goto out;
	}
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(stream_id + 2 * i, 3, "%02x", rnd[i]);
	if (sqlite3_prepare_v2(ob, "INSERT OR IGNORE INTO outbox_meta (k, v) VALUES ('stream', ?)",
	    -1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_text(st, 1, stream_id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto out;
	sqlite3_finalize(st);
	st = NULL;
	return load_stream_id();   /* another process may have won the race: use its id */
out:
	sqlite3_finalize(st);
	return r;
}

static int insert(const char *kind, const char *details)
{
	sqlite3_stmt *st = NULL;
	int r = SK_ERR_DB;

	pthread_mutex_lock(&ob_mu);
	if (ob == NULL || sqlite3_prepare_v2(ob, "INSERT INTO outbox (ts_ms, kind, details)"
	    " VALUES (?, ?, ?)", -1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(st, 1, now_ms());
	sqlite3_bind_text(st, 2, kind, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, details, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_DONE)
		goto out;
	ob_last_seq = (uint64_t)sqlite3_last_insert_rowid(ob);
	ob_gen++;
	pthread_cond_broadcast(&ob_cv);
	r = 0;
out:
	if (r != 0)
		sk_error("outbox: event %s not written: %s", kind, ob ? sqlite3_errmsg(ob) : "closed");
	sqlite3_finalize(st);
	pthread_mutex_unlock(&ob_mu);
	return r;
}

/* duress = on (issue 13, doc/DURESS.md "The audit chain and contexts"): an event that happens
 * while a context runs is sealed under that context's box key (common/auditbox.h) before it is
 * written, so neither the outbox nor the chain holds it in clear; one that names a context's chip
 * after the context ended (a late chip-left) keeps only the masked chip id. */
static int insert_duress(const struct skd_event *ev, const char *details)
{
	struct skd_ctxkey k;
	uint8_t bk[SK_AUDITBOX_KEY_LEN];
	char *boxed = NULL;
	int r;

	skd_ctxkey_get(&k);
	if (k.has_key) {
		if ((r = sk_auditbox_key(k.key, bk)) == 0 &&
		    (r = sk_auditbox_seal(bk, skd_event_kind_name(ev->kind), details, &boxed)) == 0)
			r = insert(SK_AUDITBOX_KIND, boxed);
		sk_wipe(bk, sizeof(bk));
		sk_wipe(&k, sizeof(k));
		free(boxed);
		return r;
	}
	if (ev->chip != NULL && skd_duress_masked(ev->chip))
		return insert(skd_event_kind_name(ev->kind), "chip=" SKD_MASKED_CHIP);
	return insert(skd_event_kind_name(ev->kind), details);
}

static int on_event(const struct skd_event *ev, void *arg)
{
	char *details;
	int r;

	(void)arg;
	if (!skd_event_recorded(ev->kind) || skd_config.audit == SKD_AUDIT_OFF)
		return 0;
	if ((details = skd_event_details(ev)) == NULL)
		return SK_ERR_NOMEM;
	if (skd_config.duress)
		r = insert_duress(ev, details);
	else
		r = insert(skd_event_kind_name(ev->kind), details);
	free(details);
	return r;
}

int skd_outbox_open(void)
{
	const char *path = skd_state_path();
	int r = SK_ERR_DB;

	if (path[0] == '\0')
		return SK_ERR_ARG;
	pthread_mutex_lock(&ob_mu);
	if (sqlite3_open_v2(path, &ob, SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX, NULL) !=
	    SQLITE_OK) {
		sk_error("outbox: cannot open %s", path);
		goto out;
	}
	sqlite3_busy_timeout(ob, 5000);
	if ((r = exec(schema)) != 0 || (r = load_stream_id()) != 0)
		goto out;
	r = 0;
out:
	if (r != 0 && ob != NULL) {
		sqlite3_close(ob);
		ob = NULL;
	}
	pthread_mutex_unlock(&ob_mu);
	if (r == 0)
		r = skd_event_subscribe(SKD_EV_ALL, on_event, NULL);
	return r;
}

void skd_outbox_close(void)
{
	pthread_mutex_lock(&ob_mu);
	if (ob != NULL)
		sqlite3_close(ob);
	ob = NULL;
	pthread_cond_broadcast(&ob_cv);
	pthread_mutex_unlock(&ob_mu);
}

const char *skd_outbox_stream(void)
{
	return stream_id;
}

int skd_outbox_fetch(uint64_t after, int max, skd_outbox_fn fn, void *arg, int *n)
{
	sqlite3_stmt *st = NULL;
	int r = SK_ERR_DB, rc;

	*n = 0;
	pthread_mutex_lock(&ob_mu);
	if (ob == NULL || sqlite3_prepare_v2(ob, "SELECT seq, ts_ms, kind, details FROM outbox"
	    " WHERE seq > ? ORDER BY seq LIMIT ?", -1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)after);
	sqlite3_bind_int(st, 2, max);
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if ((r = fn((uint64_t)sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1),
		    (const char *)sqlite3_column_text(st, 2), (const char *)sqlite3_column_text(st, 3),
		    arg)) != 0)
			goto out;
		(*n)++;
	}
	r = rc == SQLITE_DONE ? 0 : SK_ERR_DB;
out:
	if (r == SK_ERR_DB)
		sk_error("outbox: reading events: %s", ob ? sqlite3_errmsg(ob) : "closed");
	sqlite3_finalize(st);
	pthread_mutex_unlock(&ob_mu);
	return r;
}

static int64_t max_seq_locked(void);

static int has_after(uint64_t after)
{
	sqlite3_stmt *st = NULL;
	int r = 0;

	if (sqlite3_prepare_v2(ob, "SELECT 1 FROM outbox WHERE seq > ? LIMIT 1", -1, &st, NULL) !=
	    SQLITE_OK) {
		sk_error("outbox: %s", sqlite3_errmsg(ob));
		return SK_ERR_DB;
	}
	sqlite3_bind_int64(st, 1, (sqlite3_int64)after);
	r = sqlite3_step(st) == SQLITE_ROW;
	sqlite3_finalize(st);
	return r;
}

int skd_outbox_wait_ctx(uint64_t after, uint64_t ctx_gen)
{
	int r;

	pthread_mutex_lock(&ob_mu);
	for (;;) {
		uint64_t gen = ob_gen;
		if (ob == NULL) {
			r = SK_ERR_CANCELED;   /* shutting down */
			break;
		}
		if ((r = has_after(after)) != 0)
			break;
		if (ctx_gen != UINT64_MAX && skd_ctxkey_gen() != ctx_gen)
			break;
		while (gen == ob_gen && ob != NULL)
			pthread_cond_wait(&ob_cv, &ob_mu);
	}
	pthread_mutex_unlock(&ob_mu);
	return r < 0 ? r : 0;
}

int skd_outbox_wait(uint64_t after)
{
	return skd_outbox_wait_ctx(after, UINT64_MAX);
}

void skd_outbox_wake(void)
{
	pthread_mutex_lock(&ob_mu);
	ob_gen++;
	pthread_cond_broadcast(&ob_cv);
	pthread_mutex_unlock(&ob_mu);
}

uint64_t skd_outbox_newest(void)
{
	int64_t m;

	pthread_mutex_lock(&ob_mu);
	m = max_seq_locked();
	pthread_mutex_unlock(&ob_mu);
	return m > 0 ? (uint64_t)m : 0;
}

int skd_outbox_ack(uint64_t upto)
{
	sqlite3_stmt *st = NULL;
	int r = SK_ERR_DB;

	pthread_mutex_lock(&ob_mu);
	/* A delete lost in a crash only means the guard gets those events again and skips them by
	 * seq: no fsync for it (WAL + NORMAL), so the ACK does not cost the next operation one. */
	if (ob == NULL || exec("PRAGMA synchronous=NORMAL") != 0 ||
	    sqlite3_prepare_v2(ob, "DELETE FROM outbox WHERE seq <= ?", -1, &st, NULL) != SQLITE_OK)
		goto out;
	sqlite3_bind_int64(st, 1, (sqlite3_int64)upto);
	if (sqlite3_step(st) == SQLITE_DONE) {
		r = 0;
		pthread_cond_broadcast(&ob_cv);   /* gates waiting for this ACK */
	}
out:
	if (r != 0)
		sk_error("outbox: ACK %llu failed", (unsigned long long)upto);
	sqlite3_finalize(st);
	if (ob != NULL && exec("PRAGMA synchronous=FULL") != 0)
		r = SK_ERR_DB;   /* the next insert must be durable: never leave NORMAL behind */
	pthread_mutex_unlock(&ob_mu);
	return r;
}

/* The newest seq written, 0 when the outbox is empty. Under ob_mu. */
static int64_t max_seq_locked(void)
{
	sqlite3_stmt *st = NULL;
	int64_t m = -1;

	if (ob != NULL && sqlite3_prepare_v2(ob, "SELECT IFNULL(MAX(seq), 0) FROM outbox", -1, &st,
	    NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		m = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return m;
}

static int pending_upto_locked(int64_t upto)
{
	sqlite3_stmt *st = NULL;
	int r = -1;

	if (ob != NULL && sqlite3_prepare_v2(ob, "SELECT 1 FROM outbox WHERE seq <= ? LIMIT 1", -1,
	    &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, upto);
		r = sqlite3_step(st) == SQLITE_ROW;
	}
	sqlite3_finalize(st);
	return r;
}

static void deadline_after(struct timespec *dl, int ms)
{
	clock_gettime(CLOCK_REALTIME, dl);
	dl->tv_sec += ms / 1000;
	dl->tv_nsec += (long)(ms % 1000) * 1000000L;
	if (dl->tv_nsec >= 1000000000L) {
		dl->tv_sec++;
		dl->tv_nsec -= 1000000000L;
	}
}

/* Wait until no row <= upto is left (acknowledged), at most until dl. Under ob_mu. */
static int wait_gone_locked(int64_t upto, const struct timespec *dl)
{
	int p;

	for (;;) {
		if ((p = pending_upto_locked(upto)) < 0)
			return SK_ERR_DB;
		if (p == 0)
			return 0;
		/* woken by ACK (or any insert); the timer exists only while an operation waits */
		if (pthread_cond_timedwait(&ob_cv, &ob_mu, dl) == ETIMEDOUT)
			return pending_upto_locked(upto) == 0 ? 0 : SK_ERR_TIMEOUT;
	}
}

int skd_outbox_wait_acked(int ms)
{
	struct timespec dl;
	int64_t upto;
	int r;

	deadline_after(&dl, ms);
	pthread_mutex_lock(&ob_mu);
	if ((upto = max_seq_locked()) < 0)
		r = SK_ERR_DB;
	else
		r = wait_gone_locked(upto, &dl);
	pthread_mutex_unlock(&ob_mu);
	return r;
}

uint64_t skd_outbox_last_seq(void)
{
	return ob_last_seq;
}

int skd_outbox_seen(uint64_t upto)
{
	pthread_mutex_lock(&ob_mu);
	if (upto > ob_seen)
		ob_seen = upto;
	pthread_cond_broadcast(&ob_cv);   /* answers waiting for their event's receipt */
	pthread_mutex_unlock(&ob_mu);
	return 0;
}

int skd_outbox_wait_seq_seen(uint64_t seq, int ms)
{
	struct timespec dl;
	int r = SK_ERR_TIMEOUT, p;

	deadline_after(&dl, ms);
	pthread_mutex_lock(&ob_mu);
	for (;;) {
		if (ob == NULL) {
			r = SK_ERR_CANCELED;
			break;
		}
		if (ob_seen >= seq) {
			r = 0;
			break;
		}
		/* an older guard ACKs without SEEN: the row gone is a receipt too */
		if ((p = pending_upto_locked((int64_t)seq)) <= 0) {
			r = p < 0 ? SK_ERR_DB : 0;
			break;
		}
		if (pthread_cond_timedwait(&ob_cv, &ob_mu, &dl) == ETIMEDOUT) {
			r = ob_seen >= seq ? 0 : SK_ERR_TIMEOUT;
			break;
		}
	}
	pthread_mutex_unlock(&ob_mu);
	return r;
}

int64_t skd_outbox_pending(void)
{
	sqlite3_stmt *st = NULL;
	int64_t n = -1;

	pthread_mutex_lock(&ob_mu);
	if (ob != NULL && sqlite3_prepare_v2(ob, "SELECT COUNT(*) FROM outbox", -1, &st, NULL) ==
	    SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	pthread_mutex_unlock(&ob_mu);
	return n;
}
