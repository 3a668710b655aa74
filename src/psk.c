#include "ac_config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "psk.h"
#include "util.h"

#define PSK_FILE_MAX	(8u << 20)	/* a key file is small; refuse more */

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A key is "0x" followed by hex digits, or a literal printable string. */
static const char *
parse_key(const char *s, size_t len, struct psk_entry *e)
{
	if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		s += 2;
		len -= 2;
		if (len % 2 != 0)
			return "hex key has an odd number of digits";
		if (len / 2 > PSK_KEY_MAX)
			return "key is longer than 64 bytes";
		for (size_t i = 0; i < len; i += 2) {
			int hi = hexval((unsigned char)s[i]);
			int lo = hexval((unsigned char)s[i + 1]);

			if (hi < 0 || lo < 0)
				return "hex key has a non-hex digit";
			e->key[i / 2] = (uint8_t)(hi << 4 | lo);
		}
		e->key_len = len / 2;
		return NULL;
	}
	if (len > PSK_KEY_MAX)
		return "key is longer than 64 bytes";
	memcpy(e->key, s, len);
	e->key_len = len;
	return NULL;
}

static const char *
parse_line(const char *line, size_t len, struct psk_entry *e)
{
	size_t	i = 0, id_start, id_end, key_start, key_end;

	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	id_start = i;
	while (i < len && line[i] != ' ' && line[i] != '\t') {
		if ((unsigned char)line[i] < 0x21 || (unsigned char)line[i] > 0x7e)
			return "identity must be printable ASCII";
		i++;
	}
	id_end = i;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	key_start = i;
	while (i < len && line[i] != ' ' && line[i] != '\t') {
		if ((unsigned char)line[i] < 0x21 || (unsigned char)line[i] > 0x7e)
			return "key must be printable ASCII or 0x-prefixed hex";
		i++;
	}
	key_end = i;
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (key_start == key_end)
		return "expected \"identity key\"";
	if (i != len)
		return "trailing text after the key";
	if (id_end - id_start > PSK_IDENTITY_MAX)
		return "identity is longer than 128 bytes";
	memset(e, 0, sizeof(*e));
	memcpy(e->identity, line + id_start, id_end - id_start);
	e->identity_len = id_end - id_start;
	return parse_key(line + key_start, key_end - key_start, e);
}

static int
entry_cmp(const void *a, const void *b)
{
	const struct psk_entry *x = a, *y = b;
	size_t n = x->identity_len < y->identity_len ?
	    x->identity_len : y->identity_len;
	int c = memcmp(x->identity, y->identity, n);

	if (c != 0)
		return c;
	return (x->identity_len > y->identity_len) -
	    (x->identity_len < y->identity_len);
}

static int
table_append(struct psk_table *t, size_t *cap, const struct psk_entry *e)
{
	if (t->count == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		struct psk_entry *n = reallocarray(t->entries, ncap,
		    sizeof(*n));

		if (n == NULL)
			return -1;
		t->entries = n;
		*cap = ncap;
	}
	t->entries[t->count++] = *e;
	return 0;
}

/* Sorts, then reports duplicates: one identity must have one key. */
static int
table_finish(struct psk_table *t, const char *path, psk_error_fn err,
    void *arg)
{
	int bad = 0;

	if (t->count > 1)
		qsort(t->entries, t->count, sizeof(*t->entries), entry_cmp);
	for (size_t i = 1; i < t->count; i++) {
		const struct psk_entry *a = &t->entries[i - 1];
		const struct psk_entry *b = &t->entries[i];
		char msg[200];

		if (entry_cmp(a, b) != 0)
			continue;
		if (a->line > b->line) {
			const struct psk_entry *tmp = a;

			a = b;
			b = tmp;
		}
		snprintf(msg, sizeof(msg), "identity %s already has a key "
		    "(line %d)", b->identity, a->line);
		err(arg, path, b->line, msg);
		bad = 1;
	}
	return bad ? -1 : 0;
}

struct psk_table *
psk_table_parse(const char *text, size_t len, const char *path,
    psk_error_fn err, void *arg)
{
	struct psk_table	*t;
	struct psk_entry	 e;
	size_t			 cap = 0, pos = 0;
	int			 lineno = 0, bad = 0;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	while (pos < len) {
		const char	*line = text + pos;
		const char	*nl = memchr(line, '\n', len - pos);
		size_t		 llen = nl ? (size_t)(nl - line) : len - pos;
		const char	*msg;
		size_t		 trimmed = llen;

		pos += llen + (nl ? 1 : 0);
		lineno++;
		if (trimmed > 0 && line[trimmed - 1] == '\r')
			trimmed--;
		{
			size_t k = 0;

			while (k < trimmed && (line[k] == ' ' ||
			    line[k] == '\t'))
				k++;
			if (k == trimmed || line[k] == '#')
				continue;
		}
		if ((msg = parse_line(line, trimmed, &e)) != NULL) {
			err(arg, path, lineno, msg);
			bad = 1;
			continue;
		}
		e.line = lineno;
		if (t->count >= PSK_ENTRIES_MAX) {
			err(arg, path, lineno, "too many keys");
			bad = 1;
			break;
		}
		if (table_append(t, &cap, &e) == -1) {
			err(arg, path, lineno, "out of memory");
			bad = 1;
			break;
		}
	}
	OPENSSL_cleanse(&e, sizeof(e));
	/* Duplicates are reported even when other lines were bad. */
	if (table_finish(t, path, err, arg) == -1 || bad) {
		psk_table_free(t);
		return NULL;
	}
	return t;
}

struct psk_table *
psk_table_load(const char *path, psk_error_fn err, void *arg)
{
	struct psk_table	*t;
	char			*text;
	size_t			 len;
	char			 msg[300];

	if (util_read_file(path, PSK_FILE_MAX, &text, &len) == -1) {
		snprintf(msg, sizeof(msg), "cannot read key file: %s",
		    strerror(errno));
		err(arg, path, 0, msg);
		return NULL;
	}
	t = psk_table_parse(text, len, path, err, arg);
	OPENSSL_cleanse(text, len);
	free(text);
	return t;
}

const struct psk_entry *
psk_table_find(const struct psk_table *t, const char *identity, size_t len)
{
	struct psk_entry key;

	if (t == NULL || len > PSK_IDENTITY_MAX || t->count == 0)
		return NULL;
	memset(&key, 0, sizeof(key));
	memcpy(key.identity, identity, len);
	key.identity_len = len;
	return bsearch(&key, t->entries, t->count, sizeof(*t->entries),
	    entry_cmp);
}

void
psk_table_free(struct psk_table *t)
{
	if (t == NULL)
		return;
	if (t->entries != NULL) {
		OPENSSL_cleanse(t->entries, t->count * sizeof(*t->entries));
		free(t->entries);
	}
	free(t);
}
