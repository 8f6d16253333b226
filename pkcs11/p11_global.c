/* p11_global.c — module life cycle: C_Initialize arguments and locking (OS locks or the
 * application's mutex callbacks), fork safety, the backend handle, SK_ERR -> CK_RV. */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/sk_err.h"
#include "p11.h"

struct p11_module p11_mod;

static pthread_mutex_t os_lock = PTHREAD_MUTEX_INITIALIZER;
static const struct p11_backend *backend = &p11_backend_assuan;
static volatile int forked_child;
static pthread_once_t atfork_once = PTHREAD_ONCE_INIT;

void
p11_log(const char *fmt, ...)
{
	va_list ap;
	char line[512];

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	fprintf(stderr, "skinkey-pkcs11: %s\n", line);
}

static void
atfork_child(void)
{
	/* The child must not talk on the parent's daemon connection nor trust its state:
	 * everything answers CKR_CRYPTOKI_NOT_INITIALIZED until it calls C_Initialize. */
	forked_child = 1;
	pthread_mutex_init(&os_lock, NULL);
}

static void
atfork_register(void)
{
	pthread_atfork(NULL, NULL, atfork_child);
}

void
p11_set_backend(const struct p11_backend *be)
{
	backend = be != NULL ? be : &p11_backend_assuan;
}

static int
in_stale_child(void)
{
	return forked_child || (p11_mod.initialized && p11_mod.pid != getpid());
}

/* Drops a parent's state in a child without touching the parent's socket or locks. */
static void
abandon_parent_state(void)
{
	size_t i;

	if (p11_mod.beh != NULL && p11_mod.be != NULL)
		p11_mod.be->close(&p11_mod.beh, 1);
	for (i = 0; i < P11_MAX_SESSIONS; i++) {
		if (p11_mod.sessions[i] == NULL)
			continue;
		p11_session_op_reset(p11_mod.sessions[i]);
		free(p11_mod.sessions[i]);
	}
	for (i = 0; i < p11_mod.nslots; i++) {
		p11_objects_free(&p11_mod.slots[i]);
		p11_slot_logout_local(&p11_mod.slots[i]);
	}
	memset(&p11_mod, 0, sizeof(p11_mod));
	forked_child = 0;
}

static CK_RV
check_init_args(const CK_C_INITIALIZE_ARGS *a, int *use_cb)
{
	int some = a->CreateMutex != NULL || a->DestroyMutex != NULL || a->LockMutex != NULL ||
	    a->UnlockMutex != NULL;
	int all = a->CreateMutex != NULL && a->DestroyMutex != NULL && a->LockMutex != NULL &&
	    a->UnlockMutex != NULL;

	*use_cb = 0;
	if (a->pReserved != NULL)
		return CKR_ARGUMENTS_BAD;
	if (some && !all)
		return CKR_ARGUMENTS_BAD;
	/* OS locking preferred when allowed; the application's mutexes otherwise. */
	if (all && !(a->flags & CKF_OS_LOCKING_OK))
		*use_cb = 1;
	return CKR_OK;
}

CK_RV
p11_initialize(CK_VOID_PTR args)
{
	CK_C_INITIALIZE_ARGS a;
	int use_cb = 0;
	CK_RV rv;

	pthread_once(&atfork_once, atfork_register);
	if (in_stale_child())
		abandon_parent_state();
	memset(&a, 0, sizeof(a));
	if (args != NULL) {
		memcpy(&a, args, sizeof(a));
		if ((rv = check_init_args(&a, &use_cb)) != CKR_OK)
			return rv;
	}
	pthread_mutex_lock(&os_lock);
	if (p11_mod.initialized) {
		pthread_mutex_unlock(&os_lock);
		return CKR_CRYPTOKI_ALREADY_INITIALIZED;
	}
	memset(&p11_mod, 0, sizeof(p11_mod));
	p11_mod.args = a;
	p11_mod.use_cb_locks = use_cb;
	if (use_cb && a.CreateMutex(&p11_mod.cb_mutex) != CKR_OK) {
		pthread_mutex_unlock(&os_lock);
		return CKR_CANT_LOCK;
	}
	p11_mod.be = backend;
	p11_mod.pid = getpid();
	p11_mod.next_session = 1;
	p11_mod.next_object = 1;
	p11_mod.initialized = 1;
	pthread_mutex_unlock(&os_lock);
	return CKR_OK;
}

CK_RV
p11_lock(void)
{
	if (in_stale_child() || !p11_mod.initialized)
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	if (p11_mod.use_cb_locks) {
		if (p11_mod.args.LockMutex(p11_mod.cb_mutex) != CKR_OK)
			return CKR_CANT_LOCK;
	} else {
		pthread_mutex_lock(&os_lock);
	}
	if (!p11_mod.initialized) {   /* finalized while we waited */
		p11_unlock();
		return CKR_CRYPTOKI_NOT_INITIALIZED;
	}
	return CKR_OK;
}

void
p11_unlock(void)
{
	if (p11_mod.use_cb_locks)
		p11_mod.args.UnlockMutex(p11_mod.cb_mutex);
	else
		pthread_mutex_unlock(&os_lock);
}

CK_RV
p11_finalize(void)
{
	size_t i;
	CK_RV rv;
	int use_cb;
	void *m;

	if ((rv = p11_lock()) != CKR_OK)
		return rv;
	for (i = 0; i < P11_MAX_SESSIONS; i++) {
		if (p11_mod.sessions[i] == NULL)
			continue;
		p11_session_op_reset(p11_mod.sessions[i]);
		free(p11_mod.sessions[i]);
		p11_mod.sessions[i] = NULL;
	}
	for (i = 0; i < p11_mod.nslots; i++) {
		p11_objects_free(&p11_mod.slots[i]);
		p11_slot_logout_local(&p11_mod.slots[i]);
	}
	if (p11_mod.beh != NULL)
		p11_mod.be->close(&p11_mod.beh, 0);
	use_cb = p11_mod.use_cb_locks;
	m = p11_mod.cb_mutex;
	p11_mod.initialized = 0;
	p11_unlock();
	if (use_cb)
		p11_mod.args.DestroyMutex(m);
	memset(&p11_mod, 0, sizeof(p11_mod));
	return CKR_OK;
}

CK_RV
p11_backend_handle(void **h)
{
	int r;

	*h = NULL;
	if (p11_mod.beh == NULL) {
		r = p11_mod.be->open(&p11_mod.beh);
		/* the backend logged why; any failure to reach skinkeyd is a device error */
		if (r != 0)
			return p11_rv(r == SK_ERR_NOMEM ? r : SK_ERR_IO, "cannot reach skinkeyd");
	}
	*h = p11_mod.beh;
	return CKR_OK;
}

static CK_RV
rv_of(int e)
{
	switch (e) {
	case SK_OK: return CKR_OK;
	case SK_ERR_NOMEM: return CKR_HOST_MEMORY;
	case SK_ERR_ARG: return CKR_ARGUMENTS_BAD;
	case SK_ERR_TOOBIG: return CKR_DATA_LEN_RANGE;
	case SK_ERR_NO_READER: return CKR_DEVICE_ERROR;
	case SK_ERR_NO_CARD:
	case SK_ERR_CARD_REMOVED:
	case SK_ERR_TIMEOUT: return CKR_DEVICE_REMOVED;
	case SK_ERR_PIN_WRONG: return CKR_PIN_INCORRECT;
	case SK_ERR_PIN_BLOCKED: return CKR_PIN_LOCKED;
	case SK_ERR_PIN_REQUIRED: return CKR_USER_NOT_LOGGED_IN;
	case SK_ERR_PIN_FORMAT: return CKR_PIN_LEN_RANGE;
	case SK_ERR_DENIED: return CKR_USER_NOT_LOGGED_IN;
	case SK_ERR_UNSUPPORTED: return CKR_FUNCTION_NOT_SUPPORTED;
	case SK_ERR_CANCELED: return CKR_FUNCTION_CANCELED;
	case SK_ERR_NOT_FOUND: return CKR_KEY_HANDLE_INVALID;
	case SK_ERR_EXISTS: return CKR_ATTRIBUTE_VALUE_INVALID;
	case SK_ERR_IO:
	case SK_ERR_PROTO: return CKR_DEVICE_ERROR;
	case SK_ERR_UNRECORDED: return CKR_FUNCTION_REJECTED;   /* audit = required, no guard */
	case SK_ERR_FULL: return CKR_DEVICE_MEMORY;
	default: return CKR_FUNCTION_FAILED;
	}
}

CK_RV
p11_rv(int sk_err, const char *what)
{
	if (sk_err == SK_OK)
		return CKR_OK;
	if (sk_err == SK_ERR_TIMEOUT)
		p11_log("%s: no chip was tapped before skinkeyd's tap-timeout", what);
	else if (sk_err == SK_ERR_CARD_REMOVED)
		p11_log("%s: the chip left the field during the operation", what);
	else
		p11_log("%s: %s", what, sk_strerror(sk_err));
	return rv_of(sk_err);
}
