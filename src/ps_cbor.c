#include "ac_config.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <cbor.h>

#include "ps_cbor.h"

#define NITEMS(a)	(sizeof(a) / sizeof((a)[0]))
#define STR(x)		#x
#define XSTR(x)		STR(x)

/*
 * The check. cbor_stream_decode() reads one head per call; the callbacks
 * only note what it was, and check_head() judges it, knowing how many
 * bytes are left after it.
 */
enum ev {
	EV_LEAF,		/* integer, float, simple value */
	EV_BSTR,		/* definite strings */
	EV_TSTR,
	EV_ARRAY,		/* definite containers */
	EV_MAP,
	EV_TAG,
	EV_BSTR_INDEF,		/* indefinite ones, closed by a break */
	EV_TSTR_INDEF,
	EV_ARRAY_INDEF,
	EV_MAP_INDEF,
	EV_BREAK,
	EV_BAD_TEXT		/* a text string that is not UTF-8 */
};

/* An open array, map, tag or indefinite string. */
struct frame {
	enum ev		 kind;
	uint64_t	 left;		/* items to come, when definite */
	uint64_t	 seen;		/* items so far */
};

struct checker {
	enum ev		 ev;		/* the head just read */
	uint64_t	 n;		/* its count, for EV_ARRAY and EV_MAP */
	struct frame	 stack[PS_CBOR_DEPTH_MAX];
	size_t		 depth;
	size_t		 items;
	int		 done;		/* the top-level item is complete */
};

/*
 * RFC 3629 UTF-8: no overlong forms, no surrogates, nothing above
 * U+10FFFF. cbor_load() refuses most bad text as a syntax error; the
 * check refuses all of it, so that what it passes, cbor_load() loads.
 */
static int
utf8_ok(const uint8_t *s, size_t len)
{
	size_t		i = 0, n;
	uint32_t	cp, min;

	while (i < len) {
		uint8_t c = s[i++];

		if (c < 0x80)
			continue;
		if ((c & 0xe0) == 0xc0) {
			n = 1;
			cp = c & 0x1f;
			min = 0x80;
		} else if ((c & 0xf0) == 0xe0) {
			n = 2;
			cp = c & 0x0f;
			min = 0x800;
		} else if ((c & 0xf8) == 0xf0) {
			n = 3;
			cp = c & 0x07;
			min = 0x10000;
		} else
			return 0;
		if (len - i < n)
			return 0;
		for (; n > 0; n--, i++) {
			if ((s[i] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
	}
	return 1;
}

static void
on_leaf8(void *c, uint8_t v)
{
	((struct checker *)c)->ev = EV_LEAF;
}

static void
on_leaf16(void *c, uint16_t v)
{
	((struct checker *)c)->ev = EV_LEAF;
}

static void
on_leaf32(void *c, uint32_t v)
{
	((struct checker *)c)->ev = EV_LEAF;
}

static void
on_leaf64(void *c, uint64_t v)
{
	((struct checker *)c)->ev = EV_LEAF;
}

static void
on_float(void *c, float v)
{
	((struct checker *)c)->ev = EV_LEAF;
}

static void
on_double(void *c, double v)
{
	((struct checker *)c)->ev = EV_LEAF;
}

static void
on_bool(void *c, bool v)
{
	((struct checker *)c)->ev = EV_LEAF;
}

static void
on_simple(void *c)
{
	((struct checker *)c)->ev = EV_LEAF;
}

static void
on_bstr(void *c, cbor_data d, size_t len)
{
	((struct checker *)c)->ev = EV_BSTR;
}

/* Each chunk of an indefinite text too (RFC 8949 section 3.2.3). */
static void
on_tstr(void *c, cbor_data d, size_t len)
{
	((struct checker *)c)->ev = utf8_ok(d, len) ? EV_TSTR : EV_BAD_TEXT;
}

static void
on_bstr_indef(void *c)
{
	((struct checker *)c)->ev = EV_BSTR_INDEF;
}

static void
on_tstr_indef(void *c)
{
	((struct checker *)c)->ev = EV_TSTR_INDEF;
}

static void
on_array(void *c, size_t n)
{
	((struct checker *)c)->ev = EV_ARRAY;
	((struct checker *)c)->n = n;
}

static void
on_array_indef(void *c)
{
	((struct checker *)c)->ev = EV_ARRAY_INDEF;
}

static void
on_map(void *c, size_t n)
{
	((struct checker *)c)->ev = EV_MAP;
	((struct checker *)c)->n = n;
}

static void
on_map_indef(void *c)
{
	((struct checker *)c)->ev = EV_MAP_INDEF;
}

static void
on_tag(void *c, uint64_t v)
{
	((struct checker *)c)->ev = EV_TAG;
}

static void
on_break(void *c)
{
	((struct checker *)c)->ev = EV_BREAK;
}

/* libcbor calls every member unchecked: none may be NULL. */
static const struct cbor_callbacks check_cb = {
	.uint8 = on_leaf8,
	.uint16 = on_leaf16,
	.uint32 = on_leaf32,
	.uint64 = on_leaf64,
	.negint8 = on_leaf8,
	.negint16 = on_leaf16,
	.negint32 = on_leaf32,
	.negint64 = on_leaf64,
	/* callbacks.h has the comments of these two pairs swapped. */
	.byte_string = on_bstr,
	.byte_string_start = on_bstr_indef,
	.string = on_tstr,
	.string_start = on_tstr_indef,
	.array_start = on_array,
	.indef_array_start = on_array_indef,
	.map_start = on_map,
	.indef_map_start = on_map_indef,
	.tag = on_tag,
	.float2 = on_float,
	.float4 = on_float,
	.float8 = on_double,
	.undefined = on_simple,
	.null = on_simple,
	.boolean = on_bool,
	.indef_break = on_break
};

static int
indefinite(enum ev kind)
{
	return kind >= EV_BSTR_INDEF && kind <= EV_MAP_INDEF;
}

/* An item is complete: so may be the containers and tags around it. */
static enum ps_cbor_status
item_done(struct checker *c)
{
	while (c->depth > 0) {
		struct frame *f = &c->stack[c->depth - 1];

		f->seen++;
		if (indefinite(f->kind) || --f->left > 0)
			return PS_CBOR_OK;
		c->depth--;
	}
	c->done = 1;
	return PS_CBOR_OK;
}

/* Even an empty container is a level: depth does not hang on content. */
static enum ps_cbor_status
open_frame(struct checker *c, enum ev kind, uint64_t left)
{
	struct frame *f;

	if (c->depth == PS_CBOR_DEPTH_MAX)
		return PS_CBOR_ELIMIT;
	if (!indefinite(kind) && left == 0)
		return item_done(c);
	f = &c->stack[c->depth++];
	f->kind = kind;
	f->left = left;
	f->seen = 0;
	return PS_CBOR_OK;
}

static enum ps_cbor_status
close_frame(struct checker *c)
{
	struct frame *f;

	if (c->depth == 0)
		return PS_CBOR_EMALFORMED;
	f = &c->stack[c->depth - 1];
	if (!indefinite(f->kind) || (f->kind == EV_MAP_INDEF && f->seen % 2))
		return PS_CBOR_EMALFORMED;
	c->depth--;
	return item_done(c);
}

/*
 * Every head but a break counts as an item: the count bounds what
 * cbor_load() will allocate. A container's items need a byte each at
 * least, so a count above the bytes left is a lie, refused before
 * anything trusts it.
 */
static enum ps_cbor_status
check_head(struct checker *c, size_t rest)
{
	const struct frame *top;

	if (c->ev == EV_BREAK)
		return close_frame(c);
	if (c->ev == EV_BAD_TEXT)
		return PS_CBOR_EMALFORMED;
	if (++c->items > PS_CBOR_ITEMS_MAX)
		return PS_CBOR_ELIMIT;
	top = c->depth > 0 ? &c->stack[c->depth - 1] : NULL;
	if (top != NULL && ((top->kind == EV_BSTR_INDEF && c->ev != EV_BSTR) ||
	    (top->kind == EV_TSTR_INDEF && c->ev != EV_TSTR)))
		return PS_CBOR_EMALFORMED;
	switch (c->ev) {
	case EV_ARRAY:
		if (c->n > rest || c->n > PS_CBOR_ITEMS_MAX - c->items)
			return PS_CBOR_ELIMIT;
		return open_frame(c, EV_ARRAY, c->n);
	case EV_MAP:
		if (c->n > rest / 2 ||
		    c->n > (PS_CBOR_ITEMS_MAX - c->items) / 2)
			return PS_CBOR_ELIMIT;
		return open_frame(c, EV_MAP, c->n * 2);
	case EV_TAG:
		return open_frame(c, EV_TAG, 1);
	case EV_BSTR_INDEF:
	case EV_TSTR_INDEF:
	case EV_ARRAY_INDEF:
	case EV_MAP_INDEF:
		return open_frame(c, c->ev, 0);
	default:
		return item_done(c);
	}
}

enum ps_cbor_status
ps_cbor_check(const uint8_t *data, size_t len)
{
	struct checker			c;
	struct cbor_decoder_result	r;
	enum ps_cbor_status		st;
	size_t				pos = 0;

	memset(&c, 0, sizeof(c));
	while (!c.done) {
		if (pos == len)
			return PS_CBOR_EMALFORMED;
		/* NEDATA too: a string longer than the input is malformed. */
		r = cbor_stream_decode(data + pos, len - pos, &check_cb, &c);
		if (r.status != CBOR_DECODER_FINISHED)
			return PS_CBOR_EMALFORMED;
		pos += r.read;
		if ((st = check_head(&c, len - pos)) != PS_CBOR_OK)
			return st;
	}
	return pos == len ? PS_CBOR_OK : PS_CBOR_EMALFORMED;
}

/* cbor_load() is only safe on what ps_cbor_check() let through. */
static enum ps_cbor_status
load(const uint8_t *data, size_t len, cbor_item_t **root)
{
	struct cbor_load_result	r;
	enum ps_cbor_status	st;

	if ((st = ps_cbor_check(data, len)) != PS_CBOR_OK)
		return st;
	if ((*root = cbor_load(data, len, &r)) != NULL)
		return PS_CBOR_OK;
	return r.error.code == CBOR_ERR_MEMERROR ? PS_CBOR_ENOMEM :
	    PS_CBOR_EMALFORMED;
}

static size_t
nchunks(const cbor_item_t *it, int text)
{
	if (text)
		return cbor_string_is_definite(it) ? 1 :
		    cbor_string_chunk_count(it);
	return cbor_bytestring_is_definite(it) ? 1 :
	    cbor_bytestring_chunk_count(it);
}

static const cbor_item_t *
chunk(const cbor_item_t *it, int text, size_t i)
{
	if (text)
		return cbor_string_is_definite(it) ? it :
		    cbor_string_chunks_handle(it)[i];
	return cbor_bytestring_is_definite(it) ? it :
	    cbor_bytestring_chunks_handle(it)[i];
}

static size_t
chunk_len(const cbor_item_t *c, int text)
{
	return text ? cbor_string_length(c) : cbor_bytestring_length(c);
}

static const uint8_t *
chunk_data(const cbor_item_t *c, int text)
{
	return text ? cbor_string_handle(c) : cbor_bytestring_handle(c);
}

/* C0 controls and DEL have no place in names that reach links and logs. */
static int
no_controls(const uint8_t *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return 1;
}

/*
 * The bytes of a string, the chunks of an indefinite one joined, with a
 * NUL after them. The check made sure text is UTF-8; the lengths add up
 * to less than the input.
 */
static enum ps_cbor_status
join(const cbor_item_t *it, int text, uint8_t **out, size_t *outlen)
{
	size_t	 n, len = 0, at = 0;
	uint8_t	*buf;

	if (text ? !cbor_isa_string(it) : !cbor_isa_bytestring(it))
		return PS_CBOR_ESHAPE;
	n = nchunks(it, text);
	for (size_t i = 0; i < n; i++) {
		const cbor_item_t	*c = chunk(it, text, i);
		size_t			 clen = chunk_len(c, text);

		if (text && !no_controls(chunk_data(c, text), clen))
			return PS_CBOR_ESHAPE;
		len += clen;
	}
	if ((buf = malloc(len + 1)) == NULL)
		return PS_CBOR_ENOMEM;
	for (size_t i = 0; i < n; i++) {
		const cbor_item_t	*c = chunk(it, text, i);
		size_t			 clen = chunk_len(c, text);

		if (clen > 0)
			memcpy(buf + at, chunk_data(c, text), clen);
		at += clen;
	}
	buf[len] = '\0';
	*out = buf;
	*outlen = len;
	return PS_CBOR_OK;
}

static enum ps_cbor_status
dec_text(const cbor_item_t *v, size_t max, char **dst)
{
	enum ps_cbor_status	 st;
	uint8_t			*s;
	size_t			 len;

	if ((st = join(v, 1, &s, &len)) != PS_CBOR_OK)
		return st;
	if (len == 0 || len > max) {
		free(s);
		return PS_CBOR_ESHAPE;
	}
	*dst = (char *)s;
	return PS_CBOR_OK;
}

static enum ps_cbor_status
dec_uint(const cbor_item_t *v, uint64_t min, uint64_t max, uint32_t *dst)
{
	if (!cbor_isa_uint(v) || cbor_get_int(v) < min ||
	    cbor_get_int(v) > max)
		return PS_CBOR_ESHAPE;
	*dst = (uint32_t)cbor_get_int(v);
	return PS_CBOR_OK;
}

/* An integer within int64_t; -1 if it is none. */
static int
get_int64(const cbor_item_t *v, int64_t *dst)
{
	if (!cbor_is_int(v) || cbor_get_int(v) > INT64_MAX)
		return -1;
	if (cbor_isa_uint(v))
		*dst = (int64_t)cbor_get_int(v);
	else
		*dst = -1 - (int64_t)cbor_get_int(v);
	return 0;
}

/* Tag 1's content: a float is truncated toward zero, like a time_t cast. */
static enum ps_cbor_status
epoch_time(const cbor_item_t *v, int64_t *dst)
{
	double d;

	if (get_int64(v, dst) == 0)
		return PS_CBOR_OK;
	if (!cbor_is_float(v))
		return PS_CBOR_ESHAPE;
	d = cbor_float_get_float(v);
	/* Both bounds are exact doubles; NaN fails the test. */
	if (!(d >= -0x1p63 && d < 0x1p63))
		return PS_CBOR_ESHAPE;
	*dst = (int64_t)d;
	return PS_CBOR_OK;
}

static enum ps_cbor_status
dec_name(const cbor_item_t *v, struct ps_props *p)
{
	return dec_text(v, PS_NAME_MAX, &p->name);
}

static enum ps_cbor_status
dec_data(const cbor_item_t *v, struct ps_props *p)
{
	return dec_text(v, PS_URI_MAX, &p->data_uri);
}

static enum ps_cbor_status
dec_rt(const cbor_item_t *v, struct ps_props *p)
{
	return dec_text(v, PS_NAME_MAX, &p->rt);
}

static enum ps_cbor_status
dec_cf(const cbor_item_t *v, struct ps_props *p)
{
	return dec_uint(v, 0, UINT16_MAX, &p->cf);
}

static enum ps_cbor_status
dec_type(const cbor_item_t *v, struct ps_props *p)
{
	return dec_text(v, PS_NAME_MAX, &p->type);
}

static enum ps_cbor_status
dec_expires(const cbor_item_t *v, struct ps_props *p)
{
	enum ps_cbor_status	 st;
	cbor_item_t		*t;

	if (!cbor_isa_tag(v) || cbor_tag_value(v) != 1)
		return PS_CBOR_ESHAPE;
	if ((t = cbor_tag_item(v)) == NULL)
		return PS_CBOR_ESHAPE;
	st = epoch_time(t, &p->expires);
	cbor_decref(&t);
	return st;
}

static enum ps_cbor_status
dec_max_subs(const cbor_item_t *v, struct ps_props *p)
{
	return dec_uint(v, 0, UINT32_MAX, &p->max_subs);
}

static enum ps_cbor_status
dec_obs_check(const cbor_item_t *v, struct ps_props *p)
{
	return dec_uint(v, 1, UINT32_MAX, &p->obs_check);
}

/* Empty stays NULL, as ps_props_copy() leaves it. */
static enum ps_cbor_status
dec_init(const cbor_item_t *v, struct ps_props *p)
{
	enum ps_cbor_status st;

	if ((st = join(v, 0, &p->init, &p->init_len)) != PS_CBOR_OK)
		return st;
	if (p->init_len == 0) {
		free(p->init);
		p->init = NULL;
	}
	return PS_CBOR_OK;
}

/* libcbor 0.8's cbor_is_bool() asserts on a float: look at the width. */
static enum ps_cbor_status
dec_volatile(const cbor_item_t *v, struct ps_props *p)
{
	if (!cbor_isa_float_ctrl(v) || !cbor_float_ctrl_is_ctrl(v))
		return PS_CBOR_ESHAPE;
	if (cbor_ctrl_value(v) != CBOR_CTRL_TRUE &&
	    cbor_ctrl_value(v) != CBOR_CTRL_FALSE)
		return PS_CBOR_ESHAPE;
	p->volatile_ = cbor_ctrl_value(v) == CBOR_CTRL_TRUE;
	return PS_CBOR_OK;
}

static cbor_item_t *
build_uint(uint64_t v)
{
	/* libcbor writes the width it is given, not the shortest one. */
	if (v <= UINT8_MAX)
		return cbor_build_uint8((uint8_t)v);
	if (v <= UINT16_MAX)
		return cbor_build_uint16((uint16_t)v);
	if (v <= UINT32_MAX)
		return cbor_build_uint32((uint32_t)v);
	return cbor_build_uint64(v);
}

static cbor_item_t *
build_int(int64_t v)
{
	uint64_t n;

	if (v >= 0)
		return build_uint((uint64_t)v);
	n = (uint64_t)-(v + 1);
	if (n <= UINT8_MAX)
		return cbor_build_negint8((uint8_t)n);
	if (n <= UINT16_MAX)
		return cbor_build_negint16((uint16_t)n);
	if (n <= UINT32_MAX)
		return cbor_build_negint32((uint32_t)n);
	return cbor_build_negint64(n);
}

/* A string the caller left NULL goes out empty rather than crash. */
static cbor_item_t *
build_text(const char *s)
{
	return s != NULL ? cbor_build_stringn(s, strlen(s)) :
	    cbor_build_stringn("", 0);
}

static cbor_item_t *
enc_name(const struct ps_props *p)
{
	return build_text(p->name);
}

static cbor_item_t *
enc_data(const struct ps_props *p)
{
	return build_text(p->data_uri);
}

static cbor_item_t *
enc_rt(const struct ps_props *p)
{
	return build_text(p->rt);
}

static cbor_item_t *
enc_cf(const struct ps_props *p)
{
	return build_uint(p->cf);
}

static cbor_item_t *
enc_type(const struct ps_props *p)
{
	return build_text(p->type);
}

static cbor_item_t *
enc_expires(const struct ps_props *p)
{
	cbor_item_t *t, *v;

	if ((v = build_int(p->expires)) == NULL)
		return NULL;
	t = cbor_build_tag(1, v);
	cbor_decref(&v);
	return t;
}

static cbor_item_t *
enc_max_subs(const struct ps_props *p)
{
	return build_uint(p->max_subs);
}

static cbor_item_t *
enc_obs_check(const struct ps_props *p)
{
	return build_uint(p->obs_check);
}

static cbor_item_t *
enc_init(const struct ps_props *p)
{
	const uint8_t *d = p->init != NULL ? p->init : (const uint8_t *)"";

	return cbor_build_bytestring(d, p->init != NULL ? p->init_len : 0);
}

static cbor_item_t *
enc_volatile(const struct ps_props *p)
{
	return cbor_build_bool(p->volatile_ != 0);
}

/* In key order: the negative key sorts last in CBOR's canonical order. */
static const struct prop {
	int64_t		  key;
	uint32_t	  bit;
	enum ps_cbor_status (*dec)(const cbor_item_t *, struct ps_props *);
	cbor_item_t	*(*enc)(const struct ps_props *);
	const char	 *why;
} props[] = {
	{ PS_KEY_NAME, PS_P_NAME, dec_name, enc_name,
	    "topic-name must be UTF-8 text without control characters, "
	    "1 to " XSTR(PS_NAME_MAX) " bytes" },
	{ PS_KEY_DATA, PS_P_DATA, dec_data, enc_data,
	    "topic-data must be UTF-8 text without control characters, "
	    "1 to " XSTR(PS_URI_MAX) " bytes" },
	{ PS_KEY_RT, PS_P_RT, dec_rt, enc_rt,
	    "resource-type must be UTF-8 text without control characters, "
	    "1 to " XSTR(PS_NAME_MAX) " bytes" },
	{ PS_KEY_CF, PS_P_CF, dec_cf, enc_cf,
	    "topic-content-format must be an unsigned integer up to 65535" },
	{ PS_KEY_TYPE, PS_P_TYPE, dec_type, enc_type,
	    "topic-type must be UTF-8 text without control characters, "
	    "1 to " XSTR(PS_NAME_MAX) " bytes" },
	{ PS_KEY_EXPIRES, PS_P_EXPIRES, dec_expires, enc_expires,
	    "expiration-date must be tag 1 on an integer or a finite float" },
	{ PS_KEY_MAX_SUBS, PS_P_MAX_SUBS, dec_max_subs, enc_max_subs,
	    "max-subscribers must be an unsigned integer up to 4294967295" },
	{ PS_KEY_OBS_CHECK, PS_P_OBS_CHECK, dec_obs_check, enc_obs_check,
	    "observer-check must be an integer from 1 to 4294967295" },
	{ PS_KEY_INIT, PS_P_INIT, dec_init, enc_init,
	    "initialize must be a byte string" },
	{ PS_KEY_VOLATILE, PS_P_VOLATILE, dec_volatile, enc_volatile,
	    "volatile must be true or false" }
};

static const struct prop *
prop_find(const cbor_item_t *key)
{
	int64_t k;

	if (get_int64(key, &k) == -1)
		return NULL;
	for (size_t i = 0; i < NITEMS(props); i++)
		if (props[i].key == k)
			return &props[i];
	return NULL;
}

static enum ps_cbor_status
dec_pair(const struct cbor_pair *pair, struct ps_props *out,
    const char **why)
{
	const struct prop	*pr;
	enum ps_cbor_status	 st;

	if (!cbor_is_int(pair->key)) {
		*why = "property keys must be integers";
		return PS_CBOR_ESHAPE;
	}
	if ((pr = prop_find(pair->key)) == NULL) {
		*why = "unknown property";
		return PS_CBOR_ESHAPE;
	}
	if (out->present & pr->bit) {
		*why = "property given twice";
		return PS_CBOR_ESHAPE;
	}
	if ((st = pr->dec(pair->value, out)) != PS_CBOR_OK) {
		*why = st == PS_CBOR_ESHAPE ? pr->why : ps_cbor_status_text(st);
		return st;
	}
	out->present |= pr->bit;
	return PS_CBOR_OK;
}

static enum ps_cbor_status
dec_map(const cbor_item_t *root, struct ps_props *out, const char **why)
{
	const struct cbor_pair	*pairs;
	enum ps_cbor_status	 st;

	if (!cbor_isa_map(root)) {
		*why = "not a map";
		return PS_CBOR_ESHAPE;
	}
	pairs = cbor_map_handle(root);
	for (size_t i = 0; i < cbor_map_size(root); i++)
		if ((st = dec_pair(&pairs[i], out, why)) != PS_CBOR_OK)
			return st;
	return PS_CBOR_OK;
}

enum ps_cbor_status
ps_cbor_decode_props(const uint8_t *data, size_t len, struct ps_props *out,
    const char **why)
{
	enum ps_cbor_status	 st;
	cbor_item_t		*root;
	const char		*w = NULL;

	memset(out, 0, sizeof(*out));
	if ((st = load(data, len, &root)) != PS_CBOR_OK)
		w = ps_cbor_status_text(st);
	else {
		st = dec_map(root, out, &w);
		cbor_decref(&root);
	}
	if (st != PS_CBOR_OK)
		ps_props_clear(out);
	if (why != NULL)
		*why = w;
	return st;
}

/* Takes the caller's reference on value, which may be NULL. */
static enum ps_cbor_status
map_add(cbor_item_t *map, int64_t key, cbor_item_t *value)
{
	cbor_item_t	*k;
	bool		 ok;

	if (value == NULL)
		return PS_CBOR_ENOMEM;
	k = build_int(key);
	ok = k != NULL && cbor_map_add(map,
	    (struct cbor_pair){ .key = k, .value = value });
	if (k != NULL)
		cbor_decref(&k);
	cbor_decref(&value);
	return ok ? PS_CBOR_OK : PS_CBOR_ENOMEM;
}

enum ps_cbor_status
ps_cbor_encode_props(const struct ps_props *p, uint32_t mask, uint8_t **out,
    size_t *len)
{
	uint32_t		 want = p->present & mask & PS_P_ALL;
	enum ps_cbor_status	 st = PS_CBOR_OK;
	cbor_item_t		*map;
	unsigned char		*buf = NULL;
	size_t			 size, n;

	*out = NULL;
	*len = 0;
	if ((map = cbor_new_definite_map(__builtin_popcount(want))) == NULL)
		return PS_CBOR_ENOMEM;
	for (size_t i = 0; i < NITEMS(props) && st == PS_CBOR_OK; i++)
		if (want & props[i].bit)
			st = map_add(map, props[i].key, props[i].enc(p));
	if (st == PS_CBOR_OK) {
		if ((n = cbor_serialize_alloc(map, &buf, &size)) == 0)
			st = PS_CBOR_ENOMEM;
		else {
			*out = buf;
			*len = n;
		}
	}
	cbor_decref(&map);
	return st;
}

static enum ps_cbor_status
keys_mask(const cbor_item_t *root, uint32_t *mask, const char **why)
{
	cbor_item_t		**keys;
	const struct prop	 *pr;

	if (!cbor_isa_array(root)) {
		*why = "not an array";
		return PS_CBOR_ESHAPE;
	}
	keys = cbor_array_handle(root);
	for (size_t i = 0; i < cbor_array_size(root); i++) {
		if (!cbor_is_int(keys[i])) {
			*why = "property keys must be integers";
			return PS_CBOR_ESHAPE;
		}
		if ((pr = prop_find(keys[i])) != NULL)
			*mask |= pr->bit;
	}
	return PS_CBOR_OK;
}

enum ps_cbor_status
ps_cbor_decode_keys(const uint8_t *data, size_t len, uint32_t *mask,
    const char **why)
{
	enum ps_cbor_status	 st;
	cbor_item_t		*root;
	const char		*w = NULL;

	*mask = 0;
	if ((st = load(data, len, &root)) != PS_CBOR_OK)
		w = ps_cbor_status_text(st);
	else {
		st = keys_mask(root, mask, &w);
		cbor_decref(&root);
	}
	if (st != PS_CBOR_OK)
		*mask = 0;
	if (why != NULL)
		*why = w;
	return st;
}

const char *
ps_cbor_status_text(enum ps_cbor_status s)
{
	switch (s) {
	case PS_CBOR_OK:
		return "ok";
	case PS_CBOR_EMALFORMED:
		return "malformed CBOR";
	case PS_CBOR_ELIMIT:
		return "CBOR beyond the broker's limits";
	case PS_CBOR_ESHAPE:
		return "unexpected CBOR content";
	case PS_CBOR_ENOMEM:
		return "out of memory";
	}
	return "unknown CBOR status";
}
