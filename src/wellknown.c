#include "ac_config.h"

#include <stdlib.h>
#include <string.h>

#include "authz.h"
#include "buf.h"
#include "coaputil.h"
#include "echo.h"
#include "log.h"
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

static int
word_matches(const char *w, size_t wn, const char *want, size_t len,
    int prefix)
{
	return prefix ? wn >= len && memcmp(w, want, len) == 0 :
	    wn == len && memcmp(w, want, len) == 0;
}

/* rt and if hold space-separated words; one matching is enough. */
static int
value_matches(const char *s, size_t n, const char *want, size_t len,
    int prefix, int words)
{
	size_t i = 0, start;

	if (!words)
		return word_matches(s, n, want, len, prefix);
	while (i < n) {
		while (i < n && s[i] == ' ')
			i++;
		start = i;
		while (i < n && s[i] != ' ')
			i++;
		if (i > start && word_matches(s + start, i - start, want, len,
		    prefix))
			return 1;
	}
	return 0;
}

/* RFC 6690 section 4.1: whether r passes the query "name=value". */
static int
selected(coap_resource_t *r, const char *q, size_t qn)
{
	const char		*eq = memchr(q, '=', qn), *v, *s;
	size_t			 nlen, vlen, n;
	int			 prefix;
	char			 name[32];
	coap_attr_t		*a;
	coap_str_const_t	*uri = coap_resource_get_uri_path(r);

	if (eq == NULL || (nlen = (size_t)(eq - q)) == 0 ||
	    nlen >= sizeof(name))
		return 0;
	memcpy(name, q, nlen);
	name[nlen] = '\0';
	v = eq + 1;
	vlen = qn - nlen - 1;
	if ((prefix = vlen > 0 && v[vlen - 1] == '*'))
		vlen--;
	if (strcmp(name, "href") == 0) {
		/* href values are paths as in the document: "/rd". */
		if (vlen > 0 && v[0] == '/') {
			v++;
			vlen--;
		}
		return uri != NULL && word_matches((const char *)uri->s,
		    uri->length, v, vlen, prefix);
	}
	if ((a = coap_find_attr(r, coap_make_str_const(name))) == NULL)
		return 0;
	if (coap_attr_get_value(a) == NULL)	/* a flag such as obs */
		return vlen == 0;
	unquote(coap_attr_get_value(a), &s, &n);
	return value_matches(s, n, v, vlen, prefix, strcmp(name, "rt") == 0 ||
	    strcmp(name, "if") == 0);
}

/* The document for ctx under the request's filter; NULL when too big. */
static char *
document(coap_context_t *ctx, const coap_pdu_t *req, size_t *len)
{
	struct cu_query	 q;
	struct buf	 b;
	unsigned char	 one[1024];

	if (cu_queries(req, &q) == -1 || q.n > 1)
		q.n = 0;	/* RFC 6690: one filter; more are ignored */
	buf_init(&b, WELLKNOWN_SIZE);
	for (size_t i = 0; i < nlist; i++) {
		size_t n = sizeof(one), off = 0;

		if (list[i].ctx != ctx || (q.n == 1 && !selected(list[i].r,
		    q.opt[0], q.len[0])))
			continue;
		if (coap_print_link(list[i].r, one, &n, &off) &
		    COAP_PRINT_STATUS_ERROR)
			continue;
		if ((b.len > 0 && buf_addc(&b, ',') == -1) ||
		    buf_add(&b, one, n) == -1) {
			buf_free(&b);
			return NULL;
		}
	}
	*len = b.len;
	return b.data ? buf_release(&b) : strdup("");
}

static void
free_payload(coap_session_t *ses, void *p)
{
	(void)ses;
	free(p);
}

static void
hnd_core(coap_resource_t *res, coap_session_t *ses, const coap_pdu_t *req,
    const coap_string_t *qs, coap_pdu_t *resp)
{
	char	*doc;
	size_t	 len = 0;

	if (!authz_gate(ses, resp))
		return;
	if ((doc = document(coap_session_get_context(ses), req, &len)) ==
	    NULL) {
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
	    CF_LINK_FORMAT, -1, 0, len, (const uint8_t *)doc, free_payload,
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
	coap_register_handler(r, COAP_REQUEST_GET, hnd_core);
	coap_add_resource(ctx, r);
}
