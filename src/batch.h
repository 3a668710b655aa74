/*
 * batch: group commit, shared by every service that writes the store
 * (the directory and the broker write into one transaction). Owns the
 * open transaction, the answers waiting for it to be durable, and what
 * a failed commit means: every member rebuilds its memory from the store,
 * so that nothing unacknowledged stays visible.
 */
#ifndef COREHUB_BATCH_H
#define COREHUB_BATCH_H

#include <stdint.h>

#include "store.h"

struct batch;

struct batch_member {
	/* The batch failed: memory must go back to what the store has. */
	void	(*rolled_back)(void *arg, uint64_t now_ms, int64_t now_wall);
	/* The batch ended (either way): changes may now be announced. */
	void	(*ended)(void *arg);
	void	*arg;
};

#define BATCH_MEMBERS_MAX	4

/*
 * need_commit() is told when a transaction opens; the owner calls
 * batch_commit() soon after. With group commit off (on = 0), every write
 * commits by itself and batch_join() opens nothing.
 */
struct batch	*batch_new(struct store *s, int on,
		    void (*need_commit)(void *), void *arg);
void		 batch_free(struct batch *b);
void		 batch_set_group(struct batch *b, int on);
int		 batch_add_member(struct batch *b, const struct batch_member *m);

/* Opens the transaction a change joins, if group commit is on. */
enum store_write batch_join(struct batch *b);
int		 batch_open(const struct batch *b);
/* Records a write's result: one failed write fails the whole batch. */
enum store_write batch_written(struct batch *b, enum store_write w);
/* Queues fn for the end of the open batch; -1 when out of memory. */
int		 batch_after_commit(struct batch *b,
		    void (*fn)(void *arg, enum store_write w), void *arg);
/* Commits the open batch, if any, and runs what waited for it. */
enum store_write batch_commit(struct batch *b, uint64_t now_ms,
		    int64_t now_wall);

#endif
