#include "ac_config.h"

#include <sys/queue.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <uthash.h>

#include "batch.h"
#include "buf.h"
#include "coaputil.h"
#include "log.h"
#include "stats.h"
#include "wellknown.h"

uint64_t
cu_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
options(const coap_pdu_t *req, coap_option_num_t num, coap_opt_iterator_t *oi)
{
	coap_opt_filter_t f;

	coap_option_filter_clear(&f);
	coap_option_filter_set(&f, num);
	coap_option_iterator_init(req, oi, &f);
}

int
cu_queries(const coap_pdu_t *req, struct cu_query *q)
{
	coap_opt_iterator_t	 oi;
	coap_opt_t		*opt;

	q->n = 0;
	options(req, COAP_OPTION_URI_QUERY, &oi);
	while ((opt = coap_option_next(&oi)) != NULL) {
		if (q->n == CU_QUERY_MAX)
			return -1;
		q->opt[q->n] = (const char *)coap_opt_value(opt);
		q->len[q->n++] = coap_opt_length(opt);
	}
	return 0;
}

long
cu_uint_option(const coap_pdu_t *req, coap_option_num_t num)
{
	coap_opt_iterator_t	 oi;
	coap_opt_t		*opt = coap_check_option(req, num, &oi);

	if (opt == NULL)
		return -1;
	return (long)coap_decode_var_bytes(coap_opt_value(opt),
	    coap_opt_length(opt));
}

int
cu_path(const coap_pdu_t *req, char *out, size_t size)
{
	coap_opt_iterator_t	 oi;
	coap_opt_t		*opt;
	size_t			 n = 0, len;

	options(req, COAP_OPTION_URI_PATH, &oi);
	while ((opt = coap_option_next(&oi)) != NULL) {
		len = coap_opt_length(opt);
		if (n + len + 2 > size || n + len + 1 > CU_PATH_MAX)
			return -1;
		out[n++] = '/';
		memcpy(out + n, coap_opt_value(opt), len);
		n += len;
	}
	if (size == 0)
		return -1;
	out[n] = '\0';
	/* Segments with "/" or NUL in them would alias other paths. */
	return strlen(out) == n ? 0 : -1;
}

const coap_string_t *
cu_block_key(const coap_pdu_t *req, const coap_string_t *qs, char *buf,
    size_t size, coap_string_t *out)
{
	size_t n;

	if (cu_path(req, buf, size) == -1)
		buf[0] = '\0';
	n = strlen(buf);
	if (qs != NULL && qs->length > 0 && n + 1 + qs->length < size) {
		buf[n++] = '?';
		memcpy(buf + n, qs->s, qs->length);
		n += qs->length;
		buf[n] = '\0';
	}
	out->s = (uint8_t *)buf;
	out->length = n;
	return out;
}

void
cu_respond(coap_pdu_t *resp, unsigned int code, const char *diag)
{
	coap_pdu_set_code(resp, COAP_RESPONSE_CODE(code));
	if (diag != NULL)
		coap_add_data(resp, strlen(diag), (const uint8_t *)diag);
}

int
cu_block2_past_end(const coap_block_t *blk, size_t len)
{
	return blk->num > 0 &&
	    (uint64_t)blk->num << (blk->szx + 4) >= (uint64_t)len;
}

int
cu_block2(coap_pdu_t *resp, const coap_block_t *blk, unsigned int szx,
    const uint8_t *data, size_t len)
{
	size_t size, off;

	/* The offset is the client's (RFC 7959 2.4), the size ours. */
	off = blk != NULL ? (size_t)blk->num << (blk->szx + 4) : 0;
	if (blk != NULL && blk->szx < szx)
		szx = blk->szx;
	size = (size_t)1 << (szx + 4);
	if (off > len)
		off = len;
	if (len > size) {
		cu_add_uint_option(resp, COAP_OPTION_BLOCK2,
		    (unsigned int)(off / size) << 4 |
		    (off + size < len) << 3 | szx);
		if (off == 0)
			cu_add_uint_option(resp, COAP_OPTION_SIZE2,
			    (unsigned int)len);
	}
	if (len > off && !coap_add_data(resp, len - off < size ? len - off :
	    size, data + off))
		return -1;
	return 0;
}

void
cu_add_uint_option(coap_pdu_t *pdu, coap_option_num_t num, unsigned int v)
{
	uint8_t buf[4];

	coap_add_option(pdu, num, coap_encode_var_safe(buf, sizeof(buf), v),
	    buf);
}

void
cu_respond_max_age(coap_pdu_t *resp, unsigned int code, unsigned int max_age,
    const char *diag)
{
	coap_pdu_set_code(resp, COAP_RESPONSE_CODE(code));
	cu_add_uint_option(resp, COAP_OPTION_MAXAGE, max_age);
	if (diag != NULL)
		coap_add_data(resp, strlen(diag), (const uint8_t *)diag);
}

void
cu_free_payload(coap_session_t *ses, void *p)
{
	(void)ses;
	free(p);
}

void
cu_add_location(coap_pdu_t *resp, const char *path, uint64_t id)
{
	char	 copy[CU_PATH_MAX + 1], num[24];
	char	*seg, *save;

	snprintf(copy, sizeof(copy), "%s", path);
	for (seg = strtok_r(copy, "/", &save); seg;
	    seg = strtok_r(NULL, "/", &save))
		coap_add_option(resp, COAP_OPTION_LOCATION_PATH, strlen(seg),
		    (const uint8_t *)seg);
	if (id == 0)
		return;
	snprintf(num, sizeof(num), "%llu", (unsigned long long)id);
	coap_add_option(resp, COAP_OPTION_LOCATION_PATH, strlen(num),
	    (const uint8_t *)num);
}

coap_resource_t *
cu_resource(coap_context_t *ctx, const char *path, const char *rt,
    void *userdata)
{
	return cu_resource_ct(ctx, path, rt, "40", userdata);
}

coap_resource_t *
cu_resource_ct(coap_context_t *ctx, const char *path, const char *rt,
    const char *ct, void *userdata)
{
	coap_str_const_t	*p = coap_new_str_const((const uint8_t *)path + 1,
				    strlen(path) - 1);
	coap_resource_t		*r;

	if (p == NULL ||
	    (r = coap_resource_init(p, COAP_RESOURCE_FLAGS_RELEASE_URI)) ==
	    NULL) {
		coap_delete_str_const(p);
		log_warnx("coap", "%s: out of memory, not served", path);
		return NULL;
	}
	coap_resource_set_userdata(r, userdata);
	coap_add_attr(r, coap_make_str_const("rt"), coap_make_str_const(rt), 0);
	coap_add_attr(r, coap_make_str_const("ct"), coap_make_str_const(ct),
	    0);
	coap_add_resource(ctx, r);
	wellknown_add(ctx, r);
	return r;
}

/* The handlers of one resource, by method (COAP_REQUEST_GET is 1). */
struct handlers {
	const coap_resource_t	*r;
	coap_method_handler_t	 h[COAP_REQUEST_IPATCH + 1];
	int			 quiet;
	UT_hash_handle		 hh;
};

static struct handlers	*handlers;

/*
 * Answers to confirmable requests that change something, by message:
 * libcoap 4.3.1 hands a retransmitted request (its ACK was lost) to the
 * handler again, and a change must be made once (RFC 7252 4.5). The
 * retransmission gets the same answer; one answered by a separate
 * response gets an empty ACK, the response itself being retransmitted
 * until acknowledged.
 */
#define SEEN_MAX		4096
#define EXCHANGE_LIFETIME_MS	247000
#define SEEN_ANSWER_MAX		512	/* options and payload kept */

struct seen_key {
	const coap_session_t	*ses;
	coap_mid_t		 mid;
	uint8_t			 tok[8];
	size_t			 toklen;
};

struct seen {
	struct seen_key		 key;
	uint64_t		 ms;
	coap_pdu_code_t		 code;		/* 0: a separate response */
	size_t			 len;		/* of answer */
	uint8_t			 answer[SEEN_ANSWER_MAX];	/* opts, data */
	int			 complete;	/* answer held it all */
	UT_hash_handle		 hh;
};

static struct seen	*seen;
static size_t		 nseen;

static void
seen_key(const coap_session_t *ses, const coap_pdu_t *req, struct seen_key *k)
{
	coap_bin_const_t tok = coap_pdu_get_token(req);

	memset(k, 0, sizeof(*k));
	k->ses = ses;
	k->mid = coap_pdu_get_mid(req);
	k->toklen = tok.length <= sizeof(k->tok) ? tok.length : 0;
	memcpy(k->tok, tok.s, k->toklen);
}

static void
seen_drop_old(uint64_t now)
{
	struct seen *s, *tmp;

	HASH_ITER(hh, seen, s, tmp) {
		if (now - s->ms < EXCHANGE_LIFETIME_MS && nseen < SEEN_MAX)
			break;	/* oldest first: the rest are younger */
		HASH_DEL(seen, s);
		free(s);
		nseen--;
	}
}

/* Options as (number, length, value) records, then the payload. */
static void
seen_store(const coap_session_t *ses, const coap_pdu_t *req,
    const coap_pdu_t *resp)
{
	coap_opt_iterator_t	 oi;
	coap_opt_t		*opt;
	struct seen		*s;
	const uint8_t		*data;
	size_t			 dlen = 0, n = 0;

	seen_drop_old(cu_now_ms());
	if ((s = calloc(1, sizeof(*s))) == NULL)
		return;
	seen_key(ses, req, &s->key);
	s->ms = cu_now_ms();
	s->code = coap_pdu_get_code(resp);
	s->complete = 1;
	coap_option_iterator_init(resp, &oi, COAP_OPT_ALL);
	while ((opt = coap_option_next(&oi)) != NULL && s->complete) {
		size_t l = coap_opt_length(opt);

		if (n + 4 + l > sizeof(s->answer)) {
			s->complete = 0;
			break;
		}
		s->answer[n++] = (uint8_t)(oi.number >> 8);
		s->answer[n++] = (uint8_t)oi.number;
		s->answer[n++] = (uint8_t)(l >> 8);
		s->answer[n++] = (uint8_t)l;
		memcpy(s->answer + n, coap_opt_value(opt), l);
		n += l;
	}
	s->answer[n++ % sizeof(s->answer)] = 0xff;	/* end of options */
	if (coap_get_data(resp, &dlen, &data) && dlen > 0) {
		if (n + dlen > sizeof(s->answer))
			s->complete = 0;
		else {
			memcpy(s->answer + n, data, dlen);
			n += dlen;
		}
	}
	s->len = n;
	HASH_ADD(hh, seen, key, sizeof(s->key), s);
	nseen++;
}

/* The answer given before, again; 0 when it could not be kept whole. */
static int
seen_replay(const struct seen *s, coap_pdu_t *resp)
{
	size_t n = 0;

	if (!s->complete)
		return 0;
	coap_pdu_set_code(resp, s->code);
	while (n + 4 <= s->len && s->answer[n] != 0xff) {
		uint16_t num = (uint16_t)(s->answer[n] << 8 | s->answer[n + 1]);
		size_t l = (size_t)(s->answer[n + 2] << 8 | s->answer[n + 3]);

		coap_add_option(resp, num, l, s->answer + n + 4);
		n += 4 + l;
	}
	if (n + 1 < s->len)
		coap_add_data(resp, s->len - n - 1, s->answer + n + 1);
	return 1;
}

/* Whether req repeats a change already made; resp is then set. */
static int
seen_before(const coap_session_t *ses, const coap_pdu_t *req,
    coap_pdu_t *resp)
{
	struct seen_key	 k;
	struct seen	*s;

	if (coap_pdu_get_type(req) != COAP_MESSAGE_CON)
		return 0;
	seen_key(ses, req, &k);
	HASH_FIND(hh, seen, &k, sizeof(k), s);
	if (s == NULL || cu_now_ms() - s->ms >= EXCHANGE_LIFETIME_MS)
		return 0;
	/* A separate response: ACK again (the handler leaves it empty). */
	if (s->code == 0 || seen_replay(s, resp))
		return 1;
	cu_respond(resp, 500, "a retransmission whose answer was not kept");
	return 1;
}

void
cu_seen_session_closed(const coap_session_t *ses)
{
	struct seen *s, *tmp;

	HASH_ITER(hh, seen, s, tmp) {
		if (s->key.ses == ses) {
			HASH_DEL(seen, s);
			free(s);
			nseen--;
		}
	}
}

static cu_host_fn host_hook;

void
cu_set_host_hook(cu_host_fn fn)
{
	host_hook = fn;
}

static int
taken_by_host_hook(coap_resource_t *r, coap_session_t *ses,
    const coap_pdu_t *req, const coap_string_t *qs, coap_pdu_t *resp)
{
	coap_opt_iterator_t oi;

	return host_hook != NULL &&
	    coap_check_option(req, COAP_OPTION_URI_HOST, &oi) != NULL &&
	    host_hook(r, ses, req, qs, resp);
}

static void
trampoline(coap_resource_t *r, coap_session_t *ses, const coap_pdu_t *req,
    const coap_string_t *qs, coap_pdu_t *resp)
{
	struct handlers		*hs;
	unsigned int		 method = coap_pdu_get_code(req);
	coap_pdu_code_t		 code;
	int			 async, changes;

	HASH_FIND_PTR(handlers, &r, hs);
	if (hs == NULL || method > (unsigned int)COAP_REQUEST_IPATCH ||
	    hs->h[method] == NULL) {
		/* libcoap only calls what was registered: not reached. */
		cu_respond(resp, 500, NULL);
		return;
	}
	/* A triggered coap_async comes back here: one request, not two. */
	async = coap_find_async(ses, coap_pdu_get_token(req)) != NULL;
	changes = method != COAP_REQUEST_GET && method != COAP_REQUEST_FETCH;
	if (changes && !async && seen_before(ses, req, resp))
		return;
	if (!async)
		stats_request(method, hs->quiet);
	if (!taken_by_host_hook(r, ses, req, qs, resp))
		hs->h[method](r, ses, req, qs, resp);
	if (changes && !async && coap_pdu_get_type(req) == COAP_MESSAGE_CON)
		seen_store(ses, req, resp);
	/* No code: an empty ACK now, the answer later (counted then). */
	if ((code = coap_pdu_get_code(resp)) != COAP_EMPTY_CODE)
		stats_response(code, hs->quiet);
}

static void
register_handler(coap_resource_t *r, coap_request_t method,
    coap_method_handler_t h, int quiet)
{
	struct handlers *hs;

	if ((unsigned int)method > COAP_REQUEST_IPATCH)
		return;
	HASH_FIND_PTR(handlers, &r, hs);
	if (hs == NULL) {
		if ((hs = calloc(1, sizeof(*hs))) == NULL) {
			log_warnx("coap", "out of memory: a method not served");
			return;
		}
		hs->r = r;
		HASH_ADD_PTR(handlers, r, hs);
	}
	hs->h[method] = h;
	hs->quiet = quiet;
	coap_register_handler(r, method, trampoline);
}

void
cu_register(coap_resource_t *r, coap_request_t method,
    coap_method_handler_t h)
{
	register_handler(r, method, h, 0);
}

void
cu_register_quiet(coap_resource_t *r, coap_request_t method,
    coap_method_handler_t h)
{
	register_handler(r, method, h, 1);
}

void
cu_register_reset(void)
{
	struct handlers *hs, *tmp;
	struct seen *s, *stmp;

	HASH_ITER(hh, seen, s, stmp) {
		HASH_DEL(seen, s);
		free(s);
	}
	nseen = 0;

	HASH_ITER(hh, handlers, hs, tmp) {
		HASH_DEL(handlers, hs);
		free(hs);
	}
}

#define PARTIALS_MAX	64
#define PARTIAL_TTL_MS	60000

struct cu_partial {
	coap_session_t	*ses;
	struct buf	 body;
	uint64_t	 last_ms;
};

struct cu_bodies {
	size_t			max;
	struct cu_partial	partials[PARTIALS_MAX];
};

struct cu_bodies *
cu_bodies_new(size_t max)
{
	struct cu_bodies *b;

	if ((b = calloc(1, sizeof(*b))) != NULL)
		b->max = max;
	return b;
}

void
cu_body_release(struct cu_partial *p)
{
	if (p == NULL)
		return;
	buf_free(&p->body);
	p->ses = NULL;
}

void
cu_bodies_free(struct cu_bodies *b)
{
	if (b == NULL)
		return;
	for (size_t i = 0; i < PARTIALS_MAX; i++)
		cu_body_release(&b->partials[i]);
	free(b);
}

void
cu_bodies_set_max(struct cu_bodies *b, size_t max)
{
	b->max = max;
}

/* The session's body in progress, or a free (or the oldest) slot. */
static struct cu_partial *
partial_find(struct cu_bodies *b, const coap_session_t *ses, int create)
{
	struct cu_partial	*slot = NULL;
	uint64_t		 now = cu_now_ms();

	for (size_t i = 0; i < PARTIALS_MAX; i++) {
		struct cu_partial *p = &b->partials[i];

		if (p->ses != NULL && now - p->last_ms > PARTIAL_TTL_MS)
			cu_body_release(p);
		if (p->ses == ses && ses != NULL)
			return p;
		if (slot == NULL || (slot->ses != NULL && (p->ses == NULL ||
		    p->last_ms < slot->last_ms)))
			slot = p;
	}
	if (!create)
		return NULL;
	cu_body_release(slot);
	return slot;
}

static void
too_large(coap_pdu_t *resp, size_t max)
{
	cu_add_uint_option(resp, COAP_OPTION_SIZE1, (unsigned int)max);
	cu_respond(resp, 413, "body too large");
}

enum cu_body
cu_body_get(struct cu_bodies *b, coap_session_t *ses, const coap_pdu_t *req,
    coap_pdu_t *resp, const uint8_t **data, size_t *len,
    struct cu_partial **held)
{
	size_t			 offset = 0, total = 0;
	struct cu_partial	*p;

	*held = NULL;
	*len = 0;
	*data = (const uint8_t *)"";
	if (!coap_get_data_large(req, len, data, &offset, &total))
		return CU_BODY_DONE;
	if (offset == 0 && total == *len) {
		if (*len > b->max) {
			too_large(resp, b->max);
			return CU_BODY_ERROR;
		}
		return CU_BODY_DONE;
	}
	p = partial_find(b, ses, offset == 0);
	if (offset == 0) {
		cu_body_release(p);
		buf_init(&p->body, b->max);
		p->ses = ses;
	}
	if (p == NULL || offset != p->body.len) {
		cu_body_release(p);
		cu_respond(resp, 408, "blocks out of order");
		return CU_BODY_ERROR;
	}
	if (total > b->max || buf_add(&p->body, *data, *len) == -1) {
		cu_body_release(p);
		too_large(resp, b->max);
		return CU_BODY_ERROR;
	}
	p->last_ms = cu_now_ms();
	if (total > offset + *len) {
		coap_pdu_set_code(resp, COAP_RESPONSE_CODE(231));
		return CU_BODY_MORE;
	}
	*data = (const uint8_t *)(p->body.data ? p->body.data : "");
	*len = p->body.len;
	*held = p;
	return CU_BODY_DONE;
}

#define DEFER_TOKEN_MAX	8

struct deferred {
	TAILQ_ENTRY(deferred)	 entry;
	coap_session_t		*ses;		/* referenced */
	uint8_t			 tok[DEFER_TOKEN_MAX];
	size_t			 toklen;
	int			 con;		/* the request was confirmable */
	unsigned int		 code;		/* when the batch commits */
	uint64_t		 id;
	cu_fill_fn		 fill;
	void			*arg;
};

/* Few at a time (a batch's worth): a list is enough. */
static TAILQ_HEAD(, deferred) held = TAILQ_HEAD_INITIALIZER(held);

/* The answer a fill function would give, 5.03 when the store is busy. */
static void
fill_or_busy(cu_fill_fn fill, void *arg, coap_pdu_t *resp, unsigned int code,
    uint64_t id)
{
	if (code == 503)
		cu_respond_max_age(resp, 503, CU_MAX_AGE_BUSY, "storage busy");
	else
		fill(arg, resp, code, id);
}

static void
on_committed(void *arg, enum store_write w)
{
	struct deferred	*d = arg;
	coap_pdu_t	*pdu;
	unsigned int	 code = w == STORE_WRITE_OK ? d->code :
			    w == STORE_WRITE_BUSY ? 503 : 500;

	TAILQ_REMOVE(&held, d, entry);
	pdu = coap_pdu_init(d->con ? COAP_MESSAGE_CON : COAP_MESSAGE_NON, 0,
	    coap_new_message_id(d->ses), coap_session_max_pdu_size(d->ses));
	if (pdu != NULL && coap_add_token(pdu, d->toklen, d->tok)) {
		fill_or_busy(d->fill, d->arg, pdu, code, d->id);
		stats_response(coap_pdu_get_code(pdu), 0);
		/* coap_send() takes the PDU, sent or not. */
		if (coap_send(d->ses, pdu) == COAP_INVALID_MID)
			log_debug("coap", "a separate response was not sent");
	} else
		coap_delete_pdu(pdu);
	coap_session_release(d->ses);
	free(d);
}

/* 1 when held, 0 to answer now, -1 when the store failed. */
static int
defer(struct batch *b, coap_session_t *ses, const coap_pdu_t *req,
    unsigned int code, uint64_t id, cu_fill_fn fill, void *arg)
{
	coap_bin_const_t	 tok = coap_pdu_get_token(req);
	struct deferred		*d;

	if (b == NULL || !batch_open(b))
		return 0;
	if (tok.length <= DEFER_TOKEN_MAX &&
	    (d = calloc(1, sizeof(*d))) != NULL) {
		memcpy(d->tok, tok.s, tok.length);
		d->toklen = tok.length;
		d->con = coap_pdu_get_type(req) == COAP_MESSAGE_CON;
		d->code = code;
		d->id = id;
		d->fill = fill;
		d->arg = arg;
		d->ses = coap_session_reference(ses);
		TAILQ_INSERT_TAIL(&held, d, entry);
		if (batch_after_commit(b, on_committed, d) == 0)
			return 1;
		TAILQ_REMOVE(&held, d, entry);
		coap_session_release(d->ses);
		free(d);
	}
	/* Cannot wait: commit now, and answer with what it gives. */
	return batch_commit(b, cu_now_ms(), (int64_t)time(NULL)) ==
	    STORE_WRITE_OK ? 0 : -1;
}

void
cu_answer(struct batch *b, coap_session_t *ses, const coap_pdu_t *req,
    coap_pdu_t *resp, unsigned int code, uint64_t id, cu_fill_fn fill,
    void *arg)
{
	switch (defer(b, ses, req, code, id, fill, arg)) {
	case 1:
		return;
	case -1:
		code = 503;
		break;
	}
	fill_or_busy(fill, arg, resp, code, id);
}

int
cu_held(const coap_session_t *ses, const coap_pdu_t *req)
{
	coap_bin_const_t	 tok = coap_pdu_get_token(req);
	struct deferred		*d;

	TAILQ_FOREACH(d, &held, entry)
		if (d->ses == ses && d->toklen == tok.length &&
		    memcmp(d->tok, tok.s, tok.length) == 0)
			return 1;
	return 0;
}
