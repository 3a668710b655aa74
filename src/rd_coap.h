/*
 * rd_coap: the Resource Directory's CoAP face. Turns requests on the
 * directory, its lookups and the registration resources into calls on rd
 * and the results into response codes, options and payloads. Owns the
 * lifetime timer on the event loop. Thin: parsing and rules live in the
 * pure modules.
 */
#ifndef COREHUB_RD_COAP_H
#define COREHUB_RD_COAP_H

#include <coap3/coap.h>

struct config;
struct dispatch;
struct event_base;
struct rd;
struct rd_coap;

struct rd_coap	*rd_coap_new(struct rd *rd, const struct config *c,
		    struct event_base *base);
/* Registers the resources on one context (a listen_foreach callback). */
void		 rd_coap_attach(coap_context_t *ctx, void *rc);
/* Routes the registration resources, made at run time, to rc. */
int		 rd_coap_route(struct rd_coap *rc, struct dispatch *d);
/* Re-arms the lifetime timer after changes made outside a request. */
void		 rd_coap_schedule(struct rd_coap *rc);
/* Limits that SIGHUP may change. */
void		 rd_coap_reconfigure(struct rd_coap *rc, const struct config *c);
void		 rd_coap_free(struct rd_coap *rc);
/*
 * The base a registration from ses has without "base": coap:// or
 * coaps:// and the source address (never a zone ID); NULL over TCP/TLS.
 */
char		*rd_coap_implicit_base(const coap_session_t *ses);

/* The lookup observers gauge for stats.c (a stats_source_fn). */
struct stats_sink;
void		 rd_coap_stats(void *rc, struct stats_sink *s);

/*
 * Sets r->link: the interface a link-local or mesh-local base (r's, or
 * fallback) belongs to, or NULL. -1 when out of memory, -2 for a
 * link-local base from an interface that cannot be told (a 4.00).
 */
struct rd_request;
int		 rd_coap_set_link(const coap_session_t *ses,
		    struct rd_request *r, const char *fallback);

#endif
