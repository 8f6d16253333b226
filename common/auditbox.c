/* auditbox.c — a duress context's audit event in a fixed-size AES-256-GCM box (auditbox.h). */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auditbox.h"
#include "hex.h"
#include "hkdf.h"
#include "log.h"
#include "sk_err.h"

#define NONCE_LEN 12
#define TAG_LEN 16
#define BOX_LEN (NONCE_LEN + SK_AUDITBOX_PLAIN + TAG_LEN)

static const char box_info[] = "skinkey-audit-box-v1";

int sk_auditbox_key(const uint8_t ctxkey[32], uint8_t out[SK_AUDITBOX_KEY_LEN])
{
	return sk_hkdf_sha256(ctxkey, 32, NULL, 0, box_info, sizeof(box_info) - 1, out,
	    SK_AUDITBOX_KEY_LEN) == 0 ? 0 : SK_ERR_CRYPTO;
}

/* enc 1: in -> out with tag written; enc 0: in -> out, tag checked. */
static int gcm(int enc, const uint8_t key[SK_AUDITBOX_KEY_LEN], const uint8_t *nonce,
    const uint8_t *in, uint8_t *out, uint8_t *tag)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n = 0, ok;

	ok = c != NULL && EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, key, nonce, enc) == 1 &&
	    EVP_CipherUpdate(c, NULL, &n, (const uint8_t *)box_info, sizeof(box_info) - 1) == 1 &&
	    EVP_CipherUpdate(c, out, &n, in, SK_AUDITBOX_PLAIN) == 1 && n == SK_AUDITBOX_PLAIN;
	if (ok && !enc)
		ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) == 1;
	ok = ok && EVP_CipherFinal_ex(c, out + n, &n) == 1;
	if (ok && enc)
		ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) == 1;
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : SK_ERR_CRYPTO;
}

int sk_auditbox_seal(const uint8_t key[SK_AUDITBOX_KEY_LEN], const char *kind,
    const char *details, char **out)
{
	uint8_t *plain = NULL, box[BOX_LEN];
	char *hex = NULL;
	int n, r = SK_ERR_NOMEM;

	*out = NULL;
	if ((plain = calloc(1, SK_AUDITBOX_PLAIN)) == NULL ||
	    (hex = malloc(4 + SK_AUDITBOX_HEX_LEN + 1)) == NULL)
		goto out;
	n = snprintf((char *)plain + 2, SK_AUDITBOX_PLAIN - 2, "kind=%s %s", kind,
	    details != NULL ? details : "");
	if (n < 0)
		n = 0;
	if (n > SK_AUDITBOX_PLAIN - 3)
		n = SK_AUDITBOX_PLAIN - 3;   /* cut, as the chain cuts long fields */
	plain[0] = (uint8_t)(n >> 8);
	plain[1] = (uint8_t)n;
	memset(plain + 2 + n, 0, (size_t)(SK_AUDITBOX_PLAIN - 2 - n));
	r = SK_ERR_CRYPTO;
	if (RAND_bytes(box, NONCE_LEN) != 1 ||
	    gcm(1, key, box, plain, box + NONCE_LEN, box + NONCE_LEN + SK_AUDITBOX_PLAIN) != 0) {
		sk_error("auditbox: sealing failed");
		goto out;
	}
	memcpy(hex, "box=", 4);
	if ((r = sk_hex_encode(box, sizeof(box), hex + 4, SK_AUDITBOX_HEX_LEN + 1, 0)) != 0)
		goto out;
	*out = hex;
	hex = NULL;
	r = 0;
out:
	if (plain != NULL)
		OPENSSL_cleanse(plain, SK_AUDITBOX_PLAIN);
	free(plain);
	free(hex);
	return r;
}

int sk_auditbox_open(const uint8_t key[SK_AUDITBOX_KEY_LEN], const char *details, char *kind,
    size_t kn, char *plain, size_t pn)
{
	uint8_t box[BOX_LEN], *pt = NULL;
	const char *p = details, *text, *sp;
	size_t len, klen;
	int r = SK_ERR_NOT_FOUND;

	if (kn == 0 || pn == 0)
		return SK_ERR_ARG;
	kind[0] = plain[0] = '\0';
	while (p != NULL && strncmp(p, "box=", 4) != 0)
		p = (p = strchr(p, ' ')) != NULL ? p + 1 : NULL;
	if (p == NULL)
		return SK_ERR_NOT_FOUND;
	p += 4;
	len = strcspn(p, " ");
	if (len != SK_AUDITBOX_HEX_LEN || sk_hex_decode_exact(p, len, box, sizeof(box)) != 0)
		return SK_ERR_CRYPTO;   /* not a box skinkeyd wrote: it opens with no key */
	r = SK_ERR_NOMEM;
	if ((pt = malloc(SK_AUDITBOX_PLAIN)) == NULL)
		goto out;
	r = SK_ERR_CRYPTO;
	if (gcm(0, key, box, box + NONCE_LEN, pt, box + NONCE_LEN + SK_AUDITBOX_PLAIN) != 0)
		goto out;   /* another context's row: not an error worth a log line */
	len = (size_t)pt[0] << 8 | pt[1];
	if (len > SK_AUDITBOX_PLAIN - 3 || strncmp((char *)pt + 2, "kind=", 5) != 0)
		goto out;
	pt[2 + len] = '\0';
	text = (char *)pt + 2 + 5;
	sp = strchr(text, ' ');
	klen = sp != NULL ? (size_t)(sp - text) : strlen(text);
	snprintf(kind, kn, "%.*s", (int)(klen < kn ? klen : kn - 1), text);
	snprintf(plain, pn, "%s", sp != NULL ? sp + 1 : "");
	r = 0;
out:
	if (pt != NULL)
		OPENSSL_cleanse(pt, SK_AUDITBOX_PLAIN);
	free(pt);
	OPENSSL_cleanse(box, sizeof(box));
	return r;
}
