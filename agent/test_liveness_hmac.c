/* test_liveness_hmac.c — the enrolled HMAC liveness proof (liveness_hmac.c): the host's key file
 * (format, 0600, refused when others can read it or it does not parse) and the proof against a
 * mock HMAC applet: the enrolled secret passes, another secret or an empty slot fails, the
 * applet is always SELECTed before INS 01 (which is PUT in the OATH applet). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "common/card.h"
#include "common/log.h"
#include "common/sk_err.h"
#include "skd_int.h"

static int failures;
#define CHECK(c) do { if (!(c)) { fprintf(stderr, "%s:%d: CHECK(%s)\n", __FILE__, __LINE__, #c); failures++; } } while (0)

static void quiet(int level, const char *line, void *arg)
{
	(void)level; (void)line; (void)arg;
}

/* a mock HMAC applet: key, programmed or not; counts SELECTs and HMAC commands in order */
struct mock {
	uint8_t key[20];
	int programmed, selected, selects, hmacs, hmac_without_select;
};

static int mock_tx(void *io, const uint8_t *cmd, size_t n, uint8_t *rsp, size_t *rlen)
{
	static const uint8_t sel[] = { 0x00, 0xA4, 0x04, 0x00, 0x07, 0xA0, 0x00, 0x00, 0x05, 0x27,
		0x20, 0x01 };
	struct mock *m = io;
	unsigned int ml = 0;

	if (n >= sizeof(sel) && memcmp(cmd, sel, sizeof(sel)) == 0) {
		static const uint8_t st[] = { 0x05, 0x07, 0x04, 0x01, 0x01, 0x00, 0x02, 0x0F, 0x00,
			0x00, 0x90, 0x00 };
		m->selected = 1;
		m->selects++;
		memcpy(rsp, st, sizeof(st));
		*rlen = sizeof(st);
		return 0;
	}
	if (n > 5 && cmd[1] == 0x01 && (cmd[2] == 0x30 || cmd[2] == 0x38)) {
		m->hmacs++;
		if (!m->selected)
			m->hmac_without_select++;
		if (!m->programmed) {
			rsp[0] = 0x90; rsp[1] = 0x00; *rlen = 2;
			return 0;
		}
		HMAC(EVP_sha1(), m->key, 20, cmd + 5, cmd[4], rsp, &ml);
		rsp[20] = 0x90; rsp[21] = 0x00; *rlen = 22;
		m->selected = 1;
		return 0;
	}
	rsp[0] = 0x6D; rsp[1] = 0x00; *rlen = 2;
	return 0;
}

static const struct sk_card_ops mock_ops = { mock_tx, NULL, NULL, NULL };

static void put_file(const char *dir, const char *chip, const char *text, mode_t mode)
{
	char path[512];
	int fd;

	snprintf(path, sizeof(path), "%s/skinkey/presence/%s.key", dir, chip);
	unlink(path);
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode)) < 0)
		return;
	if (write(fd, text, strlen(text)) < 0)
		fprintf(stderr, "write failed\n");
	fchmod(fd, mode);
	close(fd);
}

int main(void)
{
	char dir[] = "/tmp/skd-lhmac-XXXXXX", sub[512];
	static const char good[] = "skinkey-presence-hmac 1\nslot 2\n"
	    "key 000102030405060708090a0b0c0d0e0f10111213\n";
	uint8_t key[20], want[20];
	struct mock m;
	struct sk_card *c = NULL;
	const char *why = "";
	int slot = 0, apdus = 0;

	sk_log_set_sink(quiet, NULL);
	if (mkdtemp(dir) == NULL)
		return 1;
	setenv("XDG_DATA_HOME", dir, 1);
	snprintf(sub, sizeof(sub), "%s/skinkey", dir);
	CHECK(mkdir(sub, 0700) == 0);
	snprintf(sub, sizeof(sub), "%s/skinkey/presence", dir);
	CHECK(mkdir(sub, 0700) == 0);
	for (int i = 0; i < 20; i++)
		want[i] = (uint8_t)i;

	/* the key file */
	CHECK(skd_presence_key_load("fs-a", &slot, key) == SK_ERR_NOT_FOUND);
	put_file(dir, "fs-a", good, 0600);
	CHECK(skd_presence_key_load("fs-a", &slot, key) == 0 && slot == 2 &&
	    memcmp(key, want, 20) == 0);
	put_file(dir, "fs-a", good, 0644);
	CHECK(skd_presence_key_load("fs-a", &slot, key) == SK_ERR_DENIED && slot == 0);
	put_file(dir, "fs-a", "skinkey-presence-hmac 2\nslot 2\nkey 00\n", 0600);
	CHECK(skd_presence_key_load("fs-a", &slot, key) == SK_ERR_FORMAT);
	put_file(dir, "fs-a", "skinkey-presence-hmac 1\nslot 3\n"
	    "key 000102030405060708090a0b0c0d0e0f10111213\n", 0600);
	CHECK(skd_presence_key_load("fs-a", &slot, key) == SK_ERR_FORMAT);
	put_file(dir, "fs-a", "skinkey-presence-hmac 1\nslot 1\n"
	    "key 000102030405060708090a0b0c0d0e0f101112\n", 0600);
	CHECK(skd_presence_key_load("fs-a", &slot, key) == SK_ERR_FORMAT);
	put_file(dir, "fs-a", "skinkey-presence-hmac 1\nslot 1\n", 0600);
	CHECK(skd_presence_key_load("fs-a", &slot, key) == SK_ERR_FORMAT);

	/* the proof */
	memset(&m, 0, sizeof(m));
	memcpy(m.key, want, 20);
	m.programmed = 1;
	CHECK(sk_card_new(&mock_ops, &m, &c) == 0);
	CHECK(skd_liveness_hmac(c, 2, want, &apdus, &why) == 0 && apdus == 2 &&
	    strcmp(why, "ok") == 0);
	m.selected = 0;   /* another program selected something else */
	apdus = 0;
	CHECK(skd_liveness_hmac(c, 2, want, &apdus, &why) == 0 && apdus == 2);
	CHECK(m.selects == 2 && m.hmacs == 2 && m.hmac_without_select == 0);
	m.key[0] ^= 1;    /* a clone with another secret */
	apdus = 0;
	CHECK(skd_liveness_hmac(c, 2, want, &apdus, &why) == SK_ERR_CRYPTO &&
	    strcmp(why, "wrong-answer") == 0);
	m.programmed = 0; /* a clone made before the enrolment */
	CHECK(skd_liveness_hmac(c, 2, want, &apdus, &why) == SK_ERR_CRYPTO &&
	    strcmp(why, "wrong-answer") == 0);
	sk_card_free(&c);

	snprintf(sub, sizeof(sub), "rm -rf '%s'", dir);
	if (system(sub) != 0)
		fprintf(stderr, "cleanup failed\n");
	if (failures)
		fprintf(stderr, "%d failure(s)\n", failures);
	return failures ? 1 : 0;
}
