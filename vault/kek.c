/* The local key-encryption key that wraps K_chip (and journal keys) inside vault.db.
 *
 * Choice: 32 random bytes in <dir>/vault.kek, mode 0600, owned by the user, beside the db.
 * Threat model, honestly: it keeps K_chip out of anything that copies vault.db alone (a backup,
 * a synced folder, a bug report attaching the db). It does NOT protect against anyone who can
 * read the user's files (same uid, root, a stolen unencrypted disk): they get both files, and
 * with K_chip and a tap of the chip they can read K_vault. Credentials still need K_vault,
 * which lives only on the chip (and in the printed shares). Losing vault.kek loses K_chip:
 * the chip's vault application can then no longer be authenticated; recover with a backup chip
 * or the shares. A derived KEK (from a passphrase) was not chosen because skinkeyd must read
 * K_vault on every tap without prompting. */
#include <errno.h>
#include <fcntl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vault/vault_int.h"

static int read_kek(int fd, const char *path, uint8_t *kek)
{
	struct stat st;
	ssize_t n;

	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		vault_log("%s: not a regular file", path);
		return SK_ERR_IO;
	}
	if (st.st_uid != getuid() || (st.st_mode & 077) != 0) {
		vault_log("%s: must be owned by the user and mode 0600", path);
		return SK_ERR_DENIED;
	}
	if (st.st_size != VAULT_KEY_LEN) {
		vault_log("%s: %lld bytes, expected %d", path, (long long)st.st_size, VAULT_KEY_LEN);
		return SK_ERR_FORMAT;
	}
	n = read(fd, kek, VAULT_KEY_LEN);
	if (n != VAULT_KEY_LEN) {
		vault_log("%s: short read", path);
		return SK_ERR_IO;
	}
	return 0;
}

/* Write a fresh key to a temporary file and link() it into place: two processes racing to
 * create it both end up reading the single winner, never a half-written file. */
static int create_kek(const char *dir, const char *path)
{
	uint8_t key[VAULT_KEY_LEN];
	char tmp[4096];
	int fd = -1, r = SK_ERR_IO;

	if ((size_t)snprintf(tmp, sizeof(tmp), "%s/.vault.kek.XXXXXX", dir) >= sizeof(tmp))
		return SK_ERR_ARG;
	if (RAND_bytes(key, sizeof(key)) != 1) {
		vault_log("no randomness for the KEK");
		r = SK_ERR_CRYPTO;
		goto out;
	}
	if ((fd = mkstemp(tmp)) < 0) {
		vault_log("%s: %s", tmp, strerror(errno));
		goto out;
	}
	if (fchmod(fd, 0600) != 0 || write(fd, key, sizeof(key)) != (ssize_t)sizeof(key) ||
	    fsync(fd) != 0) {
		vault_log("%s: cannot write the KEK: %s", tmp, strerror(errno));
		goto out;
	}
	if (link(tmp, path) != 0 && errno != EEXIST) {
		vault_log("%s: %s", path, strerror(errno));
		goto out;
	}
	r = 0;
out:
	OPENSSL_cleanse(key, sizeof(key));
	if (fd >= 0) {
		close(fd);
		unlink(tmp);
	}
	return r;
}

int vault_kek_load(const char *dir, uint8_t **kek)
{
	char path[4096];
	uint8_t *k = NULL;
	int fd = -1, r;

	*kek = NULL;
	if ((size_t)snprintf(path, sizeof(path), "%s/vault.kek", dir) >= sizeof(path))
		return SK_ERR_ARG;
	if (access(path, F_OK) != 0 && (r = create_kek(dir, path)) != 0)
		return r;
	r = SK_ERR_NOMEM;
	if ((k = vault_secret_alloc(VAULT_KEY_LEN)) == NULL)
		goto out;
	r = SK_ERR_IO;
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		vault_log("%s: %s", path, strerror(errno));
		goto out;
	}
	if ((r = read_kek(fd, path, k)) != 0)
		goto out;
	*kek = k;
	k = NULL;
out:
	if (fd >= 0)
		close(fd);
	vault_secret_free(&k, VAULT_KEY_LEN);
	return r;
}
