/* test_sim_state.c — the state file on disk: missing file = factory-fresh, atomic save (no
 * temporary left, directories created), load of what was saved, and refusal of damaged files,
 * files of another personality and applets this build lacks. */
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "test_sim_util.h"

int main(void);

static const uint8_t aid[] = { 0xF0, 0x0D };
static int saved_value;

static void *t_create(void) { return calloc(1, sizeof(int)); }
static void t_destroy(void *st) { free(st); }
static int t_save(void *st, struct sim_rbuf *o) { return sim_rbuf_u8(o, (uint8_t)*(int *)st); }
static int t_load(void *st, const uint8_t *p, size_t n)
{
	if (n != 1)
		return -1;
	*(int *)st = p[0];
	saved_value = p[0];
	return 0;
}

static const struct sim_applet_ops app = { "t", aid, sizeof(aid), 0, t_create, t_destroy,
	NULL, NULL, NULL, t_save, t_load, NULL, NULL, 0 };
static const struct sim_applet_ops app2 = { "u", aid, sizeof(aid), 0, t_create, t_destroy,
	NULL, NULL, NULL, t_save, t_load, NULL, NULL, 0 };
static const struct sim_applet_ops *const apps[] = { &app };
static const struct sim_applet_ops *const apps2[] = { &app2 };
static const uint8_t atr[] = { 0x3B, 0x80, 0x80, 0x01, 0x01 };
static const struct sim_personality pers = { "one", 1, atr, sizeof(atr), apps, 1 };
static const struct sim_personality pers_other = { "two", 1, atr, sizeof(atr), apps, 1 };
static const struct sim_personality pers_lacks = { "one", 1, atr, sizeof(atr), apps2, 1 };

static int load_with(const struct sim_personality *p, const char *path)
{
	struct sim_card *c = NULL;
	int r;

	if (sim_card_new(p, &c) != 0)
		return -2;
	r = sim_state_load(path, c);
	sim_card_free(&c);
	return r;
}

int main(void)
{
	char dir[] = "/tmp/test_sim_state.XXXXXX", path[256], tmp[300];
	struct sim_card *c = NULL;
	void *st = NULL;
	int fd;

	if (mkdtemp(dir) == NULL || sim_card_new(&pers, &c) != 0)
		return 1;
	snprintf(path, sizeof(path), "%s/sub/dir/card.state", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	CHECK(sim_state_load(path, c) == 1);                    /* absent: factory-fresh */
	sim_card_applet(c, 0, &st);
	*(int *)st = 0x5A;
	CHECK(sim_state_save(path, c) == 0);
	CHECK(access(path, R_OK) == 0 && access(tmp, F_OK) != 0);
	saved_value = 0;
	CHECK(load_with(&pers, path) == 0 && saved_value == 0x5A);
	CHECK(load_with(&pers_other, path) == -1);              /* another card's file */
	CHECK(load_with(&pers_lacks, path) == -1);              /* applet this build lacks */
	/* flip one byte: refused, and the file is left as it was */
	fd = open(path, O_WRONLY);
	CHECK(fd >= 0 && pwrite(fd, "\x77", 1, 14) == 1);
	close(fd);
	CHECK(load_with(&pers, path) == -1);
	/* truncate to nothing: refused too */
	CHECK(truncate(path, 0) == 0);
	CHECK(load_with(&pers, path) == -1);
	unlink(path);
	snprintf(tmp, sizeof(tmp), "%s/sub/dir", dir);
	rmdir(tmp);
	snprintf(tmp, sizeof(tmp), "%s/sub", dir);
	rmdir(tmp);
	rmdir(dir);
	sim_card_free(&c);
	if (test_failures)
		fprintf(stderr, "%d check(s) failed\n", test_failures);
	return test_failures ? 1 : 0;
}
