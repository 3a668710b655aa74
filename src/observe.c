#include "ac_config.h"

#include <sys/queue.h>

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "observe.h"

#define OBS_TOKEN_MAX	8
#define OBS_SETS_MAX	8
#define OBS_SEQ_MASK	0xffffffu	/* Observe values are 24 bits */

struct obs {
	TAILQ_ENTRY(obs)	 entry;
	coap_session_t		*ses;		/* referenced */
	uint8_t			 token[OBS_TOKEN_MAX];
	size_t			 toklen;
	void			*app;
	int			 ending;	/* last notification sent */
};

struct obs_set {
	TAILQ_HEAD(, obs)	 list;
	size_t			 count, max;
	uint32_t		 seq;
	void			(*app_free)(void *);
};

/* Every set, so that session and NACK events reach all observers. */
static struct obs_set	*sets[OBS_SETS_MAX];

struct obs_set *
obs_set_new(size_t max, void (*app_free)(void *))
{
	struct obs_set *set;

	for (size_t i = 0; i < OBS_SETS_MAX; i++) {
		if (sets[i] != NULL)
			continue;
		if ((set = calloc(1, sizeof(*set))) == NULL)
			return NULL;
		TAILQ_INIT(&set->list);
		set->max = max;
		set->app_free = app_free;
		sets[i] = set;
		return set;
	}
	return NULL;
}

static void
obs_free(struct obs_set *set, struct obs *o)
{
	TAILQ_REMOVE(&set->list, o, entry);
	set->count--;
	if (set->app_free != NULL)
		set->app_free(o->app);
	coap_session_release(o->ses);
	free(o);
}

void
obs_set_free(struct obs_set *set)
{
	struct obs *o;

	if (set == NULL)
		return;
	while ((o = TAILQ_FIRST(&set->list)) != NULL)
		obs_free(set, o);
	for (size_t i = 0; i < OBS_SETS_MAX; i++)
		if (sets[i] == set)
			sets[i] = NULL;
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
find(struct obs_set *set, const coap_session_t *ses, const uint8_t *tok,
    size_t toklen)
{
	struct obs *o;

	TAILQ_FOREACH(o, &set->list, entry)
		if (o->ses == ses && o->toklen == toklen &&
		    memcmp(o->token, tok, toklen) == 0)
			return o;
	return NULL;
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
	if ((o = find(set, ses, tok.s, tok.length)) != NULL)
		obs_free(set, o);	/* a new registration replaces it */
	if (set->count >= set->max || (o = calloc(1, sizeof(*o))) == NULL)
		goto refuse;
	o->ses = coap_session_reference(ses);
	memcpy(o->token, tok.s, tok.length);
	o->toklen = tok.length;
	o->app = app;
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
	struct obs		*o = find(set, ses, tok.s, tok.length);

	if (o != NULL)
		obs_free(set, o);
}

void
obs_foreach(struct obs_set *set, void (*fn)(struct obs *, void *), void *arg)
{
	struct obs *o, *next;

	for (o = TAILQ_FIRST(&set->list); o != NULL; o = next) {
		next = TAILQ_NEXT(o, entry);
		if (!o->ending)
			fn(o, arg);
		if (o->ending)
			obs_free(set, o);
	}
}

/* Block2 size exponent for the largest block that fits the session. */
static unsigned int
block_szx(const coap_session_t *ses)
{
	size_t		max = coap_session_max_pdu_size(ses);
	unsigned int	szx = 6;	/* 1024 */

	while (szx > 0 && ((size_t)1 << (szx + 4)) + 64 > max)
		szx--;
	return szx;
}

int
obs_notify(struct obs_set *set, struct obs *o, unsigned int code,
    uint16_t cf, const uint8_t *data, size_t len)
{
	coap_pdu_t	*pdu;
	uint8_t		 buf[4];
	unsigned int	 szx = block_szx(o->ses);
	size_t		 block = (size_t)1 << (szx + 4);

	/* Confirmable: an observer that went away is noticed and dropped. */
	pdu = coap_pdu_init(COAP_MESSAGE_CON, COAP_RESPONSE_CODE(code),
	    coap_new_message_id(o->ses), coap_session_max_pdu_size(o->ses));
	if (pdu == NULL || !coap_add_token(pdu, o->toklen, o->token))
		goto fail;
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
	if (coap_send(o->ses, pdu) == COAP_INVALID_MID) {
		pdu = NULL;	/* coap_send frees it either way */
		goto fail;
	}
	return 0;
fail:
	coap_delete_pdu(pdu);
	log_debug("observe", "notification could not be sent");
	return -1;
}

void
observe_session_closed(coap_session_t *ses)
{
	for (size_t i = 0; i < OBS_SETS_MAX; i++) {
		struct obs *o, *next;

		if (sets[i] == NULL)
			continue;
		for (o = TAILQ_FIRST(&sets[i]->list); o; o = next) {
			next = TAILQ_NEXT(o, entry);
			if (o->ses == ses)
				obs_free(sets[i], o);
		}
	}
}

/* A notification was reset or never acknowledged: the observer is gone. */
void
observe_nack(coap_session_t *ses, const coap_pdu_t *sent)
{
	coap_bin_const_t tok;

	if (sent == NULL)
		return;
	tok = coap_pdu_get_token(sent);
	for (size_t i = 0; i < OBS_SETS_MAX; i++) {
		struct obs *o;

		if (sets[i] != NULL &&
		    (o = find(sets[i], ses, tok.s, tok.length)) != NULL)
			obs_free(sets[i], o);
	}
}
