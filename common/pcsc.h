/* pcsc.h — pcsc-lite backend for card.h, and a reader/card watcher.
 * Cards are opened in shared mode, T=1 preferred, T=0 accepted. Errors:
 *   pcscd not running → SK_ERR_NO_READER; no card in the reader → SK_ERR_NO_CARD;
 *   exclusive use by another program → SK_ERR_BUSY;
 *   SCARD_W_RESET_CARD (another program reset the card) → the card is reconnected
 *     (SCARD_LEAVE_CARD; an open transaction is re-begun) and SK_ERR_CARD_RESET returned:
 *     the caller re-selects its applet;
 *   SCARD_W_REMOVED_CARD / SCARD_E_NO_SMARTCARD / SCARD_E_READER_UNAVAILABLE → SK_ERR_CARD_REMOVED;
 *   SCARD_E_TIMEOUT → SK_ERR_TIMEOUT.
 * A transmit that yields no status word while the chip leaves the field (some drivers, vpcd
 * among them, answer nothing instead of an error) is reported as SK_ERR_CARD_REMOVED too.
 * After SK_ERR_CARD_REMOVED the sk_card is dead: free it and sk_pcsc_connect again on the next
 * CARD_INSERTED. When pcscd goes away, calls fail with SK_ERR_NO_READER: close and reopen.
 * An sk_pcsc may be used from several threads (pcsc-lite locks per context), but each sk_card
 * by one thread at a time. */
#ifndef SK_PCSC_H
#define SK_PCSC_H

#include <stddef.h>
#include <stdint.h>

struct sk_card;
struct sk_pcsc;

int sk_pcsc_open(struct sk_pcsc **out);
/* Every sk_card from this context must be freed first. */
void sk_pcsc_close(struct sk_pcsc **ctx);

/* NULL-terminated array of reader names (possibly empty). Free with sk_pcsc_readers_free. */
int sk_pcsc_list_readers(struct sk_pcsc *ctx, char ***readers);
void sk_pcsc_readers_free(char ***readers);

/* An sk_card whose ops are SCardTransmit / SCardBeginTransaction / SCardEndTransaction;
 * sk_card_free disconnects (SCARD_LEAVE_CARD). */
int sk_pcsc_connect(struct sk_pcsc *ctx, const char *reader, struct sk_card **out);
/* Only for cards from sk_pcsc_connect (else SK_ERR_ARG). *len: room on entry, length on return. */
int sk_pcsc_card_atr(struct sk_card *c, uint8_t *atr, size_t *len);
const char *sk_pcsc_card_reader(const struct sk_card *c);  /* NULL if not a PC/SC card */
int sk_pcsc_card_protocol(const struct sk_card *c);        /* 0 (T=0), 1 (T=1), -1 */

/* Watcher. The first call reports the current state (READER_ADDED for each reader,
 * CARD_INSERTED for each card present); later calls report changes since. A card removed and
 * put back between two looks is reported as removed then inserted. */
enum sk_pcsc_event {
	SK_PCSC_READER_ADDED = 1,
	SK_PCSC_READER_REMOVED = 2,
	SK_PCSC_CARD_INSERTED = 3,
	SK_PCSC_CARD_REMOVED = 4
};
const char *sk_pcsc_event_name(enum sk_pcsc_event ev);  /* "reader-added", ... */
/* Return non-zero to make sk_pcsc_watch return. */
typedef int (*sk_pcsc_watch_fn)(enum sk_pcsc_event ev, const char *reader, void *arg);
/* Blocks in SCardGetStatusChange (also on "\\?PnP?\Notification" for reader hotplug) and calls
 * fn for each event, until fn returns non-zero (→ 0), timeout_ms passes (→ SK_ERR_TIMEOUT;
 * -1 = no timeout) or sk_pcsc_cancel is called (→ SK_ERR_CANCELED). The watcher uses a PC/SC
 * context of its own, so one thread may watch while another uses cards of the same sk_pcsc.
 * Only one thread may watch at a time. */
int sk_pcsc_watch(struct sk_pcsc *ctx, int timeout_ms, sk_pcsc_watch_fn fn, void *arg);
/* Makes a running (or the next) sk_pcsc_watch return SK_ERR_CANCELED. Safe from any thread. */
int sk_pcsc_cancel(struct sk_pcsc *ctx);

#endif
