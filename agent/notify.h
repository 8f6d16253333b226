/* notify.h — desktop notifications while skinkeyd waits for a tap (agent/notify.c). */
#ifndef SKD_NOTIFY_H
#define SKD_NOTIFY_H

#define SKD_NOTIFY_AUTO 0     /* notify when the client has no controlling terminal */
#define SKD_NOTIFY_ALWAYS 1
#define SKD_NOTIFY_NEVER 2

struct skd_notice;

/* Record this connection thread's client (fd: the accepted socket; -1 for a --server pipe). */
void skd_notify_client(int fd);
/* OPTION skinkey-notify=auto|always|never for this thread's client; -1 for another value. */
int skd_notify_option(const char *value);
/* Show "Tap your implant" when this thread's client wants it; *out NULL when nothing was shown.
 * Never fails the operation (no bus, no service: nothing shown). */
int skd_notify_tap(const char *chip, const char *label, int timeout_ms, struct skd_notice **out);
/* Withdraw it (NULL is fine). */
void skd_notify_close(struct skd_notice **n);

#endif
