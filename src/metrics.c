#include "ac_config.h"

#include <stdlib.h>
#include <string.h>

#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>

#include "buf.h"
#include "coaputil.h"
#include "log.h"
#include "metrics.h"
#include "stats.h"

#define METRICS_SIZE_MAX	(4 * 1024 * 1024)
#define HTTP_HEADERS_MAX	8192	/* a scrape's request is small */
#define HTTP_TIMEOUT_S		10

struct metrics {
	struct evhttp	*http;
	char		 addr[80];
};

static void
on_request(struct evhttp_request *req, void *arg)
{
	struct evkeyvalq	*hdrs = evhttp_request_get_output_headers(req);
	const char		*path;
	struct evbuffer		*body;
	struct buf		 b;

	(void)arg;
	path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
	if (path == NULL || strcmp(path, "/metrics") != 0) {
		evhttp_send_error(req, HTTP_NOTFOUND, "only /metrics is here");
		return;
	}
	buf_init(&b, METRICS_SIZE_MAX);
	if (stats_prometheus(&b, cu_now_ms()) == -1 ||
	    (body = evhttp_request_get_output_buffer(req)) == NULL ||
	    evbuffer_add(body, b.data ? b.data : "", b.len) == -1) {
		buf_free(&b);
		evhttp_send_error(req, HTTP_INTERNAL, "out of memory");
		return;
	}
	buf_free(&b);
	evhttp_add_header(hdrs, "Content-Type",
	    "text/plain; version=0.0.4; charset=utf-8");
	evhttp_send_reply(req, HTTP_OK, "OK", NULL);
}

/* "[::1]:9464" or "127.0.0.1:9464" into host and port (checked by config). */
static int
split(const char *addr, char *host, size_t size, unsigned short *port)
{
	const char	*colon = strrchr(addr, ':');
	size_t		 hlen;

	if (colon == NULL)
		return -1;
	hlen = (size_t)(colon - addr);
	if (addr[0] == '[' && hlen >= 2) {
		addr++;
		hlen -= 2;
	}
	if (hlen >= size)
		return -1;
	memcpy(host, addr, hlen);
	host[hlen] = '\0';
	*port = (unsigned short)strtoul(colon + 1, NULL, 10);
	return 0;
}

struct metrics *
metrics_new(struct event_base *base, const char *addr)
{
	struct metrics	*m;
	char		 host[64];
	unsigned short	 port;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	snprintf(m->addr, sizeof(m->addr), "%s", addr);
	if (split(addr, host, sizeof(host), &port) == -1 ||
	    (m->http = evhttp_new(base)) == NULL) {
		log_err("metrics", "%s: cannot serve metrics", addr);
		metrics_free(m);
		return NULL;
	}
	/* GET only: libevent 2.1 would send a body after HEAD too. */
	evhttp_set_allowed_methods(m->http, EVHTTP_REQ_GET);
	evhttp_set_max_headers_size(m->http, HTTP_HEADERS_MAX);
	evhttp_set_max_body_size(m->http, 0);
	evhttp_set_timeout(m->http, HTTP_TIMEOUT_S);
	evhttp_set_gencb(m->http, on_request, m);
	if (evhttp_bind_socket(m->http, host, port) == -1) {
		log_err("metrics", "%s: cannot listen (address in use, or not "
		    "local?)", addr);
		metrics_free(m);
		return NULL;
	}
	log_info("metrics", "Prometheus metrics on http://%s/metrics", addr);
	return m;
}

void
metrics_free(struct metrics *m)
{
	if (m == NULL)
		return;
	if (m->http != NULL)
		evhttp_free(m->http);
	free(m);
}
