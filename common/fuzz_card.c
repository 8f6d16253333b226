/* fuzz_card.c — the APDU engine against a card that answers fuzz bytes.
 * Input: 1 byte of settings (caps, flags, sizes), then answers as [len][bytes] each. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "card.h"
#include "cursor.h"
#include "log.h"
#include "sk_err.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_io {
	struct sk_cur cur;
	unsigned long sent;
};

static void quiet(int level, const char *line, void *arg)
{
}

static int fuzz_transmit(void *arg, const uint8_t *cmd, size_t n, uint8_t *rsp, size_t *rl)
{
	struct fuzz_io *io = arg;
	const uint8_t *p;
	uint8_t len;

	io->sent++;
	if (sk_cur_u8(&io->cur, &len) != 0)
		return SK_ERR_CARD_REMOVED;
	if (len == 0xFF) {  /* a long answer: 300 bytes of pattern, then the SW from input */
		memset(rsp, 0xA5, 300);
		if (sk_cur_copy(&io->cur, rsp + 300, 2) != 0)
			return SK_ERR_CARD_REMOVED;
		*rl = 302;
		return 0;
	}
	if (len > *rl || sk_cur_bytes(&io->cur, len, &p) != 0)
		return SK_ERR_CARD_REMOVED;
	memcpy(rsp, p, len);
	*rl = len;
	return 0;
}

static const struct sk_card_ops fuzz_ops = { fuzz_transmit, NULL, NULL, NULL };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t lcs[] = { 0, 1, 255, 256, 600, 70000 };
	static uint8_t payload[70000];
	static const uint8_t ins[] = { 0xA4, 0x20, 0x2A, 0xCA };
	struct fuzz_io io;
	struct sk_card *c = NULL;
	struct sk_buf *rsp = sk_buf_new(0);
	struct sk_apdu a = { 0x00, 0xCA, 0x80, 0x86, payload, 0, 0, 0 };
	uint16_t sw;
	uint8_t s;
	int r;

	sk_log_set_sink(quiet, NULL);
	sk_log_set_level(SK_LOG_TRACE);
	if (size < 1 || rsp == NULL)
		goto out;
	s = data[0];
	sk_cur_init(&io.cur, data + 1, size - 1);
	io.sent = 0;
	if (sk_card_new(&fuzz_ops, &io, &c) != 0)
		goto out;
	sk_card_set_caps(c, s & 3u, 0, (s & 0x40) ? 1000 : 0);
	sk_card_set_rsp_cap(c, (s & 0x80) ? 2000 : SK_CARD_DEFAULT_RSP_CAP);
	a.ins = ins[(s >> 2) & 3];
	a.lc = lcs[((s >> 4) & 3) + ((s & 0x40) ? 2 : 0)];
	a.le = (s & 0x20) ? SK_LE_MAX : 256;
	a.flags = (s & 0x08) ? SK_APDU_EXTENDED_OK : 0;
	r = sk_card_apdu(c, &a, rsp, &sw);
	if (r == 0 && sk_buf_len(rsp) > ((s & 0x80) ? 2000u : SK_CARD_DEFAULT_RSP_CAP))
		abort();
	if (r != 0 && (sw != 0 || sk_buf_len(rsp) != 0))
		abort();
	if (sk_card_apdu_count(c) != io.sent || io.sent > 4200)
		abort();
out:
	sk_card_free(&c);
	sk_buf_free(&rsp);
	sk_log_set_level(SK_LOG_INFO);
	return 0;
}
