#include "ac_config.h"

#include <stdlib.h>
#include <string.h>

#include "authz.h"
#include "buf.h"
#include "coaputil.h"
#include "echo.h"
#include "log.h"
#include "rd_lookup.h"
#include "wellknown.h"

#define CF_LINK_FORMAT	COAP_MEDIATYPE_APPLICATION_LINK_FORMAT
#define WELLKNOWN_SIZE	8192	/* the whole document, at most */

struct advertised {
	coap_context_t	*ctx;
	coap_resource_t	*r;
};

static struct advertised	 list[WELLKNOWN_MAX];
static size_t			 nlist;

void
wellknown_add(coap_context_t *ctx, coap_resource_t *r)
{
	if (nlist == WELLKNOWN_MAX) {
		log_warnx("coap", "too many resources for /.well-known/core");
		return;
	}
	list[nlist].ctx = ctx;
	list[nlist++].r = r;
}

void
wellknown_reset(void)
{
	nlist = 0;
}

/* A value as written, without the quotes of a quoted-string. */
static void
unquote(const coap_str_const_t *v, const char **s, size_t *n)
{
	*s = (const char *)v->s;
	*n = v->length;
	if (*n >= 2 && (*s)[0] == '"' && (*s)[*n - 1] == '"') {
		(*s)++;
		*n -= 2;
	}
}

/* RFC 6690 section 4.1: whether r passes filter f (rd_lookup's rules). */
static int
selected(coap_resource_t *r, const struct rd_filter *f)
{
	coap_str_const_t	*uri = coap_resource_get_uri_path(r);
	coap_attr_t		*a;
	const char		*s;
	size_t			 n;

	if (strcmp(f->name, "href") == 0) {
		/* href values are paths as in the document: "/rd". */
		struct rd_filter path = *f;

		if (path.value != NULL && path.value[0] == '/') {
			path.value++;
			path.vlen--;
		}
		return uri != NULL && rd_filter_match(&path,
		    (const char *)uri->s, uri->length, 0);
	}
	if ((a = coap_find_attr(r, coap_make_str_const(f->name))) == NULL)
		return 0;
	if (coap_attr_get_value(a) == NULL)	/* a flag such as obs */
		return rd_filter_match(f, "", 0, 0);
	unquote(coap_attr_get_value(a), &s, &n);
	return rd_filter_match(f, s, n, strcmp(f->name, "rt") == 0 ||
	    strcmp(f->name, "if") == 0);
}

char *
wellknown_document(coap_context_t *ctx, const coap_pdu_t *req, size_t *len)
{
	struct cu_query	 q;
	struct rd_query	 rq;
	struct buf	 b;
	unsigned char	 one[1024];
	const char	*err;

	/* RFC 6690: one filter; an unusable query selects nothing more. */
	memset(&rq, 0, sizeof(rq));
	if (cu_queries(req, &q) == 0 && q.n == 1 &&
	    rd_query_parse(q.opt, q.len, 1, &rq, &err) == -1)
		memset(&rq, 0, sizeof(rq));
	buf_init(&b, WELLKNOWN_SIZE);
	for (size_t i = 0; i < nlist; i++) {
		size_t n = sizeof(one), off = 0;

		if (list[i].ctx != ctx ||
		    (rq.n == 1 && !selected(list[i].r, &rq.f[0])))
			continue;
		if (coap_print_link(list[i].r, one, &n, &off) &
		    COAP_PRINT_STATUS_ERROR)
			continue;
		if ((b.len > 0 && buf_addc(&b, ',') == -1) ||
		    buf_add(&b, one, n) == -1) {
			rd_query_free(&rq);
			buf_free(&b);
			return NULL;
		}
	}
	rd_query_free(&rq);
	*len = b.len;
	return b.data ? buf_release(&b) : strdup("");
}

static void
hnd_core(coap_resource_t *res, coap_session_t *ses, const coap_pdu_t *req,
    const coap_string_t *qs, coap_pdu_t *resp)
{
	char	*doc;
	size_t	 len = 0;

	if (!authz_gate(ses, resp))
		return;
	if ((doc = wellknown_document(coap_session_get_context(ses), req,
	    &len)) == NULL) {
		cu_respond(resp, 500, NULL);
		return;
	}
	if (!echo_check(ses, req, resp, len)) {
		free(doc);
		return;
	}
	coap_pdu_set_code(resp, COAP_RESPONSE_CODE(205));
	/* On failure libcoap has released doc and set the code. */
	(void)coap_add_data_large_response(res, ses, req, resp, qs,
	    CF_LINK_FORMAT, -1, 0, len, (const uint8_t *)doc, cu_free_payload,
	    doc);
}

void
wellknown_attach(coap_context_t *ctx, void *arg)
{
	coap_resource_t *r;

	(void)arg;
	/* Registered, it is served instead of libcoap's own. */
	if ((r = coap_resource_init(coap_make_str_const(".well-known/core"),
	    0)) == NULL) {
		log_warnx("coap", "out of memory: libcoap answers "
		    "/.well-known/core");
		return;
	}
	cu_register(r, COAP_REQUEST_GET, hnd_core);
	coap_add_resource(ctx, r);
}
