/*
 * uri: RFC 3986 URI references: splitting into components (Appendix B)
 * and resolving a reference against a base (section 5.2), which is how
 * the directory turns registered relative links into absolute ones.
 * Pure string work; no percent-decoding, no normalisation beyond 5.2.
 */
#ifndef COREHUB_URI_H
#define COREHUB_URI_H

#include <stddef.h>

struct buf;

struct uri_span {
	const char	*s;
	size_t		 len;
	int		 defined;
};

struct uri_parts {
	struct uri_span	scheme, authority, path, query, fragment;
};

void	uri_split(const char *s, struct uri_parts *p);
/* Has a scheme: the reference is a URI, not a relative reference. */
int	uri_is_absolute(const char *s);
/* Appends the resolution of ref against base (an absolute URI). */
int	uri_resolve(const char *base, const char *ref, struct buf *out);

#endif
