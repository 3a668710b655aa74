/*
 * listen: the daemon's CoAP listeners. Owns one libcoap context per
 * configured listener (libcoap 4.3.1 keeps credentials per context, and
 * each listener has its own), its endpoint (UDP, DTLS, TCP or TLS), its
 * PSK and PKI credentials, libcoap's resource limits, and the principal
 * attached to every authenticated session.
 */
#ifndef COREHUB_LISTEN_H
#define COREHUB_LISTEN_H

#include <coap3/coap.h>

struct config;
struct loop;
struct principal;
struct listen_set;

/* Opens every listener of c and attaches it to the loop; NULL on failure. */
struct listen_set	*listen_open(struct config *c, struct loop *loop);
/*
 * Applies what can change without a restart: PSK keys (the tables move out
 * of c), limits. Logs what would need a restart. Never fails: a listener
 * keeps its old settings if the new ones cannot be used.
 */
void			 listen_reload(struct listen_set *s, struct config *c);
void			 listen_close(struct listen_set *s);
/* Service modules register their resources on every context. */
void			 listen_foreach(struct listen_set *s,
			    void (*fn)(coap_context_t *, void *), void *arg);
/* The context of the listener with this (normalised) URI, or NULL. */
coap_context_t		*listen_context(struct listen_set *s, const char *uri);
/* Called with every new server session, before its first request. */
void			 listen_set_session_hook(void (*fn)(coap_session_t *));
/* Told when a message we sent was reset or never acknowledged. */
typedef void (*listen_nack_hook)(coap_session_t *ses, const coap_pdu_t *sent,
    coap_nack_reason_t reason);
int			 listen_add_nack_hook(listen_nack_hook fn);
/*
 * Told of every response to a request of ours, until one hook says it
 * was its own (returns 1): libcoap has one response handler a context.
 */
typedef int (*listen_response_hook)(coap_session_t *ses,
    const coap_pdu_t *rcvd);
int			 listen_add_response_hook(listen_response_hook fn);
/* Whether RFC 9175 amplification limits apply (plain UDP, echo yes). */
int			 listen_session_needs_echo(const coap_session_t *ses);
/* Whether the session's listener serves clients without credentials. */
int			 listen_session_serves_anon(const coap_session_t *ses);
/* The session's principal; "anon" when it has none. */
const struct principal	*listen_session_principal(const coap_session_t *ses);

#endif
