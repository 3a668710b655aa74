/*
 * ctl_rd: corehubctl's directory commands: endpoints and resources (the
 * lookup interfaces, filters passed on as given), show (a registration
 * and its resources) and remove. Links are printed as tables with a
 * column for each well-known parameter and the rest in EXTRA, or as JSON
 * objects with every parameter.
 */
#include "ac_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ctl.h"
#include "ctl_rd.h"

/* Every value of name in l, space-joined ("" for a bare parameter). */
static char *
attr_values(const struct lf_link *l, const char *name)
{
	struct buf	b;
	int		any = 0;

	buf_init(&b, 0);
	for (size_t i = 0; i < l->nattrs; i++) {
		if (strcmp(l->attrs[i].name, name) != 0)
			continue;
		if ((any++ && buf_addc(&b, ' ') == -1) ||
		    (l->attrs[i].value != NULL &&
		    buf_addstr(&b, l->attrs[i].value) == -1)) {
			buf_free(&b);
			return NULL;
		}
	}
	if (!any)
		return NULL;
	return buf_release(&b);
}

static int
is_known(const char *name, const char *const *known)
{
	for (; *known != NULL; known++)
		if (strcmp(name, *known) == 0)
			return 1;
	return 0;
}

/* The parameters a table has no column for, as name=value words. */
static char *
attr_extra(const struct lf_link *l, const char *const *known)
{
	struct buf b;

	buf_init(&b, 0);
	for (size_t i = 0; i < l->nattrs; i++) {
		const struct lf_attr *a = &l->attrs[i];
		int quote = a->value != NULL && (a->value[0] == '\0' ||
		    strpbrk(a->value, " \"") != NULL);

		if (is_known(a->name, known))
			continue;
		if ((b.len > 0 && buf_addc(&b, ' ') == -1) ||
		    buf_addstr(&b, a->name) == -1 ||
		    (a->value != NULL && buf_printf(&b, quote ? "=\"%s\"" :
		    "=%s", a->value) == -1)) {
			buf_free(&b);
			return NULL;
		}
	}
	return buf_release(&b);
}

/* lt and ct are numbers in JSON when they are plain integers. */
static int
json_numeric(const char *name, const char *v)
{
	size_t n = strspn(v, "0123456789");

	return (strcmp(name, "lt") == 0 || strcmp(name, "ct") == 0) &&
	    n > 0 && n <= 18 && v[n] == '\0' && (v[0] != '0' || n == 1);
}

static int
seen_before(const struct lf_link *l, size_t i)
{
	for (size_t k = 0; k < i; k++)
		if (strcmp(l->attrs[k].name, l->attrs[i].name) == 0)
			return 1;
	return 0;
}

/* {"<tkey>": target, name: value...}, a repeated name's values joined. */
static void
json_link(struct ctl_json *j, const struct lf_link *l, const char *tkey)
{
	ctl_json_begin_object(j);
	ctl_json_key(j, tkey);
	ctl_json_string(j, l->target);
	for (size_t i = 0; i < l->nattrs; i++) {
		const char	*name = l->attrs[i].name;
		char		*v;

		if (seen_before(l, i) || strcmp(name, tkey) == 0 ||
		    (v = attr_values(l, name)) == NULL)
			continue;
		ctl_json_key(j, name);
		if (v[0] == '\0' && l->attrs[i].value == NULL)
			ctl_json_bool(j, 1);
		else if (json_numeric(name, v))
			ctl_json_uint(j, strtoull(v, NULL, 10));
		else
			ctl_json_string(j, v);
		free(v);
	}
	ctl_json_end_object(j);
}

static int
json_links(const struct lf_doc *d, const char *tkey)
{
	struct ctl_json j;

	ctl_json_init(&j, stdout);
	ctl_json_begin_array(&j);
	for (size_t i = 0; i < d->nlinks; i++)
		json_link(&j, &d->links[i], tkey);
	ctl_json_end_array(&j);
	return ctl_done_json(&j);
}

/*
 * A table with the named attributes as columns (the target in column
 * tcol) and the rest in a last EXTRA column.
 */
static int
table_links(const struct ctl *x, const struct lf_doc *d,
    const char *const *head, size_t ncols, size_t tcol,
    const char *const *known)
{
	struct ctl_table t;

	ctl_table_init(&t, ncols, head);
	for (size_t i = 0; i < d->nlinks; i++) {
		const struct lf_link	*l = &d->links[i];
		char			*cell[CTL_TABLE_COLS] = { NULL };
		size_t			 k = 0;

		for (size_t c = 0; c + 1 < ncols; c++)
			cell[c] = c == tcol ? strdup(l->target) :
			    attr_values(l, known[k++]);
		cell[ncols - 1] = attr_extra(l, known);
		ctl_table_add(&t, (const char *const *)cell);
		for (size_t c = 0; c < ncols; c++)
			free(cell[c]);
	}
	return ctl_done_table(x, &t);
}

static const char *const ep_known[] = { "ep", "d", "base", "lt", NULL };
static const char *const res_known[] = { "rt", "if", "ct", "anchor", NULL };

static int
print_endpoints(const struct ctl *x, const struct lf_doc *d)
{
	static const char *const head[] = { "ENDPOINT", "SECTOR", "BASE",
	    "LIFETIME", "LOCATION", "EXTRA" };

	if (x->json)
		return json_links(d, "location");
	return table_links(x, d, head, 6, 4, ep_known);
}

static int
print_resources(const struct ctl *x, const struct lf_doc *d)
{
	static const char *const head[] = { "TARGET", "RT", "IF", "CT",
	    "ANCHOR", "EXTRA" };

	if (x->json)
		return json_links(d, "target");
	return table_links(x, d, head, 6, 0, res_known);
}

static int
check_filters(const struct ctl_args *a)
{
	for (int i = 0; i < a->argc; i++) {
		const char *eq = strchr(a->argv[i], '=');

		if (eq == NULL || eq == a->argv[i])
			return ctl_usage("%s: a filter is key=value",
			    a->argv[i]);
		if (strlen(a->argv[i]) > 255)
			return ctl_usage("%.20s...: a filter is at most 255 "
			    "bytes", a->argv[i]);
	}
	return 0;
}

static int
lookup(struct ctl *x, const struct ctl_args *a, int res,
    struct lf_doc *d)
{
	int rc;

	if ((rc = check_filters(a)) != 0 || (rc = ctl_discover(x)) != 0)
		return rc;
	return ctl_get_links(x, res ? x->res_lookup : x->ep_lookup,
	    (const char *const *)a->argv, (size_t)a->argc, d);
}

int
ctl_rd_endpoints(struct ctl *x, struct ctl_args *a)
{
	struct lf_doc	d;
	int		rc;

	if ((rc = lookup(x, a, 0, &d)) != 0)
		return rc;
	rc = print_endpoints(x, &d);
	lf_doc_free(&d);
	return rc;
}

int
ctl_rd_resources(struct ctl *x, struct ctl_args *a)
{
	struct lf_doc	d;
	int		rc;

	if ((rc = lookup(x, a, 1, &d)) != 0)
		return rc;
	rc = print_resources(x, &d);
	lf_doc_free(&d);
	return rc;
}

/* ep is exact, not the lookup's prefix pattern; -d "" is no sector. */
static int
is_registration(const struct lf_link *l, const char *ep, const char *sector)
{
	const struct lf_attr *e = lf_link_attr(l, "ep");
	const struct lf_attr *d = lf_link_attr(l, "d");

	if (e == NULL || e->value == NULL || strcmp(e->value, ep) != 0)
		return 0;
	if (sector == NULL)
		return 1;
	if (sector[0] == '\0')
		return d == NULL;
	return d != NULL && d->value != NULL && strcmp(d->value, sector) == 0;
}

static int
fail_ep(const struct ctl *x, const char *what, const char *ep,
    const char *sector)
{
	if (sector != NULL && sector[0] != '\0')
		return ctl_fail(x, "%s %s in sector %s", what, ep, sector);
	return ctl_fail(x, "%s %s", what, ep);
}

/*
 * The one registration of ep (in sector, when given): *reg points into d,
 * which the caller frees. Refuses to guess between sectors.
 */
static int
find_registration(struct ctl *x, const char *ep, const char *sector,
    struct lf_doc *d, const struct lf_link **reg)
{
	char		 qep[300], qd[300];
	const char	*q[2] = { qep, qd };
	size_t		 nq = 1, n = 0;
	int		 rc;

	if (snprintf(qep, sizeof(qep), "ep=%s", ep) >= 256 ||
	    snprintf(qd, sizeof(qd), "d=%s", sector ? sector : "") >= 256)
		return ctl_usage("the endpoint or sector name is too long");
	if (sector != NULL && sector[0] != '\0')
		nq = 2;
	if ((rc = ctl_discover(x)) != 0 ||
	    (rc = ctl_get_links(x, x->ep_lookup, q, nq, d)) != 0)
		return rc;
	for (size_t i = 0; i < d->nlinks; i++)
		if (is_registration(&d->links[i], ep, sector) && n++ == 0)
			*reg = &d->links[i];
	if (n == 1)
		return 0;
	lf_doc_free(d);
	if (n == 0)
		return fail_ep(x, "no endpoint", ep, sector);
	return ctl_fail(x, "%s is registered in %zu sectors: choose one with "
	    "-d", ep, n);
}

static int
print_registration(const struct ctl *x, const struct lf_link *l)
{
	static const char *const names[] = { "ep", "d", "base", "lt" };
	static const char *const labels[] = { "endpoint", "sector", "base",
	    "lifetime" };
	struct ctl_table t;

	ctl_table_init(&t, 2, NULL);
	for (size_t i = 0; i < 4; i++) {
		char *v = attr_values(l, names[i]);
		const char *row[2] = { labels[i], v };

		ctl_table_add(&t, row);
		free(v);
		if (i == 0) {
			const char *loc[2] = { "location", l->target };

			ctl_table_add(&t, loc);
		}
	}
	for (size_t i = 0; i < l->nattrs; i++) {
		const char	*row[2] = { l->attrs[i].name, NULL };
		char		*v;

		if (is_known(row[0], ep_known) || seen_before(l, i))
			continue;
		v = attr_values(l, row[0]);
		row[1] = v;
		ctl_table_add(&t, row);
		free(v);
	}
	return ctl_done_table(x, &t);
}

static int
show_json(const struct lf_link *reg, const struct lf_doc *res)
{
	struct ctl_json j;

	ctl_json_init(&j, stdout);
	ctl_json_begin_object(&j);
	ctl_json_key(&j, "endpoint");
	json_link(&j, reg, "location");
	ctl_json_key(&j, "resources");
	ctl_json_begin_array(&j);
	for (size_t i = 0; i < res->nlinks; i++)
		json_link(&j, &res->links[i], "target");
	ctl_json_end_array(&j);
	ctl_json_end_object(&j);
	return ctl_done_json(&j);
}

/* The resources of the registration: a lookup by its ep and d. */
static int
registration_resources(struct ctl *x, const struct lf_link *reg,
    struct lf_doc *res)
{
	const struct lf_attr	*ep = lf_link_attr(reg, "ep");
	const struct lf_attr	*d = lf_link_attr(reg, "d");
	char			 qep[300], qd[300];
	const char		*q[2] = { qep, qd };

	snprintf(qep, sizeof(qep), "ep=%s", ep->value);
	snprintf(qd, sizeof(qd), "d=%s", d && d->value ? d->value : "");
	return ctl_get_links(x, x->res_lookup, q, d && d->value ? 2 : 1, res);
}

int
ctl_rd_show(struct ctl *x, struct ctl_args *a)
{
	const struct lf_link	*reg = NULL;
	struct lf_doc		 d, res;
	int			 rc;

	if ((rc = find_registration(x, a->argv[0], a->sector, &d, &reg)) !=
	    0)
		return rc;
	if ((rc = registration_resources(x, reg, &res)) != 0) {
		lf_doc_free(&d);
		return rc;
	}
	if (x->json)
		rc = show_json(reg, &res);
	else if ((rc = print_registration(x, reg)) == 0) {
		fputc('\n', stdout);
		rc = print_resources(x, &res);
	}
	lf_doc_free(&res);
	lf_doc_free(&d);
	return rc;
}

static int
print_removed(const struct ctl *x, const struct lf_link *reg,
    const char *ep, const char *path)
{
	const struct lf_attr	*d = lf_link_attr(reg, "d");
	struct ctl_json		 j;
	char			*sector, *where;
	int			 rc = 0;

	if (x->json) {
		ctl_json_init(&j, stdout);
		ctl_json_begin_object(&j);
		ctl_json_key(&j, "removed");
		json_link(&j, reg, "location");
		ctl_json_end_object(&j);
		return ctl_done_json(&j);
	}
	sector = d && d->value ? ctl_printable(d->value, strlen(d->value)) :
	    NULL;
	where = ctl_printable(path, strlen(path));
	if (where == NULL)
		rc = ctl_fail(x, "out of memory");
	else
		printf("removed %s%s%s (%s)\n", ep, sector ? " in sector " : "",
		    sector ? sector : "", where);
	free(sector);
	free(where);
	return rc;
}

int
ctl_rd_remove(struct ctl *x, struct ctl_args *a)
{
	const struct lf_link	*reg = NULL;
	struct lf_doc		 d;
	struct ctl_request	 rq;
	struct ctl_response	 r;
	char			 path[CTL_PATH_MAX];
	int			 rc;

	if ((rc = find_registration(x, a->argv[0], a->sector, &d, &reg)) !=
	    0)
		return rc;
	if (ctl_client_path(x->cl, reg->target, path, sizeof(path)) == -1) {
		lf_doc_free(&d);
		return ctl_fail(x, "the registration is not on %s",
		    ctl_client_base(x->cl));
	}
	ctl_request_init(&rq, COAP_REQUEST_CODE_DELETE, path);
	if ((rc = ctl_call(x, &rq, &r)) == 0) {
		ctl_response_free(&r);
		rc = print_removed(x, reg, a->argv[0], path);
	}
	lf_doc_free(&d);
	return rc;
}
