#include "ac_config.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "linkformat.h"
#include "rd_request.h"
#include "uri.h"
#include "util.h"

int
rd_name_valid(const char *s, size_t len)
{
	return len > 0 && len <= RD_EP_MAX && memchr(s, '\0', len) == NULL &&
	    lf_valid_utf8(s, len);
}

/*
 * An absolute URI with an authority, and neither query nor fragment.
 * s is NUL-terminated (a copy, never the option in the request).
 */
static int
base_valid(const char *s)
{
	struct uri_parts	p;
	size_t			len = strlen(s);

	if (len == 0 || len > RD_BASE_MAX || !lf_valid_utf8(s, len) ||
	    strpbrk(s, " \"\\<>") != NULL)
		return 0;
	uri_split(s, &p);
	/* CoAP URIs carry no userinfo (RFC 7252 6.1): it would hide a host. */
	return p.scheme.defined && p.authority.defined &&
	    p.authority.len > 0 && !p.query.defined && !p.fragment.defined &&
	    memchr(p.authority.s, '@', p.authority.len) == NULL;
}

/* An IP literal with a zone ID ("[fe80::1%25eth0]"): RFC 9176 5 forbids. */
static int
has_zone(const char *s)
{
	struct uri_parts p;

	uri_split(s, &p);
	return p.authority.defined && p.authority.len > 0 &&
	    p.authority.s[0] == '[' &&
	    memchr(p.authority.s, '%', p.authority.len) != NULL;
}

int
rd_base_ipv6(const char *base, struct in6_addr *out)
{
	struct uri_parts	 p;
	const char		*end;
	char			 host[INET6_ADDRSTRLEN];
	size_t			 n;

	if (base == NULL)
		return 0;
	uri_split(base, &p);
	if (!p.authority.defined || p.authority.len < 3 ||
	    p.authority.s[0] != '[' ||
	    (end = memchr(p.authority.s, ']', p.authority.len)) == NULL)
		return 0;
	n = (size_t)(end - p.authority.s) - 1;
	if (n == 0 || n >= sizeof(host))
		return 0;
	memcpy(host, p.authority.s + 1, n);
	host[n] = '\0';
	return inet_pton(AF_INET6, host, out) == 1;
}

static int
param_name_valid(const char *s, size_t len)
{
	static const char *const reserved[] = {
		"page", "count", "href", "anchor", "rt"
	};

	if (len == 0 || len > 63)
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = s[i];

		/* RFC 6690 parmname: shown back as a link attribute. */
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') ||
		    (c != '\0' && strchr("!#$&+-.^_`|~", c))))
			return 0;
	}
	for (size_t i = 0; i < sizeof(reserved) / sizeof(*reserved); i++)
		if (strlen(reserved[i]) == len &&
		    memcmp(reserved[i], s, len) == 0)
			return 0;
	return 1;
}

static int
set_once(char **dst, const char *v, size_t vlen, const char **err,
    const char *dup_msg)
{
	if (*dst != NULL) {
		*err = dup_msg;
		return -1;
	}
	if ((*dst = util_strndup(v, vlen)) == NULL) {
		*err = "out of memory";
		return -1;
	}
	return 0;
}

static int
parse_lt(struct rd_request *req, const char *v, size_t vlen, const char **err)
{
	char		buf[16];
	long long	lt;

	if (req->has_lt || vlen == 0 || vlen >= sizeof(buf)) {
		*err = "lt must be given once, from 1 to 4294967295";
		return -1;
	}
	memcpy(buf, v, vlen);
	buf[vlen] = '\0';
	if (util_parse_ll(buf, 1, RD_LT_MAX, &lt) == -1) {
		*err = "lt must be a number from 1 to 4294967295";
		return -1;
	}
	req->lt = (uint32_t)lt;
	req->has_lt = 1;
	return 0;
}

static int
add_param(struct rd_request *req, const char *name, size_t nlen,
    const char *v, size_t vlen, const char **err)
{
	struct rd_param *p;

	if (!param_name_valid(name, nlen)) {
		*err = "bad or reserved parameter name";
		return -1;
	}
	if (v != NULL && (vlen > RD_PARAM_VALUE_MAX ||
	    memchr(v, '\0', vlen) != NULL || !lf_valid_utf8(v, vlen))) {
		*err = "parameter values are UTF-8 of at most 256 bytes";
		return -1;
	}
	if (req->nparams == RD_PARAMS_MAX) {
		*err = "too many parameters";
		return -1;
	}
	if (req->params == NULL &&
	    (req->params = calloc(RD_PARAMS_MAX, sizeof(*p))) == NULL) {
		*err = "out of memory";
		return -1;
	}
	p = &req->params[req->nparams++];
	if ((p->name = util_strndup(name, nlen)) == NULL ||
	    (v != NULL && (p->value = util_strndup(v, vlen)) == NULL)) {
		*err = "out of memory";
		return -1;
	}
	return 0;
}

static int
parse_one(struct rd_request *req, const char *opt, size_t len,
    const char **err)
{
	const char	*eq = memchr(opt, '=', len);
	size_t		 nlen = eq ? (size_t)(eq - opt) : len;
	const char	*v = eq ? eq + 1 : NULL;
	size_t		 vlen = eq ? len - nlen - 1 : 0;

#define IS(s) (nlen == sizeof(s) - 1 && memcmp(opt, s, nlen) == 0)
	if (IS("ep") || IS("d")) {
		if (v == NULL || !rd_name_valid(v, vlen)) {
			*err = "ep and d are 1 to 63 bytes of UTF-8 without "
			    "control characters";
			return -1;
		}
		return set_once(IS("ep") ? &req->ep : &req->d, v, vlen, err,
		    "ep and d may be given once");
	}
	if (IS("lt"))
		return parse_lt(req, v ? v : "", vlen, err);
	if (IS("base")) {
		if (req->base != NULL) {
			*err = "base may be given once";
			return -1;
		}
		if (v == NULL || memchr(v, '\0', vlen) != NULL ||
		    (req->base = util_strndup(v, vlen)) == NULL ||
		    !base_valid(req->base)) {
			*err = "base must be an absolute URI without query";
			return -1;
		}
		if (has_zone(req->base)) {
			*err = "base must not carry a zone ID (RFC 9176 5)";
			return -1;
		}
		return 0;
	}
#undef IS
	return add_param(req, opt, nlen, v, vlen, err);
}

int
rd_request_parse(const char *const *opts, const size_t *lens, size_t n,
    struct rd_request *req, const char **err)
{
	memset(req, 0, sizeof(*req));
	req->lt = RD_LT_DEFAULT;
	for (size_t i = 0; i < n; i++) {
		if (parse_one(req, opts[i], lens[i], err) == -1) {
			rd_request_free(req);
			return -1;
		}
	}
	return 0;
}

void
rd_request_free(struct rd_request *req)
{
	free(req->ep);
	free(req->d);
	free(req->base);
	free(req->link);
	rd_params_free(req->params, req->nparams);
	memset(req, 0, sizeof(*req));
}
