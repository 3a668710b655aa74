/*
 * ps_coap: the broker's CoAP face for draft-ietf-core-coap-pubsub-21: the
 * topic collection (GET, FETCH, POST to create), each topic's
 * configuration (GET, FETCH, POST, iPATCH, DELETE) and its topic-data
 * (PUT to publish, GET and Observe to read and subscribe, DELETE). Owns
 * the subscribers of each topic and their notifications, and the expiry
 * timer on the loop. Thin: the rules live in ps.c and ps_topic.c.
 */
#ifndef COREHUB_PS_COAP_H
#define COREHUB_PS_COAP_H

#include <coap3/coap.h>

#include "ps_topic.h"

struct config;
struct dispatch;
struct event_base;
struct ps;
struct ps_coap;

struct ps_coap	*ps_coap_new(struct ps *ps, const struct config *c,
		    struct event_base *base);
/* Registers the collection on one context (a listen_foreach callback). */
void		 ps_coap_attach(coap_context_t *ctx, void *pc);
/* Routes topics and their data, made at run time, to pc. */
int		 ps_coap_route(struct ps_coap *pc, struct dispatch *d);
/* Re-arms the expiry timer after changes made outside a request. */
void		 ps_coap_schedule(struct ps_coap *pc);
void		 ps_coap_reconfigure(struct ps_coap *pc, const struct config *c);
/*
 * GET on a topic's data, for both front ends: the last value (with
 * Max-Age when max_age >= 0), 4.04 while half created, and Observe
 * registration on the topic's one set of subscribers.
 */
void		 ps_coap_get(struct ps_coap *pc, coap_resource_t *res,
		    coap_session_t *ses, const coap_pdu_t *req,
		    const coap_string_t *qs, coap_pdu_t *resp,
		    struct ps_topic *t, int max_age);
/*
 * The ACL on a topic for the session (ps:<topic-name>), and for a change
 * of its configuration the creator only on top; when not allowed the
 * response is set to the refusal.
 */
int		 ps_coap_may(coap_session_t *ses, coap_pdu_t *resp,
		    const struct ps_topic *t, unsigned int action);
int		 ps_coap_may_admin(coap_session_t *ses, coap_pdu_t *resp,
		    const struct ps_topic *t);
/*
 * The principal's quotas: its publish rate (4.29 with Max-Age when over)
 * and its number of topics (4.03); the response is set when not allowed.
 */
int		 ps_coap_publish_allowed(struct ps_coap *pc,
		    coap_session_t *ses, coap_pdu_t *resp);
int		 ps_coap_topic_allowed(struct ps_coap *pc, coap_session_t *ses,
		    coap_pdu_t *resp);
/* A broker result as a response: 4.29 and 5.03 with Max-Age. */
void		 ps_coap_respond_result(coap_pdu_t *resp, enum ps_result r,
		    const char *why, uint32_t retry);
void		 ps_coap_free(struct ps_coap *pc);

/* The subscribers gauge for stats.c (a stats_source_fn). */
struct stats_sink;
void		 ps_coap_stats(void *pc, struct stats_sink *s);

#endif
