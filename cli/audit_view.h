/* audit_view.h — what `skinkey audit tail|show|export` show of a chain that holds duress
 * contexts' sealed rows (action "context", common/auditbox.h): rows in clear as they are, the
 * active context's rows opened (skinkeyd's AUDITVIEW gives its box key), every other sealed row
 * left out. */
#ifndef SK_CLI_AUDIT_VIEW_H
#define SK_CLI_AUDIT_VIEW_H

#include <stdint.h>

#include "audit/audit.h"
#include "common/auditbox.h"

struct audit_view {
	int has_key;
	uint8_t key[SK_AUDITBOX_KEY_LEN];
	audit_row_fn fn;      /* gets the rows shown, sealed ones opened */
	void *arg;
	uint64_t shown;
};

/* Ask a running skinkeyd (never started for this) for the active context's key. */
void cli_audit_view_open(struct audit_view *v, audit_row_fn fn, void *arg);
void cli_audit_view_close(struct audit_view *v);
/* An audit_row_fn (arg: the view): passes the row on to v->fn as it is shown, or skips it. */
int cli_audit_view_row(const struct audit_row *row, void *arg);

#endif
