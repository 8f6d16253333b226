/* duress_inst.h — which OpenPGP instance serves a duress context: the one lookup the
 * per-context records (ctxdisk) replace with the mapping they store (doc/DURESS.md). */
#ifndef SKD_DURESS_INST_H
#define SKD_DURESS_INST_H

#include <stdint.h>

struct sk_card;

#define DURESS_INST_AID_LEN 16

/* Right after duress_unlock chose context ctx (secret: its 32-byte CHALLENGE answer), in the
 * same transaction: the full AID (16 bytes, D2 76 00 01 24 01 ...) of the context's OpenPGP
 * instance. 0, SK_ERR_CARD_REMOVED, or another SK_ERR_* (no instance: the unlock fails). */
int skd_duress_instance(struct sk_card *sc, int ctx, const uint8_t secret[32],
    uint8_t aid[DURESS_INST_AID_LEN]);

#endif
