/* test_buf.c — sk_buf growth, caps, wiping helpers, secure memory. */
#include <stdint.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include "buf.h"
#include "cursor.h"
#include "secmem.h"
#include "sk_err.h"
#include "test_common.h"

int main(void);

static void test_put(void)
{
	static const uint8_t want[] = { 0xAB, 0x12, 0x34, 0xDE, 0xAD, 0xBE, 0xEF, 0x34, 0x12,
		0x56, 0x34, 0x12, 0x78, 0x56, 0x34, 0x12, 'x', 'y' };
	struct sk_buf *b = sk_buf_new(0);
	struct sk_cur c;
	uint8_t *dst;
	uint16_t v;

	CHECK(b != NULL);
	if (b == NULL)
		return;
	CHECK_EQ(sk_buf_len(b), 0);
	CHECK(sk_buf_ptr(b) != NULL);
	CHECK_EQ(sk_buf_put_u8(b, 0xAB), 0);
	CHECK_EQ(sk_buf_put_u16be(b, 0x1234), 0);
	CHECK_EQ(sk_buf_put_u32be(b, 0xDEADBEEF), 0);
	CHECK_EQ(sk_buf_put_u16le(b, 0x1234), 0);
	CHECK_EQ(sk_buf_put_u24le(b, 0x123456), 0);
	CHECK_EQ(sk_buf_put_u24le(b, 0x1000000), SK_ERR_ARG);
	CHECK_EQ(sk_buf_put_u32le(b, 0x12345678), 0);
	CHECK_EQ(sk_buf_reserve(b, 2, &dst), 0);
	dst[0] = 'x';
	dst[1] = 'y';
	CHECK_EQ(sk_buf_len(b), sizeof(want));
	CHECK_MEM(sk_buf_ptr(b), want, sizeof(want));
	sk_buf_cur(b, &c);
	CHECK_EQ(sk_cur_skip(&c, 1), 0);
	CHECK_EQ(sk_cur_u16be(&c, &v), 0);
	CHECK_EQ(v, 0x1234);
	CHECK_EQ(sk_buf_consume(b, 3), 0);
	CHECK_EQ(sk_buf_ptr(b)[0], 0xDE);
	CHECK_EQ(sk_buf_consume(b, 100), SK_ERR_ARG);
	CHECK_EQ(sk_buf_truncate(b, 2), 0);
	CHECK_EQ(sk_buf_len(b), 2);
	CHECK_EQ(sk_buf_truncate(b, 3), SK_ERR_ARG);
	sk_buf_reset(b);
	CHECK_EQ(sk_buf_len(b), 0);
	sk_buf_free(&b);
	CHECK(b == NULL);
	sk_buf_free(&b);  /* NULL is fine */
	sk_buf_free(NULL);
}

static void test_max(void)
{
	struct sk_buf *b = sk_buf_new(10), *big = sk_buf_new(1000);
	uint8_t chunk[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	size_t i;

	CHECK(b != NULL && big != NULL);
	if (b == NULL || big == NULL)
		goto out;
	CHECK_EQ(sk_buf_put(b, chunk, 8), 0);
	CHECK_EQ(sk_buf_put(b, chunk, 3), SK_ERR_TOOBIG);
	CHECK_EQ(sk_buf_len(b), 8);  /* unchanged */
	CHECK_EQ(sk_buf_put(b, chunk, 2), 0);
	CHECK_EQ(sk_buf_put_u8(b, 0), SK_ERR_TOOBIG);
	CHECK_EQ(sk_buf_reserve(b, SIZE_MAX, NULL), SK_ERR_TOOBIG);
	for (i = 0; i < 125; i++)
		CHECK_EQ(sk_buf_put(big, chunk, 8), 0);
	CHECK_EQ(sk_buf_len(big), 1000);
	CHECK_EQ(sk_buf_put_u8(big, 1), SK_ERR_TOOBIG);
	CHECK_EQ(sk_buf_ptr(big)[999], 8);
	CHECK_EQ(sk_buf_put_buf(b, big), SK_ERR_TOOBIG);
out:
	sk_buf_free(&b);
	sk_buf_free(&big);
}

static void test_secure(void)
{
	struct sk_buf *b = sk_buf_new_secure(100000);
	uint8_t *p = sk_secure_alloc(100), chunk[1000];
	size_t i;

	CHECK(b != NULL && p != NULL);
	if (b == NULL || p == NULL)
		goto out;
	CHECK_EQ(sk_secure_size(p), 100);
	for (i = 0; i < 100; i++)
		CHECK_EQ(p[i], 0);
	memset(p, 0x5A, 100);
	memset(chunk, 0xA5, sizeof(chunk));
	for (i = 0; i < 50; i++)
		CHECK_EQ(sk_buf_put(b, chunk, sizeof(chunk)), 0);
	CHECK_EQ(sk_buf_len(b), 50000);
	CHECK_EQ(sk_buf_ptr(b)[49999], 0xA5);
	CHECK(sk_ct_eq("abc", "abc", 3));
	CHECK(!sk_ct_eq("abc", "abd", 3));
	CHECK(sk_ct_eq("x", "y", 0));
	sk_wipe(chunk, sizeof(chunk));
	CHECK_EQ(chunk[0], 0);
	CHECK_EQ(chunk[999], 0);
	CHECK(sk_secure_alloc(0) == NULL);
out:
	sk_secure_free(p);
	sk_secure_free(NULL);
	sk_buf_free(&b);
}

static void test_harden(void)
{
	struct rlimit rl;

	CHECK_EQ(sk_process_harden(), 0);
	CHECK_EQ(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
	CHECK_EQ(getrlimit(RLIMIT_CORE, &rl), 0);
	CHECK_EQ(rl.rlim_cur, 0);
}

int main(void)
{
	test_put();
	test_harden();
	test_max();
	test_secure();
	return test_done("test_buf");
}
