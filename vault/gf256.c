/* GF(2^8)/0x11B arithmetic for Shamir sharing; see gf256.h for the constant-time promise. */
#include "vault/gf256.h"

uint8_t gf256_mul(uint8_t a, uint8_t b)
{
	uint8_t p = 0, hi;
	int i;

	for (i = 0; i < 8; i++) {
		p ^= (uint8_t)(-(b & 1) & a);
		hi = (uint8_t)(a >> 7);
		a = (uint8_t)((a << 1) ^ (0x1B & -hi));
		b >>= 1;
	}
	return p;
}

/* a^254 = a^-1 (Fermat), by a fixed square-and-multiply chain: 254 = 0b11111110. */
uint8_t gf256_inv(uint8_t a)
{
	uint8_t r = a, i;

	for (i = 0; i < 6; i++) {
		r = gf256_mul(r, r);
		r = gf256_mul(r, a);
	}
	return gf256_mul(r, r);
}
