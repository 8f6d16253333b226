/* liveness_hmac.c — the PIN-free liveness proof (issue 12, doc/PROTOCOL.md "Presence").
 *
 * `skinkey presence enroll` (a user action, PRESENCEENROLL) programs an empty HMAC-SHA1 slot of
 * the chip's ykhmac applet with a random 20-byte secret and keeps the same secret on the host in
 * $XDG_DATA_HOME/skinkey/presence/<chip>.key (0600, directory 0700). That is the only EEPROM
 * write, once. A check SELECTs the applet (explicitly: INS 01 means PUT in the OATH applet) and
 * asks the HMAC of a fresh 32-byte random challenge: 2 APDUs, no PIN, nothing stored on the chip.
 * The host compares with the HMAC it computes itself, in constant time. A clone copies serial,
 * UID and ATR, but the applet never gives its slot secrets out. The proof does not depend on the
 * chip's PIN state, so it survives a field dropout (the chip resets) and another program's use of
 * another applet; the price: the secret also lives on the host (whoever reads the user's files can
 * answer for the chip), where the INTERNAL AUTHENTICATE proof has no host secret at all. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "common/card.h"
#include "common/fsdir.h"
#include "common/log.h"
#include "common/secmem.h"
#include "common/sk_err.h"
#include "event.h"
#include "otp.h"
#include "skd_int.h"

#define KEY_MAGIC "skinkey-presence-hmac 1"
#define CHAL_LEN 32

/* $XDG_DATA_HOME/skinkey/presence (state.c's data directory) */
static int key_dir(char *buf, size_t n)
{
	return skd_data_path("presence", buf, n);
}

static int key_path(const char *chip, char *buf, size_t n)
{
	char dir[PATH_MAX];
	int r, w;

	if ((r = key_dir(dir, sizeof(dir))) != 0)
		return r;
	w = snprintf(buf, n, "%s/%s.key", dir, chip);
	return w < 0 || (size_t)w >= n ? SK_ERR_TOOBIG : 0;
}

static int unhex(const char *s, uint8_t *out, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned v;

		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return SK_ERR_FORMAT;
		out[i] = (uint8_t)v;
	}
	return s[2 * n] == '\0' || s[2 * n] == '\n' ? 0 : SK_ERR_FORMAT;
}

int skd_presence_key_load(const char *chip, int *slot, uint8_t key[OTP_HMAC_KEY_LEN])
{
	char path[PATH_MAX], line[3][96];
	struct stat st;
	FILE *fp = NULL;
	int fd = -1, r;

	*slot = 0;
	sk_wipe(key, OTP_HMAC_KEY_LEN);
	memset(line, 0, sizeof(line));
	if ((r = key_path(chip, path, sizeof(path))) != 0)
		goto out;
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) < 0) {
		r = errno == ENOENT ? SK_ERR_NOT_FOUND : SK_ERR_IO;
		if (r != SK_ERR_NOT_FOUND)
			sk_warn("presence: %s: %s", path, strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) != 0 || (st.st_mode & 077) != 0 || st.st_uid != getuid()) {
		sk_warn("presence: %s is readable by others or not ours: not used (chmod 600)", path);
		r = SK_ERR_DENIED;
		goto out;
	}
	if ((fp = fdopen(fd, "r")) == NULL) {
		r = SK_ERR_IO;
		goto out;
	}
	fd = -1;
	r = SK_ERR_FORMAT;
	for (int i = 0; i < 3; i++)
		if (fgets(line[i], sizeof(line[i]), fp) == NULL)
			goto bad;
	line[0][strcspn(line[0], "\n")] = '\0';
	if (strcmp(line[0], KEY_MAGIC) != 0 || sscanf(line[1], "slot %d", slot) != 1 ||
	    (*slot != 1 && *slot != 2) || strncmp(line[2], "key ", 4) != 0 ||
	    unhex(line[2] + 4, key, OTP_HMAC_KEY_LEN) != 0)
		goto bad;
	r = 0;
	goto out;
bad:
	sk_warn("presence: %s does not parse: enroll the chip again", path);
	*slot = 0;
	sk_wipe(key, OTP_HMAC_KEY_LEN);
out:
	sk_wipe(line, sizeof(line));
	if (fp != NULL)
		fclose(fp);
	if (fd >= 0)
		close(fd);
	return r;
}

/* The key file, written to PATH.tmp (0600); renamed into place by the caller once the chip holds
 * the same secret. */
static int key_write_tmp(const char *tmp, int slot, const uint8_t key[OTP_HMAC_KEY_LEN])
{
	char text[128];
	int fd, n, r = 0;

	n = snprintf(text, sizeof(text), "%s\nslot %d\nkey ", KEY_MAGIC, slot);
	for (int i = 0; i < OTP_HMAC_KEY_LEN; i++)
		n += snprintf(text + n, sizeof(text) - (size_t)n, "%02x", key[i]);
	n += snprintf(text + n, sizeof(text) - (size_t)n, "\n");
	(void)unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600)) < 0) {
		sk_error("presence: %s: %s", tmp, strerror(errno));
		r = errno == ENOSPC ? SK_ERR_FULL : SK_ERR_IO;
		goto out;
	}
	if (write(fd, text, (size_t)n) != n || fsync(fd) != 0) {
		sk_error("presence: writing %s: %s", tmp, strerror(errno));
		r = errno == ENOSPC ? SK_ERR_FULL : SK_ERR_IO;
	}
	if (close(fd) != 0 && r == 0)
		r = SK_ERR_IO;
	if (r != 0)
		(void)unlink(tmp);
out:
	sk_wipe(text, sizeof(text));
	return r;
}

/* The proof itself, on a held card: SELECT ykhmac, HMAC of a fresh challenge, compare. */
int skd_liveness_hmac(struct sk_card *sc, int slot, const uint8_t key[OTP_HMAC_KEY_LEN],
    int *apdus, const char **why)
{
	uint8_t ch[CHAL_LEN], got[OTP_HMAC_LEN], want[EVP_MAX_MD_SIZE];
	unsigned int wlen = 0;
	int r;

	*why = "ok";
	if (RAND_bytes(ch, sizeof(ch)) != 1 ||
	    HMAC(EVP_sha1(), key, OTP_HMAC_KEY_LEN, ch, sizeof(ch), want, &wlen) == NULL ||
	    wlen != OTP_HMAC_LEN) {
		*why = "internal";
		r = SK_ERR_INTERNAL;
		goto out;
	}
	(*apdus)++;
	if ((r = otp_select(sc, NULL)) != 0) {
		*why = r == SK_ERR_CARD_REMOVED ? "absent" : "refused";
		goto out;
	}
	(*apdus)++;
	if ((r = otp_hmac(sc, slot, ch, sizeof(ch), got)) != 0) {
		/* an empty slot (a clone made before the enrolment) or no answer */
		*why = r == SK_ERR_CARD_REMOVED ? "absent" : r == SK_ERR_NOT_FOUND ? "wrong-answer" :
		    "refused";
		if (r == SK_ERR_NOT_FOUND)
			r = SK_ERR_CRYPTO;
		goto out;
	}
	if (!sk_ct_eq(got, want, OTP_HMAC_LEN)) {
		sk_debug("liveness: the HMAC answer is not the enrolled secret's");
		*why = "wrong-answer";
		r = SK_ERR_CRYPTO;
	}
out:
	sk_wipe(want, sizeof(want));
	sk_wipe(got, sizeof(got));
	return r;
}

int skd_presence_enroll(struct skd_conn *c, const char *chip, int want, int again,
    int *slot_out)
{
	char dir[PATH_MAX], path[PATH_MAX], tmp[PATH_MAX + 8];
	uint8_t key[OTP_HMAC_KEY_LEN], ch[CHAL_LEN], mac[OTP_HMAC_LEN], want_mac[EVP_MAX_MD_SIZE];
	struct skd_card *h = NULL;
	struct otp_status st;
	unsigned int wlen = 0;
	int slot = want, old = 0, overwrite = 0, r;

	*slot_out = 0;
	tmp[0] = '\0';
	r = skd_presence_key_load(chip, &old, key);
	if (r == 0 && !again) {
		sk_info("presence: %s is enrolled already (slot %d)", chip, old);
		r = SK_ERR_EXISTS;
		goto out;
	}
	if (r != 0 && r != SK_ERR_NOT_FOUND && !again)
		goto out;
	if (again) {
		/* a new secret in the slot the key file names, or in the one the user names */
		if (slot == 0)
			slot = old;
		if (slot == 0) {
			sk_info("presence: %s: enrolling again needs the key file or a slot", chip);
			r = SK_ERR_ARG;
			goto out;
		}
		overwrite = 1;
	}
	if ((r = key_dir(dir, sizeof(dir))) != 0 || (r = sk_mkdir_p(dir)) != 0 ||
	    (r = key_path(chip, path, sizeof(path))) != 0)
		goto out;
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	if (RAND_bytes(key, sizeof(key)) != 1 || RAND_bytes(ch, sizeof(ch)) != 1 ||
	    HMAC(EVP_sha1(), key, sizeof(key), ch, sizeof(ch), want_mac, &wlen) == NULL) {
		r = SK_ERR_INTERNAL;
		goto out;
	}
	if ((r = skd_card_acquire(c, chip, &h)) != 0)
		goto out;
	/* the slot must be empty: a programmed one is someone's (KeePassXC, a LUKS key, ...);
	 * enrolling again overwrites the enrolled slot or the one named with it */
	if ((r = otp_select(skd_card_raw(h), &st)) != 0) {
		sk_info("presence: %s: no HMAC-SHA1 applet answers (%s)", chip, sk_strerror(r));
		goto release;
	}
	if (slot == 0)
		slot = !(st.touch_level & 1u) ? 1 : !(st.touch_level & 2u) ? 2 : 0;
	if (slot == 0 || (!overwrite && (st.touch_level & (1u << (slot - 1))) != 0)) {
		sk_info("presence: %s: HMAC slot %d is programmed already: not overwritten", chip,
		    slot != 0 ? slot : 2);
		r = SK_ERR_EXISTS;
		goto release;
	}
	if ((r = key_write_tmp(tmp, slot, key)) != 0)
		goto release;
	if ((r = otp_program_hmac(skd_card_raw(h), slot, key, NULL, &st)) != 0) {
		sk_error("presence: %s: programming HMAC slot %d failed: %s", chip, slot,
		    sk_strerror(r));
		goto release;
	}
	/* the chip answers with the secret just written before the host keeps it */
	if ((r = otp_hmac(skd_card_raw(h), slot, ch, sizeof(ch), mac)) != 0 ||
	    !sk_ct_eq(mac, want_mac, OTP_HMAC_LEN)) {
		sk_error("presence: %s: slot %d does not answer with the enrolled secret", chip, slot);
		r = r != 0 ? r : SK_ERR_CRYPTO;
		goto release;
	}
	if (rename(tmp, path) != 0) {
		sk_error("presence: %s: %s", path, strerror(errno));
		r = SK_ERR_IO;
		goto release;
	}
	tmp[0] = '\0';
	*slot_out = slot;
	{
		uint8_t v = (uint8_t)(st.touch_level & 3u);   /* cmd_otp.c's slot cache */
		(void)skd_cache_put(chip, "otp.touch", &v, 1);
	}
	sk_info("presence: %s enrolled: HMAC slot %d, host secret %s", chip, slot, path);
release:
	if (r == SK_ERR_CARD_REMOVED)
		skd_card_lost(h);
	skd_card_release(&h);
	{
		char obj[16];
		snprintf(obj, sizeof(obj), "slot%d", slot);
		r = skd_guard_record(SKD_EV_PROVISION, chip, "presence-enroll", obj, r);
	}
out:
	if (tmp[0] != '\0')
		(void)unlink(tmp);
	sk_wipe(key, sizeof(key));
	sk_wipe(mac, sizeof(mac));
	sk_wipe(want_mac, sizeof(want_mac));
	return r;
}
