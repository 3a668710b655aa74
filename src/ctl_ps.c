/*
 * ctl_ps: corehubctl's broker commands: topics, topic, create-topic,
 * publish and subscribe. A topic is known by its name, which only its
 * configuration holds: finding one means listing the collection (a FETCH
 * by name where the daemon takes it) and reading configurations until
 * the name matches.
 */
#include "ac_config.h"

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "ctl.h"
#include "ctl_ps.h"
#include "ps_cbor.h"
#include "ps_props.h"
#include "util.h"

#define TOPICS_MAX	1000	/* topics one listing reads */
#define LOOKUP_RT_CONF	"core.ps.conf"

static volatile sig_atomic_t	 stopping;

struct topic {
	char		conf[CTL_PATH_MAX];	/* the topic resource */
	struct ps_props	p;
};

/*
 * Reads a topic's configuration. *gone is set when it is not there (any
 * more): a topic may expire between the listing and the read.
 */
static int
get_topic(struct ctl *x, const char *ref, struct topic *t, int *gone)
{
	struct ctl_request	 rq;
	struct ctl_response	 r;
	enum ctl_status		 st;
	const char		*why = NULL;
	int			 rc = 0;

	memset(t, 0, sizeof(*t));
	*gone = 0;
	if (ctl_client_path(x->cl, ref, t->conf, sizeof(t->conf)) == -1)
		return ctl_fail(x, "%.100s: not a topic on %s", ref,
		    ctl_client_base(x->cl));
	ctl_request_init(&rq, COAP_REQUEST_CODE_GET, t->conf);
	if ((st = ctl_request(x->cl, &rq, &r)) != CTL_OK)
		return ctl_fail_status(x, st);
	if (r.code == 404)
		*gone = 1;
	else if (r.code / 100 != 2)
		rc = ctl_fail_code(x, &r);
	else if (r.format != CTL_NONE && r.format != CTL_CF_PUBSUB &&
	    r.format != CTL_CF_CBOR)
		rc = ctl_fail(x, "%s: not a topic configuration "
		    "(content-format %d)", t->conf, r.format);
	else if (ps_cbor_decode_props(r.body, r.len, &t->p, &why) !=
	    PS_CBOR_OK)
		rc = ctl_fail(x, "%s: bad topic configuration: %s", t->conf,
		    why ? why : "not valid CBOR");
	ctl_response_free(&r);
	if (rc != 0)
		ps_props_clear(&t->p);
	return rc;
}

static int
link_has_attr(const struct lf_link *l, const char *name)
{
	return lf_link_attr(l, name) != NULL;
}

static int
is_topic_link(const struct lf_link *l)
{
	return !link_has_attr(l, "rt") || ctl_link_has_rt(l, LOOKUP_RT_CONF);
}

/*
 * The collection's links to topics: those matching filter (a FETCH, draft
 * section 3.2.1) when given, else all of them. A daemon that does not
 * take the FETCH is asked for all.
 */
static int
topic_links(struct ctl *x, const struct ps_props *filter, struct lf_doc *d)
{
	struct ctl_request	 rq;
	struct ctl_response	 r;
	enum ctl_status		 st;
	uint8_t			*cbor = NULL;
	size_t			 len = 0;
	int			 rc;

	if ((rc = ctl_discover(x)) != 0)
		return rc;
	if (filter == NULL || ps_cbor_encode_props(filter, PS_P_ALL, &cbor,
	    &len) != PS_CBOR_OK)
		return ctl_get_links(x, x->coll, NULL, 0, d);
	ctl_request_init(&rq, COAP_REQUEST_CODE_FETCH, x->coll);
	rq.format = CTL_CF_PUBSUB;
	rq.accept = CTL_CF_LINK_FORMAT;
	rq.body = cbor;
	rq.len = len;
	st = ctl_request(x->cl, &rq, &r);
	free(cbor);
	if (st != CTL_OK)
		return ctl_fail_status(x, st);
	if (r.code / 100 == 2)
		return ctl_parse_links(x, x->coll, &r, d);
	if (r.code == 401 || r.code == 403 || r.code / 100 != 4) {
		rc = ctl_fail_code(x, &r);
		ctl_response_free(&r);
		return rc;
	}
	ctl_response_free(&r);
	return ctl_get_links(x, x->coll, NULL, 0, d);
}

static int
find_topic(struct ctl *x, const char *name, struct topic *t)
{
	struct ps_props	filter;
	struct lf_doc	d;
	size_t		seen = 0;
	int		rc, gone;

	memset(&filter, 0, sizeof(filter));
	filter.present = PS_P_NAME;
	filter.name = (char *)(uintptr_t)name;
	if ((rc = topic_links(x, &filter, &d)) != 0)
		return rc;
	for (size_t i = 0; i < d.nlinks && seen < TOPICS_MAX; i++) {
		if (!is_topic_link(&d.links[i]))
			continue;
		seen++;
		if ((rc = get_topic(x, d.links[i].target, t, &gone)) != 0)
			break;
		if (!gone && (t->p.present & PS_P_NAME) &&
		    strcmp(t->p.name, name) == 0) {
			lf_doc_free(&d);
			return 0;
		}
		ps_props_clear(&t->p);
	}
	lf_doc_free(&d);
	return rc != 0 ? rc : ctl_fail(x, "no topic %s", name);
}

static const char *
fmt_time(int64_t v, char *buf, size_t size)
{
	struct tm	tm;
	time_t		t = (time_t)v;

	if ((int64_t)t != v || gmtime_r(&t, &tm) == NULL ||
	    strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(buf, size, "%" PRId64, v);
	return buf;
}

static char *
hex(const uint8_t *p, size_t len)
{
	struct buf b;

	buf_init(&b, 0);
	for (size_t i = 0; i < len; i++)
		if (buf_printf(&b, "%02x", p[i]) == -1) {
			buf_free(&b);
			return NULL;
		}
	return buf_release(&b);
}

/* "key: value", the value made safe to print. */
static void
put_kv(const char *key, const char *value)
{
	char *v = ctl_printable(value, strlen(value));

	printf("%s: %s\n", key, v ? v : "?");
	free(v);
}

static void
put_kv_uint(const char *key, uint64_t v)
{
	printf("%s: %" PRIu64 "\n", key, v);
}

static void
print_props(const struct topic *t)
{
	const struct ps_props	*p = &t->p;
	char			 when[64];

	put_kv("configuration", t->conf);
	if (p->present & PS_P_NAME)
		put_kv("topic-name", p->name);
	if (p->present & PS_P_DATA)
		put_kv("topic-data", p->data_uri);
	if (p->present & PS_P_RT)
		put_kv("resource-type", p->rt);
	if (p->present & PS_P_CF)
		put_kv_uint("topic-content-format", p->cf);
	if (p->present & PS_P_TYPE)
		put_kv("topic-type", p->type);
	if (p->present & PS_P_EXPIRES)
		printf("expiration-date: %s (%" PRId64 ")\n",
		    fmt_time(p->expires, when, sizeof(when)), p->expires);
	if (p->present & PS_P_MAX_SUBS)
		put_kv_uint("max-subscribers", p->max_subs);
	if (p->present & PS_P_OBS_CHECK)
		put_kv_uint("observer-check", p->obs_check);
	if (p->present & PS_P_INIT) {
		char *h = hex(p->init, p->init_len);

		put_kv("initialize", h ? h : "?");
		free(h);
	}
	if (p->present & PS_P_VOLATILE)
		put_kv("volatile", p->volatile_ ? "true" : "false");
}

static void
json_str_prop(struct ctl_json *j, const char *key, const char *v)
{
	ctl_json_key(j, key);
	ctl_json_string(j, v);
}

static void
json_uint_prop(struct ctl_json *j, const char *key, uint64_t v)
{
	ctl_json_key(j, key);
	ctl_json_uint(j, v);
}

static void
json_props(struct ctl_json *j, const struct topic *t)
{
	const struct ps_props *p = &t->p;

	ctl_json_begin_object(j);
	json_str_prop(j, "configuration", t->conf);
	if (p->present & PS_P_NAME)
		json_str_prop(j, "topic-name", p->name);
	if (p->present & PS_P_DATA)
		json_str_prop(j, "topic-data", p->data_uri);
	if (p->present & PS_P_RT)
		json_str_prop(j, "resource-type", p->rt);
	if (p->present & PS_P_CF)
		json_uint_prop(j, "topic-content-format", p->cf);
	if (p->present & PS_P_TYPE)
		json_str_prop(j, "topic-type", p->type);
	if (p->present & PS_P_EXPIRES) {
		ctl_json_key(j, "expiration-date");
		ctl_json_int(j, p->expires);
	}
	if (p->present & PS_P_MAX_SUBS)
		json_uint_prop(j, "max-subscribers", p->max_subs);
	if (p->present & PS_P_OBS_CHECK)
		json_uint_prop(j, "observer-check", p->obs_check);
	if (p->present & PS_P_INIT) {
		char *h = hex(p->init, p->init_len);

		json_str_prop(j, "initialize", h ? h : "");
		free(h);
	}
	if (p->present & PS_P_VOLATILE) {
		ctl_json_key(j, "volatile");
		ctl_json_bool(j, p->volatile_);
	}
	ctl_json_end_object(j);
}

static void
topic_row(struct ctl_table *t, const struct topic *tp)
{
	const struct ps_props	*p = &tp->p;
	char			 cf[16] = "", when[64] = "";
	const char		*row[6];

	if (p->present & PS_P_CF)
		snprintf(cf, sizeof(cf), "%" PRIu32, p->cf);
	if (p->present & PS_P_EXPIRES)
		fmt_time(p->expires, when, sizeof(when));
	row[0] = p->present & PS_P_NAME ? p->name : NULL;
	row[1] = tp->conf;
	row[2] = p->present & PS_P_DATA ? p->data_uri : NULL;
	row[3] = cf;
	row[4] = p->present & PS_P_TYPE ? p->type : NULL;
	row[5] = when;
	ctl_table_add(t, row);
}

static int
print_topics(const struct ctl *x, const struct topic *t, size_t n)
{
	static const char *const head[] = { "NAME", "CONFIG", "DATA",
	    "CONTENT-FORMAT", "TYPE", "EXPIRES" };
	struct ctl_table	tab;
	struct ctl_json		j;

	if (x->json) {
		ctl_json_init(&j, stdout);
		ctl_json_begin_array(&j);
		for (size_t i = 0; i < n; i++)
			json_props(&j, &t[i]);
		ctl_json_end_array(&j);
		return ctl_done_json(&j);
	}
	ctl_table_init(&tab, 6, head);
	for (size_t i = 0; i < n; i++)
		topic_row(&tab, &t[i]);
	return ctl_done_table(x, &tab);
}

static void
free_topics(struct topic *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ps_props_clear(&t[i].p);
	free(t);
}

/* The configurations behind the links, at most TOPICS_MAX of them. */
static int
read_topics(struct ctl *x, const struct lf_doc *d, struct topic **out,
    size_t *n)
{
	struct topic	*t;
	size_t		 links = 0;
	int		 rc = 0, gone;

	*n = 0;
	for (size_t i = 0; i < d->nlinks; i++)
		links += is_topic_link(&d->links[i]);
	if (links > TOPICS_MAX)
		fprintf(stderr, "corehubctl: %s: showing the first %d of %zu "
		    "topics\n", x->cmd, TOPICS_MAX, links);
	if ((*out = t = calloc(links ? (links > TOPICS_MAX ? TOPICS_MAX :
	    links) : 1, sizeof(*t))) == NULL)
		return ctl_fail(x, "out of memory");
	for (size_t i = 0; i < d->nlinks && *n < TOPICS_MAX && rc == 0;
	    i++) {
		if (!is_topic_link(&d->links[i]))
			continue;
		rc = get_topic(x, d->links[i].target, &t[*n], &gone);
		if (rc == 0 && !gone)
			(*n)++;
	}
	return rc;
}

int
ctl_ps_topics(struct ctl *x, struct ctl_args *a)
{
	struct lf_doc	 d;
	struct topic	*t = NULL;
	size_t		 n = 0;
	int		 rc;

	(void)a;
	if ((rc = topic_links(x, NULL, &d)) != 0)
		return rc;
	if ((rc = read_topics(x, &d, &t, &n)) == 0)
		rc = print_topics(x, t, n);
	free_topics(t, n);
	lf_doc_free(&d);
	return rc;
}

int
ctl_ps_topic(struct ctl *x, struct ctl_args *a)
{
	struct topic	t;
	struct ctl_json	j;
	int		rc;

	if ((rc = find_topic(x, a->argv[0], &t)) != 0)
		return rc;
	if (x->json) {
		ctl_json_init(&j, stdout);
		json_props(&j, &t);
		rc = ctl_done_json(&j);
	} else
		print_props(&t);
	ps_props_clear(&t.p);
	return rc;
}

static int
parse_uint(const char *key, const char *v, long long min, long long max,
    long long *out)
{
	if (util_parse_ll(v, min, max, out) == -1)
		return ctl_usage("%s: expected an integer from %lld to %lld",
		    key, min, max);
	return 0;
}

/* expires=UNIXTIME, or +SECONDS from now. */
static int
parse_expires(const char *v, struct ps_props *p)
{
	long long	n;
	int		rc;

	if (v[0] == '+') {
		if ((rc = parse_uint("expires", v + 1, 1, INT32_MAX, &n)) != 0)
			return rc;
		n += (long long)time(NULL);
	} else if ((rc = parse_uint("expires", v, 1, INT64_MAX, &n)) != 0)
		return rc;
	p->expires = n;
	return 0;
}

static int
parse_string_prop(const char *key, const char *v, size_t max, char **out)
{
	if (strlen(v) == 0 || strlen(v) > max)
		return ctl_usage("%s: 1 to %zu bytes", key, max);
	free(*out);
	if ((*out = strdup(v)) == NULL)
		return ctl_usage("out of memory");
	return 0;
}

static int
parse_bool(const char *key, const char *v, int *out)
{
	if (strcmp(v, "true") == 0 || strcmp(v, "yes") == 0 ||
	    strcmp(v, "1") == 0)
		*out = 1;
	else if (strcmp(v, "false") == 0 || strcmp(v, "no") == 0 ||
	    strcmp(v, "0") == 0)
		*out = 0;
	else
		return ctl_usage("%s: expected true or false", key);
	return 0;
}

/* One key=value of create-topic into p. */
static int
parse_prop(const char *arg, struct ps_props *p)
{
	const char	*eq = strchr(arg, '='), *v;
	char		 key[32];
	long long	 n;
	int		 rc;
	uint32_t	 bit;

	if (eq == NULL || (size_t)(eq - arg) >= sizeof(key))
		return ctl_usage("%s: expected key=value", arg);
	memcpy(key, arg, (size_t)(eq - arg));
	key[eq - arg] = '\0';
	v = eq + 1;
	if (strcmp(key, "content-format") == 0) {
		bit = PS_P_CF;
		if ((rc = parse_uint(key, v, 0, 65535, &n)) == 0)
			p->cf = (uint32_t)n;
	} else if (strcmp(key, "max-subscribers") == 0) {
		bit = PS_P_MAX_SUBS;
		if ((rc = parse_uint(key, v, 0, UINT32_MAX, &n)) == 0)
			p->max_subs = (uint32_t)n;
	} else if (strcmp(key, "observer-check") == 0) {
		bit = PS_P_OBS_CHECK;
		if ((rc = parse_uint(key, v, 1, UINT32_MAX, &n)) == 0)
			p->obs_check = (uint32_t)n;
	} else if (strcmp(key, "expires") == 0) {
		bit = PS_P_EXPIRES;
		rc = parse_expires(v, p);
	} else if (strcmp(key, "type") == 0) {
		bit = PS_P_TYPE;
		rc = parse_string_prop(key, v, PS_NAME_MAX, &p->type);
	} else if (strcmp(key, "resource-type") == 0) {
		bit = PS_P_RT;
		rc = parse_string_prop(key, v, PS_NAME_MAX, &p->rt);
	} else if (strcmp(key, "topic-data") == 0) {
		bit = PS_P_DATA;
		rc = parse_string_prop(key, v, PS_URI_MAX, &p->data_uri);
	} else if (strcmp(key, "volatile") == 0) {
		bit = PS_P_VOLATILE;
		rc = parse_bool(key, v, &p->volatile_);
	} else
		return ctl_usage("%s: not a topic property (content-format, "
		    "type, max-subscribers, observer-check, expires, "
		    "resource-type, topic-data, volatile)", key);
	p->present |= bit;
	return rc;
}

static int
create_props(const struct ctl_args *a, struct ps_props *p)
{
	int rc;

	memset(p, 0, sizeof(*p));
	if (strlen(a->argv[0]) == 0 || strlen(a->argv[0]) > PS_NAME_MAX)
		return ctl_usage("a topic name is 1 to %d bytes", PS_NAME_MAX);
	if ((p->name = strdup(a->argv[0])) == NULL ||
	    (p->rt = strdup(LOOKUP_RT_CONF)) == NULL)
		return ctl_usage("out of memory");
	p->present = PS_P_NAME | PS_P_RT;
	for (int i = 1; i < a->argc; i++)
		if ((rc = parse_prop(a->argv[i], p)) != 0)
			return rc;
	return 0;
}

static int
print_created(const struct ctl *x, const char *name,
    const struct ctl_response *r)
{
	struct ps_props	p;
	struct ctl_json	j;
	const char	*data = NULL;

	memset(&p, 0, sizeof(p));
	if (r->len > 0 && ps_cbor_decode_props(r->body, r->len, &p, NULL) ==
	    PS_CBOR_OK && (p.present & PS_P_DATA))
		data = p.data_uri;
	if (x->json) {
		ctl_json_init(&j, stdout);
		ctl_json_begin_object(&j);
		json_str_prop(&j, "topic-name", name);
		json_str_prop(&j, "location", r->location);
		if (data != NULL)
			json_str_prop(&j, "topic-data", data);
		ctl_json_end_object(&j);
		ps_props_clear(&p);
		return ctl_done_json(&j);
	}
	put_kv("location", r->location[0] ? r->location : "-");
	if (data != NULL)
		put_kv("topic-data", data);
	ps_props_clear(&p);
	return 0;
}

int
ctl_ps_create_topic(struct ctl *x, struct ctl_args *a)
{
	struct ps_props		 p;
	struct ctl_request	 rq;
	struct ctl_response	 r;
	uint8_t			*cbor = NULL;
	size_t			 len = 0;
	int			 rc;

	if ((rc = create_props(a, &p)) != 0) {
		ps_props_clear(&p);
		return rc;
	}
	rc = ps_cbor_encode_props(&p, PS_P_ALL, &cbor, &len) == PS_CBOR_OK ?
	    0 : ctl_fail(x, "cannot encode the configuration");
	ps_props_clear(&p);
	if (rc != 0 || (rc = ctl_discover(x)) != 0) {
		free(cbor);
		return rc;
	}
	ctl_request_init(&rq, COAP_REQUEST_CODE_POST, x->coll);
	rq.format = CTL_CF_PUBSUB;
	rq.body = cbor;
	rq.len = len;
	if ((rc = ctl_call(x, &rq, &r)) == 0) {
		rc = print_created(x, a->argv[0], &r);
		ctl_response_free(&r);
	}
	free(cbor);
	return rc;
}

/* The path of a topic's data: where publish and subscribe go. */
static int
topic_data(struct ctl *x, const char *name, struct topic *t, char *path,
    size_t size)
{
	int rc;

	if ((rc = find_topic(x, name, t)) != 0)
		return rc;
	if (!(t->p.present & PS_P_DATA) ||
	    ctl_client_path(x->cl, t->p.data_uri, path, size) == -1) {
		ps_props_clear(&t->p);
		return ctl_fail(x, "topic %s has no topic-data on %s", name,
		    ctl_client_base(x->cl));
	}
	return 0;
}

/* Standard input, whole, up to what one request may carry. */
static int
read_stdin(const struct ctl *x, struct buf *b)
{
	char	chunk[4096];
	size_t	n;

	buf_init(b, CTL_BODY_MAX);
	while ((n = fread(chunk, 1, sizeof(chunk), stdin)) > 0)
		if (buf_add(b, chunk, n) == -1)
			return ctl_fail(x, "standard input: more than %d bytes",
			    CTL_BODY_MAX);
	if (ferror(stdin))
		return ctl_fail(x, "standard input: %s", strerror(errno));
	return 0;
}

static int
print_published(const struct ctl *x, const char *name, const char *path,
    const struct ctl_response *r)
{
	struct ctl_json	j;
	char		code[16];

	ctl_code_text(r->code, code, sizeof(code));
	if (!x->json) {
		printf("published to %s (%s): %s %s\n", name, path, code,
		    ctl_code_phrase(r->code));
		return 0;
	}
	ctl_json_init(&j, stdout);
	ctl_json_begin_object(&j);
	json_str_prop(&j, "topic-name", name);
	json_str_prop(&j, "topic-data", path);
	json_str_prop(&j, "code", code);
	ctl_json_end_object(&j);
	return ctl_done_json(&j);
}

int
ctl_ps_publish(struct ctl *x, struct ctl_args *a)
{
	struct topic		t;
	struct ctl_request	rq;
	struct ctl_response	r;
	struct buf		in;
	char			path[CTL_PATH_MAX];
	int			rc;

	buf_init(&in, CTL_BODY_MAX);
	if (strcmp(a->argv[1], "-") == 0 && (rc = read_stdin(x, &in)) != 0) {
		buf_free(&in);
		return rc;
	}
	if ((rc = topic_data(x, a->argv[0], &t, path, sizeof(path))) != 0) {
		buf_free(&in);
		return rc;
	}
	ctl_request_init(&rq, COAP_REQUEST_CODE_PUT, path);
	rq.format = a->format != CTL_NONE ? a->format :
	    (t.p.present & PS_P_CF) ? (int)t.p.cf : CTL_CF_TEXT;
	rq.body = strcmp(a->argv[1], "-") == 0 ? (const uint8_t *)in.data :
	    (const uint8_t *)a->argv[1];
	rq.len = strcmp(a->argv[1], "-") == 0 ? in.len : strlen(a->argv[1]);
	if ((rc = ctl_call(x, &rq, &r)) == 0) {
		rc = print_published(x, a->argv[0], path, &r);
		ctl_response_free(&r);
	}
	ps_props_clear(&t.p);
	buf_free(&in);
	return rc;
}

struct subscription {
	const struct ctl	*x;
	uint64_t		 seq;
};

static void
print_notification(const struct subscription *s,
    const struct ctl_response *r)
{
	struct ctl_json	 j;
	int		 text = ctl_is_text(r->body, r->len);
	char		*v;

	v = text ? ctl_printable((const char *)r->body, r->len) :
	    hex(r->body, r->len);

	if (!s->x->json) {
		printf("%s\n", v ? v : "?");
		free(v);
		return;
	}
	ctl_json_init(&j, stdout);
	ctl_json_begin_object(&j);
	json_uint_prop(&j, "seq", s->seq);
	ctl_json_key(&j, "observe");
	if (r->observe >= 0)
		ctl_json_int(&j, r->observe);
	else
		ctl_json_null(&j);
	ctl_json_key(&j, "content-format");
	if (r->format != CTL_NONE)
		ctl_json_int(&j, r->format);
	else
		ctl_json_null(&j);
	ctl_json_key(&j, text ? "payload" : "payload-hex");
	if (text)
		ctl_json_string_n(&j, (const char *)r->body, r->len);
	else
		ctl_json_string(&j, v ? v : "");
	ctl_json_end_object(&j);
	ctl_json_finish(&j);
	free(v);
}

/* Each notification as it comes; an error ends the subscription. */
static int
on_notification(void *arg, const struct ctl_response *r)
{
	struct subscription *s = arg;

	if (r->code / 100 != 2) {
		fflush(stdout);
		return ctl_fail_code(s->x, r);
	}
	s->seq++;
	print_notification(s, r);
	fflush(stdout);
	if (r->observe < 0)
		return ctl_fail(s->x, "the daemon answered without Observe: "
		    "not subscribed");
	return 0;
}

static void
on_signal(int sig)
{
	(void)sig;
	stopping = 1;
}

/* Without SA_RESTART, so that a signal wakes the wait at once. */
static void
catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

int
ctl_ps_subscribe(struct ctl *x, struct ctl_args *a)
{
	struct subscription	s = { x, 0 };
	struct topic		t;
	struct ctl_request	rq;
	char			path[CTL_PATH_MAX];
	int			rc;

	if ((rc = topic_data(x, a->argv[0], &t, path, sizeof(path))) != 0)
		return rc;
	ps_props_clear(&t.p);
	catch_signals();
	ctl_request_init(&rq, COAP_REQUEST_CODE_GET, path);
	if ((rc = ctl_observe(x->cl, &rq, on_notification, &s, &stopping)) <
	    0)
		return ctl_fail_status(x, (enum ctl_status)rc);
	return rc;
}
