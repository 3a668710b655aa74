#include "ac_config.h"

#include <sys/queue.h>

#include <arpa/inet.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>
#include <uthash.h>

#include "authz.h"
#include "buf.h"
#include "coaputil.h"
#include "config.h"
#include "echo.h"
#include "ifparams.h"
#include "listen.h"
#include "log.h"
#include "rd.h"
#include "rd_proxy.h"
#include "rd_proxy_cache.h"
#include "rd_proxy_coap.h"
#include "rd_proxy_msg.h"
#include "stats.h"
#include "uri.h"

#define TOKEN_MAX	8
#define OPTS_MAX	1024	/* bytes of options kept from an answer */
#define MAX_AGE_DEFAULT	60	/* RFC 7252 5.10.5 */
#define MAX_AGE_KEPT	86400	/* the longest a copy is kept */
#define CONT_KEPT_S	60	/* an answer's later blocks are kept */
#define CLIENT_MAX	16	/* requests of one client in flight */
#define SWEEP_S		60

/* A registration's own session, kept while the registration lives. */
struct bound {
	uint64_t	 id;
	coap_session_t	*ses;		/* referenced */
	int		 ifindex;
	UT_hash_handle	 hh;
};

/* What the client is finally answered with. */
struct result {
	unsigned int	 code;		/* as 205; 0: the device's, below */
	char		 diag[80];
	coap_pdu_code_t	 dcode;
	struct buf	 opts;		/* (number, length, value)... */
	struct buf	 body;
};

struct fwd {
	TAILQ_ENTRY(fwd) entry;
	uint64_t	 id;		/* the registration */
	coap_session_t	*client;	/* referenced */
	uint8_t		 ctok[TOKEN_MAX];
	size_t		 ctoklen;
	coap_session_t	*dev;		/* referenced */
	uint8_t		 dtok[TOKEN_MAX];
	size_t		 dtoklen;
	struct event	*timer;
	struct result	*res;
	int		 answered;	/* the first answer was seen */
	int		 safe;		/* GET or FETCH */
	int		 ifindex;	/* toward the device */
	char		*ckey;		/* the cache's key; NULL: not cached */
	char		*bkey;		/* its later blocks' key (client's) */
};

enum outcome { ANSWERED, CACHED, TIMEOUT, UNREACHABLE, REFUSED, OUTCOMES };

static struct {
	struct rd		*rd;
	struct event_base	*base;
	unsigned int		 timeout_s, per_device, max_total;
	size_t			 max_body;
	TAILQ_HEAD(, fwd)	 fwds;
	TAILQ_HEAD(, fwd)	 dying;		/* freed outside libcoap */
	size_t			 n;
	struct event		*sweeper;
	struct bound		*bound;
	size_t			 sweep_at;
	struct rd_proxy_cache	*cache;
	struct cu_bodies	*bodies;	/* Block1 from clients */
	uint64_t		 outcomes[OUTCOMES];
} P;

static void
result_free(struct result *r)
{
	if (r == NULL)
		return;
	buf_free(&r->opts);
	buf_free(&r->body);
	free(r);
}

static void
fwd_free(struct fwd *f)
{
	if (f->timer != NULL)
		event_free(f->timer);
	coap_session_release(f->client);
	if (f->dev != NULL)
		coap_session_release(f->dev);
	result_free(f->res);
	free(f->ckey);
	free(f->bkey);
	free(f);
}

static void
fwd_cleanup(evutil_socket_t fd, short what, void *arg)
{
	struct fwd *f;

	while ((f = TAILQ_FIRST(&P.dying)) != NULL) {
		TAILQ_REMOVE(&P.dying, f, entry);
		fwd_free(f);
	}
}

/*
 * A 2.05 to a GET is kept while fresh, and a change through the proxy
 * drops the device's copies. Any answer with a body is kept a little
 * for the client that asked, whose later blocks are cut from it rather
 * than asked of the device again (which, for a POST, would do it again).
 */
static void
cache_answer(const struct fwd *f)
{
	const struct result	*r = f->res;
	const uint8_t		*opts = (const uint8_t *)r->opts.data;
	const uint8_t		*body = (const uint8_t *)r->body.data;
	uint64_t		 age, now = cu_now_ms();

	if (!f->safe && COAP_RESPONSE_CLASS(r->dcode) == 2)
		rd_proxy_cache_drop(P.cache, f->id);
	age = rd_proxy_msg_kept(opts, r->opts.len, COAP_OPTION_MAXAGE,
	    MAX_AGE_DEFAULT);
	if (f->safe && f->ckey != NULL && r->dcode == COAP_RESPONSE_CODE(205) &&
	    age > 0 && rd_proxy_cache_put(P.cache, f->id, f->ckey, r->dcode,
	    opts, r->opts.len, body, r->body.len, now + (age > MAX_AGE_KEPT ?
	    MAX_AGE_KEPT : age) * 1000) == 0)
		return;
	if (f->bkey != NULL && r->body.len > 16)
		(void)rd_proxy_cache_put(P.cache, f->id, f->bkey, r->dcode, opts,
		    r->opts.len, body, r->body.len, now + CONT_KEPT_S * 1000);
}

/* Hands the result to the client's waiting request; frees f later. */
static void
finish(struct fwd *f, unsigned int code, const char *diag, enum outcome o)
{
	coap_bin_const_t	 tok = { f->ctoklen, f->ctok };
	coap_async_t		*a = coap_find_async(f->client, tok);
	struct timeval		 now = { 0, 0 };

	P.outcomes[o]++;
	if (code != 0) {
		f->res->code = code;
		snprintf(f->res->diag, sizeof(f->res->diag), "%s", diag);
	} else
		cache_answer(f);
	if (a != NULL) {
		coap_async_set_app_data(a, f->res);
		f->res = NULL;
		coap_async_trigger(a);
	}
	TAILQ_REMOVE(&P.fwds, f, entry);
	P.n--;
	evtimer_del(f->timer);
	/* Sessions are released outside libcoap's callbacks. */
	TAILQ_INSERT_TAIL(&P.dying, f, entry);
	if (event_base_once(P.base, -1, EV_TIMEOUT, fwd_cleanup, NULL,
	    &now) == -1)
		log_warnx("rd", "proxy: cannot free a request");
}

static struct fwd *
find_fwd(const coap_session_t *dev, coap_bin_const_t tok)
{
	struct fwd *f;

	TAILQ_FOREACH(f, &P.fwds, entry)
		if (f->dev == dev && f->dtoklen == tok.length &&
		    memcmp(f->dtok, tok.s, tok.length) == 0)
			return f;
	return NULL;
}

static int
on_response(coap_session_t *ses, const coap_pdu_t *rcvd)
{
	struct fwd	*f = find_fwd(ses, coap_pdu_get_token(rcvd));
	const uint8_t	*data;
	size_t		 len, offset, total;

	if (f == NULL)
		return 0;
	if (!f->answered) {
		f->answered = 1;
		f->res->dcode = coap_pdu_get_code(rcvd);
		if (rd_proxy_msg_keep(&f->res->opts, rcvd) == -1) {
			finish(f, 502, "the device's answer has too many "
			    "options", UNREACHABLE);
			return 1;
		}
	}
	if (!coap_get_data_large(rcvd, &len, &data, &offset, &total))
		return (finish(f, 0, NULL, ANSWERED), 1);
	/* Blocks in order, and no more than a body may be. */
	if (offset != f->res->body.len || total > P.max_body ||
	    buf_add(&f->res->body, data, len) == -1) {
		finish(f, 502, "the device's answer is too large or out of "
		    "order", UNREACHABLE);
		return 1;
	}
	if (offset + len >= total)
		finish(f, 0, NULL, ANSWERED);
	return 1;
}

static void
on_nack(coap_session_t *ses, const coap_pdu_t *sent, coap_nack_reason_t why)
{
	struct fwd *f = find_fwd(ses, coap_pdu_get_token(sent));

	if (f == NULL)
		return;
	if (why == COAP_NACK_RST)
		finish(f, 502, "the device reset the request", UNREACHABLE);
	else if (why == COAP_NACK_ICMP_ISSUE)
		finish(f, 502, "the device is unreachable (ICMP)", UNREACHABLE);
	else
		finish(f, 504, "the device did not answer", TIMEOUT);
}

static void
on_timeout(evutil_socket_t fd, short what, void *arg)
{
	finish(arg, 504, "the device did not answer in time", TIMEOUT);
}

/* "[v6]:port" or "v4:port" of a coap:// base, with the link's scope. */
static int
udp_address(const char *base, const char *link, coap_address_t *a,
    int *ifindex)
{
	struct uri_parts	 p;
	char			 host[INET6_ADDRSTRLEN + 2];
	const char		*s, *end, *port = NULL;
	unsigned long		 n = 5683;

	uri_split(base, &p);
	if (!p.scheme.defined || p.scheme.len != 4 ||
	    strncmp(p.scheme.s, "coap", 4) != 0 || !p.authority.defined ||
	    p.authority.len == 0 || p.authority.len >= sizeof(host))
		return -1;
	memcpy(host, p.authority.s, p.authority.len);
	host[p.authority.len] = '\0';
	coap_address_init(a);
	*ifindex = link ? (int)if_nametoindex(link) : 0;
	if (host[0] == '[') {
		if ((end = strchr(host, ']')) == NULL)
			return -1;
		port = end[1] == ':' ? end + 2 : NULL;
		host[end - host] = '\0';
		s = host + 1;
		a->addr.sin6.sin6_family = AF_INET6;
		a->addr.sin6.sin6_scope_id = (uint32_t)*ifindex;
		a->size = sizeof(a->addr.sin6);
		if (inet_pton(AF_INET6, s, &a->addr.sin6.sin6_addr) != 1)
			return -1;
	} else {
		char *colon = strchr(host, ':');

		if (colon != NULL) {
			*colon = '\0';
			port = colon + 1;
		}
		a->addr.sin.sin_family = AF_INET;
		a->size = sizeof(a->addr.sin);
		if (inet_pton(AF_INET, host, &a->addr.sin.sin_addr) != 1)
			return -1;
	}
	if (port != NULL) {
		char *e;

		n = strtoul(port, &e, 10);
		if (*e != '\0' || n == 0 || n > 65535)
			return -1;
	}
	coap_address_set_port(a, (uint16_t)n);
	return 0;
}

static void
forget(struct bound *b)
{
	HASH_DEL(P.bound, b);
	coap_session_release(b->ses);
	free(b);
}

/* ses (referenced) is the way to registration id from now on. */
static void
hold(uint64_t id, coap_session_t *ses, int ifindex)
{
	struct bound *b;

	HASH_FIND(hh, P.bound, &id, sizeof(id), b);
	if (b == NULL) {
		if ((b = calloc(1, sizeof(*b))) == NULL) {
			log_warnx("rd", "proxy: out of memory: a device's "
			    "session is not kept");
			return;
		}
		b->id = id;
		HASH_ADD(hh, P.bound, id, sizeof(b->id), b);
	} else
		coap_session_release(b->ses);
	b->ses = coap_session_reference(ses);
	b->ifindex = ifindex;
}

/*
 * The session to forward over (referenced) and the interface it goes out
 * of, or NULL with why.
 */
static coap_session_t *
device_session(const struct rd_reg *reg, coap_context_t *ctx,
    const char **why, int *ifindex)
{
	struct bound	*b;
	coap_address_t	 a;
	coap_session_t	*s;

	HASH_FIND(hh, P.bound, &reg->id, sizeof(reg->id), b);
	if (b != NULL && coap_session_get_state(b->ses) ==
	    COAP_SESSION_STATE_ESTABLISHED) {
		*ifindex = b->ifindex;
		return coap_session_reference(b->ses);
	}
	/* Only plain UDP can be reached again without the device's help. */
	if (udp_address(rd_reg_device_base(reg), reg->c.link, &a,
	    ifindex) == -1) {
		*why = "the device's session is gone and its base is not a "
		    "coap:// address";
		return NULL;
	}
	if ((s = coap_new_client_session(ctx, NULL, &a,
	    COAP_PROTO_UDP)) == NULL) {
		*why = "cannot open a session to the device";
		return NULL;
	}
	ifparams_apply(s, *ifindex);
	/* Kept for the next requests: one socket, and NSTART, a device. */
	hold(reg->id, s, *ifindex);
	return s;
}

/* Requests in flight to registration id, and of the client ses. */
static void
count_for(uint64_t id, const coap_session_t *ses, unsigned int *dev,
    unsigned int *client)
{
	struct fwd *f;

	*dev = *client = 0;
	TAILQ_FOREACH(f, &P.fwds, entry) {
		*dev += f->id == id;
		*client += f->client == ses;
	}
}

/*
 * The client's request as the device gets it, with body (len bytes, in
 * blocks when the device's messages are smaller); NULL when it cannot.
 */
static coap_pdu_t *
forwarded(struct fwd *f, const coap_pdu_t *req, const uint8_t *body,
    size_t len)
{
	coap_opt_iterator_t	 oi;
	coap_opt_t		*o;
	coap_pdu_t		*pdu;
	uint8_t			*copy;
	int			 szx;

	pdu = coap_pdu_init(COAP_MESSAGE_CON, coap_pdu_get_code(req),
	    coap_new_message_id(f->dev), coap_session_max_pdu_size(f->dev));
	if (pdu == NULL)
		return NULL;
	coap_session_new_token(f->dev, &f->dtoklen, f->dtok);
	if (!coap_add_token(pdu, f->dtoklen, f->dtok))
		goto fail;
	coap_option_iterator_init(req, &oi, COAP_OPT_ALL);
	while ((o = coap_option_next(&oi)) != NULL)
		if (!rd_proxy_msg_hop(oi.number) && !coap_add_option(pdu, oi.number,
		    coap_opt_length(o), coap_opt_value(o)))
			goto fail;
	/* Early negotiation (RFC 7959 2.4): a mesh device's own blocks. */
	if (f->safe && (szx = ifparams_block_szx(f->ifindex)) >= 0)
		cu_add_uint_option(pdu, COAP_OPTION_BLOCK2, (unsigned int)szx);
	if (len == 0)
		return pdu;
	if ((copy = malloc(len)) == NULL)
		goto fail;
	memcpy(copy, body, len);
	/* libcoap releases copy, also when it fails. */
	if (!coap_add_data_large_request(f->dev, pdu, len, copy,
	    cu_free_payload, copy))
		goto fail;
	return pdu;
fail:
	coap_delete_pdu(pdu);
	return NULL;
}

/* Checks what the proxy itself refuses; 0 with resp set when it does. */
static int
admissible(coap_session_t *ses, const coap_pdu_t *req, coap_pdu_t *resp,
    const struct rd_reg *reg)
{
	coap_opt_iterator_t	 oi;
	char			 obj[AUTHZ_OBJECT_MAX];

	if (reg == NULL || reg->expired || reg->proxy == NULL) {
		cu_respond(resp, 404, "no proxied endpoint of that name");
		return 0;
	}
	if (!authz_check(ses, resp, authz_rd_object(obj, sizeof(obj), reg->d,
	    reg->ep), ACL_PROXY))
		return 0;
	if (coap_check_option(req, COAP_OPTION_PROXY_URI, &oi) ||
	    coap_check_option(req, COAP_OPTION_PROXY_SCHEME, &oi)) {
		cu_respond(resp, 505, "corehub is not a forward proxy");
		return 0;
	}
	coap_option_iterator_init(req, &oi, COAP_OPT_ALL);
	while (coap_option_next(&oi) != NULL)
		if (rd_proxy_msg_unknown_unsafe(oi.number)) {
			cu_respond(resp, 502, "an option unsafe to forward that "
			    "corehub does not know");
			return 0;
		}
	/* The device's answer would be an amplifier for a spoofed source. */
	return echo_require(ses, req, resp);
}

/* The caps on requests in flight; 0 with resp set when one is reached. */
static int
within_caps(coap_session_t *ses, coap_pdu_t *resp, uint64_t id)
{
	const char	*why = NULL;
	unsigned int	 dev, client;

	count_for(id, ses, &dev, &client);
	if (P.n >= P.max_total)
		why = "too many proxied requests at once";
	else if (dev >= P.per_device)
		why = "too many requests in flight to this device";
	else if (client >= CLIENT_MAX)
		why = "too many proxied requests of this client at once";
	if (why == NULL)
		return 1;
	P.outcomes[REFUSED]++;
	authz_limit(ses, resp, 503, CU_MAX_AGE_BUSY, why);
	return 0;
}

/*
 * A copy answers at once: a fresh one of a GET's answer, or, for a later
 * block, the answer this client had. 1 when one did, or when a later
 * block of another method has none left (4.00: the request is not sent
 * to the device again for it).
 */
static int
from_copy(coap_session_t *ses, const coap_pdu_t *req, coap_pdu_t *resp,
    uint64_t id, const char *ckey, const char *bkey)
{
	const struct rd_proxy_entry	*e = NULL;
	uint64_t			 now = cu_now_ms();
	coap_block_t			 blk;
	int				 later;
	long				 age = -1;

	later = coap_get_block(req, COAP_OPTION_BLOCK2, &blk) && blk.num > 0;
	if (ckey != NULL &&
	    (e = rd_proxy_cache_get(P.cache, id, ckey, now)) != NULL)
		age = (long)((e->expires_ms - now + 999) / 1000);
	else if (later && bkey != NULL)
		e = rd_proxy_cache_get(P.cache, id, bkey, now);
	if (e == NULL) {
		if (!later || coap_pdu_get_code(req) == COAP_REQUEST_CODE_GET ||
		    coap_pdu_get_code(req) == COAP_REQUEST_CODE_FETCH)
			return 0;
		cu_respond(resp, 400, "no answer left to continue: send the "
		    "request again");
		return 1;
	}
	P.outcomes[CACHED]++;
	rd_proxy_msg_respond(ses, req, resp, &(struct rd_proxy_answer){ e->code, e->opts,
	    e->optlen, e->body, e->len }, age);
	return 1;
}

/* A request in flight to the device; NULL with resp set when not. */
static struct fwd *
fwd_new(coap_session_t *ses, const coap_pdu_t *req, coap_pdu_t *resp,
    const struct rd_reg *reg)
{
	coap_bin_const_t	 tok = coap_pdu_get_token(req);
	const char		*why = NULL;
	struct fwd		*f;

	if (tok.length > TOKEN_MAX || (f = calloc(1, sizeof(*f))) == NULL) {
		cu_respond(resp, 500, NULL);
		return NULL;
	}
	f->safe = coap_pdu_get_code(req) == COAP_REQUEST_CODE_GET ||
	    coap_pdu_get_code(req) == COAP_REQUEST_CODE_FETCH;
	f->id = reg->id;
	f->client = coap_session_reference(ses);
	memcpy(f->ctok, tok.s, tok.length);
	f->ctoklen = tok.length;
	if ((f->res = calloc(1, sizeof(*f->res))) == NULL ||
	    (f->timer = evtimer_new(P.base, on_timeout, f)) == NULL) {
		fwd_free(f);
		cu_respond(resp, 500, NULL);
		return NULL;
	}
	buf_init(&f->res->opts, OPTS_MAX);
	buf_init(&f->res->body, P.max_body);
	if ((f->dev = device_session(reg, coap_session_get_context(ses),
	    &why, &f->ifindex)) == NULL) {
		P.outcomes[UNREACHABLE]++;
		fwd_free(f);
		cu_respond(resp, 502, why);
		return NULL;
	}
	return f;
}

static void
forward(coap_session_t *ses, const coap_pdu_t *req, coap_pdu_t *resp,
    const struct rd_reg *reg)
{
	struct timeval		 tv = { (time_t)P.timeout_s, 0 };
	struct cu_partial	*held = NULL;
	const uint8_t		*body;
	size_t			 len;
	char			*ckey, *bkey;
	coap_async_t		*a;
	coap_pdu_t		*pdu;
	struct fwd		*f;

	if (!admissible(ses, req, resp, reg))
		return;
	ckey = rd_proxy_msg_cache_key(req);
	bkey = rd_proxy_msg_block_key(ses, req);
	if (from_copy(ses, req, resp, reg->id, ckey, bkey) ||
	    !within_caps(ses, resp, reg->id) ||
	    /* A body in blocks goes on whole: libcoap cuts it again. */
	    cu_body_get(P.bodies, ses, req, resp, &body, &len, &held) !=
	    CU_BODY_DONE || (f = fwd_new(ses, req, resp, reg)) == NULL) {
		free(ckey);
		free(bkey);
		goto done;
	}
	f->ckey = ckey;
	f->bkey = bkey;
	if ((pdu = forwarded(f, req, body, len)) == NULL) {
		fwd_free(f);
		cu_respond(resp, 413, "the request does not fit the device's "
		    "messages");
		goto done;
	}
	if ((a = coap_register_async(ses, req, 0)) == NULL) {
		coap_delete_pdu(pdu);
		fwd_free(f);
		cu_respond(resp, 500, NULL);
		goto done;
	}
	/* coap_send() frees pdu, also when it fails. */
	if (coap_send(f->dev, pdu) == COAP_INVALID_MID) {
		coap_free_async(ses, a);
		P.outcomes[UNREACHABLE]++;
		fwd_free(f);
		cu_respond(resp, 502, "cannot send to the device");
		goto done;
	}
	evtimer_add(f->timer, &tv);
	TAILQ_INSERT_TAIL(&P.fwds, f, entry);
	P.n++;
	/* No code: an empty ACK now, the device's answer later. */
done:
	if (held != NULL)
		cu_body_release(held);
}

/* The second call, once the device answered: the client's answer. */
static void
answer_later(coap_session_t *ses, const coap_pdu_t *req, coap_async_t *a,
    coap_pdu_t *resp)
{
	struct result	*res = coap_async_get_app_data(a);
	struct rd_proxy_answer	 an;

	/* Not answered yet: a retransmission, acknowledged again. */
	if (res == NULL)
		return;
	coap_async_set_app_data(a, NULL);
	if (res->code != 0)
		cu_respond(resp, res->code, res->diag);
	else {
		an.code = res->dcode;
		an.opts = (const uint8_t *)res->opts.data;
		an.optlen = res->opts.len;
		an.body = (const uint8_t *)res->body.data;
		an.len = res->body.len;
		rd_proxy_msg_respond(ses, req, resp, &an, -1);
	}
	result_free(res);
}

static int
on_request(coap_resource_t *r, coap_session_t *ses, const coap_pdu_t *req,
    const coap_string_t *qs, coap_pdu_t *resp)
{
	coap_opt_iterator_t	 oi;
	coap_opt_t		*host;
	coap_async_t		*a;
	char			 ep[RD_PROXY_LABEL_MAX + 1];
	char			 d[RD_PROXY_LABEL_MAX + 1];

	if (P.rd == NULL ||
	    (host = coap_check_option(req, COAP_OPTION_URI_HOST, &oi)) ==
	    NULL || !rd_proxy_host(P.rd->reg.proxy_base,
	    (const char *)coap_opt_value(host), coap_opt_length(host), ep, d))
		return 0;
	/* The answer to a request that passed the gate: it owns a result. */
	if ((a = coap_find_async(ses, coap_pdu_get_token(req))) != NULL)
		answer_later(ses, req, a, resp);
	else if (authz_gate(ses, resp))
		forward(ses, req, resp, rd_registry_find(&P.rd->reg, ep,
		    d[0] ? d : NULL));
	return 1;
}

/*
 * Drops the sessions of registrations gone or no longer proxied. The
 * directory tells of removals only in batches, so the table is swept
 * whenever it doubled (bounded by twice the proxied registrations), and
 * every SWEEP_S seconds.
 */
static void
sweep(int always)
{
	struct bound		*b, *tmp;
	const struct rd_reg	*reg;

	if (!always && HASH_COUNT(P.bound) < P.sweep_at)
		return;
	HASH_ITER(hh, P.bound, b, tmp)
		if ((reg = rd_registry_find_id(&P.rd->reg, b->id)) == NULL ||
		    reg->proxy == NULL)
			forget(b);
	P.sweep_at = 2 * HASH_COUNT(P.bound) + 16;
}

static void
on_sweep(evutil_socket_t fd, short what, void *arg)
{
	sweep(1);
}

void
rd_proxy_coap_bind(const struct rd_reg *reg, coap_session_t *ses)
{
	struct bound *b;

	sweep(0);
	HASH_FIND(hh, P.bound, &reg->id, sizeof(reg->id), b);
	/*
	 * A base given over UDP or DTLS names where the device is (an
	 * admin's choice); over TCP and TLS the connection it registered on
	 * is the way to it.
	 */
	if (reg->proxy == NULL || (reg->c.base != NULL &&
	    (coap_session_get_proto(ses) == COAP_PROTO_UDP ||
	    coap_session_get_proto(ses) == COAP_PROTO_DTLS))) {
		if (b != NULL)
			forget(b);
		return;
	}
	/* Registered again, maybe by another device: nothing of the old. */
	rd_proxy_cache_drop(P.cache, reg->id);
	/* Held so that libcoap keeps it (and its 5-tuple) while idle. */
	if (b == NULL || b->ses != ses)
		hold(reg->id, ses, coap_session_get_ifindex(ses));
}

void
rd_proxy_coap_reconfigure(const struct config *c)
{
	P.timeout_s = c->proxy_timeout;
	P.per_device = c->proxy_inflight;
	P.max_total = c->proxy_max_inflight;
	P.max_body = c->max_payload;
	if (P.bodies != NULL)
		cu_bodies_set_max(P.bodies, c->max_payload);
	if (P.cache != NULL)
		rd_proxy_cache_set_max(P.cache, c->proxy_cache_size);
}

int
rd_proxy_coap_init(struct rd *rd, struct event_base *base,
    const struct config *c)
{
	struct timeval tv = { SWEEP_S, 0 };

	P.rd = rd;
	P.base = base;
	TAILQ_INIT(&P.fwds);
	TAILQ_INIT(&P.dying);
	if ((P.sweeper = event_new(base, -1, EV_PERSIST, on_sweep, NULL)) ==
	    NULL || event_add(P.sweeper, &tv) == -1)
		return -1;
	if ((P.cache = rd_proxy_cache_new(c->proxy_cache_size)) == NULL ||
	    (P.bodies = cu_bodies_new(c->max_payload)) == NULL)
		return -1;
	rd_proxy_coap_reconfigure(c);
	if (listen_add_response_hook(on_response) == -1 ||
	    listen_add_nack_hook(on_nack) == -1)
		return -1;
	cu_set_host_hook(on_request);
	return 0;
}

/* Before the contexts go: every session held here is released. */
void
rd_proxy_coap_free(void)
{
	struct bound	*b, *tmp;
	struct fwd	*f;

	cu_set_host_hook(NULL);
	if (P.sweeper != NULL)
		event_free(P.sweeper);
	P.sweeper = NULL;
	while ((f = TAILQ_FIRST(&P.fwds)) != NULL) {
		TAILQ_REMOVE(&P.fwds, f, entry);
		fwd_free(f);
	}
	fwd_cleanup(-1, 0, NULL);
	HASH_ITER(hh, P.bound, b, tmp)
		forget(b);
	P.n = 0;
	P.rd = NULL;
	rd_proxy_cache_free(P.cache);
	P.cache = NULL;
	cu_bodies_free(P.bodies);
	P.bodies = NULL;
}

static const struct stats_metric m_proxied = { "proxy_requests",
	"corehub_proxy_requests_total", "Requests to proxied devices by "
	"outcome: answered, cached (from a fresh copy), timeout (no answer "
	"in time), unreachable (no "
	"session or a bad answer) or refused (a cap was reached).",
	STATS_COUNTER, "outcome" };
static const struct stats_metric m_cache = { "proxy_cache_bytes",
	"corehub_proxy_cache_bytes", "Bytes of devices' answers the proxy "
	"keeps while they are fresh.", STATS_GAUGE, NULL };
static const struct stats_metric m_inflight = { "proxy_in_flight",
	"corehub_proxy_in_flight", "Requests forwarded to devices and not "
	"yet answered.", STATS_GAUGE, NULL };

void
rd_proxy_coap_stats(void *unused, struct stats_sink *s)
{
	static const char *const names[OUTCOMES] = {
		"answered", "cached", "timeout", "unreachable", "refused"
	};

	stats_declare(s, &m_proxied);
	for (size_t i = 0; i < OUTCOMES; i++)
		stats_put(s, &m_proxied, names[i], (double)P.outcomes[i]);
	stats_put(s, &m_inflight, NULL, (double)P.n);
	stats_put(s, &m_cache, NULL, P.cache ?
	    (double)rd_proxy_cache_bytes(P.cache) : 0);
}
