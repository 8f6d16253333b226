/* ctxrec_file.c — the record file (format in ctxrec.h): made once with random contents, checked
 * on open, one slot replaced by rewriting the whole file atomically (temporary file in the same
 * directory, fsync, rename over, fsync of the directory). Writers (a socket skinkeyd and
 * --server ones) take an exclusive flock on the directory for their read-modify-write, so two
 * writers of different slots never lose one another's record. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "common/secmem.h"
#include "common/sk_err.h"
#include "ctxrec.h"

static const char magic[8] = { 'S', 'K', 'C', 'T', 'X', 'R', 'E', 'C' };

static int io_err(int e)
{
	return e == ENOSPC || e == EDQUOT ? SK_ERR_FULL : SK_ERR_IO;
}

int ctxrec_file_check(const uint8_t *img, size_t n)
{
	static const uint8_t zero[16];
	const uint8_t *h = img;

	if (n != CTXREC_FILE_LEN || memcmp(h, magic, sizeof(magic)) != 0 ||
	    h[8] != 0 || h[9] != 1 || h[10] != 0 || h[11] != CTXREC_SLOTS ||
	    ((uint32_t)h[12] << 24 | (uint32_t)h[13] << 16 | (uint32_t)h[14] << 8 | h[15]) !=
	    CTXREC_SIZE || memcmp(h + 16, zero, sizeof(zero)) != 0)
		return SK_ERR_FORMAT;
	return 0;
}

static int read_all(const char *path, uint8_t *img)
{
	struct stat sb;
	size_t got = 0;
	ssize_t k;
	int fd, r = SK_ERR_IO;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		r = errno == ENOENT ? SK_ERR_NOT_FOUND : SK_ERR_IO;
		if (r == SK_ERR_IO)
			sk_error("%s: cannot open: %s", path, strerror(errno));
		return r;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size != CTXREC_FILE_LEN) {
		sk_error("%s: not a context record file (%lld bytes, want %d)", path,
		    (long long)sb.st_size, CTXREC_FILE_LEN);
		r = SK_ERR_FORMAT;
		goto out;
	}
	while (got < CTXREC_FILE_LEN) {
		if ((k = read(fd, img + got, CTXREC_FILE_LEN - got)) < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			sk_error("%s: short read", path);
			goto out;
		}
		got += (size_t)k;
	}
	if ((r = ctxrec_file_check(img, CTXREC_FILE_LEN)) != 0)
		sk_error("%s: its header is not a context record file's: left as it is", path);
out:
	close(fd);
	return r;
}

static int write_full(int fd, const uint8_t *p, size_t n)
{
	ssize_t k;

	while (n > 0) {
		if ((k = write(fd, p, n)) < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return io_err(k < 0 ? errno : EIO);
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

static void dir_of(const char *path, char *dir, size_t n)
{
	char *slash;

	snprintf(dir, n, "%s", path);
	if ((slash = strrchr(dir, '/')) == NULL)
		snprintf(dir, n, ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
}

/* The directory, open and flocked (exclusive) for a read-modify-write; -1 when it cannot be. */
static int lock_dir(const char *path)
{
	char dir[PATH_MAX];
	int dfd;

	dir_of(path, dir, sizeof(dir));
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		sk_error("%s: cannot open: %s", dir, strerror(errno));
		return -1;
	}
	while (flock(dfd, LOCK_EX) != 0) {
		if (errno != EINTR) {
			sk_error("%s: cannot lock: %s", dir, strerror(errno));
			close(dfd);
			return -1;
		}
	}
	return dfd;
}

/* Replace path by img: tmp + fsync + rename + fsync(dir). dfd: the directory, locked. */
static int replace(const char *path, int dfd, const uint8_t *img)
{
	char tmp[PATH_MAX];
	int fd = -1, r;

	if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp))
		return SK_ERR_TOOBIG;
	(void)unlink(tmp);   /* a leftover of a writer killed before its rename */
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0) {
		r = io_err(errno);
		sk_error("%s: cannot create: %s", tmp, strerror(errno));
		goto out;
	}
	if ((r = write_full(fd, img, CTXREC_FILE_LEN)) != 0 || fsync(fd) != 0) {
		r = r != 0 ? r : io_err(errno);
		sk_error("%s: cannot write: %s", tmp, sk_strerror(r));
		goto out;
	}
	close(fd);
	fd = -1;
	if (rename(tmp, path) != 0) {
		r = io_err(errno);
		sk_error("%s: cannot replace: %s", path, strerror(errno));
		goto out;
	}
	if (fsync(dfd) != 0)
		sk_warn("%s: directory fsync: %s", path, strerror(errno));
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	if (r != 0)
		(void)unlink(tmp);
	return r;
}

int ctxrec_file_init(const char *path)
{
	uint8_t *img = malloc(CTXREC_FILE_LEN);
	int r = SK_ERR_NOMEM, dfd = -1;

	if (img == NULL)
		goto out;
	if ((dfd = lock_dir(path)) < 0) {
		r = SK_ERR_IO;
		goto out;
	}
	if ((r = read_all(path, img)) != SK_ERR_NOT_FOUND)
		goto out;   /* there (checked), or unusable (said why) */
	memset(img, 0, CTXREC_HDR_LEN);
	memcpy(img, magic, sizeof(magic));
	img[9] = 1;
	img[11] = CTXREC_SLOTS;
	img[12] = (uint8_t)(CTXREC_SIZE >> 24);
	img[13] = (uint8_t)(CTXREC_SIZE >> 16);
	img[14] = (uint8_t)(CTXREC_SIZE >> 8);
	img[15] = (uint8_t)CTXREC_SIZE;
	/* salt and every record: random, as a record nobody has written must look */
	if (RAND_bytes(img + 32, CTXREC_FILE_LEN - 32) != 1) {
		sk_error("ctxrec: no random bytes for a new record file");
		r = SK_ERR_CRYPTO;
		goto out;
	}
	r = replace(path, dfd, img);
out:
	if (dfd >= 0)
		close(dfd);   /* and its lock */
	free(img);
	return r;
}

int ctxrec_file_read(const char *path, int slot, uint8_t hdr[CTXREC_HDR_LEN], uint8_t *rec)
{
	uint8_t *img = malloc(CTXREC_FILE_LEN);
	int r = SK_ERR_NOMEM;

	if (slot < 0 || slot >= CTXREC_SLOTS) {
		r = SK_ERR_ARG;
		goto out;
	}
	if (img == NULL || (r = read_all(path, img)) != 0)
		goto out;
	memcpy(hdr, img, CTXREC_HDR_LEN);
	memcpy(rec, img + CTXREC_HDR_LEN + (size_t)slot * CTXREC_SIZE, CTXREC_SIZE);
out:
	free(img);
	return r;
}

int ctxrec_file_write(const char *path, int slot, const uint8_t *rec)
{
	uint8_t *img = malloc(CTXREC_FILE_LEN);
	int r = SK_ERR_NOMEM, dfd = -1;

	if (slot < 0 || slot >= CTXREC_SLOTS) {
		r = SK_ERR_ARG;
		goto out;
	}
	if (img == NULL)
		goto out;
	if ((dfd = lock_dir(path)) < 0) {
		r = SK_ERR_IO;
		goto out;
	}
	if ((r = read_all(path, img)) != 0)
		goto out;
	memcpy(img + CTXREC_HDR_LEN + (size_t)slot * CTXREC_SIZE, rec, CTXREC_SIZE);
	r = replace(path, dfd, img);
out:
	if (dfd >= 0)
		close(dfd);
	free(img);
	return r;
}
