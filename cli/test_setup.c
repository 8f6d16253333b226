/* test_setup.c — `skinkey setup`'s file layer: managed blocks (idempotent, other lines kept,
 * conflicting keys commented out) and commit/undo on real files in a scratch directory (the
 * backup restores bytes and mode; files and directories setup created are removed). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "setup.h"

static int failures;

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #c); failures++; } } while (0)

static const char *const keys[] = { "scdaemon-program", NULL };
#define BEGIN "# >>> skinkey setup >>>"

static void test_blocks(void)
{
	char *a, *b, *c, *d;

	a = setup_edit_block("", "x 1\n", keys);
	CHECK(a != NULL && strncmp(a, BEGIN, strlen(BEGIN)) == 0 && strstr(a, "\nx 1\n# <<< skinkey setup <<<\n") != NULL);
	b = setup_edit_block("keep me\nscdaemon-program /old\n  scdaemon-program\t/old2\nscdaemon-programX y\nlast",
	    "scdaemon-program /new\n", keys);
	CHECK(b != NULL && strncmp(b, "keep me\n#skinkey# scdaemon-program /old\n#skinkey#   scdaemon-program\t/old2\n"
	    "scdaemon-programX y\nlast\n" BEGIN, strlen("keep me\n#skinkey# scdaemon-program /old\n"
	    "#skinkey#   scdaemon-program\t/old2\nscdaemon-programX y\nlast\n" BEGIN)) == 0);
	c = setup_edit_block(b, "scdaemon-program /new\n", keys);   /* again: the same bytes */
	CHECK(c != NULL && strcmp(b, c) == 0);
	d = setup_edit_block(c, "scdaemon-program /other\n", keys); /* a changed block replaces the old */
	CHECK(d != NULL && strstr(d, "/new") == NULL && strstr(d, "/other") != NULL &&
	    strstr(strstr(d, BEGIN) + 1, BEGIN) == NULL);
	free(a);
	free(b);
	free(c);
	free(d);
}

static void put(const char *path, const char *s, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	CHECK(fd >= 0 && write(fd, s, strlen(s)) == (ssize_t)strlen(s));
	if (fd >= 0)
		close(fd);
	chmod(path, mode);
}

static char *get(const char *path)
{
	char *b = NULL;
	size_t n;
	int ex;

	if (setup_read(path, &b, &n, &ex) != 0 || !ex) {
		free(b);
		return NULL;
	}
	return b;
}

static void commit_text(struct setup_ctx *s, const char *path, const char *text)
{
	char *tmp = NULL;

	CHECK(setup_tmp_write(text, strlen(text), &tmp) == 0);
	CHECK(setup_commit(s, path, tmp) == 0);
	CHECK(access(tmp, F_OK) != 0);   /* the temporary file is gone in every case */
	free(tmp);
}

static void test_commit_undo(void)
{
	char dir[] = "/tmp/test_setup.XXXXXX", conf[256], made[256], made_dir[256], *b;
	struct setup_ctx s;
	struct stat st;

	CHECK(mkdtemp(dir) != NULL);
	setenv("XDG_DATA_HOME", dir, 1);
	setenv("TMPDIR", dir, 1);
	snprintf(conf, sizeof(conf), "%s/conf", dir);
	snprintf(made_dir, sizeof(made_dir), "%s/new/deeper", dir);
	snprintf(made, sizeof(made), "%s/new/deeper/file", dir);
	put(conf, "original\n", 0640);

	/* dry run: nothing written, no state */
	CHECK(setup_ctx_init(&s, 1) == 0);
	commit_text(&s, conf, "changed\n");
	CHECK(s.changed == 1);
	b = get(conf);
	CHECK(b != NULL && strcmp(b, "original\n") == 0);
	free(b);
	CHECK(access(s.state, F_OK) != 0);

	CHECK(setup_ctx_init(&s, 0) == 0);
	commit_text(&s, conf, "changed\n");
	commit_text(&s, conf, "changed twice\n");   /* the backup keeps the first version */
	commit_text(&s, made, "new file\n");
	b = get(conf);
	CHECK(b != NULL && strcmp(b, "changed twice\n") == 0);
	free(b);
	CHECK(stat(conf, &st) == 0 && (st.st_mode & 07777) == 0640);
	CHECK(stat(made, &st) == 0 && (st.st_mode & 07777) == 0600);

	CHECK(setup_undo(&s) == 0);
	b = get(conf);
	CHECK(b != NULL && strcmp(b, "original\n") == 0);
	free(b);
	CHECK(stat(conf, &st) == 0 && (st.st_mode & 07777) == 0640);
	CHECK(access(made, F_OK) != 0 && access(made_dir, F_OK) != 0);
	CHECK(access(s.state, F_OK) != 0);
	CHECK(setup_undo(&s) == 0);   /* nothing to undo */
	unlink(conf);
	snprintf(made, sizeof(made), "%s/skinkey", dir);
	rmdir(made);
	snprintf(made, sizeof(made), "%s/new", dir);
	rmdir(made);
	CHECK(rmdir(dir) == 0);   /* nothing left behind */
}

int main(void)
{
	test_blocks();
	test_commit_undo();
	if (failures)
		fprintf(stderr, "test_setup: %d failure(s)\n", failures);
	return failures ? 1 : 0;
}
