/*
 * metrics: the statistics in the Prometheus text exposition format, over
 * HTTP with libevent's own evhttp, for the monitoring operators already
 * run. Owns the HTTP listener (metrics-listen, off unless configured;
 * GET /metrics only) and nothing else: the figures are stats.c's.
 * Unauthenticated, as Prometheus scrapes are, and without a cap on
 * connections (libevent 2.1's evhttp has none): bind it to loopback or a
 * management network.
 */
#ifndef COREHUB_METRICS_H
#define COREHUB_METRICS_H

struct event_base;
struct metrics;

/* Listens on addr ("127.0.0.1:9464", "[::1]:9464"); NULL, logged, on failure. */
struct metrics	*metrics_new(struct event_base *base, const char *addr);
void		 metrics_free(struct metrics *m);

#endif
