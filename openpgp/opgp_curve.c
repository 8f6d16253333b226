/* opgp_curve.c — the curve OIDs the OpenPGP card and RFC 4880bis use. */
#include <string.h>

#include "opgp_int.h"

static const uint8_t oid_p256[] = { 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x03, 0x01, 0x07 };
static const uint8_t oid_p384[] = { 0x2B, 0x81, 0x04, 0x00, 0x22 };
static const uint8_t oid_ed25519[] = { 0x2B, 0x06, 0x01, 0x04, 0x01, 0xDA, 0x47, 0x0F, 0x01 };
static const uint8_t oid_cv25519[] = { 0x2B, 0x06, 0x01, 0x04, 0x01, 0x97, 0x55, 0x01, 0x05, 0x01 };
/* RFC 8410 id-X25519 / id-Ed25519, which some cards put in the attributes */
static const uint8_t oid_x25519_8410[] = { 0x2B, 0x65, 0x6E };
static const uint8_t oid_ed25519_8410[] = { 0x2B, 0x65, 0x70 };

static const struct {
	enum opgp_curve curve;
	const uint8_t *oid;
	size_t len;
} curves[] = {
	{ OPGP_CURVE_P256, oid_p256, sizeof(oid_p256) },
	{ OPGP_CURVE_P384, oid_p384, sizeof(oid_p384) },
	{ OPGP_CURVE_ED25519, oid_ed25519, sizeof(oid_ed25519) },
	{ OPGP_CURVE_X25519, oid_cv25519, sizeof(oid_cv25519) },
	{ OPGP_CURVE_X25519, oid_x25519_8410, sizeof(oid_x25519_8410) },
	{ OPGP_CURVE_ED25519, oid_ed25519_8410, sizeof(oid_ed25519_8410) },
};

enum opgp_curve opgp_curve_from_oid(const uint8_t *oid, size_t len)
{
	for (size_t i = 0; i < sizeof(curves) / sizeof(curves[0]); i++)
		if (curves[i].len == len && memcmp(curves[i].oid, oid, len) == 0)
			return curves[i].curve;
	return OPGP_CURVE_OTHER;
}

const uint8_t *opgp_curve_oid(enum opgp_curve curve, size_t *len)
{
	/* the first table entry of a curve is its OpenPGP OID */
	for (size_t i = 0; i < sizeof(curves) / sizeof(curves[0]); i++)
		if (curves[i].curve == curve) {
			*len = curves[i].len;
			return curves[i].oid;
		}
	*len = 0;
	return NULL;
}
