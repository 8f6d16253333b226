/* fsdir.c — private directories (mkdir -p, 0700) and private files (0600). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsdir.h"
#include "log.h"
#include "sk_err.h"

int sk_mkdir_p(const char *dir)
{
	char buf[4096];
	size_t n = strlen(dir);
	struct stat st;

	if (n == 0 || n >= sizeof(buf)) {
		sk_error("directory path too long or empty");
		return SK_ERR_IO;
	}
	memcpy(buf, dir, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (buf[i] != '/' && buf[i] != '\0')
			continue;
		buf[i] = '\0';
		if (mkdir(buf, 0700) != 0 && errno != EEXIST) {
			sk_error("cannot create the directory %s: %s", buf, strerror(errno));
			return errno == ENOSPC || errno == EDQUOT ? SK_ERR_FULL : SK_ERR_IO;
		}
		buf[i] = i < n ? '/' : '\0';
	}
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		sk_error("%s is not a directory", dir);
		return SK_ERR_IO;
	}
	return 0;
}

int sk_private_file(const char *path)
{
	struct stat st;
	int fd, r = 0;

	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0) {
		int e = errno;
		sk_error("cannot create %s: %s", path, strerror(e));
		return e == ENOSPC || e == EDQUOT ? SK_ERR_FULL : SK_ERR_IO;
	}
	if (fstat(fd, &st) != 0 || ((st.st_mode & 077) != 0 && fchmod(fd, st.st_mode & 0700) != 0)) {
		sk_error("cannot make %s private (0600): %s", path, strerror(errno));
		r = SK_ERR_IO;
	}
	close(fd);
	return r;
}
