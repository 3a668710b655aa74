/*
 * The counters, the sources, and the three views. Reading the stats
 * collects every value into one list first: each view then writes from
 * the list, so a metric is described once and the views cannot disagree.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cbor.h>
#include <coap3/coap.h>

#include "buf.h"
#include "stats.h"

#define LABEL_MAX	64

struct item {
	const struct stats_metric	*m;
	char				 label[LABEL_MAX];
	int				 has_label;
	int				 declared;	/* no value */
	double				 v;
};

struct stats_sink {
	struct item	*items;
	size_t		 n, cap;
	int		 failed;
};

static struct {
	uint64_t	 start_ms;
	double		 start_time;
	uint64_t	 requests[8];
	uint64_t	 responses[256];
	int64_t		 sessions[STATS_TRANSPORTS];
	uint64_t	 notifications, commits, commit_errors;
	uint64_t	 last_commit_us;
	uint64_t	 auth_refused, limit_hits;
	uint64_t	 generation;
	uint64_t	 (*store_size)(void *);
	void		*store_arg;
	struct {
		stats_source_fn	 fn;
		void		*src;
	} sources[STATS_SOURCES_MAX];
} st;

static const struct stats_metric m_uptime = { "uptime",
	"corehub_uptime_seconds", "Seconds since the daemon started.",
	STATS_GAUGE, NULL };
static const struct stats_metric m_start = { "start_time",
	"corehub_start_time_seconds", "When the daemon started, in seconds "
	"since the Unix epoch.", STATS_GAUGE, NULL };
static const struct stats_metric m_sessions = { "sessions",
	"corehub_sessions", "CoAP sessions open, by transport.",
	STATS_GAUGE, "transport" };
static const struct stats_metric m_requests = { "requests",
	"corehub_requests_total", "CoAP requests handled, by method.",
	STATS_COUNTER, "method" };
static const struct stats_metric m_responses = { "responses",
	"corehub_responses_total", "CoAP responses sent by the handlers, by "
	"code.", STATS_COUNTER, "code" };
static const struct stats_metric m_notif = { "notifications",
	"corehub_notifications_total", "Observe notifications sent.",
	STATS_COUNTER, NULL };
static const struct stats_metric m_store_bytes = { "store_bytes",
	"corehub_store_bytes", "Size of the database and its write-ahead log.",
	STATS_GAUGE, NULL };
static const struct stats_metric m_commits = { "store_commits",
	"corehub_store_commits_total", "Batches of changes committed.",
	STATS_COUNTER, NULL };
static const struct stats_metric m_commit_errors = { "store_errors",
	"corehub_store_errors_total", "Batches of changes that failed to "
	"commit.", STATS_COUNTER, NULL };
static const struct stats_metric m_last_commit = { "store_last_commit",
	"corehub_store_last_commit_seconds", "How long the last commit took.",
	STATS_GAUGE, NULL };
static const struct stats_metric m_refused = { "auth_refusals",
	"corehub_auth_refusals_total", "Requests refused by authorization.",
	STATS_COUNTER, NULL };
static const struct stats_metric m_limits = { "limit_hits",
	"corehub_limit_hits_total", "Requests refused by a limit or quota.",
	STATS_COUNTER, NULL };

static const char *const methods[8] = {
	NULL, "GET", "POST", "PUT", "DELETE", "FETCH", "PATCH", "iPATCH"
};
static const char *const transports[STATS_TRANSPORTS] = {
	"udp", "dtls", "tcp", "tls"
};

void
stats_init(uint64_t now_ms)
{
	memset(&st, 0, sizeof(st));
	st.start_ms = now_ms;
	st.start_time = (double)time(NULL);
}

int
stats_add_source(stats_source_fn fn, void *src)
{
	for (size_t i = 0; i < STATS_SOURCES_MAX; i++) {
		if (st.sources[i].fn == NULL) {
			st.sources[i].fn = fn;
			st.sources[i].src = src;
			return 0;
		}
	}
	return -1;
}

void
stats_remove_source(stats_source_fn fn, void *src)
{
	for (size_t i = 0; i < STATS_SOURCES_MAX; i++) {
		if (st.sources[i].fn == fn && st.sources[i].src == src) {
			memmove(&st.sources[i], &st.sources[i + 1],
			    (STATS_SOURCES_MAX - i - 1) *
			    sizeof(st.sources[0]));
			st.sources[STATS_SOURCES_MAX - 1].fn = NULL;
			return;
		}
	}
}

void
stats_request(unsigned int method, int quiet)
{
	st.requests[method < 8 ? method : 0]++;
	if (!quiet)
		st.generation++;
}

void
stats_response(unsigned int code, int quiet)
{
	st.responses[code & 0xff]++;
	if (!quiet)
		st.generation++;
}

void
stats_touch(void)
{
	st.generation++;
}

void
stats_session(enum stats_transport t, int delta)
{
	if (t >= STATS_TRANSPORTS || (delta < 0 && st.sessions[t] == 0))
		return;
	st.sessions[t] += delta;
	st.generation++;
}

void
stats_notification(void)
{
	st.notifications++;
}

void
stats_commit(uint64_t latency_us, int ok)
{
	if (ok)
		st.commits++;
	else
		st.commit_errors++;
	st.last_commit_us = latency_us;
	st.generation++;
}

void
stats_commit_skipped(void)
{
	st.commit_errors++;
	st.generation++;
}

void
stats_auth_refused(void)
{
	st.auth_refused++;
	st.generation++;
}

void
stats_limit_hit(void)
{
	st.limit_hits++;
	st.generation++;
}

void
stats_set_store_size_fn(uint64_t (*fn)(void *), void *arg)
{
	st.store_size = fn;
	st.store_arg = arg;
}

uint64_t
stats_generation(void)
{
	return st.generation;
}

static struct item *
sink_add(struct stats_sink *s, const struct stats_metric *m)
{
	struct item	*n;

	if (s->failed)
		return NULL;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;

		if ((n = realloc(s->items, cap * sizeof(*n))) == NULL) {
			s->failed = 1;
			return NULL;
		}
		s->items = n;
		s->cap = cap;
	}
	n = &s->items[s->n++];
	memset(n, 0, sizeof(*n));
	n->m = m;
	return n;
}

void
stats_put(struct stats_sink *s, const struct stats_metric *m,
    const char *label, double v)
{
	struct item *it = sink_add(s, m);

	if (it == NULL)
		return;
	if (label != NULL) {
		snprintf(it->label, sizeof(it->label), "%s", label);
		it->has_label = 1;
	}
	it->v = v;
}

void
stats_declare(struct stats_sink *s, const struct stats_metric *m)
{
	struct item *it = sink_add(s, m);

	if (it != NULL)
		it->declared = 1;
}

static void
own_metrics(struct stats_sink *s, uint64_t now_ms)
{
	char code[8];

	stats_put(s, &m_uptime, NULL,
	    (double)((now_ms - st.start_ms) / 1000));
	stats_put(s, &m_start, NULL, st.start_time);
	for (int t = 0; t < STATS_TRANSPORTS; t++)
		stats_put(s, &m_sessions, transports[t],
		    (double)st.sessions[t]);
	stats_declare(s, &m_requests);
	for (int i = 1; i < 8; i++)
		if (st.requests[i] > 0)
			stats_put(s, &m_requests, methods[i],
			    (double)st.requests[i]);
	stats_declare(s, &m_responses);
	for (int c = 0; c < 256; c++) {
		if (st.responses[c] == 0)
			continue;
		snprintf(code, sizeof(code), "%d.%02d", c >> 5, c & 0x1f);
		stats_put(s, &m_responses, code, (double)st.responses[c]);
	}
	stats_put(s, &m_notif, NULL, (double)st.notifications);
	stats_put(s, &m_store_bytes, NULL, st.store_size ?
	    (double)st.store_size(st.store_arg) : 0);
	stats_put(s, &m_commits, NULL, (double)st.commits);
	stats_put(s, &m_commit_errors, NULL, (double)st.commit_errors);
	stats_put(s, &m_last_commit, NULL, st.last_commit_us / 1e6);
	stats_put(s, &m_refused, NULL, (double)st.auth_refused);
	stats_put(s, &m_limits, NULL, (double)st.limit_hits);
}

/* Every value, the daemon's own first; NULL items when out of memory. */
static int
collect(struct stats_sink *s, uint64_t now_ms)
{
	memset(s, 0, sizeof(*s));
	own_metrics(s, now_ms);
	for (size_t i = 0; i < STATS_SOURCES_MAX && st.sources[i].fn; i++)
		st.sources[i].fn(st.sources[i].src, s);
	if (s->failed) {
		free(s->items);
		return -1;
	}
	return 0;
}

/*
 * The metrics in order of first appearance, each once, with its values:
 * [*first, *end) are the items of one metric, wherever they were put.
 */
typedef int	(*metric_fn)(void *arg, const struct stats_metric *m,
		    const struct item *const *vals, size_t n);

static int
by_metric(struct stats_sink *s, metric_fn fn, void *arg)
{
	const struct item	**vals;
	unsigned char		 *done;
	int			  rc = 0;

	vals = calloc(s->n + 1, sizeof(*vals));
	done = calloc(s->n + 1, 1);
	if (vals == NULL || done == NULL) {
		rc = -1;
		goto out;
	}
	for (size_t i = 0; i < s->n && rc == 0; i++) {
		size_t n = 0;

		if (done[i])
			continue;
		for (size_t j = i; j < s->n; j++) {
			if (s->items[j].m != s->items[i].m)
				continue;
			done[j] = 1;
			if (!s->items[j].declared)
				vals[n++] = &s->items[j];
		}
		rc = fn(arg, s->items[i].m, vals, n);
	}
out:
	free(vals);
	free(done);
	return rc;
}

static int
run_view(struct buf *b, uint64_t now_ms, metric_fn fn, const char *open,
    const char *close)
{
	struct stats_sink	s;
	int			rc;

	if (collect(&s, now_ms) == -1)
		return -1;
	rc = (open == NULL || buf_addstr(b, open) == 0) &&
	    by_metric(&s, fn, b) == 0 &&
	    (close == NULL || buf_addstr(b, close) == 0) ? 0 : -1;
	free(s.items);
	if (rc == -1)
		buf_reset(b);
	return rc;
}

/* Integers as integers: a count should never read 3e+06. */
static int
add_number(struct buf *b, double v)
{
	if (!isfinite(v))
		return buf_addstr(b, "0");
	if (v == floor(v) && fabs(v) < 9007199254740992.0)
		return buf_printf(b, "%.0f", v);
	return buf_printf(b, "%.9g", v);
}

static int
json_string(struct buf *b, const char *s)
{
	int rc = buf_addc(b, '"');

	for (; *s && rc == 0; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\')
			rc = buf_printf(b, "\\%c", c);
		else if (c < 0x20)
			rc = buf_printf(b, "\\u%04x", c);
		else
			rc = buf_addc(b, (char)c);
	}
	return rc == 0 ? buf_addc(b, '"') : -1;
}

static int
json_metric(void *arg, const struct stats_metric *m,
    const struct item *const *vals, size_t n)
{
	struct buf	*b = arg;

	/* || runs left to right: the pieces are appended in order. */
	if ((b->len > 1 && buf_addc(b, ',') != 0) ||
	    json_string(b, m->key) != 0 || buf_addc(b, ':') != 0)
		return -1;
	if (m->label == NULL)
		return add_number(b, n ? vals[0]->v : 0);
	if (buf_addc(b, '{') != 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if ((i > 0 && buf_addc(b, ',') != 0) ||
		    json_string(b, vals[i]->label) != 0 ||
		    buf_addc(b, ':') != 0 || add_number(b, vals[i]->v) != 0)
			return -1;
	return buf_addc(b, '}');
}

int
stats_json(struct buf *b, uint64_t now_ms)
{
	return run_view(b, now_ms, json_metric, "{", "}");
}

static int
cbor_add(struct buf *b, size_t n, const unsigned char *p)
{
	return n == 0 ? -1 : buf_add(b, p, n);
}

static int
cbor_text(struct buf *b, const char *s)
{
	unsigned char	hdr[9];
	size_t		len = strlen(s);

	if (cbor_add(b, cbor_encode_string_start(len, hdr, sizeof(hdr)),
	    hdr) != 0)
		return -1;
	return buf_add(b, s, len);
}

static int
cbor_number(struct buf *b, double v)
{
	unsigned char	out[9];

	if (!isfinite(v))
		v = 0;
	if (v == floor(v) && v >= 0 && v < 18446744073709551616.0)
		return cbor_add(b, cbor_encode_uint((uint64_t)v, out,
		    sizeof(out)), out);
	return cbor_add(b, cbor_encode_double(v, out, sizeof(out)), out);
}

static int
cbor_metric(void *arg, const struct stats_metric *m,
    const struct item *const *vals, size_t n)
{
	struct buf	*b = arg;
	unsigned char	 hdr[9];

	if (cbor_text(b, m->key) != 0)
		return -1;
	if (m->label == NULL)
		return cbor_number(b, n ? vals[0]->v : 0);
	if (cbor_add(b, cbor_encode_map_start(n, hdr, sizeof(hdr)), hdr) != 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (cbor_text(b, vals[i]->label) != 0 ||
		    cbor_number(b, vals[i]->v) != 0)
			return -1;
	return 0;
}

static int
count_metric(void *arg, const struct stats_metric *m,
    const struct item *const *vals, size_t n)
{
	(void)m;
	(void)vals;
	(void)n;
	(*(size_t *)arg)++;
	return 0;
}

int
stats_cbor(struct buf *b, uint64_t now_ms)
{
	struct stats_sink	s;
	unsigned char		hdr[9];
	size_t			metrics = 0;
	int			rc;

	if (collect(&s, now_ms) == -1)
		return -1;
	/* The map's size first: the count of metrics is known only now. */
	rc = by_metric(&s, count_metric, &metrics) != 0 ||
	    cbor_add(b, cbor_encode_map_start(metrics, hdr, sizeof(hdr)),
	    hdr) != 0 || by_metric(&s, cbor_metric, b) != 0 ? -1 : 0;
	free(s.items);
	if (rc != 0) {
		buf_reset(b);
		return -1;
	}
	return 0;
}

static int
prom_label(struct buf *b, const char *s)
{
	int rc = 0;

	for (; *s && rc == 0; s++) {
		if (*s == '\\' || *s == '"')
			rc = buf_printf(b, "\\%c", *s);
		else if (*s == '\n')
			rc = buf_addstr(b, "\\n");
		else
			rc = buf_addc(b, *s);
	}
	return rc;
}

static int
prom_metric(void *arg, const struct stats_metric *m,
    const struct item *const *vals, size_t n)
{
	struct buf	*b = arg;

	if (buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", m->name, m->help,
	    m->name, m->kind == STATS_COUNTER ? "counter" : "gauge") != 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (buf_addstr(b, m->name) != 0 || (m->label != NULL &&
		    (buf_printf(b, "{%s=\"", m->label) != 0 ||
		    prom_label(b, vals[i]->label) != 0 ||
		    buf_addstr(b, "\"}") != 0)) || buf_addc(b, ' ') != 0 ||
		    add_number(b, vals[i]->v) != 0 || buf_addc(b, '\n') != 0)
			return -1;
	}
	return 0;
}

int
stats_prometheus(struct buf *b, uint64_t now_ms)
{
	return run_view(b, now_ms, prom_metric, NULL, NULL);
}
