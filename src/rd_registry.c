#include "ac_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "rd_registry.h"
#include "tally.h"
#include "rd_proxy.h"
#include "uri.h"

void
rd_registry_init(struct rd_registry *r, uint64_t grace_ms)
{
	memset(r, 0, sizeof(*r));
	r->next_id = 1;
	r->grace_ms = grace_ms;
}

int
rd_attr_is_reltype(const char *name)
{
	return strcmp(name, "rt") == 0 || strcmp(name, "if") == 0 ||
	    strcmp(name, "rel") == 0;
}

const char *
rd_reg_base(const struct rd_reg *reg)
{
	return reg->proxy ? reg->proxy : rd_reg_device_base(reg);
}

const char *
rd_reg_device_base(const struct rd_reg *reg)
{
	return reg->c.base ? reg->c.base : reg->c.con;
}

void
rd_params_free(struct rd_param *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(p[i].name);
		free(p[i].value);
	}
	free(p);
}

void
rd_content_free(struct rd_content *c)
{
	free(c->base);
	free(c->con);
	rd_params_free(c->params, c->nparams);
	lf_doc_free(&c->links);
	free(c->owner);
	free(c->link);
	memset(c, 0, sizeof(*c));
}

/* Index maintenance. */

typedef int (*key_fn)(struct rd_registry *, uint64_t, struct rd_reg *);

static int
key_add(struct rd_registry *r, uint64_t h, struct rd_reg *reg)
{
	return rd_index_add(&r->index, h, reg);
}

static int
key_del(struct rd_registry *r, uint64_t h, struct rd_reg *reg)
{
	rd_index_del(&r->index, h, reg);
	return 0;
}

static int
key_str(struct rd_registry *r, key_fn fn, struct rd_reg *reg,
    const char *name, const char *value)
{
	return fn(r, rd_index_hash(name, value ? value : "",
	    value ? strlen(value) : 0), reg);
}

/* Each value of a relation type is a key of its own. */
static int
key_reltype(struct rd_registry *r, key_fn fn, struct rd_reg *reg,
    const char *name, const char *v)
{
	while (*v) {
		size_t n = strcspn(v, " ");

		if (n > 0 && fn(r, rd_index_hash(name, v, n), reg) == -1)
			return -1;
		v += n;
		while (*v == ' ')
			v++;
	}
	return 0;
}

static int
link_keys(struct rd_registry *r, key_fn fn, struct rd_reg *reg,
    const struct lf_link *l, struct buf *b)
{
	for (size_t k = 0; k < l->nattrs; k++) {
		const struct lf_attr *a = &l->attrs[k];

		if ((rd_attr_is_reltype(a->name) && a->value != NULL ?
		    key_reltype(r, fn, reg, a->name, a->value) :
		    key_str(r, fn, reg, a->name, a->value)) == -1)
			return -1;
	}
	buf_reset(b);
	if (uri_resolve(rd_reg_base(reg), l->target, b) == -1)
		return -1;
	return fn(r, rd_index_hash("href", b->data, b->len), reg);
}

/* Calls fn for the hash of every name=value key of reg. */
static int
each_key(struct rd_registry *r, struct rd_reg *reg, key_fn fn)
{
	struct buf	b;
	int		rc = -1;

	buf_init(&b, 0);
	if (key_str(r, fn, reg, "ep", reg->ep) == -1 ||
	    (reg->d && key_str(r, fn, reg, "d", reg->d) == -1) ||
	    key_str(r, fn, reg, "base", rd_reg_base(reg)) == -1)
		goto done;
	for (size_t i = 0; i < reg->c.nparams; i++)
		if (key_str(r, fn, reg, reg->c.params[i].name,
		    reg->c.params[i].value) == -1)
			goto done;
	for (size_t i = 0; i < reg->c.links.nlinks; i++)
		if (link_keys(r, fn, reg, &reg->c.links.links[i], &b) == -1)
			goto done;
	rc = 0;
done:
	buf_free(&b);
	return rc;
}

static void
unindex(struct rd_registry *r, struct rd_reg *reg)
{
	/* Deleting allocates nothing but the resolution buffer. */
	(void)each_key(r, reg, key_del);
}

static int
reindex(struct rd_registry *r, struct rd_reg *reg)
{
	/* The proxy URI is the base the index resolves links against. */
	free(reg->proxy);
	reg->proxy = NULL;
	if (r->proxy_base != NULL && rd_proxy_wanted(reg->c.params,
	    reg->c.nparams) == 1 && rd_proxy_refusal(reg->c.params,
	    reg->c.nparams, reg->ep, reg->d, r->proxy_base) == NULL &&
	    (reg->proxy = rd_proxy_uri(r->proxy_base, reg->ep, reg->d)) ==
	    NULL)
		return -1;
	if (each_key(r, reg, key_add) == -1) {
		unindex(r, reg);
		return -1;
	}
	return 0;
}

/* Lifetime heap, ordered by deadline. */

static void
heap_swap(struct rd_registry *r, size_t a, size_t b)
{
	struct rd_reg *t = r->heap[a];

	r->heap[a] = r->heap[b];
	r->heap[b] = t;
	r->heap[a]->heap_idx = a;
	r->heap[b]->heap_idx = b;
}

static void
heap_up(struct rd_registry *r, size_t i)
{
	while (i > 0 && r->heap[(i - 1) / 2]->deadline > r->heap[i]->deadline) {
		heap_swap(r, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void
heap_down(struct rd_registry *r, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, m = i;

		if (l < r->heap_len &&
		    r->heap[l]->deadline < r->heap[m]->deadline)
			m = l;
		if (l + 1 < r->heap_len &&
		    r->heap[l + 1]->deadline < r->heap[m]->deadline)
			m = l + 1;
		if (m == i)
			return;
		heap_swap(r, i, m);
		i = m;
	}
}

static int
heap_push(struct rd_registry *r, struct rd_reg *reg)
{
	if (r->heap_len == r->heap_cap) {
		size_t		 ncap = r->heap_cap ? r->heap_cap * 2 : 64;
		struct rd_reg	**n = reallocarray(r->heap, ncap, sizeof(*n));

		if (n == NULL)
			return -1;
		r->heap = n;
		r->heap_cap = ncap;
	}
	reg->heap_idx = r->heap_len;
	r->heap[r->heap_len++] = reg;
	heap_up(r, reg->heap_idx);
	return 0;
}

static void
heap_remove(struct rd_registry *r, struct rd_reg *reg)
{
	size_t i = reg->heap_idx;

	if (i >= r->heap_len || r->heap[i] != reg)
		return;
	heap_swap(r, i, --r->heap_len);
	if (i < r->heap_len) {
		heap_up(r, i);
		heap_down(r, i);
	}
}

static void
heap_update(struct rd_registry *r, struct rd_reg *reg, uint64_t deadline)
{
	reg->deadline = deadline;
	heap_up(r, reg->heap_idx);
	heap_down(r, reg->heap_idx);
}

/* Tables. */

static char *
make_key(const char *ep, const char *d)
{
	size_t	 n = strlen(ep) + (d ? strlen(d) : 0) + 2;
	char	*k = malloc(n);

	if (k != NULL)
		snprintf(k, n, "%s\n%s", d ? d : "", ep);
	return k;
}

struct rd_reg *
rd_registry_find(const struct rd_registry *r, const char *ep, const char *d)
{
	struct rd_reg	*reg;
	char		*k = make_key(ep, d);

	if (k == NULL)
		return NULL;
	HASH_FIND(hh_key, r->by_key, k, strlen(k), reg);
	free(k);
	return reg;
}

struct rd_reg *
rd_registry_find_id(const struct rd_registry *r, uint64_t id)
{
	struct rd_reg *reg;

	HASH_FIND(hh_id, r->by_id, &id, sizeof(id), reg);
	return reg;
}

static void
reg_free(struct rd_reg *reg)
{
	rd_content_free(&reg->c);
	free(reg->ep);
	free(reg->d);
	free(reg->key);
	free(reg->proxy);
	free(reg);
}

/* Keeps the id order: ids only grow, except when restoring. */
static void
list_insert(struct rd_registry *r, struct rd_reg *reg)
{
	struct rd_reg *after = r->tail;

	while (after != NULL && after->id > reg->id)
		after = after->prev;
	reg->prev = after;
	reg->next = after ? after->next : r->head;
	if (reg->next)
		reg->next->prev = reg;
	else
		r->tail = reg;
	if (after)
		after->next = reg;
	else
		r->head = reg;
}

static void
list_remove(struct rd_registry *r, struct rd_reg *reg)
{
	if (reg->prev)
		reg->prev->next = reg->next;
	else
		r->head = reg->next;
	if (reg->next)
		reg->next->prev = reg->prev;
	else
		r->tail = reg->prev;
}

struct rd_reg *
rd_registry_add(struct rd_registry *r, uint64_t id, const char *ep,
    const char *d, struct rd_content *c, int64_t expires,
    uint64_t deadline_ms)
{
	struct rd_reg *reg;

	if ((reg = calloc(1, sizeof(*reg))) == NULL)
		return NULL;
	reg->id = id ? id : r->next_id;
	if ((reg->ep = strdup(ep)) == NULL ||
	    (d && (reg->d = strdup(d)) == NULL) ||
	    (reg->key = make_key(ep, d)) == NULL ||
	    heap_push(r, reg) == -1) {
		free(reg->ep);
		free(reg->d);
		free(reg->key);
		free(reg);
		return NULL;
	}
	(void)lf_doc_pack(&c->links);
	reg->c = *c;
	reg->expires = expires;
	heap_update(r, reg, deadline_ms);
	if (reindex(r, reg) == -1) {
		/* c still owns the content; reg only borrowed it. */
		heap_remove(r, reg);
		memset(&reg->c, 0, sizeof(reg->c));
		reg_free(reg);
		return NULL;
	}
	memset(c, 0, sizeof(*c));
	HASH_ADD_KEYPTR(hh_key, r->by_key, reg->key, strlen(reg->key), reg);
	HASH_ADD(hh_id, r->by_id, id, sizeof(reg->id), reg);
	list_insert(r, reg);
	if (reg->id >= r->next_id)
		r->next_id = reg->id + 1;
	r->count++;
	r->nlinks += reg->c.links.nlinks;
	/* Quotas are advisory: a failed count never loses a registration. */
	(void)tally_add(&r->owners, reg->c.owner, 1);
	return reg;
}

int
rd_registry_replace(struct rd_registry *r, struct rd_reg *reg,
    struct rd_content *c, int64_t expires, uint64_t deadline_ms)
{
	struct rd_content old = reg->c;

	(void)lf_doc_pack(&c->links);
	unindex(r, reg);
	reg->c = *c;
	if (reindex(r, reg) == -1) {
		reg->c = old;
		(void)reindex(r, reg);
		return -1;
	}
	memset(c, 0, sizeof(*c));
	r->nlinks += reg->c.links.nlinks;
	r->nlinks -= old.links.nlinks;
	(void)tally_add(&r->owners, old.owner, -1);
	(void)tally_add(&r->owners, reg->c.owner, 1);
	rd_content_free(&old);
	reg->expires = expires;
	reg->expired = 0;
	heap_update(r, reg, deadline_ms);
	return 0;
}

/* A copy of the parameters of reg with params overriding by name. */
static int
merge_params(const struct rd_reg *reg, const struct rd_param *params,
    size_t nparams, struct rd_content *c)
{
	size_t n = reg->c.nparams;

	if ((c->params = calloc(n + nparams + 1, sizeof(*c->params))) == NULL)
		return -1;
	for (size_t i = 0; i < n + nparams; i++) {
		const struct rd_param *p = i < n ? &reg->c.params[i] :
		    &params[i - n];
		struct rd_param *q = &c->params[c->nparams];

		if (i < n) {
			size_t k;

			for (k = 0; k < nparams; k++)
				if (strcmp(params[k].name, p->name) == 0)
					break;
			if (k < nparams)
				continue;
		}
		c->nparams++;	/* counted first: freed even if half made */
		if ((q->name = strdup(p->name)) == NULL ||
		    (p->value && (q->value = strdup(p->value)) == NULL))
			return -1;
	}
	return 0;
}

int
rd_content_refreshed(const struct rd_reg *reg, uint32_t lt, const char *base,
    const char *con, const struct rd_param *params, size_t nparams,
    struct rd_content *c)
{
	const char *nbase = base ? base : reg->c.base;
	const char *ncon = con ? con : reg->c.con;

	memset(c, 0, sizeof(*c));
	c->lt = lt;
	if ((nbase && (c->base = strdup(nbase)) == NULL) ||
	    (ncon && (c->con = strdup(ncon)) == NULL) ||
	    (reg->c.owner && (c->owner = strdup(reg->c.owner)) == NULL) ||
	    merge_params(reg, params, nparams, c) == -1) {
		rd_content_free(c);
		return -1;
	}
	return 0;
}

int
rd_registry_refresh(struct rd_registry *r, struct rd_reg *reg,
    struct rd_content *c, int64_t expires, uint64_t deadline_ms)
{
	struct rd_content old;

	/* The links stay; a new base re-resolves them through the index. */
	unindex(r, reg);
	old = reg->c;
	c->links = old.links;
	memset(&old.links, 0, sizeof(old.links));
	reg->c = *c;
	if (reindex(r, reg) == -1) {
		old.links = reg->c.links;
		memset(&c->links, 0, sizeof(c->links));
		reg->c = old;
		(void)reindex(r, reg);
		return -1;
	}
	memset(c, 0, sizeof(*c));
	rd_content_free(&old);
	reg->expires = expires;
	reg->expired = 0;
	heap_update(r, reg, deadline_ms);
	return 0;
}

void
rd_registry_remove(struct rd_registry *r, struct rd_reg *reg)
{
	unindex(r, reg);
	heap_remove(r, reg);
	HASH_DELETE(hh_key, r->by_key, reg);
	HASH_DELETE(hh_id, r->by_id, reg);
	list_remove(r, reg);
	r->count--;
	r->nlinks -= reg->c.links.nlinks;
	(void)tally_add(&r->owners, reg->c.owner, -1);
	reg_free(reg);
}

uint64_t
rd_registry_next_deadline(const struct rd_registry *r)
{
	return r->heap_len ? r->heap[0]->deadline : UINT64_MAX;
}

void
rd_registry_expire(struct rd_registry *r, uint64_t now_ms,
    void (*expired)(struct rd_reg *, void *),
    void (*gone)(struct rd_reg *, void *), void *arg)
{
	while (r->heap_len > 0 && r->heap[0]->deadline <= now_ms) {
		struct rd_reg *reg = r->heap[0];

		if (!reg->expired) {
			reg->expired = 1;
			heap_update(r, reg, reg->deadline + r->grace_ms);
			expired(reg, arg);
			continue;
		}
		gone(reg, arg);
		/* gone() must have removed it; never loop on it again. */
		if (r->heap_len > 0 && r->heap[0] == reg)
			heap_remove(r, reg);
	}
}

struct rd_reg *const *
rd_registry_posting(const struct rd_registry *r, const char *name,
    const char *value, size_t *n)
{
	return rd_index_get(&r->index, rd_index_hash(name, value ? value : "",
	    value ? strlen(value) : 0), n);
}

void
rd_registry_clear(struct rd_registry *r)
{
	struct rd_reg	*reg, *next;
	char		*proxy_base;

	rd_index_clear(&r->index);
	HASH_CLEAR(hh_key, r->by_key);
	HASH_CLEAR(hh_id, r->by_id);
	for (reg = r->head; reg; reg = next) {
		next = reg->next;
		reg_free(reg);
	}
	free(r->heap);
	tally_clear(&r->owners);
	proxy_base = r->proxy_base;
	rd_registry_init(r, r->grace_ms);
	r->proxy_base = proxy_base;
}

int
rd_registry_set_proxy_base(struct rd_registry *r, const char *base)
{
	char		*copy = NULL;
	struct rd_reg	*reg;
	int		 rv = 0;

	if (base != NULL && (copy = strdup(base)) == NULL)
		return -1;
	free(r->proxy_base);
	r->proxy_base = copy;
	for (reg = r->head; reg; reg = reg->next) {
		unindex(r, reg);
		if (reindex(r, reg) == -1)
			rv = -1;
	}
	return rv;
}
