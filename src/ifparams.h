/*
 * ifparams: an interface's CoAP transmission parameters (ACK_TIMEOUT,
 * ACK_RANDOM_FACTOR, MAX_RETRANSMIT, NSTART; RFC 7252 4.8) applied to
 * the sessions that arrive on it, so that a slow lossy mesh gets patient
 * timers while the LAN keeps the defaults. Owns the settings in force.
 */
#ifndef COREHUB_IFPARAMS_H
#define COREHUB_IFPARAMS_H

#include <coap3/coap.h>

struct config;

/* The settings to apply from now on; c must outlive the next call. */
void	ifparams_set(const struct config *c);
/* A listen_set_session_hook callback. */
void	ifparams_session_new(coap_session_t *ses);
/* The same for a session of ours, to a peer reached through ifindex. */
void	ifparams_apply(coap_session_t *ses, int ifindex);
/*
 * The Block2 size exponent (0: 16 bytes .. 6: 1024) to ask a peer behind
 * ifindex for, or -1 to leave the size to the peer: the interface's
 * block-size, 64 bytes on a constrained one.
 */
int	ifparams_block_szx(int ifindex);
/*
 * The interface a base address is local to (RFC 9176 5): the arrival
 * interface for a link-local one, the interface whose mesh-prefix holds
 * it for a mesh-local one; NULL when it is reachable from anywhere.
 * Writes into name (IF_NAMESIZE bytes).
 */
struct in6_addr;
const char *ifparams_link_of(const struct in6_addr *a, int arrival,
	    char *name);

#endif
