#include "ac_config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rd_proxy.h"
#include "uri.h"

static int
is_scheme(const struct uri_span *s)
{
	static const char *const schemes[] = {
		"coap", "coaps", "coap+tcp", "coaps+tcp"
	};

	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++)
		if (s->len == strlen(schemes[i]) &&
		    memcmp(s->s, schemes[i], s->len) == 0)
			return 1;
	return 0;
}

/* letters, digits and inner hyphens, 1 to 63 bytes */
static int
label_ok(const char *s, size_t len)
{
	if (len == 0 || len > RD_PROXY_LABEL_MAX || s[0] == '-' ||
	    s[len - 1] == '-')
		return 0;
	for (size_t i = 0; i < len; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') ||
		    (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-'))
			return 0;
	return 1;
}

/* The host of proxy_base and what follows it (":port" or ""). */
static int
split_base(const char *base, const char **host, size_t *hlen,
    const char **rest)
{
	struct uri_parts	 p;
	const char		*colon;

	uri_split(base, &p);
	if (!p.scheme.defined || !is_scheme(&p.scheme) ||
	    !p.authority.defined || p.path.len != 0 || p.query.defined ||
	    p.fragment.defined)
		return -1;
	*host = p.authority.s;
	colon = memchr(p.authority.s, ':', p.authority.len);
	*hlen = colon ? (size_t)(colon - p.authority.s) : p.authority.len;
	*rest = *host + *hlen;
	return 0;
}

int
rd_proxy_base_valid(const char *base)
{
	const char	*host, *rest, *end;
	size_t		 hlen;
	unsigned long	 port;

	if (strlen(base) > 200 || split_base(base, &host, &hlen, &rest) == -1)
		return 0;
	/*
	 * A name of labels, the proxy names being labels put before it; the
	 * last has a letter (RFC 3696 2), so that an IPv4 address is none.
	 */
	for (size_t i = 0, start = 0; i <= hlen; i++) {
		if (i < hlen && host[i] != '.')
			continue;
		if (!label_ok(host + start, i - start))
			return 0;
		if (i == hlen && strspn(host + start, "0123456789") >= i - start)
			return 0;
		start = i + 1;
	}
	if (*rest == '\0')
		return 1;
	if (rest[1] < '0' || rest[1] > '9')
		return 0;
	port = strtoul(rest + 1, (char **)&end, 10);
	return *end == '\0' && port > 0 && port <= 65535;
}

static int
has_upper(const char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			return 1;
	return 0;
}

int
rd_proxy_wanted(const struct rd_param *p, size_t n)
{
	int want = 0;

	for (size_t i = 0; i < n; i++) {
		if (strcmp(p[i].name, "proxy") != 0)
			continue;
		if (p[i].value == NULL)
			return -1;
		if (strcmp(p[i].value, "yes") == 0 ||
		    strcmp(p[i].value, "on") == 0 ||
		    strcmp(p[i].value, "ondemand") == 0)
			want = 1;
		else if (strcmp(p[i].value, "no") == 0)
			want = 0;
		else
			return -1;
	}
	return want;
}

const char *
rd_proxy_refusal(const struct rd_param *p, size_t n, const char *ep,
    const char *d, const char *proxy_base)
{
	int want = rd_proxy_wanted(p, n);

	if (want == -1)
		return "proxy is yes, on, ondemand or no";
	if (want == 0)
		return NULL;
	if (proxy_base == NULL)
		return "this directory does not proxy (no proxy-base)";
	/* Lowercase: a client puts the host in Uri-Host so (RFC 7252 6.4). */
	if (!label_ok(ep, strlen(ep)) || (d && !label_ok(d, strlen(d))) ||
	    has_upper(ep) || (d && has_upper(d)))
		return "a proxied ep (and d) must be DNS labels: lowercase "
		    "letters, digits and inner hyphens";
	return NULL;
}

char *
rd_proxy_uri(const char *proxy_base, const char *ep, const char *d)
{
	const char	*host, *rest;
	size_t		 hlen, size;
	char		*out;

	if (proxy_base == NULL || split_base(proxy_base, &host, &hlen,
	    &rest) == -1)
		return NULL;
	size = strlen(proxy_base) + strlen(ep) + (d ? strlen(d) : 0) + 3;
	if ((out = malloc(size)) == NULL)
		return NULL;
	snprintf(out, size, "%.*s%s%s%s.%s", (int)(host - proxy_base),
	    proxy_base, ep, d ? "." : "", d ? d : "", host);
	return out;
}

/* Names are registered in lowercase; a host may come in any case. */
static void
lower(char *s)
{
	for (; *s; s++)
		if (*s >= 'A' && *s <= 'Z')
			*s = (char)(*s - 'A' + 'a');
}

/* Whether s (n bytes) ends in ".suffix", compared without case. */
static int
under(const char *s, size_t n, const char *suffix, size_t slen)
{
	return n > slen + 1 && s[n - slen - 1] == '.' &&
	    strncasecmp(s + n - slen, suffix, slen) == 0;
}

int
rd_proxy_host(const char *proxy_base, const char *host, size_t len,
    char ep[RD_PROXY_LABEL_MAX + 1], char d[RD_PROXY_LABEL_MAX + 1])
{
	const char	*bhost, *rest, *dot;
	size_t		 blen, n;

	if (proxy_base == NULL || split_base(proxy_base, &bhost, &blen,
	    &rest) == -1 || !under(host, len, bhost, blen))
		return 0;
	n = len - blen - 1;		/* "<ep>" or "<ep>.<d>" */
	dot = memchr(host, '.', n);
	if (dot == NULL) {
		if (!label_ok(host, n))
			return 0;
		memcpy(ep, host, n);
		ep[n] = '\0';
		d[0] = '\0';
		lower(ep);
		return 1;
	}
	if (!label_ok(host, (size_t)(dot - host)) ||
	    !label_ok(dot + 1, n - (size_t)(dot - host) - 1))
		return 0;
	memcpy(ep, host, (size_t)(dot - host));
	ep[dot - host] = '\0';
	memcpy(d, dot + 1, n - (size_t)(dot - host) - 1);
	d[n - (size_t)(dot - host) - 1] = '\0';
	lower(ep);
	lower(d);
	return 1;
}
