#include "ac_config.h"

#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include <uthash.h>

#include "coaputil.h"
#include "log.h"
#include "observe.h"
#include "stats.h"

#define OBS_TOKEN_MAX	8
#define OBS_SEQ_MASK	0xffffffu	/* Observe values are 24 bits */

/*
 * Non-confirmable notifications: a confirmable one after this many, so
 * that a subscriber that vanished without a reset is noticed, but never
 * two within OBS_CON_GAP_MS, so that the confirmable ones queued for a
 * peer that stopped answering stay few (libcoap sends one at a time).
 */
#define OBS_NON_MAX	16
#define OBS_CON_GAP_MS	2000

struct obs_key {
	coap_session_t		*ses;
	uint8_t			 token[OBS_TOKEN_MAX];
	size_t			 toklen;
};

struct obs {
	struct obs_key		 key;		/* ses is referenced */
	TAILQ_ENTRY(obs)	 entry;
	struct obs_set		*set;
	void			*app;
	int			 ending;	/* last notification sent */
	int			 dead;		/* to free after the walk */
	uint64_t		 last_con_ms;
	uint32_t		 nons;
	uint32_t		 phase;		/* spreads the CONs of a set */
	UT_hash_handle		 hh;
};

struct obs_set {
	TAILQ_HEAD(obs_list, obs) list;
	size_t			 count, max;
	uint32_t		 seq;
	void			(*app_free)(void *);
};

/* Every observer by session and token, for session and NACK events. */
static struct obs	*all;
/*
 * Sending a notification can end its session inside coap_send() (a DTLS
 * write that fails), and the session's end frees its observers. While a
 * set is walked they are only marked, and freed once the walk is over.
 */
static int		 walking;
static int		 dead_pending;

struct obs_set *
obs_set_new(size_t max, void (*app_free)(void *))
{
	struct obs_set *set;

	if ((set = calloc(1, sizeof(*set))) == NULL)
		return NULL;
	TAILQ_INIT(&set->list);
	set->max = max;
	set->app_free = app_free;
	return set;
}

static void
obs_free(struct obs_set *set, struct obs *o)
{
	TAILQ_REMOVE(&set->list, o, entry);
	HASH_DEL(all, o);
	set->count--;
	if (set->app_free != NULL)
		set->app_free(o->app);
	coap_session_release(o->key.ses);
	free(o);
}

static void
obs_drop(struct obs *o)
{
	if (walking > 0) {
		o->dead = 1;
		dead_pending = 1;
		return;
	}
	obs_free(o->set, o);
}

static void
sweep(void)
{
	struct obs *o, *tmp;

	if (walking > 0 || !dead_pending)
		return;
	dead_pending = 0;
	HASH_ITER(hh, all, o, tmp)
		if (o->dead)
			obs_free(o->set, o);
}

void
obs_set_free(struct obs_set *set)
{
	struct obs *o;

	if (set == NULL)
		return;
	while ((o = TAILQ_FIRST(&set->list)) != NULL)
		obs_free(set, o);
	free(set);
}

size_t
obs_set_count(const struct obs_set *set)
{
	return set->count;
}

void *
obs_app(const struct obs *o)
{
	return o->app;
}

enum obs_request
obs_request_kind(const coap_pdu_t *req)
{
	coap_opt_iterator_t	 oi;
	coap_opt_t		*opt;

	if (coap_pdu_get_code(req) != COAP_REQUEST_CODE_GET ||
	    (opt = coap_check_option(req, COAP_OPTION_OBSERVE, &oi)) == NULL)
		return OBS_NONE;
	switch (coap_decode_var_bytes(coap_opt_value(opt),
	    coap_opt_length(opt))) {
	case 0:
		return OBS_REGISTER;
	case 1:
		return OBS_DEREGISTER;
	default:
		return OBS_NONE;
	}
}

static struct obs *
find(const coap_session_t *ses, const uint8_t *tok, size_t toklen)
{
	struct obs_key	 key;
	struct obs	*o;

	if (toklen > OBS_TOKEN_MAX)
		return NULL;
	memset(&key, 0, sizeof(key));
	key.ses = (coap_session_t *)(uintptr_t)ses;
	memcpy(key.token, tok, toklen);
	key.toklen = toklen;
	HASH_FIND(hh, all, &key, sizeof(key), o);
	return o;
}

static void
add_observe_option(coap_pdu_t *pdu, uint32_t seq)
{
	uint8_t buf[4];

	coap_add_option(pdu, COAP_OPTION_OBSERVE,
	    coap_encode_var_safe(buf, sizeof(buf), seq & OBS_SEQ_MASK), buf);
}

struct obs *
obs_add(struct obs_set *set, coap_session_t *ses, const coap_pdu_t *req,
    coap_pdu_t *resp, void *app)
{
	coap_bin_const_t	 tok = coap_pdu_get_token(req);
	struct obs		*o;

	if (tok.length > OBS_TOKEN_MAX)
		goto refuse;
	if ((o = find(ses, tok.s, tok.length)) != NULL)
		obs_free(o->set, o);	/* a new registration replaces it */
	if (set->count >= set->max || (o = calloc(1, sizeof(*o))) == NULL)
		goto refuse;
	o->key.ses = coap_session_reference(ses);
	memcpy(o->key.token, tok.s, tok.length);
	o->key.toklen = tok.length;
	o->app = app;
	o->set = set;
	o->last_con_ms = cu_now_ms();
	o->phase = (uint32_t)(set->count % OBS_NON_MAX);
	HASH_ADD(hh, all, key, sizeof(o->key), o);
	TAILQ_INSERT_TAIL(&set->list, o, entry);
	set->count++;
	add_observe_option(resp, ++set->seq);
	return o;
refuse:
	if (set->app_free != NULL)
		set->app_free(app);
	return NULL;
}

void
obs_remove_request(struct obs_set *set, coap_session_t *ses,
    const coap_pdu_t *req)
{
	coap_bin_const_t	 tok = coap_pdu_get_token(req);
	struct obs		*o = find(ses, tok.s, tok.length);

	if (o != NULL && o->set == set)
		obs_free(set, o);
}

/* Every observer, or (quiet_ms > 0) those with no CON for that long. */
static void
obs_foreach_if(struct obs_set *set, uint64_t now, uint64_t quiet_ms,
    void (*fn)(struct obs *, void *), void *arg)
{
	struct obs *o;

	walking++;
	TAILQ_FOREACH(o, &set->list, entry) {
		if (!o->dead && !o->ending && (quiet_ms == 0 ||
		    now - o->last_con_ms >= quiet_ms))
			fn(o, arg);
		if (o->ending)
			obs_drop(o);
	}
	walking--;
	sweep();
}

void
obs_foreach(struct obs_set *set, void (*fn)(struct obs *, void *), void *arg)
{
	obs_foreach_if(set, 0, 0, fn, arg);
}

void
obs_foreach_due(struct obs_set *set, uint32_t con_every_s,
    void (*fn)(struct obs *, void *), void *arg)
{
	uint64_t now = cu_now_ms();

	obs_foreach_if(set, now, (uint64_t)con_every_s * 1000, fn, arg);
}

/* Block2 size exponent for the largest block that fits the session. */
unsigned int
obs_block_szx(const coap_session_t *ses)
{
	size_t		max = coap_session_max_pdu_size(ses);
	unsigned int	szx = 6;	/* 1024 */

	while (szx > 0 && ((size_t)1 << (szx + 4)) + 64 > max)
		szx--;
	return szx;
}

/* Whether this notification is confirmable (see OBS_NON_MAX). */
static int
confirmable(struct obs *o, unsigned int code, uint32_t con_every_s)
{
	uint64_t now;

	if (con_every_s == 0 || code != 205)
		return 1;
	now = cu_now_ms();
	if (now - o->last_con_ms < OBS_CON_GAP_MS) {
		o->nons++;
		return 0;
	}
	/*
	 * Each observer has its turn in a run of OBS_NON_MAX, so that the
	 * acknowledgements of a large set do not all arrive at once.
	 */
	if ((o->nons + 1 >= OBS_NON_MAX &&
	    (o->nons + o->phase) % OBS_NON_MAX == 0) ||
	    now - o->last_con_ms >= (uint64_t)con_every_s * 1000) {
		o->nons = 0;
		o->last_con_ms = now;
		return 1;
	}
	o->nons++;
	return 0;
}

static int	notify(struct obs_set *, struct obs *, unsigned int, uint16_t,
		    const uint8_t *, size_t, uint32_t, const uint8_t *);

int
obs_notify(struct obs_set *set, struct obs *o, unsigned int code,
    uint16_t cf, const uint8_t *data, size_t len)
{
	return obs_notify_mode(set, o, code, cf, data, len, 0);
}

int
obs_notify_mode(struct obs_set *set, struct obs *o, unsigned int code,
    uint16_t cf, const uint8_t *data, size_t len, uint32_t con_every_s)
{
	return notify(set, o, code, cf, data, len, con_every_s, NULL);
}

int
obs_notify_etag(struct obs_set *set, struct obs *o, uint16_t cf,
    const uint8_t *data, size_t len, const uint8_t etag[OBS_ETAG_LEN])
{
	return notify(set, o, 205, cf, data, len, 0, etag);
}

static int
notify(struct obs_set *set, struct obs *o, unsigned int code, uint16_t cf,
    const uint8_t *data, size_t len, uint32_t con_every_s,
    const uint8_t *etag)
{
	coap_pdu_t	*pdu;
	uint8_t		 buf[4];
	unsigned int	 szx = obs_block_szx(o->key.ses);
	size_t		 block = (size_t)1 << (szx + 4);
	int		 con = confirmable(o, code, con_every_s);

	pdu = coap_pdu_init(con ? COAP_MESSAGE_CON : COAP_MESSAGE_NON,
	    COAP_RESPONSE_CODE(code), coap_new_message_id(o->key.ses),
	    coap_session_max_pdu_size(o->key.ses));
	if (pdu == NULL ||
	    !coap_add_token(pdu, o->key.toklen, o->key.token))
		goto fail;
	if (etag != NULL)
		coap_add_option(pdu, COAP_OPTION_ETAG, OBS_ETAG_LEN, etag);
	if (code == 205)
		add_observe_option(pdu, ++set->seq);
	else
		o->ending = 1;
	coap_add_option(pdu, COAP_OPTION_CONTENT_FORMAT,
	    coap_encode_var_safe(buf, sizeof(buf), cf), buf);
	if (len > block) {
		/* The rest is fetched with GET and Block2 (RFC 7959 3.4). */
		coap_add_option(pdu, COAP_OPTION_BLOCK2,
		    coap_encode_var_safe(buf, sizeof(buf), 1 << 3 | szx), buf);
		coap_add_option(pdu, COAP_OPTION_SIZE2,
		    coap_encode_var_safe(buf, sizeof(buf), (unsigned int)len),
		    buf);
		len = block;
	}
	if (len > 0 && !coap_add_data(pdu, len, data))
		goto fail;
	if (coap_send(o->key.ses, pdu) == COAP_INVALID_MID) {
		pdu = NULL;	/* coap_send frees it either way */
		goto fail;
	}
	stats_notification();
	return 0;
fail:
	coap_delete_pdu(pdu);
	log_debug("observe", "notification could not be sent");
	return -1;
}

void
observe_session_closed(coap_session_t *ses)
{
	struct obs *o, *tmp;

	HASH_ITER(hh, all, o, tmp)
		if (o->key.ses == ses)
			obs_drop(o);
}

/* A notification was reset or never acknowledged: the observer is gone. */
void
observe_nack(coap_session_t *ses, const coap_pdu_t *sent)
{
	coap_bin_const_t	 tok;
	struct obs		*o;

	if (sent == NULL)
		return;
	tok = coap_pdu_get_token(sent);
	if ((o = find(ses, tok.s, tok.length)) != NULL)
		obs_drop(o);
}

void
obs_set_max(struct obs_set *set, size_t max, uint16_t cf)
{
	struct obs	*o;
	size_t		 live = 0;

	set->max = max;
	/* The newest go first: RFC 7641 leaves the choice to the server. */
	walking++;
	TAILQ_FOREACH(o, &set->list, entry)
		live += !o->dead;
	TAILQ_FOREACH_REVERSE(o, &set->list, obs_list, entry) {
		if (live <= max)
			break;
		if (o->dead)
			continue;
		(void)obs_notify(set, o, 404, cf, NULL, 0);
		obs_drop(o);
		live--;
	}
	walking--;
	sweep();
}

void
obs_end_all(struct obs_set *set, unsigned int code)
{
	struct obs *o;

	walking++;
	TAILQ_FOREACH(o, &set->list, entry)
		if (!o->dead) {
			(void)obs_notify(set, o, code, 0, NULL, 0);
			obs_drop(o);
		}
	walking--;
	sweep();
}
