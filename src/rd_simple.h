/*
 * rd_simple: simple registration (RFC 9176 section 5.1). A device posts
 * to /.well-known/rd with an empty payload; corehub answers with an empty
 * ACK, fetches /.well-known/core from the device's address and port
 * (block-wise, under max-payload, one fetch per device that a repeated
 * POST joins), registers those links, and only then sends 2.04 (or an
 * error, registering nothing).
 */
#ifndef COREHUB_RD_SIMPLE_H
#define COREHUB_RD_SIMPLE_H

#include <coap3/coap.h>

struct event_base;
struct rd;
struct rd_simple;

/* changed() is told after each registration made here. */
struct rd_simple *rd_simple_new(struct rd *rd, struct event_base *base,
		    size_t max_body, void (*changed)(void *),
		    void *changed_arg);
void		 rd_simple_attach(coap_context_t *ctx, void *rs);
void		 rd_simple_set_max_body(struct rd_simple *rs, size_t max);
void		 rd_simple_free(struct rd_simple *rs);

#endif
