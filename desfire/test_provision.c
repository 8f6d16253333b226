/* test_provision.c — the provisioning journal: keys are durable before the first APDU, a
 * re-run keeps the same keys (never invents a second set), the file journal round-trips and
 * rejects corruption, and the every-use path refuses bad arguments. */
#include <stdlib.h>
#include <unistd.h>

#include "df_int.h"
#include "sk_err.h"
#include "test_util.h"

static unsigned sent;

static int gone(void *ctx, const uint8_t *apdu, size_t len, uint8_t *resp, size_t *rlen)
{
	(void)ctx; (void)apdu; (void)len; (void)resp;
	*rlen = 0;
	sent++;
	return SK_ERR_CARD_REMOVED;   /* the chip left before answering anything */
}

int main(void)
{
	char dir[] = "/tmp/test_desfire_XXXXXX", path[256];
	struct desfire_io io = { NULL, gone, NULL };
	struct desfire *df = NULL;
	struct desfire_file_journal *fj = NULL;
	struct desfire_journal j;
	struct desfire_prov_record a, b;
	struct desfire_prov_params p = { { 0x53, 0x4B, 0x01 }, NULL };
	uint8_t vault[32];
	FILE *f;

	if (mkdtemp(dir) == NULL)
		return 2;
	snprintf(path, sizeof(path), "%s/journal", dir);
	CHECK(desfire_file_journal_new(path, &fj, &j) == 0);
	CHECK(j.load(j.ctx, &a) == SK_ERR_NOT_FOUND);
	CHECK(desfire_new(&io, &df) == 0);

	CHECK(desfire_provision(df, &j, &p, vault) == SK_ERR_CARD_REMOVED);
	CHECK(sent == 1);
	CHECK(j.load(j.ctx, &a) == 0);            /* written before the APDU went out */
	CHECK(a.state == DESFIRE_PROV_KEYS && a.runs == 1 && memcmp(a.aid, p.aid, 3) == 0);
	CHECK(memcmp(a.picc_key, a.chip_key, 16) != 0);

	CHECK(desfire_provision(df, &j, &p, vault) == SK_ERR_CARD_REMOVED);
	CHECK(j.load(j.ctx, &b) == 0);
	CHECK(b.runs == 2 && memcmp(a.picc_key, b.picc_key, 16) == 0 &&
	    memcmp(a.chip_key, b.chip_key, 16) == 0 && memcmp(a.vault_key, b.vault_key, 32) == 0);

	p.aid[2] = 2;                              /* journal of another application */
	CHECK(desfire_provision(df, &j, &p, vault) == SK_ERR_ARG);

	CHECK((f = fopen(path, "ab")) != NULL);   /* trailing garbage = corrupt */
	fputc(0, f);
	fclose(f);
	CHECK(j.load(j.ctx, &b) == SK_ERR_FORMAT);

	CHECK(desfire_vault_read(df, NULL, a.chip_key, vault) == SK_ERR_ARG);
	CHECK(desfire_provision(df, NULL, &p, vault) == SK_ERR_ARG);

	desfire_free(&df);
	desfire_file_journal_free(&fj);
	CHECK(fj == NULL);
	unlink(path);
	rmdir(dir);
	return t_done("test_provision");
}
