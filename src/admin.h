/*
 * admin: the daemon's own CoAP resources for operators. Owns the
 * statistics resource (CBOR or JSON by Accept, observable: its observers
 * hear at most once per stats-interval, and only when a counter moved)
 * and the reload resource (what SIGHUP does, for a remote admin). Both
 * are ACL actions: stats on "stats", admin on "daemon".
 */
#ifndef COREHUB_ADMIN_H
#define COREHUB_ADMIN_H

#include <coap3/coap.h>

struct config;
struct event_base;
struct admin;

/*
 * Checks the configuration file and, when it is valid, has the daemon
 * reload it once the current event is done: 0, or -1 when it is not
 * valid (the errors are logged).
 */
typedef int	(*admin_reload_fn)(void *arg);

struct admin	*admin_new(const struct config *c, struct event_base *base,
		    admin_reload_fn reload, void *arg);
void		 admin_free(struct admin *a);
/* Serves the resources on ctx (a listen_foreach callback). */
void		 admin_attach(coap_context_t *ctx, void *arg);
/* stats-interval; the paths change at the next restart. */
void		 admin_reconfigure(struct admin *a, const struct config *c);

#endif
