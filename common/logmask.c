/* logmask.c — the log filter that hides ids (logmask.h). */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "logmask.h"
#include "sk_err.h"

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static char ids[SK_LOGMASK_MAX][SK_LOGMASK_ID_MAX];
static int nids;

/* sk_log's filter: every masked id in the line becomes SK_LOGMASK_AS (the line only shrinks). */
static void mask_line(char *line, size_t cap)
{
	size_t rl = strlen(SK_LOGMASK_AS);

	(void)cap;
	pthread_mutex_lock(&mu);
	for (int i = 0; i < nids; i++) {
		size_t il = strlen(ids[i]);
		char *p;

		while ((p = strstr(line, ids[i])) != NULL) {
			memcpy(p, SK_LOGMASK_AS, rl);
			memmove(p + rl, p + il, strlen(p + il) + 1);
		}
	}
	pthread_mutex_unlock(&mu);
}

void sk_logmask_install(void)
{
	sk_log_set_filter(mask_line);
}

int sk_logmask_add(const char *id)
{
	size_t n = strlen(id);

	if (n < strlen(SK_LOGMASK_AS) || n >= SK_LOGMASK_ID_MAX)
		return SK_ERR_ARG;
	pthread_mutex_lock(&mu);
	for (int i = 0; i < nids; i++)
		if (strcmp(ids[i], id) == 0)
			goto out;
	if (nids == SK_LOGMASK_MAX) {
		memmove(ids[0], ids[1], sizeof(ids[0]) * (SK_LOGMASK_MAX - 1));   /* oldest goes */
		nids--;
	}
	snprintf(ids[nids++], SK_LOGMASK_ID_MAX, "%s", id);
out:
	pthread_mutex_unlock(&mu);
	return 0;
}

int sk_logmask_has(const char *id)
{
	int hit = 0;

	pthread_mutex_lock(&mu);
	for (int i = 0; i < nids && !hit; i++)
		hit = strcmp(ids[i], id) == 0;
	pthread_mutex_unlock(&mu);
	return hit;
}

void sk_logmask_reset(void)
{
	pthread_mutex_lock(&mu);
	memset(ids, 0, sizeof(ids));
	nids = 0;
	pthread_mutex_unlock(&mu);
}
