/*
 * rd_request: the Uri-Query of a registration or an update, validated.
 * Owns the rules for ep and d (UTF-8, at most 63 bytes, no controls), lt,
 * base (an absolute URI without query or fragment), and extra attributes
 * (stored and shown as endpoint attributes; et may repeat). Pure.
 */
#ifndef COREHUB_RD_REQUEST_H
#define COREHUB_RD_REQUEST_H

#include <stddef.h>
#include <stdint.h>

#include "rd_registry.h"

#define RD_PARAMS_MAX		16	/* extra attributes per request */
#define RD_PARAM_VALUE_MAX	256
#define RD_BASE_MAX		256

struct rd_request {
	char		*ep;
	char		*d;
	uint32_t	 lt;
	int		 has_lt;
	char		*base;
	struct rd_param	*params;
	size_t		 nparams;
	char		*link;		/* set by the caller: rd_content.link */
};

/* Parses Uri-Query options; returns 0 or -1 with *err for a 4.00. */
int	rd_request_parse(const char *const *opts, const size_t *lens,
	    size_t n, struct rd_request *req, const char **err);
void	rd_request_free(struct rd_request *req);
/* Whether base's host is an IPv6 literal, then in *out. */
struct in6_addr;
int	rd_base_ipv6(const char *base, struct in6_addr *out);
/* ep and d syntax (RFC 9176 section 5). */
int	rd_name_valid(const char *s, size_t len);

#endif
