/* GF(2^8) with the Rijndael polynomial x^8 + x^4 + x^3 + x + 1 (0x11B), constant time:
 * no table lookups and no branches on the operands (they may be secret share bytes). */
#ifndef SK_VAULT_GF256_H
#define SK_VAULT_GF256_H

#include <stdint.h>

uint8_t gf256_mul(uint8_t a, uint8_t b);
uint8_t gf256_inv(uint8_t a);   /* inv(0) = 0 */

#endif
