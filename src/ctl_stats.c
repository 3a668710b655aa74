/*
 * ctl_stats: corehubctl's stats and reload, the daemon's own admin
 * resources. The statistics are a CBOR map of metrics, each a number or
 * a map from label to number; they are checked by the daemon's strict
 * CBOR checker before libcbor decodes them.
 */
#include "ac_config.h"

#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cbor.h>

#include "ctl.h"
#include "ctl_stats.h"
#include "ps_cbor.h"

#define STATS_KEY_MAX	128

/* A statistic's value: CBOR keeps integers exact, so do we. */
struct num {
	enum { NUM_UINT, NUM_NEG, NUM_FLOAT } kind;
	uint64_t	u;	/* NUM_NEG: the value is -1 - u */
	double		d;
};

static int
cbor_num(const cbor_item_t *it, struct num *n)
{
	if (cbor_isa_uint(it)) {
		n->kind = NUM_UINT;
		n->u = cbor_get_int(it);
	} else if (cbor_isa_negint(it)) {
		n->kind = NUM_NEG;
		n->u = cbor_get_int(it);
	} else if (cbor_isa_float_ctrl(it) &&
	    cbor_float_get_width(it) != CBOR_FLOAT_0) {
		n->kind = NUM_FLOAT;
		n->d = cbor_float_get_float(it);
	} else
		return -1;
	return 0;
}

static const char *
num_text(const struct num *n, char *buf, size_t size)
{
	if (n->kind == NUM_UINT)
		snprintf(buf, size, "%" PRIu64, n->u);
	else if (n->kind == NUM_NEG && n->u == UINT64_MAX)
		snprintf(buf, size, "-18446744073709551616");
	else if (n->kind == NUM_NEG)
		snprintf(buf, size, "-%" PRIu64, n->u + 1);
	else if (isfinite(n->d) && n->d == floor(n->d) &&
	    fabs(n->d) < 9007199254740992.0)
		snprintf(buf, size, "%.0f", n->d);
	else
		snprintf(buf, size, "%.15g", n->d);
	return buf;
}

static void
json_num(struct ctl_json *j, const struct num *n)
{
	if (n->kind == NUM_UINT)
		ctl_json_uint(j, n->u);
	else if (n->kind == NUM_NEG && n->u < (uint64_t)INT64_MAX)
		ctl_json_int(j, -1 - (int64_t)n->u);
	else if (n->kind == NUM_NEG)
		ctl_json_double(j, -1.0 - (double)n->u);
	else
		ctl_json_double(j, n->d);
}

/* A definite text string, copied; -1 for anything else or too long. */
static int
cbor_text(const cbor_item_t *it, char *out, size_t size)
{
	size_t len;

	if (!cbor_isa_string(it) || !cbor_string_is_definite(it) ||
	    (len = cbor_string_length(it)) >= size)
		return -1;
	memcpy(out, cbor_string_handle(it), len);
	out[len] = '\0';
	return 0;
}

/*
 * Calls row() for each value of the document: a metric with one value
 * once (label NULL), a labelled one once per label. Pairs of any other
 * shape are left out.
 */
static void
stats_walk(const cbor_item_t *map,
    void (*row)(void *, const char *, const char *, const struct num *),
    void *arg)
{
	struct cbor_pair	*p = cbor_map_handle(map);
	size_t			 n = cbor_map_size(map);

	for (size_t i = 0; i < n; i++) {
		char		key[STATS_KEY_MAX], label[STATS_KEY_MAX];
		struct num	v;
		struct cbor_pair *q;

		if (cbor_text(p[i].key, key, sizeof(key)) == -1)
			continue;
		if (cbor_num(p[i].value, &v) == 0) {
			row(arg, key, NULL, &v);
			continue;
		}
		if (!cbor_isa_map(p[i].value))
			continue;
		q = cbor_map_handle(p[i].value);
		for (size_t k = 0; k < cbor_map_size(p[i].value); k++)
			if (cbor_text(q[k].key, label, sizeof(label)) == 0 &&
			    cbor_num(q[k].value, &v) == 0)
				row(arg, key, label, &v);
	}
}

static void
stats_table_row(void *arg, const char *key, const char *label,
    const struct num *v)
{
	char		name[2 * STATS_KEY_MAX + 2], value[64];
	const char	*row[2] = { name, value };

	/* The empty label ("no sector") stays visible. */
	snprintf(name, sizeof(name), "%s%s%s", key, label ? "." : "",
	    label ? label[0] ? label : "\"\"" : "");
	num_text(v, value, sizeof(value));
	ctl_table_add(arg, row);
}

struct stats_json {
	struct ctl_json	*j;
	char		 open[STATS_KEY_MAX];	/* labelled, open */
};

static void
stats_json_row(void *arg, const char *key, const char *label,
    const struct num *v)
{
	struct stats_json *s = arg;

	if (s->open[0] != '\0' && (label == NULL || strcmp(s->open, key))) {
		ctl_json_end_object(s->j);
		s->open[0] = '\0';
	}
	if (label == NULL) {
		ctl_json_key(s->j, key);
		json_num(s->j, v);
		return;
	}
	if (s->open[0] == '\0') {
		ctl_json_key(s->j, key);
		ctl_json_begin_object(s->j);
		snprintf(s->open, sizeof(s->open), "%s", key);
	}
	ctl_json_key(s->j, label);
	json_num(s->j, v);
}

/* Labelled metrics with no value yet are empty objects, not missing. */
static void
stats_json_empty(const cbor_item_t *map, struct ctl_json *j)
{
	struct cbor_pair	*p = cbor_map_handle(map);
	char			 key[STATS_KEY_MAX];

	for (size_t i = 0; i < cbor_map_size(map); i++)
		if (cbor_isa_map(p[i].value) &&
		    cbor_map_size(p[i].value) == 0 &&
		    cbor_text(p[i].key, key, sizeof(key)) == 0) {
			ctl_json_key(j, key);
			ctl_json_begin_object(j);
			ctl_json_end_object(j);
		}
}

static int
print_stats(const struct ctl *x, const cbor_item_t *map)
{
	static const char *const head[] = { "KEY", "VALUE" };
	struct ctl_table	t;
	struct ctl_json		j;
	struct stats_json	s = { &j, "" };

	if (!x->json) {
		ctl_table_init(&t, 2, head);
		stats_walk(map, stats_table_row, &t);
		return ctl_done_table(x, &t);
	}
	ctl_json_init(&j, stdout);
	ctl_json_begin_object(&j);
	stats_walk(map, stats_json_row, &s);
	if (s.open[0] != '\0')
		ctl_json_end_object(&j);
	stats_json_empty(map, &j);
	ctl_json_end_object(&j);
	return ctl_done_json(&j);
}

/* ps_cbor_check() first: cbor_load() believes declared sizes. */
static int
decode_stats(const struct ctl *x, const struct ctl_response *r,
    cbor_item_t **map)
{
	struct cbor_load_result res;

	if (r->format != CTL_NONE && r->format != CTL_CF_CBOR)
		return ctl_fail(x, "%s: not CBOR (content-format %d)", x->stats,
		    r->format);
	if (ps_cbor_check(r->body, r->len) != PS_CBOR_OK ||
	    (*map = cbor_load(r->body, r->len, &res)) == NULL)
		return ctl_fail(x, "%s: not valid CBOR, or over the limits",
		    x->stats);
	if (!cbor_isa_map(*map)) {
		cbor_decref(map);
		return ctl_fail(x, "%s: not a CBOR map", x->stats);
	}
	return 0;
}

int
ctl_stats_show(struct ctl *x, struct ctl_args *a)
{
	struct ctl_request	 rq;
	struct ctl_response	 r;
	cbor_item_t		*map = NULL;
	int			 rc;

	(void)a;
	if ((rc = ctl_discover(x)) != 0)
		return rc;
	ctl_request_init(&rq, COAP_REQUEST_CODE_GET, x->stats);
	rq.accept = CTL_CF_CBOR;
	if ((rc = ctl_call(x, &rq, &r)) != 0)
		return rc;
	if ((rc = decode_stats(x, &r, &map)) == 0) {
		rc = print_stats(x, map);
		cbor_decref(&map);
	}
	ctl_response_free(&r);
	return rc;
}

int
ctl_stats_reload(struct ctl *x, struct ctl_args *a)
{
	struct ctl_request	rq;
	struct ctl_response	r;
	struct ctl_json		j;
	char			code[16];
	int			rc;

	(void)a;
	if ((rc = ctl_discover(x)) != 0)
		return rc;
	ctl_request_init(&rq, COAP_REQUEST_CODE_POST, x->reload);
	if ((rc = ctl_call(x, &rq, &r)) != 0)
		return rc;
	ctl_code_text(r.code, code, sizeof(code));
	ctl_response_free(&r);
	if (!x->json) {
		printf("reloaded\n");
		return 0;
	}
	ctl_json_init(&j, stdout);
	ctl_json_begin_object(&j);
	ctl_json_key(&j, "reloaded");
	ctl_json_bool(&j, 1);
	ctl_json_key(&j, "code");
	ctl_json_string(&j, code);
	ctl_json_end_object(&j);
	return ctl_done_json(&j);
}
