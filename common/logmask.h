/* logmask.h — ids a process must never write to its log (duress contexts' chip ids, issue 13):
 * once added, every log line shows SK_LOGMASK_AS in their place (sk_log's filter). In memory
 * only; the newest SK_LOGMASK_MAX ids are kept. skinkeyd adds a context's chip id at its unlock,
 * skinkey-guard the chip ids inside the context events it opens. */
#ifndef SK_LOGMASK_H
#define SK_LOGMASK_H

#define SK_LOGMASK_AS "fs-context"
#define SK_LOGMASK_MAX 8
#define SK_LOGMASK_ID_MAX 64

/* Install the filter (once, at start-up, before the threads). */
void sk_logmask_install(void);
/* Mask id from now on (ids shorter than SK_LOGMASK_AS or longer than SK_LOGMASK_ID_MAX - 1
 * are refused: 0 or SK_ERR_ARG). */
int sk_logmask_add(const char *id);
/* 1 when id is masked. */
int sk_logmask_has(const char *id);
/* Tests: forget every id. */
void sk_logmask_reset(void);

#endif
