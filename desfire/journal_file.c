/* journal_file.c — a one-record provisioning journal in a file, for tests and bring-up.
 * The record is written to a temporary file, fsynced, renamed over the old one and the
 * directory fsynced, so a crash leaves either the old or the new record. NOT encrypted:
 * skinkeyd's vault/ journal (sqlite, encrypted rows) is the production one. */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "cursor.h"
#include "df_int.h"
#include "log.h"
#include "sk_err.h"

#define JMAGIC "SKDFJ1"
#define JLEN (6 + 2 + 3 + 16 + 16 + 32)

struct desfire_file_journal {
	char *path;
};

static void encode(const struct desfire_prov_record *rec, uint8_t out[JLEN])
{
	memcpy(out, JMAGIC, 6);
	out[6] = rec->state;
	out[7] = rec->runs;
	memcpy(out + 8, rec->aid, 3);
	memcpy(out + 11, rec->picc_key, 16);
	memcpy(out + 27, rec->chip_key, 16);
	memcpy(out + 43, rec->vault_key, 32);
}

static int decode(const uint8_t *p, size_t n, struct desfire_prov_record *rec)
{
	struct sk_cur c;
	const uint8_t *magic;

	sk_cur_init(&c, p, n);
	if (sk_cur_bytes(&c, 6, &magic) != 0 || memcmp(magic, JMAGIC, 6) != 0 ||
	    sk_cur_u8(&c, &rec->state) != 0 || sk_cur_u8(&c, &rec->runs) != 0 ||
	    sk_cur_copy(&c, rec->aid, 3) != 0 || sk_cur_copy(&c, rec->picc_key, 16) != 0 ||
	    sk_cur_copy(&c, rec->chip_key, 16) != 0 || sk_cur_copy(&c, rec->vault_key, 32) != 0 ||
	    sk_cur_end(&c) != 0)
		return SK_ERR_FORMAT;
	if (rec->state < DESFIRE_PROV_KEYS || rec->state > DESFIRE_PROV_DONE)
		return SK_ERR_FORMAT;
	return 0;
}

static int fj_load(void *ctx, struct desfire_prov_record *rec)
{
	struct desfire_file_journal *fj = ctx;
	uint8_t buf[JLEN + 1];
	ssize_t n;
	int fd, r;

	memset(rec, 0, sizeof(*rec));
	if ((fd = open(fj->path, O_RDONLY | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return SK_ERR_NOT_FOUND;
		sk_error("desfire: journal %s: %s", fj->path, strerror(errno));
		return SK_ERR_IO;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0) {
		sk_error("desfire: journal %s: %s", fj->path, strerror(errno));
		return SK_ERR_IO;
	}
	if ((r = decode(buf, (size_t)n, rec)) != 0)
		sk_error("desfire: journal %s is corrupt", fj->path);
	OPENSSL_cleanse(buf, sizeof(buf));
	return r;
}

static int sync_dir(const char *path)
{
	char *copy = strdup(path);
	int fd, r = SK_ERR_IO;

	if (copy == NULL)
		return SK_ERR_NOMEM;
	if ((fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		r = fsync(fd) == 0 ? 0 : SK_ERR_IO;
		close(fd);
	}
	free(copy);
	return r;
}

static int fj_store(void *ctx, const struct desfire_prov_record *rec)
{
	struct desfire_file_journal *fj = ctx;
	uint8_t buf[JLEN];
	char tmp[4096];
	int fd = -1, r = SK_ERR_IO;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", fj->path) >= sizeof(tmp))
		return SK_ERR_TOOBIG;
	encode(rec, buf);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0 ||
	    write(fd, buf, sizeof(buf)) != (ssize_t)sizeof(buf) || fsync(fd) != 0) {
		sk_error("desfire: journal %s: %s", tmp, strerror(errno));
		goto out;
	}
	close(fd);
	fd = -1;
	if (rename(tmp, fj->path) != 0) {
		sk_error("desfire: journal rename: %s", strerror(errno));
		goto out;
	}
	r = sync_dir(fj->path);
out:
	if (fd >= 0)
		close(fd);
	OPENSSL_cleanse(buf, sizeof(buf));
	return r;
}

int desfire_file_journal_new(const char *path, struct desfire_file_journal **out,
    struct desfire_journal *j)
{
	struct desfire_file_journal *fj;

	if (out == NULL || j == NULL || path == NULL)
		return SK_ERR_ARG;
	*out = NULL;
	if ((fj = calloc(1, sizeof(*fj))) == NULL || (fj->path = strdup(path)) == NULL) {
		free(fj);
		return SK_ERR_NOMEM;
	}
	j->ctx = fj;
	j->load = fj_load;
	j->store = fj_store;
	*out = fj;
	return 0;
}

void desfire_file_journal_free(struct desfire_file_journal **fj)
{
	if (fj == NULL || *fj == NULL)
		return;
	free((*fj)->path);
	free(*fj);
	*fj = NULL;
}
