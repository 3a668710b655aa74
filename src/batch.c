#include "ac_config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "batch.h"
#include "log.h"
#include "stats.h"

struct waiter {
	void	(*fn)(void *arg, enum store_write w);
	void	*arg;
};

struct batch {
	struct store		*store;
	int			 group, open, failed;
	void			(*need_commit)(void *);
	void			*need_commit_arg;
	struct batch_member	 members[BATCH_MEMBERS_MAX];
	size_t			 nmembers;
	struct waiter		*waiters;
	size_t			 nwaiters, capwaiters;
};

struct batch *
batch_new(struct store *s, int on, void (*need_commit)(void *), void *arg)
{
	struct batch *b;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	b->store = s;
	b->group = on;
	b->need_commit = need_commit;
	b->need_commit_arg = arg;
	return b;
}

void
batch_free(struct batch *b)
{
	if (b == NULL)
		return;
	free(b->waiters);
	free(b);
}

void
batch_set_group(struct batch *b, int on)
{
	b->group = on;
}

int
batch_add_member(struct batch *b, const struct batch_member *m)
{
	if (b->nmembers == BATCH_MEMBERS_MAX)
		return -1;
	b->members[b->nmembers++] = *m;
	return 0;
}

enum store_write
batch_join(struct batch *b)
{
	enum store_write w;

	if (!b->group || b->open)
		return STORE_WRITE_OK;
	if ((w = store_begin(b->store)) != STORE_WRITE_OK)
		return w;
	b->open = 1;
	b->failed = 0;
	if (b->need_commit != NULL)
		b->need_commit(b->need_commit_arg);
	return STORE_WRITE_OK;
}

int
batch_open(const struct batch *b)
{
	return b->open;
}

/*
 * A write in a batch that fails may have rolled the whole transaction
 * back inside SQLite: the batch is then failed as a whole.
 */
enum store_write
batch_written(struct batch *b, enum store_write w)
{
	if (w != STORE_WRITE_OK && b->open)
		b->failed = 1;
	return w;
}

int
batch_after_commit(struct batch *b, void (*fn)(void *, enum store_write),
    void *arg)
{
	if (b->nwaiters == b->capwaiters) {
		size_t		 ncap = b->capwaiters ? b->capwaiters * 2 : 64;
		struct waiter	*n = reallocarray(b->waiters, ncap,
				    sizeof(*n));

		if (n == NULL)
			return -1;
		b->waiters = n;
		b->capwaiters = ncap;
	}
	b->waiters[b->nwaiters].fn = fn;
	b->waiters[b->nwaiters++].arg = arg;
	return 0;
}

static uint64_t
now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

enum store_write
batch_commit(struct batch *b, uint64_t now_ms, int64_t now_wall)
{
	enum store_write  res;
	struct waiter	 *w;
	size_t		  n;
	uint64_t	  t0;

	if (!b->open)
		return STORE_WRITE_OK;
	b->open = 0;
	if (b->failed) {
		res = STORE_WRITE_BUSY;
		stats_commit_skipped();
	} else {
		t0 = now_us();
		res = store_commit(b->store);
		stats_commit(now_us() - t0, res == STORE_WRITE_OK);
	}
	if (res != STORE_WRITE_OK) {
		store_rollback(b->store);
		log_warnx("store", "a batch of changes was not committed; "
		    "reloading from the store");
		for (size_t i = 0; i < b->nmembers; i++)
			b->members[i].rolled_back(b->members[i].arg, now_ms,
			    now_wall);
	}
	/* The callbacks may open the next batch; only this one's run. */
	w = b->waiters;
	n = b->nwaiters;
	b->waiters = NULL;
	b->nwaiters = b->capwaiters = 0;
	for (size_t i = 0; i < n; i++)
		w[i].fn(w[i].arg, res);
	free(w);
	for (size_t i = 0; i < b->nmembers; i++)
		if (b->members[i].ended != NULL)
			b->members[i].ended(b->members[i].arg);
	return res;
}
