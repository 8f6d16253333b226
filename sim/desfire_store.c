/* desfire_store.c — the simulated chip's EEPROM image: UID, PICC key, applications, keys and
 * files, as bytes for the simulator's state file. The loader checks every length. */
#include <stdlib.h>
#include <string.h>

#include "desfire_int.h"

#define SDF_STATE_VERSION 1

void sdf_free_files(struct sdf_card *c)
{
	size_t i, k;

	for (i = 0; i < SDF_MAX_APPS; i++) {
		for (k = 0; k < SDF_MAX_FILES; k++) {
			struct sdf_file *f = &c->apps[i].files[k];

			if (f->data != NULL) {
				sdf_wipe(f->data, f->size);
				free(f->data);
			}
			f->data = NULL;
			f->used = 0;
		}
	}
}

static int put24(struct sim_rbuf *o, uint32_t v)
{
	return sim_rbuf_u8(o, (uint8_t)v) || sim_rbuf_u8(o, (uint8_t)(v >> 8)) ||
	    sim_rbuf_u8(o, (uint8_t)(v >> 16));
}

static int save_app(const struct sdf_app *a, struct sim_rbuf *o)
{
	size_t k, nf = 0;

	for (k = 0; k < SDF_MAX_FILES; k++)
		nf += a->files[k].used;
	if (sim_rbuf_put(o, a->aid, 3) || sim_rbuf_u8(o, a->settings) || sim_rbuf_u8(o, a->nkeys))
		return -1;
	for (k = 0; k < a->nkeys; k++)
		if (sim_rbuf_put(o, a->keys[k], 16) || sim_rbuf_u8(o, a->kver[k]))
			return -1;
	if (sim_rbuf_u8(o, (uint8_t)nf))
		return -1;
	for (k = 0; k < SDF_MAX_FILES; k++) {
		const struct sdf_file *f = &a->files[k];

		if (!f->used)
			continue;
		if (sim_rbuf_u8(o, f->no) || sim_rbuf_u8(o, f->comm) ||
		    sim_rbuf_u8(o, (uint8_t)f->access) || sim_rbuf_u8(o, (uint8_t)(f->access >> 8)) ||
		    put24(o, f->size) || sim_rbuf_put(o, f->data, f->size))
			return -1;
	}
	return 0;
}

int sdf_save(const struct sdf_card *c, struct sim_rbuf *o)
{
	size_t i, na = 0;

	for (i = 0; i < SDF_MAX_APPS; i++)
		na += c->apps[i].used;
	if (sim_rbuf_u8(o, SDF_STATE_VERSION) || sim_rbuf_put(o, c->uid, 7) ||
	    sim_rbuf_u8(o, c->picc_type) || sim_rbuf_put(o, c->picc_key, 16) ||
	    sim_rbuf_u8(o, c->picc_ver) || sim_rbuf_u8(o, c->picc_settings) ||
	    sim_rbuf_u8(o, (uint8_t)na))
		return -1;
	for (i = 0; i < SDF_MAX_APPS; i++)
		if (c->apps[i].used && save_app(&c->apps[i], o) != 0)
			return -1;
	return 0;
}

/* A bounds-checked reader of the image. */
struct rd {
	const uint8_t *p;
	size_t n, off;
};

static int take(struct rd *r, void *dst, size_t k)
{
	if (k > r->n - r->off)
		return -1;
	memcpy(dst, r->p + r->off, k);
	r->off += k;
	return 0;
}

static int take24(struct rd *r, uint32_t *v)
{
	uint8_t b[3];

	if (take(r, b, 3) != 0)
		return -1;
	*v = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16;
	return 0;
}

static int load_file(struct rd *r, struct sdf_file *f, size_t *budget)
{
	uint8_t b[4];

	if (take(r, b, 4) != 0 || take24(r, &f->size) != 0)
		return -1;
	f->no = b[0];
	f->comm = b[1];
	f->access = (uint16_t)(b[2] | b[3] << 8);
	if (f->no > 31 || f->size == 0 || f->size > *budget)
		return -1;
	*budget -= f->size;
	if ((f->data = malloc(f->size)) == NULL || take(r, f->data, f->size) != 0)
		return -1;
	f->used = 1;
	return 0;
}

static int load_app(struct rd *r, struct sdf_app *a, size_t *budget)
{
	uint8_t nf;
	size_t k;

	if (take(r, a->aid, 3) || take(r, &a->settings, 1) || take(r, &a->nkeys, 1))
		return -1;
	if (a->nkeys == 0 || a->nkeys > SDF_MAX_KEYS)
		return -1;
	for (k = 0; k < a->nkeys; k++)
		if (take(r, a->keys[k], 16) || take(r, &a->kver[k], 1))
			return -1;
	if (take(r, &nf, 1) || nf > SDF_MAX_FILES)
		return -1;
	a->used = 1;
	for (k = 0; k < nf; k++)
		if (load_file(r, &a->files[k], budget) != 0)
			return -1;
	return 0;
}

int sdf_load(struct sdf_card *c, const uint8_t *p, size_t n)
{
	struct rd r = { p, n, 0 };
	uint8_t ver, na;
	size_t i, budget = SDF_EEPROM;

	sdf_free_files(c);
	memset(c->apps, 0, sizeof(c->apps));
	if (take(&r, &ver, 1) || ver != SDF_STATE_VERSION || take(&r, c->uid, 7) ||
	    take(&r, &c->picc_type, 1) || take(&r, c->picc_key, 16) ||
	    take(&r, &c->picc_ver, 1) || take(&r, &c->picc_settings, 1) || take(&r, &na, 1))
		goto bad;
	if ((c->picc_type != SDF_KEY_DES && c->picc_type != SDF_KEY_AES) || na > SDF_MAX_APPS)
		goto bad;
	for (i = 0; i < na; i++)
		if (load_app(&r, &c->apps[i], &budget) != 0)
			goto bad;
	if (r.off != r.n)
		goto bad;
	c->sel = -1;
	return 0;
bad:
	sdf_free_files(c);
	memset(c->apps, 0, sizeof(c->apps));
	return -1;
}
