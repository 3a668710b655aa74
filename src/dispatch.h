/*
 * dispatch: the one unknown-resource handler of each libcoap context,
 * shared by the services whose resources are made at run time
 * (registrations, topics). libcoap 4.3.1 allows one such handler per
 * context; this module routes each request on it to the service that
 * owns the longest matching path prefix, and answers 4.04 otherwise.
 */
#ifndef COREHUB_DISPATCH_H
#define COREHUB_DISPATCH_H

#include <coap3/coap.h>

/*
 * path is the request's Uri-Path joined, as "/rd/12"; res is the unknown
 * resource (for coap_add_data_large_response).
 */
typedef void (*dispatch_fn)(void *arg, coap_resource_t *res,
    coap_session_t *ses, const coap_pdu_t *req, const char *path,
    const coap_string_t *qs, coap_pdu_t *resp);

#define DISPATCH_MAX	8

struct dispatch;

struct dispatch	*dispatch_new(void);
void		 dispatch_free(struct dispatch *d);
/* Routes "prefix/..." (and prefix itself) to fn; -1 when full. */
int		 dispatch_add(struct dispatch *d, const char *prefix,
		    dispatch_fn fn, void *arg);
/* Installs the handler on one context (a listen_foreach callback). */
void		 dispatch_attach(coap_context_t *ctx, void *d);

#endif
