/*
 * linkformat: RFC 6690 CoRE Link Format, parsed strictly into plain
 * structs and written back. Owns the grammar (targets, parameters, quoted
 * strings, UTF-8), the caps on links, parameters and lengths that protect
 * the daemon from hostile documents, and the quoting rules on output.
 * Pure: no CoAP, no I/O.
 */
#ifndef COREHUB_LINKFORMAT_H
#define COREHUB_LINKFORMAT_H

#include <stddef.h>

struct buf;

struct lf_attr {
	char	*name;
	char	*value;		/* unescaped; NULL for a parameter alone */
	int	 quoted;	/* written as a quoted-string */
};

struct lf_link {
	char		*target;	/* as written between < > */
	struct lf_attr	*attrs;
	size_t		 nattrs;
};

struct lf_doc {
	struct lf_link	*links;
	size_t		 nlinks;
	void		*block;		/* set when packed: all in one */
};

struct lf_limits {
	size_t	max_links;	/* per document */
	size_t	max_attrs;	/* per link */
	size_t	max_len;	/* bytes of one target, name or value */
};

#define LF_LIMITS_DEFAULT	{ 1024, 32, 1024 }

enum lf_status {
	LF_OK = 0,
	LF_ESYNTAX = -1,
	LF_ELIMIT = -2,
	LF_ENOMEM = -3
};

struct lf_error {
	size_t		 offset;	/* byte where parsing stopped */
	const char	*msg;		/* static text, for a diagnostic */
};

/* Parses text of len bytes; on failure out is empty and err says why. */
enum lf_status	lf_parse(const char *text, size_t len,
		    const struct lf_limits *lim, struct lf_doc *out,
		    struct lf_error *err);
void		lf_doc_free(struct lf_doc *doc);
/*
 * Moves the whole document into one allocation: a registration's links
 * live as long as it does, and one block costs far less than one
 * allocation per string. On failure the document is left as it was.
 */
int		lf_doc_pack(struct lf_doc *doc);
void		lf_link_free(struct lf_link *l);
const struct lf_attr *lf_link_attr(const struct lf_link *l, const char *name);

/* Appends <target> then each parameter, as parsed. */
int		lf_write_target(struct buf *b, const char *target);
int		lf_write_attr(struct buf *b, const char *name,
		    const char *value, int quoted);
int		lf_write_link(struct buf *b, const struct lf_link *l);
int		lf_write_doc(struct buf *b, const struct lf_doc *d);
/* Whether value can be written without quotes (an RFC 6690 ptoken). */
int		lf_is_ptoken(const char *value);
/* UTF-8 without control characters (what ep and d must be, too). */
int		lf_valid_utf8(const char *s, size_t len);

#endif
