/* pincache.c — PINs the card accepted, kept in locked memory under the configured policy:
 * presence (until the chip leaves the field), N minutes (also wiped when it leaves), never. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/secmem.h"
#include "common/sk_err.h"
#include "event.h"
#include "skd_int.h"

#define PINCACHE_SLOTS 16
#define PIN_MAX 128

static pthread_mutex_t pc_mu = PTHREAD_MUTEX_INITIALIZER;

struct slot {
	int used;
	char chip[SKD_CHIPID_MAX];
	int pinref;
	char *pin;                   /* sk_secure_alloc, NUL-terminated */
	time_t stored;               /* CLOCK_MONOTONIC seconds */
};

static struct slot slots[PINCACHE_SLOTS];

static time_t mono_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* The chips in the field, as the card manager's events tell (PINs are cached only for them). */
#define PRESENT_MAX 16
static char present_chips[PRESENT_MAX][SKD_CHIPID_MAX];
static pthread_mutex_t pres_mu = PTHREAD_MUTEX_INITIALIZER;

static int chip_present(const char *chip)
{
	int found = 0;

	pthread_mutex_lock(&pres_mu);
	for (int i = 0; i < PRESENT_MAX && !found; i++)
		found = present_chips[i][0] != '\0' && strcmp(present_chips[i], chip) == 0;
	pthread_mutex_unlock(&pres_mu);
	return found;
}

static void presence_set(const char *chip, int present)
{
	int free_slot = -1, i;

	pthread_mutex_lock(&pres_mu);
	for (i = 0; i < PRESENT_MAX; i++) {
		if (strcmp(present_chips[i], chip) == 0)
			break;
		if (free_slot < 0 && present_chips[i][0] == '\0')
			free_slot = i;
	}
	if (present && i == PRESENT_MAX && free_slot >= 0)
		snprintf(present_chips[free_slot], SKD_CHIPID_MAX, "%s", chip);
	else if (!present && i < PRESENT_MAX)
		present_chips[i][0] = '\0';
	pthread_mutex_unlock(&pres_mu);
}

/* Presence and clock behind pointers so the unit test can drive them. */
static int (*pc_present)(const char *chip) = chip_present;
static time_t (*pc_clock)(void) = mono_clock;

void skd_pincache_set_hooks(int (*present)(const char *chip), time_t (*clock_s)(void))
{
	pc_present = present != NULL ? present : chip_present;
	pc_clock = clock_s != NULL ? clock_s : mono_clock;
}

static time_t mono_s(void)
{
	return pc_clock();
}

static void slot_clear(struct slot *s)
{
	sk_secure_free(s->pin);
	memset(s, 0, sizeof(*s));
}

static int expired(const struct slot *s, time_t now)
{
	if (skd_config.pin_policy == SKD_PIN_NEVER)
		return 1;
	if (skd_config.pin_minutes > 0 && now - s->stored >= (time_t)skd_config.pin_minutes * 60)
		return 1;
	return 0;
}

static struct slot *find(const char *chip, int pinref)
{
	for (int i = 0; i < PINCACHE_SLOTS; i++)
		if (slots[i].used && slots[i].pinref == pinref && strcmp(slots[i].chip, chip) == 0)
			return &slots[i];
	return NULL;
}

/* A copy of the cached PIN (secure memory) or NULL. */
char *skd_pincache_get(const char *chip, int pinref)
{
	struct slot *s;
	char *copy = NULL;
	size_t n;

	pthread_mutex_lock(&pc_mu);
	if ((s = find(chip, pinref)) != NULL) {
		if (expired(s, mono_s())) {
			slot_clear(s);
		} else {
			n = strlen(s->pin);
			if ((copy = sk_secure_alloc(n + 1)) != NULL)
				memcpy(copy, s->pin, n + 1);
		}
	}
	pthread_mutex_unlock(&pc_mu);
	return copy;
}

void skd_pin_cache_put(const char *chip, int pinref, const char *pin)
{
	struct slot *s;
	size_t n = strlen(pin);

	if (skd_config.pin_policy == SKD_PIN_NEVER || n == 0 || n >= PIN_MAX || chip[0] == '\0')
		return;
	/* presence policy: only while the chip is in the field */
	if (!pc_present(chip))
		return;
	pthread_mutex_lock(&pc_mu);
	if ((s = find(chip, pinref)) == NULL) {
		for (int i = 0; i < PINCACHE_SLOTS && s == NULL; i++)
			if (!slots[i].used)
				s = &slots[i];
	}
	if (s == NULL) {
		sk_warn("PIN cache full: PIN not cached");
		goto out;
	}
	slot_clear(s);
	if ((s->pin = sk_secure_alloc(n + 1)) == NULL)
		goto out;
	memcpy(s->pin, pin, n + 1);
	s->used = 1;
	s->pinref = pinref;
	s->stored = mono_s();
	memcpy(s->chip, chip, strnlen(chip, sizeof(s->chip) - 1));
out:
	pthread_mutex_unlock(&pc_mu);
	if (skd_config.pin_minutes > 0)
		skd_wake();   /* the accept loop sleeps until the next expiry: there is one now */
}

void skd_pin_cache_drop(const char *chip, int pinref)
{
	pthread_mutex_lock(&pc_mu);
	for (int i = 0; i < PINCACHE_SLOTS; i++)
		if (slots[i].used && strcmp(slots[i].chip, chip) == 0 &&
		    (pinref == 0 || slots[i].pinref == pinref))
			slot_clear(&slots[i]);
	pthread_mutex_unlock(&pc_mu);
}

void skd_pincache_on_chip_gone(const char *chip)
{
	skd_pin_cache_drop(chip, 0);
}

static int on_chip(const struct skd_event *ev, void *arg)
{
	(void)arg;
	if (ev->chip == NULL || ev->chip[0] == '\0')
		return 0;
	presence_set(ev->chip, ev->kind == SKD_EV_CHIP_SEEN);
	if (ev->kind == SKD_EV_CHIP_LEFT)
		skd_pincache_on_chip_gone(ev->chip);
	return 0;
}

int skd_pincache_events_init(void)
{
	return skd_event_subscribe(SKD_EV_MASK(SKD_EV_CHIP_SEEN) | SKD_EV_MASK(SKD_EV_CHIP_LEFT),
	    on_chip, NULL);
}

long long skd_pincache_next_expiry_ms(void)
{
	long long next = -1, left;
	time_t now = mono_s();

	if (skd_config.pin_minutes <= 0)
		return -1;
	pthread_mutex_lock(&pc_mu);
	for (int i = 0; i < PINCACHE_SLOTS; i++) {
		if (!slots[i].used)
			continue;
		left = ((long long)slots[i].stored + (long long)skd_config.pin_minutes * 60 - now) * 1000;
		if (left < 0)
			left = 0;
		if (next < 0 || left < next)
			next = left;
	}
	pthread_mutex_unlock(&pc_mu);
	return next;
}

void skd_pincache_expire(void)
{
	time_t now = mono_s();

	pthread_mutex_lock(&pc_mu);
	for (int i = 0; i < PINCACHE_SLOTS; i++)
		if (slots[i].used && expired(&slots[i], now))
			slot_clear(&slots[i]);
	pthread_mutex_unlock(&pc_mu);
}

void skd_pincache_clear_all(void)
{
	pthread_mutex_lock(&pc_mu);
	for (int i = 0; i < PINCACHE_SLOTS; i++)
		if (slots[i].used)
			slot_clear(&slots[i]);
	pthread_mutex_unlock(&pc_mu);
}

int skd_pincache_count(void)
{
	int n = 0;

	pthread_mutex_lock(&pc_mu);
	for (int i = 0; i < PINCACHE_SLOTS; i++)
		n += slots[i].used;
	pthread_mutex_unlock(&pc_mu);
	return n;
}
