/* sim_registry.c — which applets each card personality carries, and its ATR. Applets written
 * in other files are compiled in when they exist (SIM_HAVE_* from sim/meson.build). */
#include <string.h>

#include "sim_applet.h"
#include "sim_core.h"

/* JCOP4-like T=1 ATR as a PC/SC contactless reader reports an ISO 14443-4 chip:
 * TS 3B, T0 8A (TD1, 10 historical bytes), TD1 80, TD2 01 (T=1), "JCOP4 P71\0"... + TCK. */
static const uint8_t flexsecure_atr[] = {
	0x3B, 0x8A, 0x80, 0x01,
	0x4A, 0x43, 0x4F, 0x50, 0x34, 0x20, 0x50, 0x37, 0x31, 0x00,
	0x5F /* TCK: XOR of T0..last historical byte, checked by test_registry */
};

/* DESFire EV3 through a PC/SC contactless reader (one historical byte 80). */
static const uint8_t desfire_atr[] = { 0x3B, 0x81, 0x80, 0x01, 0x80, 0x80 };

static const struct sim_applet_ops *const flexsecure_applets[] = {
#ifdef SIM_HAVE_OPENPGP
	&sim_openpgp_applet,
#endif
	&sim_fido_applet,
	&sim_ykhmac_applet,
	&sim_oath_applet,
	&sim_duress_applet,
#ifdef SIM_HAVE_OPENPGP
	&sim_openpgp_applet1,   /* after the others: slot order of existing state stays */
	&sim_openpgp_applet2,
#endif
};

#ifdef SIM_HAVE_DESFIRE
static const struct sim_applet_ops *const desfire_applets[] = { &sim_desfire_card };
#define DESFIRE_N 1u
#else
static const struct sim_applet_ops *const *const desfire_applets = NULL;
#define DESFIRE_N 0u
#endif

static const struct sim_personality personalities[] = {
	{ "flexsecure", 35963, flexsecure_atr, sizeof(flexsecure_atr), flexsecure_applets,
	  sizeof(flexsecure_applets) / sizeof(flexsecure_applets[0]) },
	{ "desfire", 35964, desfire_atr, sizeof(desfire_atr), desfire_applets, DESFIRE_N },
};

const struct sim_personality *sim_personality_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(personalities) / sizeof(personalities[0]); i++)
		if (strcmp(personalities[i].name, name) == 0)
			return &personalities[i];
	return NULL;
}
