/*
 * acl: who may do what to which object. Owns the ACL file format (groups,
 * allow and deny rules, quotas), the object pattern language and the
 * decision itself: deny beats allow, and what no rule allows is denied.
 * Knows nothing of CoAP or storage: callers name the object and action.
 */
#ifndef COREHUB_ACL_H
#define COREHUB_ACL_H

#include <stdio.h>
#include <stdint.h>

struct principal;
struct acl;

enum acl_action {			/* bits */
	ACL_REGISTER = 1u << 0,
	ACL_UPDATE = 1u << 1,
	ACL_DELETE = 1u << 2,
	ACL_LOOKUP = 1u << 3,
	ACL_SIMPLE_REGISTER = 1u << 4,
	ACL_CREATE = 1u << 5,
	ACL_ADMIN = 1u << 6,
	ACL_READ_CONFIG = 1u << 7,
	ACL_PUBLISH = 1u << 8,
	ACL_SUBSCRIBE = 1u << 9,
	ACL_DELETE_DATA = 1u << 10,
	ACL_STATS = 1u << 11,
	ACL_PROXY = 1u << 12		/* through the RD proxy */
};
#define ACL_ALL_ACTIONS ((1u << 13) - 1)

struct acl_quota {		/* 0: no limit of this kind */
	uint32_t registrations, links, topics, subscriptions, publish_rate;
};

/*
 * Parses; every error is written to errors as "NAME:LINE: message" (all of
 * them, not just the first); NULL when any.
 */
struct acl	*acl_parse(const char *text, size_t len, const char *name,
		    FILE *errors);
/* Reads path (at most 1 MiB) and parses it; errors as above. */
struct acl	*acl_load(const char *path, FILE *errors);
void		 acl_free(struct acl *acl);
/*
 * Whether p may do action (one bit) on object. NULL acl: everything is
 * allowed (no ACL configured).
 */
int		 acl_allowed(const struct acl *acl,
		    const struct principal *p, const char *object,
		    unsigned int action);
/* The quota for p: the first line whose subject matches, or 0s. */
void		 acl_quota(const struct acl *acl, const struct principal *p,
		    struct acl_quota *out);
/* Writes the rules back, one per line, normalised (for tests and -nv). */
void		 acl_print(const struct acl *acl, FILE *out);
/* Parses "register,update" etc. into bits; -1 on an unknown name. */
int		 acl_actions_parse(const char *s, unsigned int *out);
/* The name of one action bit ("register"), or "?". */
const char	*acl_action_name(unsigned int action);

#endif
