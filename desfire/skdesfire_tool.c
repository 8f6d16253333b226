/* skdesfire_tool.c — drives a DESFire chip through PC/SC with libskdesfire: identity and
 * originality, provisioning with a file journal, the every-use vault read, and a round trip of
 * every command (integration tests and bring-up on real chips). Prints key=value lines. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "card.h"
#include "desfire.h"
#include "log.h"
#include "pcsc.h"
#include "sk_err.h"

struct tool {
	struct sk_pcsc *pcsc;
	struct sk_card *card;
	struct desfire *df;
	struct desfire_io inner;
	unsigned flags;
	unsigned drop_at;   /* -D: the answer to this APDU is lost (the chip processed it) */
	unsigned sent;
	uint8_t aid[3];
};

/* Test hook: a chip that leaves after processing a command but before its answer arrives. */
static int tearing_transmit(void *ctx, const uint8_t *apdu, size_t len, uint8_t *resp,
    size_t *rlen)
{
	struct tool *t = ctx;
	int r = t->inner.transmit(t->inner.ctx, apdu, len, resp, rlen);

	if (r == 0 && ++t->sent == t->drop_at) {
		*rlen = 0;
		fprintf(stderr, "skdesfire-tool: dropping the answer to APDU %u\n", t->sent);
		return SK_ERR_CARD_REMOVED;
	}
	return r;
}

static void hex(const char *name, const uint8_t *p, size_t n)
{
	size_t i;

	printf("%s=", name);
	for (i = 0; i < n; i++)
		printf("%02x", p[i]);
	printf("\n");
}

static int connect_chip(struct tool *t, const char *reader)
{
	struct desfire_io io;
	int r, i;

	if ((r = sk_pcsc_open(&t->pcsc)) != 0)
		return r;
	for (i = 0; i < 100; i++) {   /* up to 5 s for the reader to see a fresh tap */
		if ((r = sk_pcsc_connect(t->pcsc, reader, &t->card)) == 0)
			break;
		usleep(50000);
	}
	if (r != 0)
		return r;
	if ((r = sk_card_begin(t->card)) != 0)
		return r;
	desfire_io_from_card(t->card, &io);
	if (t->drop_at > 0) {
		t->inner = io;
		io.ctx = t;
		io.transmit = tearing_transmit;
	}
	return desfire_new(&io, &t->df);
}

static int cmd_version(struct tool *t)
{
	struct desfire_version v;
	int r;

	if ((r = desfire_select_app(t->df, desfire_picc_aid)) != 0 ||
	    (r = desfire_get_version(t->df, &v)) != 0)
		return r;
	printf("hw_major=%02x\nhw_storage=%02x\nev3=%d\n", v.hw_major, v.hw_storage,
	    v.hw_major == DESFIRE_HW_MAJOR_EV3);
	hex("uid", v.uid, 7);
	return 0;
}

static int cmd_sig(struct tool *t)
{
	struct desfire_version v;
	uint8_t sig[56];
	const char *which = NULL;
	int r;

	if ((r = desfire_select_app(t->df, desfire_picc_aid)) != 0 ||
	    (r = desfire_get_version(t->df, &v)) != 0 || (r = desfire_read_sig(t->df, sig)) != 0)
		return r;
	hex("uid", v.uid, 7);
	r = desfire_verify_originality(v.uid, sig, t->flags, &which);
	printf("originality=%s\n", r == 0 ? which : "refused");
	return r;
}

static int open_journal(const char *path, struct desfire_file_journal **fj,
    struct desfire_journal *j)
{
	return desfire_file_journal_new(path, fj, j);
}

static int cmd_provision(struct tool *t, const char *jpath)
{
	struct desfire_file_journal *fj = NULL;
	struct desfire_journal j;
	struct desfire_prov_params p;
	uint8_t vault[32];
	int r;

	memcpy(p.aid, t->aid, 3);
	p.vault_key = NULL;
	if ((r = open_journal(jpath, &fj, &j)) != 0)
		return r;
	r = desfire_provision(t->df, &j, &p, vault);
	printf("apdus=%u\n", desfire_apdu_count(t->df));
	if (r == 0)
		printf("provisioned=1\n");
	OPENSSL_cleanse(vault, sizeof(vault));
	desfire_file_journal_free(&fj);
	return r;
}

static int cmd_vault(struct tool *t, const char *jpath, int show)
{
	struct desfire_file_journal *fj = NULL;
	struct desfire_journal j;
	struct desfire_prov_record rec;
	uint8_t vault[32];
	int r;

	if ((r = open_journal(jpath, &fj, &j)) != 0 || (r = j.load(j.ctx, &rec)) != 0)
		goto out;
	desfire_reset_apdu_count(t->df);
	r = desfire_vault_read(t->df, rec.aid, rec.chip_key, vault);
	printf("apdus=%u\n", desfire_apdu_count(t->df));
	if (r != 0)
		goto out;
	printf("match=%d\n", CRYPTO_memcmp(vault, rec.vault_key, 32) == 0);
	if (show)   /* test builds only ever print a key they generated themselves */
		hex("vault", vault, 32);
out:
	OPENSSL_cleanse(vault, sizeof(vault));
	OPENSSL_cleanse(&rec, sizeof(rec));
	desfire_file_journal_free(&fj);
	return r;
}

/* GetCardUID at PICC level with the journaled PICC key (checks ChangeKey PICC -> AES). */
static int cmd_uid(struct tool *t, const char *jpath)
{
	struct desfire_file_journal *fj = NULL;
	struct desfire_journal j;
	struct desfire_prov_record rec;
	uint8_t uid[7];
	int r;

	if ((r = open_journal(jpath, &fj, &j)) != 0 || (r = j.load(j.ctx, &rec)) != 0)
		goto out;
	if ((r = desfire_select_app(t->df, desfire_picc_aid)) != 0 ||
	    (r = desfire_auth_ev2first(t->df, 0, rec.picc_key)) != 0 ||
	    (r = desfire_get_card_uid(t->df, uid)) != 0)
		goto out;
	hex("uid", uid, 7);
out:
	OPENSSL_cleanse(&rec, sizeof(rec));
	desfire_file_journal_free(&fj);
	return r;
}

/* Back to factory state (test chips only): FormatPICC and the PICC key back to 2TDEA zeros. */
static int cmd_factory_reset(struct tool *t, const char *jpath)
{
	struct desfire_file_journal *fj = NULL;
	struct desfire_journal j;
	struct desfire_prov_record rec;
	uint8_t zero[16] = { 0 };
	int r;

	memset(&rec, 0, sizeof(rec));
	if ((r = open_journal(jpath, &fj, &j)) != 0)
		goto out;
	if ((r = j.load(j.ctx, &rec)) != 0 && r != SK_ERR_NOT_FOUND)
		goto out;
	if ((r = desfire_select_app(t->df, desfire_picc_aid)) != 0)
		goto out;
	if (desfire_auth_iso(t->df, 0, zero) == 0) {
		/* still 2TDEA: FormatPICC is sent under EV2 here, so go through an AES zero key */
		if ((r = desfire_change_key(t->df, 0x80, zero, 0, NULL)) != 0)
			goto out;
		memset(rec.picc_key, 0, 16);
	}
	if ((r = desfire_auth_ev2first(t->df, 0, rec.picc_key)) != 0 ||
	    (r = desfire_format_picc(t->df)) != 0 ||
	    (r = desfire_change_key(t->df, 0x00, zero, 0, NULL)) != 0)
		goto out;
	printf("factory=1\n");
out:
	OPENSSL_cleanse(&rec, sizeof(rec));
	desfire_file_journal_free(&fj);
	return r;
}

/* Leave the chip inside application AID (created free if missing), as another program might. */
static int cmd_enter(struct tool *t)
{
	int r;

	if ((r = desfire_select_app(t->df, desfire_picc_aid)) != 0)
		return r;
	r = desfire_create_app(t->df, t->aid, 0x0F, 1);
	if (r != 0 && r != SK_ERR_EXISTS)
		return r;
	return desfire_select_app(t->df, t->aid);
}

#define STEP(name, expr) do { int rr_ = (expr); if (rr_ != 0) { \
	fprintf(stderr, "roundtrip: %s failed: %d (91%02X)\n", name, rr_, \
	    desfire_last_status(t->df)); return rr_; } printf("ok %s\n", name); } while (0)
#define EXPECT(name, expr, want) do { int rr_ = (expr); if (rr_ != (want)) { \
	fprintf(stderr, "roundtrip: %s gave %d, wanted %d\n", name, rr_, (want)); \
	return SK_ERR_INTERNAL; } printf("ok %s\n", name); } while (0)

static int rt_files(struct tool *t, const uint8_t zero[16])
{
	uint8_t big[100], back[100];
	size_t i;

	for (i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7 + 1);
	STEP("create_file_full", desfire_create_std_file(t->df, 1, DESFIRE_COMM_FULL,
	    DESFIRE_ACCESS(0, 0, 0, 0), sizeof(big)));
	STEP("create_file_mac", desfire_create_std_file(t->df, 2, DESFIRE_COMM_MAC,
	    DESFIRE_ACCESS(0, 0, 0, 0), 40));
	STEP("create_file_plain", desfire_create_std_file(t->df, 3, DESFIRE_COMM_PLAIN,
	    DESFIRE_ACCESS(0xE, 0, 0, 0), 16));
	EXPECT("create_file_dup", desfire_create_std_file(t->df, 3, DESFIRE_COMM_PLAIN,
	    DESFIRE_ACCESS(0xE, 0, 0, 0), 16), SK_ERR_EXISTS);
	STEP("auth_again", desfire_auth_ev2first(t->df, 0, zero));
	STEP("write_full", desfire_write_data(t->df, 1, DESFIRE_COMM_FULL, 0, big, sizeof(big)));
	STEP("read_full", desfire_read_data(t->df, 1, DESFIRE_COMM_FULL, 0, back, sizeof(back)));
	EXPECT("compare_full", memcmp(big, back, sizeof(big)), 0);
	STEP("write_mac", desfire_write_data(t->df, 2, DESFIRE_COMM_MAC, 3, big, 37));
	STEP("read_mac", desfire_read_data(t->df, 2, DESFIRE_COMM_MAC, 3, back, 37));
	EXPECT("compare_mac", memcmp(big, back, 37), 0);
	STEP("write_plain", desfire_write_data(t->df, 3, DESFIRE_COMM_PLAIN, 0, big, 16));
	EXPECT("read_beyond", desfire_read_data(t->df, 1, DESFIRE_COMM_FULL, 90, back, 20),
	    SK_ERR_SW);
	STEP("auth_again2", desfire_auth_ev2first(t->df, 0, zero));
	EXPECT("read_missing", desfire_read_data(t->df, 9, DESFIRE_COMM_FULL, 0, back, 4),
	    SK_ERR_NOT_FOUND);
	STEP("select_app_again", desfire_select_app(t->df, t->aid));
	STEP("read_plain_free", desfire_read_data(t->df, 3, DESFIRE_COMM_PLAIN, 0, back, 16));
	EXPECT("compare_plain", memcmp(big, back, 16), 0);
	EXPECT("read_full_unauth", desfire_read_data(t->df, 1, DESFIRE_COMM_FULL, 0, back, 4),
	    SK_ERR_DENIED);
	return 0;
}

static int rt_keys(struct tool *t, const uint8_t zero[16])
{
	uint8_t k1[16], k0[16], uid[7], ver = 0;
	struct desfire_version v;

	memset(k1, 0xA1, 16);
	memset(k0, 0xB0, 16);
	STEP("auth_key0", desfire_auth_ev2first(t->df, 0, zero));
	STEP("change_key_other", desfire_change_key(t->df, 1, k1, 5, zero));
	STEP("get_key_version_mac", desfire_get_key_version(t->df, 1, &ver));
	EXPECT("key1_version", ver, 5);
	STEP("auth_key1", desfire_auth_ev2first(t->df, 1, k1));
	STEP("get_version_mac", desfire_get_version(t->df, &v));
	STEP("get_card_uid", desfire_get_card_uid(t->df, uid));
	EXPECT("uid_matches", memcmp(uid, v.uid, 7), 0);
	STEP("auth_key0b", desfire_auth_ev2first(t->df, 0, zero));
	STEP("change_key_settings", desfire_change_key_settings(t->df, 0x09));
	STEP("change_key_same", desfire_change_key(t->df, 0, k0, 2, NULL));
	EXPECT("session_ended", desfire_is_authenticated(t->df), 0);
	EXPECT("auth_old_key0", desfire_auth_ev2first(t->df, 0, zero), SK_ERR_DENIED);
	STEP("auth_new_key0", desfire_auth_ev2first(t->df, 0, k0));
	STEP("get_key_version0", desfire_get_key_version(t->df, 0, &ver));
	EXPECT("key0_version", ver, 2);
	return 0;
}

static int cmd_roundtrip(struct tool *t)
{
	uint8_t zero[16] = { 0 }, picc[16], ver = 0xFF;
	struct desfire_version v;

	memset(picc, 0xC3, sizeof(picc));
	STEP("select_picc", desfire_select_app(t->df, desfire_picc_aid));
	STEP("get_version", desfire_get_version(t->df, &v));
	EXPECT("is_ev3", v.hw_major, DESFIRE_HW_MAJOR_EV3);
	STEP("get_key_version_plain", desfire_get_key_version(t->df, 0, &ver));
	EXPECT("factory_version", ver, 0);
	EXPECT("ev2first_on_des_key", desfire_auth_ev2first(t->df, 0, zero), SK_ERR_DENIED);
	STEP("auth_iso", desfire_auth_iso(t->df, 0, zero));
	STEP("change_picc_to_aes", desfire_change_key(t->df, 0x80, picc, 1, NULL));
	EXPECT("iso_with_old_key", desfire_auth_iso(t->df, 0, zero), SK_ERR_DENIED);
	STEP("auth_picc_aes", desfire_auth_ev2first(t->df, 0, picc));
	STEP("get_key_version_picc", desfire_get_key_version(t->df, 0, &ver));
	EXPECT("picc_version", ver, 1);
	STEP("create_app", desfire_create_app(t->df, t->aid, 0x0F, 2));
	EXPECT("create_app_dup", desfire_create_app(t->df, t->aid, 0x0F, 2), SK_ERR_EXISTS);
	EXPECT("select_missing", desfire_select_app(t->df, (const uint8_t[]){ 9, 9, 9 }),
	    SK_ERR_NOT_FOUND);
	STEP("select_app", desfire_select_app(t->df, t->aid));
	STEP("auth_ev2first", desfire_auth_ev2first(t->df, 0, zero));
	if (rt_files(t, zero) != 0 || rt_keys(t, zero) != 0)
		return SK_ERR_INTERNAL;
	printf("roundtrip=ok\n");
	return 0;
}

static int parse_aid(const char *s, uint8_t aid[3])
{
	unsigned a, b, c;

	if (strlen(s) != 6 || sscanf(s, "%2x%2x%2x", &a, &b, &c) != 3)
		return SK_ERR_ARG;
	aid[0] = (uint8_t)a;
	aid[1] = (uint8_t)b;
	aid[2] = (uint8_t)c;
	return 0;
}

static void usage(void)
{
	fprintf(stderr, "usage: skdesfire-tool [-r READER] [-a AID] [-s] [-v] [-D N] COMMAND [ARG]\n"
	    "  version | sig | roundtrip | enter | provision JOURNAL | vault JOURNAL | vault-show JOURNAL"
	    " | uid JOURNAL | factory-reset JOURNAL\n  -s accept the simulator's originality test key; -v debug log;\n"
	    "  -D N lose the answer to APDU N (the chip processed it): power-cut tests\n");
}

int main(int argc, char **argv)
{
	struct tool t;
	const char *reader = "Virtual PCD 00 01", *cmd;
	int opt, r = SK_ERR_ARG;

	memset(&t, 0, sizeof(t));
	t.aid[0] = 0x53;
	t.aid[1] = 0x4B;
	t.aid[2] = 0x01;
	sk_log_set_ident("skdesfire-tool");
	while ((opt = getopt(argc, argv, "r:a:svD:")) != -1) {
		if (opt == 'D')
			t.drop_at = (unsigned)strtoul(optarg, NULL, 10);
		else if (opt == 'r')
			reader = optarg;
		else if (opt == 'a' && parse_aid(optarg, t.aid) == 0)
			continue;
		else if (opt == 's')
			t.flags |= DESFIRE_ORIG_ALLOW_SIM;
		else if (opt == 'v')
			sk_log_set_level(SK_LOG_DEBUG);
		else {
			usage();
			return 2;
		}
	}
	if (optind >= argc) {
		usage();
		return 2;
	}
	cmd = argv[optind];
	if ((r = connect_chip(&t, reader)) != 0) {
		fprintf(stderr, "skdesfire-tool: no chip on %s: %s\n", reader, sk_strerror(r));
		goto out;
	}
	if (strcmp(cmd, "version") == 0)
		r = cmd_version(&t);
	else if (strcmp(cmd, "sig") == 0)
		r = cmd_sig(&t);
	else if (strcmp(cmd, "enter") == 0)
		r = cmd_enter(&t);
	else if (strcmp(cmd, "roundtrip") == 0)
		r = cmd_roundtrip(&t);
	else if (optind + 1 < argc && strcmp(cmd, "provision") == 0)
		r = cmd_provision(&t, argv[optind + 1]);
	else if (optind + 1 < argc && strcmp(cmd, "vault") == 0)
		r = cmd_vault(&t, argv[optind + 1], 0);
	else if (optind + 1 < argc && strcmp(cmd, "vault-show") == 0)
		r = cmd_vault(&t, argv[optind + 1], 1);
	else if (optind + 1 < argc && strcmp(cmd, "factory-reset") == 0)
		r = cmd_factory_reset(&t, argv[optind + 1]);
	else if (optind + 1 < argc && strcmp(cmd, "uid") == 0)
		r = cmd_uid(&t, argv[optind + 1]);
	else {
		usage();
		r = SK_ERR_ARG;
	}
	if (r != 0)
		fprintf(stderr, "skdesfire-tool: %s: %s (status 91%02X)\n", cmd, sk_strerror(r),
		    t.df ? desfire_last_status(t.df) : 0);
out:
	desfire_free(&t.df);
	if (t.card != NULL)
		sk_card_end(t.card);
	sk_card_free(&t.card);
	sk_pcsc_close(&t.pcsc);
	return r == 0 ? 0 : 1;
}
