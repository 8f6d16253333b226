/* mockcard.h — scripted sk_card_ops for unit tests (tests only, never in a library). Each step
 * is an expected raw command APDU (hex) and the raw answer (hex, SW included). A command that
 * differs from the script fails the test with both printed. */
#ifndef SK_MOCKCARD_H
#define SK_MOCKCARD_H

#include <stddef.h>

struct sk_card;

struct mock_step {
	const char *cmd;   /* hex, spaces ignored; "*" matches any command */
	const char *rsp;   /* hex, spaces ignored */
};

struct mock {
	const struct mock_step *steps;
	size_t n, pos;
	int failed;
	int transport_err;   /* returned (instead of a transmit) once the script is exhausted */
};

/* New card over a mock; the mock must outlive the card. */
struct sk_card *mock_card(struct mock *m, const struct mock_step *steps, size_t n);
/* 1 when every step was consumed and no mismatch happened. */
int mock_done(const struct mock *m);
size_t mock_hex(const char *hex, unsigned char *out, size_t cap);

#endif
