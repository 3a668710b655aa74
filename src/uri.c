#include "ac_config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "uri.h"

void
uri_split(const char *s, struct uri_parts *p)
{
	size_t n;

	memset(p, 0, sizeof(*p));
	/* scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" */
	n = strcspn(s, ":/?#");
	if (s[n] == ':' && n > 0 && isalpha((unsigned char)s[0])) {
		size_t i;

		for (i = 1; i < n; i++)
			if (!isalnum((unsigned char)s[i]) &&
			    !strchr("+-.", s[i]))
				break;
		if (i == n) {
			p->scheme = (struct uri_span){ s, n, 1 };
			s += n + 1;
		}
	}
	if (s[0] == '/' && s[1] == '/') {
		s += 2;
		n = strcspn(s, "/?#");
		p->authority = (struct uri_span){ s, n, 1 };
		s += n;
	}
	n = strcspn(s, "?#");
	p->path = (struct uri_span){ s, n, 1 };
	s += n;
	if (*s == '?') {
		s++;
		n = strcspn(s, "#");
		p->query = (struct uri_span){ s, n, 1 };
		s += n;
	}
	if (*s == '#') {
		s++;
		p->fragment = (struct uri_span){ s, strlen(s), 1 };
	}
}

int
uri_is_absolute(const char *s)
{
	struct uri_parts p;

	uri_split(s, &p);
	return p.scheme.defined;
}

/* RFC 3986 5.2.4, in place on a NUL-terminated path; returns its length. */
static size_t
remove_dot_segments(char *in)
{
	char	*out = in, *r = in;

	while (*r != '\0') {
		if (strncmp(r, "../", 3) == 0)
			r += 3;
		else if (strncmp(r, "./", 2) == 0)
			r += 2;
		else if (strncmp(r, "/./", 3) == 0)
			r += 2;
		else if (strcmp(r, "/.") == 0)
			r[1] = '\0';
		else if (strncmp(r, "/../", 4) == 0 || strcmp(r, "/..") == 0) {
			if (r[3] == '/')
				r += 3;
			else {
				r += 2;
				*r = '/';
			}
			while (out > in && *--out != '/')
				;
		} else if (strcmp(r, ".") == 0 || strcmp(r, "..") == 0)
			r += strlen(r);
		else {
			/* Move the first segment, with its leading '/'. */
			do
				*out++ = *r++;
			while (*r != '\0' && *r != '/');
		}
	}
	*out = '\0';
	return (size_t)(out - in);
}

static int
add_span(struct buf *b, const char *prefix, const struct uri_span *sp)
{
	if (!sp->defined)
		return 0;
	if (buf_addstr(b, prefix) == -1)
		return -1;
	return buf_add(b, sp->s, sp->len);
}

/* Appends path, dot segments removed. */
static int
add_path(struct buf *b, const char *a, size_t alen, const char *c,
    size_t clen)
{
	char	*tmp;
	size_t	 n;
	int	 rc;

	if ((tmp = malloc(alen + clen + 1)) == NULL)
		return -1;
	memcpy(tmp, a, alen);
	memcpy(tmp + alen, c, clen);
	tmp[alen + clen] = '\0';
	n = remove_dot_segments(tmp);
	rc = buf_add(b, tmp, n);
	free(tmp);
	return rc;
}

/* RFC 3986 5.2.3: the base path up to its last '/', then the reference. */
static int
add_merged(struct buf *b, const struct uri_parts *base,
    const struct uri_parts *ref)
{
	size_t keep = 0;

	if (base->authority.defined && base->path.len == 0)
		return add_path(b, "/", 1, ref->path.s, ref->path.len);
	for (size_t i = 0; i < base->path.len; i++)
		if (base->path.s[i] == '/')
			keep = i + 1;
	return add_path(b, base->path.s, keep, ref->path.s, ref->path.len);
}

int
uri_resolve(const char *base_s, const char *ref_s, struct buf *out)
{
	struct uri_parts	base, ref;
	const struct uri_span	*auth, *query;
	int			rc;

	uri_split(base_s, &base);
	uri_split(ref_s, &ref);
	if (ref.scheme.defined) {
		if (add_span(out, "", &ref.scheme) == -1 ||
		    buf_addc(out, ':') == -1 ||
		    add_span(out, "//", &ref.authority) == -1 ||
		    add_path(out, ref.path.s, ref.path.len, "", 0) == -1 ||
		    add_span(out, "?", &ref.query) == -1)
			return -1;
		return add_span(out, "#", &ref.fragment);
	}
	if (add_span(out, "", &base.scheme) == -1 || buf_addc(out, ':') == -1)
		return -1;
	auth = ref.authority.defined ? &ref.authority : &base.authority;
	if (add_span(out, "//", auth) == -1)
		return -1;
	if (ref.authority.defined) {
		rc = add_path(out, ref.path.s, ref.path.len, "", 0);
		query = &ref.query;
	} else if (ref.path.len == 0) {
		rc = buf_add(out, base.path.s, base.path.len);
		query = ref.query.defined ? &ref.query : &base.query;
	} else {
		rc = ref.path.s[0] == '/' ?
		    add_path(out, ref.path.s, ref.path.len, "", 0) :
		    add_merged(out, &base, &ref);
		query = &ref.query;
	}
	if (rc == -1 || add_span(out, "?", query) == -1)
		return -1;
	return add_span(out, "#", &ref.fragment);
}
