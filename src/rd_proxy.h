/*
 * rd_proxy: the names of the RD proxy extension
 * (draft-amsuess-core-resource-directory-extensions, "proxy"). Owns what
 * a registration must be to be proxied (proxy=yes, on or ondemand; ep and
 * d DNS labels in lowercase), the proxy URI it gets instead of its base
 * (scheme://<ep>[.<d>].<host>[:port] from proxy-base), and the reverse:
 * the (ep, d) a request's Uri-Host names. Pure; rd_proxy_coap.c forwards.
 */
#ifndef COREHUB_RD_PROXY_H
#define COREHUB_RD_PROXY_H

#include <stddef.h>

#include "rd_registry.h"

#define RD_PROXY_LABEL_MAX	63	/* a DNS label (RFC 1035 2.3.4) */

/* Whether a proxy-base value is coap[s][+tcp]://name[:port] and no more. */
int	 rd_proxy_base_valid(const char *base);
/* 1 when the parameters ask for proxying, 0 when not, -1 when "proxy" has
 * a value other than yes, on, ondemand or no. */
int	 rd_proxy_wanted(const struct rd_param *p, size_t n);
/*
 * Whether a registration (ep, d) with these parameters may be as asked:
 * NULL, or why not (a 4.00). proxy_base NULL: this directory does not
 * proxy.
 */
const char *rd_proxy_refusal(const struct rd_param *p, size_t n,
	    const char *ep, const char *d, const char *proxy_base);
/* The proxy URI of (ep, d) under proxy_base (malloc'd), or NULL. */
char	*rd_proxy_uri(const char *proxy_base, const char *ep, const char *d);
/*
 * The (ep, d) a Uri-Host of len bytes names under proxy_base, in any
 * case: 1 and ep, d set in lowercase (d "" when none), 0 when the host is
 * not a proxy name at all.
 */
int	 rd_proxy_host(const char *proxy_base, const char *host, size_t len,
	    char ep[RD_PROXY_LABEL_MAX + 1], char d[RD_PROXY_LABEL_MAX + 1]);

#endif
