#include "ac_config.h"

#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "authz.h"
#include "batch.h"
#include "buf.h"
#include "coaputil.h"
#include "echo.h"
#include "linkformat.h"
#include "listen.h"
#include "log.h"
#include "principal.h"
#include "ps_rd.h"
#include "rd.h"
#include "rd_coap.h"
#include "rd_proxy.h"
#include "rd_proxy_coap.h"
#include "rd_request.h"
#include "ifparams.h"
#include "rd_simple.h"
#include "tally.h"

#define FETCHES_MAX	16	/* devices being fetched at once */
#define WAITERS_MAX	4	/* POSTs answered by one fetch */
#define TOKEN_MAX	8

struct waiter {
	coap_session_t	*ses;		/* referenced */
	uint8_t		 tok[TOKEN_MAX];
	size_t		 toklen;
};

struct fetch {
	TAILQ_ENTRY(fetch)	 entry;
	struct rd_simple	*rs;
	coap_address_t		 peer;
	coap_session_t		*client;	/* ours, to the device */
	struct rd_request	 req;
	char			*con, *owner;
	struct acl_quota	 quota;		/* the registrant's */
	struct buf		 body;
	struct waiter		 w[WAITERS_MAX];
	size_t			 nw;
	int			 done;
	int			 committing;	/* waits for its batch */
	int			 ifindex;	/* where the POST arrived */
};

/* What a waiting POST is finally answered with. */
struct outcome {
	unsigned int	 code;
	char		 diag[80];
};

struct rd_simple {
	struct rd		*rd;
	struct event_base	*base;
	size_t			 max_body;
	TAILQ_HEAD(, fetch)	 fetches;
	TAILQ_HEAD(, fetch)	 dying;		/* freed outside libcoap */
	size_t			 n;
	void			(*changed)(void *);
	void			*changed_arg;
};

/* libcoap's response and NACK callbacks carry no argument. */
static struct rd_simple *the_rs;

static void
fetch_free(struct fetch *f)
{
	for (size_t i = 0; i < f->nw; i++)
		coap_session_release(f->w[i].ses);
	if (f->client != NULL)
		coap_session_release(f->client);
	rd_request_free(&f->req);
	free(f->con);
	free(f->owner);
	buf_free(&f->body);
	free(f);
}

static void
fetch_cleanup(evutil_socket_t fd, short what, void *arg)
{
	struct rd_simple	*rs = the_rs;
	struct fetch		*f;

	/* One pending after rd_simple_free() finds nothing to do. */
	while (rs != NULL && (f = TAILQ_FIRST(&rs->dying)) != NULL) {
		TAILQ_REMOVE(&rs->dying, f, entry);
		fetch_free(f);
	}
}

/* Answers every waiting POST, then frees the fetch outside libcoap. */
static void
finish(struct fetch *f, unsigned int code, const char *diag)
{
	struct rd_simple	*rs = f->rs;
	struct timeval		 now = { 0, 0 };

	if (f->done || f->committing)
		return;
	f->done = 1;
	for (size_t i = 0; i < f->nw; i++) {
		coap_bin_const_t	 tok = { f->w[i].toklen, f->w[i].tok };
		coap_async_t		*a = coap_find_async(f->w[i].ses, tok);
		struct outcome		*o;

		if (a == NULL || (o = calloc(1, sizeof(*o))) == NULL)
			continue;
		o->code = code;
		snprintf(o->diag, sizeof(o->diag), "%s", diag ? diag : "");
		coap_async_set_app_data(a, o);
		coap_async_trigger(a);
	}
	TAILQ_REMOVE(&rs->fetches, f, entry);
	rs->n--;
	/* Also freed by rd_simple_free() if the loop ends first. */
	TAILQ_INSERT_TAIL(&rs->dying, f, entry);
	if (event_base_once(rs->base, -1, EV_TIMEOUT, fetch_cleanup, NULL,
	    &now) == -1)
		log_warnx("rd", "simple registration: cannot free a fetch");
}

static struct fetch *
find_by_client(struct rd_simple *rs, const coap_session_t *ses)
{
	struct fetch *f;

	TAILQ_FOREACH(f, &rs->fetches, entry)
		if (f->client == ses)
			return f;
	return NULL;
}

static void
committed(void *arg, enum store_write w)
{
	struct fetch *f = arg;

	f->committing = 0;
	if (w == STORE_WRITE_OK)
		finish(f, 204, NULL);
	else
		finish(f, 503, "storage busy");
}

/* Answered once the registration is durable (group commit). */
static void
answer_durable(struct fetch *f)
{
	struct batch *b = f->rs->rd->batch;

	if (!rd_in_batch(f->rs->rd)) {
		finish(f, 204, NULL);
		return;
	}
	f->committing = 1;
	if (batch_after_commit(b, committed, f) == 0)
		return;
	f->committing = 0;
	finish(f, batch_commit(b, cu_now_ms(), (int64_t)time(NULL)) ==
	    STORE_WRITE_OK ? 204 : 503, NULL);
}

/* The registrant's quotas, as a registration by POST /rd has them. */
static int
over_quota(const struct fetch *f, const struct lf_doc *links, char *diag,
    size_t size)
{
	const struct rd_registry	*r = &f->rs->rd->reg;
	const struct rd_reg		*reg = rd_registry_find(r, f->req.ep,
					    f->req.d);

	if (f->quota.links && links->nlinks > f->quota.links) {
		snprintf(diag, size, "quota: at most %u links",
		    f->quota.links);
		return 1;
	}
	if (f->quota.registrations && !(reg != NULL &&
	    rd_check_owner(reg, f->owner) == RD_OK) &&
	    tally_get(&r->owners, f->owner) >= f->quota.registrations) {
		snprintf(diag, size, "quota: at most %u registrations",
		    f->quota.registrations);
		return 1;
	}
	return 0;
}

static void
complete(struct fetch *f)
{
	struct lf_doc		 links;
	struct lf_error		 err;
	const struct lf_limits	 lim = LF_LIMITS_DEFAULT;
	enum rd_result		 res;
	uint64_t		 id;
	char			 diag[80];

	if (lf_parse(f->body.data ? f->body.data : "", f->body.len, &lim,
	    &links, &err) != LF_OK) {
		snprintf(diag, sizeof(diag), "the device's link-format: %s",
		    err.msg);
		finish(f, 502, diag);
		return;
	}
	if (over_quota(f, &links, diag, sizeof(diag))) {
		lf_doc_free(&links);
		log_info("authz", "%s over quota: %s", f->owner, diag);
		finish(f, 403, diag);
		return;
	}
	res = rd_register(f->rs->rd, &f->req, &links, f->con, f->owner,
	    cu_now_ms(), (int64_t)time(NULL), &id);
	lf_doc_free(&links);
	if (res == RD_OK || res == RD_CREATED) {
		log_info("rd", "simple registration ep=%s from %s", f->req.ep,
		    f->con);
		/* The POST came from the device's own port: forward there. */
		rd_proxy_coap_bind(rd_registry_find_id(&f->rs->rd->reg, id),
		    f->w[0].ses);
		if (f->rs->changed != NULL)
			f->rs->changed(f->rs->changed_arg);
		answer_durable(f);
	} else
		finish(f, rd_result_code(res), rd_result_text(res));
}

static int
on_response(coap_session_t *ses, const coap_pdu_t *rcvd)
{
	struct fetch		*f;
	coap_pdu_code_t		 code = coap_pdu_get_code(rcvd);
	const uint8_t		*data;
	size_t			 len, offset, total;
	char			 diag[64];

	if (the_rs == NULL || (f = find_by_client(the_rs, ses)) == NULL)
		return 0;
	if (f->done)
		return 1;
	if (COAP_RESPONSE_CLASS(code) != 2) {
		snprintf(diag, sizeof(diag), "the device answered %d.%02d",
		    COAP_RESPONSE_CLASS(code), code & 0x1f);
		finish(f, 502, diag);
		return 1;
	}
	if (!coap_get_data_large(rcvd, &len, &data, &offset, &total)) {
		len = offset = total = 0;
		data = (const uint8_t *)"";
	}
	/* Blocks must come in order; the body is capped like any body. */
	if (offset != f->body.len || total > f->rs->max_body ||
	    buf_add(&f->body, data, len) == -1) {
		finish(f, 502, "the device's /.well-known/core is too large "
		    "or out of order");
		return 1;
	}
	if (offset + len >= total)
		complete(f);
	return 1;
}

static void
on_nack(coap_session_t *ses, const coap_pdu_t *sent, coap_nack_reason_t why)
{
	struct fetch *f;

	if (the_rs != NULL && (f = find_by_client(the_rs, ses)) != NULL)
		finish(f, 504, "the device did not answer");
}

static int
start_get(struct fetch *f, coap_context_t *ctx)
{
	coap_pdu_t	*pdu;
	uint8_t		 tok[TOKEN_MAX], buf[4];
	size_t		 toklen;
	int		 szx;

	f->client = coap_new_client_session(ctx, NULL, &f->peer,
	    COAP_PROTO_UDP);
	if (f->client == NULL)
		return -1;
	/* A mesh device is fetched with its interface's patient timers. */
	ifparams_apply(f->client, f->ifindex);
	pdu = coap_pdu_init(COAP_MESSAGE_CON, COAP_REQUEST_CODE_GET,
	    coap_new_message_id(f->client),
	    coap_session_max_pdu_size(f->client));
	if (pdu == NULL)
		return -1;
	coap_session_new_token(f->client, &toklen, tok);
	if (!coap_add_token(pdu, toklen, tok) ||
	    !coap_add_option(pdu, COAP_OPTION_URI_PATH, 11,
	    (const uint8_t *)".well-known") ||
	    !coap_add_option(pdu, COAP_OPTION_URI_PATH, 4,
	    (const uint8_t *)"core") ||
	    !coap_add_option(pdu, COAP_OPTION_ACCEPT,
	    coap_encode_var_safe(buf, sizeof(buf),
	    COAP_MEDIATYPE_APPLICATION_LINK_FORMAT), buf) ||
	    /* Early negotiation (RFC 7959 2.4): small blocks over a mesh. */
	    ((szx = ifparams_block_szx(f->ifindex)) >= 0 &&
	    !coap_add_option(pdu, COAP_OPTION_BLOCK2,
	    coap_encode_var_safe(buf, sizeof(buf), (unsigned int)szx),
	    buf))) {
		coap_delete_pdu(pdu);
		return -1;
	}
	return coap_send(f->client, pdu) == COAP_INVALID_MID ? -1 : 0;
}

static int
add_waiter(struct fetch *f, coap_session_t *ses, const coap_pdu_t *req)
{
	coap_bin_const_t	 tok = coap_pdu_get_token(req);
	struct waiter		*w;

	if (f->nw == WAITERS_MAX || tok.length > TOKEN_MAX ||
	    coap_register_async(ses, req, 0) == NULL)
		return -1;
	w = &f->w[f->nw++];
	w->ses = coap_session_reference(ses);
	memcpy(w->tok, tok.s, tok.length);
	w->toklen = tok.length;
	return 0;
}

static struct fetch *
find_by_peer(struct rd_simple *rs, const coap_address_t *peer)
{
	struct fetch *f;

	TAILQ_FOREACH(f, &rs->fetches, entry)
		if (!f->done && coap_address_equals(&f->peer, peer))
			return f;
	return NULL;
}

/* The second call, once the fetch is over: the real answer. */
static void
answer(coap_session_t *ses, coap_async_t *a, coap_pdu_t *resp)
{
	struct outcome *o = coap_async_get_app_data(a);

	/*
	 * Not triggered yet: the registrant sent its POST again (our empty
	 * ACK was lost). It is acknowledged again, and answered once.
	 */
	if (o == NULL)
		return;
	coap_pdu_set_code(resp, COAP_RESPONSE_CODE(o->code));
	if (o->diag[0] != '\0')
		coap_add_data(resp, strlen(o->diag), (const uint8_t *)o->diag);
	coap_async_set_app_data(a, NULL);
	free(o);
}

static void
refuse(coap_pdu_t *resp, unsigned int code, const char *diag)
{
	coap_pdu_set_code(resp, COAP_RESPONSE_CODE(code));
	coap_add_data(resp, strlen(diag), (const uint8_t *)diag);
}

/* Checks the POST; fills req. Returns 0, or -1 with resp set. */
static int
check_post(coap_session_t *ses, const coap_pdu_t *pdu, coap_pdu_t *resp,
    struct rd_request *req)
{
	coap_opt_iterator_t	 oi;
	coap_opt_filter_t	 flt;
	coap_opt_t		*opt;
	const char		*opts[32], *err;
	size_t			 lens[32], n = 0, len;
	const uint8_t		*data;

	if (coap_session_get_proto(ses) != COAP_PROTO_UDP) {
		refuse(resp, 400, "simple registration is over plain UDP");
		return -1;
	}
	if (coap_get_data(pdu, &len, &data) && len > 0) {
		refuse(resp, 400, "simple registration has no payload");
		return -1;
	}
	coap_option_filter_clear(&flt);
	coap_option_filter_set(&flt, COAP_OPTION_URI_QUERY);
	coap_option_iterator_init(pdu, &oi, &flt);
	while ((opt = coap_option_next(&oi)) != NULL && n < 32) {
		opts[n] = (const char *)coap_opt_value(opt);
		lens[n++] = coap_opt_length(opt);
	}
	if (opt != NULL || rd_request_parse(opts, lens, n, req, &err) == -1) {
		refuse(resp, 400, opt ? "too many options" : err);
		return -1;
	}
	if (req->ep == NULL || req->base != NULL) {
		refuse(resp, 400, req->ep ? "simple registration takes no "
		    "base" : "ep is missing");
		rd_request_free(req);
		return -1;
	}
	return 0;
}

static void
hnd_simple(coap_resource_t *res, coap_session_t *ses, const coap_pdu_t *pdu,
    const coap_string_t *qs, coap_pdu_t *resp)
{
	struct rd_simple	*rs = coap_resource_get_userdata(res);
	coap_async_t		*a = coap_find_async(ses, coap_pdu_get_token(pdu));
	const coap_address_t	*peer = coap_session_get_addr_remote(ses);
	struct rd_request	 req;
	struct fetch		*f;
	const char		*why;
	char			 obj[AUTHZ_OBJECT_MAX];

	if (!authz_gate(ses, resp))
		return;
	if (a != NULL) {
		answer(ses, a, resp);
		return;
	}
	/* The fetch would be an amplifier for a spoofed source. */
	if (!echo_require(ses, pdu, resp))
		return;
	if (check_post(ses, pdu, resp, &req) == -1)
		return;
	if ((why = rd_proxy_refusal(req.params, req.nparams, req.ep, req.d,
	    rs->rd->reg.proxy_base)) != NULL) {
		rd_request_free(&req);
		refuse(resp, 400, why);
		return;
	}
	if (req.d != NULL && strcmp(req.d, PS_RD_SECTOR) == 0) {
		rd_request_free(&req);
		authz_refuse(ses, resp, "the sector " PS_RD_SECTOR " is the "
		    "broker's");
		return;
	}
	if (!authz_check(ses, resp, authz_rd_object(obj, sizeof(obj), req.d,
	    req.ep), ACL_SIMPLE_REGISTER)) {
		rd_request_free(&req);
		return;
	}
	/* A POST repeated while its device is fetched joins that fetch. */
	if ((f = find_by_peer(rs, peer)) != NULL) {
		rd_request_free(&req);
		if (add_waiter(f, ses, pdu) == -1)
			authz_limit(ses, resp, 503, CU_MAX_AGE_BUSY,
			    "too many requests for one device");
		return;
	}
	if (rs->n >= FETCHES_MAX || (f = calloc(1, sizeof(*f))) == NULL) {
		rd_request_free(&req);
		authz_limit(ses, resp, 503, CU_MAX_AGE_BUSY,
		    "too many simple registrations at once");
		return;
	}
	f->rs = rs;
	f->req = req;
	f->ifindex = coap_session_get_ifindex(ses);
	authz_quota(listen_session_principal(ses), &f->quota);
	coap_address_copy(&f->peer, peer);
	buf_init(&f->body, rs->max_body);
	if ((f->con = rd_coap_implicit_base(ses)) == NULL ||
	    rd_coap_set_link(ses, &f->req, f->con) < 0 ||
	    (f->owner = strdup(listen_session_principal(ses)->name)) == NULL ||
	    start_get(f, coap_session_get_context(ses)) == -1 ||
	    add_waiter(f, ses, pdu) == -1) {
		fetch_free(f);
		refuse(resp, 500, "cannot start the fetch");
		return;
	}
	TAILQ_INSERT_TAIL(&rs->fetches, f, entry);
	rs->n++;
	/* No code: libcoap sends an empty ACK; the answer comes later. */
}

void
rd_simple_attach(coap_context_t *ctx, void *arg)
{
	struct rd_simple	*rs = arg;
	coap_resource_t		*r;

	r = coap_resource_init(coap_make_str_const(".well-known/rd"), 0);
	if (r == NULL)
		return;
	coap_resource_set_userdata(r, rs);
	cu_register(r, COAP_REQUEST_POST, hnd_simple);
	coap_add_resource(ctx, r);
}

struct rd_simple *
rd_simple_new(struct rd *rd, struct event_base *base, size_t max_body,
    void (*changed)(void *), void *changed_arg)
{
	struct rd_simple *rs;

	if ((rs = calloc(1, sizeof(*rs))) == NULL)
		return NULL;
	rs->rd = rd;
	rs->base = base;
	rs->max_body = max_body;
	rs->changed = changed;
	rs->changed_arg = changed_arg;
	TAILQ_INIT(&rs->fetches);
	TAILQ_INIT(&rs->dying);
	the_rs = rs;
	listen_add_nack_hook(on_nack);
	listen_add_response_hook(on_response);
	return rs;
}

void
rd_simple_set_max_body(struct rd_simple *rs, size_t max)
{
	rs->max_body = max;
}

void
rd_simple_free(struct rd_simple *rs)
{
	struct fetch *f;

	if (rs == NULL)
		return;
	while ((f = TAILQ_FIRST(&rs->fetches)) != NULL) {
		TAILQ_REMOVE(&rs->fetches, f, entry);
		fetch_free(f);
	}
	fetch_cleanup(-1, 0, NULL);
	if (the_rs == rs)
		the_rs = NULL;
	free(rs);
}
