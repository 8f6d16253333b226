/* test_sig.c — originality verification: two signatures read from real DESFire EV3 chips
 * (published with the Proxmark3 key-recovery self-test), tampering, and the simulator test key
 * only when allowed. */
#include "df_int.h"
#include "sk_err.h"
#include "test_util.h"

int main(void)
{
	uint8_t uid[7], sig[56];
	const char *which = NULL;

	t_unhex("04448BD2DB6B80", uid, 7);
	t_unhex("5CBB5632795C8F15263FEFB095B51C7B541AFD914A1AE44EF6FB8AF605EDF13DBFEE6C3A2DB37224"
	    "5E671DFE0D42CB1F0D0B8FE67A89D2F6", sig, 56);
	CHECK(desfire_verify_originality(uid, sig, 0, &which) == 0);
	CHECK(which != NULL && strcmp(which, "nxp-ev3") == 0);
	uid[6] ^= 1;
	CHECK(desfire_verify_originality(uid, sig, DESFIRE_ORIG_ALLOW_SIM, NULL) == SK_ERR_CRYPTO);

	t_unhex("04445DD2DB6B80", uid, 7);
	t_unhex("166BFD9F9BFAA451172566101580DF9894F582C4A4E258C15037AD2F35A475CF1D7FB817618623A6"
	    "569F991931AFB2766984E21A18512A6D", sig, 56);
	CHECK(desfire_verify_originality(uid, sig, 0, NULL) == 0);
	sig[40] ^= 0x80;
	CHECK(desfire_verify_originality(uid, sig, 0, NULL) == SK_ERR_CRYPTO);

	/* signed with skinkey-sim's test key: refused by default, accepted when configured */
	t_unhex("04112233445566", uid, 7);
	t_unhex("a07430b16ca9151d65544f458f59e1c891fc0464f6a3914a45ad9d8033c0f1d57cdb1175dd7e9834"
	    "63e5b4876ab0ff348a5cf5a234ac79fe", sig, 56);
	CHECK(desfire_verify_originality(uid, sig, 0, NULL) == SK_ERR_CRYPTO);
	CHECK(desfire_verify_originality(uid, sig, DESFIRE_ORIG_ALLOW_SIM, &which) == 0);
	CHECK(which != NULL && strcmp(which, "sim-test") == 0);
	CHECK(desfire_verify_sig_with(desfire_sim_test_pubkey, 57, uid, sig) == 0);
	CHECK(desfire_verify_sig_with(desfire_sim_test_pubkey, 56, uid, sig) == SK_ERR_CRYPTO);
	return t_done("test_sig");
}
