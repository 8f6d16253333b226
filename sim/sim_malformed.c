/* sim_malformed.c — deliberately broken answers, so the host's parsers meet what a flaky chip
 * or a hostile one sends: a cut TLV, a BER length running past the end, an unexpected SW. */
#include <string.h>

#include "sim_applet.h"
#include "sim_core.h"

static const char *const names[] = { "off", "truncate", "badlen", "badsw", "chain", "on",
	"template" };

int sim_malformed_parse(const char *s, enum sim_malformed *out)
{
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(s, names[i]) == 0) {
			*out = (enum sim_malformed)i;
			return 0;
		}
	}
	return -1;
}

const char *sim_malformed_name(enum sim_malformed m)
{
	if ((size_t)m >= sizeof(names) / sizeof(names[0]))
		return "?";
	return names[m];
}

/* Cut the data in the middle (mid-TLV for any TLV longer than a byte). */
static void do_truncate(struct sim_rbuf *d)
{
	d->len = d->len / 2;
}

/* Keep the first tag, then claim a two-byte BER length (0xFFF0) far past the end. */
static int do_badlen(struct sim_rbuf *d)
{
	uint8_t tmp[4];
	size_t tag = 1, lenlen = 0, i;

	if ((d->p[0] & 0x1F) == 0x1F)
		while (tag < d->len && tag < 3 && (d->p[tag++] & 0x80))
			;
	if (tag < d->len) {
		uint8_t l0 = d->p[tag];

		lenlen = l0 < 0x80 ? 1 : 1 + (size_t)(l0 & 0x7F);
		if (lenlen > d->len - tag)
			lenlen = d->len - tag;
	}
	/* remove the old length field, insert 82 FF F0 */
	memmove(d->p + tag, d->p + tag + lenlen, d->len - tag - lenlen);
	d->len -= lenlen;
	tmp[0] = 0x82;
	tmp[1] = 0xFF;
	tmp[2] = 0xF0;
	if (sim_rbuf_put(d, tmp, 3) != 0)
		return -1;
	memmove(d->p + tag + 3, d->p + tag, d->len - 3 - tag);
	for (i = 0; i < 3; i++)
		d->p[tag + i] = tmp[i];
	return 0;
}

/* Offset just past the tag and length field at p[off], or 0 when they do not fit. */
static size_t skip_header(const uint8_t *p, size_t n, size_t off)
{
	size_t lenlen;

	if (off >= n)
		return 0;
	if ((p[off++] & 0x1F) == 0x1F)
		while (off < n && (p[off++] & 0x80))
			;
	if (off >= n)
		return 0;
	lenlen = p[off] < 0x80 ? 1 : 1 + (size_t)(p[off] & 0x7F);
	return lenlen > n - off ? 0 : off + lenlen;
}

/* A template (constructed first tag: 6E, 65, 7A, 7F49, ...) whose first child has an indefinite
 * length (80): the outer object is intact, what is inside cannot be read. Primitive answers (the
 * AID 4F, C4, a signature) pass unchanged, so the chip can still be identified. */
static void do_template(struct sim_rbuf *d)
{
	size_t child, len;

	if ((d->p[0] & 0x20) == 0 || (child = skip_header(d->p, d->len, 0)) == 0 || child >= d->len)
		return;
	len = child + 1;
	if ((d->p[child] & 0x1F) == 0x1F)
		while (len < d->len && (d->p[len++] & 0x80))
			;
	if (len >= d->len)
		return;
	sim_log("malformed: template (indefinite length inside %02X)", d->p[0]);
	d->p[len] = 0x80;
}

int sim_malformed_apply(enum sim_malformed kind, struct sim_rbuf *data, uint16_t *sw,
    unsigned *counter)
{
	static const uint16_t badsws[] = { 0x6F00, 0x6A80, 0x9999 };

	if (data->len == 0)
		return 0;
	switch (kind) {
	case SIM_MAL_TRUNCATE:
		sim_log("malformed: truncate %zu -> %zu bytes", data->len, data->len / 2);
		do_truncate(data);
		return 0;
	case SIM_MAL_BADLEN:
		sim_log("malformed: badlen (BER length 0xFFF0 past the end)");
		return do_badlen(data);
	case SIM_MAL_TEMPLATE:
		do_template(data);
		return 0;
	case SIM_MAL_BADSW:
		*sw = badsws[*counter % 3];
		(*counter)++;
		sim_log("malformed: badsw %04X", *sw);
		return 0;
	default:
		return 0;
	}
}
