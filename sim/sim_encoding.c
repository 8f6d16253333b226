/* sim_encoding.c — which of the valid encodings the simulated card uses for its answers. */
#include <string.h>

#include "sim_applet.h"

static enum sim_encoding current = SIM_ENC_MINIMAL;

enum sim_encoding sim_encoding(void)
{
	return current;
}

void sim_set_encoding(enum sim_encoding e)
{
	current = e;
}

static const char *const names[] = { "minimal", "real", "padded" };

int sim_encoding_parse(const char *s, enum sim_encoding *out)
{
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (s != NULL && strcmp(s, names[i]) == 0) {
			*out = (enum sim_encoding)i;
			return 0;
		}
	return -1;
}

const char *sim_encoding_name(enum sim_encoding e)
{
	return (size_t)e < sizeof(names) / sizeof(names[0]) ? names[e] : "?";
}
