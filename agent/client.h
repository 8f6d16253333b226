/* client.h — libskclient: how every skinkey client reaches skinkeyd.
 * Socket: $XDG_RUNTIME_DIR/skinkey/S.skinkeyd (or /tmp/skinkey-<uid>/S.skinkeyd when
 * XDG_RUNTIME_DIR is unset). skc_connect() starts `skinkeyd --daemon` when nobody listens,
 * under a lock file so that two clients never start two daemons, and waits for the socket. */
#ifndef SKINKEY_CLIENT_H
#define SKINKEY_CLIENT_H

#include <assuan.h>
#include <stddef.h>

/* The socket directory / path. 0, SK_ERR_TOOBIG or SK_ERR_IO. */
int skc_socket_dir(char *buf, size_t n);
int skc_socket_path(char *buf, size_t n);

/* Create the socket directory (0700, owned by us; refuses a directory someone else owns or
 * that others can enter). 0 or SK_ERR_*. */
int skc_socket_dir_make(void);

/* 1 when skinkey-guard runs for this user: it holds a POSIX write lock on guard.lock beside the
 * socket, which F_GETLK sees without taking it (skinkeyd's audit gate, `skinkey doctor`). */
int skc_guard_running(void);

/* Connect to skinkeyd, starting it when needed (waits up to 10 s). *out is an Assuan client
 * context; release with assuan_release(). 0 or SK_ERR_*. */
int skc_connect(assuan_context_t *out);
/* Connect without autostart: SK_ERR_NO_READER never; SK_ERR_IO when nobody listens. */
int skc_connect_noautostart(assuan_context_t *out);
/* Raw stream socket connected to skinkeyd (autostart as skc_connect), for relays. */
int skc_connect_fd(int *fd);

/* Before a byte is sent, the socket directory and the socket must be ours and not writable by
 * others, and the listening process must run as our uid (SO_PEERCRED): otherwise SK_ERR_DENIED,
 * and nothing is started in or through that directory. The greeting must arrive within 10 s
 * (SK_ERR_TIMEOUT). Writes on the connection never raise SIGPIPE (EPIPE becomes an error).
 * skc_why(): a sentence saying what went wrong in this thread's last failing connect ("" when
 * nothing more than the SK_ERR_* is known); valid until the thread's next skc_* call. */
const char *skc_why(void);
/* skc_why() when it says something, else sk_strerror(err). */
const char *skc_strerror(int err);

/* Send one command; status lines go to status_cb (may be NULL), D data to data_cb (may be
 * NULL). Thin wrapper over assuan_transact returning SK_ERR_* (the gpg error is kept in
 * *gerr when non-NULL). */
int skc_transact(assuan_context_t ctx, const char *cmd,
    gpg_error_t (*data_cb)(void *, const void *, size_t),
    gpg_error_t (*status_cb)(void *, const char *), void *arg, gpg_error_t *gerr);

/* 1 when e is not an answer of skinkeyd's (an ERR line) but the connection failing: skinkeyd
 * stopped or closed the socket. */
int skc_conn_lost(gpg_error_t e);

/* SK_ERR_* <-> gpg_error_t (source SCD), the mapping skinkeyd uses on the wire. */
gpg_error_t skc_err_to_gpg(int sk_err);
int skc_err_from_gpg(gpg_error_t e);
/* What a client prints for skinkeyd's ERR e: gpg_strerror(e), but the audit refusal says why
 * ("skinkey-guard is not running: operation not recorded", not "Not operational"). */
const char *skc_gpg_strerror(gpg_error_t e);

#endif
