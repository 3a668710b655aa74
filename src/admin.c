#include "ac_config.h"

#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "admin.h"
#include "authz.h"
#include "buf.h"
#include "coaputil.h"
#include "config.h"
#include "echo.h"
#include "listen.h"
#include "log.h"
#include "loop.h"
#include "observe.h"
#include "principal.h"
#include "stats.h"

#define CF_JSON		COAP_MEDIATYPE_APPLICATION_JSON
#define CF_CBOR		COAP_MEDIATYPE_APPLICATION_CBOR
#define STATS_SIZE_MAX	(256 * 1024)	/* sectors are capped: far more */
#define OBSERVERS_MAX	64		/* a few dashboards, not a fleet */

/* The last document of one format: later blocks are cut from it. */
struct doc {
	char		*data;
	size_t		 len;
	uint8_t		 etag[OBS_ETAG_LEN];
};

struct admin {
	char		*stats_path, *reload_path;
	unsigned int	 interval;		/* seconds */
	struct obs_set	*observers;
	struct event	*timer;
	uint64_t	 notified_gen;
	struct doc	 doc[2];		/* CBOR, JSON */
	admin_reload_fn	 reload;
	void		*reload_arg;
};

static void
etag_of(const char *p, size_t len, uint8_t out[OBS_ETAG_LEN])
{
	uint64_t h = 0xcbf29ce484222325ULL;	/* FNV-1a */

	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)p[i]) * 0x100000001b3ULL;
	for (int i = 0; i < OBS_ETAG_LEN; i++)
		out[i] = (uint8_t)(h >> (8 * i));
}

/* Renders the statistics in cf as the current document; NULL if no memory. */
static const struct doc *
render(struct admin *a, uint16_t cf)
{
	struct doc	*d = &a->doc[cf == CF_JSON];
	struct buf	 b;
	int		 rc;

	buf_init(&b, STATS_SIZE_MAX);
	rc = cf == CF_JSON ? stats_json(&b, cu_now_ms()) :
	    stats_cbor(&b, cu_now_ms());
	if (rc == -1) {
		buf_free(&b);
		return NULL;
	}
	free(d->data);
	d->len = b.len;
	d->data = buf_release(&b);
	etag_of(d->data, d->len, d->etag);
	return d;
}

static void
observe_stats(struct admin *a, coap_session_t *ses, const coap_pdu_t *req,
    coap_pdu_t *resp, uint16_t cf)
{
	uint16_t *app = malloc(sizeof(*app));

	if (app == NULL)
		return;
	*app = cf;
	if (obs_add(a->observers, ses, req, resp, app) == NULL)
		log_debug("admin", "statistics observer not added: %zu already",
		    obs_set_count(a->observers));
}

/*
 * One block of d. The blocks are cut here rather than by libcoap: its
 * copy of an earlier answer would serve the later blocks of a
 * notification from another document. Every block carries the
 * document's ETag, so a client sees when the document changed under it.
 */
static void
respond_block(struct admin *a, coap_session_t *ses, const coap_block_t *blk,
    coap_pdu_t *resp, uint16_t cf, const struct doc *d)
{
	if (blk != NULL && cu_block2_past_end(blk, d->len)) {
		cu_respond(resp, 402, "no such block");
		return;
	}
	coap_pdu_set_code(resp, COAP_RESPONSE_CODE(205));
	coap_add_option(resp, COAP_OPTION_ETAG, OBS_ETAG_LEN, d->etag);
	cu_add_uint_option(resp, COAP_OPTION_CONTENT_FORMAT, cf);
	cu_add_uint_option(resp, COAP_OPTION_MAXAGE, a->interval);
	(void)cu_block2(resp, blk, obs_block_szx(ses),
	    (const uint8_t *)d->data, d->len);
}

static void
hnd_stats(coap_resource_t *res, coap_session_t *ses, const coap_pdu_t *req,
    const coap_string_t *qs, coap_pdu_t *resp)
{
	struct admin		*a = coap_resource_get_userdata(res);
	long			 accept = cu_uint_option(req, COAP_OPTION_ACCEPT);
	enum obs_request	 ob = obs_request_kind(req);
	uint16_t		 cf = accept == CF_JSON ? CF_JSON : CF_CBOR;
	const struct doc	*d = &a->doc[cf == CF_JSON];
	coap_block_t		 blk;
	int			 have, later;

	(void)qs;
	if (!authz_gate(ses, resp) ||
	    !authz_check(ses, resp, "stats", ACL_STATS))
		return;
	if (accept != -1 && accept != CF_JSON && accept != CF_CBOR) {
		cu_respond(resp, 406, "statistics are application/cbor (60) "
		    "or application/json (50)");
		return;
	}
	have = coap_get_block(req, COAP_OPTION_BLOCK2, &blk);
	later = have && blk.num > 0;
	/* A later block comes from the document its first block came from. */
	if ((!later || d->data == NULL) && (d = render(a, cf)) == NULL) {
		cu_respond(resp, 500, "out of memory");
		return;
	}
	if (ob == OBS_DEREGISTER)
		obs_remove_request(a->observers, ses, req);
	if ((ob == OBS_REGISTER && !echo_require(ses, req, resp)) ||
	    !echo_check(ses, req, resp, d->len))
		return;
	if (ob == OBS_REGISTER && !later)
		observe_stats(a, ses, req, resp, cf);
	respond_block(a, ses, have ? &blk : NULL, resp, cf, d);
}

/* The same document for every observer that asked for the same format. */
struct round {
	struct admin	*a;
	int		 rendered[2];	/* CBOR, JSON */
};

static void
notify_one(struct obs *o, void *arg)
{
	struct round		*r = arg;
	uint16_t		 cf = *(uint16_t *)obs_app(o);
	int			 i = cf == CF_JSON;
	const struct doc	*d = &r->a->doc[i];

	if (!r->rendered[i]) {
		if ((d = render(r->a, cf)) == NULL)
			return;
		r->rendered[i] = 1;
	}
	obs_notify_etag(r->a->observers, o, cf, (const uint8_t *)d->data,
	    d->len, d->etag);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct admin	*a = arg;
	struct round	 r = { a, { 0, 0 } };

	(void)fd;
	(void)what;
	if (obs_set_count(a->observers) == 0 ||
	    stats_generation() == a->notified_gen)
		return;
	a->notified_gen = stats_generation();
	obs_foreach(a->observers, notify_one, &r);
}

static void
hnd_reload(coap_resource_t *res, coap_session_t *ses, const coap_pdu_t *req,
    const coap_string_t *qs, coap_pdu_t *resp)
{
	struct admin *a = coap_resource_get_userdata(res);

	(void)req;
	(void)qs;
	/* Not for a spoofed source: each reload reads and parses a file. */
	if (!authz_gate(ses, resp) ||
	    !authz_check(ses, resp, "daemon", ACL_ADMIN) ||
	    !echo_require(ses, req, resp))
		return;
	log_notice("admin", "reload asked by %s",
	    listen_session_principal(ses)->name);
	if (a->reload(a->reload_arg) == -1) {
		cu_respond(resp, 500, "the configuration is not valid (see the "
		    "log); the running one stays");
		return;
	}
	cu_respond(resp, 204, NULL);
}

void
admin_attach(coap_context_t *ctx, void *arg)
{
	struct admin	*a = arg;
	coap_resource_t	*r;

	if (a->stats_path != NULL && (r = cu_resource_ct(ctx, a->stats_path,
	    "\"corehub.stats\"", "\"60 50\"", a)) != NULL) {
		coap_add_attr(r, coap_make_str_const("obs"), NULL, 0);
		cu_register_quiet(r, COAP_REQUEST_GET, hnd_stats);
	}
	if (a->reload_path != NULL && (r = cu_resource_ct(ctx, a->reload_path,
	    "\"corehub.reload\"", "0", a)) != NULL)
		cu_register(r, COAP_REQUEST_POST, hnd_reload);
}

void
admin_reconfigure(struct admin *a, const struct config *c)
{
	struct timeval tv = { (time_t)c->stats_interval, 0 };

	a->interval = c->stats_interval;
	evtimer_del(a->timer);
	evtimer_add(a->timer, &tv);
}

struct admin *
admin_new(const struct config *c, struct event_base *base,
    admin_reload_fn reload, void *arg)
{
	struct admin *a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	a->reload = reload;
	a->reload_arg = arg;
	if ((c->stats_path != NULL &&
	    (a->stats_path = strdup(c->stats_path)) == NULL) ||
	    (c->reload_path != NULL &&
	    (a->reload_path = strdup(c->reload_path)) == NULL) ||
	    (a->observers = obs_set_new(OBSERVERS_MAX, free)) == NULL ||
	    (a->timer = event_new(base, -1, EV_PERSIST, on_timer, a)) ==
	    NULL || event_priority_set(a->timer, LOOP_PRIO_HIGH) == -1) {
		admin_free(a);
		return NULL;
	}
	admin_reconfigure(a, c);
	return a;
}

void
admin_free(struct admin *a)
{
	if (a == NULL)
		return;
	obs_set_free(a->observers);
	free(a->doc[0].data);
	free(a->doc[1].data);
	if (a->timer != NULL)
		event_free(a->timer);
	free(a->stats_path);
	free(a->reload_path);
	free(a);
}
