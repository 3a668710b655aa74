/*
 * mcast: multicast discovery on the interfaces of a border router (RFC
 * 9176 4.1, RFC 7252 8). Owns the group sockets (one per interface and
 * group, joined and left as interfaces come and go), and the answers: only
 * to a NON GET of /.well-known/core whose filter selects something, after
 * a random delay within the interface's leisure, from a routable address
 * of the arrival interface, on that interface, at most multicast-rate a
 * second; never an error, an empty list or a reset. It also turns off
 * IPV6_MULTICAST_ALL on libcoap's sockets, which would otherwise receive
 * every group joined on the host and answer it.
 */
#ifndef COREHUB_MCAST_H
#define COREHUB_MCAST_H

#include <coap3/coap.h>

struct config;
struct event_base;
struct iface_table;
struct mcast;

/*
 * Answers for ctx (the first coap:// listener: its resources are what
 * /.well-known/core lists) on its port.
 */
struct mcast	*mcast_new(struct event_base *base, coap_context_t *ctx,
		    uint16_t port, int anonymous, const struct config *c);
void		 mcast_free(struct mcast *m);
/* New interface settings (a reload): c must outlive the next call. */
void		 mcast_reconfigure(struct mcast *m, const struct config *c,
		    const struct iface_table *t);
/* Joins and leaves to match the interfaces as they are now. */
void		 mcast_apply(struct mcast *m, const struct iface_table *t);
/* The groups an interface joins by default (constrained: ff03 too). */
size_t		 mcast_default_groups(int constrained, const char **out,
		    size_t max);

#endif
