/* p11_mock_vault.c — an in-memory vault behind the mock backend: credentials in an array, a
 * fetch counter (each fetch is one "tap"), a switch for "the chip never comes". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "common/sk_err.h"
#include "p11_mock.h"

#define MOCK_VAULT_MAX 32

struct mcred {
	struct p11_vcred c;
	uint8_t secret[128];
	size_t len;
};

struct p11_mock_vault_stats p11_mock_vault_st;
static struct mcred creds[MOCK_VAULT_MAX];
static size_t ncreds;
static uint64_t next_id = 1;

void
p11_mock_vault_reset(int exists)
{
	OPENSSL_cleanse(creds, sizeof(creds));
	ncreds = 0;
	next_id = 1;
	memset(&p11_mock_vault_st, 0, sizeof(p11_mock_vault_st));
	p11_mock_vault_st.exists = exists;
}

static int
mv_primary(void *h, char chip[P11_CHIPID_MAX])
{
	(void)h;
	if (!p11_mock_vault_st.exists)
		return SK_ERR_NOT_FOUND;
	snprintf(chip, P11_CHIPID_MAX, "df-04a1b2c3d4e5f6");
	return 0;
}

static int
mv_list(void *h, struct p11_vcred **out, size_t *n)
{
	size_t i;

	(void)h;
	*n = 0;
	if ((*out = calloc(ncreds + 1, sizeof(**out))) == NULL)
		return SK_ERR_NOMEM;
	for (i = 0; i < ncreds; i++)
		(*out)[i] = creds[i].c;
	*n = ncreds;
	return 0;
}

static struct mcred *
find(uint64_t id)
{
	size_t i;

	for (i = 0; i < ncreds; i++)
		if (creds[i].c.id == id)
			return &creds[i];
	return NULL;
}

static int
mv_get(void *h, uint64_t id, uint8_t **secret, size_t *len)
{
	struct mcred *m = find(id);

	(void)h;
	*secret = NULL;
	*len = 0;
	p11_mock_vault_st.calls++;
	if (m == NULL)
		return SK_ERR_NOT_FOUND;
	if (p11_mock_vault_st.no_tap)
		return SK_ERR_TIMEOUT;
	p11_mock_vault_st.gets++;
	if (m->c.corrupt)
		return SK_ERR_CRYPTO;
	if ((*secret = malloc(m->len)) == NULL)
		return SK_ERR_NOMEM;
	memcpy(*secret, m->secret, m->len);
	*len = m->len;
	return 0;
}

static int
mv_add(void *h, const char *site, const char *user, const uint8_t *secret, size_t len,
    uint64_t *id)
{
	struct mcred *m;

	(void)h;
	if (ncreds >= MOCK_VAULT_MAX || len > sizeof(m->secret))
		return SK_ERR_TOOBIG;
	m = &creds[ncreds++];
	memset(m, 0, sizeof(*m));
	m->c.id = next_id++;
	snprintf(m->c.site, sizeof(m->c.site), "%s", site);
	snprintf(m->c.user, sizeof(m->c.user), "%s", user);
	memcpy(m->secret, secret, len);
	m->len = len;
	*id = m->c.id;
	return 0;
}

static int
mv_rm(void *h, uint64_t id)
{
	struct mcred *m = find(id);

	(void)h;
	if (m == NULL)
		return SK_ERR_NOT_FOUND;
	*m = creds[--ncreds];
	return 0;
}

void
p11_mock_vault_corrupt(uint64_t id)
{
	struct mcred *m = find(id);

	if (m != NULL)
		m->c.corrupt = 1;
}

static int
mv_update(void *h, uint64_t id, const uint8_t *secret, size_t len)
{
	struct mcred *m = find(id);

	(void)h;
	if (m == NULL)
		return SK_ERR_NOT_FOUND;
	if (len > sizeof(m->secret))
		return SK_ERR_TOOBIG;
	if (p11_mock_vault_st.no_tap)
		return SK_ERR_TIMEOUT;
	OPENSSL_cleanse(m->secret, sizeof(m->secret));
	memcpy(m->secret, secret, len);
	m->len = len;
	m->c.corrupt = 0;
	return 0;
}

const struct p11_vault_backend p11_mock_vault = {
	mv_primary, mv_list, mv_get, mv_add, mv_rm, mv_update,
};
