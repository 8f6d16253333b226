/* test_sk_provider.c — skinkey-sk.so as OpenSSH loads it (dlopen): the sk-api version OpenSSH
 * 9.2 accepts, only the four sk_* symbols exported, and the refusals that need no chip
 * (ed25519-sk, unknown algorithms, missing output pointers, unknown required options). */
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

#include "fido/sk_api.h"
#include "openpgp/test_util.h"

typedef uint32_t version_fn(void);
typedef int enroll_fn(uint32_t, const uint8_t *, size_t, const char *, uint8_t, const char *,
    struct sk_option **, struct sk_enroll_response **);
typedef int sign_fn(uint32_t, const uint8_t *, size_t, const char *, const uint8_t *, size_t,
    uint8_t, const char *, struct sk_option **, struct sk_sign_response **);

int main(int argc, char **argv)
{
	static const uint8_t chal[32] = { 1 };
	struct sk_option unknown = { (char *)"made-up", (char *)"1", 1 };
	struct sk_option *opts[] = { &unknown, NULL };
	struct sk_enroll_response *er = (void *)1;
	struct sk_sign_response *sr = (void *)1;
	void *h;
	version_fn *ver;
	enroll_fn *enroll;
	sign_fn *sign;

	CHECK(argc == 2);
	if (argc != 2)
		return 1;
	h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	CHECK(h != NULL);
	if (h == NULL) {
		fprintf(stderr, "dlopen: %s\n", dlerror());
		return 1;
	}
	ver = (version_fn *)dlsym(h, "sk_api_version");
	enroll = (enroll_fn *)dlsym(h, "sk_enroll");
	sign = (sign_fn *)dlsym(h, "sk_sign");
	CHECK(ver != NULL && enroll != NULL && sign != NULL && dlsym(h, "sk_load_resident_keys") != NULL);
	/* nothing else: not our helpers, not libskfido, not libskclient */
	CHECK(dlsym(h, "skp_open") == NULL && dlsym(h, "skfido_dev_new") == NULL &&
	    dlsym(h, "skc_connect") == NULL && dlsym(h, "sk_strerror") == NULL);
	CHECK((ver() & SSH_SK_VERSION_MAJOR_MASK) == 0x000a0000);
	/* refusals before any connection to skinkeyd (none runs here) */
	CHECK_EQ(enroll(SSH_SK_ED25519, chal, sizeof(chal), "ssh:", 0x01, NULL, NULL, &er),
	    SSH_SK_ERR_UNSUPPORTED);
	CHECK(er == NULL);
	CHECK_EQ(enroll(7, chal, sizeof(chal), "ssh:", 0x01, NULL, NULL, &er), SSH_SK_ERR_UNSUPPORTED);
	CHECK_EQ(enroll(SSH_SK_ECDSA, chal, sizeof(chal), "ssh:", 0x01, NULL, NULL, NULL),
	    SSH_SK_ERR_GENERAL);
	CHECK_EQ(enroll(SSH_SK_ECDSA, chal, sizeof(chal), "ssh:", 0x01, NULL, opts, &er),
	    SSH_SK_ERR_UNSUPPORTED);
	CHECK_EQ(sign(SSH_SK_ED25519, chal, sizeof(chal), "ssh:", chal, 8, 0x01, NULL, NULL, &sr),
	    SSH_SK_ERR_UNSUPPORTED);
	CHECK(sr == NULL);
	CHECK_EQ(sign(SSH_SK_ECDSA, chal, sizeof(chal), "ssh:", NULL, 0, 0x01, NULL, NULL, &sr),
	    SSH_SK_ERR_GENERAL);
	CHECK_EQ(sign(SSH_SK_ECDSA, chal, sizeof(chal), "ssh:", chal, 8, 0x01, NULL, opts, &sr),
	    SSH_SK_ERR_UNSUPPORTED);
	dlclose(h);
	return test_result("test_sk_provider");
}
