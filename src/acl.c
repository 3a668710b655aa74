#include "ac_config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "acl.h"
#include "principal.h"
#include "psk.h"
#include "util.h"

#define ACL_FILE_MAX		(1024 * 1024)
#define ACL_LINE_MAX		4096
/* As many words as a line can hold. */
#define ACL_WORDS_MAX		(ACL_LINE_MAX / 2 + 1)
/* Allow, deny and quota lines together. */
#define ACL_RULES_MAX		10000
#define ACL_GROUPS_MAX		256
#define ACL_MEMBERS_MAX		1024
#define ACL_GROUP_NAME_MAX	64
#define ACL_OBJECT_MAX		512
#define ACL_NACTIONS		13
/* Pattern elements after substitution; a longer pattern matches nothing. */
#define ACL_EXPAND_MAX		2048
#define ACL_STATE_WORDS		((ACL_EXPAND_MAX + 1 + 63) / 64)

/* Pattern elements: a byte stands for itself, the rest lie above 0xff. */
#define E_STAR		0x100	/* any run without '/' */
#define E_DSTAR		0x101	/* any run */
#define E_SUB_P		0x102	/* the principal's name */
#define E_SUB_CN	0x103	/* its CN, or its PSK identity */

enum subject_kind {
	SUBJ_ANON,
	SUBJ_ANY,
	SUBJ_AUTHENTICATED,
	SUBJ_PSK,
	SUBJ_X509,
	SUBJ_CN,
	SUBJ_ISSUER,
	SUBJ_SAN,
	SUBJ_GROUP
};

struct subject {
	enum subject_kind	 kind;
	char			*word;		/* as printed */
	size_t			 group;	/* SUBJ_GROUP */
};

struct group {
	char			 name[ACL_GROUP_NAME_MAX + 1];
	int			 line;
	struct subject		*members;
	size_t			 nmembers;
};

struct pattern {
	char			*text;	/* as written */
	uint16_t		*elems;
	size_t			 nelems;
	size_t			 prefix;	/* literal bytes first */
	int			 subst;		/* uses %p or %cn */
};

struct rule {
	int			 deny;
	unsigned int		 actions;
	struct subject		 subject;
	struct pattern		 object;
};

struct quota_rule {
	struct subject		 subject;
	unsigned int		 given;	/* keys written */
	struct acl_quota	 q;
};

struct acl {
	struct group		*groups;
	size_t			 ngroups;
	struct rule		*rules;
	size_t			 nrules;
	struct quota_rule	*quotas;
	size_t			 nquotas;
	/* Per action, the rules that name it: denies first, then allows. */
	uint32_t		*index[ACL_NACTIONS];
	size_t			 nindex[ACL_NACTIONS];
};

struct parser {
	struct acl		*acl;
	FILE			*errors;
	const char		*name;
	int			 line;
	int			 nerrors;
	int			 full_said;	/* "more than N rules" */
	size_t			 cap_rules;
	size_t			 cap_quotas;
};

static const struct {
	const char	*name;
	unsigned int	 bit;
} actions[ACL_NACTIONS] = {
	{ "register",		ACL_REGISTER },
	{ "update",		ACL_UPDATE },
	{ "delete",		ACL_DELETE },
	{ "lookup",		ACL_LOOKUP },
	{ "simple-register",	ACL_SIMPLE_REGISTER },
	{ "create",		ACL_CREATE },
	{ "admin",		ACL_ADMIN },
	{ "read-config",	ACL_READ_CONFIG },
	{ "publish",		ACL_PUBLISH },
	{ "subscribe",		ACL_SUBSCRIBE },
	{ "delete-data",	ACL_DELETE_DATA },
	{ "stats",		ACL_STATS },
	{ "proxy",		ACL_PROXY },
};

/* In struct acl_quota order. */
static const char *const quota_keys[] = {
	"registrations", "links", "topics", "subscriptions", "publish-rate"
};
#define ACL_NQUOTA_KEYS	(sizeof(quota_keys) / sizeof(quota_keys[0]))

static void __attribute__((format(printf, 2, 3)))
perr(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	fprintf(p->errors, "%s:%d: ", p->name, p->line);
	va_start(ap, fmt);
	vfprintf(p->errors, fmt, ap);
	va_end(ap);
	fputc('\n', p->errors);
	p->nerrors++;
}

/* arr with room for at least n + 1 elements, or NULL (arr is kept). */
static void *
grow(void *arr, size_t *cap, size_t n, size_t size)
{
	void	*r;
	size_t	 ncap;

	if (n < *cap)
		return arr;
	ncap = *cap ? *cap * 2 : 16;
	if ((r = reallocarray(arr, ncap, size)) != NULL)
		*cap = ncap;
	return r;
}

/* Actions. */

static unsigned int
action_bit(const char *s, size_t n)
{
	if (n == 3 && strncmp(s, "all", 3) == 0)
		return ACL_ALL_ACTIONS;
	for (size_t i = 0; i < ACL_NACTIONS; i++)
		if (strlen(actions[i].name) == n &&
		    strncmp(actions[i].name, s, n) == 0)
			return actions[i].bit;
	return 0;
}

/* On an unknown name, *bad and *badlen say which. */
static int
actions_parse(const char *s, unsigned int *out, const char **bad,
    size_t *badlen)
{
	unsigned int	mask = 0, bit;
	size_t		n;

	for (;;) {
		n = strcspn(s, ",");
		if ((bit = action_bit(s, n)) == 0) {
			*bad = s;
			*badlen = n;
			return -1;
		}
		mask |= bit;
		if (s[n] == '\0')
			break;
		s += n + 1;
	}
	*out = mask;
	return 0;
}

const char *
acl_action_name(unsigned int action)
{
	for (size_t i = 0; i < ACL_NACTIONS; i++)
		if (actions[i].bit == action)
			return actions[i].name;
	return "?";
}

int
acl_actions_parse(const char *s, unsigned int *out)
{
	const char	*bad;
	size_t		 badlen;

	return actions_parse(s, out, &bad, &badlen);
}

/* The index of a single action bit, or -1. */
static int
action_index(unsigned int action)
{
	if (action == 0 || (action & (action - 1)) != 0 ||
	    (action & ~ACL_ALL_ACTIONS) != 0)
		return -1;
	return __builtin_ctz(action);
}

/* Subjects. */

static void
subject_free(struct subject *s)
{
	free(s->word);
	s->word = NULL;
}

static long
group_find(const struct acl *acl, const char *name)
{
	for (size_t i = 0; i < acl->ngroups; i++)
		if (strcmp(acl->groups[i].name, name) == 0)
			return (long)i;
	return -1;
}

/* What principal_new_psk accepts: 1 to 128 printable, no blanks. */
static int
valid_identity(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > PSK_IDENTITY_MAX)
		return 0;
	for (; *s; s++)
		if (*s < 0x21 || *s > 0x7e)
			return 0;
	return 1;
}

static int
valid_sha256hex(const char *s)
{
	size_t n;

	for (n = 0; s[n]; n++)
		if (!((s[n] >= '0' && s[n] <= '9') ||
		    (s[n] >= 'a' && s[n] <= 'f')))
			return 0;
	return n == 64;
}

/* Quoted words may hold tabs; no name or pattern may. */
static int
has_control(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

static int
subject_kind(struct parser *p, const char *w, struct subject *s)
{
	long g;

	if (strcmp(w, "anon") == 0)
		s->kind = SUBJ_ANON;
	else if (strcmp(w, "any") == 0)
		s->kind = SUBJ_ANY;
	else if (strcmp(w, "authenticated") == 0)
		s->kind = SUBJ_AUTHENTICATED;
	else if (strncmp(w, "psk:", 4) == 0) {
		if (!valid_identity(w + 4)) {
			perr(p, "subject \"%s\": the identity must be 1 to %d "
			    "printable characters without blanks", w,
			    PSK_IDENTITY_MAX);
			return -1;
		}
		s->kind = SUBJ_PSK;
	} else if (strncmp(w, "x509:", 5) == 0) {
		if (!valid_sha256hex(w + 5)) {
			perr(p, "subject \"%s\": expected 64 lowercase hex "
			    "digits", w);
			return -1;
		}
		s->kind = SUBJ_X509;
	} else if (strncmp(w, "cn:", 3) == 0) {
		if (w[3] == '\0' || strlen(w + 3) > PRINCIPAL_CN_MAX ||
		    has_control(w + 3)) {
			perr(p, "subject \"%s\": the cn must be 1 to %d bytes "
			    "without control characters", w, PRINCIPAL_CN_MAX);
			return -1;
		}
		s->kind = SUBJ_CN;
	} else if (strncmp(w, "issuer:", 7) == 0 ||
	    strncmp(w, "san:", 4) == 0) {
		const char *v = strchr(w, ':') + 1;

		if (*v == '\0' || strlen(v) > PRINCIPAL_ISSUER_MAX ||
		    has_control(v)) {
			perr(p, "subject \"%s\": expected 1 to %d bytes "
			    "without control characters", w,
			    PRINCIPAL_ISSUER_MAX);
			return -1;
		}
		s->kind = w[0] == 'i' ? SUBJ_ISSUER : SUBJ_SAN;
	} else if (strncmp(w, "group:", 6) == 0) {
		if ((g = group_find(p->acl, w + 6)) == -1) {
			perr(p, "group \"%s\" is not defined", w + 6);
			return -1;
		}
		s->kind = SUBJ_GROUP;
		s->group = (size_t)g;
	} else {
		perr(p, "unknown subject \"%s\"", w);
		return -1;
	}
	return 0;
}

static int
parse_subject(struct parser *p, const char *w, struct subject *s)
{
	memset(s, 0, sizeof(*s));
	if (subject_kind(p, w, s) == -1)
		return -1;
	if ((s->word = strdup(w)) == NULL) {
		perr(p, "out of memory");
		return -1;
	}
	return 0;
}

static int	subject_match(const struct acl *, const struct subject *,
		    const struct principal *);

static int
group_match(const struct acl *acl, const struct group *g,
    const struct principal *pr)
{
	for (size_t i = 0; i < g->nmembers; i++)
		if (subject_match(acl, &g->members[i], pr))
			return 1;
	return 0;
}

static int
subject_match(const struct acl *acl, const struct subject *s,
    const struct principal *pr)
{
	switch (s->kind) {
	case SUBJ_ANON:
		return pr->kind == PRINCIPAL_ANON;
	case SUBJ_ANY:
		return 1;
	case SUBJ_AUTHENTICATED:
		return pr->kind != PRINCIPAL_ANON;
	case SUBJ_PSK:
		return pr->kind == PRINCIPAL_PSK &&
		    strcmp(pr->name, s->word) == 0;
	case SUBJ_X509:
		return pr->kind == PRINCIPAL_X509 &&
		    strcmp(pr->name, s->word) == 0;
	case SUBJ_CN:
		return pr->kind == PRINCIPAL_X509 &&
		    strcmp(pr->cn, s->word + 3) == 0;
	case SUBJ_ISSUER:
		return pr->kind == PRINCIPAL_X509 &&
		    strcmp(pr->issuer, s->word + 7) == 0;
	case SUBJ_SAN:
		if (pr->kind != PRINCIPAL_X509)
			return 0;
		for (size_t i = 0; i < pr->nsan; i++)
			if (strcmp(pr->san[i], s->word + 4) == 0)
				return 1;
		return 0;
	case SUBJ_GROUP:
		return group_match(acl, &acl->groups[s->group], pr);
	}
	return 0;
}

/*
 * Patterns. "*" is any run without '/' (one path segment or part of one),
 * "**" any run at all, '/' included, for a whole subtree of topics. %p and
 * %cn name the asker, so that one rule can give each principal its own
 * objects; %% is a '%'. A '*' in an object is only a byte.
 */

static void
pattern_free(struct pattern *pt)
{
	free(pt->text);
	free(pt->elems);
	pt->text = NULL;
	pt->elems = NULL;
}

/* One element from s; returns the bytes used, 0 on a bad %. */
static size_t
pattern_elem(const char *s, uint16_t *e)
{
	size_t n;

	if (*s == '*') {
		for (n = 1; s[n] == '*'; n++)
			;
		*e = n == 1 ? E_STAR : E_DSTAR;
		return n;
	}
	if (*s != '%') {
		*e = (unsigned char)*s;
		return 1;
	}
	if (s[1] == 'p') {
		*e = E_SUB_P;
		return 2;
	}
	if (s[1] == 'c' && s[2] == 'n') {
		*e = E_SUB_CN;
		return 3;
	}
	if (s[1] == '%') {
		*e = '%';
		return 2;
	}
	return 0;
}

static int
pattern_compile(struct parser *p, const char *s, struct pattern *pt)
{
	size_t	len = strlen(s), i = 0, used;
	int	literal = 1;

	memset(pt, 0, sizeof(*pt));
	if ((pt->elems = calloc(len + 1, sizeof(*pt->elems))) == NULL ||
	    (pt->text = strdup(s)) == NULL) {
		perr(p, "out of memory");
		pattern_free(pt);
		return -1;
	}
	while (i < len) {
		uint16_t e;

		if ((used = pattern_elem(s + i, &e)) == 0) {
			perr(p, "object: \"%.2s\" is not %%p, %%cn or %%%%",
			    s + i);
			pattern_free(pt);
			return -1;
		}
		if (e > 0xff)
			literal = 0;
		if (e == E_SUB_P || e == E_SUB_CN)
			pt->subst = 1;
		if (literal)
			pt->prefix++;
		pt->elems[pt->nelems++] = e;
		i += used;
	}
	return 0;
}

static int
parse_object(struct parser *p, const char *s, struct pattern *pt)
{
	if (strncmp(s, "rd:", 3) != 0 && strncmp(s, "ps:", 3) != 0 &&
	    strcmp(s, "stats") != 0 && strcmp(s, "daemon") != 0) {
		perr(p, "object must begin with rd:, ps: or be stats or "
		    "daemon");
		return -1;
	}
	if (strlen(s) > ACL_OBJECT_MAX) {
		perr(p, "object longer than %d bytes", ACL_OBJECT_MAX);
		return -1;
	}
	if (has_control(s)) {
		perr(p, "object contains a control character");
		return -1;
	}
	return pattern_compile(p, s, pt);
}

/* The text %p or %cn stands for, or NULL when pr has none. */
static const char *
subst_value(const struct principal *pr, uint16_t e)
{
	switch (pr->kind) {
	case PRINCIPAL_PSK:
		if (e == E_SUB_P)
			return pr->name;
		return strncmp(pr->name, "psk:", 4) == 0 ? pr->name + 4 : NULL;
	case PRINCIPAL_X509:
		if (e == E_SUB_P)
			return pr->name;
		return pr->cn[0] != '\0' ? pr->cn : NULL;
	default:
		return NULL;
	}
}

/*
 * Replaces %p and %cn by bytes, which then match only themselves. Returns
 * the element count, or -1 when pr lacks a value or the result is too long.
 */
static long
pattern_expand(const struct pattern *pt, const struct principal *pr,
    uint16_t *out, size_t max)
{
	const char	*v;
	size_t		 o = 0;

	for (size_t i = 0; i < pt->nelems; i++) {
		uint16_t e = pt->elems[i];

		if (e != E_SUB_P && e != E_SUB_CN) {
			if (o == max)
				return -1;
			out[o++] = e;
			continue;
		}
		if ((v = subst_value(pr, e)) == NULL)
			return -1;
		for (; *v != '\0'; v++) {
			if (o == max)
				return -1;
			out[o++] = (unsigned char)*v;
		}
	}
	return (long)o;
}

/* Adds the states reachable without input: a star may match nothing. */
static void
glob_closure(const uint16_t *e, size_t n, uint64_t *set, size_t nw)
{
	for (size_t w = 0; w < nw; w++) {
		uint64_t bits, done = 0;

		/* A state added at i + 1 may lie in this word: reread it. */
		while ((bits = set[w] & ~done) != 0) {
			size_t i = w * 64 + (size_t)__builtin_ctzll(bits);

			done |= bits & -bits;
			if (i < n && (e[i] == E_STAR || e[i] == E_DSTAR))
				set[(i + 1) / 64] |= 1ull << ((i + 1) % 64);
		}
	}
}

/*
 * Matches s against n elements by running every state at once (state i:
 * the first i elements have matched), so that time is at most n per byte
 * whatever the stars: no backtracking to blow up on hostile patterns.
 */
static int
glob_match(const uint16_t *e, size_t n, const char *s, size_t slen)
{
	uint64_t	cur[ACL_STATE_WORDS], next[ACL_STATE_WORDS];
	size_t		nw = n / 64 + 1;

	memset(cur, 0, nw * sizeof(*cur));
	cur[0] = 1;
	glob_closure(e, n, cur, nw);
	for (size_t k = 0; k < slen; k++) {
		unsigned char	c = (unsigned char)s[k];
		uint64_t	any = 0;

		memset(next, 0, nw * sizeof(*next));
		for (size_t w = 0; w < nw; w++) {
			for (uint64_t bits = cur[w]; bits; bits &= bits - 1) {
				size_t i = w * 64 +
				    (size_t)__builtin_ctzll(bits);

				if (i == n)
					continue;
				if (e[i] == E_DSTAR ||
				    (e[i] == E_STAR && c != '/'))
					next[i / 64] |= 1ull << (i % 64);
				else if (e[i] == c)
					next[(i + 1) / 64] |=
					    1ull << ((i + 1) % 64);
			}
		}
		glob_closure(e, n, next, nw);
		for (size_t w = 0; w < nw; w++)
			any |= cur[w] = next[w];
		if (any == 0)
			return 0;
	}
	return (cur[n / 64] >> (n % 64)) & 1;
}

static int
pattern_match(const struct pattern *pt, const struct principal *pr,
    const char *obj, size_t olen)
{
	uint16_t	 buf[ACL_EXPAND_MAX];
	const uint16_t	*e = pt->elems;
	long		 n = (long)pt->nelems;

	if (pt->nelems > ACL_EXPAND_MAX || olen < pt->prefix)
		return 0;
	/* Most rules fail on their literal start: "ps:" against "rd:". */
	for (size_t i = 0; i < pt->prefix; i++)
		if ((unsigned char)obj[i] != e[i])
			return 0;
	if (pt->subst) {
		if ((n = pattern_expand(pt, pr, buf, ACL_EXPAND_MAX)) == -1)
			return 0;
		e = buf;
	}
	return glob_match(e + pt->prefix, (size_t)n - pt->prefix,
	    obj + pt->prefix, olen - pt->prefix);
}

/* Line handlers. */

static int
valid_group_name(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > ACL_GROUP_NAME_MAX)
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		    (*s >= '0' && *s <= '9') || *s == '-' || *s == '_' ||
		    *s == '.'))
			return 0;
	return 1;
}

static void
group_members(struct parser *p, struct group *g, int argc, char **argv)
{
	for (int i = 2; i < argc; i++) {
		if (strncmp(argv[i], "group:", 6) == 0) {
			perr(p, "group \"%s\" may not contain %s", g->name,
			    argv[i]);
			continue;
		}
		if (parse_subject(p, argv[i], &g->members[g->nmembers]) == 0)
			g->nmembers++;
	}
}

static void
kw_group(struct parser *p, int argc, char **argv)
{
	struct acl	*acl = p->acl;
	struct group	*g;
	long		 old;

	if (argc < 3) {
		perr(p, "group: expected NAME SUBJECT...");
		return;
	}
	if (!valid_group_name(argv[1])) {
		perr(p, "group name \"%s\" must be 1 to %d letters, digits, "
		    "-, _ or .", argv[1], ACL_GROUP_NAME_MAX);
		return;
	}
	if ((old = group_find(acl, argv[1])) != -1) {
		perr(p, "group \"%s\" is already defined at line %d", argv[1],
		    acl->groups[old].line);
		return;
	}
	if (acl->ngroups == ACL_GROUPS_MAX) {
		perr(p, "more than %d groups", ACL_GROUPS_MAX);
		return;
	}
	g = &acl->groups[acl->ngroups++];
	snprintf(g->name, sizeof(g->name), "%s", argv[1]);
	g->line = p->line;
	/* Defined even when too big, so that its uses add no errors. */
	if (argc - 2 > ACL_MEMBERS_MAX) {
		perr(p, "group \"%s\" has more than %d members", g->name,
		    ACL_MEMBERS_MAX);
		return;
	}
	if ((g->members = calloc((size_t)argc - 2, sizeof(*g->members))) ==
	    NULL) {
		perr(p, "out of memory");
		return;
	}
	group_members(p, g, argc, argv);
}

static int
room_for_rule(struct parser *p)
{
	if (p->acl->nrules + p->acl->nquotas < ACL_RULES_MAX)
		return 1;
	/* Once: the lines after would all say the same. */
	if (!p->full_said)
		perr(p, "more than %d rules", ACL_RULES_MAX);
	p->full_said = 1;
	return 0;
}

static int
parse_actions(struct parser *p, const char *s, unsigned int *out)
{
	const char	*bad;
	size_t		 badlen;

	if (actions_parse(s, out, &bad, &badlen) == 0)
		return 0;
	if (badlen == 0)
		perr(p, "empty action in \"%s\"", s);
	else
		perr(p, "unknown action \"%.*s\"", (int)badlen, bad);
	return -1;
}

static void
kw_rule(struct parser *p, int argc, char **argv)
{
	struct acl	*acl = p->acl;
	struct rule	 r, *rules;
	int		 bad = 0;

	if (argc != 4) {
		perr(p, "%s: expected SUBJECT OBJECT ACTIONS", argv[0]);
		return;
	}
	memset(&r, 0, sizeof(r));
	r.deny = strcmp(argv[0], "deny") == 0;
	bad |= parse_subject(p, argv[1], &r.subject);
	bad |= parse_object(p, argv[2], &r.object);
	bad |= parse_actions(p, argv[3], &r.actions);
	if (bad == 0 && room_for_rule(p)) {
		if ((rules = grow(acl->rules, &p->cap_rules, acl->nrules,
		    sizeof(*rules))) != NULL) {
			acl->rules = rules;
			acl->rules[acl->nrules++] = r;
			return;
		}
		perr(p, "out of memory");
	}
	subject_free(&r.subject);
	pattern_free(&r.object);
}

static uint32_t *
quota_field(struct acl_quota *q, size_t key)
{
	uint32_t *f[ACL_NQUOTA_KEYS] = {
		&q->registrations, &q->links, &q->topics, &q->subscriptions,
		&q->publish_rate
	};

	return f[key];
}

/* Decimal digits only: no sign, no blanks, no 0x. */
static int
parse_u32(const char *s, uint32_t *out)
{
	uint64_t v = 0;

	if (*s == '\0')
		return -1;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -1;
		if ((v = v * 10 + (uint64_t)(*s - '0')) > UINT32_MAX)
			return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

static int
quota_pair(struct parser *p, const char *w, struct quota_rule *qr)
{
	const char	*eq = strchr(w, '=');
	size_t		 klen, k;

	if (eq == NULL) {
		perr(p, "quota: expected KEY=N, not \"%s\"", w);
		return -1;
	}
	klen = (size_t)(eq - w);
	for (k = 0; k < ACL_NQUOTA_KEYS; k++)
		if (strlen(quota_keys[k]) == klen &&
		    strncmp(quota_keys[k], w, klen) == 0)
			break;
	if (k == ACL_NQUOTA_KEYS) {
		perr(p, "unknown quota key \"%.*s\"", (int)klen, w);
		return -1;
	}
	if (qr->given & (1u << k)) {
		perr(p, "quota: %s given twice", quota_keys[k]);
		return -1;
	}
	if (parse_u32(eq + 1, quota_field(&qr->q, k)) == -1) {
		perr(p, "quota: %s: \"%s\" is not a number from 0 to %u",
		    quota_keys[k], eq + 1, UINT32_MAX);
		return -1;
	}
	qr->given |= 1u << k;
	return 0;
}

static void
kw_quota(struct parser *p, int argc, char **argv)
{
	struct acl		*acl = p->acl;
	struct quota_rule	 qr, *quotas;
	int			 bad = 0;

	if (argc < 3) {
		perr(p, "quota: expected SUBJECT KEY=N...");
		return;
	}
	memset(&qr, 0, sizeof(qr));
	bad |= parse_subject(p, argv[1], &qr.subject);
	for (int i = 2; i < argc; i++)
		bad |= quota_pair(p, argv[i], &qr);
	if (bad == 0 && room_for_rule(p)) {
		if ((quotas = grow(acl->quotas, &p->cap_quotas, acl->nquotas,
		    sizeof(*quotas))) != NULL) {
			acl->quotas = quotas;
			acl->quotas[acl->nquotas++] = qr;
			return;
		}
		perr(p, "out of memory");
	}
	subject_free(&qr.subject);
}

static void
run_keyword(struct parser *p, int argc, char **argv)
{
	if (strcmp(argv[0], "group") == 0)
		kw_group(p, argc, argv);
	else if (strcmp(argv[0], "allow") == 0 || strcmp(argv[0], "deny") == 0)
		kw_rule(p, argc, argv);
	else if (strcmp(argv[0], "quota") == 0)
		kw_quota(p, argc, argv);
	else
		perr(p, "unknown keyword \"%s\"", argv[0]);
}

/*
 * Moves the word at *rp to its own start, unquoted and NUL-terminated, and
 * *rp past it. Returns the byte that ended it, or -1 after an error.
 */
static int
split_word(struct parser *p, char **rp)
{
	char	*r = *rp, *w = r;
	int	 end;

	if (*r == '"') {
		for (r++; *r != '"'; *w++ = *r++) {
			if (*r == '\0') {
				perr(p, "unterminated quoted string");
				return -1;
			}
			if (*r == '\\' && (r[1] == '"' || r[1] == '\\'))
				r++;
		}
		r++;
		if (*r != '\0' && *r != ' ' && *r != '\t' && *r != '#') {
			perr(p, "text directly after a quoted string");
			return -1;
		}
	} else {
		while (*r != '\0' && *r != ' ' && *r != '\t' && *r != '#' &&
		    *r != '"')
			*w++ = *r++;
		if (*r == '"') {
			perr(p, "quote inside a word");
			return -1;
		}
	}
	end = (unsigned char)*r;
	*w = '\0';		/* w may be r: end is already saved */
	*rp = r;
	return end;
}

/*
 * Splits a line into words in place: blanks separate, "double quotes"
 * group (with \" and \\ escapes), # outside quotes starts a comment.
 * Returns the word count, or -1 after reporting the error.
 */
static int
split_line(struct parser *p, char *line, char **argv)
{
	char	*r = line;
	int	 argc = 0, end;

	for (;;) {
		while (*r == ' ' || *r == '\t')
			r++;
		if (*r == '\0' || *r == '#')
			return argc;
		if (argc == ACL_WORDS_MAX) {
			perr(p, "too many words on one line");
			return -1;
		}
		argv[argc++] = r;
		if ((end = split_word(p, &r)) == -1)
			return -1;
		if (end == '\0' || end == '#')
			return argc;
		r++;
	}
}

static int
valid_text(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return 0;
	}
	return 1;
}

static void
parse_line(struct parser *p, const char *text, size_t len)
{
	char	line[ACL_LINE_MAX + 1];
	char	*argv[ACL_WORDS_MAX];
	int	 argc;

	if (len > 0 && text[len - 1] == '\r')
		len--;
	if (len > ACL_LINE_MAX) {
		perr(p, "line longer than %d bytes", ACL_LINE_MAX);
		return;
	}
	if (!valid_text(text, len)) {
		perr(p, "control character in line");
		return;
	}
	memcpy(line, text, len);
	line[len] = '\0';
	if ((argc = split_line(p, line, argv)) > 0)
		run_keyword(p, argc, argv);
}

/* Per action, the rules naming it, denies first: see acl_allowed. */
static int
build_index(struct acl *acl)
{
	for (size_t b = 0; b < ACL_NACTIONS; b++) {
		size_t n = 0;

		acl->index[b] = calloc(acl->nrules + 1, sizeof(uint32_t));
		if (acl->index[b] == NULL)
			return -1;
		for (int deny = 1; deny >= 0; deny--)
			for (size_t i = 0; i < acl->nrules; i++)
				if (acl->rules[i].deny == deny &&
				    (acl->rules[i].actions & (1u << b)))
					acl->index[b][n++] = (uint32_t)i;
		acl->nindex[b] = n;
	}
	return 0;
}

struct acl *
acl_parse(const char *text, size_t len, const char *name, FILE *errors)
{
	struct parser	 p;
	size_t		 pos = 0;

	memset(&p, 0, sizeof(p));
	p.errors = errors ? errors : stderr;
	p.name = name;
	if ((p.acl = calloc(1, sizeof(*p.acl))) == NULL ||
	    (p.acl->groups = calloc(ACL_GROUPS_MAX,
	    sizeof(*p.acl->groups))) == NULL) {
		perr(&p, "out of memory");
		acl_free(p.acl);
		return NULL;
	}
	while (pos < len) {
		const char	*nl = memchr(text + pos, '\n', len - pos);
		size_t		 llen = nl ? (size_t)(nl - (text + pos)) :
				     len - pos;

		p.line++;
		parse_line(&p, text + pos, llen);
		pos += llen + (nl != NULL);
	}
	if (p.nerrors == 0 && build_index(p.acl) == -1)
		perr(&p, "out of memory");
	if (p.nerrors > 0) {
		acl_free(p.acl);
		return NULL;
	}
	return p.acl;
}

struct acl *
acl_load(const char *path, FILE *errors)
{
	struct acl	*acl;
	char		*text;
	size_t		 len;

	if (util_read_file(path, ACL_FILE_MAX, &text, &len) == -1) {
		fprintf(errors ? errors : stderr, "%s: %s\n", path,
		    strerror(errno));
		return NULL;
	}
	acl = acl_parse(text, len, path, errors);
	free(text);
	return acl;
}

void
acl_free(struct acl *acl)
{
	if (acl == NULL)
		return;
	for (size_t i = 0; i < acl->ngroups; i++) {
		for (size_t j = 0; j < acl->groups[i].nmembers; j++)
			subject_free(&acl->groups[i].members[j]);
		free(acl->groups[i].members);
	}
	for (size_t i = 0; i < acl->nrules; i++) {
		subject_free(&acl->rules[i].subject);
		pattern_free(&acl->rules[i].object);
	}
	for (size_t i = 0; i < acl->nquotas; i++)
		subject_free(&acl->quotas[i].subject);
	for (size_t b = 0; b < ACL_NACTIONS; b++)
		free(acl->index[b]);
	free(acl->groups);
	free(acl->rules);
	free(acl->quotas);
	free(acl);
}

int
acl_allowed(const struct acl *acl, const struct principal *pr,
    const char *object, unsigned int action)
{
	size_t	olen;
	int	b;

	if (acl == NULL)
		return 1;
	if (pr == NULL || object == NULL || (b = action_index(action)) == -1)
		return 0;
	olen = strlen(object);
	/* Denies come first, so the first rule that matches decides. */
	for (size_t i = 0; i < acl->nindex[b]; i++) {
		const struct rule *r = &acl->rules[acl->index[b][i]];

		if (subject_match(acl, &r->subject, pr) &&
		    pattern_match(&r->object, pr, object, olen))
			return !r->deny;
	}
	return 0;
}

void
acl_quota(const struct acl *acl, const struct principal *pr,
    struct acl_quota *out)
{
	memset(out, 0, sizeof(*out));
	if (acl == NULL || pr == NULL)
		return;
	for (size_t i = 0; i < acl->nquotas; i++) {
		if (subject_match(acl, &acl->quotas[i].subject, pr)) {
			*out = acl->quotas[i].q;
			return;
		}
	}
}

/* Printing. */

static void
print_word(FILE *out, const char *s)
{
	if (*s != '\0' && strpbrk(s, " \t#\"\\") == NULL) {
		fputs(s, out);
		return;
	}
	fputc('"', out);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', out);
		fputc(*s, out);
	}
	fputc('"', out);
}

static void
print_actions(FILE *out, unsigned int mask)
{
	const char *sep = "";

	if (mask == ACL_ALL_ACTIONS) {
		fputs("all", out);
		return;
	}
	for (size_t i = 0; i < ACL_NACTIONS; i++) {
		if (mask & actions[i].bit) {
			fprintf(out, "%s%s", sep, actions[i].name);
			sep = ",";
		}
	}
}

static void
print_rule(FILE *out, const struct rule *r)
{
	fputs(r->deny ? "deny " : "allow ", out);
	print_word(out, r->subject.word);
	fputc(' ', out);
	print_word(out, r->object.text);
	fputc(' ', out);
	print_actions(out, r->actions);
	fputc('\n', out);
}

static void
print_quota(FILE *out, const struct quota_rule *qr)
{
	struct acl_quota q = qr->q;

	fputs("quota ", out);
	print_word(out, qr->subject.word);
	for (size_t k = 0; k < ACL_NQUOTA_KEYS; k++)
		if (qr->given & (1u << k))
			fprintf(out, " %s=%u", quota_keys[k],
			    *quota_field(&q, k));
	fputc('\n', out);
}

/* Groups first: they hold no groups, so every use follows its definition. */
void
acl_print(const struct acl *acl, FILE *out)
{
	if (acl == NULL)
		return;
	for (size_t i = 0; i < acl->ngroups; i++) {
		const struct group *g = &acl->groups[i];

		fprintf(out, "group %s", g->name);
		for (size_t j = 0; j < g->nmembers; j++) {
			fputc(' ', out);
			print_word(out, g->members[j].word);
		}
		fputc('\n', out);
	}
	for (size_t i = 0; i < acl->nrules; i++)
		print_rule(out, &acl->rules[i]);
	for (size_t i = 0; i < acl->nquotas; i++)
		print_quota(out, &acl->quotas[i]);
}
