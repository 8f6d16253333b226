/* test_cursor.c — bounds checks of the byte cursor. */
#include <stdint.h>

#include "cursor.h"
#include "sk_err.h"
#include "test_common.h"

int main(void);

static void test_reads(void)
{
	static const uint8_t d[] = { 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A };
	struct sk_cur c;
	uint8_t u8, tmp[3];
	uint16_t u16;
	uint32_t u32;
	const uint8_t *p;

	sk_cur_init(&c, d, sizeof(d));
	CHECK_EQ(sk_cur_left(&c), 10);
	CHECK_EQ(sk_cur_u8(&c, &u8), 0);
	CHECK_EQ(u8, 0x01);
	CHECK_EQ(sk_cur_u16be(&c, &u16), 0);
	CHECK_EQ(u16, 0x0203);
	CHECK_EQ(sk_cur_u32be(&c, &u32), 0);
	CHECK_EQ(u32, 0x04050607);
	CHECK_EQ(sk_cur_left(&c), 3);
	CHECK_EQ(sk_cur_u32be(&c, &u32), SK_ERR_FORMAT);  /* too short: cursor must not move */
	CHECK_EQ(sk_cur_left(&c), 3);
	CHECK_EQ(sk_cur_end(&c), SK_ERR_FORMAT);
	CHECK_EQ(sk_cur_bytes(&c, 4, &p), SK_ERR_FORMAT);
	CHECK_EQ(sk_cur_copy(&c, tmp, 3), 0);
	CHECK_EQ(tmp[0], 0x08);
	CHECK_EQ(tmp[2], 0x0A);
	CHECK_EQ(sk_cur_end(&c), 0);
	CHECK_EQ(sk_cur_u8(&c, &u8), SK_ERR_FORMAT);
	CHECK_EQ(sk_cur_bytes(&c, 0, &p), 0);
	CHECK_EQ(sk_cur_skip(&c, 1), SK_ERR_FORMAT);
}

static void test_little_endian(void)
{
	static const uint8_t d[] = { 0x34, 0x12, 0x56, 0x34, 0x12, 0x78, 0x56, 0x34, 0x12 };
	struct sk_cur c;
	uint16_t u16;
	uint32_t u32;

	sk_cur_init(&c, d, sizeof(d));
	CHECK_EQ(sk_cur_u16le(&c, &u16), 0);
	CHECK_EQ(u16, 0x1234);
	CHECK_EQ(sk_cur_u24le(&c, &u32), 0);
	CHECK_EQ(u32, 0x123456);
	CHECK_EQ(sk_cur_u32le(&c, &u32), 0);
	CHECK_EQ(u32, 0x12345678);
	CHECK_EQ(sk_cur_end(&c), 0);
}

static void test_huge_lengths(void)
{
	static const uint8_t d[4] = { 0 };
	struct sk_cur c, sub;
	const uint8_t *p = NULL;

	sk_cur_init(&c, d, sizeof(d));
	CHECK_EQ(sk_cur_skip(&c, 2), 0);
	/* an addition-based check would wrap here */
	CHECK_EQ(sk_cur_bytes(&c, SIZE_MAX, &p), SK_ERR_FORMAT);
	CHECK_EQ(sk_cur_bytes(&c, SIZE_MAX - 1, &p), SK_ERR_FORMAT);
	CHECK_EQ(sk_cur_left(&c), 2);
	CHECK_EQ(sk_cur_sub(&c, 3, &sub), SK_ERR_FORMAT);
	CHECK_EQ(sk_cur_sub(&c, 2, &sub), 0);
	CHECK_EQ(sk_cur_left(&sub), 2);
	CHECK_EQ(sk_cur_end(&c), 0);
	sk_cur_init(&c, NULL, 5);  /* NULL input is empty */
	CHECK_EQ(sk_cur_left(&c), 0);
}

static void test_strerror(void)
{
	CHECK(strcmp(sk_strerror(0), "success") == 0);
	CHECK(strcmp(sk_strerror(SK_ERR_PIN_WRONG), "wrong PIN") == 0);
	CHECK(strcmp(sk_strerror(SK_ERR_LOCKED), "locked") == 0);
	CHECK(strcmp(sk_strerror(SK_ERR__LAST), "unknown error") == 0);
	CHECK(strcmp(sk_strerror(5), "unknown error") == 0);
	CHECK(strcmp(sk_strerror(-1000), "unknown error") == 0);
}

int main(void)
{
	test_reads();
	test_little_endian();
	test_huge_lengths();
	test_strerror();
	return test_done("test_cursor");
}
