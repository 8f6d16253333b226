/* pincache.c — PINs the card accepted, kept in locked memory under the configured policy:
 * presence (until the chip leaves the field), N minutes (also wiped when it leaves), never. */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/secmem.h"
#include "common/sk_err.h"
#include "skd_int.h"

#define PINCACHE_SLOTS 16
#define PIN_MAX 128

struct slot {
	int used;
	char chip[SKD_CHIPID_MAX];
	int pinref;
	char *pin;                   /* sk_secure_alloc, NUL-terminated */
	time_t stored;               /* CLOCK_MONOTONIC seconds */
};

static struct slot slots[PINCACHE_SLOTS];
static pthread_mutex_t pc_mu = PTHREAD_MUTEX_INITIALIZER;

static time_t mono_clock(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static int chip_present(const char *chip)
{
	return skd_cardmgr_present(chip, NULL, 0);
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
