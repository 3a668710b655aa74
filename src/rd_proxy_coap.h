/*
 * rd_proxy_coap: the RD proxy extension's forwarding. A request whose
 * Uri-Host is a proxy name (rd_proxy.h) is sent on, at the application
 * level (never through libcoap's proxy code: CVE-2023-30362), to the
 * proxied device: over the session its registration came in on, held
 * (the device's own 5-tuple, through NAT and firewalls), else, for a
 * plain UDP registration, from one client session of ours to its source
 * (or an admin's base). The client gets an empty ACK and the device's
 * answer, collected whole, later, cut into blocks from copies (the cache
 * of fresh GET answers, and each client's last answer for its later
 * blocks). Owns the sessions to devices, the requests in flight, their
 * deadline and their caps (per device, per client and overall).
 */
#ifndef COREHUB_RD_PROXY_COAP_H
#define COREHUB_RD_PROXY_COAP_H

#include <coap3/coap.h>

struct config;
struct event_base;
struct rd;
struct rd_reg;
struct stats_sink;

int	rd_proxy_coap_init(struct rd *rd, struct event_base *base,
	    const struct config *c);
/* Timeout, caps and the largest body taken from a device. */
void	rd_proxy_coap_reconfigure(const struct config *c);
void	rd_proxy_coap_free(void);
/*
 * reg was (re)registered or updated over ses: forward over ses, held
 * while the registration lives, unless a base given over UDP or DTLS
 * says the device is elsewhere. A session libcoap closed (DTLS, TCP) is
 * not used; a plain UDP device is then reached at its address.
 */
void	rd_proxy_coap_bind(const struct rd_reg *reg, coap_session_t *ses);
/* Forwarded, answered, timed out, refused by a cap (a stats_source_fn). */
void	rd_proxy_coap_stats(void *unused, struct stats_sink *s);

#endif
