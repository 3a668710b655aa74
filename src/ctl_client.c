#include "ac_config.h"

#include <sys/types.h>
#include <sys/socket.h>

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <coap3/coap.h>

#include "buf.h"
#include "ctl_client.h"
#include "uri.h"

#define CTL_HOST_MAX	256
#define CTL_ECHO_MAX	40	/* RFC 9175: at most 40 bytes */
#define CTL_TICK_MS	200	/* how often a wait checks its deadline */
#define CTL_CANCEL_MS	2000	/* for the deregistration */
#define CTL_OPTION_MAX	255	/* Uri-Path and Uri-Query values */

enum ctl_state {
	CTL_IDLE,
	CTL_WAITING,		/* for the first answer */
	CTL_OBSERVING,		/* for notifications */
	CTL_CANCELLING,		/* for the answer to a deregistration */
	CTL_DONE
};

struct ctl_client {
	coap_context_t		*ctx;
	coap_session_t		*ses;
	coap_uri_scheme_t	 scheme;
	char			 host[CTL_HOST_MAX];
	uint16_t		 port;
	char			 base[CTL_HOST_MAX + 32];
	unsigned int		 timeout_ms;

	/* The exchange in progress. */
	enum ctl_state		 state;
	enum ctl_status		 status;
	uint8_t			 token[8];
	size_t			 toklen;
	struct ctl_response	 resp;		/* body aside */
	struct buf		 body;
	uint8_t			 echo[CTL_ECHO_MAX];
	size_t			 echolen;
	int			 echo_asked;	/* 4.01 with Echo */
	int			 echoed;	/* the request went again */
	const char		*why;		/* the session failure */
	int			 connected;	/* it was made once */
	ctl_notify_fn		 fn;		/* while observing */
	void			*arg;
	int			 fn_result;
};

static uint64_t
ctl_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
ctl_fail(struct ctl_client *c, enum ctl_status st)
{
	c->status = st;
	c->state = CTL_DONE;
}

/* A connection's failure is kept: it may come while no request waits. */
static void
ctl_fail_why(struct ctl_client *c, enum ctl_status st, const char *why)
{
	/* The first event says the most: a closed session follows. */
	if (c->why == NULL)
		c->why = why;
	if (c->state == CTL_WAITING || c->state == CTL_OBSERVING)
		ctl_fail(c, st);
}

static int
ctl_is_ours(const struct ctl_client *c, coap_bin_const_t tok)
{
	return tok.length == c->toklen &&
	    (c->toklen == 0 || memcmp(tok.s, c->token, c->toklen) == 0);
}

static unsigned int
ctl_uint_option(const coap_pdu_t *p, coap_option_num_t num, int *found)
{
	coap_opt_iterator_t	 it;
	coap_opt_t		*o = coap_check_option(p, num, &it);

	*found = o != NULL;
	return o ? coap_decode_var_bytes(coap_opt_value(o),
	    coap_opt_length(o)) : 0;
}

/* RFC 3986 pchar: what a path segment may hold unescaped. */
static int
ctl_is_pchar(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || strchr("-._~!$&'()*+,;=:@", ch) !=
	    NULL;
}

/* Location-Path and Location-Query as one reference: "/ps/1". */
static void
ctl_location(const coap_pdu_t *p, char *out, size_t size)
{
	coap_opt_iterator_t	 it;
	coap_opt_filter_t	 f;
	coap_opt_t		*o;
	struct buf		 b;
	int			 queries = 0;

	coap_option_filter_clear(&f);
	coap_option_filter_set(&f, COAP_OPTION_LOCATION_PATH);
	coap_option_filter_set(&f, COAP_OPTION_LOCATION_QUERY);
	coap_option_iterator_init(p, &it, &f);
	buf_init(&b, size - 1);
	while ((o = coap_option_next(&it)) != NULL) {
		const uint8_t	*v = coap_opt_value(o);
		size_t		 n = coap_opt_length(o);
		int		 path;

		path = it.number == COAP_OPTION_LOCATION_PATH;
		buf_addc(&b, path ? '/' : queries++ ? '&' : '?');
		for (size_t i = 0; i < n; i++)
			if (ctl_is_pchar(v[i]) && (path || v[i] != '&'))
				buf_addc(&b, (char)v[i]);
			else
				buf_printf(&b, "%%%02X", v[i]);
	}
	/* A location too long to keep is no location at all. */
	snprintf(out, size, "%s", b.overflow || b.data == NULL ? "" : b.data);
	buf_free(&b);
}

/* The first block of an answer (or its only one) says what it is. */
static void
ctl_begin(struct ctl_client *c, const coap_pdu_t *p)
{
	coap_pdu_code_t	code = coap_pdu_get_code(p);
	unsigned int	v;
	int		found;

	buf_reset(&c->body);
	c->resp.code = COAP_RESPONSE_CLASS(code) * 100 + (code & 0x1f);
	v = ctl_uint_option(p, COAP_OPTION_CONTENT_FORMAT, &found);
	c->resp.format = found ? (int)v : CTL_NONE;
	v = ctl_uint_option(p, COAP_OPTION_OBSERVE, &found);
	c->resp.observe = found ? (int64_t)v : -1;
	ctl_location(p, c->resp.location, sizeof(c->resp.location));
}

/* A whole answer: the request's, or one more notification. */
static void
ctl_complete(struct ctl_client *c)
{
	struct ctl_response	view = c->resp;
	int			r;

	if (c->state == CTL_WAITING && c->fn == NULL) {
		c->status = CTL_OK;
		c->state = CTL_DONE;
		return;
	}
	view.body = (uint8_t *)(c->body.data ? c->body.data : "");
	view.len = c->body.len;
	c->state = CTL_OBSERVING;
	r = c->fn(c->arg, &view);
	buf_reset(&c->body);
	if (r != 0 || view.observe < 0) {
		c->fn_result = r;
		c->status = CTL_OK;
		c->state = CTL_DONE;
	}
}

/*
 * Blocks are taken in order only, each once: libcoap asks for them, and
 * a body that grows past CTL_BODY_MAX ends the exchange.
 */
static void
ctl_take(struct ctl_client *c, const coap_pdu_t *p)
{
	const uint8_t	*data = NULL;
	size_t		 len = 0, off = 0, total = 0;
	coap_block_b_t	 b;
	int		 more = 0;

	memset(&b, 0, sizeof(b));
	if (!coap_get_data_large(p, &len, &data, &off, &total))
		len = 0;
	if (coap_get_block_b(c->ses, p, COAP_OPTION_BLOCK2, &b)) {
		more = b.m;
		if (off == 0 && total <= len)
			off = (size_t)b.num << (b.szx + 4);
	}
	if (off == 0)
		ctl_begin(c, p);
	else if (off < c->body.len)
		return;
	else if (off > c->body.len) {
		ctl_fail(c, CTL_EPROTO);
		return;
	}
	if (len > 0 && buf_add(&c->body, data, len) == -1) {
		ctl_fail(c, c->body.overflow ? CTL_ESIZE : CTL_ENOMEM);
		return;
	}
	if (!more)
		ctl_complete(c);
}

/* RFC 9175 section 2.3: a 4.01 with Echo asks for the request again. */
static int
ctl_echo_asked(struct ctl_client *c, const coap_pdu_t *p)
{
	coap_opt_iterator_t	 it;
	coap_opt_t		*o;

	if (c->echoed || c->state != CTL_WAITING ||
	    coap_pdu_get_code(p) != COAP_RESPONSE_CODE(401) ||
	    (o = coap_check_option(p, COAP_OPTION_ECHO, &it)) == NULL ||
	    coap_opt_length(o) == 0 || coap_opt_length(o) > CTL_ECHO_MAX)
		return 0;
	c->echolen = coap_opt_length(o);
	memcpy(c->echo, coap_opt_value(o), c->echolen);
	c->echo_asked = 1;
	return 1;
}

static coap_response_t
ctl_on_response(coap_session_t *ses, const coap_pdu_t *sent,
    const coap_pdu_t *rcvd, const coap_mid_t mid)
{
	struct ctl_client	*c = coap_get_app_data(
				    coap_session_get_context(ses));
	coap_opt_iterator_t	 it;

	(void)sent;
	(void)mid;
	if (c == NULL || coap_pdu_get_code(rcvd) == COAP_EMPTY_CODE)
		return COAP_RESPONSE_OK;
	/* A notification nobody waits for: the reset ends it. */
	if (!ctl_is_ours(c, coap_pdu_get_token(rcvd)))
		return coap_check_option(rcvd, COAP_OPTION_OBSERVE, &it) ?
		    COAP_RESPONSE_FAIL : COAP_RESPONSE_OK;
	if (c->state == CTL_CANCELLING) {
		c->state = CTL_DONE;
		return COAP_RESPONSE_OK;
	}
	if ((c->state != CTL_WAITING && c->state != CTL_OBSERVING) ||
	    ctl_echo_asked(c, rcvd))
		return COAP_RESPONSE_OK;
	ctl_take(c, rcvd);
	return COAP_RESPONSE_OK;
}

static void
ctl_on_nack(coap_session_t *ses, const coap_pdu_t *sent,
    const coap_nack_reason_t reason, const coap_mid_t mid)
{
	struct ctl_client *c = coap_get_app_data(
	    coap_session_get_context(ses));

	(void)mid;
	if (c == NULL || (c->state != CTL_WAITING &&
	    c->state != CTL_OBSERVING) ||
	    (sent != NULL && !ctl_is_ours(c, coap_pdu_get_token(sent))))
		return;
	switch (reason) {
	case COAP_NACK_TOO_MANY_RETRIES:
		ctl_fail(c, CTL_ETIMEOUT);
		break;
	case COAP_NACK_RST:
		ctl_fail(c, CTL_EPROTO);
		break;
	case COAP_NACK_TLS_FAILED:
		ctl_fail_why(c, CTL_ECONN, "the DTLS/TLS handshake failed "
		    "(a wrong key or certificate?)");
		break;
	default:
		ctl_fail_why(c, CTL_ECONN, "unreachable (is the daemon "
		    "listening there?)");
		break;
	}
}

static int
ctl_on_event(coap_session_t *ses, const coap_event_t ev)
{
	struct ctl_client *c = coap_get_app_data(
	    coap_session_get_context(ses));

	if (c == NULL)
		return 0;
	switch (ev) {
	case COAP_EVENT_DTLS_ERROR:
		ctl_fail_why(c, CTL_ECONN, "the DTLS/TLS handshake failed "
		    "(a wrong key or certificate?)");
		break;
	case COAP_EVENT_TCP_FAILED:
		ctl_fail_why(c, CTL_ECONN, "the connection was refused or "
		    "failed");
		break;
	case COAP_EVENT_SESSION_FAILED:
		ctl_fail_why(c, CTL_ECONN, "the session could not be made");
		break;
	case COAP_EVENT_DTLS_CLOSED:
	case COAP_EVENT_TCP_CLOSED:
	case COAP_EVENT_SESSION_CLOSED:
		ctl_fail_why(c, CTL_ECONN, c->connected ? "the daemon closed "
		    "the session" : "the session closed before it was made "
		    "(is the daemon listening there?)");
		break;
	case COAP_EVENT_DTLS_CONNECTED:
	case COAP_EVENT_TCP_CONNECTED:
	case COAP_EVENT_SESSION_CONNECTED:
		c->connected = 1;
		break;
	default:
		break;
	}
	return 0;
}

static int
ctl_opt(coap_optlist_t **l, uint16_t num, size_t len, const uint8_t *v)
{
	coap_optlist_t *o = coap_new_optlist(num, len, v);

	return o != NULL && coap_insert_optlist(l, o);
}

static int
ctl_opt_uint(coap_optlist_t **l, uint16_t num, unsigned int v)
{
	uint8_t b[4];

	return ctl_opt(l, num, coap_encode_var_safe(b, sizeof(b), v), b);
}

static int
ctl_hex(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* One percent-decoded segment of s[0..n) as an option. */
static enum ctl_status
ctl_opt_decoded(coap_optlist_t **l, uint16_t num, const char *s, size_t n)
{
	uint8_t	v[CTL_OPTION_MAX];
	size_t	len = 0;

	for (size_t i = 0; i < n; i++) {
		int hi, lo;

		if (len == sizeof(v))
			return CTL_EARG;
		if (s[i] == '%' && i + 2 < n &&
		    (hi = ctl_hex(s[i + 1])) >= 0 &&
		    (lo = ctl_hex(s[i + 2])) >= 0) {
			v[len++] = (uint8_t)(hi << 4 | lo);
			i += 2;
		} else
			v[len++] = (uint8_t)s[i];
	}
	return ctl_opt(l, num, len, v) ? CTL_OK : CTL_ENOMEM;
}

/* "/a/b?x=1&y": Uri-Path a, b and Uri-Query x=1, y (RFC 7252 6.4). */
static enum ctl_status
ctl_opt_path(coap_optlist_t **l, const char *path)
{
	const char	*q = strchr(path, '?'), *end, *s = path;
	enum ctl_status	 st;

	end = q ? q : path + strlen(path);
	if (*s == '/')
		s++;
	while (s < end) {
		const char *slash = memchr(s, '/', (size_t)(end - s));
		const char *stop = slash ? slash : end;

		if ((st = ctl_opt_decoded(l, COAP_OPTION_URI_PATH, s,
		    (size_t)(stop - s))) != CTL_OK)
			return st;
		s = slash ? slash + 1 : end;
		if (slash != NULL && s == end &&
		    (st = ctl_opt_decoded(l, COAP_OPTION_URI_PATH, s, 0)) !=
		    CTL_OK)
			return st;
	}
	for (s = q ? q + 1 : NULL; s != NULL && *s != '\0'; ) {
		const char *amp = strchr(s, '&');
		size_t n = amp ? (size_t)(amp - s) : strlen(s);

		if ((st = ctl_opt_decoded(l, COAP_OPTION_URI_QUERY, s, n)) !=
		    CTL_OK)
			return st;
		s = amp ? amp + 1 : NULL;
	}
	return CTL_OK;
}

static enum ctl_status
ctl_options(struct ctl_client *c, const struct ctl_request *rq, int observe,
    coap_optlist_t **l)
{
	enum ctl_status st;

	if ((st = ctl_opt_path(l, rq->path)) != CTL_OK)
		return st;
	for (size_t i = 0; i < rq->nquery; i++) {
		size_t n = strlen(rq->query[i]);

		if (n > CTL_OPTION_MAX)
			return CTL_EARG;
		if (!ctl_opt(l, COAP_OPTION_URI_QUERY, n,
		    (const uint8_t *)rq->query[i]))
			return CTL_ENOMEM;
	}
	if ((observe && !ctl_opt_uint(l, COAP_OPTION_OBSERVE, 0)) ||
	    (rq->format != CTL_NONE && !ctl_opt_uint(l,
	    COAP_OPTION_CONTENT_FORMAT, (unsigned int)rq->format)) ||
	    (rq->accept != CTL_NONE && !ctl_opt_uint(l, COAP_OPTION_ACCEPT,
	    (unsigned int)rq->accept)) ||
	    (c->echoed && !ctl_opt(l, COAP_OPTION_ECHO, c->echolen, c->echo)))
		return CTL_ENOMEM;
	return CTL_OK;
}

/* The request on the wire, under a new token. */
static enum ctl_status
ctl_send(struct ctl_client *c, const struct ctl_request *rq, int observe)
{
	coap_optlist_t	*opts = NULL;
	coap_pdu_t	*pdu;
	enum ctl_status	 st = CTL_ENOMEM;

	if ((pdu = coap_new_pdu(COAP_MESSAGE_CON, rq->method, c->ses)) ==
	    NULL)
		return CTL_ENOMEM;
	coap_session_new_token(c->ses, &c->toklen, c->token);
	if (!coap_add_token(pdu, c->toklen, c->token) ||
	    (st = ctl_options(c, rq, observe, &opts)) != CTL_OK ||
	    (opts != NULL && !coap_add_optlist_pdu(pdu, &opts)) ||
	    (rq->len > 0 && !coap_add_data_large_request(c->ses, pdu,
	    rq->len, rq->body, NULL, NULL))) {
		coap_delete_optlist(opts);
		coap_delete_pdu(pdu);
		return st != CTL_OK ? st : CTL_ENOMEM;
	}
	coap_delete_optlist(opts);
	c->state = CTL_WAITING;
	c->status = CTL_OK;
	if (coap_send(c->ses, pdu) == COAP_INVALID_MID)
		ctl_fail(c, CTL_ECONN);
	return CTL_OK;
}

static enum ctl_status
ctl_start(struct ctl_client *c, const struct ctl_request *rq, int observe)
{
	memset(&c->resp, 0, sizeof(c->resp));
	buf_reset(&c->body);
	c->echoed = c->echo_asked = 0;
	return ctl_send(c, rq, observe);
}

/* Runs libcoap until the first answer; CTL_OK once it came. */
static enum ctl_status
ctl_wait_first(struct ctl_client *c, const struct ctl_request *rq,
    int observe, volatile sig_atomic_t *stop)
{
	uint64_t	deadline = ctl_now_ms() + c->timeout_ms, now;
	enum ctl_status	st;

	while (c->state == CTL_WAITING && (stop == NULL || !*stop)) {
		if (c->echo_asked) {
			c->echo_asked = 0;
			c->echoed = 1;
			if ((st = ctl_send(c, rq, observe)) != CTL_OK)
				return st;
			deadline = ctl_now_ms() + c->timeout_ms;
		}
		if ((now = ctl_now_ms()) >= deadline) {
			c->state = CTL_IDLE;
			return CTL_ETIMEOUT;
		}
		coap_io_process(c->ctx, (uint32_t)(deadline - now <
		    CTL_TICK_MS ? deadline - now : CTL_TICK_MS));
	}
	return c->state == CTL_DONE ? c->status : CTL_OK;
}

enum ctl_status
ctl_request(struct ctl_client *c, const struct ctl_request *rq,
    struct ctl_response *out)
{
	enum ctl_status st;

	memset(out, 0, sizeof(*out));
	c->fn = NULL;
	if ((st = ctl_start(c, rq, 0)) != CTL_OK ||
	    (st = ctl_wait_first(c, rq, 0, NULL)) != CTL_OK) {
		c->state = CTL_IDLE;
		return st;
	}
	c->state = CTL_IDLE;
	*out = c->resp;
	out->len = c->body.len;
	out->body = (uint8_t *)buf_release(&c->body);
	if (out->body == NULL && (out->body = calloc(1, 1)) == NULL)
		return CTL_ENOMEM;
	return CTL_OK;
}

void
ctl_response_free(struct ctl_response *r)
{
	free(r->body);
	memset(r, 0, sizeof(*r));
}

/* Tells the server the observation is over, briefly waiting for it. */
static void
ctl_cancel(struct ctl_client *c)
{
	coap_binary_t	tok = { c->toklen, c->token };
	uint64_t	deadline = ctl_now_ms() + CTL_CANCEL_MS;

	c->state = CTL_CANCELLING;
	if (!coap_cancel_observe(c->ses, &tok, COAP_MESSAGE_CON))
		return;
	while (c->state == CTL_CANCELLING && ctl_now_ms() < deadline)
		coap_io_process(c->ctx, CTL_TICK_MS);
}

int
ctl_observe(struct ctl_client *c, const struct ctl_request *rq,
    ctl_notify_fn fn, void *arg, volatile sig_atomic_t *stop)
{
	enum ctl_status st;

	c->fn = fn;
	c->arg = arg;
	c->fn_result = 0;
	if ((st = ctl_start(c, rq, 1)) != CTL_OK ||
	    (st = ctl_wait_first(c, rq, 1, stop)) != CTL_OK)
		goto out;
	while (c->state == CTL_OBSERVING && !*stop)
		coap_io_process(c->ctx, CTL_TICK_MS);
	if (c->state == CTL_OBSERVING)
		ctl_cancel(c);
	st = c->state == CTL_DONE && c->status != CTL_OK ? c->status :
	    CTL_OK;
out:
	c->fn = NULL;
	c->state = CTL_IDLE;
	return st != CTL_OK ? (int)st : c->fn_result;
}

static const char *
ctl_scheme_name(coap_uri_scheme_t s)
{
	switch (s) {
	case COAP_URI_SCHEME_COAP:
		return "coap";
	case COAP_URI_SCHEME_COAPS:
		return "coaps";
	case COAP_URI_SCHEME_COAP_TCP:
		return "coap+tcp";
	case COAP_URI_SCHEME_COAPS_TCP:
		return "coaps+tcp";
	default:
		return NULL;
	}
}

/* The parts of uri a session needs; -1 when it is not a CoAP URI. */
static int
ctl_parse_uri(struct ctl_client *c, const char *uri)
{
	coap_uri_t u;

	if (coap_split_uri((const uint8_t *)uri, strlen(uri), &u) < 0 ||
	    ctl_scheme_name(u.scheme) == NULL || u.host.length == 0 ||
	    u.host.length >= sizeof(c->host))
		return -1;
	memcpy(c->host, u.host.s, u.host.length);
	c->host[u.host.length] = '\0';
	c->port = u.port;
	c->scheme = u.scheme;
	snprintf(c->base, sizeof(c->base), strchr(c->host, ':') ?
	    "%s://[%s]:%u" : "%s://%s:%u", ctl_scheme_name(c->scheme),
	    c->host, c->port);
	return 0;
}

static int
ctl_is_tcp(coap_uri_scheme_t s)
{
	return s == COAP_URI_SCHEME_COAP_TCP || s == COAP_URI_SCHEME_COAPS_TCP;
}

static int
ctl_resolve(const struct ctl_client *c, coap_address_t *addr, char *err,
    size_t errsz)
{
	struct addrinfo	 hints, *res;
	int		 e;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = ctl_is_tcp(c->scheme) ? SOCK_STREAM : SOCK_DGRAM;
	if ((e = getaddrinfo(c->host, NULL, &hints, &res)) != 0) {
		snprintf(err, errsz, "%s: %s", c->host, gai_strerror(e));
		return -1;
	}
	coap_address_init(addr);
	addr->size = res->ai_addrlen <= sizeof(addr->addr) ?
	    res->ai_addrlen : sizeof(addr->addr);
	memcpy(&addr->addr, res->ai_addr, addr->size);
	coap_address_set_port(addr, c->port);
	freeaddrinfo(res);
	return 0;
}

static coap_proto_t
ctl_proto(coap_uri_scheme_t s)
{
	switch (s) {
	case COAP_URI_SCHEME_COAPS:
		return COAP_PROTO_DTLS;
	case COAP_URI_SCHEME_COAP_TCP:
		return COAP_PROTO_TCP;
	case COAP_URI_SCHEME_COAPS_TCP:
		return COAP_PROTO_TLS;
	default:
		return COAP_PROTO_UDP;
	}
}

static coap_session_t *
ctl_session_psk(struct ctl_client *c, const coap_address_t *a,
    const struct ctl_config *cfg)
{
	coap_dtls_cpsk_t s;

	memset(&s, 0, sizeof(s));
	s.version = COAP_DTLS_CPSK_SETUP_VERSION;
	s.client_sni = c->host;
	s.psk_info.identity.s = (const uint8_t *)cfg->psk_identity;
	s.psk_info.identity.length = strlen(cfg->psk_identity);
	s.psk_info.key.s = (const uint8_t *)cfg->psk_key;
	s.psk_info.key.length = strlen(cfg->psk_key);
	return coap_new_client_session_psk2(c->ctx, NULL, a,
	    ctl_proto(c->scheme), &s);
}

static coap_session_t *
ctl_session_pki(struct ctl_client *c, const coap_address_t *a,
    const struct ctl_config *cfg)
{
	coap_dtls_pki_t s;

	memset(&s, 0, sizeof(s));
	s.version = COAP_DTLS_PKI_SETUP_VERSION;
	s.verify_peer_cert = !cfg->no_verify;
	s.check_common_ca = !cfg->no_verify && cfg->ca_file != NULL;
	s.cert_chain_validation = 1;
	s.cert_chain_verify_depth = 3;
	s.allow_no_crl = 1;
	s.client_sni = c->host;
	s.pki_key.key_type = COAP_PKI_KEY_PEM;
	s.pki_key.key.pem.ca_file = cfg->no_verify ? NULL : cfg->ca_file;
	s.pki_key.key.pem.public_cert = cfg->cert_file;
	s.pki_key.key.pem.private_key = cfg->key_file ? cfg->key_file :
	    cfg->cert_file;
	return coap_new_client_session_pki(c->ctx, NULL, a,
	    ctl_proto(c->scheme), &s);
}

/* Credentials must fit the scheme; 0 or -1 with err set. */
static int
ctl_check_config(const struct ctl_client *c, const struct ctl_config *cfg,
    char *err, size_t errsz)
{
	int secure = c->scheme == COAP_URI_SCHEME_COAPS ||
	    c->scheme == COAP_URI_SCHEME_COAPS_TCP;
	int psk = cfg->psk_identity != NULL || cfg->psk_key != NULL;
	int pki = cfg->cert_file != NULL || cfg->key_file != NULL ||
	    cfg->ca_file != NULL;

	if (!secure && (psk || pki || cfg->no_verify))
		snprintf(err, errsz, "-u, -k, -c, -j, -C and -n need a "
		    "coaps:// or coaps+tcp:// URI");
	else if (psk && (cfg->psk_identity == NULL || cfg->psk_key == NULL))
		snprintf(err, errsz, "-u and -k go together");
	else if (psk && (cfg->cert_file != NULL || cfg->key_file != NULL))
		snprintf(err, errsz, "a PSK (-u, -k) or a certificate "
		    "(-c, -j), not both");
	else if (cfg->key_file != NULL && cfg->cert_file == NULL)
		snprintf(err, errsz, "-j needs -c");
	else
		return 0;
	return -1;
}

static coap_session_t *
ctl_session(struct ctl_client *c, const coap_address_t *a,
    const struct ctl_config *cfg)
{
	if (c->scheme == COAP_URI_SCHEME_COAP ||
	    c->scheme == COAP_URI_SCHEME_COAP_TCP)
		return coap_new_client_session(c->ctx, NULL, a,
		    ctl_proto(c->scheme));
	if (cfg->psk_identity != NULL)
		return ctl_session_psk(c, a, cfg);
	return ctl_session_pki(c, a, cfg);
}

static int
ctl_supported(coap_uri_scheme_t s)
{
	switch (s) {
	case COAP_URI_SCHEME_COAPS:
		return coap_dtls_is_supported();
	case COAP_URI_SCHEME_COAP_TCP:
		return coap_tcp_is_supported();
	case COAP_URI_SCHEME_COAPS_TCP:
		return coap_tls_is_supported();
	default:
		return 1;
	}
}

static int
ctl_connect(struct ctl_client *c, const struct ctl_config *cfg, char *err,
    size_t errsz)
{
	coap_address_t addr;

	if (!ctl_supported(c->scheme)) {
		snprintf(err, errsz, "%s:// is not supported by this libcoap",
		    ctl_scheme_name(c->scheme));
		return -1;
	}
	if (ctl_resolve(c, &addr, err, errsz) == -1)
		return -1;
	if ((c->ctx = coap_new_context(NULL)) == NULL) {
		snprintf(err, errsz, "cannot make a CoAP context");
		return -1;
	}
	coap_set_app_data(c->ctx, c);
	/* Not SINGLE_BODY: libcoap would size the body from Size2. */
	coap_context_set_block_mode(c->ctx, COAP_BLOCK_USE_LIBCOAP);
	coap_register_response_handler(c->ctx, ctl_on_response);
	coap_register_nack_handler(c->ctx, ctl_on_nack);
	coap_register_event_handler(c->ctx, ctl_on_event);
	if ((c->ses = ctl_session(c, &addr, cfg)) == NULL) {
		snprintf(err, errsz, "%s: cannot open a session", c->base);
		return -1;
	}
	return 0;
}

struct ctl_client *
ctl_client_open(const struct ctl_config *cfg, char *err, size_t errsz,
    int *usage)
{
	struct ctl_client *c;

	*usage = 0;
	if ((c = calloc(1, sizeof(*c))) == NULL) {
		snprintf(err, errsz, "out of memory");
		return NULL;
	}
	buf_init(&c->body, CTL_BODY_MAX);
	c->timeout_ms = cfg->timeout_s * 1000;
	coap_set_log_level((coap_log_t)cfg->log_level);
	coap_dtls_set_log_level(cfg->log_level);
	if (ctl_parse_uri(c, cfg->uri) == -1 || ctl_check_config(c, cfg,
	    err, errsz) == -1) {
		if (err[0] == '\0')
			snprintf(err, errsz, "%s: not a coap, coaps, coap+tcp "
			    "or coaps+tcp URI", cfg->uri);
		*usage = 1;
		ctl_client_close(c);
		return NULL;
	}
	if (ctl_connect(c, cfg, err, errsz) == -1) {
		ctl_client_close(c);
		return NULL;
	}
	return c;
}

void
ctl_client_close(struct ctl_client *c)
{
	if (c == NULL)
		return;
	if (c->ses != NULL)
		coap_session_release(c->ses);
	if (c->ctx != NULL)
		coap_free_context(c->ctx);
	buf_free(&c->body);
	free(c);
}

const char *
ctl_client_base(const struct ctl_client *c)
{
	return c->base;
}

int
ctl_client_path(const struct ctl_client *c, const char *ref, char *out,
    size_t size)
{
	struct buf	abs;
	coap_uri_t	u;
	int		ok, n;

	buf_init(&abs, CTL_PATH_MAX * 2);
	if (uri_resolve(c->base, ref, &abs) == -1 || abs.data == NULL) {
		buf_free(&abs);
		return -1;
	}
	ok = coap_split_uri((const uint8_t *)abs.data, abs.len, &u) == 0 &&
	    u.scheme == c->scheme && u.port == c->port &&
	    u.host.length == strlen(c->host) &&
	    strncasecmp((const char *)u.host.s, c->host, u.host.length) == 0;
	n = ok ? snprintf(out, size, "/%.*s%s%.*s", (int)u.path.length,
	    (const char *)u.path.s, u.query.length ? "?" : "",
	    (int)u.query.length, (const char *)u.query.s) : -1;
	buf_free(&abs);
	return n < 0 || (size_t)n >= size ? -1 : 0;
}

const char *
ctl_client_error(const struct ctl_client *c, enum ctl_status st)
{
	int secure = c->scheme == COAP_URI_SCHEME_COAPS ||
	    c->scheme == COAP_URI_SCHEME_COAPS_TCP;

	if (c->why != NULL && st == CTL_ECONN)
		return c->why;
	/* A handshake that never ends looks like silence. */
	if (st == CTL_ETIMEOUT && secure && c->ses != NULL &&
	    coap_session_get_state(c->ses) != COAP_SESSION_STATE_ESTABLISHED)
		return "no DTLS/TLS session";
	return ctl_status_text(st);
}

const char *
ctl_status_text(enum ctl_status s)
{
	switch (s) {
	case CTL_OK:
		return "success";
	case CTL_ETIMEOUT:
		return "no answer";
	case CTL_ECONN:
		return "cannot reach the daemon";
	case CTL_ESIZE:
		return "the answer is too large";
	case CTL_EPROTO:
		return "the daemon reset the request, or broke a block-wise "
		    "transfer";
	case CTL_ENOMEM:
		return "out of memory";
	case CTL_EARG:
		return "a path or query is too long";
	}
	return "unknown error";
}

const char *
ctl_code_text(unsigned int code, char *buf, size_t size)
{
	snprintf(buf, size, "%u.%02u", code / 100 % 10, code % 100);
	return buf;
}

const char *
ctl_code_phrase(unsigned int code)
{
	const char *p = coap_response_phrase((unsigned char)
	    COAP_RESPONSE_CODE(code));

	return p != NULL ? p : "";
}
