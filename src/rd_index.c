#include "ac_config.h"

#include <stdlib.h>
#include <string.h>

#include "rd_index.h"
#include "rd_registry.h"

#define SLOT_EMPTY	0
#define SLOT_DELETED	1

uint64_t
rd_index_hash(const char *name, const char *value, size_t vlen)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *name; name++)
		h = (h ^ (unsigned char)*name) * 0x100000001b3ULL;
	h = (h ^ '=') * 0x100000001b3ULL;
	for (size_t i = 0; i < vlen; i++)
		h = (h ^ (unsigned char)value[i]) * 0x100000001b3ULL;
	/* 0 and 1 mark free slots. */
	return h < 2 ? h + 2 : h;
}

void
rd_index_init(struct rd_index *ix)
{
	memset(ix, 0, sizeof(*ix));
}

static void
posting_clear(struct rd_posting *p)
{
	if (p->n > 1)
		free(p->u.many);
	memset(p, 0, sizeof(*p));
}

void
rd_index_clear(struct rd_index *ix)
{
	for (size_t i = 0; i < ix->cap; i++)
		if (ix->slots[i].h >= 2)
			posting_clear(&ix->slots[i]);
	free(ix->slots);
	rd_index_init(ix);
}

/* The slot holding h, or NULL. */
static struct rd_posting *
find(const struct rd_index *ix, uint64_t h)
{
	size_t mask = ix->cap - 1;

	if (ix->cap == 0)
		return NULL;
	for (size_t i = (size_t)h & mask, k = 0; k < ix->cap;
	    i = (i + 1) & mask, k++) {
		if (ix->slots[i].h == h)
			return &ix->slots[i];
		if (ix->slots[i].h == SLOT_EMPTY)
			return NULL;
	}
	return NULL;
}

static struct rd_posting *
insert_slot(struct rd_posting *slots, size_t cap, uint64_t h)
{
	size_t mask = cap - 1, i = (size_t)h & mask;

	while (slots[i].h >= 2)
		i = (i + 1) & mask;
	return &slots[i];
}

/* Keeps the table at most 3/4 full of live and deleted slots. */
static int
grow(struct rd_index *ix)
{
	size_t			 ncap = ix->cap ? ix->cap : 64, live = 0;
	struct rd_posting	*ns;

	for (size_t i = 0; i < ix->cap; i++)
		live += ix->slots[i].h >= 2;
	while ((live + 1) * 2 > ncap)
		ncap *= 2;
	if ((ns = calloc(ncap, sizeof(*ns))) == NULL)
		return -1;
	for (size_t i = 0; i < ix->cap; i++)
		if (ix->slots[i].h >= 2)
			*insert_slot(ns, ncap, ix->slots[i].h) = ix->slots[i];
	free(ix->slots);
	ix->slots = ns;
	ix->cap = ncap;
	ix->used = live;
	return 0;
}

static struct rd_reg **
regs(struct rd_posting *p)
{
	return p->n <= 1 ? &p->u.one : p->u.many;
}

static size_t
lower_bound(struct rd_reg *const *v, size_t n, uint64_t id, int *found)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (v[mid]->id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < n && v[lo]->id == id;
	return lo;
}

int
rd_index_add(struct rd_index *ix, uint64_t h, struct rd_reg *reg)
{
	struct rd_posting	*p = find(ix, h);
	struct rd_reg		**v;
	size_t			 at;
	int			 found;

	if (p == NULL) {
		if ((ix->used + 1) * 4 > ix->cap * 3 && grow(ix) == -1)
			return -1;
		p = insert_slot(ix->slots, ix->cap, h);
		if (p->h == SLOT_EMPTY)
			ix->used++;
		memset(p, 0, sizeof(*p));
		p->h = h;
		p->u.one = reg;
		p->n = 1;
		return 0;
	}
	at = lower_bound(regs(p), p->n, reg->id, &found);
	if (found)
		return 0;	/* the same pair twice in one registration */
	if (p->n == 1) {
		struct rd_reg *one = p->u.one;

		if ((v = malloc(4 * sizeof(*v))) == NULL)
			return -1;
		v[0] = one;
		p->u.many = v;
		p->cap = 4;
	} else if (p->n == p->cap) {
		if ((v = reallocarray(p->u.many, (size_t)p->cap * 2,
		    sizeof(*v))) == NULL)
			return -1;
		p->u.many = v;
		p->cap *= 2;
	}
	v = p->u.many;
	memmove(&v[at + 1], &v[at], (p->n - at) * sizeof(*v));
	v[at] = reg;
	p->n++;
	return 0;
}

void
rd_index_del(struct rd_index *ix, uint64_t h, struct rd_reg *reg)
{
	struct rd_posting	*p = find(ix, h);
	struct rd_reg		**v;
	size_t			 at;
	int			 found;

	if (p == NULL)
		return;
	v = regs(p);
	at = lower_bound(v, p->n, reg->id, &found);
	if (!found)
		return;
	if (p->n == 1) {
		memset(p, 0, sizeof(*p));
		p->h = SLOT_DELETED;
		return;
	}
	memmove(&v[at], &v[at + 1], (p->n - at - 1) * sizeof(*v));
	if (--p->n == 1) {
		struct rd_reg *one = v[0];

		free(v);
		p->u.one = one;
		p->cap = 0;
	}
}

struct rd_reg *const *
rd_index_get(const struct rd_index *ix, uint64_t h, size_t *n)
{
	struct rd_posting *p = find(ix, h);

	if (p == NULL) {
		*n = 0;
		return NULL;
	}
	*n = p->n;
	return p->n <= 1 ? &p->u.one : p->u.many;
}
