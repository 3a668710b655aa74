/*
 * corehubctl: the administrator's view of a running corehubd, over CoAP:
 * the directory's endpoints and resources, removing a registration, the
 * broker's topics (list, show, create, publish, subscribe), the daemon's
 * statistics and a reload. Paths come from /.well-known/core, with the
 * defaults of the admin contract when the daemon does not list them.
 * Whatever the daemon answers is parsed by the daemon's own strict
 * parsers and printed through ctl_out, which escapes it.
 */
#include "ac_config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <cbor.h>
#include <coap3/coap.h>

#include "buf.h"
#include "ctl_client.h"
#include "ctl_out.h"
#include "linkformat.h"
#include "ps_cbor.h"
#include "ps_props.h"
#include "util.h"

#define EXIT_USAGE	2
#define EXIT_NET	3

#define CF_TEXT		0
#define CF_LINK_FORMAT	40
#define CF_CBOR		60
#define CF_PUBSUB	606	/* application/core-pubsub+cbor */

#define TOPICS_MAX	1000	/* topics one listing reads */
#define DIAG_MAX	256	/* bytes of a diagnostic payload shown */
#define STATS_KEY_MAX	128
#define LOOKUP_RT_CONF	"core.ps.conf"

struct ctl {
	const char		*cmd;
	struct ctl_config	 cfg;
	struct ctl_client	*cl;
	int			 json;
	int			 discovered;
	char			 ep_lookup[CTL_PATH_MAX];
	char			 res_lookup[CTL_PATH_MAX];
	char			 coll[CTL_PATH_MAX];
	char			 stats[CTL_PATH_MAX];
	char			 reload[CTL_PATH_MAX];
};

/* What a command was given after its name. */
struct cmd_args {
	int		 argc;
	char		**argv;
	const char	*sector;	/* -d, NULL when not given */
	int		 format;	/* -f, or CTL_NONE */
};

static volatile sig_atomic_t	 stopping;

static void
usage_line(FILE *out)
{
	fputs("usage: corehubctl [-hJnVv] [-C cafile] [-c certfile] "
	    "[-j keyfile] [-k key]\n"
	    "                  [-s uri] [-t seconds] [-u identity] "
	    "command [args]\n", out);
}

static void
help(void)
{
	usage_line(stdout);
	fputs("\ncommands:\n"
	    "  endpoints [filter...]          endpoint lookup "
	    "(filter: key=value)\n"
	    "  resources [filter...]          resource lookup\n"
	    "  show ep [-d sector]            an endpoint and its "
	    "resources\n"
	    "  remove ep [-d sector]          remove a registration\n"
	    "  topics                         list the topics\n"
	    "  topic name                     a topic's configuration\n"
	    "  create-topic name [key=value...]\n"
	    "                                 create a topic (content-format,"
	    " type,\n"
	    "                                 max-subscribers, observer-check,"
	    " expires)\n"
	    "  publish topic value [-f cf]    publish (value - reads standard"
	    " input)\n"
	    "  subscribe topic                print notifications until "
	    "interrupted\n"
	    "  stats                          the daemon's statistics\n"
	    "  reload                         reload the configuration\n"
	    "\noptions:\n"
	    "  -s uri        the daemon (default coap://127.0.0.1)\n"
	    "  -u id -k key  DTLS/TLS pre-shared key\n"
	    "  -c cert -j key -C ca\n"
	    "                DTLS/TLS certificate, key and the CA of the "
	    "daemon's\n"
	    "  -n            do not verify the daemon's certificate\n"
	    "  -t seconds    timeout of each request (default 10)\n"
	    "  -J, --json    JSON output\n"
	    "  -v            more of libcoap's log (repeat for debug)\n"
	    "  -V            version\n", stdout);
}

static int
usage(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static int
usage(const char *fmt, ...)
{
	va_list ap;

	if (fmt != NULL) {
		fputs("corehubctl: ", stderr);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	usage_line(stderr);
	return EXIT_USAGE;
}

static int
fail(const struct ctl *x, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int
fail(const struct ctl *x, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "corehubctl: %s: ", x->cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_FAILURE;
}

/* Timeouts and unreachable servers are 3, so that scripts can retry. */
static int
fail_status(const struct ctl *x, enum ctl_status st)
{
	const char *why = ctl_client_error(x->cl, st);

	/* A DTLS handshake with a wrong key is silence, not a refusal. */
	if (st == CTL_ETIMEOUT)
		fail(x, "%s: %s within %u s%s", ctl_client_base(x->cl), why,
		    x->cfg.timeout_s, why == ctl_status_text(st) ? "" :
		    " (a wrong key or certificate?)");
	else
		fail(x, "%s: %s", ctl_client_base(x->cl), why);
	return st == CTL_ETIMEOUT || st == CTL_ECONN ? EXIT_NET :
	    EXIT_FAILURE;
}

/* "4.03 Forbidden: <diagnostic payload>", made safe to print. */
static int
fail_code(const struct ctl *x, const struct ctl_response *r)
{
	char	 code[16];
	char	*diag = NULL;

	if (r->len > 0)
		diag = ctl_printable((const char *)r->body,
		    r->len > DIAG_MAX ? DIAG_MAX : r->len);
	fail(x, "%s %s%s%s", ctl_code_text(r->code, code, sizeof(code)),
	    ctl_code_phrase(r->code), diag ? ": " : "", diag ? diag : "");
	free(diag);
	return EXIT_FAILURE;
}

static int
ensure_client(struct ctl *x)
{
	char	err[512] = "";
	int	is_usage;

	if (x->cl != NULL)
		return 0;
	if ((x->cl = ctl_client_open(&x->cfg, err, sizeof(err), &is_usage)) !=
	    NULL)
		return 0;
	if (is_usage)
		return usage("%s", err);
	fail(x, "%s", err);
	return EXIT_NET;
}

/*
 * One request that must succeed (2.xx). Returns 0, or the exit status
 * after saying why.
 */
static int
call(struct ctl *x, const struct ctl_request *rq, struct ctl_response *r)
{
	enum ctl_status	st;
	int		rc;

	memset(r, 0, sizeof(*r));
	if ((rc = ensure_client(x)) != 0)
		return rc;
	if ((st = ctl_request(x->cl, rq, r)) != CTL_OK)
		return fail_status(x, st);
	if (r->code / 100 != 2) {
		rc = fail_code(x, r);
		ctl_response_free(r);
		return rc;
	}
	return 0;
}

static void
request_init(struct ctl_request *rq, coap_pdu_code_t method,
    const char *path)
{
	memset(rq, 0, sizeof(*rq));
	rq->method = method;
	rq->path = path;
	rq->format = CTL_NONE;
	rq->accept = CTL_NONE;
}

/* Whether the space-separated list holds word (rt="core.ps core.ps.coll"). */
static int
has_word(const char *list, const char *word)
{
	size_t n = strlen(word);

	for (const char *p = list; p != NULL && *p != '\0'; ) {
		const char *sp = strchr(p, ' ');
		size_t len = sp ? (size_t)(sp - p) : strlen(p);

		if (len == n && strncmp(p, word, n) == 0)
			return 1;
		p = sp ? sp + 1 : NULL;
	}
	return 0;
}

static int
link_has_rt(const struct lf_link *l, const char *rt)
{
	for (size_t i = 0; i < l->nattrs; i++)
		if (strcmp(l->attrs[i].name, "rt") == 0 &&
		    l->attrs[i].value != NULL &&
		    has_word(l->attrs[i].value, rt))
			return 1;
	return 0;
}

static int
link_has_attr(const struct lf_link *l, const char *name)
{
	return lf_link_attr(l, name) != NULL;
}

static void
discover_links(struct ctl *x, const struct lf_doc *d)
{
	const struct {
		const char	*rt;
		char		*path;
	} want[] = {
		{ "core.rd-lookup-ep", x->ep_lookup },
		{ "core.rd-lookup-res", x->res_lookup },
		{ "core.ps.coll", x->coll },
		{ "corehub.stats", x->stats },
		{ "corehub.reload", x->reload },
	};
	int found[sizeof(want) / sizeof(want[0])] = { 0 };

	for (size_t i = 0; i < d->nlinks; i++)
		for (size_t k = 0; k < sizeof(want) / sizeof(want[0]); k++) {
			char path[CTL_PATH_MAX];

			/* The first link of a kind, if on this server. */
			if (found[k] ||
			    !link_has_rt(&d->links[i], want[k].rt) ||
			    ctl_client_path(x->cl, d->links[i].target, path,
			    sizeof(path)) == -1)
				continue;
			memcpy(want[k].path, path, sizeof(path));
			found[k] = 1;
		}
}

/*
 * The paths of the admin contract, from /.well-known/core. A daemon that
 * does not answer it (an ACL, an old version) keeps the defaults; one
 * that does not answer at all fails here.
 */
static int
discover(struct ctl *x)
{
	struct ctl_request	rq;
	struct ctl_response	r;
	struct lf_doc		doc;
	enum ctl_status		st;
	int			rc;

	if (x->discovered)
		return 0;
	snprintf(x->ep_lookup, sizeof(x->ep_lookup), "/rd-lookup/ep");
	snprintf(x->res_lookup, sizeof(x->res_lookup), "/rd-lookup/res");
	snprintf(x->coll, sizeof(x->coll), "/ps");
	snprintf(x->stats, sizeof(x->stats), "/corehub/stats");
	snprintf(x->reload, sizeof(x->reload), "/corehub/reload");
	if ((rc = ensure_client(x)) != 0)
		return rc;
	request_init(&rq, COAP_REQUEST_CODE_GET, "/.well-known/core");
	if ((st = ctl_request(x->cl, &rq, &r)) != CTL_OK)
		return fail_status(x, st);
	if (r.code == 205 && lf_parse((const char *)r.body, r.len, NULL, &doc,
	    NULL) == LF_OK) {
		discover_links(x, &doc);
		lf_doc_free(&doc);
	}
	ctl_response_free(&r);
	x->discovered = 1;
	return 0;
}

static int
parse_links(const struct ctl *x, const char *path, struct ctl_response *r,
    struct lf_doc *doc)
{
	struct lf_error	err = { 0, NULL };
	int		rc;

	memset(doc, 0, sizeof(*doc));
	if (r->format != CTL_NONE && r->format != CF_LINK_FORMAT &&
	    r->len > 0) {
		rc = fail(x, "%s: not link-format (content-format %d)", path,
		    r->format);
		ctl_response_free(r);
		return rc;
	}
	rc = lf_parse((const char *)r->body, r->len, NULL, doc, &err);
	ctl_response_free(r);
	if (rc != LF_OK)
		return fail(x, "%s: bad link-format from the daemon at byte "
		    "%zu: %s", path, err.offset, err.msg ? err.msg : "?");
	return 0;
}

/* A GET answered in link-format, parsed. */
static int
get_links(struct ctl *x, const char *path, const char *const *query,
    size_t nquery, struct lf_doc *doc)
{
	struct ctl_request	rq;
	struct ctl_response	r;
	int			rc;

	memset(doc, 0, sizeof(*doc));
	request_init(&rq, COAP_REQUEST_CODE_GET, path);
	rq.query = query;
	rq.nquery = nquery;
	rq.accept = CF_LINK_FORMAT;
	if ((rc = call(x, &rq, &r)) != 0)
		return rc;
	return parse_links(x, path, &r, doc);
}

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
json_done(struct ctl_json *j)
{
	return ctl_json_finish(j) == 0 ? 0 : EXIT_FAILURE;
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
	return json_done(&j);
}

static int
table_done(const struct ctl *x, struct ctl_table *t)
{
	int rc = ctl_table_print(t, stdout);

	ctl_table_free(t);
	return rc == 0 ? 0 : fail(x, "out of memory");
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
	return table_done(x, &t);
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
check_filters(const struct cmd_args *a)
{
	for (int i = 0; i < a->argc; i++) {
		const char *eq = strchr(a->argv[i], '=');

		if (eq == NULL || eq == a->argv[i])
			return usage("%s: a filter is key=value",
			    a->argv[i]);
		if (strlen(a->argv[i]) > 255)
			return usage("%.20s...: a filter is at most 255 bytes",
			    a->argv[i]);
	}
	return 0;
}

static int
lookup(struct ctl *x, const struct cmd_args *a, int res,
    struct lf_doc *d)
{
	int rc;

	if ((rc = check_filters(a)) != 0 || (rc = discover(x)) != 0)
		return rc;
	return get_links(x, res ? x->res_lookup : x->ep_lookup,
	    (const char *const *)a->argv, (size_t)a->argc, d);
}

static int
cmd_endpoints(struct ctl *x, struct cmd_args *a)
{
	struct lf_doc	d;
	int		rc;

	if ((rc = lookup(x, a, 0, &d)) != 0)
		return rc;
	rc = print_endpoints(x, &d);
	lf_doc_free(&d);
	return rc;
}

static int
cmd_resources(struct ctl *x, struct cmd_args *a)
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
		return fail(x, "%s %s in sector %s", what, ep, sector);
	return fail(x, "%s %s", what, ep);
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
		return usage("the endpoint or sector name is too long");
	if (sector != NULL && sector[0] != '\0')
		nq = 2;
	if ((rc = discover(x)) != 0 ||
	    (rc = get_links(x, x->ep_lookup, q, nq, d)) != 0)
		return rc;
	for (size_t i = 0; i < d->nlinks; i++)
		if (is_registration(&d->links[i], ep, sector) && n++ == 0)
			*reg = &d->links[i];
	if (n == 1)
		return 0;
	lf_doc_free(d);
	if (n == 0)
		return fail_ep(x, "no endpoint", ep, sector);
	return fail(x, "%s is registered in %zu sectors: choose one with -d",
	    ep, n);
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
	return table_done(x, &t);
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
	return json_done(&j);
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
	return get_links(x, x->res_lookup, q, d && d->value ? 2 : 1, res);
}

static int
cmd_show(struct ctl *x, struct cmd_args *a)
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
		return json_done(&j);
	}
	sector = d && d->value ? ctl_printable(d->value, strlen(d->value)) :
	    NULL;
	where = ctl_printable(path, strlen(path));
	if (where == NULL)
		rc = fail(x, "out of memory");
	else
		printf("removed %s%s%s (%s)\n", ep, sector ? " in sector " : "",
		    sector ? sector : "", where);
	free(sector);
	free(where);
	return rc;
}

static int
cmd_remove(struct ctl *x, struct cmd_args *a)
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
		return fail(x, "the registration is not on %s",
		    ctl_client_base(x->cl));
	}
	request_init(&rq, COAP_REQUEST_CODE_DELETE, path);
	if ((rc = call(x, &rq, &r)) == 0) {
		ctl_response_free(&r);
		rc = print_removed(x, reg, a->argv[0], path);
	}
	lf_doc_free(&d);
	return rc;
}

struct topic {
	char		conf[CTL_PATH_MAX];	/* the topic resource */
	struct ps_props	p;
};

/*
 * Reads a topic's configuration. *gone is set when it is not there (any
 * more): a topic may expire between the listing and the read.
 */
static int
get_topic(struct ctl *x, const char *ref, struct topic *t, int *gone)
{
	struct ctl_request	 rq;
	struct ctl_response	 r;
	enum ctl_status		 st;
	const char		*why = NULL;
	int			 rc = 0;

	memset(t, 0, sizeof(*t));
	*gone = 0;
	if (ctl_client_path(x->cl, ref, t->conf, sizeof(t->conf)) == -1)
		return fail(x, "%.100s: not a topic on %s", ref,
		    ctl_client_base(x->cl));
	request_init(&rq, COAP_REQUEST_CODE_GET, t->conf);
	if ((st = ctl_request(x->cl, &rq, &r)) != CTL_OK)
		return fail_status(x, st);
	if (r.code == 404)
		*gone = 1;
	else if (r.code / 100 != 2)
		rc = fail_code(x, &r);
	else if (r.format != CTL_NONE && r.format != CF_PUBSUB &&
	    r.format != CF_CBOR)
		rc = fail(x, "%s: not a topic configuration (content-format "
		    "%d)", t->conf, r.format);
	else if (ps_cbor_decode_props(r.body, r.len, &t->p, &why) !=
	    PS_CBOR_OK)
		rc = fail(x, "%s: bad topic configuration: %s", t->conf,
		    why ? why : "not valid CBOR");
	ctl_response_free(&r);
	if (rc != 0)
		ps_props_clear(&t->p);
	return rc;
}

static int
is_topic_link(const struct lf_link *l)
{
	return !link_has_attr(l, "rt") || link_has_rt(l, LOOKUP_RT_CONF);
}

/*
 * The collection's links to topics: those matching filter (a FETCH, draft
 * section 3.2.1) when given, else all of them. A daemon that does not
 * take the FETCH is asked for all.
 */
static int
topic_links(struct ctl *x, const struct ps_props *filter, struct lf_doc *d)
{
	struct ctl_request	 rq;
	struct ctl_response	 r;
	enum ctl_status		 st;
	uint8_t			*cbor = NULL;
	size_t			 len = 0;
	int			 rc;

	if ((rc = discover(x)) != 0)
		return rc;
	if (filter == NULL || ps_cbor_encode_props(filter, PS_P_ALL, &cbor,
	    &len) != PS_CBOR_OK)
		return get_links(x, x->coll, NULL, 0, d);
	request_init(&rq, COAP_REQUEST_CODE_FETCH, x->coll);
	rq.format = CF_PUBSUB;
	rq.accept = CF_LINK_FORMAT;
	rq.body = cbor;
	rq.len = len;
	st = ctl_request(x->cl, &rq, &r);
	free(cbor);
	if (st != CTL_OK)
		return fail_status(x, st);
	if (r.code / 100 == 2)
		return parse_links(x, x->coll, &r, d);
	if (r.code == 401 || r.code == 403 || r.code / 100 != 4) {
		rc = fail_code(x, &r);
		ctl_response_free(&r);
		return rc;
	}
	ctl_response_free(&r);
	return get_links(x, x->coll, NULL, 0, d);
}

static int
find_topic(struct ctl *x, const char *name, struct topic *t)
{
	struct ps_props	filter;
	struct lf_doc	d;
	size_t		seen = 0;
	int		rc, gone;

	memset(&filter, 0, sizeof(filter));
	filter.present = PS_P_NAME;
	filter.name = (char *)(uintptr_t)name;
	if ((rc = topic_links(x, &filter, &d)) != 0)
		return rc;
	for (size_t i = 0; i < d.nlinks && seen < TOPICS_MAX; i++) {
		if (!is_topic_link(&d.links[i]))
			continue;
		seen++;
		if ((rc = get_topic(x, d.links[i].target, t, &gone)) != 0)
			break;
		if (!gone && (t->p.present & PS_P_NAME) &&
		    strcmp(t->p.name, name) == 0) {
			lf_doc_free(&d);
			return 0;
		}
		ps_props_clear(&t->p);
	}
	lf_doc_free(&d);
	return rc != 0 ? rc : fail(x, "no topic %s", name);
}

static const char *
fmt_time(int64_t v, char *buf, size_t size)
{
	struct tm	tm;
	time_t		t = (time_t)v;

	if ((int64_t)t != v || gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, size, "%" PRId64, v);
	return buf;
}

static char *
hex(const uint8_t *p, size_t len)
{
	struct buf b;

	buf_init(&b, 0);
	for (size_t i = 0; i < len; i++)
		if (buf_printf(&b, "%02x", p[i]) == -1) {
			buf_free(&b);
			return NULL;
		}
	return buf_release(&b);
}

/* "key: value", the value made safe to print. */
static void
put_kv(const char *key, const char *value)
{
	char *v = ctl_printable(value, strlen(value));

	printf("%s: %s\n", key, v ? v : "?");
	free(v);
}

static void
put_kv_uint(const char *key, uint64_t v)
{
	printf("%s: %" PRIu64 "\n", key, v);
}

static void
print_props(const struct topic *t)
{
	const struct ps_props	*p = &t->p;
	char			 when[64];

	put_kv("configuration", t->conf);
	if (p->present & PS_P_NAME)
		put_kv("topic-name", p->name);
	if (p->present & PS_P_DATA)
		put_kv("topic-data", p->data_uri);
	if (p->present & PS_P_RT)
		put_kv("resource-type", p->rt);
	if (p->present & PS_P_CF)
		put_kv_uint("topic-content-format", p->cf);
	if (p->present & PS_P_TYPE)
		put_kv("topic-type", p->type);
	if (p->present & PS_P_EXPIRES)
		printf("expiration-date: %s (%" PRId64 ")\n",
		    fmt_time(p->expires, when, sizeof(when)), p->expires);
	if (p->present & PS_P_MAX_SUBS)
		put_kv_uint("max-subscribers", p->max_subs);
	if (p->present & PS_P_OBS_CHECK)
		put_kv_uint("observer-check", p->obs_check);
	if (p->present & PS_P_INIT) {
		char *h = hex(p->init, p->init_len);

		put_kv("initialize", h ? h : "?");
		free(h);
	}
	if (p->present & PS_P_VOLATILE)
		put_kv("volatile", p->volatile_ ? "true" : "false");
}

static void
json_str_prop(struct ctl_json *j, const char *key, const char *v)
{
	ctl_json_key(j, key);
	ctl_json_string(j, v);
}

static void
json_uint_prop(struct ctl_json *j, const char *key, uint64_t v)
{
	ctl_json_key(j, key);
	ctl_json_uint(j, v);
}

static void
json_props(struct ctl_json *j, const struct topic *t)
{
	const struct ps_props *p = &t->p;

	ctl_json_begin_object(j);
	json_str_prop(j, "configuration", t->conf);
	if (p->present & PS_P_NAME)
		json_str_prop(j, "topic-name", p->name);
	if (p->present & PS_P_DATA)
		json_str_prop(j, "topic-data", p->data_uri);
	if (p->present & PS_P_RT)
		json_str_prop(j, "resource-type", p->rt);
	if (p->present & PS_P_CF)
		json_uint_prop(j, "topic-content-format", p->cf);
	if (p->present & PS_P_TYPE)
		json_str_prop(j, "topic-type", p->type);
	if (p->present & PS_P_EXPIRES) {
		ctl_json_key(j, "expiration-date");
		ctl_json_int(j, p->expires);
	}
	if (p->present & PS_P_MAX_SUBS)
		json_uint_prop(j, "max-subscribers", p->max_subs);
	if (p->present & PS_P_OBS_CHECK)
		json_uint_prop(j, "observer-check", p->obs_check);
	if (p->present & PS_P_INIT) {
		char *h = hex(p->init, p->init_len);

		json_str_prop(j, "initialize", h ? h : "");
		free(h);
	}
	if (p->present & PS_P_VOLATILE) {
		ctl_json_key(j, "volatile");
		ctl_json_bool(j, p->volatile_);
	}
	ctl_json_end_object(j);
}

static void
topic_row(struct ctl_table *t, const struct topic *tp)
{
	const struct ps_props	*p = &tp->p;
	char			 cf[16] = "", when[64] = "";
	const char		*row[6];

	if (p->present & PS_P_CF)
		snprintf(cf, sizeof(cf), "%" PRIu32, p->cf);
	if (p->present & PS_P_EXPIRES)
		fmt_time(p->expires, when, sizeof(when));
	row[0] = p->present & PS_P_NAME ? p->name : NULL;
	row[1] = tp->conf;
	row[2] = p->present & PS_P_DATA ? p->data_uri : NULL;
	row[3] = cf;
	row[4] = p->present & PS_P_TYPE ? p->type : NULL;
	row[5] = when;
	ctl_table_add(t, row);
}

static int
print_topics(const struct ctl *x, const struct topic *t, size_t n)
{
	static const char *const head[] = { "NAME", "CONFIG", "DATA",
	    "CONTENT-FORMAT", "TYPE", "EXPIRES" };
	struct ctl_table	tab;
	struct ctl_json		j;

	if (x->json) {
		ctl_json_init(&j, stdout);
		ctl_json_begin_array(&j);
		for (size_t i = 0; i < n; i++)
			json_props(&j, &t[i]);
		ctl_json_end_array(&j);
		return json_done(&j);
	}
	ctl_table_init(&tab, 6, head);
	for (size_t i = 0; i < n; i++)
		topic_row(&tab, &t[i]);
	return table_done(x, &tab);
}

static void
free_topics(struct topic *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ps_props_clear(&t[i].p);
	free(t);
}

/* The configurations behind the links, at most TOPICS_MAX of them. */
static int
read_topics(struct ctl *x, const struct lf_doc *d, struct topic **out,
    size_t *n)
{
	struct topic	*t;
	size_t		 links = 0;
	int		 rc = 0, gone;

	*n = 0;
	for (size_t i = 0; i < d->nlinks; i++)
		links += is_topic_link(&d->links[i]);
	if (links > TOPICS_MAX)
		fprintf(stderr, "corehubctl: %s: showing the first %d of %zu "
		    "topics\n", x->cmd, TOPICS_MAX, links);
	if ((*out = t = calloc(links ? (links > TOPICS_MAX ? TOPICS_MAX :
	    links) : 1, sizeof(*t))) == NULL)
		return fail(x, "out of memory");
	for (size_t i = 0; i < d->nlinks && *n < TOPICS_MAX && rc == 0;
	    i++) {
		if (!is_topic_link(&d->links[i]))
			continue;
		rc = get_topic(x, d->links[i].target, &t[*n], &gone);
		if (rc == 0 && !gone)
			(*n)++;
	}
	return rc;
}

static int
cmd_topics(struct ctl *x, struct cmd_args *a)
{
	struct lf_doc	 d;
	struct topic	*t = NULL;
	size_t		 n = 0;
	int		 rc;

	(void)a;
	if ((rc = topic_links(x, NULL, &d)) != 0)
		return rc;
	if ((rc = read_topics(x, &d, &t, &n)) == 0)
		rc = print_topics(x, t, n);
	free_topics(t, n);
	lf_doc_free(&d);
	return rc;
}

static int
cmd_topic(struct ctl *x, struct cmd_args *a)
{
	struct topic	t;
	struct ctl_json	j;
	int		rc;

	if ((rc = find_topic(x, a->argv[0], &t)) != 0)
		return rc;
	if (x->json) {
		ctl_json_init(&j, stdout);
		json_props(&j, &t);
		rc = json_done(&j);
	} else
		print_props(&t);
	ps_props_clear(&t.p);
	return rc;
}

static int
parse_uint(const char *key, const char *v, long long min, long long max,
    long long *out)
{
	if (util_parse_ll(v, min, max, out) == -1)
		return usage("%s: expected an integer from %lld to %lld", key,
		    min, max);
	return 0;
}

/* expires=UNIXTIME, or +SECONDS from now. */
static int
parse_expires(const char *v, struct ps_props *p)
{
	long long	n;
	int		rc;

	if (v[0] == '+') {
		if ((rc = parse_uint("expires", v + 1, 1, INT32_MAX, &n)) != 0)
			return rc;
		n += (long long)time(NULL);
	} else if ((rc = parse_uint("expires", v, 1, INT64_MAX, &n)) != 0)
		return rc;
	p->expires = n;
	return 0;
}

static int
parse_string_prop(const char *key, const char *v, size_t max, char **out)
{
	if (strlen(v) == 0 || strlen(v) > max)
		return usage("%s: 1 to %zu bytes", key, max);
	free(*out);
	if ((*out = strdup(v)) == NULL)
		return usage("out of memory");
	return 0;
}

static int
parse_bool(const char *key, const char *v, int *out)
{
	if (strcmp(v, "true") == 0 || strcmp(v, "yes") == 0 ||
	    strcmp(v, "1") == 0)
		*out = 1;
	else if (strcmp(v, "false") == 0 || strcmp(v, "no") == 0 ||
	    strcmp(v, "0") == 0)
		*out = 0;
	else
		return usage("%s: expected true or false", key);
	return 0;
}

/* One key=value of create-topic into p. */
static int
parse_prop(const char *arg, struct ps_props *p)
{
	const char	*eq = strchr(arg, '='), *v;
	char		 key[32];
	long long	 n;
	int		 rc;
	uint32_t	 bit;

	if (eq == NULL || (size_t)(eq - arg) >= sizeof(key))
		return usage("%s: expected key=value", arg);
	memcpy(key, arg, (size_t)(eq - arg));
	key[eq - arg] = '\0';
	v = eq + 1;
	if (strcmp(key, "content-format") == 0) {
		bit = PS_P_CF;
		if ((rc = parse_uint(key, v, 0, 65535, &n)) == 0)
			p->cf = (uint32_t)n;
	} else if (strcmp(key, "max-subscribers") == 0) {
		bit = PS_P_MAX_SUBS;
		if ((rc = parse_uint(key, v, 0, UINT32_MAX, &n)) == 0)
			p->max_subs = (uint32_t)n;
	} else if (strcmp(key, "observer-check") == 0) {
		bit = PS_P_OBS_CHECK;
		if ((rc = parse_uint(key, v, 1, UINT32_MAX, &n)) == 0)
			p->obs_check = (uint32_t)n;
	} else if (strcmp(key, "expires") == 0) {
		bit = PS_P_EXPIRES;
		rc = parse_expires(v, p);
	} else if (strcmp(key, "type") == 0) {
		bit = PS_P_TYPE;
		rc = parse_string_prop(key, v, PS_NAME_MAX, &p->type);
	} else if (strcmp(key, "resource-type") == 0) {
		bit = PS_P_RT;
		rc = parse_string_prop(key, v, PS_NAME_MAX, &p->rt);
	} else if (strcmp(key, "topic-data") == 0) {
		bit = PS_P_DATA;
		rc = parse_string_prop(key, v, PS_URI_MAX, &p->data_uri);
	} else if (strcmp(key, "volatile") == 0) {
		bit = PS_P_VOLATILE;
		rc = parse_bool(key, v, &p->volatile_);
	} else
		return usage("%s: not a topic property (content-format, type, "
		    "max-subscribers, observer-check, expires, resource-type, "
		    "topic-data, volatile)", key);
	p->present |= bit;
	return rc;
}

static int
create_props(const struct cmd_args *a, struct ps_props *p)
{
	int rc;

	memset(p, 0, sizeof(*p));
	if (strlen(a->argv[0]) == 0 || strlen(a->argv[0]) > PS_NAME_MAX)
		return usage("a topic name is 1 to %d bytes", PS_NAME_MAX);
	if ((p->name = strdup(a->argv[0])) == NULL ||
	    (p->rt = strdup(LOOKUP_RT_CONF)) == NULL)
		return usage("out of memory");
	p->present = PS_P_NAME | PS_P_RT;
	for (int i = 1; i < a->argc; i++)
		if ((rc = parse_prop(a->argv[i], p)) != 0)
			return rc;
	return 0;
}

static int
print_created(const struct ctl *x, const char *name,
    const struct ctl_response *r)
{
	struct ps_props	p;
	struct ctl_json	j;
	const char	*data = NULL;

	memset(&p, 0, sizeof(p));
	if (r->len > 0 && ps_cbor_decode_props(r->body, r->len, &p, NULL) ==
	    PS_CBOR_OK && (p.present & PS_P_DATA))
		data = p.data_uri;
	if (x->json) {
		ctl_json_init(&j, stdout);
		ctl_json_begin_object(&j);
		json_str_prop(&j, "topic-name", name);
		json_str_prop(&j, "location", r->location);
		if (data != NULL)
			json_str_prop(&j, "topic-data", data);
		ctl_json_end_object(&j);
		ps_props_clear(&p);
		return json_done(&j);
	}
	put_kv("location", r->location[0] ? r->location : "-");
	if (data != NULL)
		put_kv("topic-data", data);
	ps_props_clear(&p);
	return 0;
}

static int
cmd_create_topic(struct ctl *x, struct cmd_args *a)
{
	struct ps_props		 p;
	struct ctl_request	 rq;
	struct ctl_response	 r;
	uint8_t			*cbor = NULL;
	size_t			 len = 0;
	int			 rc;

	if ((rc = create_props(a, &p)) != 0) {
		ps_props_clear(&p);
		return rc;
	}
	rc = ps_cbor_encode_props(&p, PS_P_ALL, &cbor, &len) == PS_CBOR_OK ?
	    0 : fail(x, "cannot encode the configuration");
	ps_props_clear(&p);
	if (rc != 0 || (rc = discover(x)) != 0) {
		free(cbor);
		return rc;
	}
	request_init(&rq, COAP_REQUEST_CODE_POST, x->coll);
	rq.format = CF_PUBSUB;
	rq.body = cbor;
	rq.len = len;
	if ((rc = call(x, &rq, &r)) == 0) {
		rc = print_created(x, a->argv[0], &r);
		ctl_response_free(&r);
	}
	free(cbor);
	return rc;
}

/* The path of a topic's data: where publish and subscribe go. */
static int
topic_data(struct ctl *x, const char *name, struct topic *t, char *path,
    size_t size)
{
	int rc;

	if ((rc = find_topic(x, name, t)) != 0)
		return rc;
	if (!(t->p.present & PS_P_DATA) ||
	    ctl_client_path(x->cl, t->p.data_uri, path, size) == -1) {
		ps_props_clear(&t->p);
		return fail(x, "topic %s has no topic-data on %s", name,
		    ctl_client_base(x->cl));
	}
	return 0;
}

/* Standard input, whole, up to what one request may carry. */
static int
read_stdin(const struct ctl *x, struct buf *b)
{
	char	chunk[4096];
	size_t	n;

	buf_init(b, CTL_BODY_MAX);
	while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
		if (buf_add(b, chunk, n) == -1)
			return fail(x, "standard input: more than %d bytes",
			    CTL_BODY_MAX);
	if (ferror(stdin))
		return fail(x, "standard input: %s", strerror(errno));
	return 0;
}

static int
print_published(const struct ctl *x, const char *name, const char *path,
    const struct ctl_response *r)
{
	struct ctl_json	j;
	char		code[16];

	ctl_code_text(r->code, code, sizeof(code));
	if (!x->json) {
		printf("published to %s (%s): %s %s\n", name, path, code,
		    ctl_code_phrase(r->code));
		return 0;
	}
	ctl_json_init(&j, stdout);
	ctl_json_begin_object(&j);
	json_str_prop(&j, "topic-name", name);
	json_str_prop(&j, "topic-data", path);
	json_str_prop(&j, "code", code);
	ctl_json_end_object(&j);
	return json_done(&j);
}

static int
cmd_publish(struct ctl *x, struct cmd_args *a)
{
	struct topic		t;
	struct ctl_request	rq;
	struct ctl_response	r;
	struct buf		in;
	char			path[CTL_PATH_MAX];
	int			rc;

	buf_init(&in, CTL_BODY_MAX);
	if (strcmp(a->argv[1], "-") == 0 && (rc = read_stdin(x, &in)) != 0) {
		buf_free(&in);
		return rc;
	}
	if ((rc = topic_data(x, a->argv[0], &t, path, sizeof(path))) != 0) {
		buf_free(&in);
		return rc;
	}
	request_init(&rq, COAP_REQUEST_CODE_PUT, path);
	rq.format = a->format != CTL_NONE ? a->format :
	    (t.p.present & PS_P_CF) ? (int)t.p.cf : CF_TEXT;
	rq.body = strcmp(a->argv[1], "-") == 0 ? (const uint8_t *)in.data :
	    (const uint8_t *)a->argv[1];
	rq.len = strcmp(a->argv[1], "-") == 0 ? in.len : strlen(a->argv[1]);
	if ((rc = call(x, &rq, &r)) == 0) {
		rc = print_published(x, a->argv[0], path, &r);
		ctl_response_free(&r);
	}
	ps_props_clear(&t.p);
	buf_free(&in);
	return rc;
}

struct subscription {
	const struct ctl	*x;
	uint64_t		 seq;
};

static void
print_notification(const struct subscription *s,
    const struct ctl_response *r)
{
	struct ctl_json	 j;
	int		 text = ctl_is_text(r->body, r->len);
	char		*v;

	v = text ? ctl_printable((const char *)r->body, r->len) :
	    hex(r->body, r->len);

	if (!s->x->json) {
		printf("%s\n", v ? v : "?");
		free(v);
		return;
	}
	ctl_json_init(&j, stdout);
	ctl_json_begin_object(&j);
	json_uint_prop(&j, "seq", s->seq);
	ctl_json_key(&j, "observe");
	if (r->observe >= 0)
		ctl_json_int(&j, r->observe);
	else
		ctl_json_null(&j);
	ctl_json_key(&j, "content-format");
	if (r->format != CTL_NONE)
		ctl_json_int(&j, r->format);
	else
		ctl_json_null(&j);
	ctl_json_key(&j, text ? "payload" : "payload-hex");
	if (text)
		ctl_json_string_n(&j, (const char *)r->body, r->len);
	else
		ctl_json_string(&j, v ? v : "");
	ctl_json_end_object(&j);
	ctl_json_finish(&j);
	free(v);
}

/* Each notification as it comes; an error ends the subscription. */
static int
on_notification(void *arg, const struct ctl_response *r)
{
	struct subscription *s = arg;

	if (r->code / 100 != 2) {
		fflush(stdout);
		return fail_code(s->x, r);
	}
	s->seq++;
	print_notification(s, r);
	fflush(stdout);
	if (r->observe < 0)
		return fail(s->x, "the daemon answered without Observe: "
		    "not subscribed");
	return 0;
}

static void
on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

/* Without SA_RESTART, so that a signal wakes the wait at once. */
static void
catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static int
cmd_subscribe(struct ctl *x, struct cmd_args *a)
{
	struct subscription	s = { x, 0 };
	struct topic		t;
	struct ctl_request	rq;
	char			path[CTL_PATH_MAX];
	int			rc;

	if ((rc = topic_data(x, a->argv[0], &t, path, sizeof(path))) != 0)
		return rc;
	ps_props_clear(&t.p);
	catch_signals();
	request_init(&rq, COAP_REQUEST_CODE_GET, path);
	if ((rc = ctl_observe(x->cl, &rq, on_notification, &s, &stopping)) <
	    0)
		return fail_status(x, (enum ctl_status)rc);
	return rc;
}

/* A statistic's value: CBOR keeps integers exact, so do we. */
struct num {
	enum { NUM_UINT, NUM_NEG, NUM_FLOAT } kind;
	uint64_t	u;	/* NUM_NEG: the value is -1 - u */
	double		d;
};

static int
cbor_num(const cbor_item_t *it, struct num *n)
{
	if (cbor_isa_uint(it)) {
		n->kind = NUM_UINT;
		n->u = cbor_get_int(it);
	} else if (cbor_isa_negint(it)) {
		n->kind = NUM_NEG;
		n->u = cbor_get_int(it);
	} else if (cbor_isa_float_ctrl(it) &&
	    cbor_float_get_width(it) != CBOR_FLOAT_0) {
		n->kind = NUM_FLOAT;
		n->d = cbor_float_get_float(it);
	} else
		return -1;
	return 0;
}

static const char *
num_text(const struct num *n, char *buf, size_t size)
{
	if (n->kind == NUM_UINT)
		snprintf(buf, size, "%" PRIu64, n->u);
	else if (n->kind == NUM_NEG && n->u == UINT64_MAX)
		snprintf(buf, size, "-18446744073709551616");
	else if (n->kind == NUM_NEG)
		snprintf(buf, size, "-%" PRIu64, n->u + 1);
	else if (isfinite(n->d) && n->d == floor(n->d) &&
	    fabs(n->d) < 9007199254740992.0)
		snprintf(buf, size, "%.0f", n->d);
	else
		snprintf(buf, size, "%.15g", n->d);
	return buf;
}

static void
json_num(struct ctl_json *j, const struct num *n)
{
	if (n->kind == NUM_UINT)
		ctl_json_uint(j, n->u);
	else if (n->kind == NUM_NEG && n->u < (uint64_t)INT64_MAX)
		ctl_json_int(j, -1 - (int64_t)n->u);
	else if (n->kind == NUM_NEG)
		ctl_json_double(j, -1.0 - (double)n->u);
	else
		ctl_json_double(j, n->d);
}

/* A definite text string, copied; -1 for anything else or too long. */
static int
cbor_text(const cbor_item_t *it, char *out, size_t size)
{
	size_t len;

	if (!cbor_isa_string(it) || !cbor_string_is_definite(it) ||
	    (len = cbor_string_length(it)) >= size)
		return -1;
	memcpy(out, cbor_string_handle(it), len);
	out[len] = '\0';
	return 0;
}

/*
 * Calls row() for each value of the document: a metric with one value
 * once (label NULL), a labelled one once per label. Pairs of any other
 * shape are left out.
 */
static void
stats_walk(const cbor_item_t *map,
    void (*row)(void *, const char *, const char *, const struct num *),
    void *arg)
{
	struct cbor_pair	*p = cbor_map_handle(map);
	size_t			 n = cbor_map_size(map);

	for (size_t i = 0; i < n; i++) {
		char		key[STATS_KEY_MAX], label[STATS_KEY_MAX];
		struct num	v;
		struct cbor_pair *q;

		if (cbor_text(p[i].key, key, sizeof(key)) == -1)
			continue;
		if (cbor_num(p[i].value, &v) == 0) {
			row(arg, key, NULL, &v);
			continue;
		}
		if (!cbor_isa_map(p[i].value))
			continue;
		q = cbor_map_handle(p[i].value);
		for (size_t k = 0; k < cbor_map_size(p[i].value); k++)
			if (cbor_text(q[k].key, label, sizeof(label)) == 0 &&
			    cbor_num(q[k].value, &v) == 0)
				row(arg, key, label, &v);
	}
}

static void
stats_table_row(void *arg, const char *key, const char *label,
    const struct num *v)
{
	char		name[2 * STATS_KEY_MAX + 2], value[64];
	const char	*row[2] = { name, value };

	/* The empty label ("no sector") stays visible. */
	snprintf(name, sizeof(name), "%s%s%s", key, label ? "." : "",
	    label ? label[0] ? label : "\"\"" : "");
	num_text(v, value, sizeof(value));
	ctl_table_add(arg, row);
}

struct stats_json {
	struct ctl_json	*j;
	char		 open[STATS_KEY_MAX];	/* labelled, open */
};

static void
stats_json_row(void *arg, const char *key, const char *label,
    const struct num *v)
{
	struct stats_json *s = arg;

	if (s->open[0] != '\0' && (label == NULL || strcmp(s->open, key))) {
		ctl_json_end_object(s->j);
		s->open[0] = '\0';
	}
	if (label == NULL) {
		ctl_json_key(s->j, key);
		json_num(s->j, v);
		return;
	}
	if (s->open[0] == '\0') {
		ctl_json_key(s->j, key);
		ctl_json_begin_object(s->j);
		snprintf(s->open, sizeof(s->open), "%s", key);
	}
	ctl_json_key(s->j, label);
	json_num(s->j, v);
}

/* Labelled metrics with no value yet are empty objects, not missing. */
static void
stats_json_empty(const cbor_item_t *map, struct ctl_json *j)
{
	struct cbor_pair	*p = cbor_map_handle(map);
	char			 key[STATS_KEY_MAX];

	for (size_t i = 0; i < cbor_map_size(map); i++)
		if (cbor_isa_map(p[i].value) &&
		    cbor_map_size(p[i].value) == 0 &&
		    cbor_text(p[i].key, key, sizeof(key)) == 0) {
			ctl_json_key(j, key);
			ctl_json_begin_object(j);
			ctl_json_end_object(j);
		}
}

static int
print_stats(const struct ctl *x, const cbor_item_t *map)
{
	static const char *const head[] = { "KEY", "VALUE" };
	struct ctl_table	t;
	struct ctl_json		j;
	struct stats_json	s = { &j, "" };

	if (!x->json) {
		ctl_table_init(&t, 2, head);
		stats_walk(map, stats_table_row, &t);
		return table_done(x, &t);
	}
	ctl_json_init(&j, stdout);
	ctl_json_begin_object(&j);
	stats_walk(map, stats_json_row, &s);
	if (s.open[0] != '\0')
		ctl_json_end_object(&j);
	stats_json_empty(map, &j);
	ctl_json_end_object(&j);
	return json_done(&j);
}

/* ps_cbor_check() first: cbor_load() believes declared sizes. */
static int
decode_stats(const struct ctl *x, const struct ctl_response *r,
    cbor_item_t **map)
{
	struct cbor_load_result res;

	if (r->format != CTL_NONE && r->format != CF_CBOR)
		return fail(x, "%s: not CBOR (content-format %d)", x->stats,
		    r->format);
	if (ps_cbor_check(r->body, r->len) != PS_CBOR_OK ||
	    (*map = cbor_load(r->body, r->len, &res)) == NULL)
		return fail(x, "%s: not valid CBOR, or over the limits",
		    x->stats);
	if (!cbor_isa_map(*map)) {
		cbor_decref(map);
		return fail(x, "%s: not a CBOR map", x->stats);
	}
	return 0;
}

static int
cmd_stats(struct ctl *x, struct cmd_args *a)
{
	struct ctl_request	 rq;
	struct ctl_response	 r;
	cbor_item_t		*map = NULL;
	int			 rc;

	(void)a;
	if ((rc = discover(x)) != 0)
		return rc;
	request_init(&rq, COAP_REQUEST_CODE_GET, x->stats);
	rq.accept = CF_CBOR;
	if ((rc = call(x, &rq, &r)) != 0)
		return rc;
	if ((rc = decode_stats(x, &r, &map)) == 0) {
		rc = print_stats(x, map);
		cbor_decref(&map);
	}
	ctl_response_free(&r);
	return rc;
}

static int
cmd_reload(struct ctl *x, struct cmd_args *a)
{
	struct ctl_request	rq;
	struct ctl_response	r;
	struct ctl_json		j;
	char			code[16];
	int			rc;

	(void)a;
	if ((rc = discover(x)) != 0)
		return rc;
	request_init(&rq, COAP_REQUEST_CODE_POST, x->reload);
	if ((rc = call(x, &rq, &r)) != 0)
		return rc;
	ctl_code_text(r.code, code, sizeof(code));
	ctl_response_free(&r);
	if (!x->json) {
		printf("reloaded\n");
		return 0;
	}
	ctl_json_init(&j, stdout);
	ctl_json_begin_object(&j);
	ctl_json_key(&j, "reloaded");
	ctl_json_bool(&j, 1);
	json_str_prop(&j, "code", code);
	ctl_json_end_object(&j);
	return json_done(&j);
}

static const struct command {
	const char	*name;
	const char	*opts;		/* its options, for getopt */
	int		 min, max;	/* operands; max -1: any number */
	const char	*operands;
	int		(*fn)(struct ctl *, struct cmd_args *);
} commands[] = {
	{ "endpoints", "J", 0, -1, "[filter ...]", cmd_endpoints },
	{ "resources", "J", 0, -1, "[filter ...]", cmd_resources },
	{ "show", "d:J", 1, 1, "ep [-d sector]", cmd_show },
	{ "remove", "d:J", 1, 1, "ep [-d sector]", cmd_remove },
	{ "topics", "J", 0, 0, "", cmd_topics },
	{ "topic", "J", 1, 1, "name", cmd_topic },
	{ "create-topic", "J", 1, -1, "name [key=value ...]",
	    cmd_create_topic },
	{ "publish", "f:J", 2, 2, "topic value [-f content-format]",
	    cmd_publish },
	{ "subscribe", "J", 1, 1, "topic", cmd_subscribe },
	{ "stats", "J", 0, 0, "", cmd_stats },
	{ "reload", "J", 0, 0, "", cmd_reload },
};

static int
parse_format(const char *v, int *out)
{
	static const struct {
		const char	*name;
		int		 cf;
	} names[] = {
		{ "text", 0 }, { "link-format", 40 }, { "xml", 41 },
		{ "octet-stream", 42 }, { "json", 50 }, { "cbor", 60 },
		{ "senml+json", 110 }, { "senml+cbor", 112 },
	};
	long long n;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(v, names[i].name) == 0) {
			*out = names[i].cf;
			return 0;
		}
	if (util_parse_ll(v, 0, 65535, &n) == -1)
		return usage("-f %s: a content-format number (0 to 65535) or "
		    "text, json, cbor...", v);
	*out = (int)n;
	return 0;
}

static int
command_usage(const struct command *c)
{
	usage_line(stderr);
	fprintf(stderr, "       corehubctl [options] %s%s%s\n", c->name,
	    c->operands[0] ? " " : "", c->operands);
	return EXIT_USAGE;
}

/* The command's own options (also after its operands) and operands. */
static int
parse_command(const struct command *c, int argc, char **argv,
    struct ctl *x, struct cmd_args *a)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'J' },
		{ NULL, 0, NULL, 0 }
	};
	int ch, rc;

	memset(a, 0, sizeof(*a));
	a->format = CTL_NONE;
	optind = 0;
	while ((ch = getopt_long(argc, argv, c->opts, longopts, NULL)) != -1)
		switch (ch) {
		case 'J':
			x->json = 1;
			break;
		case 'd':
			a->sector = optarg;
			break;
		case 'f':
			if ((rc = parse_format(optarg, &a->format)) != 0)
				return rc;
			break;
		default:
			return command_usage(c);
		}
	a->argc = argc - optind;
	a->argv = argv + optind;
	if (a->argc < c->min || (c->max >= 0 && a->argc > c->max))
		return command_usage(c);
	return 0;
}

static int
run_command(struct ctl *x, int argc, char **argv)
{
	struct cmd_args	a;
	int		rc;

	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[0], commands[i].name) != 0)
			continue;
		x->cmd = commands[i].name;
		if ((rc = parse_command(&commands[i], argc, argv, x, &a)) != 0)
			return rc;
		return commands[i].fn(x, &a);
	}
	return usage("%s: unknown command", argv[0]);
}

/* -v raises libcoap's log level from critical only towards debug. */
static int
log_level(int verbose)
{
	static const int levels[] = { LOG_CRIT, LOG_WARNING, LOG_INFO,
	    LOG_DEBUG };

	return levels[verbose > 3 ? 3 : verbose];
}

static int
parse_options(struct ctl *x, int argc, char **argv, int *done)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	long long	t;
	int		ch, verbose = 0;

	*done = 0;
	while ((ch = getopt_long(argc, argv, "+C:c:hJj:k:ns:t:u:Vv",
	    longopts, NULL)) != -1)
		switch (ch) {
		case 'C':
			x->cfg.ca_file = optarg;
			break;
		case 'c':
			x->cfg.cert_file = optarg;
			break;
		case 'h':
			help();
			*done = 1;
			return 0;
		case 'J':
			x->json = 1;
			break;
		case 'j':
			x->cfg.key_file = optarg;
			break;
		case 'k':
			x->cfg.psk_key = optarg;
			break;
		case 'n':
			x->cfg.no_verify = 1;
			break;
		case 's':
			x->cfg.uri = optarg;
			break;
		case 't':
			if (util_parse_ll(optarg, 1, 3600, &t) == -1)
				return usage("-t %s: seconds from 1 to 3600",
				    optarg);
			x->cfg.timeout_s = (unsigned int)t;
			break;
		case 'u':
			x->cfg.psk_identity = optarg;
			break;
		case 'V':
			printf("corehubctl %s (%s)\n", PACKAGE_VERSION,
			    coap_package_version());
			*done = 1;
			return 0;
		case 'v':
			verbose++;
			break;
		default:
			return usage(NULL);
		}
	x->cfg.log_level = log_level(verbose);
	if (optind >= argc)
		return usage("no command");
	return 0;
}

int
main(int argc, char **argv)
{
	struct ctl	x;
	int		rc, done;

	memset(&x, 0, sizeof(x));
	x.cmd = "corehubctl";
	x.cfg.uri = "coap://127.0.0.1";
	x.cfg.timeout_s = 10;
	if ((rc = parse_options(&x, argc, argv, &done)) != 0 || done)
		return rc;
	coap_startup();
	coap_set_log_level((coap_log_t)x.cfg.log_level);
	rc = run_command(&x, argc - optind, argv + optind);
	ctl_client_close(x.cl);
	coap_cleanup();
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, "corehubctl: standard output: %s\n",
		    strerror(errno));
		return EXIT_FAILURE;
	}
	return rc;
}
