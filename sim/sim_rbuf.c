/* sim_rbuf.c — growable response buffer shared by the framework and the applets. */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "sim_applet.h"
#include "sim_core.h"

#define SIM_RBUF_MAX (1u << 20)  /* no card answer is ever near a megabyte */

static int rbuf_reserve(struct sim_rbuf *r, size_t extra)
{
	size_t want, ncap;
	uint8_t *np;

	if (extra > SIM_RBUF_MAX || r->len > SIM_RBUF_MAX - extra)
		return -1;
	want = r->len + extra;
	if (want <= r->cap)
		return 0;
	ncap = r->cap ? r->cap : 64;
	while (ncap < want)
		ncap *= 2;
	if ((np = malloc(ncap)) == NULL)
		return -1;
	if (r->len > 0)
		memcpy(np, r->p, r->len);
	/* responses can hold secrets (session data, HMAC outputs): wipe the old block */
	if (r->p != NULL)
		OPENSSL_cleanse(r->p, r->cap);
	free(r->p);
	r->p = np;
	r->cap = ncap;
	return 0;
}

int sim_rbuf_put(struct sim_rbuf *r, const void *data, size_t n)
{
	if (n == 0)
		return 0;
	if (rbuf_reserve(r, n) != 0)
		return -1;
	memcpy(r->p + r->len, data, n);
	r->len += n;
	return 0;
}

int sim_rbuf_u8(struct sim_rbuf *r, uint8_t v)
{
	return sim_rbuf_put(r, &v, 1);
}

int sim_rbuf_u16(struct sim_rbuf *r, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	return sim_rbuf_put(r, b, 2);
}

void sim_rbuf_clear(struct sim_rbuf *r)
{
	if (r->p != NULL)
		OPENSSL_cleanse(r->p, r->cap);
	r->len = 0;
}

void sim_rbuf_free(struct sim_rbuf *r)
{
	if (r == NULL)
		return;
	if (r->p != NULL)
		OPENSSL_cleanse(r->p, r->cap);
	free(r->p);
	r->p = NULL;
	r->len = r->cap = 0;
}
