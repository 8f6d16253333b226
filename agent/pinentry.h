/* pinentry.h — asking the user for a PIN when no client can be asked (the ssh-agent socket has
 * no INQUIRE): runs the configured pinentry program and speaks its Assuan protocol. */
#ifndef SKD_PINENTRY_H
#define SKD_PINENTRY_H

/* desc: the text shown (plain, escaped here). *pin: NUL-terminated secure memory, free with
 * skd_pin_free(). SK_ERR_CANCELED when the user cancels, SK_ERR_PIN_REQUIRED when no pinentry
 * program can be run. The card stays locked while the user types, so the prompt gives up after
 * timeout_s seconds (pinentry's SETTIMEOUT). */
int skd_pinentry_getpin(const char *program, const char *desc, const char *prompt,
    int timeout_s, char **pin);

#endif
