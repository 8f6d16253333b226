/* test_util.h — tiny assertion helpers shared by the unit tests of openpgp/ and otp/. */
#ifndef SK_TEST_UTIL_H
#define SK_TEST_UTIL_H

#include <stdio.h>
#include <stdlib.h>

static int test_failures;

#define CHECK(cond) do { \
	if (!(cond)) { \
		fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
		test_failures++; \
	} \
} while (0)

#define CHECK_EQ(a, b) do { \
	long long va_ = (long long)(a), vb_ = (long long)(b); \
	if (va_ != vb_) { \
		fprintf(stderr, "%s:%d: %s == %lld, expected %s == %lld\n", __FILE__, __LINE__, \
		    #a, va_, #b, vb_); \
		test_failures++; \
	} \
} while (0)

static inline int test_result(const char *name)
{
	if (test_failures != 0) {
		fprintf(stderr, "%s: %d failure(s)\n", name, test_failures);
		return 1;
	}
	printf("%s: ok\n", name);
	return 0;
}

#endif
