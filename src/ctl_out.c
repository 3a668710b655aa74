#include "ac_config.h"

#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "ctl_out.h"

/*
 * The length of the UTF-8 sequence at s and its code point, or 0 when it
 * is not one (overlong forms, surrogates and values past U+10FFFF are
 * not: a terminal or a JSON parser may take them for something else).
 */
static size_t
ctl_utf8_next(const uint8_t *s, size_t len, uint32_t *cp)
{
	static const uint32_t	 min[4] = { 0, 0x80, 0x800, 0x10000 };
	size_t			 n;
	uint32_t		 c;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xe0) == 0xc0) {
		n = 1;
		c = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		n = 2;
		c = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		n = 3;
		c = s[0] & 0x07;
	} else
		return 0;
	if (n >= len)
		return 0;
	for (size_t i = 1; i <= n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min[n] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n + 1;
}

static int
ctl_is_control(uint32_t cp)
{
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0);
}

int
ctl_is_text(const uint8_t *s, size_t len)
{
	size_t		i = 0, n;
	uint32_t	cp;

	while (i < len) {
		if ((n = ctl_utf8_next(s + i, len - i, &cp)) == 0)
			return 0;
		if (ctl_is_control(cp) && cp != '\t' && cp != '\n')
			return 0;
		i += n;
	}
	return 1;
}

char *
ctl_printable(const char *s, size_t len)
{
	const uint8_t	*u = (const uint8_t *)s;
	struct buf	 b;
	size_t		 i = 0, n;
	uint32_t	 cp;

	buf_init(&b, 0);
	if (buf_addstr(&b, "") == -1)
		return NULL;
	while (i < len) {
		n = ctl_utf8_next(u + i, len - i, &cp);
		if (n == 0 || ctl_is_control(cp)) {
			/* One escape per byte of a bad or control sequence. */
			n = n ? n : 1;
			for (size_t k = 0; k < n; k++)
				if (buf_printf(&b, "\\x%02x", u[i + k]) == -1)
					goto fail;
		} else if (buf_add(&b, u + i, n) == -1)
			goto fail;
		i += n;
	}
	return buf_release(&b);
fail:
	buf_free(&b);
	return NULL;
}

/* Columns line up on characters, not bytes. */
static size_t
ctl_display_width(const char *s)
{
	size_t w = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}

void
ctl_table_init(struct ctl_table *t, size_t ncols, const char *const *headers)
{
	memset(t, 0, sizeof(*t));
	t->ncols = ncols > CTL_TABLE_COLS ? CTL_TABLE_COLS : ncols;
	if (headers != NULL)
		ctl_table_add(t, headers);
}

void
ctl_table_add(struct ctl_table *t, const char *const *cells)
{
	char	**grown;
	size_t	  base = t->nrows * t->ncols;

	if (t->failed)
		return;
	if (t->nrows == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 16;

		if ((grown = realloc(t->cells, cap * t->ncols *
		    sizeof(*grown))) == NULL) {
			t->failed = 1;
			return;
		}
		t->cells = grown;
		t->cap = cap;
	}
	for (size_t c = 0; c < t->ncols; c++) {
		const char *v = cells[c] && cells[c][0] ? cells[c] : "-";
		size_t w;

		if ((t->cells[base + c] = ctl_printable(v, strlen(v))) ==
		    NULL) {
			for (size_t k = 0; k < c; k++)
				free(t->cells[base + k]);
			t->failed = 1;
			return;
		}
		if ((w = ctl_display_width(t->cells[base + c])) > t->width[c])
			t->width[c] = w;
	}
	t->nrows++;
}

int
ctl_table_print(const struct ctl_table *t, FILE *out)
{
	if (t->failed)
		return -1;
	for (size_t r = 0; r < t->nrows; r++)
		for (size_t c = 0; c < t->ncols; c++) {
			const char *v = t->cells[r * t->ncols + c];

			fputs(v, out);
			if (c + 1 == t->ncols) {
				fputc('\n', out);
				continue;
			}
			for (size_t w = ctl_display_width(v);
			    w < t->width[c] + 2; w++)
				fputc(' ', out);
		}
	return 0;
}

void
ctl_table_free(struct ctl_table *t)
{
	if (t->cells != NULL)
		for (size_t i = 0; i < t->nrows * t->ncols; i++)
			free(t->cells[i]);
	free(t->cells);
	memset(t, 0, sizeof(*t));
}

void
ctl_json_init(struct ctl_json *j, FILE *out)
{
	memset(j, 0, sizeof(*j));
	j->out = out;
	j->first[0] = 1;
}

/* The comma between two members, unless a key was just written. */
static void
ctl_json_sep(struct ctl_json *j)
{
	if (j->after_key) {
		j->after_key = 0;
		return;
	}
	if (!j->first[j->depth])
		fputc(',', j->out);
	j->first[j->depth] = 0;
}

static void
ctl_json_open(struct ctl_json *j, char c)
{
	ctl_json_sep(j);
	fputc(c, j->out);
	if (j->depth + 1 >= CTL_JSON_DEPTH) {
		j->overflow = 1;
		j->beyond++;
		return;
	}
	j->first[++j->depth] = 1;
}

static void
ctl_json_close(struct ctl_json *j, char c)
{
	fputc(c, j->out);
	if (j->beyond > 0)
		j->beyond--;
	else if (j->depth > 0)
		j->depth--;
}

void
ctl_json_begin_object(struct ctl_json *j)
{
	ctl_json_open(j, '{');
}

void
ctl_json_end_object(struct ctl_json *j)
{
	ctl_json_close(j, '}');
}

void
ctl_json_begin_array(struct ctl_json *j)
{
	ctl_json_open(j, '[');
}

void
ctl_json_end_array(struct ctl_json *j)
{
	ctl_json_close(j, ']');
}

/* RFC 8259 section 7: quotes, backslash and controls are escaped. */
static void
ctl_json_quote(FILE *out, const char *s, size_t len)
{
	const uint8_t	*u = (const uint8_t *)s;
	size_t		 i = 0, n;
	uint32_t	 cp;

	fputc('"', out);
	while (i < len) {
		if ((n = ctl_utf8_next(u + i, len - i, &cp)) == 0) {
			fputs("\\ufffd", out);
			i++;
			continue;
		}
		if (cp == '"' || cp == '\\')
			fprintf(out, "\\%c", (char)cp);
		else if (cp == '\n')
			fputs("\\n", out);
		else if (cp == '\t')
			fputs("\\t", out);
		else if (cp == '\r')
			fputs("\\r", out);
		else if (cp < 0x20 || cp == 0x7f)
			fprintf(out, "\\u%04" PRIx32, cp);
		else
			fwrite(u + i, 1, n, out);
		i += n;
	}
	fputc('"', out);
}

void
ctl_json_key(struct ctl_json *j, const char *key)
{
	ctl_json_sep(j);
	ctl_json_quote(j->out, key, strlen(key));
	fputc(':', j->out);
	j->after_key = 1;
}

void
ctl_json_string(struct ctl_json *j, const char *s)
{
	ctl_json_string_n(j, s, strlen(s));
}

void
ctl_json_string_n(struct ctl_json *j, const char *s, size_t len)
{
	ctl_json_sep(j);
	ctl_json_quote(j->out, s, len);
}

void
ctl_json_int(struct ctl_json *j, int64_t v)
{
	ctl_json_sep(j);
	fprintf(j->out, "%" PRId64, v);
}

void
ctl_json_uint(struct ctl_json *j, uint64_t v)
{
	ctl_json_sep(j);
	fprintf(j->out, "%" PRIu64, v);
}

void
ctl_json_double(struct ctl_json *j, double v)
{
	ctl_json_sep(j);
	if (!isfinite(v))
		fputs("null", j->out);
	else if (v == floor(v) && fabs(v) < 9007199254740992.0)
		fprintf(j->out, "%.0f", v);
	else
		fprintf(j->out, "%.17g", v);
}

void
ctl_json_bool(struct ctl_json *j, int v)
{
	ctl_json_sep(j);
	fputs(v ? "true" : "false", j->out);
}

void
ctl_json_null(struct ctl_json *j)
{
	ctl_json_sep(j);
	fputs("null", j->out);
}

int
ctl_json_finish(struct ctl_json *j)
{
	fputc('\n', j->out);
	return j->overflow || j->depth != 0 || ferror(j->out) ? -1 : 0;
}
