/*
 * authz: the daemon's authorization at the CoAP edge. Owns the ACL in
 * force (replaced whole on reload, never edited), the names of the
 * objects the services ask about (rd:<d>/<ep>, ps:<topic-name>, stats),
 * and what a refusal answers: 4.01 to an anonymous client, which a
 * credential might help, 4.03 otherwise (RFC 9200 section 5.10.2).
 */
#ifndef COREHUB_AUTHZ_H
#define COREHUB_AUTHZ_H

#include <stddef.h>

#include <coap3/coap.h>

#include "acl.h"

#define AUTHZ_OBJECT_MAX	600

struct acl_quota;
struct principal;

/* Takes acl (NULL: everything is allowed) and frees the one before. */
void		 authz_set(struct acl *acl);
const struct acl *authz_acl(void);

/*
 * Whether p may do action on a registration or a topic, for what is
 * asked once per item (lookups, lists): no object name is even built
 * while no ACL is in force.
 */
int		 authz_allowed_rd(const struct principal *p, const char *d,
		    const char *ep, unsigned int action);
int		 authz_allowed_ps(const struct principal *p, const char *name,
		    unsigned int action);
/*
 * Whether the session's principal may do action on object; if not, the
 * response is set (4.01 or 4.03, with a diagnostic) and the refusal
 * logged.
 */
int		 authz_check(const coap_session_t *ses, coap_pdu_t *resp,
		    const char *object, unsigned int action);
/*
 * Whether the session's listener serves it at all ("anonymous no" refuses
 * clients without credentials); 4.01 set when not. Every service handler
 * starts with it.
 */
int		 authz_gate(const coap_session_t *ses, coap_pdu_t *resp);
/*
 * Whether the session's principal is an admin: one an ACL in force
 * allows the admin action on the object "daemon". An admin may remove
 * any registration and manage any topic, whoever made it. Without an ACL
 * nobody is: first come, first remembered then holds for everyone.
 */
int		 authz_is_admin(const coap_session_t *ses);
/* The refusal alone, for a decision made elsewhere (an owner check). */
void		 authz_refuse(const coap_session_t *ses, coap_pdu_t *resp,
		    const char *why);
/* A principal's quota reached: 4.03 with why (an anon one too). */
void		 authz_over_quota(const coap_session_t *ses, coap_pdu_t *resp,
		    const char *why);
void		 authz_quota(const struct principal *p, struct acl_quota *out);
/*
 * A limit of the daemon's reached (5.03 or 4.29 with Max-Age): counted,
 * logged with the principal, answered.
 */
void		 authz_limit(const coap_session_t *ses, coap_pdu_t *resp,
		    unsigned int code, unsigned int max_age, const char *why);

/* Object names; an over-long one is cut, which only ever matches less. */
const char	*authz_rd_object(char *buf, size_t size, const char *d,
		    const char *ep);
const char	*authz_ps_object(char *buf, size_t size, const char *name);

#endif
