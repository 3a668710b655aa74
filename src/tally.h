/*
 * tally: per-principal accounting for quotas. Owns a table from a
 * principal's name to what it holds (a count of registrations, topics or
 * subscriptions) and its publish-rate bucket. An entry goes away when it
 * holds nothing, so the table stays as small as the set of principals
 * that hold something. Pure.
 */
#ifndef COREHUB_TALLY_H
#define COREHUB_TALLY_H

#include <stdint.h>

struct tally_entry;

/* A token bucket: rate per second, bursts of rate. */
struct bucket {
	double		 tokens;
	uint64_t	 ms;		/* last refill; 0: never used */
};

/* Takes a token: 0, or -1 with *retry_s (whole seconds, >= 1) to wait. */
int		bucket_take(struct bucket *b, uint32_t rate, uint64_t now_ms,
		    uint32_t *retry_s);

struct tally {
	struct tally_entry	*entries;
};

/* Adds delta (may be negative) to name's count; -1 when out of memory. */
int		tally_add(struct tally *t, const char *name, int delta);
uint32_t	tally_get(const struct tally *t, const char *name);
/*
 * Takes one token from name's bucket of rate per second (bursts of rate);
 * 0, or -1 with *retry_s set when it is empty.
 */
int		tally_take(struct tally *t, const char *name, uint32_t rate,
		    uint64_t now_ms, uint32_t *retry_s);
void		tally_clear(struct tally *t);
/* Every name with a count above 0, in no particular order. */
void		tally_foreach(const struct tally *t,
		    void (*fn)(void *arg, const char *name, uint32_t count),
		    void *arg);

#endif
