#include "ac_config.h"

#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "util.h"
#include "linkformat.h"

struct parser {
	const char		*s;
	size_t			 len;
	size_t			 pos;
	const struct lf_limits	*lim;
	struct lf_error		*err;
};

static int
fail(struct parser *p, const char *msg)
{
	p->err->offset = p->pos;
	p->err->msg = msg;
	return LF_ESYNTAX;
}

static int
limit(struct parser *p, const char *msg)
{
	p->err->offset = p->pos;
	p->err->msg = msg;
	return LF_ELIMIT;
}

/* RFC 3629 UTF-8, rejecting overlongs, surrogates and C0/C1 controls. */
int
lf_valid_utf8(const char *str, size_t len)
{
	const unsigned char *s = (const unsigned char *)str;

	for (size_t i = 0; i < len; ) {
		unsigned char	c = s[i];
		size_t		n;
		unsigned int	cp;

		if (c < 0x80) {
			if (c < 0x20 || c == 0x7f)
				return 0;
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			n = 1;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			n = 2;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			n = 3;
			cp = c & 0x07;
		} else
			return 0;
		if (len - i <= n)
			return 0;
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + k] & 0x3f);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff) ||
		    (cp >= 0x80 && cp <= 0x9f))
			return 0;
		i += n + 1;
	}
	return 1;
}

static int
is_parmchar(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || (c != '\0' && strchr("!#$&+-.^_`|~", c));
}

/* RFC 6690 ptokenchar. */
static int
is_ptokenchar(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') ||
	    (c != '\0' && strchr("!#$%&'()*+-./:<=>?@[]^_`{|}~", c));
}

int
lf_is_ptoken(const char *v)
{
	if (*v == '\0')
		return 0;
	for (; *v; v++)
		if (!is_ptokenchar((unsigned char)*v))
			return 0;
	return 1;
}

static int
parse_target(struct parser *p, struct lf_link *l)
{
	size_t start;

	if (p->pos >= p->len || p->s[p->pos] != '<')
		return fail(p, "expected '<' to open a link");
	start = ++p->pos;
	while (p->pos < p->len && p->s[p->pos] != '>') {
		unsigned char c = (unsigned char)p->s[p->pos];

		if (c <= ' ' || c == '<' || c == '"' || c == '\\')
			return fail(p, "character not allowed in a target");
		p->pos++;
	}
	if (p->pos >= p->len)
		return fail(p, "target not closed with '>'");
	if (p->pos - start > p->lim->max_len)
		return limit(p, "target too long");
	if ((l->target = util_strndup(p->s + start, p->pos - start)) == NULL)
		return LF_ENOMEM;
	p->pos++;
	return LF_OK;
}

/*
 * quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE, unescaped. The
 * value is measured first so that exactly its size is allocated: every
 * registered value stays in memory as long as its registration.
 */
static int
parse_quoted(struct parser *p, char **out)
{
	size_t	 start = ++p->pos, n = 0, i;
	char	*v;

	for (i = start; i < p->len && p->s[i] != '"'; i++, n++) {
		if (p->s[i] == '\\' && ++i >= p->len)
			break;
		if ((unsigned char)p->s[i] < ' ') {
			p->pos = i;
			return fail(p, "control character in a quoted string");
		}
		if (n == p->lim->max_len) {
			p->pos = i;
			return limit(p, "parameter value too long");
		}
	}
	if (i >= p->len) {
		p->pos = i;
		return fail(p, "quoted string not closed");
	}
	if ((v = malloc(n + 1)) == NULL)
		return LF_ENOMEM;
	for (i = start, n = 0; p->s[i] != '"'; i++) {
		if (p->s[i] == '\\')
			i++;
		v[n++] = p->s[i];
	}
	v[n] = '\0';
	p->pos = i + 1;
	*out = v;
	return LF_OK;
}

static int
parse_ptoken(struct parser *p, char **out)
{
	size_t start = p->pos;

	while (p->pos < p->len && is_ptokenchar((unsigned char)p->s[p->pos]))
		p->pos++;
	if (p->pos == start)
		return fail(p, "expected a value after '='");
	if (p->pos - start > p->lim->max_len)
		return limit(p, "parameter value too long");
	if ((*out = util_strndup(p->s + start, p->pos - start)) == NULL)
		return LF_ENOMEM;
	return LF_OK;
}

static int
parse_attr(struct parser *p, struct lf_attr *a)
{
	size_t	start = p->pos;
	int	rc;

	while (p->pos < p->len && is_parmchar((unsigned char)p->s[p->pos]))
		p->pos++;
	/* RFC 8187 extended parameters (title*) end in one '*'. */
	if (p->pos > start && p->pos < p->len && p->s[p->pos] == '*')
		p->pos++;
	if (p->pos == start)
		return fail(p, "expected a parameter name after ';'");
	if (p->pos - start > p->lim->max_len)
		return limit(p, "parameter name too long");
	if ((a->name = util_strndup(p->s + start, p->pos - start)) == NULL)
		return LF_ENOMEM;
	if (p->pos >= p->len || p->s[p->pos] != '=')
		return LF_OK;
	p->pos++;
	if (p->pos < p->len && p->s[p->pos] == '"') {
		a->quoted = 1;
		rc = parse_quoted(p, &a->value);
	} else
		rc = parse_ptoken(p, &a->value);
	return rc;
}

static int
parse_link(struct parser *p, struct lf_link *l)
{
	size_t	cap = 0;
	int	rc;

	if ((rc = parse_target(p, l)) != LF_OK)
		return rc;
	while (p->pos < p->len && p->s[p->pos] == ';') {
		p->pos++;
		if (l->nattrs == p->lim->max_attrs)
			return limit(p, "too many parameters in one link");
		if (l->nattrs == cap) {
			size_t		 ncap = cap ? cap * 2 : 4;
			struct lf_attr	*n;

			if (ncap > p->lim->max_attrs)
				ncap = p->lim->max_attrs;
			if ((n = reallocarray(l->attrs, ncap, sizeof(*n))) ==
			    NULL)
				return LF_ENOMEM;
			l->attrs = n;
			cap = ncap;
		}
		memset(&l->attrs[l->nattrs], 0, sizeof(*l->attrs));
		rc = parse_attr(p, &l->attrs[l->nattrs]);
		l->nattrs++;	/* freed with the link even when half-made */
		if (rc != LF_OK)
			return rc;
	}
	return LF_OK;
}

static void
skip_space(struct parser *p)
{
	while (p->pos < p->len && strchr(" \t\r\n", p->s[p->pos]) &&
	    p->s[p->pos] != '\0')
		p->pos++;
}

static int
validate_input(struct parser *p)
{
	const unsigned char *s = (const unsigned char *)p->s;

	for (size_t i = 0; i < p->len; i++) {
		if (s[i] == '\0') {
			p->pos = i;
			return fail(p, "NUL byte");
		}
	}
	/*
	 * Bad UTF-8 and controls are refused up front, except the blanks
	 * and line breaks the grammar allows after a comma and at the end
	 * (documents are often wrapped that way); it refuses them elsewhere.
	 */
	for (size_t i = 0, start = 0; i <= p->len; i++) {
		if (i < p->len && s[i] != '\r' && s[i] != '\n' && s[i] != '\t')
			continue;
		if (!lf_valid_utf8(p->s + start, i - start)) {
			p->pos = start;
			return fail(p, "invalid UTF-8 or control character");
		}
		start = i + 1;
	}
	return LF_OK;
}

enum lf_status
lf_parse(const char *text, size_t len, const struct lf_limits *lim,
    struct lf_doc *out, struct lf_error *err)
{
	static const struct lf_limits	 def = LF_LIMITS_DEFAULT;
	struct parser			 p = { text, len, 0, lim ? lim : &def,
					     err };
	struct lf_error			 dummy;
	size_t				 cap = 0;
	int				 rc;

	if (err == NULL)
		p.err = &dummy;
	memset(out, 0, sizeof(*out));
	if ((rc = validate_input(&p)) != LF_OK)
		return rc;
	while (p.pos < p.len) {
		struct lf_link *l;

		if (out->nlinks == p.lim->max_links) {
			rc = limit(&p, "too many links");
			goto fail;
		}
		if (out->nlinks == cap) {
			size_t ncap = cap ? cap * 2 : 8;

			if (ncap > p.lim->max_links)
				ncap = p.lim->max_links;
			l = reallocarray(out->links, ncap, sizeof(*l));
			if (l == NULL) {
				rc = LF_ENOMEM;
				goto fail;
			}
			out->links = l;
			cap = ncap;
		}
		l = &out->links[out->nlinks++];
		memset(l, 0, sizeof(*l));
		if ((rc = parse_link(&p, l)) != LF_OK)
			goto fail;
		/* Files end in a line break: blanks at the very end are fine. */
		if (p.pos < p.len && p.s[p.pos] != ',') {
			size_t at = p.pos;

			skip_space(&p);
			if (p.pos < p.len)
				p.pos = at;
		}
		if (p.pos == p.len)
			break;
		if (p.s[p.pos] != ',') {
			rc = fail(&p, "expected ',' or ';' after a link");
			goto fail;
		}
		p.pos++;
		skip_space(&p);
		if (p.pos == p.len) {
			rc = fail(&p, "document ends with ','");
			goto fail;
		}
	}
	return LF_OK;
fail:
	lf_doc_free(out);
	return rc;
}

void
lf_link_free(struct lf_link *l)
{
	for (size_t i = 0; i < l->nattrs; i++) {
		free(l->attrs[i].name);
		free(l->attrs[i].value);
	}
	free(l->attrs);
	free(l->target);
	memset(l, 0, sizeof(*l));
}

void
lf_doc_free(struct lf_doc *doc)
{
	if (doc->block != NULL)
		free(doc->block);
	else {
		for (size_t i = 0; i < doc->nlinks; i++)
			lf_link_free(&doc->links[i]);
		free(doc->links);
	}
	memset(doc, 0, sizeof(*doc));
}

static char *
pack_str(char **at, const char *s)
{
	char	*p = *at;
	size_t	 n = strlen(s) + 1;

	memcpy(p, s, n);
	*at += n;
	return p;
}

int
lf_doc_pack(struct lf_doc *doc)
{
	size_t		 nattrs = 0, strs = 0, head, n = doc->nlinks;
	struct lf_link	*links;
	struct lf_attr	*attrs;
	char		*block, *at;

	if (doc->block != NULL || doc->nlinks == 0)
		return 0;
	for (size_t i = 0; i < doc->nlinks; i++) {
		const struct lf_link *l = &doc->links[i];

		strs += strlen(l->target) + 1;
		nattrs += l->nattrs;
		for (size_t k = 0; k < l->nattrs; k++)
			strs += strlen(l->attrs[k].name) + 1 +
			    (l->attrs[k].value ? strlen(l->attrs[k].value) + 1 :
			    0);
	}
	head = doc->nlinks * sizeof(*links) + nattrs * sizeof(*attrs);
	if ((block = malloc(head + strs)) == NULL)
		return -1;
	links = (struct lf_link *)block;
	attrs = (struct lf_attr *)(block + doc->nlinks * sizeof(*links));
	at = block + head;
	for (size_t i = 0; i < doc->nlinks; i++) {
		const struct lf_link *l = &doc->links[i];

		links[i].target = pack_str(&at, l->target);
		links[i].attrs = l->nattrs ? attrs : NULL;
		links[i].nattrs = l->nattrs;
		for (size_t k = 0; k < l->nattrs; k++, attrs++) {
			attrs->name = pack_str(&at, l->attrs[k].name);
			attrs->value = l->attrs[k].value ?
			    pack_str(&at, l->attrs[k].value) : NULL;
			attrs->quoted = l->attrs[k].quoted;
		}
	}
	lf_doc_free(doc);
	doc->links = links;
	doc->nlinks = n;
	doc->block = block;
	return 0;
}

const struct lf_attr *
lf_link_attr(const struct lf_link *l, const char *name)
{
	for (size_t i = 0; i < l->nattrs; i++)
		if (strcmp(l->attrs[i].name, name) == 0)
			return &l->attrs[i];
	return NULL;
}

int
lf_write_target(struct buf *b, const char *target)
{
	if (buf_addc(b, '<') == -1 || buf_addstr(b, target) == -1)
		return -1;
	return buf_addc(b, '>');
}

int
lf_write_attr(struct buf *b, const char *name, const char *value,
    int quoted)
{
	if (buf_addc(b, ';') == -1 || buf_addstr(b, name) == -1)
		return -1;
	if (value == NULL)
		return 0;
	if (buf_addc(b, '=') == -1)
		return -1;
	if (!quoted && lf_is_ptoken(value))
		return buf_addstr(b, value);
	if (buf_addc(b, '"') == -1)
		return -1;
	for (; *value; value++) {
		if ((*value == '"' || *value == '\\') && buf_addc(b, '\\') == -1)
			return -1;
		if (buf_addc(b, *value) == -1)
			return -1;
	}
	return buf_addc(b, '"');
}

int
lf_write_link(struct buf *b, const struct lf_link *l)
{
	if (lf_write_target(b, l->target) == -1)
		return -1;
	for (size_t i = 0; i < l->nattrs; i++)
		if (lf_write_attr(b, l->attrs[i].name, l->attrs[i].value,
		    l->attrs[i].quoted) == -1)
			return -1;
	return 0;
}

int
lf_write_doc(struct buf *b, const struct lf_doc *d)
{
	for (size_t i = 0; i < d->nlinks; i++) {
		if (i > 0 && buf_addc(b, ',') == -1)
			return -1;
		if (lf_write_link(b, &d->links[i]) == -1)
			return -1;
	}
	return 0;
}
