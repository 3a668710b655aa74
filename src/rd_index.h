/*
 * rd_index: the directory's inverted index, from a name=value pair to the
 * registrations that carry it, in ascending id order. Only a 64-bit hash
 * of the pair is kept, not the text: lookups check every candidate against
 * their filters anyway, so a collision costs a little time, never a wrong
 * answer. Open addressing; a pair held by one registration costs one slot.
 */
#ifndef COREHUB_RD_INDEX_H
#define COREHUB_RD_INDEX_H

#include <stddef.h>
#include <stdint.h>

struct rd_reg;

struct rd_posting {
	uint64_t	 h;		/* 0: empty, 1: deleted */
	uint32_t	 n, cap;
	union {
		struct rd_reg	 *one;	/* n <= 1 */
		struct rd_reg	**many;	/* n > 1, cap entries */
	} u;
};

struct rd_index {
	struct rd_posting	*slots;
	size_t			 cap;	/* a power of two, or 0 */
	size_t			 used;	/* live and deleted slots */
};

void	rd_index_init(struct rd_index *ix);
void	rd_index_clear(struct rd_index *ix);
/* The hash of "name=value" (value of vlen bytes). */
uint64_t rd_index_hash(const char *name, const char *value, size_t vlen);
int	rd_index_add(struct rd_index *ix, uint64_t h, struct rd_reg *reg);
void	rd_index_del(struct rd_index *ix, uint64_t h, struct rd_reg *reg);
/* The registrations under h, by id; NULL and *n = 0 when none. */
struct rd_reg *const *rd_index_get(const struct rd_index *ix, uint64_t h,
	    size_t *n);

#endif
