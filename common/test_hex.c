/* test_hex.c — hex encoding and strict decoding. */
#include <stdint.h>

#include "buf.h"
#include "hex.h"
#include "sk_err.h"
#include "test_common.h"

int main(void);

int main(void)
{
	static const uint8_t d[] = { 0x00, 0xAB, 0x7F, 0xFF };
	struct sk_buf *b = sk_buf_new(0);
	uint8_t out[4];
	char s[9], *dup;

	CHECK_EQ(sk_hex_encode(d, 4, s, sizeof(s), 0), 0);
	CHECK(strcmp(s, "00ab7fff") == 0);
	CHECK_EQ(sk_hex_encode(d, 4, s, sizeof(s), SK_HEX_UPPER), 0);
	CHECK(strcmp(s, "00AB7FFF") == 0);
	CHECK_EQ(sk_hex_encode(d, 4, s, 8, 0), SK_ERR_TOOBIG);
	CHECK_EQ(sk_hex_encode(d, 0, s, 1, 0), 0);
	CHECK_EQ(s[0], '\0');
	CHECK_EQ(sk_hex_encode(d, 0, s, 0, 0), SK_ERR_TOOBIG);
	dup = sk_hex_dup(d, 4, SK_HEX_UPPER);
	CHECK(dup != NULL && strcmp(dup, "00AB7FFF") == 0);
	free(dup);
	CHECK(b != NULL);
	if (b == NULL)
		return 1;
	CHECK_EQ(sk_hex_decode("00aB7Fff", 8, b), 0);
	CHECK_EQ(sk_buf_len(b), 4);
	CHECK_MEM(sk_buf_ptr(b), d, 4);
	CHECK_EQ(sk_hex_decode("0", 1, b), SK_ERR_FORMAT);
	CHECK_EQ(sk_hex_decode("0g", 2, b), SK_ERR_FORMAT);
	CHECK_EQ(sk_hex_decode("00 1", 4, b), SK_ERR_FORMAT);
	CHECK_EQ(sk_buf_len(b), 4);  /* unchanged by failures */
	CHECK_EQ(sk_hex_decode_exact("00ab7fff", 8, out, 4), 0);
	CHECK_MEM(out, d, 4);
	CHECK_EQ(sk_hex_decode_exact("00ab7f", 6, out, 4), SK_ERR_FORMAT);
	CHECK_EQ(sk_hex_decode_exact("00ab7fff00", 10, out, 4), SK_ERR_FORMAT);
	sk_buf_free(&b);
	return test_done("test_hex");
}
