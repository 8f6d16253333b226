/* test_log.c — APDU trace redaction: secret bytes must never reach the log. */
#include <stdint.h>
#include <stdio.h>

#include "log.h"
#include "sk_err.h"
#include "test_common.h"

int main(void);

static char logged[8192];

static void sink(int level, const char *line, void *arg)
{
	size_t used = strlen(logged);

	snprintf(logged + used, sizeof(logged) - used, "%s\n", line);
}

static void reset(void)
{
	logged[0] = '\0';
}

/* "31 32 33 34 35 36" is how the PIN 123456 would look in a hex trace. */
static void check_cmd_redacted(const uint8_t *apdu, size_t n, const char *secret_hex,
    const char *visible)
{
	reset();
	sk_log_apdu(SK_APDU_CMD, apdu, n, 0);
	CHECK(strstr(logged, secret_hex) == NULL);
	CHECK(strstr(logged, "redacted") != NULL);
	CHECK(strstr(logged, visible) != NULL);
	if (strstr(logged, secret_hex) != NULL)
		fprintf(stderr, "leaked: %s", logged);
}

static void test_commands(void)
{
	static const uint8_t verify[] = { 0x00, 0x20, 0x00, 0x82, 0x06, '1', '2', '3', '4', '5', '6' };
	static const uint8_t chverify[] = { 0x10, 0x20, 0x00, 0x81, 0x06, '1', '2', '3', '4', '5', '6' };
	static const uint8_t change[] = { 0x00, 0x24, 0x00, 0x81, 0x0C, '1', '2', '3', '4', '5', '6',
		'6', '5', '4', '3', '2', '1' };
	static const uint8_t rrc[] = { 0x00, 0x2C, 0x02, 0x81, 0x06, '1', '2', '3', '4', '5', '6' };
	static const uint8_t keyimp[] = { 0x00, 0xDB, 0x3F, 0xFF, 0x00, 0x00, 0x06, '1', '2', '3',
		'4', '5', '6' };
	static const uint8_t rcode[] = { 0x00, 0xDA, 0x00, 0xD3, 0x06, '1', '2', '3', '4', '5', '6' };
	static const uint8_t kdf[] = { 0x00, 0xDA, 0x00, 0xF9, 0x06, '1', '2', '3', '4', '5', '6' };
	static const uint8_t desf[] = { 0x90, 0xAA, 0x00, 0x00, 0x06, '1', '2', '3', '4', '5', '6',
		0x00 };
	static const uint8_t duress[] = { 0x80, 0x41, 0x00, 0x00, 0x06, '1', '2', '3', '4', '5', '6' };
	static const uint8_t dadmin[] = { 0x80, 0x60, 0x00, 0x00, 0x06, '1', '2', '3', '4', '5', '6' };
	static const uint8_t dkey[] = { 0x80, 0x40, 0x01, 0x00, 0x06, '1', '2', '3', '4', '5', '6' };
	static const uint8_t oath[] = { 0x00, 0x01, 0x00, 0x00, 0x06, '1', '2', '3', '4', '5', '6' };
	static const char *pin = "31 32 33 34 35 36";

	check_cmd_redacted(verify, sizeof(verify), pin, "> 00 20 00 82 06 <6 bytes redacted>");
	check_cmd_redacted(chverify, sizeof(chverify), pin, "> 10 20 00 81 06");
	check_cmd_redacted(change, sizeof(change), pin, "<12 bytes redacted>");
	check_cmd_redacted(rrc, sizeof(rrc), pin, "00 2C 02 81");
	check_cmd_redacted(keyimp, sizeof(keyimp), pin, "> 00 DB 3F FF 00 00 06 <6 bytes");
	check_cmd_redacted(rcode, sizeof(rcode), pin, "00 DA 00 D3");
	check_cmd_redacted(kdf, sizeof(kdf), pin, "00 DA 00 F9");
	check_cmd_redacted(desf, sizeof(desf), pin, "> 90 AA 00 00 06 <7 bytes redacted>");
	check_cmd_redacted(duress, sizeof(duress), pin, "80 41");
	check_cmd_redacted(dadmin, sizeof(dadmin), pin, "80 60");
	check_cmd_redacted(dkey, sizeof(dkey), pin, "80 40");
	check_cmd_redacted(oath, sizeof(oath), pin, "00 01");
}

static void test_not_redacted(void)
{
	static const uint8_t sel[] = { 0x00, 0xA4, 0x04, 0x00, 0x06, 0xD2, 0x76, 0x00, 0x01, 0x24,
		0x01, 0x00 };
	static const uint8_t getdata[] = { 0x00, 0xCA, 0x00, 0x6E, 0x00 };
	static const uint8_t cardholder[] = { 0x00, 0xDA, 0x00, 0x5B, 0x03, 'B', 'o', 'b' };

	reset();
	sk_log_apdu(SK_APDU_CMD, sel, sizeof(sel), 0);
	CHECK(strstr(logged, "> 00 A4 04 00 06 D2 76 00 01 24 01 00") != NULL);
	reset();
	sk_log_apdu(SK_APDU_CMD, getdata, sizeof(getdata), 0);
	CHECK(strstr(logged, "> 00 CA 00 6E 00") != NULL);
	reset();
	sk_log_apdu(SK_APDU_CMD, cardholder, sizeof(cardholder), 0);
	CHECK(strstr(logged, "42 6F 62") != NULL);
	/* but a caller flag redacts anything */
	reset();
	sk_log_apdu(SK_APDU_CMD, cardholder, sizeof(cardholder), 1);
	CHECK(strstr(logged, "42 6F 62") == NULL);
	CHECK(strstr(logged, "<3 bytes redacted>") != NULL);
}

static void test_responses(void)
{
	static const uint8_t pso[] = { 0x00, 0x2A, 0x80, 0x86, 0x02, 0x00, 0x01, 0x00 };
	static const uint8_t hmac[] = { 0x00, 0x01, 0x30, 0x00 };
	static const uint8_t sign[] = { 0x00, 0x2A, 0x9E, 0x9A, 0x01, 0x00, 0x00 };
	static const uint8_t rsp[] = { 0x5E, 0xC7, 0xE7, 0x90, 0x00 };

	CHECK(sk_apdu_secrecy(pso, sizeof(pso)) & SK_REDACT_RSP);
	CHECK(sk_apdu_secrecy(hmac, sizeof(hmac)) & SK_REDACT_RSP);
	CHECK(!(sk_apdu_secrecy(sign, sizeof(sign)) & SK_REDACT_RSP));
	CHECK(!(sk_apdu_secrecy(sign, sizeof(sign)) & SK_REDACT_CMD));
	CHECK_EQ(sk_apdu_secrecy(sign, 3), 0);
	CHECK(sk_apdu_secrecy((const uint8_t *)"\x00\xA4\x00\x01", 4) & SK_REDACT_RSP);
	CHECK(!(sk_apdu_secrecy((const uint8_t *)"\x00\xA4\x04\x00", 4) & SK_REDACT_RSP));
	CHECK(sk_apdu_secrecy((const uint8_t *)"\x00\xA2\x00\x01", 4) & SK_REDACT_RSP);
	reset();
	sk_log_apdu(SK_APDU_RSP, rsp, sizeof(rsp), 1);
	CHECK(strstr(logged, "5E") == NULL);
	CHECK(strstr(logged, "< <3 bytes redacted> 90 00") != NULL);
	reset();
	sk_log_apdu(SK_APDU_RSP, rsp, sizeof(rsp), 0);
	CHECK(strstr(logged, "< 5E C7 E7 90 00") != NULL);
}

static void test_levels(void)
{
	static const uint8_t sel[] = { 0x00, 0xA4, 0x04, 0x00 };
	int lvl = -1;

	CHECK_EQ(sk_log_parse_level("debug", &lvl), 0);
	CHECK_EQ(lvl, SK_LOG_DEBUG);
	CHECK_EQ(sk_log_parse_level("4", &lvl), 0);
	CHECK_EQ(lvl, SK_LOG_TRACE);
	CHECK_EQ(sk_log_parse_level("loud", &lvl), SK_ERR_ARG);
	sk_log_set_level(SK_LOG_INFO);
	reset();
	sk_log_apdu(SK_APDU_CMD, sel, sizeof(sel), 0);
	sk_log(SK_LOG_DEBUG, "hidden %d", 1);
	CHECK_EQ(strlen(logged), 0);
	sk_log(SK_LOG_WARN, "shown %d", 2);
	CHECK(strstr(logged, "shown 2") != NULL);
	sk_log_set_level(SK_LOG_TRACE);
}

int main(void)
{
	sk_log_set_sink(sink, NULL);
	sk_log_set_level(SK_LOG_TRACE);
	test_commands();
	test_not_redacted();
	test_responses();
	test_levels();
	return test_done("test_log");
}
