/*
 * rd_registry: the Resource Directory's registrations in memory. Owns the
 * tables by (ep, d) and by location id, the order lookups page through,
 * the inverted index that keeps selective lookups from scanning, and the
 * lifetime heap. Pure: no CoAP, no SQL, no clock of its own (callers pass
 * monotonic milliseconds).
 */
#ifndef COREHUB_RD_REGISTRY_H
#define COREHUB_RD_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

#include <uthash.h>

#include "linkformat.h"
#include "rd_index.h"
#include "tally.h"

#define RD_EP_MAX	63		/* bytes of UTF-8, RFC 9176 section 5 */
#define RD_LT_DEFAULT	90000
#define RD_LT_MAX	4294967295u

struct rd_param {
	char	*name;
	char	*value;			/* NULL when given without '=' */
};

/* What a registration says; swapped in whole on re-registration. */
struct rd_content {
	uint32_t	 lt;
	char		*base;		/* explicit base, or NULL */
	char		*con;		/* base taken from the request source */
	struct rd_param	*params;	/* extra attributes, et included */
	size_t		 nparams;
	struct lf_doc	 links;
	char		*owner;		/* principal of the registrant */
	/*
	 * The interface whose link a link-local (or mesh-local) base
	 * belongs to: the registration is shown to lookups from there only
	 * (RFC 9176 section 5). NULL for a base reachable from anywhere.
	 */
	char		*link;
};

struct rd_reg {
	uint64_t	 id;		/* location is /reg/<id> */
	char		*ep;
	char		*d;		/* NULL when no sector */
	struct rd_content c;
	int64_t		 expires;	/* wall-clock seconds, as persisted */
	uint64_t	 deadline;	/* monotonic ms of the next event */
	int		 expired;	/* lifetime over, kept for a refresh */
	size_t		 heap_idx;
	char		*key;		/* "d\nep": the (ep, d) table key */
	char		*proxy;		/* its proxy URI when proxied */
	struct rd_reg	*prev, *next;	/* ascending id */
	UT_hash_handle	 hh_key, hh_id;
};

struct rd_registry {
	struct rd_reg		*by_key, *by_id;
	struct rd_reg		*head, *tail;
	size_t			 count;		/* registrations, expired too */
	size_t			 nlinks;
	uint64_t		 next_id;
	struct rd_index		 index;
	struct rd_reg		**heap;
	size_t			 heap_len, heap_cap;
	uint64_t		 grace_ms;	/* expired but refreshable */
	struct tally		 owners;	/* registrations by owner */
	char			*proxy_base;	/* NULL: nothing is proxied */
};

void		 rd_registry_init(struct rd_registry *r, uint64_t grace_ms);
void		 rd_registry_clear(struct rd_registry *r);
struct rd_reg	*rd_registry_find(const struct rd_registry *r, const char *ep,
		    const char *d);
struct rd_reg	*rd_registry_find_id(const struct rd_registry *r, uint64_t id);
/*
 * The base lookups show: the proxy URI of a proxied registration, else
 * the explicit base, else the request's source.
 */
const char	*rd_reg_base(const struct rd_reg *reg);
/* Where the device itself is: explicit base, else the request's source. */
const char	*rd_reg_device_base(const struct rd_reg *reg);
/*
 * Sets the proxy-base (rd_proxy.h) that proxied registrations get their
 * proxy URI under, and re-resolves them all. NULL: no proxying. -1 when
 * out of memory.
 */
int		 rd_registry_set_proxy_base(struct rd_registry *r,
		    const char *base);

/*
 * Inserts a new registration (id 0: the next free id) holding content c,
 * which the registry takes. deadline_ms is when its lifetime ends.
 * Returns NULL when out of memory (c is then left to the caller).
 */
struct rd_reg	*rd_registry_add(struct rd_registry *r, uint64_t id,
		    const char *ep, const char *d, struct rd_content *c,
		    int64_t expires, uint64_t deadline_ms);
/* Replaces reg's content with c (taken); the old one is freed. */
int		 rd_registry_replace(struct rd_registry *r, struct rd_reg *reg,
		    struct rd_content *c, int64_t expires,
		    uint64_t deadline_ms);
/*
 * An update in two steps, so that it can be stored before it is applied:
 * rd_content_refreshed() makes reg's content as the update would leave it
 * (params override by name, base only if given; no links), and
 * rd_registry_refresh() swaps it in (taking c), keeps the links, restarts
 * the lifetime and, when the base changed, re-resolves the links.
 */
int		 rd_content_refreshed(const struct rd_reg *reg, uint32_t lt,
		    const char *base, const char *con,
		    const struct rd_param *params, size_t nparams,
		    struct rd_content *c);
int		 rd_registry_refresh(struct rd_registry *r, struct rd_reg *reg,
		    struct rd_content *c, int64_t expires,
		    uint64_t deadline_ms);
void		 rd_registry_remove(struct rd_registry *r, struct rd_reg *reg);

/* Earliest lifetime event, or UINT64_MAX when there is none. */
uint64_t	 rd_registry_next_deadline(const struct rd_registry *r);
/*
 * Handles every event due at now_ms: registrations whose lifetime ended
 * are marked expired (they vanish from lookups) and passed to expired();
 * those expired for longer than the grace time are handed to gone(),
 * which must remove them.
 */
void		 rd_registry_expire(struct rd_registry *r, uint64_t now_ms,
		    void (*expired)(struct rd_reg *, void *),
		    void (*gone)(struct rd_reg *, void *), void *arg);

/*
 * Index access for lookups: registrations that may carry name=value (the
 * index keeps hashes: candidates must still be matched), by id.
 */
struct rd_reg *const *rd_registry_posting(const struct rd_registry *r,
		    const char *name, const char *value, size_t *n);

void		 rd_content_free(struct rd_content *c);
void		 rd_params_free(struct rd_param *p, size_t n);
/* Whether name is a relation type attribute (space-separated values). */
int		 rd_attr_is_reltype(const char *name);

#endif
