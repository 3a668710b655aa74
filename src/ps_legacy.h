/*
 * ps_legacy: the broker's CoAP face in the 2017-2019 model
 * (draft-ietf-core-coap-pubsub-09): one resource per topic under one path,
 * created with a link-format POST (<name>;ct=N, ct=40 for a parent of
 * sub-topics), or by a PUT to a path that does not exist yet, published
 * to with PUT or POST, read and followed with GET and Observe, deleted
 * with its sub-topics, and with a Max-Age lifetime that each publish
 * renews. It serves the same topics as ps_coap.c: a legacy topic "a/b"
 * is a topic named "a/b" whose topic-data is the legacy path, and any
 * topic is reachable here by its name.
 */
#ifndef COREHUB_PS_LEGACY_H
#define COREHUB_PS_LEGACY_H

#include <coap3/coap.h>

struct config;
struct dispatch;
struct ps;
struct ps_coap;
struct ps_legacy;

/* Only when c has a ps-legacy-path; NULL when out of memory. */
struct ps_legacy *ps_legacy_new(struct ps *ps, struct ps_coap *pc,
		    const struct config *c);
void		 ps_legacy_attach(coap_context_t *ctx, void *pl);
int		 ps_legacy_route(struct ps_legacy *pl, struct dispatch *d);
void		 ps_legacy_reconfigure(struct ps_legacy *pl,
		    const struct config *c);
void		 ps_legacy_free(struct ps_legacy *pl);

#endif
