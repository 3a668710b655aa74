#include "ac_config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "linkformat.h"
#include "rd_lookup.h"
#include "rd_registry.h"
#include "uri.h"
#include "util.h"

static int
parse_number(const char *v, uint64_t *out)
{
	long long n;

	if (v == NULL || util_parse_ll(v, 0, RD_COUNT_MAX, &n) == -1)
		return -1;
	*out = (uint64_t)n;
	return 0;
}

static int
add_filter(struct rd_query *q, const char *opt, size_t len, const char **err)
{
	const char		*eq = memchr(opt, '=', len);
	size_t			 nlen = eq ? (size_t)(eq - opt) : len;
	struct rd_filter	*f;

	if (nlen == 0 || memchr(opt, '\0', len) != NULL) {
		*err = "a lookup filter needs a name";
		return -1;
	}
	if (q->n == RD_QUERY_MAX_FILTERS) {
		*err = "too many lookup filters";
		return -1;
	}
	f = &q->f[q->n];
	if ((f->name = util_strndup(opt, nlen)) == NULL) {
		*err = "out of memory";
		return -1;
	}
	q->n++;
	if (eq == NULL)
		return 0;
	f->vlen = len - nlen - 1;
	if (f->vlen > 0 && eq[f->vlen] == '*') {
		f->prefix = 1;
		f->vlen--;
	}
	if ((f->value = util_strndup(eq + 1, f->vlen)) == NULL) {
		*err = "out of memory";
		return -1;
	}
	return 0;
}

int
rd_query_parse(const char *const *opts, const size_t *lens, size_t n,
    struct rd_query *q, const char **err)
{
	memset(q, 0, sizeof(*q));
	for (size_t i = 0; i < n; i++) {
		char	 buf[16];
		size_t	 len = lens[i];
		int	 is_page = len >= 5 && memcmp(opts[i], "page=", 5) == 0;
		int	 is_count = len >= 6 && memcmp(opts[i], "count=", 6) == 0;
		size_t	 skip = is_page ? 5 : 6;

		if (!is_page && !is_count) {
			if (add_filter(q, opts[i], len, err) == -1)
				goto fail;
			continue;
		}
		if (len - skip >= sizeof(buf) || (is_page && q->has_page) ||
		    (is_count && q->has_count)) {
			*err = "bad page or count";
			goto fail;
		}
		memcpy(buf, opts[i] + skip, len - skip);
		buf[len - skip] = '\0';
		if (parse_number(buf, is_page ? &q->page : &q->count) == -1) {
			*err = "page and count are numbers from 0 to 1000000";
			goto fail;
		}
		*(is_page ? &q->has_page : &q->has_count) = 1;
	}
	if (q->has_page && !q->has_count) {
		*err = "page needs count";
		goto fail;
	}
	return 0;
fail:
	rd_query_free(q);
	return -1;
}

void
rd_query_free(struct rd_query *q)
{
	for (size_t i = 0; i < q->n; i++) {
		free(q->f[i].name);
		free(q->f[i].value);
	}
	memset(q, 0, sizeof(*q));
}

/* Matching. */

static int
value_match(const struct rd_filter *f, const char *v, size_t vlen)
{
	if (f->value == NULL)
		return 1;	/* "?name" asks only that it be there */
	if (v == NULL)
		return 0;
	if (f->prefix)
		return vlen >= f->vlen && memcmp(v, f->value, f->vlen) == 0;
	return vlen == f->vlen && memcmp(v, f->value, vlen) == 0;
}

static int
str_match(const struct rd_filter *f, const char *v)
{
	return value_match(f, v, v ? strlen(v) : 0);
}

int
rd_filter_match(const struct rd_filter *f, const char *v, size_t len,
    int reltype)
{
	const char *end = v + len;

	if (!reltype || v == NULL || f->value == NULL)
		return value_match(f, v, len);
	while (v < end) {
		const char	*sp = memchr(v, ' ', (size_t)(end - v));
		size_t		 n = sp ? (size_t)(sp - v) : (size_t)(end - v);

		if (n > 0 && value_match(f, v, n))
			return 1;
		v += n;
		while (v < end && *v == ' ')
			v++;
	}
	return 0;
}

/* rt, if and rel hold space-separated values: any one may match. */
static int
reltype_match(const struct rd_filter *f, const char *v)
{
	return rd_filter_match(f, v, v ? strlen(v) : 0, 1);
}

static int
reg_path(const struct rd_reg *reg, const char *loc, char *buf, size_t len)
{
	return snprintf(buf, len, "%s/%" PRIu64, loc, reg->id) < (int)len ?
	    0 : -1;
}

static int
ep_level_match(const struct rd_reg *reg, const struct rd_filter *f,
    const char *loc)
{
	const char *n = f->name;

	if (strcmp(n, "ep") == 0)
		return str_match(f, reg->ep);
	if (strcmp(n, "d") == 0)
		return reg->d != NULL && str_match(f, reg->d);
	if (strcmp(n, "base") == 0)
		return str_match(f, rd_reg_base(reg));
	if (strcmp(n, "href") == 0) {
		char path[96];

		return reg_path(reg, loc, path, sizeof(path)) == 0 &&
		    str_match(f, path);
	}
	for (size_t i = 0; i < reg->c.nparams; i++)
		if (strcmp(reg->c.params[i].name, n) == 0 &&
		    (f->value == NULL || str_match(f, reg->c.params[i].value)))
			return 1;
	return 0;
}

/* The resolved target, anchor (explicit, else the target's origin). */
struct resolved {
	struct buf	target;
	struct buf	anchor;
	int		have;
};

static int
resolve_link(const struct rd_reg *reg, const struct lf_link *l,
    struct resolved *res, int want_anchor)
{
	const struct lf_attr *a;

	buf_reset(&res->target);
	buf_reset(&res->anchor);
	if (uri_resolve(rd_reg_base(reg), l->target, &res->target) == -1)
		return -1;
	if (!want_anchor)
		return 0;
	a = lf_link_attr(l, "anchor");
	return uri_resolve(rd_reg_base(reg), a && a->value ? a->value : "/",
	    &res->anchor);
}

static int
link_level_match(const struct rd_reg *reg, const struct lf_link *l,
    const struct rd_filter *f, struct resolved *res)
{
	if (strcmp(f->name, "href") == 0 || strcmp(f->name, "anchor") == 0) {
		int anchor = f->name[0] == 'a';

		if (resolve_link(reg, l, res, anchor) == -1)
			return 0;
		return anchor ? str_match(f, res->anchor.data) :
		    str_match(f, res->target.data);
	}
	for (size_t i = 0; i < l->nattrs; i++) {
		const struct lf_attr *a = &l->attrs[i];

		if (strcmp(a->name, f->name) != 0)
			continue;
		if (rd_attr_is_reltype(a->name) ? reltype_match(f, a->value) :
		    str_match(f, a->value))
			return 1;
	}
	return 0;
}

static int
link_matches(const struct rd_reg *reg, const struct lf_link *l,
    const struct rd_query *q, const char *loc, struct resolved *res)
{
	for (size_t i = 0; i < q->n; i++)
		if (!ep_level_match(reg, &q->f[i], loc) &&
		    !link_level_match(reg, l, &q->f[i], res))
			return 0;
	return 1;
}

static int
ep_matches(const struct rd_reg *reg, const struct rd_query *q,
    const char *loc, struct resolved *res)
{
	for (size_t i = 0; i < q->n; i++) {
		size_t k;

		if (ep_level_match(reg, &q->f[i], loc))
			continue;
		for (k = 0; k < reg->c.links.nlinks; k++)
			if (link_level_match(reg, &reg->c.links.links[k],
			    &q->f[i], res))
				break;
		if (k == reg->c.links.nlinks)
			return 0;
	}
	return 1;
}

static void
resolved_init(struct resolved *res)
{
	buf_init(&res->target, 0);
	buf_init(&res->anchor, 0);
}

static void
resolved_free(struct resolved *res)
{
	buf_free(&res->target);
	buf_free(&res->anchor);
}

/* Whether reg takes part in a lookup at all. */
static int
shown(const struct rd_query *q, const struct rd_reg *reg)
{
	return !reg->expired &&
	    (q->visible == NULL || q->visible(q->visible_arg, reg));
}

int
rd_lookup_matches(const struct rd_reg *reg, enum rd_lookup_kind kind,
    const struct rd_query *q, const char *loc)
{
	struct resolved	res;
	int		m = 0;

	if (!shown(q, reg))
		return 0;
	resolved_init(&res);
	if (kind == RD_LOOKUP_EP)
		m = ep_matches(reg, q, loc, &res);
	else
		for (size_t i = 0; i < reg->c.links.nlinks && !m; i++)
			m = link_matches(reg, &reg->c.links.links[i], q, loc,
			    &res);
	resolved_free(&res);
	return m;
}

/* Rendering. */

static int
write_ep(struct buf *out, const struct rd_reg *reg, const char *loc)
{
	char path[96];

	if (reg_path(reg, loc, path, sizeof(path)) == -1 ||
	    lf_write_target(out, path) == -1 ||
	    lf_write_attr(out, "ep", reg->ep, 0) == -1 ||
	    (reg->d && lf_write_attr(out, "d", reg->d, 0) == -1) ||
	    lf_write_attr(out, "base", rd_reg_base(reg), 1) == -1 ||
	    lf_write_attr(out, "rt", "core.rd-ep", 0) == -1)
		return -1;
	for (size_t i = 0; i < reg->c.nparams; i++)
		if (lf_write_attr(out, reg->c.params[i].name,
		    reg->c.params[i].value, 0) == -1)
			return -1;
	return 0;
}

static int
write_res(struct buf *out, const struct rd_reg *reg, const struct lf_link *l,
    struct resolved *res)
{
	if (resolve_link(reg, l, res, 0) == -1 ||
	    lf_write_target(out, res->target.data) == -1)
		return -1;
	for (size_t i = 0; i < l->nattrs; i++) {
		const struct lf_attr *a = &l->attrs[i];

		if (strcmp(a->name, "anchor") == 0 && a->value != NULL) {
			buf_reset(&res->anchor);
			if (uri_resolve(rd_reg_base(reg), a->value,
			    &res->anchor) == -1 ||
			    lf_write_attr(out, "anchor", res->anchor.data, 1) ==
			    -1)
				return -1;
		} else if (lf_write_attr(out, a->name, a->value, a->quoted) ==
		    -1)
			return -1;
	}
	return 0;
}

/* Walks the candidates in id order; emits the items of the page. */
struct walk {
	const struct rd_query	*q;
	enum rd_lookup_kind	 kind;
	const char		*loc;
	struct buf		*out;
	struct resolved		 res;
	uint64_t		 skip, left;
	long			 written;
	int			 limited;
};

static int
emit(struct walk *w, const struct rd_reg *reg, const struct lf_link *l)
{
	if (w->skip > 0) {
		w->skip--;
		return 0;
	}
	if (w->written > 0 && buf_addc(w->out, ',') == -1)
		return -1;
	if ((l ? write_res(w->out, reg, l, &w->res) :
	    write_ep(w->out, reg, w->loc)) == -1)
		return -1;
	w->written++;
	if (w->limited)
		w->left--;
	return 0;
}

/* Returns 1 when the page is full, 0 to go on, -1 on error. */
static int
walk_reg(struct walk *w, const struct rd_reg *reg)
{
	if (!shown(w->q, reg))
		return 0;
	if (w->kind == RD_LOOKUP_EP) {
		if (ep_matches(reg, w->q, w->loc, &w->res) &&
		    emit(w, reg, NULL) == -1)
			return -1;
		return w->limited && w->left == 0;
	}
	for (size_t i = 0; i < reg->c.links.nlinks; i++) {
		const struct lf_link *l = &reg->c.links.links[i];

		if (!link_matches(reg, l, w->q, w->loc, &w->res))
			continue;
		if (emit(w, reg, l) == -1)
			return -1;
		if (w->limited && w->left == 0)
			return 1;
	}
	return 0;
}

/* An exact filter the index can answer: name=value as indexed. */
static int
indexable(const struct rd_filter *f, enum rd_lookup_kind kind)
{
	if (f->value == NULL || f->prefix || strcmp(f->name, "anchor") == 0)
		return 0;
	if (strcmp(f->name, "href") == 0)
		return kind == RD_LOOKUP_RES && uri_is_absolute(f->value);
	return 1;
}

long
rd_lookup(const struct rd_registry *r, enum rd_lookup_kind kind,
    const struct rd_query *q, const char *loc, struct buf *out)
{
	struct walk		  w;
	struct rd_reg *const	 *cand = NULL;
	size_t			  ncand = SIZE_MAX;
	int			  use_index = 0, rc = 0;

	/* Start from the smallest posting of any exact filter. */
	for (size_t i = 0; i < q->n; i++) {
		size_t n;
		struct rd_reg *const *p;

		if (!indexable(&q->f[i], kind))
			continue;
		p = rd_registry_posting(r, q->f[i].name, q->f[i].value, &n);
		if (n < ncand) {
			cand = p;
			ncand = n;
			use_index = 1;
		}
	}
	if (use_index && ncand == 0)
		return 0;
	memset(&w, 0, sizeof(w));
	w.q = q;
	w.kind = kind;
	w.loc = loc;
	w.out = out;
	resolved_init(&w.res);
	w.limited = q->has_count;
	w.left = q->count;
	w.skip = q->has_page ? q->page * q->count : 0;
	if (w.limited && w.left == 0)
		goto done;
	if (use_index) {
		for (size_t i = 0; i < ncand && rc == 0; i++)
			rc = walk_reg(&w, cand[i]);
	} else {
		for (const struct rd_reg *reg = r->head; reg && rc == 0;
		    reg = reg->next)
			rc = walk_reg(&w, reg);
	}
done:
	resolved_free(&w.res);
	return rc == -1 ? -1 : w.written;
}
