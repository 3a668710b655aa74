#include "ac_config.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "batch.h"
#include "buf.h"
#include "config.h"
#include "linkformat.h"
#include "listen.h"
#include "log.h"
#include "loop.h"
#include "observe.h"
#include "principal.h"
#include "rd.h"
#include "rd_coap.h"
#include "rd_lookup.h"
#include "rd_request.h"

#define QUERY_OPTS_MAX	32
#define CF_LINK_FORMAT	COAP_MEDIATYPE_APPLICATION_LINK_FORMAT
#define MAX_AGE_FULL	60	/* seconds a client waits at the cap */
#define MAX_AGE_BUSY	5	/* seconds a client waits for the store */

/*
 * A registration body arriving in Block1 blocks, reassembled here under
 * max-payload: libcoap's single-body mode would size it from Size1.
 */
#define PARTIALS_MAX	64
#define PARTIAL_TTL_MS	60000

struct partial {
	coap_session_t	*ses;
	struct buf	 body;
	uint64_t	 last_ms;
};

/* One observer of a lookup: its query and what it was last sent. */
struct lookup_obs {
	enum rd_lookup_kind	kind;
	struct rd_query		q;
	uint64_t		hash;
};

/*
 * A request answered once its batch is committed (group commit): the
 * request is held by libcoap as an async, found again by session and
 * token, and its handler called a second time with the outcome.
 */
#define DEFER_TOKEN_MAX	8

struct deferred {
	struct rd_coap	*rc;
	coap_session_t	*ses;		/* referenced */
	uint8_t		 tok[DEFER_TOKEN_MAX];
	size_t		 toklen;
	unsigned int	 code;		/* when the batch commits */
	uint64_t	 id;		/* for Location-Path */
};

struct outcome {
	unsigned int	 code;
	uint64_t	 id;
};

struct rd_coap {
	struct rd	*rd;
	struct obs_set	*observers;
	struct event	*notify_ev;
	struct partial	 partials[PARTIALS_MAX];
	struct event	*timer;
	char		*rd_path, *ep_path, *res_path;
	size_t		 max_payload;
	size_t		 max_response;
	struct lf_limits lf_lim;
};

/* Uri-Query options, pointing into the request. */
struct query {
	const char	*opt[QUERY_OPTS_MAX];
	size_t		 len[QUERY_OPTS_MAX];
	size_t		 n;
};

uint64_t
rd_coap_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static int
get_queries(const coap_pdu_t *req, struct query *q)
{
	coap_opt_iterator_t	oi;
	coap_opt_filter_t	f;
	coap_opt_t		*opt;

	q->n = 0;
	coap_option_filter_clear(&f);
	coap_option_filter_set(&f, COAP_OPTION_URI_QUERY);
	coap_option_iterator_init(req, &oi, &f);
	while ((opt = coap_option_next(&oi)) != NULL) {
		if (q->n == QUERY_OPTS_MAX)
			return -1;
		q->opt[q->n] = (const char *)coap_opt_value(opt);
		q->len[q->n++] = coap_opt_length(opt);
	}
	return 0;
}

/* The value of a uint option, or -1 when absent. */
static long
uint_option(const coap_pdu_t *req, coap_option_num_t num)
{
	coap_opt_iterator_t	 oi;
	coap_opt_t		*opt = coap_check_option(req, num, &oi);

	if (opt == NULL)
		return -1;
	return (long)coap_decode_var_bytes(coap_opt_value(opt),
	    coap_opt_length(opt));
}

static void
respond(coap_pdu_t *resp, unsigned int code, const char *diag)
{
	coap_pdu_set_code(resp, COAP_RESPONSE_CODE(code));
	if (diag != NULL)
		coap_add_data(resp, strlen(diag), (const uint8_t *)diag);
}

static void
respond_max_age(coap_pdu_t *resp, unsigned int code, unsigned int max_age,
    const char *diag)
{
	uint8_t buf[4];

	coap_pdu_set_code(resp, COAP_RESPONSE_CODE(code));
	coap_add_option(resp, COAP_OPTION_MAXAGE,
	    coap_encode_var_safe(buf, sizeof(buf), max_age), buf);
	if (diag != NULL)
		coap_add_data(resp, strlen(diag), (const uint8_t *)diag);
}

static void
respond_result(coap_pdu_t *resp, enum rd_result r)
{
	switch (r) {
	case RD_OK:
	case RD_CREATED:
		break;
	case RD_ENOTFOUND:
		respond(resp, 404, NULL);
		break;
	case RD_EINVAL:
		respond(resp, 400, rd_result_text(r));
		break;
	case RD_ETOOLARGE:
		respond(resp, 413, rd_result_text(r));
		break;
	case RD_EFULL:
		respond_max_age(resp, 503, MAX_AGE_FULL, rd_result_text(r));
		break;
	case RD_EBUSY:
		respond_max_age(resp, 503, MAX_AGE_BUSY, rd_result_text(r));
		break;
	case RD_EFAIL:
		respond(resp, 500, NULL);
		break;
	}
}

/*
 * The base a registration from this session would have without "base":
 * coap:// or coaps:// and the source address, never a zone ID. NULL for
 * TCP and TLS, whose source ports are ephemeral.
 */
char *
rd_coap_implicit_base(const coap_session_t *ses)
{
	const coap_address_t	*ra = coap_session_get_addr_remote(ses);
	coap_proto_t		 proto = coap_session_get_proto(ses);
	const char		*scheme;
	char			 host[INET6_ADDRSTRLEN], out[96];
	unsigned int		 port, dflt;

	if (proto == COAP_PROTO_UDP) {
		scheme = "coap";
		dflt = 5683;
	} else if (proto == COAP_PROTO_DTLS) {
		scheme = "coaps";
		dflt = 5684;
	} else
		return NULL;
	if (ra->addr.sa.sa_family == AF_INET) {
		inet_ntop(AF_INET, &ra->addr.sin.sin_addr, host, sizeof(host));
		port = ntohs(ra->addr.sin.sin_port);
		snprintf(out, sizeof(out), "%s://%s", scheme, host);
	} else if (ra->addr.sa.sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &ra->addr.sin6.sin6_addr, host,
		    sizeof(host));
		port = ntohs(ra->addr.sin6.sin6_port);
		snprintf(out, sizeof(out), "%s://[%s]", scheme, host);
	} else
		return NULL;
	if (port != dflt) {
		size_t n = strlen(out);

		snprintf(out + n, sizeof(out) - n, ":%u", port);
	}
	return strdup(out);
}

static void
partial_drop(struct partial *p)
{
	buf_free(&p->body);
	p->ses = NULL;
}

/* The session's body in progress, or a free (or the oldest) slot. */
static struct partial *
partial_find(struct rd_coap *rc, const coap_session_t *ses, int create)
{
	struct partial	*slot = NULL;
	uint64_t	 now = rd_coap_now_ms();

	for (size_t i = 0; i < PARTIALS_MAX; i++) {
		struct partial *p = &rc->partials[i];

		if (p->ses != NULL && now - p->last_ms > PARTIAL_TTL_MS)
			partial_drop(p);
		if (p->ses == ses && ses != NULL)
			return p;
		if (slot == NULL || (slot->ses != NULL && (p->ses == NULL ||
		    p->last_ms < slot->last_ms)))
			slot = p;
	}
	if (!create)
		return NULL;
	partial_drop(slot);
	return slot;
}

static void
too_large(coap_pdu_t *resp, size_t max)
{
	uint8_t buf[4];

	coap_add_option(resp, COAP_OPTION_SIZE1,
	    coap_encode_var_safe(buf, sizeof(buf), (unsigned int)max), buf);
	respond(resp, 413, "body too large");
}

enum body_state {
	BODY_ERROR = -1,	/* the response is set */
	BODY_MORE = 0,		/* a block was taken; 2.31 is set */
	BODY_DONE = 1
};

/*
 * The request body, whole. A body in several blocks is gathered per
 * session; *held is then the partial to drop once the body is used.
 */
static enum body_state
get_body(struct rd_coap *rc, coap_session_t *ses, const coap_pdu_t *req,
    coap_pdu_t *resp, const uint8_t **data, size_t *len,
    struct partial **held)
{
	size_t		 offset = 0, total = 0;
	struct partial	*p;

	*held = NULL;
	*len = 0;
	*data = (const uint8_t *)"";
	if (!coap_get_data_large(req, len, data, &offset, &total))
		return BODY_DONE;
	if (offset == 0 && total == *len) {
		if (*len > rc->max_payload) {
			too_large(resp, rc->max_payload);
			return BODY_ERROR;
		}
		return BODY_DONE;
	}
	p = partial_find(rc, ses, offset == 0);
	if (offset == 0) {
		partial_drop(p);
		buf_init(&p->body, rc->max_payload);
		p->ses = ses;
	}
	if (p == NULL || offset != p->body.len) {
		if (p != NULL)
			partial_drop(p);
		respond(resp, 408, "blocks out of order");
		return BODY_ERROR;
	}
	if (total > rc->max_payload || buf_add(&p->body, *data, *len) == -1) {
		partial_drop(p);
		too_large(resp, rc->max_payload);
		return BODY_ERROR;
	}
	p->last_ms = rd_coap_now_ms();
	if (total > offset + *len) {
		coap_pdu_set_code(resp, COAP_RESPONSE_CODE(231));
		return BODY_MORE;
	}
	*data = (const uint8_t *)(p->body.data ? p->body.data : "");
	*len = p->body.len;
	*held = p;
	return BODY_DONE;
}

static void
log_change(const char *what, const coap_session_t *ses,
    const struct rd_request *req, uint64_t id)
{
	log_info("rd", "%s ep=%s%s%s location=%" PRIu64 " by %s", what,
	    req->ep ? req->ep : "-", req->d ? " d=" : "", req->d ? req->d : "",
	    id, listen_session_principal(ses)->name);
}

static void
add_location(coap_pdu_t *resp, const char *path, uint64_t id)
{
	char	 copy[80], num[24];
	char	*seg, *save;

	snprintf(copy, sizeof(copy), "%s", path);
	for (seg = strtok_r(copy, "/", &save); seg;
	    seg = strtok_r(NULL, "/", &save))
		coap_add_option(resp, COAP_OPTION_LOCATION_PATH, strlen(seg),
		    (const uint8_t *)seg);
	snprintf(num, sizeof(num), "%" PRIu64, id);
	coap_add_option(resp, COAP_OPTION_LOCATION_PATH, strlen(num),
	    (const uint8_t *)num);
}

static void
on_committed(void *arg, enum store_write w)
{
	enum rd_result	 r = w == STORE_WRITE_OK ? RD_OK :
			    w == STORE_WRITE_BUSY ? RD_EBUSY : RD_EFAIL;
	struct deferred	*d = arg;
	coap_bin_const_t tok = { d->toklen, d->tok };
	coap_async_t	*a = coap_find_async(d->ses, tok);
	struct outcome	*o;

	if (a != NULL && (o = calloc(1, sizeof(*o))) != NULL) {
		o->code = r == RD_OK ? d->code : rd_result_code(r);
		o->id = d->id;
		coap_async_set_app_data(a, o);
		coap_async_trigger(a);
	}
	coap_session_release(d->ses);
	free(d);
}

/*
 * After a change: answer now, or (group commit) hold the request until
 * its batch is durable. Returns 1 when the answer is deferred.
 */
static int
defer(struct rd_coap *rc, coap_session_t *ses, const coap_pdu_t *req,
    unsigned int code, uint64_t id)
{
	coap_bin_const_t	 tok = coap_pdu_get_token(req);
	struct deferred		*d;

	if (!rd_in_batch(rc->rd))
		return 0;
	if (tok.length <= DEFER_TOKEN_MAX &&
	    (d = calloc(1, sizeof(*d))) != NULL) {
		d->rc = rc;
		memcpy(d->tok, tok.s, tok.length);
		d->toklen = tok.length;
		d->code = code;
		d->id = id;
		if (coap_register_async(ses, req, 0) != NULL) {
			d->ses = coap_session_reference(ses);
			if (batch_after_commit(rc->rd->batch, on_committed,
			    d) == 0)
				return 1;
			coap_session_release(d->ses);
			coap_free_async(ses, coap_find_async(ses, tok));
		}
		free(d);
	}
	/* Cannot wait: commit now, and answer with what it gives. */
	return batch_commit(rc->rd->batch, rd_coap_now_ms(),
	    (int64_t)time(NULL)) == STORE_WRITE_OK ? 0 : -1;
}

/* Answers a change that rd made: now, later (deferred), or 5.03. */
static void
answer_change(struct rd_coap *rc, coap_session_t *ses, const coap_pdu_t *req,
    coap_pdu_t *resp, unsigned int code, uint64_t id)
{
	switch (defer(rc, ses, req, code, id)) {
	case 1:
		return;
	case -1:
		respond_max_age(resp, 503, MAX_AGE_BUSY, "storage busy");
		return;
	}
	/* The same location and code for a registration repeated. */
	if (code == 201)
		add_location(resp, rc->rd_path, id);
	respond(resp, code, NULL);
}

/* The second call of a deferred request: its outcome. Returns 1 if so. */
static int
deferred_answer(struct rd_coap *rc, coap_session_t *ses,
    const coap_pdu_t *req, coap_pdu_t *resp)
{
	coap_async_t	*a = coap_find_async(ses, coap_pdu_get_token(req));
	struct outcome	*o;

	if (a == NULL)
		return 0;
	if ((o = coap_async_get_app_data(a)) == NULL) {
		respond(resp, 500, NULL);
		return 1;
	}
	coap_async_set_app_data(a, NULL);
	if (o->code == 201)
		add_location(resp, rc->rd_path, o->id);
	if (o->code == 503)
		respond_max_age(resp, 503, MAX_AGE_BUSY, "storage busy");
	else
		respond(resp, o->code, NULL);
	free(o);
	return 1;
}

static void
hnd_register(coap_resource_t *res, coap_session_t *ses,
    const coap_pdu_t *req, const coap_string_t *qs, coap_pdu_t *resp)
{
	struct rd_coap		*rc = coap_resource_get_userdata(res);
	struct rd_request	 r;
	struct query		 q;
	struct lf_doc		 links;
	struct lf_error		 lerr;
	struct partial		*held;
	const uint8_t		*body;
	const char		*err;
	char			*con;
	size_t			 len;
	long			 cf = uint_option(req, COAP_OPTION_CONTENT_FORMAT);
	uint64_t		 id = 0;
	enum rd_result		 result;
	enum lf_status		 ls;

	if (deferred_answer(rc, ses, req, resp))
		return;
	if (get_body(rc, ses, req, resp, &body, &len, &held) != BODY_DONE)
		return;
	memset(&r, 0, sizeof(r));
	if ((cf != -1 && cf != CF_LINK_FORMAT) || (cf == -1 && len > 0)) {
		respond(resp, 415, "registrations are application/link-format");
		goto done;
	}
	if (get_queries(req, &q) == -1 ||
	    rd_request_parse(q.opt, q.len, q.n, &r, &err) == -1) {
		respond(resp, 400, q.n == QUERY_OPTS_MAX ? "too many options" :
		    err);
		goto done;
	}
	if (r.ep == NULL) {
		respond(resp, 400, "ep is missing");
		goto done;
	}
	con = rd_coap_implicit_base(ses);
	if (r.base == NULL && con == NULL) {
		respond(resp, 400, "base is needed over TCP and TLS");
		goto done;
	}
	ls = lf_parse((const char *)body, len, &rc->lf_lim, &links, &lerr);
	if (ls != LF_OK) {
		char diag[128];

		snprintf(diag, sizeof(diag), "link-format: %s at byte %zu",
		    lerr.msg, lerr.offset);
		respond(resp, ls == LF_ELIMIT ? 413 : 400, diag);
		free(con);
		goto done;
	}
	result = rd_register(rc->rd, &r, &links, con,
	    listen_session_principal(ses)->name, rd_coap_now_ms(),
	    (int64_t)time(NULL), &id);
	lf_doc_free(&links);
	free(con);
	if (result == RD_OK || result == RD_CREATED) {
		log_change(result == RD_CREATED ? "registered" :
		    "registered again", ses, &r, id);
		rd_coap_schedule(rc);
		answer_change(rc, ses, req, resp, 201, id);
	} else
		respond_result(resp, result);
done:
	if (held != NULL)
		partial_drop(held);
	rd_request_free(&r);
}

/* The registration id a request path names, or 0 when it names none. */
static uint64_t
registration_id(const struct rd_coap *rc, const coap_pdu_t *req)
{
	coap_opt_iterator_t	 oi;
	coap_opt_filter_t	 f;
	coap_opt_t		*opt;
	struct buf		 b;
	uint64_t		 id = 0;
	size_t			 plen = strlen(rc->rd_path);

	buf_init(&b, 256);
	coap_option_filter_clear(&f);
	coap_option_filter_set(&f, COAP_OPTION_URI_PATH);
	coap_option_iterator_init(req, &oi, &f);
	while ((opt = coap_option_next(&oi)) != NULL)
		if (buf_addc(&b, '/') == -1 || buf_add(&b,
		    coap_opt_value(opt), coap_opt_length(opt)) == -1)
			goto done;
	if (b.len > plen + 1 && b.len <= plen + 21 &&
	    memcmp(b.data, rc->rd_path, plen) == 0 && b.data[plen] == '/' &&
	    b.data[plen + 1] != '0') {
		const char *p = b.data + plen + 1;

		for (; *p >= '0' && *p <= '9'; p++) {
			if (id > (UINT64_MAX - 9) / 10) {
				id = 0;
				break;
			}
			id = id * 10 + (uint64_t)(*p - '0');
		}
		if (*p != '\0')
			id = 0;
	}
done:
	buf_free(&b);
	return id;
}

static void
hnd_update(coap_resource_t *res, coap_session_t *ses,
    const coap_pdu_t *req, const coap_string_t *qs, coap_pdu_t *resp)
{
	struct rd_coap		*rc = coap_resource_get_userdata(res);
	uint64_t		 id = registration_id(rc, req);
	struct rd_request	 r;
	struct query		 q;
	const char		*err;
	const uint8_t		*data;
	size_t			 len;
	char			*con;
	enum rd_result		 result;

	if (deferred_answer(rc, ses, req, resp))
		return;
	if (id == 0) {
		respond(resp, 404, NULL);
		return;
	}
	if (coap_get_data(req, &len, &data) && len > 0) {
		respond(resp, 400, "an update has no payload");
		return;
	}
	if (get_queries(req, &q) == -1 ||
	    rd_request_parse(q.opt, q.len, q.n, &r, &err) == -1) {
		respond(resp, 400, q.n == QUERY_OPTS_MAX ? "too many options" :
		    err);
		return;
	}
	con = rd_coap_implicit_base(ses);
	result = rd_update(rc->rd, id, &r, con, rd_coap_now_ms(),
	    (int64_t)time(NULL));
	free(con);
	if (result == RD_OK) {
		log_debug("rd", "location %" PRIu64 " updated by %s", id,
		    listen_session_principal(ses)->name);
		rd_coap_schedule(rc);
		answer_change(rc, ses, req, resp, 204, id);
	} else
		respond_result(resp, result);
	rd_request_free(&r);
}

static void
hnd_delete(coap_resource_t *res, coap_session_t *ses,
    const coap_pdu_t *req, const coap_string_t *qs, coap_pdu_t *resp)
{
	struct rd_coap	*rc = coap_resource_get_userdata(res);
	uint64_t	 id = registration_id(rc, req);
	enum rd_result	 result;

	if (deferred_answer(rc, ses, req, resp))
		return;
	if (id == 0) {
		respond(resp, 404, NULL);
		return;
	}
	result = rd_remove(rc->rd, id);
	if (result == RD_OK) {
		log_info("rd", "location %" PRIu64 " removed by %s", id,
		    listen_session_principal(ses)->name);
		rd_coap_schedule(rc);
		answer_change(rc, ses, req, resp, 202, id);
	} else
		respond_result(resp, result);
}

/* Any other method on a registration resource, or any unknown path. */
static void
hnd_other(coap_resource_t *res, coap_session_t *ses,
    const coap_pdu_t *req, const coap_string_t *qs, coap_pdu_t *resp)
{
	struct rd_coap *rc = coap_resource_get_userdata(res);
	uint64_t id = registration_id(rc, req);

	respond(resp, id && rd_registry_find_id(&rc->rd->reg, id) ? 405 : 404,
	    NULL);
}

static void
free_payload(coap_session_t *ses, void *p)
{
	free(p);
}

/* FNV-1a: a change of result is a change of hash. */
static uint64_t
hash_bytes(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static void
lookup_obs_free(void *p)
{
	struct lookup_obs *lo = p;

	if (lo != NULL) {
		rd_query_free(&lo->q);
		free(lo);
	}
}

/* Renders a lookup; NULL (and the response set) when it cannot. */
static char *
render(struct rd_coap *rc, enum rd_lookup_kind kind, const struct rd_query *q,
    size_t *len, unsigned int *code, const char **diag)
{
	struct buf b;

	buf_init(&b, rc->max_response);
	if (rd_lookup(&rc->rd->reg, kind, q, rc->rd_path, &b) == -1) {
		*code = b.overflow ? 400 : 500;
		*diag = b.overflow ? "the result is larger than "
		    "max-response-size: use count and page" : NULL;
		buf_free(&b);
		return NULL;
	}
	*len = b.len;
	return buf_release(&b);
}

/* Registers an observer of this lookup; the query moves into it. */
static void
observe_lookup(struct rd_coap *rc, coap_session_t *ses, const coap_pdu_t *req,
    coap_pdu_t *resp, enum rd_lookup_kind kind, struct rd_query *q,
    const char *data, size_t len)
{
	struct lookup_obs *lo;

	if ((lo = calloc(1, sizeof(*lo))) == NULL)
		return;
	lo->kind = kind;
	lo->q = *q;
	memset(q, 0, sizeof(*q));
	lo->hash = hash_bytes(data, len);
	if (obs_add(rc->observers, ses, req, resp, lo) == NULL)
		log_debug("rd", "observer not added: %zu already",
		    obs_set_count(rc->observers));
}

static void
hnd_lookup(coap_resource_t *res, coap_session_t *ses,
    const coap_pdu_t *req, const coap_string_t *qs, coap_pdu_t *resp,
    enum rd_lookup_kind kind)
{
	struct rd_coap		*rc = coap_resource_get_userdata(res);
	long			 accept = uint_option(req, COAP_OPTION_ACCEPT);
	enum obs_request	 ob = obs_request_kind(req);
	struct rd_query		 rq;
	struct query		 q;
	const char		*err;
	size_t			 len;
	unsigned int		 code;
	char			*data;

	if (accept != -1 && accept != CF_LINK_FORMAT) {
		respond(resp, 406, "lookups are application/link-format");
		return;
	}
	if (get_queries(req, &q) == -1 ||
	    rd_query_parse(q.opt, q.len, q.n, &rq, &err) == -1) {
		respond(resp, 400, q.n == QUERY_OPTS_MAX ? "too many options" :
		    err);
		return;
	}
	if ((data = render(rc, kind, &rq, &len, &code, &err)) == NULL) {
		respond(resp, code, err);
		rd_query_free(&rq);
		return;
	}
	if (ob == OBS_DEREGISTER)
		obs_remove_request(rc->observers, ses, req);
	else if (ob == OBS_REGISTER)
		observe_lookup(rc, ses, req, resp, kind, &rq, data, len);
	rd_query_free(&rq);
	coap_pdu_set_code(resp, COAP_RESPONSE_CODE(205));
	/* Blocks of a large result are cut by libcoap from this copy. */
	if (!coap_add_data_large_response(res, ses, req, resp, qs,
	    CF_LINK_FORMAT, -1, 0, len, (const uint8_t *)data, free_payload,
	    data)) {
		free(data);
		respond(resp, 500, NULL);
	}
}

/* Runs one observer's lookup again; notifies it if the result changed. */
static void
check_observer(struct obs *o, void *arg)
{
	struct rd_coap		*rc = arg;
	struct lookup_obs	*lo = obs_app(o);
	const char		*diag;
	unsigned int		 code;
	size_t			 len;
	char			*data;
	uint64_t		 h;

	if ((data = render(rc, lo->kind, &lo->q, &len, &code, &diag)) ==
	    NULL) {
		obs_notify(rc->observers, o, code, 0, (const uint8_t *)diag,
		    diag ? strlen(diag) : 0);
		return;
	}
	h = hash_bytes(data, len);
	if (h != lo->hash) {
		lo->hash = h;
		obs_notify(rc->observers, o, 205, CF_LINK_FORMAT,
		    (const uint8_t *)data, len);
	}
	free(data);
}

static void
on_notify(evutil_socket_t fd, short what, void *arg)
{
	struct rd_coap *rc = arg;

	obs_foreach(rc->observers, check_observer, rc);
}

/*
 * The directory changed. Observers are checked once the current event is
 * done, so that many changes in one pass cost one round of lookups.
 */
static void
on_change(void *arg, const struct rd_reg *old, const struct rd_reg *now)
{
	struct rd_coap *rc = arg;

	if (obs_set_count(rc->observers) > 0)
		event_active(rc->notify_ev, EV_TIMEOUT, 0);
}

static void
hnd_lookup_ep(coap_resource_t *res, coap_session_t *ses,
    const coap_pdu_t *req, const coap_string_t *qs, coap_pdu_t *resp)
{
	hnd_lookup(res, ses, req, qs, resp, RD_LOOKUP_EP);
}

static void
hnd_lookup_res(coap_resource_t *res, coap_session_t *ses,
    const coap_pdu_t *req, const coap_string_t *qs, coap_pdu_t *resp)
{
	hnd_lookup(res, ses, req, qs, resp, RD_LOOKUP_RES);
}

static coap_resource_t *
make_resource(coap_context_t *ctx, struct rd_coap *rc, const char *path,
    const char *rt)
{
	coap_str_const_t	*p = coap_new_str_const((const uint8_t *)path + 1,
				    strlen(path) - 1);
	coap_resource_t		*r;

	if (p == NULL ||
	    (r = coap_resource_init(p, COAP_RESOURCE_FLAGS_RELEASE_URI)) ==
	    NULL) {
		coap_delete_str_const(p);
		return NULL;
	}
	coap_resource_set_userdata(r, rc);
	coap_add_attr(r, coap_make_str_const("rt"), coap_make_str_const(rt), 0);
	coap_add_attr(r, coap_make_str_const("ct"), coap_make_str_const("40"),
	    0);
	coap_add_resource(ctx, r);
	return r;
}

void
rd_coap_attach(coap_context_t *ctx, void *arg)
{
	struct rd_coap	*rc = arg;
	coap_resource_t	*r;

	if ((r = make_resource(ctx, rc, rc->rd_path, "\"core.rd\"")) != NULL)
		coap_register_handler(r, COAP_REQUEST_POST, hnd_register);
	/*
	 * Lookups are observable, but through observe.c: libcoap 4.3.1
	 * would notify every observer of a lookup on any change.
	 */
	if ((r = make_resource(ctx, rc, rc->ep_path,
	    "\"core.rd-lookup-ep\"")) != NULL) {
		coap_register_handler(r, COAP_REQUEST_GET, hnd_lookup_ep);
		coap_add_attr(r, coap_make_str_const("obs"), NULL, 0);
	}
	if ((r = make_resource(ctx, rc, rc->res_path,
	    "\"core.rd-lookup-res\"")) != NULL) {
		coap_register_handler(r, COAP_REQUEST_GET, hnd_lookup_res);
		coap_add_attr(r, coap_make_str_const("obs"), NULL, 0);
	}
	/* Registration resources are not libcoap resources: one per
	 * registration would cost more than the registration itself. */
	if ((r = coap_resource_unknown_init(hnd_other)) != NULL) {
		coap_resource_set_userdata(r, rc);
		coap_register_handler(r, COAP_REQUEST_POST, hnd_update);
		coap_register_handler(r, COAP_REQUEST_DELETE, hnd_delete);
		coap_register_handler(r, COAP_REQUEST_GET, hnd_other);
		coap_add_resource(ctx, r);
	}
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct rd_coap *rc = arg;

	rd_expire(rc->rd, rd_coap_now_ms());
	rd_coap_schedule(rc);
}

void
rd_coap_schedule(struct rd_coap *rc)
{
	uint64_t	next = rd_registry_next_deadline(&rc->rd->reg);
	uint64_t	now = rd_coap_now_ms();
	struct timeval	tv;

	if (next == UINT64_MAX) {
		evtimer_del(rc->timer);
		return;
	}
	next = next > now ? next - now : 0;
	tv.tv_sec = (time_t)(next / 1000);
	tv.tv_usec = (suseconds_t)(next % 1000) * 1000;
	evtimer_add(rc->timer, &tv);
}

void
rd_coap_reconfigure(struct rd_coap *rc, const struct config *c)
{
	rc->max_payload = c->max_payload;
	rc->max_response = c->max_response;
	rc->lf_lim.max_links = c->rd_max_links + 1;	/* then 4.13 */
	rc->rd->lim.max_registrations = c->rd_max_registrations;
	rc->rd->lim.max_links = c->rd_max_links;
}

struct rd_coap *
rd_coap_new(struct rd *rd, const struct config *c, struct event_base *base)
{
	struct rd_coap		*rc;
	const struct lf_limits	 lim = LF_LIMITS_DEFAULT;

	if ((rc = calloc(1, sizeof(*rc))) == NULL)
		return NULL;
	rc->rd = rd;
	rc->lf_lim = lim;
	if ((rc->rd_path = strdup(c->rd_path)) == NULL ||
	    (rc->ep_path = strdup(c->rd_lookup_ep_path)) == NULL ||
	    (rc->res_path = strdup(c->rd_lookup_res_path)) == NULL ||
	    (rc->timer = evtimer_new(base, on_timer, rc)) == NULL ||
	    (rc->notify_ev = evtimer_new(base, on_notify, rc)) == NULL ||
	    event_priority_set(rc->timer, LOOP_PRIO_HIGH) == -1 ||
	    (rc->observers = obs_set_new(c->rd_max_observers,
	    lookup_obs_free)) == NULL) {
		rd_coap_free(rc);
		return NULL;
	}
	rd_coap_reconfigure(rc, c);
	rd->changed = on_change;
	rd->changed_arg = rc;
	return rc;
}

void
rd_coap_free(struct rd_coap *rc)
{
	if (rc == NULL)
		return;
	for (size_t i = 0; i < PARTIALS_MAX; i++)
		partial_drop(&rc->partials[i]);
	rc->rd->changed = NULL;
	obs_set_free(rc->observers);
	if (rc->notify_ev)
		event_free(rc->notify_ev);
	if (rc->timer)
		event_free(rc->timer);
	free(rc->rd_path);
	free(rc->ep_path);
	free(rc->res_path);
	free(rc);
}
