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
#define STATS_SIZE_MAX	(1024 * 1024)	/* thousands of sectors fit */
#define OBSERVERS_MAX	64		/* a few dashboards, not a fleet */

struct admin {
	char		*stats_path, *reload_path;
	unsigned int	 interval;		/* seconds */
	struct obs_set	*observers;
	struct event	*timer;
	uint64_t	 notified_gen;
	admin_reload_fn	 reload;
	void		*reload_arg;
};

/* The statistics in cf; NULL when out of memory. */
static char *
render(uint16_t cf, size_t *len)
{
	struct buf	b;
	int		rc;

	buf_init(&b, STATS_SIZE_MAX);
	rc = cf == CF_JSON ? stats_json(&b, cu_now_ms()) :
	    stats_cbor(&b, cu_now_ms());
	if (rc == -1) {
		buf_free(&b);
		return NULL;
	}
	*len = b.len;
	return buf_release(&b);
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

static void
hnd_stats(coap_resource_t *res, coap_session_t *ses, const coap_pdu_t *req,
    const coap_string_t *qs, coap_pdu_t *resp)
{
	struct admin		*a = coap_resource_get_userdata(res);
	long			 accept = cu_uint_option(req, COAP_OPTION_ACCEPT);
	enum obs_request	 ob = obs_request_kind(req);
	uint16_t		 cf = accept == CF_JSON ? CF_JSON : CF_CBOR;
	size_t			 len;
	char			*data;

	if (!authz_gate(ses, resp) ||
	    !authz_check(ses, resp, "stats", ACL_STATS))
		return;
	if (accept != -1 && accept != CF_JSON && accept != CF_CBOR) {
		cu_respond(resp, 406, "statistics are application/cbor (60) "
		    "or application/json (50)");
		return;
	}
	if ((data = render(cf, &len)) == NULL) {
		cu_respond(resp, 500, "out of memory");
		return;
	}
	if (ob == OBS_DEREGISTER)
		obs_remove_request(a->observers, ses, req);
	if ((ob == OBS_REGISTER && !echo_require(ses, req, resp)) ||
	    !echo_check(ses, req, resp, len)) {
		free(data);
		return;
	}
	if (ob == OBS_REGISTER)
		observe_stats(a, ses, req, resp, cf);
	coap_pdu_set_code(resp, COAP_RESPONSE_CODE(205));
	/* On failure libcoap has released data and set the code. */
	(void)coap_add_data_large_response(res, ses, req, resp, qs, cf,
	    (int)a->interval, 0, len, (const uint8_t *)data, cu_free_payload,
	    data);
}

/* The same document for every observer that asked for the same format. */
struct round {
	struct admin	*a;
	char		*doc[2];	/* CBOR, JSON */
	size_t		 len[2];
};

static void
notify_one(struct obs *o, void *arg)
{
	struct round	*r = arg;
	uint16_t	 cf = *(uint16_t *)obs_app(o);
	int		 i = cf == CF_JSON;

	if (r->doc[i] == NULL && (r->doc[i] = render(cf, &r->len[i])) == NULL)
		return;
	obs_notify(r->a->observers, o, 205, cf, (const uint8_t *)r->doc[i],
	    r->len[i]);
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct admin	*a = arg;
	struct round	 r = { a, { NULL, NULL }, { 0, 0 } };

	(void)fd;
	(void)what;
	if (obs_set_count(a->observers) == 0 ||
	    stats_generation() == a->notified_gen)
		return;
	a->notified_gen = stats_generation();
	obs_foreach(a->observers, notify_one, &r);
	free(r.doc[0]);
	free(r.doc[1]);
}

static void
hnd_reload(coap_resource_t *res, coap_session_t *ses, const coap_pdu_t *req,
    const coap_string_t *qs, coap_pdu_t *resp)
{
	struct admin *a = coap_resource_get_userdata(res);

	(void)req;
	(void)qs;
	if (!authz_gate(ses, resp) ||
	    !authz_check(ses, resp, "daemon", ACL_ADMIN))
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
		cu_register(r, COAP_REQUEST_GET, hnd_stats);
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
	if (a->timer != NULL)
		event_free(a->timer);
	free(a->stats_path);
	free(a->reload_path);
	free(a);
}
