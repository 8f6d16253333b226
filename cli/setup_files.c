/* setup_files.c — the file side of `skinkey setup`: managed blocks, temporary copies, diffs,
 * backups recorded in a manifest, atomic writes and the undo that replays the manifest. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/sk_err.h"
#include "setup.h"

#define BLOCK_BEGIN "# >>> skinkey setup >>> (managed by `skinkey setup`; `skinkey setup --undo` removes it)"
#define BLOCK_END "# <<< skinkey setup <<<"
#define COMMENTED "#skinkey# "
#define FILE_MAX (4u * 1024 * 1024)

static int mkdir_p_recorded(struct setup_ctx *s, const char *dir, int record);

int setup_ctx_init(struct setup_ctx *s, int dry_run)
{
	const char *d = getenv("XDG_DATA_HOME"), *h = getenv("HOME");
	int k;

	memset(s, 0, sizeof(*s));
	s->dry_run = dry_run;
	if (d != NULL && d[0] == '/')
		k = snprintf(s->state, sizeof(s->state), "%s/skinkey/setup", d);
	else if (h != NULL && h[0] == '/')
		k = snprintf(s->state, sizeof(s->state), "%s/.local/share/skinkey/setup", h);
	else {
		fprintf(stderr, "skinkey setup: neither XDG_DATA_HOME nor HOME is set\n");
		return SK_ERR_CONFIG;
	}
	return k < 0 || (size_t)k >= sizeof(s->state) ? SK_ERR_TOOBIG : 0;
}

int setup_read(const char *path, char **buf, size_t *len, int *exists)
{
	FILE *fp = NULL;
	char *b = NULL;
	size_t n = 0, cap = 0;
	int r = SK_ERR_IO;

	*buf = NULL;
	*len = 0;
	*exists = 0;
	if ((fp = fopen(path, "rb")) == NULL && errno != ENOENT) {
		fprintf(stderr, "skinkey setup: cannot read %s: %s\n", path, strerror(errno));
		goto out;
	}
	for (;;) {
		if (n + 4096 + 1 > cap) {
			char *nb;
			if (cap > FILE_MAX) {
				fprintf(stderr, "skinkey setup: %s is larger than %u bytes\n", path, FILE_MAX);
				r = SK_ERR_TOOBIG;
				goto out;
			}
			cap = cap ? cap * 2 : 8192;
			if ((nb = realloc(b, cap)) == NULL) {
				r = SK_ERR_NOMEM;
				goto out;
			}
			b = nb;
		}
		if (fp == NULL)
			break;
		size_t got = fread(b + n, 1, cap - n - 1, fp);
		n += got;
		if (got == 0) {
			if (ferror(fp)) {
				fprintf(stderr, "skinkey setup: reading %s failed\n", path);
				goto out;
			}
			break;
		}
	}
	b[n] = '\0';
	*exists = fp != NULL;
	*buf = b;
	*len = n;
	b = NULL;
	r = 0;
out:
	if (fp != NULL)
		fclose(fp);
	free(b);
	return r;
}

static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t w = write(fd, buf, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return SK_ERR_IO;
		buf += w;
		len -= (size_t)w;
	}
	return 0;
}

int setup_tmp_write(const char *buf, size_t len, char **tmp)
{
	const char *td = getenv("TMPDIR");
	char *p = NULL;
	int fd = -1, r = SK_ERR_IO;

	*tmp = NULL;
	if (asprintf(&p, "%s/skinkey-setup.XXXXXX", td && td[0] == '/' ? td : "/tmp") < 0) {
		p = NULL;
		r = SK_ERR_NOMEM;
		goto out;
	}
	if ((fd = mkstemp(p)) < 0 || write_all(fd, buf, len) != 0 || close(fd) != 0) {
		fprintf(stderr, "skinkey setup: temporary file %s: %s\n", p, strerror(errno));
		if (fd >= 0)
			unlink(p);
		fd = -1;
		goto out;
	}
	fd = -1;
	*tmp = p;
	p = NULL;
	r = 0;
out:
	if (fd >= 0)
		close(fd);
	free(p);
	return r;
}

int setup_tmp_copy(const char *path, char **tmp)
{
	char *b = NULL;
	size_t n;
	int ex, r;

	if ((r = setup_read(path, &b, &n, &ex)) == 0)
		r = setup_tmp_write(b, n, tmp);
	free(b);
	return r;
}

/* Lines between the markers go; lines starting with a key are commented out. */
static int line_has_key(const char *l, size_t n, const char *const *keys)
{
	while (n > 0 && (*l == ' ' || *l == '\t')) {
		l++;
		n--;
	}
	for (size_t i = 0; keys != NULL && keys[i] != NULL; i++) {
		size_t k = strlen(keys[i]);
		if (n >= k && memcmp(l, keys[i], k) == 0 && (n == k || l[k] == ' ' || l[k] == '\t' ||
		    l[k] == '='))
			return 1;
	}
	return 0;
}

char *setup_edit_block(const char *old, const char *block, const char *const *keys)
{
	size_t cap = strlen(old) * 2 + strlen(block) + 256, o = 0;
	char *out = malloc(cap);
	int inside = 0;

	if (out == NULL)
		return NULL;
	for (const char *p = old; *p != '\0';) {
		const char *e = strchr(p, '\n');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n == strlen(BLOCK_BEGIN) && memcmp(p, BLOCK_BEGIN, n) == 0)
			inside = 1;
		else if (inside && n == strlen(BLOCK_END) && memcmp(p, BLOCK_END, n) == 0)
			inside = 0;
		else if (!inside) {
			if (line_has_key(p, n, keys))
				o += (size_t)sprintf(out + o, "%s", COMMENTED);
			memcpy(out + o, p, n);
			o += n;
			out[o++] = '\n';
		}
		p += n + (e != NULL);
	}
	o += (size_t)sprintf(out + o, "%s\n%s%s\n", BLOCK_BEGIN, block, BLOCK_END);
	out[o] = '\0';
	return out;
}

int setup_run(char *const argv[], const char *env)
{
	int fd, st = 0, r = SK_ERR_IO;
	pid_t pid;
	const char *td = getenv("TMPDIR");
	char logp[PATH_MAX];

	snprintf(logp, sizeof(logp), "%s/skinkey-run.XXXXXX", td && td[0] == '/' ? td : "/tmp");
	if ((fd = mkstemp(logp)) < 0) {
		fprintf(stderr, "skinkey setup: temporary file: %s\n", strerror(errno));
		return SK_ERR_IO;
	}
	if ((pid = fork()) < 0)
		goto out;
	if (pid == 0) {
		dup2(fd, 1);
		dup2(fd, 2);
		if (env != NULL)
			putenv((char *)env);
		execvp(argv[0], argv);
		fprintf(stderr, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		r = 0;
	else {
		char buf[4096];
		ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
		buf[n > 0 ? n : 0] = '\0';
		fprintf(stderr, "skinkey setup: %s failed:\n%s", argv[0], buf);
	}
out:
	close(fd);
	unlink(logp);
	return r;
}

/* ---- manifest: "F\tpath\tbackup|-\tmode", "D\tdir", "L\tpath" per line ---- */

static int manifest_path(const struct setup_ctx *s, char *buf, size_t n)
{
	int k = snprintf(buf, n, "%s/manifest", s->state);
	return k < 0 || (size_t)k >= n ? SK_ERR_TOOBIG : 0;
}

static int manifest_has(const struct setup_ctx *s, char type, const char *path)
{
	char mp[PATH_MAX], *b = NULL;
	size_t n, pl = strlen(path);
	int ex, found = 0;

	if (manifest_path(s, mp, sizeof(mp)) != 0 || setup_read(mp, &b, &n, &ex) != 0)
		return 0;
	for (char *p = b; p != NULL && *p != '\0' && !found;) {
		char *e = strchr(p, '\n');
		if (p[0] == type && p[1] == '\t' && strncmp(p + 2, path, pl) == 0 &&
		    (p[2 + pl] == '\t' || p[2 + pl] == '\n'))
			found = 1;
		p = e ? e + 1 : NULL;
	}
	free(b);
	return found;
}

static int manifest_add(struct setup_ctx *s, const char *line)
{
	char mp[PATH_MAX];
	int fd, r;

	if ((r = mkdir_p_recorded(s, s->state, 0)) != 0 || (r = manifest_path(s, mp, sizeof(mp))) != 0)
		return r;
	if ((fd = open(mp, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600)) < 0) {
		fprintf(stderr, "skinkey setup: %s: %s\n", mp, strerror(errno));
		return SK_ERR_IO;
	}
	r = write_all(fd, line, strlen(line));
	if (close(fd) != 0)
		r = SK_ERR_IO;
	return r;
}

static int mkdir_p_recorded(struct setup_ctx *s, const char *dir, int record)
{
	char p[PATH_MAX];
	size_t n = strlen(dir);

	if (n == 0 || n >= sizeof(p))
		return SK_ERR_TOOBIG;
	memcpy(p, dir, n + 1);
	for (size_t i = 1; i <= n; i++) {
		if (p[i] != '/' && p[i] != '\0')
			continue;
		char c = p[i];
		p[i] = '\0';
		if (mkdir(p, 0700) == 0) {
			if (record) {
				char line[PATH_MAX + 8];
				snprintf(line, sizeof(line), "D\t%s\n", p);
				if (manifest_add(s, line) != 0)
					return SK_ERR_IO;
			}
		} else if (errno != EEXIST) {
			fprintf(stderr, "skinkey setup: cannot create %s: %s\n", p, strerror(errno));
			return SK_ERR_IO;
		}
		p[i] = c;
	}
	return 0;
}

static int parent_dir(const char *path, char *buf, size_t n)
{
	const char *sl = strrchr(path, '/');

	if (sl == NULL || sl == path || (size_t)(sl - path) >= n)
		return SK_ERR_ARG;
	memcpy(buf, path, (size_t)(sl - path));
	buf[sl - path] = '\0';
	return 0;
}

/* Write buf to path atomically with mode. */
static int write_atomic(const char *path, const char *buf, size_t len, mode_t mode)
{
	char tmp[PATH_MAX];
	int fd, r = SK_ERR_IO;

	if (snprintf(tmp, sizeof(tmp), "%s.skinkey-new", path) >= (int)sizeof(tmp))
		return SK_ERR_TOOBIG;
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)) < 0) {
		fprintf(stderr, "skinkey setup: cannot write %s: %s\n", tmp, strerror(errno));
		return SK_ERR_IO;
	}
	if (fchmod(fd, mode) == 0 && write_all(fd, buf, len) == 0 && fsync(fd) == 0)
		r = 0;
	if (close(fd) != 0)
		r = SK_ERR_IO;
	if (r == 0 && rename(tmp, path) != 0)
		r = SK_ERR_IO;
	if (r != 0) {
		fprintf(stderr, "skinkey setup: cannot write %s: %s\n", path, strerror(errno));
		unlink(tmp);
	}
	return r;
}

/* First touch of path: keep it as it is now (or record that it did not exist). */
static int backup_once(struct setup_ctx *s, const char *path, int exists, const char *old,
    size_t oldlen, mode_t mode)
{
	char bdir[PATH_MAX], bfile[PATH_MAX + 32], line[2 * PATH_MAX + 64];
	static unsigned seq;
	int r;

	if (strpbrk(path, "\t\n") != NULL) {
		fprintf(stderr, "skinkey setup: refusing a path with a tab or newline: %s\n", path);
		return SK_ERR_ARG;
	}
	if (manifest_has(s, 'F', path))
		return 0;
	if (!exists) {
		snprintf(line, sizeof(line), "F\t%s\t-\t0\n", path);
		return manifest_add(s, line);
	}
	snprintf(bdir, sizeof(bdir), "%s/backup", s->state);
	if ((r = mkdir_p_recorded(s, bdir, 0)) != 0)
		return r;
	do
		snprintf(bfile, sizeof(bfile), "%s/%ld-%u", bdir, (long)getpid(), seq++);
	while (access(bfile, F_OK) == 0);
	if ((r = write_atomic(bfile, old, oldlen, 0600)) != 0)
		return r;
	snprintf(line, sizeof(line), "F\t%s\t%s\t%o\n", path, bfile, (unsigned)(mode & 07777));
	return manifest_add(s, line);
}

static void show_diff(const char *path, int exists, const char *tmp)
{
	char lab_old[PATH_MAX + 8], lab_new[PATH_MAX + 16];
	char *argv[] = { "diff", "-u", "--label", lab_old, "--label", lab_new,
		(char *)(exists ? path : "/dev/null"), (char *)tmp, NULL };
	pid_t pid;
	int st;

	snprintf(lab_old, sizeof(lab_old), "%s", exists ? path : "/dev/null");
	snprintf(lab_new, sizeof(lab_new), "%s", path);
	fflush(stdout);
	if ((pid = fork()) == 0) {
		execvp("diff", argv);
		_exit(127);
	}
	if (pid > 0)
		while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
			;
}

int setup_commit(struct setup_ctx *s, const char *path, const char *tmp)
{
	char *old = NULL, *nw = NULL, dir[PATH_MAX];
	size_t oldlen, nwlen;
	int ex, ex2, r;
	struct stat st;
	mode_t mode = 0600;

	if ((r = setup_read(path, &old, &oldlen, &ex)) != 0 ||
	    (r = setup_read(tmp, &nw, &nwlen, &ex2)) != 0)
		goto out;
	if (ex && oldlen == nwlen && memcmp(old, nw, oldlen) == 0) {
		printf("unchanged %s\n", path);
		goto out;
	}
	s->changed++;
	if (s->dry_run) {
		printf("would change %s:\n", path);
		show_diff(path, ex, tmp);
		goto out;
	}
	if (ex && stat(path, &st) == 0)
		mode = st.st_mode & 07777;
	if ((r = parent_dir(path, dir, sizeof(dir))) != 0 || (r = mkdir_p_recorded(s, dir, 1)) != 0 ||
	    (r = backup_once(s, path, ex, old, oldlen, mode)) != 0 ||
	    (r = write_atomic(path, nw, nwlen, mode)) != 0)
		goto out;
	printf("changed %s\n", path);
out:
	unlink(tmp);
	free(old);
	free(nw);
	return r;
}

int setup_symlink(struct setup_ctx *s, const char *path, const char *target)
{
	char cur[PATH_MAX], dir[PATH_MAX], line[PATH_MAX + 8];
	ssize_t n = readlink(path, cur, sizeof(cur) - 1);
	int r;

	if (n >= 0) {
		cur[n] = '\0';
		if (strcmp(cur, target) == 0) {
			printf("unchanged %s\n", path);
			return 0;
		}
	}
	if (n >= 0 || access(path, F_OK) == 0) {
		fprintf(stderr, "skinkey setup: %s exists and is not skinkey's: left alone\n", path);
		return 0;
	}
	s->changed++;
	if (s->dry_run) {
		printf("would link %s -> %s\n", path, target);
		return 0;
	}
	if ((r = parent_dir(path, dir, sizeof(dir))) != 0 || (r = mkdir_p_recorded(s, dir, 1)) != 0)
		return r;
	snprintf(line, sizeof(line), "L\t%s\n", path);
	if ((r = manifest_add(s, line)) != 0)
		return r;
	if (symlink(target, path) != 0) {
		fprintf(stderr, "skinkey setup: cannot link %s: %s\n", path, strerror(errno));
		return SK_ERR_IO;
	}
	printf("linked %s -> %s\n", path, target);
	return 0;
}

/* One manifest line, undone. */
static int undo_line(struct setup_ctx *s, char *l)
{
	char *f[4] = { NULL, NULL, NULL, NULL };
	int nf = 0, r = 0;

	for (char *p = l; nf < 4; nf++) {
		f[nf] = p;
		if ((p = strchr(p, '\t')) == NULL) {
			nf++;
			break;
		}
		*p++ = '\0';
	}
	if (l[0] == 'F' && nf == 4) {
		if (strcmp(f[2], "-") == 0) {
			if (unlink(f[1]) != 0 && errno != ENOENT)
				r = SK_ERR_IO;
		} else {
			char *b = NULL;
			size_t n;
			int ex;
			if ((r = setup_read(f[2], &b, &n, &ex)) == 0 && ex)
				r = write_atomic(f[1], b, n, (mode_t)strtoul(f[3], NULL, 8));
			else if (r == 0)
				r = SK_ERR_NOT_FOUND;
			free(b);
		}
	} else if (l[0] == 'L' && nf == 2) {
		if (unlink(f[1]) != 0 && errno != ENOENT)
			r = SK_ERR_IO;
	} else if (l[0] == 'D' && nf == 2) {
		if (rmdir(f[1]) != 0 && errno != ENOENT)
			printf("kept %s (not empty)\n", f[1]);
		return 0;
	} else
		r = SK_ERR_FORMAT;
	if (r != 0)
		fprintf(stderr, "skinkey setup: could not undo %s: %s\n", f[1] ? f[1] : l, sk_strerror(r));
	else
		printf("restored %s\n", f[1]);
	(void)s;
	return r;
}

int setup_undo(struct setup_ctx *s)
{
	char mp[PATH_MAX], bdir[PATH_MAX], *b = NULL, **lines = NULL;
	size_t n, nl = 0;
	int ex, r, bad = 0;

	if ((r = manifest_path(s, mp, sizeof(mp))) != 0 || (r = setup_read(mp, &b, &n, &ex)) != 0)
		goto out;
	if (!ex) {
		printf("nothing to undo: skinkey setup has not changed anything\n");
		goto out;
	}
	if ((lines = calloc(n / 2 + 1, sizeof(*lines))) == NULL) {
		r = SK_ERR_NOMEM;
		goto out;
	}
	for (char *p = b; *p != '\0';) {
		char *e = strchr(p, '\n');
		if (e != NULL)
			*e = '\0';
		if (*p != '\0')
			lines[nl++] = p;
		if (e == NULL)
			break;
		p = e + 1;
	}
	while (nl > 0)   /* newest first: directories go after the files in them */
		if (undo_line(s, lines[--nl]) != 0)
			bad = 1;
	if (bad) {
		fprintf(stderr, "skinkey setup: some files were not restored; backups kept in %s\n", s->state);
		r = SK_ERR_IO;
		goto out;
	}
	/* backups, manifest, state dir */
	snprintf(bdir, sizeof(bdir), "%s/backup", s->state);
	{
		char *b2 = NULL;
		size_t n2;
		int ex2;
		if (setup_read(mp, &b2, &n2, &ex2) == 0)
			for (char *p = b2; p != NULL && *p != '\0';) {
				char *e = strchr(p, '\n'), *t;
				if (e != NULL)
					*e = '\0';
				if (p[0] == 'F' && (t = strchr(p + 2, '\t')) != NULL) {
					char *m = strchr(t + 1, '\t');
					if (m != NULL)
						*m = '\0';
					if (strcmp(t + 1, "-") != 0)
						unlink(t + 1);
				}
				p = e ? e + 1 : NULL;
			}
		free(b2);
	}
	unlink(mp);
	rmdir(bdir);
	rmdir(s->state);
	r = 0;
out:
	free(lines);
	free(b);
	return r;
}
