/*
 * wellknown: /.well-known/core (RFC 6690), answered by corehub instead of
 * libcoap so that its answer, the largest to the smallest request, obeys
 * the amplification limits of echo.c like every other. Owns the list of
 * resources each context advertises and the RFC 6690 section 4.1 query
 * filter (one name=value, a trailing '*' for a prefix, rt and if matched
 * word by word).
 */
#ifndef COREHUB_WELLKNOWN_H
#define COREHUB_WELLKNOWN_H

#include <coap3/coap.h>

#define WELLKNOWN_MAX	256	/* resources advertised, all contexts */

/* Advertises r (already added to ctx) in ctx's /.well-known/core. */
void	wellknown_add(coap_context_t *ctx, coap_resource_t *r);
/* Serves /.well-known/core on ctx (a listen_foreach callback). */
void	wellknown_attach(coap_context_t *ctx, void *arg);
void	wellknown_reset(void);
/*
 * The document ctx serves to req (its one filter applied); "" when
 * nothing matches, NULL when it would exceed the size cap. Free it.
 */
char	*wellknown_document(coap_context_t *ctx, const coap_pdu_t *req,
	    size_t *len);

#endif
