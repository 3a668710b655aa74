/*
 * rd_lookup: RFC 9176 lookups over the registry. Owns the lookup query
 * (filters on any endpoint or link attribute, trailing-'*' prefixes,
 * relation-type matching, page and count), the choice of the smallest
 * index posting to start from, and the rendering of results with targets
 * and anchors resolved against each registration's base. Pure.
 */
#ifndef COREHUB_RD_LOOKUP_H
#define COREHUB_RD_LOOKUP_H

#include <stddef.h>
#include <stdint.h>

struct buf;
struct rd_reg;
struct rd_registry;

#define RD_QUERY_MAX_FILTERS	16
#define RD_COUNT_MAX		1000000

enum rd_lookup_kind {
	RD_LOOKUP_EP,
	RD_LOOKUP_RES
};

struct rd_filter {
	char	*name;
	char	*value;		/* without the trailing '*'; NULL: no '=' */
	size_t	 vlen;
	int	 prefix;	/* value ended in '*' */
};

struct rd_query {
	struct rd_filter	f[RD_QUERY_MAX_FILTERS];
	size_t			n;
	uint64_t		page, count;
	int			has_page, has_count;
	/*
	 * Set by the caller after parsing, or NULL: registrations it says
	 * no to are left out, as if they did not exist (RFC 9176 7.3).
	 */
	int			(*visible)(void *arg, const struct rd_reg *reg);
	void			*visible_arg;
};

/*
 * Parses the Uri-Query options of a lookup (each "name[=value]", len
 * bytes). Returns 0, or -1 with *err naming the problem (a 4.00).
 */
int	rd_query_parse(const char *const *opts, const size_t *lens, size_t n,
	    struct rd_query *q, const char **err);
void	rd_query_free(struct rd_query *q);

/*
 * Appends the page of results to out as link-format. loc is the path
 * prefix of registration resources ("/rd"). Returns the number of links
 * written, or -1 when out is full or memory ran out.
 */
long	rd_lookup(const struct rd_registry *r, enum rd_lookup_kind kind,
	    const struct rd_query *q, const char *loc, struct buf *out);
/*
 * Whether a value of len bytes (NULL: the attribute is absent) passes f;
 * reltype for the space-separated values of rt, if and rel, any one of
 * which may match (RFC 6690 section 4.1).
 */
int	rd_filter_match(const struct rd_filter *f, const char *v, size_t len,
	    int reltype);
/* Whether reg (or one of its links, for RD_LOOKUP_RES) matches q. */
int	rd_lookup_matches(const struct rd_reg *reg, enum rd_lookup_kind kind,
	    const struct rd_query *q, const char *loc);

#endif
