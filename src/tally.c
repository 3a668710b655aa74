#include "ac_config.h"

#include <stdlib.h>
#include <string.h>

#include <uthash.h>

#include "tally.h"

#define TALLY_BUCKETS_MAX 65536	/* principals with a bucket at once */

struct tally_entry {
	char		*name;
	uint32_t	 count;
	struct bucket	 bucket;	/* ms 0: none */
	UT_hash_handle	 hh;
};

static struct tally_entry *
find(const struct tally *t, const char *name)
{
	struct tally_entry *e;

	HASH_FIND_STR(t->entries, name, e);
	return e;
}

static struct tally_entry *
get(struct tally *t, const char *name)
{
	struct tally_entry *e = find(t, name);

	if (e != NULL)
		return e;
	if ((e = calloc(1, sizeof(*e))) == NULL ||
	    (e->name = strdup(name)) == NULL) {
		free(e);
		return NULL;
	}
	HASH_ADD_KEYPTR(hh, t->entries, e->name, strlen(e->name), e);
	return e;
}

static void
drop_if_empty(struct tally *t, struct tally_entry *e)
{
	if (e->count != 0 || e->bucket.ms != 0)
		return;
	HASH_DEL(t->entries, e);
	free(e->name);
	free(e);
}

int
tally_add(struct tally *t, const char *name, int delta)
{
	struct tally_entry *e;

	if (name == NULL || delta == 0)
		return 0;
	if ((e = delta > 0 ? get(t, name) : find(t, name)) == NULL)
		return delta > 0 ? -1 : 0;
	if (delta < 0 && (uint32_t)-delta > e->count)
		e->count = 0;
	else
		e->count = (uint32_t)((int64_t)e->count + delta);
	drop_if_empty(t, e);
	return 0;
}

uint32_t
tally_get(const struct tally *t, const char *name)
{
	const struct tally_entry *e = name ? find(t, name) : NULL;

	return e ? e->count : 0;
}

int
bucket_take(struct bucket *b, uint32_t rate, uint64_t now_ms,
    uint32_t *retry_s)
{
	double burst = rate;

	if (rate == 0)
		return 0;
	if (b->ms == 0)
		b->tokens = burst;
	else if (now_ms > b->ms)
		b->tokens += (double)(now_ms - b->ms) * rate / 1000.0;
	if (b->tokens > burst)
		b->tokens = burst;
	b->ms = now_ms ? now_ms : 1;
	if (b->tokens >= 1.0) {
		b->tokens -= 1.0;
		return 0;
	}
	*retry_s = (uint32_t)((1.0 - b->tokens) / rate) + 1;
	return -1;
}

int
tally_take(struct tally *t, const char *name, uint32_t rate, uint64_t now_ms,
    uint32_t *retry_s)
{
	struct tally_entry *e;

	if (rate == 0 || name == NULL)
		return 0;
	/* Out of memory or too many buckets: no limit rather than none. */
	if ((e = find(t, name)) == NULL &&
	    (HASH_COUNT(t->entries) >= TALLY_BUCKETS_MAX ||
	    (e = get(t, name)) == NULL))
		return 0;
	return bucket_take(&e->bucket, rate, now_ms, retry_s);
}

void
tally_clear(struct tally *t)
{
	struct tally_entry *e, *tmp;

	HASH_ITER(hh, t->entries, e, tmp) {
		HASH_DEL(t->entries, e);
		free(e->name);
		free(e);
	}
}

void
tally_foreach(const struct tally *t,
    void (*fn)(void *arg, const char *name, uint32_t count), void *arg)
{
	const struct tally_entry *e, *tmp;

	HASH_ITER(hh, t->entries, e, tmp)
		if (e->count > 0)
			fn(arg, e->name, e->count);
}
