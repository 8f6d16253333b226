/* sim_state.c — the card's "EEPROM": every applet's persistent blob, keyed by applet name, in
 * one file with a versioned header and a SHA-256 trailer. Rewritten atomically after each APDU
 * that changed something. A damaged file stops the simulator: silently factory-resetting a card
 * would hide exactly the bugs the tests are there to find. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "sim_applet.h"
#include "sim_core.h"

static const uint8_t magic[8] = { 'S', 'K', 'S', 'I', 'M', 'S', 'T', 0 };
#define STATE_VERSION 1u
#define STATE_MAX (16u << 20)

/* bounds-checked reader over the file's bytes */
struct cur {
	const uint8_t *p;
	size_t len, off;
};

static int cur_bytes(struct cur *c, size_t n, const uint8_t **out)
{
	if (n > c->len - c->off)
		return -1;
	*out = c->p + c->off;
	c->off += n;
	return 0;
}

static int cur_be(struct cur *c, size_t n, uint32_t *v)
{
	const uint8_t *b;
	size_t i;

	if (cur_bytes(c, n, &b) != 0)
		return -1;
	*v = 0;
	for (i = 0; i < n; i++)
		*v = *v << 8 | b[i];
	return 0;
}

static int put_be(struct sim_rbuf *o, uint32_t v, size_t n)
{
	uint8_t b[4];
	size_t i;

	for (i = 0; i < n; i++)
		b[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
	return sim_rbuf_put(o, b, n);
}

static int put_name(struct sim_rbuf *o, const char *s)
{
	size_t n = strlen(s);

	if (n > 255)
		return -1;
	return put_be(o, (uint32_t)n, 1) || sim_rbuf_put(o, s, n);
}

int sim_state_encode(struct sim_card *c, struct sim_rbuf *out)
{
	struct sim_rbuf blob = { NULL, 0, 0 };
	uint8_t md[SHA256_DIGEST_LENGTH];
	size_t i, n = sim_card_napplets(c);
	int r = -1;

	if (sim_rbuf_put(out, magic, sizeof(magic)) || put_be(out, STATE_VERSION, 2) ||
	    put_name(out, sim_card_personality(c)->name) || put_be(out, (uint32_t)n, 2))
		goto out;
	for (i = 0; i < n; i++) {
		void *st;
		const struct sim_applet_ops *o = sim_card_applet(c, i, &st);

		sim_rbuf_clear(&blob);
		if (o->save(st, &blob) != 0) {
			sim_log("state: applet %s could not save", o->name);
			goto out;
		}
		if (put_name(out, o->name) || put_be(out, (uint32_t)blob.len, 4) ||
		    sim_rbuf_put(out, blob.p, blob.len))
			goto out;
	}
	SHA256(out->p, out->len, md);
	if (sim_rbuf_put(out, md, sizeof(md)) != 0)
		goto out;
	r = 0;
out:
	sim_rbuf_free(&blob);
	return r;
}

static long find_by_name(struct sim_card *c, const uint8_t *name, size_t n, void **st)
{
	size_t i;

	for (i = 0; i < sim_card_napplets(c); i++) {
		const struct sim_applet_ops *o = sim_card_applet(c, i, st);

		if (strlen(o->name) == n && memcmp(o->name, name, n) == 0)
			return (long)i;
	}
	return -1;
}

static int decode_entry(struct cur *cu, struct sim_card *c, char *why, size_t whylen)
{
	const uint8_t *name, *blob;
	uint32_t nlen, blen;
	void *st = NULL;
	long idx;

	if (cur_be(cu, 1, &nlen) || cur_bytes(cu, nlen, &name) || cur_be(cu, 4, &blen) ||
	    cur_bytes(cu, blen, &blob)) {
		snprintf(why, whylen, "truncated applet entry");
		return -1;
	}
	if ((idx = find_by_name(c, name, nlen, &st)) < 0) {
		snprintf(why, whylen, "holds applet '%.*s' that this build lacks", (int)nlen,
		    (const char *)name);
		return -1;
	}
	if (sim_card_applet(c, (size_t)idx, &st)->load(st, blob, blen) != 0) {
		snprintf(why, whylen, "applet '%.*s' rejected its saved state", (int)nlen,
		    (const char *)name);
		return -1;
	}
	return 0;
}

int sim_state_decode(const uint8_t *p, size_t n, struct sim_card *c, char *why, size_t whylen)
{
	uint8_t md[SHA256_DIGEST_LENGTH];
	struct cur cu = { p, 0, 0 };
	const uint8_t *b;
	const char *pname = sim_card_personality(c)->name;
	uint32_t ver, nlen, count, i;

	if (n < sizeof(magic) + SHA256_DIGEST_LENGTH) {
		snprintf(why, whylen, "too short");
		return -1;
	}
	cu.len = n - SHA256_DIGEST_LENGTH;
	SHA256(p, cu.len, md);
	if (CRYPTO_memcmp(md, p + cu.len, sizeof(md)) != 0) {
		snprintf(why, whylen, "checksum mismatch (damaged file)");
		return -1;
	}
	if (cur_bytes(&cu, sizeof(magic), &b) || memcmp(b, magic, sizeof(magic)) != 0) {
		snprintf(why, whylen, "not a skinkey-sim state file");
		return -1;
	}
	if (cur_be(&cu, 2, &ver) || ver != STATE_VERSION) {
		snprintf(why, whylen, "unsupported state version");
		return -1;
	}
	if (cur_be(&cu, 1, &nlen) || cur_bytes(&cu, nlen, &b) || strlen(pname) != nlen ||
	    memcmp(b, pname, nlen) != 0) {
		snprintf(why, whylen, "belongs to another card personality (not %s)", pname);
		return -1;
	}
	if (cur_be(&cu, 2, &count)) {
		snprintf(why, whylen, "truncated header");
		return -1;
	}
	for (i = 0; i < count; i++)
		if (decode_entry(&cu, c, why, whylen) != 0)
			return -1;
	if (cu.off != cu.len) {
		snprintf(why, whylen, "trailing bytes");
		return -1;
	}
	return 0;
}

static int read_file(const char *path, uint8_t **out, size_t *outlen)
{
	struct stat sb;
	uint8_t *buf = NULL;
	size_t got = 0;
	int fd, r = -1;

	*out = NULL;
	*outlen = 0;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return errno == ENOENT ? 1 : -1;
	if (fstat(fd, &sb) != 0 || sb.st_size < 0 || (uint64_t)sb.st_size > STATE_MAX)
		goto out;
	if ((buf = malloc((size_t)sb.st_size + 1)) == NULL)
		goto out;
	while (got < (size_t)sb.st_size) {
		ssize_t k = read(fd, buf + got, (size_t)sb.st_size - got);

		if (k <= 0)
			goto out;
		got += (size_t)k;
	}
	*out = buf;
	*outlen = got;
	buf = NULL;
	r = 0;
out:
	free(buf);
	close(fd);
	return r;
}

int sim_state_load(const char *path, struct sim_card *c)
{
	uint8_t *buf = NULL;
	size_t n = 0;
	char why[160] = "";
	int r;

	r = read_file(path, &buf, &n);
	if (r == 1)
		return 1;
	if (r != 0) {
		fprintf(stderr, "skinkey-sim: cannot read state file %s: %s\n", path, strerror(errno));
		return -1;
	}
	r = sim_state_decode(buf, n, c, why, sizeof(why));
	if (r != 0)
		fprintf(stderr, "skinkey-sim: state file %s is corrupt: %s; refusing to start "
		    "(move it away to get a factory-fresh card)\n", path, why);
	OPENSSL_cleanse(buf, n);
	free(buf);
	return r;
}

static int mkdirs(const char *dir)
{
	char tmp[PATH_MAX];
	size_t i, n = strlen(dir);

	if (n == 0 || n >= sizeof(tmp))
		return -1;
	memcpy(tmp, dir, n + 1);
	for (i = 1; i <= n; i++) {
		if (tmp[i] != '/' && tmp[i] != '\0')
			continue;
		tmp[i] = '\0';
		if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
			return -1;
		if (i < n)
			tmp[i] = '/';
	}
	return 0;
}

static int dir_of(const char *path, char *dir, size_t dirlen)
{
	const char *slash = strrchr(path, '/');

	if (slash == NULL)
		return snprintf(dir, dirlen, ".") >= (int)dirlen ? -1 : 0;
	if (slash == path)
		return snprintf(dir, dirlen, "/") >= (int)dirlen ? -1 : 0;
	if ((size_t)(slash - path) >= dirlen)
		return -1;
	memcpy(dir, path, (size_t)(slash - path));
	dir[slash - path] = '\0';
	return 0;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t k = write(fd, p, n);

		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

int sim_state_save(const char *path, struct sim_card *c)
{
	struct sim_rbuf buf = { NULL, 0, 0 };
	char dir[PATH_MAX], tmp[PATH_MAX];
	int fd = -1, dfd = -1, r = -1;

	if (dir_of(path, dir, sizeof(dir)) != 0 || mkdirs(dir) != 0 ||
	    snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
		sim_log("state: cannot prepare directory for %s: %s", path, strerror(errno));
		goto out;
	}
	if (sim_state_encode(c, &buf) != 0)
		goto out;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0 ||
	    write_all(fd, buf.p, buf.len) != 0 || fsync(fd) != 0) {
		sim_log("state: cannot write %s: %s", tmp, strerror(errno));
		goto out;
	}
	close(fd);
	fd = -1;
	if (rename(tmp, path) != 0) {
		sim_log("state: cannot rename %s: %s", tmp, strerror(errno));
		goto out;
	}
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0)
		(void)fsync(dfd);
	r = 0;
out:
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	if (dfd >= 0)
		close(dfd);
	sim_rbuf_free(&buf);
	return r;
}
