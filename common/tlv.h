/* tlv.h — BER-TLV as ISO 7816-4 and the OpenPGP card use it.
 * Tags are 1 to 3 bytes, held as the encoded bytes in an integer (0x5F50, 0x7F49, 0xC5).
 * Lengths read: 00-7F and every definite long form 81 xx, 82 xxxx, 83 xxxxxx, 84 xxxxxxxx, minimal
 * or not (ISO 7816-4 has no minimal-length rule; cards send 82 00 FF). Written: always minimal.
 * Rejected (SK_ERR_FORMAT): indefinite (80), 85 and longer forms, a value past the end of the input,
 * tag first byte 00 or FF, a multi-byte tag with a leading zero (second byte 80) or a second
 * byte below 1F, tags longer than 3 bytes. Iterating and sk_tlv_parse_one skip 00/FF padding
 * before, between and after objects (ISO 7816-4 5.2.2). */
#ifndef SK_TLV_H
#define SK_TLV_H

#include <stddef.h>
#include <stdint.h>

#include "cursor.h"

struct sk_buf;

#define SK_TLV_MAX_DEPTH 8     /* sk_tlv_find never descends deeper than this */
#define SK_TLV_MAX_LEN 0xFFFFu

struct sk_tlv {
	uint32_t tag;          /* encoded tag bytes, e.g. 0x7F49 */
	int constructed;       /* bit 6 (0x20) of the first tag byte */
	const uint8_t *value;  /* points into the input */
	size_t len;            /* value length */
	const uint8_t *raw;    /* the whole TLV (tag, length, value) */
	size_t rawlen;
};

/* Reads the next TLV at the cursor. 0, or SK_ERR_FORMAT (cursor unchanged). */
int sk_tlv_next(struct sk_cur *c, struct sk_tlv *out);
/* Exactly one TLV spanning all of p[0..len) but 00/FF padding: other trailing bytes are
 * SK_ERR_FORMAT. */
int sk_tlv_parse_one(const uint8_t *p, size_t len, struct sk_tlv *out);
/* Finds the first TLV with tag in a sequence of TLVs; with recurse, descends depth-first into
 * constructed TLVs (at most SK_TLV_MAX_DEPTH levels). 0, SK_ERR_NOT_FOUND, or SK_ERR_FORMAT when
 * the data visited on the way is malformed. */
int sk_tlv_find(const uint8_t *p, size_t len, uint32_t tag, int recurse, struct sk_tlv *out);

/* Iterating the children of a constructed TLV (or any sequence of TLVs). */
struct sk_tlv_iter {
	struct sk_cur cur;
};
void sk_tlv_iter_init(struct sk_tlv_iter *it, const uint8_t *p, size_t len);
void sk_tlv_iter_children(struct sk_tlv_iter *it, const struct sk_tlv *parent);
/* 1 with *out filled, 0 at the end, SK_ERR_FORMAT on malformed data. */
int sk_tlv_iter_next(struct sk_tlv_iter *it, struct sk_tlv *out);

/* Encoded size of a tag (1-3) and of a length field (1-3; 0 when len > SK_TLV_MAX_LEN). */
size_t sk_tlv_tag_size(uint32_t tag);
size_t sk_tlv_len_size(size_t len);

/* Writer. Each returns 0, SK_ERR_ARG (invalid tag, len > SK_TLV_MAX_LEN), or an sk_buf error. */
int sk_tlv_put_tag(struct sk_buf *b, uint32_t tag);
int sk_tlv_put_len(struct sk_buf *b, size_t len);
int sk_tlv_put(struct sk_buf *b, uint32_t tag, const void *value, size_t len);
/* Constructed TLVs: begin writes the tag and remembers where the value starts (*mark);
 * end inserts the minimal length field for everything appended since. Nestable. */
int sk_tlv_begin(struct sk_buf *b, uint32_t tag, size_t *mark);
int sk_tlv_end(struct sk_buf *b, size_t mark);

/* DOL: a list of tag + length pairs without values (OpenPGP 7F48 private key template),
 * whose values follow concatenated elsewhere (5F48). */
struct sk_dol_item {
	uint32_t tag;
	size_t len;
};
/* 0, or SK_ERR_FORMAT (cursor unchanged). Same tag and length rules as sk_tlv_next. */
int sk_dol_next(struct sk_cur *c, struct sk_dol_item *out);
int sk_dol_put(struct sk_buf *b, uint32_t tag, size_t len);
/* Locates tag's value inside data laid out as dol says. SK_ERR_NOT_FOUND, or SK_ERR_FORMAT when
 * the DOL is malformed or its lengths do not add up to exactly datalen. */
int sk_dol_value(const uint8_t *dol, size_t dollen, const uint8_t *data, size_t datalen,
    uint32_t tag, const uint8_t **value, size_t *len);

#endif
