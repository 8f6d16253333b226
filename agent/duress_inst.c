/* duress_inst.c — the context's OpenPGP instance. Its full AID is kept in the context's own
 * record (ctxrec_skd.c: contexts.rec, opened with the context's CHALLENGE answer), so no file
 * in the clear says how many instances there are or which is whose. With a recorded AID the
 * instance is SELECTed by it and its GET DATA 4F must name it again. With none (the context's
 * first unlock on this install) skinkey takes the simulator's convention (which `skinkey duress
 * setup` relies on): in the field session where the DuressApplet chose a context, the partial
 * OpenPGP AID selects that context's instance, whose full AID (GET DATA 4F) is then recorded.
 * Two APDUs either way, for every context. A real chip has no such link between applets: there
 * the record must be written before the first unlock (doc/DURESS.md, "Real-chip mapping"). */
#include <string.h>

#include "common/buf.h"
#include "common/card.h"
#include "common/log.h"
#include "common/sk_err.h"
#include "duress_inst.h"
#include "skd_int.h"

int skd_duress_instance(struct sk_card *sc, int ctx, const uint8_t secret[32],
    uint8_t aid[DURESS_INST_AID_LEN])
{
	static const uint8_t partial[] = { 0xD2, 0x76, 0x00, 0x01, 0x24, 0x01 };
	uint8_t known[DURESS_INST_AID_LEN];
	int have = skd_ctxrec_instance(ctx, secret, 32, known) == 0;
	struct sk_apdu sel = { 0x00, 0xA4, 0x04, 0x00, have ? known : partial,
		have ? sizeof(known) : sizeof(partial), 256, 0 };
	struct sk_apdu a4f = { 0x00, 0xCA, 0x00, 0x4F, NULL, 0, 256, 0 };
	struct sk_buf *rsp = sk_buf_new(256);
	uint16_t sw = 0;
	int r = SK_ERR_NOMEM;

	if (rsp == NULL)
		goto out;
	if ((r = sk_card_apdu(sc, &sel, rsp, &sw)) != 0 || (r = sk_sw_to_err(sw)) != 0)
		goto out;
	sk_buf_reset(rsp);
	if ((r = sk_card_apdu(sc, &a4f, rsp, &sw)) != 0 || (r = sk_sw_to_err(sw)) != 0)
		goto out;
	if (sk_buf_len(rsp) != DURESS_INST_AID_LEN ||
	    memcmp(sk_buf_ptr(rsp), partial, sizeof(partial)) != 0) {
		sk_warn("duress: the instance's AID (%zu bytes) does not parse", sk_buf_len(rsp));
		r = SK_ERR_BAD_RESPONSE;
		goto out;
	}
	if (have && memcmp(sk_buf_ptr(rsp), known, sizeof(known)) != 0) {
		sk_warn("duress: the instance the context's record names answers another AID");
		r = SK_ERR_BAD_RESPONSE;
		goto out;
	}
	memcpy(aid, sk_buf_ptr(rsp), DURESS_INST_AID_LEN);
	if (!have)   /* learned now: recorded for the next unlocks (a failure is logged) */
		(void)skd_ctxrec_instance_store(ctx, secret, 32, aid);
out:
	sk_buf_free(&rsp);
	return r;
}
