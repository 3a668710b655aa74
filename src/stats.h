/*
 * stats: the daemon's counters and gauges, and their one description
 * (name, help, kind, label) that every view is written from: the CoAP
 * statistics resource in CBOR and JSON, and the Prometheus text. Owns
 * the counters the edge bumps (requests, responses, sessions, commits);
 * the services contribute their gauges (registrations, topics...) as
 * sources, so that stats depends on no service.
 */
#ifndef COREHUB_STATS_H
#define COREHUB_STATS_H

#include <stddef.h>
#include <stdint.h>

struct buf;

enum stats_kind {
	STATS_GAUGE,
	STATS_COUNTER
};

struct stats_metric {
	const char	*key;	/* in CBOR and JSON: "requests" */
	const char	*name;	/* Prometheus: "corehub_requests_total" */
	const char	*help;
	enum stats_kind	 kind;
	const char	*label;	/* NULL: one value; else "code", "method"... */
};

/* Where the values go while the stats are read. */
struct stats_sink;

/* One value; label NULL for an unlabelled metric. */
void		 stats_put(struct stats_sink *s, const struct stats_metric *m,
		    const char *label, double v);
/* A labelled metric that has no value now still shows in every view. */
void		 stats_declare(struct stats_sink *s,
		    const struct stats_metric *m);

/* A service's gauges, read in the order the sources were added. */
typedef void	(*stats_source_fn)(void *src, struct stats_sink *s);

enum stats_transport {
	STATS_UDP, STATS_DTLS, STATS_TCP, STATS_TLS, STATS_TRANSPORTS
};

void		 stats_init(uint64_t now_ms);
/* At most STATS_SOURCES_MAX; -1 beyond. */
#define STATS_SOURCES_MAX	8
int		 stats_add_source(stats_source_fn fn, void *src);
void		 stats_remove_source(stats_source_fn fn, void *src);

/*
 * The edge's counters. code: the CoAP code byte (0x45 is 2.05). quiet:
 * counted without moving stats_generation(), for the statistics resource
 * itself, whose readers would otherwise be notified of their own reads.
 */
void		 stats_request(unsigned int method, int quiet);
void		 stats_response(unsigned int code, int quiet);
void		 stats_session(enum stats_transport t, int delta);
void		 stats_notification(void);
void		 stats_commit(uint64_t latency_us, int ok);
/* A batch that failed before its commit was tried. */
void		 stats_commit_skipped(void);
/* A source's gauge moved outside any request (an expiration). */
void		 stats_touch(void);
void		 stats_auth_refused(void);
void		 stats_limit_hit(void);
/* The store's size in bytes, read when the stats are. */
void		 stats_set_store_size_fn(uint64_t (*fn)(void *), void *arg);

/*
 * Bumped by every change of a counter the daemon owns: an observed
 * statistics resource notifies only when it moved (sources' gauges move
 * with the requests that change them).
 */
uint64_t	 stats_generation(void);

/* The views. 0, or -1 when out of memory (b is then reset). */
int		 stats_json(struct buf *b, uint64_t now_ms);
int		 stats_cbor(struct buf *b, uint64_t now_ms);
int		 stats_prometheus(struct buf *b, uint64_t now_ms);

#endif
