/* ctap_msg.c — what skinkeyd's CTAP relay reads in a client's CTAP2 message (untrusted bytes):
 * the clientPIN subCommand (to guard the PIN protocol), whether the message changes what getInfo
 * says (to refresh the cache) and the relying party id (for the audit record). No CBOR decoder:
 * only the leading bytes that libfido2 and browsers write; anything else reads as "unknown",
 * which is the safe answer for each question. */
#include "ctap_iso.h"

#include <string.h>

int ctap_msg_pin_subcommand(const uint8_t *m, size_t n)
{
	size_t i;

	if (m == NULL || n < 2 || m[0] != CTAPISO_CMD_CLIENT_PIN || (m[1] & 0xE0) != 0xA0)
		return -1;
	/* the first pairs are small integers: {1: protocol, 2: subCommand, ...} */
	for (i = 2; i + 1 < n; i += 2) {
		if (m[i] > 0x17 || m[i + 1] > 0x17)
			return -1;
		if (m[i] == 0x02)
			return m[i + 1];
	}
	return -1;
}

int ctap_msg_carries_pin(const uint8_t *m, size_t n)
{
	int sub;

	if (m == NULL || n < 1 || m[0] != CTAPISO_CMD_CLIENT_PIN)
		return 0;
	sub = ctap_msg_pin_subcommand(m, n);
	return sub < 0 || sub == 3 || sub == 4 || sub == 5 || sub == 9;
}

/* options {"rk": true}: text "rk" then true (62 72 6B F5); the same bytes inside some string
 * only cost a needless refresh */
static int asks_resident(const uint8_t *m, size_t n)
{
	static const uint8_t rk_true[] = { 0x62, 0x72, 0x6B, 0xF5 };

	return n >= sizeof(rk_true) && memmem(m, n, rk_true, sizeof(rk_true)) != NULL;
}

int ctap_msg_changes_info(const uint8_t *m, size_t n)
{
	int sub;

	if (m == NULL || n < 1)
		return 0;
	sub = ctap_msg_pin_subcommand(m, n);
	switch (m[0]) {
	case CTAPISO_CMD_RESET: case CTAPISO_CMD_CRED_MGMT: case CTAPISO_CMD_CRED_MGMT_PRE:
	case CTAPISO_CMD_CONFIG:
		return 1;
	case CTAPISO_CMD_CLIENT_PIN:
		return sub == 3 || sub == 4;
	case CTAPISO_CMD_MAKE_CREDENTIAL:
		return asks_resident(m, n);
	default:
		return 0;
	}
}

void ctap_msg_rp_id(const uint8_t *m, size_t len, char *out, size_t n)
{
	size_t off = 0, k, i;

	if (out == NULL || n == 0)
		return;
	out[0] = '\0';
	if (m == NULL || len < 4 || (m[1] & 0xE0) != 0xA0)
		return;
	if (m[0] == CTAPISO_CMD_GET_ASSERTION && m[2] == 0x01)
		off = 3;                     /* {1: rpId, ...} */
	else if (m[0] == CTAPISO_CMD_MAKE_CREDENTIAL && len > 42 && m[2] == 0x01 && m[3] == 0x58 &&
	    m[4] == 0x20 && m[37] == 0x02 && (m[38] & 0xE0) == 0xA0 && m[39] == 0x62 &&
	    m[40] == 'i' && m[41] == 'd')
		off = 42;                    /* {1: clientDataHash, 2: {"id": rpId, ...}, ...} */
	if (off == 0 || off >= len || (m[off] & 0xE0) != 0x60 || (m[off] & 0x1F) > 23)
		return;
	k = m[off] & 0x1F;
	if (k > len - off - 1 || k >= n)
		return;
	memcpy(out, m + off + 1, k);
	out[k] = '\0';
	for (i = 0; i < k; i++)
		if (out[i] < 0x20 || out[i] > 0x7E)
			out[i] = '?';
}
