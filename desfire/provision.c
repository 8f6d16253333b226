/* provision.c — turns a factory DESFire EV3 into a skinkey vault chip, safe against a power cut
 * after any APDU, and the four-APDU every-use read of K_vault.
 *
 * Every key is chosen and written to the caller's journal before the first APDU, so no
 * ChangeKey can install a key the host does not hold. The journal's state is only a hint: on a
 * re-run the chip itself is probed (GetKeyVersion, which needs no authentication; our keys carry
 * version DESFIRE_PROV_KEY_VERSION, factory keys 0) and the journaled key is tried before the
 * old one. DESFire EV3 has no retry counter on PICC keys and the application's failed-auth
 * counter is off by default, so a wrong guess costs nothing but an APDU.
 *
 * First run on a factory chip (10 APDUs, against 13 in seed 004):
 *   CreateApplication (free create at PICC level), AuthenticateISO x2 (2TDEA
 *   zeros), ChangeKey PICC -> AES, SELECT app, AuthenticateEV2First x2 (zero AES key),
 *   CreateStdDataFile (FULL), WriteData K_vault (FULL), ChangeKey app key 0 -> K_chip. */
#include <string.h>

#include <openssl/crypto.h>

#include "df_int.h"
#include "log.h"
#include "sk_err.h"

static const uint8_t zero_key[16];

static int journal_put(const struct desfire_journal *j, struct desfire_prov_record *rec,
    uint8_t state)
{
	int r;

	rec->state = state;
	if ((r = j->store(j->ctx, rec)) != 0)
		sk_error("desfire: journal write failed (%d): provisioning stops", r);
	return r;
}

/* Loads or creates the record; *fresh = 1 when no earlier run ever reached the chip. */
static int journal_begin(struct desfire *df, const struct desfire_journal *j,
    const struct desfire_prov_params *p, struct desfire_prov_record *rec, int *fresh)
{
	int r;

	*fresh = 0;
	r = j->load(j->ctx, rec);
	if (r == 0) {
		if (memcmp(rec->aid, p->aid, 3) != 0) {
			sk_error("desfire: journal is for another application id");
			return SK_ERR_ARG;
		}
	} else if (r == SK_ERR_NOT_FOUND) {
		memset(rec, 0, sizeof(*rec));
		memcpy(rec->aid, p->aid, 3);
		if ((r = df_random(df, rec->picc_key, 16)) != 0 ||
		    (r = df_random(df, rec->chip_key, 16)) != 0)
			return r;
		if (p->vault_key != NULL)
			memcpy(rec->vault_key, p->vault_key, DESFIRE_VAULT_KEY_LEN);
		else if ((r = df_random(df, rec->vault_key, DESFIRE_VAULT_KEY_LEN)) != 0)
			return r;
		rec->state = DESFIRE_PROV_KEYS;
	} else {
		sk_error("desfire: journal read failed (%d)", r);
		return r;
	}
	*fresh = rec->runs == 0 && rec->state == DESFIRE_PROV_KEYS;
	if (rec->runs < 0xFF)
		rec->runs++;
	/* durable before the first APDU: from here on every key may end up on the chip */
	return journal_put(j, rec, rec->state);
}

static int is_transport(int r)
{
	return r == SK_ERR_CARD_REMOVED || r == SK_ERR_CARD_RESET || r == SK_ERR_NO_CARD ||
	    r == SK_ERR_NO_READER || r == SK_ERR_TIMEOUT || r == SK_ERR_IO;
}

static int write_vault_file(struct desfire *df, const struct desfire_prov_record *rec)
{
	return desfire_write_data(df, DESFIRE_VAULT_FILE, DESFIRE_COMM_FULL, 0, rec->vault_key,
	    DESFIRE_VAULT_KEY_LEN);
}

static int create_vault_file(struct desfire *df)
{
	return desfire_create_std_file(df, DESFIRE_VAULT_FILE, DESFIRE_COMM_FULL,
	    DESFIRE_ACCESS(0, 0, 0, 0), DESFIRE_VAULT_KEY_LEN);
}

static int fast_path(struct desfire *df, const struct desfire_journal *j,
    struct desfire_prov_record *rec)
{
	int r;

	/* No SELECT 000000 first: CreateApplication only succeeds at PICC level, so if another
	 * program left an application selected it fails harmlessly and the probing path (which
	 * selects) takes over. A fresh PC/SC connection finds the chip at PICC level. */
	if ((r = desfire_create_app(df, rec->aid, DESFIRE_VAULT_APP_SETTINGS, 1)) != 0 ||
	    (r = desfire_auth_iso(df, 0x00, zero_key)) != 0 ||
	    (r = desfire_change_key(df, 0x80, rec->picc_key, DESFIRE_PROV_KEY_VERSION, NULL)) != 0)
		return r;
	if ((r = journal_put(j, rec, DESFIRE_PROV_PICC_DONE)) != 0)
		return r;
	if ((r = desfire_select_app(df, rec->aid)) != 0 ||
	    (r = desfire_auth_ev2first(df, 0x00, zero_key)) != 0 ||
	    (r = create_vault_file(df)) != 0 || (r = write_vault_file(df, rec)) != 0 ||
	    (r = desfire_change_key(df, 0x00, rec->chip_key, DESFIRE_PROV_KEY_VERSION, NULL)) != 0)
		return r;
	return journal_put(j, rec, DESFIRE_PROV_DONE);
}

/* The PICC master key must end up as rec->picc_key (AES). */
static int ensure_picc(struct desfire *df, const struct desfire_journal *j,
    struct desfire_prov_record *rec)
{
	uint8_t ver = 0xFF;
	int r;

	if ((r = desfire_select_app(df, desfire_picc_aid)) != 0)
		return r;
	r = desfire_get_key_version(df, 0x00, &ver);
	if (is_transport(r))
		return r;
	if (ver == DESFIRE_PROV_KEY_VERSION) {
		r = desfire_auth_ev2first(df, 0x00, rec->picc_key);
		if (r == 0 || is_transport(r))
			goto done;
		sk_info("desfire: PICC key version says ours but the key does not authenticate");
	}
	r = desfire_auth_iso(df, 0x00, zero_key);
	if (r == 0) {
		r = desfire_change_key(df, 0x80, rec->picc_key, DESFIRE_PROV_KEY_VERSION, NULL);
		goto done;
	}
	if (is_transport(r))
		return r;
	if (ver != DESFIRE_PROV_KEY_VERSION)
		r = desfire_auth_ev2first(df, 0x00, rec->picc_key);
	if (r != 0 && !is_transport(r)) {
		sk_error("desfire: the chip's PICC master key is neither factory nor journaled: "
		    "not ours, leaving it alone");
		r = SK_ERR_DENIED;
	}
done:
	if (r == 0)
		r = journal_put(j, rec, DESFIRE_PROV_PICC_DONE);
	return r;
}

static int ensure_app(struct desfire *df, const struct desfire_journal *j,
    struct desfire_prov_record *rec)
{
	int r = desfire_select_app(df, rec->aid);

	if (r != SK_ERR_NOT_FOUND)
		return r;
	if ((r = desfire_select_app(df, desfire_picc_aid)) != 0)
		return r;
	r = desfire_create_app(df, rec->aid, DESFIRE_VAULT_APP_SETTINGS, 1);
	if (r != 0 && r != SK_ERR_EXISTS)
		return r;
	if ((r = journal_put(j, rec, DESFIRE_PROV_APP_DONE)) != 0)
		return r;
	return desfire_select_app(df, rec->aid);
}

/* App key 0 still zero: file, content, then K_chip (last, so K_chip implies a written file). */
static int finish_with_zero_key(struct desfire *df, struct desfire_prov_record *rec)
{
	int r;

	r = create_vault_file(df);
	if (r == SK_ERR_EXISTS)   /* the error ended the session: authenticate again */
		r = desfire_auth_ev2first(df, 0x00, zero_key);
	if (r != 0 || (r = write_vault_file(df, rec)) != 0)
		return r;
	return desfire_change_key(df, 0x00, rec->chip_key, DESFIRE_PROV_KEY_VERSION, NULL);
}

/* Authenticated with K_chip: K_vault must read back; rewrite it if it does not. */
static int check_vault(struct desfire *df, struct desfire_prov_record *rec)
{
	uint8_t got[DESFIRE_VAULT_KEY_LEN];
	int r;

	r = desfire_read_data(df, DESFIRE_VAULT_FILE, DESFIRE_COMM_FULL, 0, got, sizeof(got));
	if (r == 0 && CRYPTO_memcmp(got, rec->vault_key, sizeof(got)) == 0)
		goto out;
	if (is_transport(r))
		goto out;
	sk_warn("desfire: vault file does not hold the journaled key (%d): rewriting", r);
	if ((r = desfire_auth_ev2first(df, 0x00, rec->chip_key)) != 0)
		goto out;
	if ((r = write_vault_file(df, rec)) == SK_ERR_NOT_FOUND) {
		if ((r = desfire_auth_ev2first(df, 0x00, rec->chip_key)) != 0 ||
		    (r = create_vault_file(df)) != 0 || (r = write_vault_file(df, rec)) != 0)
			goto out;
	}
out:
	OPENSSL_cleanse(got, sizeof(got));
	return r;
}

static int ensure_app_keys(struct desfire *df, struct desfire_prov_record *rec)
{
	uint8_t ver = 0xFF;
	int r;

	r = desfire_get_key_version(df, 0x00, &ver);
	if (is_transport(r))
		return r;
	if (ver != DESFIRE_PROV_KEY_VERSION) {
		r = desfire_auth_ev2first(df, 0x00, zero_key);
		if (r == 0)
			r = finish_with_zero_key(df, rec);
		if (r != 0)
			return r;
	}
	if ((r = desfire_auth_ev2first(df, 0x00, rec->chip_key)) != 0) {
		if (!is_transport(r))
			sk_error("desfire: application key is neither zero nor K_chip: not ours");
		return is_transport(r) ? r : SK_ERR_DENIED;
	}
	return check_vault(df, rec);
}

static int resume_path(struct desfire *df, const struct desfire_journal *j,
    struct desfire_prov_record *rec)
{
	int r;

	if ((r = ensure_picc(df, j, rec)) != 0 || (r = ensure_app(df, j, rec)) != 0 ||
	    (r = ensure_app_keys(df, rec)) != 0)
		return r;
	return journal_put(j, rec, DESFIRE_PROV_DONE);
}

int desfire_provision(struct desfire *df, const struct desfire_journal *j,
    const struct desfire_prov_params *p, uint8_t *vault_out)
{
	struct desfire_prov_record rec;
	int fresh = 0, r;

	if (df == NULL || j == NULL || j->load == NULL || j->store == NULL || p == NULL)
		return SK_ERR_ARG;
	if ((r = journal_begin(df, j, p, &rec, &fresh)) != 0)
		goto out;
	if (fresh) {
		r = fast_path(df, j, &rec);
		if (r == 0 || is_transport(r))
			goto out;
		sk_info("desfire: chip is not factory-fresh as assumed (%d): probing it", r);
	} else if (rec.state == DESFIRE_PROV_DONE) {
		sk_debug("desfire: journal says provisioned: checking the chip");
	}
	r = resume_path(df, j, &rec);
out:
	if (r == 0 && vault_out != NULL)
		memcpy(vault_out, rec.vault_key, DESFIRE_VAULT_KEY_LEN);
	OPENSSL_cleanse(&rec, sizeof(rec));
	return r;
}

int desfire_vault_read(struct desfire *df, const uint8_t aid[3], const uint8_t chip_key[16],
    uint8_t *vault_out)
{
	int r;

	if (df == NULL || aid == NULL || chip_key == NULL || vault_out == NULL)
		return SK_ERR_ARG;
	if ((r = desfire_select_app(df, aid)) != 0 ||
	    (r = desfire_auth_ev2first(df, 0x00, chip_key)) != 0 ||
	    (r = desfire_read_data(df, DESFIRE_VAULT_FILE, DESFIRE_COMM_FULL, 0, vault_out,
	    DESFIRE_VAULT_KEY_LEN)) != 0) {
		OPENSSL_cleanse(vault_out, DESFIRE_VAULT_KEY_LEN);
		sk_info("desfire: vault key read failed (%d)", r);
	}
	return r;
}
