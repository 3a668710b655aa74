#include "ac_config.h"

#include <inttypes.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "authz.h"
#include "buf.h"
#include "coaputil.h"
#include "config.h"
#include "dispatch.h"
#include "echo.h"
#include "listen.h"
#include "log.h"
#include "loop.h"
#include "observe.h"
#include "principal.h"
#include "ps.h"
#include "ps_cbor.h"
#include "ps_coap.h"
#include "stats.h"
#include "tally.h"

#define CF_LINK_FORMAT	COAP_MEDIATYPE_APPLICATION_LINK_FORMAT
#define CF_CBOR		COAP_MEDIATYPE_APPLICATION_CBOR
#define SUBS_FULL_MAX_AGE 30	/* seconds before subscribing again */

struct ps_coap {
	struct ps		*ps;
	struct cu_bodies	*bodies;
	struct event		*timer;
	struct event		*check;		/* observer-check */
	uint32_t		 check_s;	/* its period */
	char			*path, *data_path;
	uint16_t		 cf;		/* core-pubsub+cbor */
	size_t			 max_response;
	struct tally		 subs;		/* subscriptions by principal */
	struct tally		 rates;		/* publish buckets */
	size_t			 nsubs;		/* all subscriptions */
	uint32_t		 max_subs;	/* ps-max-subscriptions */
	uint32_t		 max_rate;	/* ps-max-publish-rate */
};

/* One subscription, counted against its principal's quota. */
struct sub {
	struct tally	*subs;
	size_t		*nsubs;
	char		 name[PRINCIPAL_NAME_MAX + 1];
};

static void
sub_free(void *arg)
{
	struct sub *s = arg;

	if (s == NULL)
		return;
	(void)tally_add(s->subs, s->name, -1);
	(*s->nsubs)--;
	free(s);
}

/* The format of a topic's value, as notifications and reads carry it. */
static uint16_t
value_cf(const struct ps_topic *t)
{
	if (t->value_cf >= 0)
		return (uint16_t)t->value_cf;
	if (t->props.present & PS_P_CF)
		return (uint16_t)t->props.cf;
	return COAP_MEDIATYPE_TEXT_PLAIN;
}

static struct obs_set *
subscribers(struct ps_topic *t, int create)
{
	size_t max;

	if (t->app != NULL || !create)
		return t->app;
	max = (t->props.present & PS_P_MAX_SUBS) ? t->props.max_subs :
	    SIZE_MAX;
	t->app = obs_set_new(max, sub_free);
	return t->app;
}

static void
notify_one(struct obs *o, void *arg)
{
	struct ps_topic *t = arg;

	(void)obs_notify_mode(t->app, o, 205, value_cf(t), t->value,
	    t->value_len, t->props.obs_check);
}

static void
on_published(void *arg, struct ps_topic *t)
{
	(void)arg;
	if (t->app != NULL)
		obs_foreach(t->app, notify_one, t);
}

static void
on_emptied(void *arg, struct ps_topic *t)
{
	(void)arg;
	if (t->app != NULL)
		obs_end_all(t->app, 404);
}

static void
on_reconfigured(void *arg, struct ps_topic *t)
{
	(void)arg;
	if (t->app != NULL)
		obs_set_max(t->app, (t->props.present & PS_P_MAX_SUBS) ?
		    t->props.max_subs : SIZE_MAX, value_cf(t));
}

static void
on_removing(void *arg, struct ps_topic *t)
{
	(void)arg;
	if (t->app == NULL)
		return;
	obs_end_all(t->app, 404);
	obs_set_free(t->app);
	t->app = NULL;
}

int
ps_coap_may(coap_session_t *ses, coap_pdu_t *resp, const struct ps_topic *t,
    unsigned int action)
{
	char obj[AUTHZ_OBJECT_MAX];

	return authz_check(ses, resp, authz_ps_object(obj, sizeof(obj),
	    t->props.name), action);
}

int
ps_coap_may_admin(coap_session_t *ses, coap_pdu_t *resp,
    const struct ps_topic *t)
{
	const char *who = listen_session_principal(ses)->name;

	if (authz_is_admin(ses)) {
		if (!ps_is_owner(t, who))
			log_notice("ps", "topic \"%s\" (by %s) managed by "
			    "admin %s", t->props.name, t->owner ? t->owner :
			    "nobody", who);
		return 1;
	}
	if (!ps_coap_may(ses, resp, t, ACL_ADMIN))
		return 0;
	if (!ps_is_owner(t, who)) {
		authz_refuse(ses, resp, "created by another principal");
		return 0;
	}
	return 1;
}

void
ps_coap_respond_result(coap_pdu_t *resp, enum ps_result r, const char *why,
    uint32_t retry)
{
	if (r == PS_ERATE || r == PS_EFULL) {
		log_limitedf("ps", LOG_NOTICE, "limit reached: %s",
		    ps_result_text(r));
		stats_limit_hit();
	}
	if (r == PS_ERATE)
		cu_respond_max_age(resp, 429, retry, ps_result_text(r));
	else if (r == PS_EFULL || r == PS_EBUSY)
		cu_respond_max_age(resp, 503, CU_MAX_AGE_BUSY,
		    ps_result_text(r));
	else
		cu_respond(resp, ps_result_code(r), why ? why :
		    ps_result_code(r) == 404 ? NULL : ps_result_text(r));
}

static void
respond_cbor(coap_pdu_t *resp, unsigned int code, uint16_t cf,
    const struct ps_topic *t, uint32_t mask)
{
	uint8_t	*data;
	size_t	 len;

	if (ps_cbor_encode_props(&t->props, mask, &data, &len) !=
	    PS_CBOR_OK) {
		cu_respond(resp, 500, NULL);
		return;
	}
	coap_pdu_set_code(resp, COAP_RESPONSE_CODE(code));
	cu_add_uint_option(resp, COAP_OPTION_CONTENT_FORMAT, cf);
	coap_add_data(resp, len, data);
	free(data);
}

/* The answer to a change, now or when its batch is durable. */
static void
answer(void *arg, coap_pdu_t *resp, unsigned int code, uint64_t id)
{
	struct ps_coap	*pc = arg;
	struct ps_topic	*t = ps_topic_find(&pc->ps->reg, id);

	if (code == 201 && id != 0 && t != NULL) {
		cu_add_location(resp, pc->path, id);
		respond_cbor(resp, 201, pc->cf, t, PS_P_ALL);
		return;
	}
	if (code == 204 && id != 0 && t != NULL) {
		respond_cbor(resp, 204, pc->cf, t, PS_P_ALL);
		return;
	}
	cu_respond(resp, code, NULL);
}

/*
 * A request body in the broker's configuration format: checks the
 * Content-Format, gathers the blocks, decodes. Returns 0, or -1 with the
 * response set (2.31 included).
 */
static int
get_props(struct ps_coap *pc, coap_session_t *ses, const coap_pdu_t *req,
    coap_pdu_t *resp, struct ps_props *p)
{
	struct cu_partial	*held;
	const uint8_t		*data;
	const char		*why = NULL;
	size_t			 len;
	enum ps_cbor_status	 st;

	memset(p, 0, sizeof(*p));
	if (cu_uint_option(req, COAP_OPTION_CONTENT_FORMAT) != pc->cf) {
		cu_respond(resp, 415, "the body must be "
		    "application/core-pubsub+cbor");
		return -1;
	}
	if (cu_body_get(pc->bodies, ses, req, resp, &data, &len, &held) !=
	    CU_BODY_DONE)
		return -1;
	st = ps_cbor_decode_props(data, len, p, &why);
	cu_body_release(held);
	if (st != PS_CBOR_OK) {
		cu_respond(resp, st == PS_CBOR_ENOMEM ? 500 : 400,
		    why ? why : ps_cbor_status_text(st));
		return -1;
	}
	return 0;
}

/* Links of the topics matching filter, or their data (rt query). */
static void
list_topics(struct ps_coap *pc, coap_resource_t *res, coap_session_t *ses,
    const coap_pdu_t *req, const coap_string_t *qs, coap_pdu_t *resp,
    const struct ps_props *filter)
{
	const struct principal	*asker = listen_session_principal(ses);
	struct cu_query		 q;
	const struct ps_topic	*t;
	struct buf		 b;
	const char		*rt = NULL;
	size_t			 rtlen = 0;
	int			 data_links = 0, prefix = 0;
	char			*out;

	if (cu_queries(req, &q) == -1) {
		cu_respond(resp, 400, "too many options");
		return;
	}
	for (size_t i = 0; i < q.n; i++)
		if (q.len[i] > 3 && memcmp(q.opt[i], "rt=", 3) == 0) {
			rt = q.opt[i] + 3;
			rtlen = q.len[i] - 3;
		}
	if (rt != NULL && rtlen > 0 && rt[rtlen - 1] == '*') {
		prefix = 1;
		rtlen--;
	}
	/* rt=core.ps.conf lists topics; any other rt their data. */
	if (rt != NULL && !(rtlen <= 12 &&
	    memcmp("core.ps.conf", rt, rtlen) == 0 && (prefix || rtlen == 12)))
		data_links = 1;
	buf_init(&b, pc->max_response);
	for (t = pc->ps->reg.by_id; t != NULL; t = t->hh_id.next) {
		int ok;

		if (filter != NULL && !ps_topic_matches(t, filter))
			continue;
		/* Only what the asker may read is listed (draft 3.2.1). */
		if (!authz_allowed_ps(asker, t->props.name, ACL_READ_CONFIG))
			continue;
		if (data_links && !(strlen(t->props.rt) >= rtlen &&
		    memcmp(t->props.rt, rt, rtlen) == 0 &&
		    (prefix || strlen(t->props.rt) == rtlen)))
			continue;
		if (data_links)
			ok = buf_printf(&b, "%s<%s>;rt=\"%s\";obs",
			    b.len ? "," : "", t->props.data_uri, t->props.rt);
		else
			ok = buf_printf(&b, "%s<%s/%" PRIu64
			    ">;rt=\"core.ps.conf\";ct=%u", b.len ? "," : "",
			    pc->path, t->id, pc->cf);
		if (ok == -1) {
			buf_free(&b);
			cu_respond(resp, 500, "the list is too large");
			return;
		}
	}
	if (!echo_check(ses, req, resp, b.len)) {
		buf_free(&b);
		return;
	}
	coap_pdu_set_code(resp, COAP_RESPONSE_CODE(205));
	out = b.data ? buf_release(&b) : strdup("");
	if (out == NULL) {
		cu_respond(resp, 500, NULL);
		return;
	}
	/* On failure libcoap has released out and set the code. */
	(void)coap_add_data_large_response(res, ses, req, resp,
	    qs, CF_LINK_FORMAT, -1, 0, strlen(out), (const uint8_t *)out,
	    cu_free_payload, out);
}

static void
hnd_coll_get(coap_resource_t *res, coap_session_t *ses,
    const coap_pdu_t *req, const coap_string_t *qs, coap_pdu_t *resp)
{
	if (!authz_gate(ses, resp))
		return;
	list_topics(coap_resource_get_userdata(res), res, ses, req, qs, resp,
	    NULL);
}

static void
hnd_coll_fetch(coap_resource_t *res, coap_session_t *ses,
    const coap_pdu_t *req, const coap_string_t *qs, coap_pdu_t *resp)
{
	struct ps_coap	*pc = coap_resource_get_userdata(res);
	struct ps_props	 filter;

	if (!authz_gate(ses, resp))
		return;
	if (get_props(pc, ses, req, resp, &filter) == -1)
		return;
	list_topics(pc, res, ses, req, qs, resp, &filter);
	ps_props_clear(&filter);
}

static void
hnd_coll_post(coap_resource_t *res, coap_session_t *ses,
    const coap_pdu_t *req, const coap_string_t *qs, coap_pdu_t *resp)
{
	struct ps_coap	*pc = coap_resource_get_userdata(res);
	struct ps_props	 in;
	struct ps_topic	*t;
	const char	*why = NULL;
	char		 obj[AUTHZ_OBJECT_MAX];
	enum ps_result	 r;

	if (!authz_gate(ses, resp))
		return;
	(void)qs;
	if (cu_held(ses, req) ||
	    get_props(pc, ses, req, resp, &in) == -1)
		return;
	if (((in.present & PS_P_NAME) && !authz_check(ses, resp,
	    authz_ps_object(obj, sizeof(obj), in.name), ACL_CREATE)) ||
	    !ps_coap_topic_allowed(pc, ses, resp)) {
		ps_props_clear(&in);
		return;
	}
	r = ps_create(pc->ps, &in, listen_session_principal(ses)->name,
	    cu_now_ms(), (int64_t)time(NULL), &t,
	    &why);
	ps_props_clear(&in);
	if (r != PS_CREATED) {
		ps_coap_respond_result(resp, r, why, 0);
		return;
	}
	log_info("ps", "topic \"%s\" created at %s by %s", t->props.name,
	    t->props.data_uri, listen_session_principal(ses)->name);
	ps_coap_schedule(pc);
	cu_answer(pc->ps->batch, ses, req, resp, 201, t->id, answer, pc);
}

/* The topic a configuration path names ("<ps-path>/<id>"), or NULL. */
static struct ps_topic *
topic_of(const struct ps_coap *pc, const char *path)
{
	size_t		 n = strlen(pc->path);
	const char	*p = path + n + 1;
	char		*end;
	unsigned long long id;

	if (strncmp(path, pc->path, n) != 0 || path[n] != '/' ||
	    *p < '1' || *p > '9')
		return NULL;
	id = strtoull(p, &end, 10);
	if (*end != '\0' || id == ULLONG_MAX)
		return NULL;
	return ps_topic_find(&pc->ps->reg, id);
}

/* An upper bound of a configuration's encoded size, for echo_check(). */
static size_t
conf_size(const struct ps_topic *t)
{
	const struct ps_props *p = &t->props;

	return 64 + strlen(p->name) + strlen(p->data_uri) + strlen(p->rt) +
	    (p->type ? strlen(p->type) : 0) + p->init_len;
}

static void
topic_fetch(struct ps_coap *pc, coap_session_t *ses, const coap_pdu_t *req,
    coap_pdu_t *resp, struct ps_topic *t)
{
	struct cu_partial	*held;
	const uint8_t		*data;
	const char		*why = NULL;
	size_t			 len;
	uint32_t		 mask;
	enum ps_cbor_status	 st;

	if (cu_uint_option(req, COAP_OPTION_CONTENT_FORMAT) != CF_CBOR) {
		cu_respond(resp, 415, "the body must be application/cbor");
		return;
	}
	if (cu_body_get(pc->bodies, ses, req, resp, &data, &len, &held) !=
	    CU_BODY_DONE)
		return;
	st = ps_cbor_decode_keys(data, len, &mask, &why);
	cu_body_release(held);
	if (st != PS_CBOR_OK) {
		cu_respond(resp, 400, why ? why : ps_cbor_status_text(st));
		return;
	}
	respond_cbor(resp, 205, pc->cf, t, mask);
}

static void
topic_update(struct ps_coap *pc, coap_session_t *ses, const coap_pdu_t *req,
    coap_pdu_t *resp, struct ps_topic *t, int partial)
{
	struct ps_props	 in;
	const char	*why = NULL;
	enum ps_result	 r;

	if (get_props(pc, ses, req, resp, &in) == -1)
		return;
	r = ps_update(pc->ps, t, &in, partial, cu_now_ms(),
	    (int64_t)time(NULL), &why);
	ps_props_clear(&in);
	if (r != PS_OK) {
		ps_coap_respond_result(resp, r, why, 0);
		return;
	}
	log_info("ps", "topic \"%s\" reconfigured by %s", t->props.name,
	    listen_session_principal(ses)->name);
	ps_coap_schedule(pc);
	cu_answer(pc->ps->batch, ses, req, resp, 204, t->id, answer, pc);
}

static void
hnd_topic(void *arg, coap_resource_t *res, coap_session_t *ses,
    const coap_pdu_t *req, const char *path, const coap_string_t *qs,
    coap_pdu_t *resp)
{
	struct ps_coap	*pc = arg;
	struct ps_topic	*t;
	enum ps_result	 r;
	char		 name[PS_NAME_MAX + 1];

	(void)res;
	(void)qs;
	if (cu_held(ses, req))
		return;
	if ((t = topic_of(pc, path)) == NULL) {
		cu_respond(resp, 404, NULL);
		return;
	}
	switch (coap_pdu_get_code(req)) {
	case COAP_REQUEST_CODE_GET:
		if (ps_coap_may(ses, resp, t, ACL_READ_CONFIG) &&
		    echo_check(ses, req, resp, conf_size(t)))
			respond_cbor(resp, 205, pc->cf, t, PS_P_ALL);
		break;
	case COAP_REQUEST_CODE_FETCH:
		if (ps_coap_may(ses, resp, t, ACL_READ_CONFIG) &&
		    echo_check(ses, req, resp, conf_size(t)))
			topic_fetch(pc, ses, req, resp, t);
		break;
	case COAP_REQUEST_CODE_POST:
		if (ps_coap_may_admin(ses, resp, t))
			topic_update(pc, ses, req, resp, t, 0);
		break;
	case COAP_REQUEST_CODE_IPATCH:
		if (ps_coap_may_admin(ses, resp, t))
			topic_update(pc, ses, req, resp, t, 1);
		break;
	case COAP_REQUEST_CODE_DELETE:
		if (!ps_coap_may_admin(ses, resp, t))
			break;
		snprintf(name, sizeof(name), "%s", t->props.name);
		if ((r = ps_delete(pc->ps, t)) != PS_OK) {
			ps_coap_respond_result(resp, r, NULL, 0);
			break;
		}
		log_info("ps", "topic \"%s\" deleted by %s", name,
		    listen_session_principal(ses)->name);
		ps_coap_schedule(pc);
		cu_answer(pc->ps->batch, ses, req, resp, 202, 0, answer, pc);
		break;
	default:
		cu_respond(resp, 405, NULL);
	}
}

static void
data_publish(struct ps_coap *pc, coap_session_t *ses, const coap_pdu_t *req,
    coap_pdu_t *resp, struct ps_topic *t)
{
	struct cu_partial	*held;
	const uint8_t		*data;
	size_t			 len;
	uint32_t		 retry = 1;
	long			 cf = cu_uint_option(req,
				    COAP_OPTION_CONTENT_FORMAT);
	enum ps_result		 r;

	if (cu_body_get(pc->bodies, ses, req, resp, &data, &len, &held) !=
	    CU_BODY_DONE)
		return;
	r = ps_publish(pc->ps, t, data, len, (int)cf, cu_now_ms(), &retry);
	cu_body_release(held);
	switch (r) {
	case PS_OK:
	case PS_CREATED:
		log_debug("ps", "%zu bytes published on \"%s\" by %s", len,
		    t->props.name, listen_session_principal(ses)->name);
		/* A volatile value needs no commit to be answered. */
		cu_answer(pc->ps->batch, ses, req, resp,
		    r == PS_CREATED ? 201 : 204, 0, answer, pc);
		break;
	default:
		ps_coap_respond_result(resp, r, NULL, retry);
	}
}

/*
 * observer-check: a confirmable notification to every subscriber at
 * least that often, even with nothing published, so that one that went
 * away is found out. The check runs at a quarter of the shortest period
 * among the topics with subscribers.
 */
static uint32_t
check_period(uint32_t obs_check)
{
	uint32_t p = obs_check / 4;

	return p < 1 ? 1 : p;
}

static void
arm_check(struct ps_coap *pc, uint32_t obs_check)
{
	struct timeval	tv = { 0, 0 };
	uint32_t	p = check_period(obs_check);

	if (evtimer_pending(pc->check, NULL) && pc->check_s <= p)
		return;
	pc->check_s = p;
	tv.tv_sec = p;
	evtimer_add(pc->check, &tv);
}

static void
on_check(evutil_socket_t fd, short what, void *arg)
{
	struct ps_coap	*pc = arg;
	struct ps_topic	*t;
	uint32_t	 shortest = 0;

	(void)fd;
	(void)what;
	for (t = pc->ps->reg.by_id; t != NULL; t = t->hh_id.next) {
		if (t->app == NULL || obs_set_count(t->app) == 0)
			continue;
		if (t->full)
			obs_foreach_due(t->app, t->props.obs_check,
			    notify_one, t);
		if (shortest == 0 || t->props.obs_check < shortest)
			shortest = t->props.obs_check;
	}
	if (shortest != 0)
		arm_check(pc, shortest);
}

/*
 * A subscription the principal's quota allows (NULL with 4.03 set when
 * it does not), counted until the observer goes.
 */
static struct sub *
new_sub(struct ps_coap *pc, coap_session_t *ses, coap_pdu_t *resp)
{
	const struct principal	*p = listen_session_principal(ses);
	struct acl_quota	 q;
	struct sub		*s;
	char			 diag[96];

	if (pc->nsubs >= pc->max_subs) {
		authz_limit(ses, resp, 503, SUBS_FULL_MAX_AGE,
		    "too many subscriptions");
		return NULL;
	}
	authz_quota(p, &q);
	if (q.subscriptions &&
	    tally_get(&pc->subs, p->name) >= q.subscriptions) {
		snprintf(diag, sizeof(diag), "quota: at most %u "
		    "subscriptions", q.subscriptions);
		authz_over_quota(ses, resp, diag);
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		cu_respond(resp, 500, NULL);
		return NULL;
	}
	s->subs = &pc->subs;
	s->nsubs = &pc->nsubs;
	snprintf(s->name, sizeof(s->name), "%s", p->name);
	if (tally_add(&pc->subs, s->name, 1) == -1) {
		free(s);
		cu_respond(resp, 500, NULL);
		return NULL;
	}
	pc->nsubs++;
	return s;
}

int
ps_coap_publish_allowed(struct ps_coap *pc, coap_session_t *ses,
    coap_pdu_t *resp)
{
	const struct principal	*p = listen_session_principal(ses);
	struct acl_quota	 q;
	uint32_t		 retry = 1;

	/* The broker's own rate first: "" is no principal's name. */
	if (tally_take(&pc->rates, "", pc->max_rate, cu_now_ms(), &retry) ==
	    -1) {
		authz_limit(ses, resp, 429, retry, "the broker is busy");
		return 0;
	}
	authz_quota(p, &q);
	if (tally_take(&pc->rates, p->name, q.publish_rate, cu_now_ms(),
	    &retry) == 0)
		return 1;
	authz_limit(ses, resp, 429, retry, "quota: publishing too fast");
	return 0;
}

int
ps_coap_topic_allowed(struct ps_coap *pc, coap_session_t *ses,
    coap_pdu_t *resp)
{
	const struct principal	*p = listen_session_principal(ses);
	struct acl_quota	 q;
	char			 diag[96];

	authz_quota(p, &q);
	if (!q.topics || tally_get(&pc->ps->reg.owners, p->name) < q.topics)
		return 1;
	snprintf(diag, sizeof(diag), "quota: at most %u topics", q.topics);
	authz_over_quota(ses, resp, diag);
	return 0;
}

void
ps_coap_get(struct ps_coap *pc, coap_resource_t *res, coap_session_t *ses,
    const coap_pdu_t *req, const coap_string_t *qs, coap_pdu_t *resp,
    struct ps_topic *t, int max_age)
{
	enum obs_request	 ob = obs_request_kind(req);
	struct obs_set		*set;
	struct sub		*sub = NULL;
	uint8_t			*copy;
	char			 key[CU_PATH_MAX + 256];
	coap_string_t		 k;

	if (ob == OBS_DEREGISTER && t->app != NULL)
		obs_remove_request(t->app, ses, req);
	if (!t->full) {
		cu_respond(resp, 404, "the topic has no data yet");
		return;
	}
	if ((ob == OBS_REGISTER && !echo_require(ses, req, resp)) ||
	    !echo_check(ses, req, resp, t->value_len))
		return;
	if (ob == OBS_REGISTER && (sub = new_sub(pc, ses, resp)) == NULL)
		return;
	/*
	 * At max-subscribers: served without Observe (RFC 7641 4.1); the set
	 * takes the subscription and frees it when it is refused or ends.
	 */
	if (ob == OBS_REGISTER) {
		if ((set = subscribers(t, 1)) == NULL)
			sub_free(sub);
		else if (obs_add(set, ses, req, resp, sub) != NULL) {
			log_debug("ps", "subscription to \"%s\" by %s",
			    t->props.name,
			    listen_session_principal(ses)->name);
			arm_check(pc, t->props.obs_check);
		}
	}
	coap_pdu_set_code(resp, COAP_RESPONSE_CODE(205));
	if ((copy = malloc(t->value_len ? t->value_len : 1)) == NULL) {
		cu_respond(resp, 500, NULL);
		return;
	}
	if (t->value_len)
		memcpy(copy, t->value, t->value_len);
	/*
	 * Later blocks are matched by path, and by the value's version, so
	 * that they never come from another topic or an older value. On
	 * failure libcoap has released copy and set the code.
	 */
	(void)coap_add_data_large_response(res, ses, req, resp,
	    cu_block_key(req, qs, key, sizeof(key), &k), value_cf(t), max_age,
	    t->version, t->value_len, copy, cu_free_payload, copy);
}

static void
hnd_data(void *arg, coap_resource_t *res, coap_session_t *ses,
    const coap_pdu_t *req, const char *path, const coap_string_t *qs,
    coap_pdu_t *resp)
{
	struct ps_coap	*pc = arg;
	struct ps_topic	*t;
	enum ps_result	 r;

	if (cu_held(ses, req))
		return;
	if ((t = ps_topic_find_data(&pc->ps->reg, path)) == NULL) {
		cu_respond(resp, 404, NULL);
		return;
	}
	switch (coap_pdu_get_code(req)) {
	case COAP_REQUEST_CODE_PUT:
		if (ps_coap_may(ses, resp, t, ACL_PUBLISH) &&
		    ps_coap_publish_allowed(pc, ses, resp))
			data_publish(pc, ses, req, resp, t);
		break;
	case COAP_REQUEST_CODE_GET:
		if (ps_coap_may(ses, resp, t, ACL_SUBSCRIBE))
			ps_coap_get(pc, res, ses, req, qs, resp, t, -1);
		break;
	case COAP_REQUEST_CODE_DELETE:
		if (!ps_coap_may(ses, resp, t, ACL_DELETE_DATA))
			break;
		if ((r = ps_clear(pc->ps, t)) != PS_OK) {
			ps_coap_respond_result(resp, r, NULL, 0);
			break;
		}
		cu_answer(pc->ps->batch, ses, req, resp, 202, 0, answer, pc);
		break;
	default:
		cu_respond(resp, 405, NULL);
	}
}

int
ps_coap_route(struct ps_coap *pc, struct dispatch *d)
{
	if (dispatch_add(d, pc->path, hnd_topic, pc) == -1 ||
	    dispatch_add(d, pc->data_path, hnd_data, pc) == -1)
		return -1;
	return 0;
}

void
ps_coap_attach(coap_context_t *ctx, void *arg)
{
	coap_resource_t *r;

	/* The collection is also the broker's entry point. */
	if ((r = cu_resource(ctx, ((struct ps_coap *)arg)->path,
	    "\"core.ps core.ps.coll\"", arg)) == NULL)
		return;
	cu_register(r, COAP_REQUEST_GET, hnd_coll_get);
	cu_register(r, COAP_REQUEST_FETCH, hnd_coll_fetch);
	cu_register(r, COAP_REQUEST_POST, hnd_coll_post);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct ps_coap *pc = arg;

	(void)fd;
	(void)what;
	ps_expire(pc->ps, cu_now_ms());
	ps_coap_schedule(pc);
}

void
ps_coap_schedule(struct ps_coap *pc)
{
	uint64_t	next = ps_registry_next_deadline(&pc->ps->reg);
	uint64_t	now = cu_now_ms();
	struct timeval	tv;

	if (next == 0) {
		evtimer_del(pc->timer);
		return;
	}
	next = next > now ? next - now : 0;
	tv.tv_sec = (time_t)(next / 1000);
	tv.tv_usec = (suseconds_t)(next % 1000) * 1000;
	evtimer_add(pc->timer, &tv);
}

void
ps_coap_reconfigure(struct ps_coap *pc, const struct config *c)
{
	pc->max_response = c->max_response;
	pc->max_subs = c->ps_max_subscriptions;
	pc->max_rate = c->ps_max_publish_rate;
	cu_bodies_set_max(pc->bodies, c->max_payload);
	pc->ps->reg.lim.max_topics = c->ps_max_topics;
	pc->ps->reg.lim.max_subs = c->ps_max_subscribers;
	pc->ps->reg.lim.rate = c->ps_publish_rate;
	pc->ps->reg.lim.max_value = c->max_payload;
}

struct ps_coap *
ps_coap_new(struct ps *ps, const struct config *c, struct event_base *base)
{
	struct ps_coap		*pc;
	struct ps_events	 ev = {
		.published = on_published,
		.emptied = on_emptied,
		.reconfigured = on_reconfigured,
		.removing = on_removing
	};

	if ((pc = calloc(1, sizeof(*pc))) == NULL)
		return NULL;
	ev.arg = pc;
	pc->ps = ps;
	pc->cf = (uint16_t)c->ps_content_format;
	if ((pc->path = strdup(c->ps_path)) == NULL ||
	    (pc->data_path = strdup(c->ps_data_path)) == NULL ||
	    (pc->bodies = cu_bodies_new(c->max_payload)) == NULL ||
	    (pc->timer = evtimer_new(base, on_timer, pc)) == NULL ||
	    (pc->check = evtimer_new(base, on_check, pc)) == NULL ||
	    event_priority_set(pc->timer, LOOP_PRIO_HIGH) == -1) {
		ps_coap_free(pc);
		return NULL;
	}
	ps_coap_reconfigure(pc, c);
	if (ps_listen(ps, &ev) == -1) {
		ps_coap_free(pc);
		return NULL;
	}
	return pc;
}

void
ps_coap_free(struct ps_coap *pc)
{
	struct ps_topic *t;

	if (pc == NULL)
		return;
	for (t = pc->ps->reg.by_id; t != NULL; t = t->hh_id.next) {
		obs_set_free(t->app);
		t->app = NULL;
	}
	ps_unlisten(pc->ps, pc);
	cu_bodies_free(pc->bodies);
	tally_clear(&pc->subs);
	tally_clear(&pc->rates);
	if (pc->timer)
		event_free(pc->timer);
	if (pc->check)
		event_free(pc->check);
	free(pc->path);
	free(pc->data_path);
	free(pc);
}

static const struct stats_metric m_subs = { "subscribers",
	"corehub_subscribers", "Observers of topic data.", STATS_GAUGE, NULL };

void
ps_coap_stats(void *arg, struct stats_sink *s)
{
	stats_put(s, &m_subs, NULL, (double)((struct ps_coap *)arg)->nsubs);
}
