/*
 * ctl: the command context every corehubctl command runs in. The session
 * is opened on the first request, so that a usage mistake costs no
 * handshake; the admin contract's paths are read from /.well-known/core
 * once; and every failure is said the same way, on standard error, with
 * an exit status that tells a script whether to retry.
 */
#include "ac_config.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

#define DIAG_MAX	256	/* bytes of a diagnostic payload shown */

/* Here rather than with the help: every usage error ends with it. */
void
ctl_usage_line(FILE *out)
{
	fputs("usage: corehubctl [-hJnVv] [-C cafile] [-c certfile] "
	    "[-j keyfile] [-k key]\n"
	    "                  [-s uri] [-t seconds] [-u identity] "
	    "command [args]\n", out);
}

int
ctl_usage(const char *fmt, ...)
{
	va_list ap;

	if (fmt != NULL) {
		fputs("corehubctl: ", stderr);
		va_start(ap, fmt);
		vfprintf(stderr, fmt, ap);
		va_end(ap);
		fputc('\n', stderr);
	}
	ctl_usage_line(stderr);
	return CTL_EXIT_USAGE;
}

int
ctl_fail(const struct ctl *x, const char *fmt, ...)
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
int
ctl_fail_status(const struct ctl *x, enum ctl_status st)
{
	const char *why = ctl_client_error(x->cl, st);

	/* A DTLS handshake with a wrong key is silence, not a refusal. */
	if (st == CTL_ETIMEOUT)
		ctl_fail(x, "%s: %s within %u s%s", ctl_client_base(x->cl), why,
		    x->cfg.timeout_s, why == ctl_status_text(st) ? "" :
		    " (a wrong key or certificate?)");
	else
		ctl_fail(x, "%s: %s", ctl_client_base(x->cl), why);
	return st == CTL_ETIMEOUT || st == CTL_ECONN ? CTL_EXIT_NET :
	    EXIT_FAILURE;
}

/* "4.03 Forbidden: <diagnostic payload>", made safe to print. */
int
ctl_fail_code(const struct ctl *x, const struct ctl_response *r)
{
	char	 code[16];
	char	*diag = NULL;

	if (r->len > 0)
		diag = ctl_printable((const char *)r->body,
		    r->len > DIAG_MAX ? DIAG_MAX : r->len);
	ctl_fail(x, "%s %s%s%s", ctl_code_text(r->code, code, sizeof(code)),
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
		return ctl_usage("%s", err);
	ctl_fail(x, "%s", err);
	return CTL_EXIT_NET;
}

/*
 * One request that must succeed (2.xx). Returns 0, or the exit status
 * after saying why.
 */
int
ctl_call(struct ctl *x, const struct ctl_request *rq, struct ctl_response *r)
{
	enum ctl_status	st;
	int		rc;

	memset(r, 0, sizeof(*r));
	if ((rc = ensure_client(x)) != 0)
		return rc;
	if ((st = ctl_request(x->cl, rq, r)) != CTL_OK)
		return ctl_fail_status(x, st);
	if (r->code / 100 != 2) {
		rc = ctl_fail_code(x, r);
		ctl_response_free(r);
		return rc;
	}
	return 0;
}

void
ctl_request_init(struct ctl_request *rq, coap_pdu_code_t method,
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

int
ctl_link_has_rt(const struct lf_link *l, const char *rt)
{
	for (size_t i = 0; i < l->nattrs; i++)
		if (strcmp(l->attrs[i].name, "rt") == 0 &&
		    l->attrs[i].value != NULL &&
		    has_word(l->attrs[i].value, rt))
			return 1;
	return 0;
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
			    !ctl_link_has_rt(&d->links[i], want[k].rt) ||
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
int
ctl_discover(struct ctl *x)
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
	ctl_request_init(&rq, COAP_REQUEST_CODE_GET, "/.well-known/core");
	if ((st = ctl_request(x->cl, &rq, &r)) != CTL_OK)
		return ctl_fail_status(x, st);
	if (r.code == 205 && lf_parse((const char *)r.body, r.len, NULL, &doc,
	    NULL) == LF_OK) {
		discover_links(x, &doc);
		lf_doc_free(&doc);
	}
	ctl_response_free(&r);
	x->discovered = 1;
	return 0;
}

int
ctl_parse_links(const struct ctl *x, const char *path, struct ctl_response *r,
    struct lf_doc *doc)
{
	struct lf_error	err = { 0, NULL };
	int		rc;

	memset(doc, 0, sizeof(*doc));
	if (r->format != CTL_NONE && r->format != CTL_CF_LINK_FORMAT &&
	    r->len > 0) {
		rc = ctl_fail(x, "%s: not link-format (content-format %d)",
		    path, r->format);
		ctl_response_free(r);
		return rc;
	}
	rc = lf_parse((const char *)r->body, r->len, NULL, doc, &err);
	ctl_response_free(r);
	if (rc != LF_OK)
		return ctl_fail(x, "%s: bad link-format from the daemon at "
		    "byte %zu: %s", path, err.offset, err.msg ? err.msg : "?");
	return 0;
}

/* A GET answered in link-format, parsed. */
int
ctl_get_links(struct ctl *x, const char *path, const char *const *query,
    size_t nquery, struct lf_doc *doc)
{
	struct ctl_request	rq;
	struct ctl_response	r;
	int			rc;

	memset(doc, 0, sizeof(*doc));
	ctl_request_init(&rq, COAP_REQUEST_CODE_GET, path);
	rq.query = query;
	rq.nquery = nquery;
	rq.accept = CTL_CF_LINK_FORMAT;
	if ((rc = ctl_call(x, &rq, &r)) != 0)
		return rc;
	return ctl_parse_links(x, path, &r, doc);
}

int
ctl_done_json(struct ctl_json *j)
{
	return ctl_json_finish(j) == 0 ? 0 : EXIT_FAILURE;
}

int
ctl_done_table(const struct ctl *x, struct ctl_table *t)
{
	int rc = ctl_table_print(t, stdout);

	ctl_table_free(t);
	return rc == 0 ? 0 : ctl_fail(x, "out of memory");
}
