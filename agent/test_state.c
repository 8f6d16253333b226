/* test_state.c — state.db: chips remembered across opens, the public-data cache, prefixes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/log.h"
#include "common/sk_err.h"
#include "skd_int.h"

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK(%s)\n", __FILE__, __LINE__, #c); failures++; } } while (0)

/* chips.c needs presence from the card manager; nothing is in the field here */
static void quiet(int level, const char *line, void *arg)
{
	(void)level; (void)line; (void)arg;
}

int main(void)
{
	char dir[] = "/tmp/skd-state-XXXXXX", path[64];
	struct skd_chip_info *v = NULL, ci;
	uint8_t *val = NULL;
	size_t n = 0, len = 0;

	sk_log_set_sink(quiet, NULL);
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof(path), "%s/state.db", dir);
	CHECK(skd_state_open(path) == 0);
	CHECK(skd_state_chip_seen("fs-fffe00000001", "openpgp,ykhmac", 100) == 0);
	CHECK(skd_state_chip_seen("fs-fffe00000002", "openpgp", 200) == 0);
	CHECK(skd_state_chip_seen("fs-fffe00000001", NULL, 300) == 0);   /* applets kept */
	CHECK(skd_cache_put("fs-fffe00000001", "opgp.grip.1", (const uint8_t *)"ABC", 3) == 0);
	CHECK(skd_cache_put("fs-fffe00000001", "opgp.grip.2", (const uint8_t *)"DEF", 3) == 0);
	CHECK(skd_cache_put("fs-fffe00000001", "reader", (const uint8_t *)"", 0) == 0);
	skd_state_close();

	CHECK(skd_state_open(path) == 0);   /* remembered after a restart */
	CHECK(skd_state_chip_list(&v, &n) == 0 && n == 2);
	if (n == 2) {
		CHECK(strcmp(v[0].id, "fs-fffe00000001") == 0);   /* most recently seen first */
		CHECK(strcmp(v[0].applets, "openpgp,ykhmac") == 0);
		CHECK(v[0].first_seen == 100 && v[0].last_seen == 300);
	}
	free(v);
	CHECK(skd_state_chip_get("fs-fffe00000002", &ci) == 0 && ci.last_seen == 200);
	CHECK(skd_state_chip_get("fs-nothere", &ci) == SK_ERR_NOT_FOUND);
	CHECK(skd_cache_get("fs-fffe00000001", "opgp.grip.1", &val, &len) == 0 && len == 3 &&
	    memcmp(val, "ABC", 3) == 0 && val[3] == 0);
	free(val);
	val = NULL;
	CHECK(skd_cache_get("fs-fffe00000001", "reader", &val, &len) == 0 && len == 0);
	free(val);
	val = NULL;
	CHECK(skd_cache_get("fs-fffe00000002", "opgp.grip.1", &val, &len) == SK_ERR_NOT_FOUND);
	CHECK(skd_cache_del("fs-fffe00000001", "opgp.grip.") == 0);
	CHECK(skd_cache_get("fs-fffe00000001", "opgp.grip.2", &val, &len) == SK_ERR_NOT_FOUND);
	CHECK(skd_cache_get("fs-fffe00000001", "reader", &val, &len) == 0);
	free(val);
	/* a prefix with LIKE wildcards is taken literally */
	CHECK(skd_cache_put("fs-x", "a_b", (const uint8_t *)"1", 1) == 0);
	CHECK(skd_cache_del("fs-x", "a%") == 0);
	val = NULL;
	CHECK(skd_cache_get("fs-x", "a_b", &val, &len) == 0);
	free(val);
	CHECK(skd_cache_put("fs-x", "big", (const uint8_t *)"", (1u << 20) + 1) == SK_ERR_TOOBIG);
	skd_state_close();
	snprintf(path, sizeof(path), "rm -rf %s", dir);
	if (system(path) != 0)
		return 1;
	if (failures)
		fprintf(stderr, "%d failure(s)\n", failures);
	return failures ? 1 : 0;
}
