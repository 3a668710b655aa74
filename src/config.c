#include "ac_config.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "acl.h"
#include "config.h"
#include "psk.h"
#include "rd_proxy.h"
#include "util.h"

#ifndef COREHUB_DBPATH
#define COREHUB_DBPATH "/var/lib/corehub/corehub.db"
#endif

#define MAX_ARGS	8

struct parser {
	struct config		*c;
	FILE			*errors;
	int			 nerrors;
	int			 depth;
	const char		*file;
	int			 line;
	int			 in_block;	/* 1: listen { }, 2: interface { } */
	int			 block_line;
	struct config_listener	*block;		/* NULL if its URI was bad */
	struct config_iface	*iface;		/* inside interface { } */
};

struct keyword {
	const char	*name;
	int		 min_args;
	int		 max_args;
	void		(*fn)(struct parser *, int, char **);
};

static int	parse_text(struct parser *, const char *, size_t);

static void __attribute__((format(printf, 2, 3)))
perr(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	if (p->line > 0)
		fprintf(p->errors, "%s:%d: ", p->file, p->line);
	else
		fprintf(p->errors, "%s: ", p->file);
	va_start(ap, fmt);
	vfprintf(p->errors, fmt, ap);
	va_end(ap);
	fputc('\n', p->errors);
	p->nerrors++;
}

static void
psk_err(void *arg, const char *file, int line, const char *msg)
{
	struct parser *p = arg;

	if (line > 0)
		fprintf(p->errors, "%s:%d: %s\n", file, line, msg);
	else
		fprintf(p->errors, "%s: %s\n", file, msg);
	p->nerrors++;
}

/* Relative paths are relative to the file that names them. */
static char *
resolve_path(struct parser *p, const char *path)
{
	char	*dir, *copy, *out;
	size_t	 n;

	if (path[0] == '/' || strchr(p->file, '/') == NULL)
		return strdup(path);
	if ((copy = strdup(p->file)) == NULL)
		return NULL;
	dir = dirname(copy);
	n = strlen(dir) + strlen(path) + 2;
	if ((out = malloc(n)) != NULL)
		snprintf(out, n, "%s/%s", dir, path);
	free(copy);
	return out;
}

static int
set_path(struct parser *p, char **dst, const char *path, const char *kw)
{
	char *r;

	if (*path == '\0') {
		perr(p, "%s: empty path", kw);
		return -1;
	}
	if ((r = resolve_path(p, path)) == NULL) {
		perr(p, "%s: out of memory", kw);
		return -1;
	}
	free(*dst);
	*dst = r;
	return 0;
}

static int
set_uint(struct parser *p, unsigned int *dst, const char *s, long long min,
    long long max, const char *kw)
{
	long long v;

	if (util_parse_ll(s, min, max, &v) == -1) {
		perr(p, "%s: \"%s\" is not a number from %lld to %lld", kw, s,
		    min, max);
		return -1;
	}
	*dst = (unsigned int)v;
	return 0;
}

static int
parse_bool(struct parser *p, const char *s, const char *kw)
{
	if (strcmp(s, "yes") == 0)
		return 1;
	if (strcmp(s, "no") == 0)
		return 0;
	perr(p, "%s: expected yes or no, not \"%s\"", kw, s);
	return -1;
}

/* Top-level keywords. */

/* The ACL is read with the configuration: -n checks it, reload swaps both. */
static void
kw_acl_file(struct parser *p, int argc, char **argv)
{
	if (set_path(p, &p->c->acl_file, argv[1], argv[0]) == -1)
		return;
	acl_free(p->c->acl);
	if ((p->c->acl = acl_load(p->c->acl_file, p->errors)) == NULL)
		p->nerrors++;
}

static void
kw_database(struct parser *p, int argc, char **argv)
{
	set_path(p, &p->c->database, argv[1], argv[0]);
}

static void
kw_database_sync(struct parser *p, int argc, char **argv)
{
	if (strcmp(argv[1], "full") == 0)
		p->c->database_sync_full = 1;
	else if (strcmp(argv[1], "normal") == 0)
		p->c->database_sync_full = 0;
	else
		perr(p, "database-sync: expected full or normal, not \"%s\"",
		    argv[1]);
}

static void
kw_include(struct parser *p, int argc, char **argv)
{
	char		*path, *text;
	size_t		 len;
	const char	*saved_file = p->file;
	int		 saved_line = p->line;

	if (p->depth >= CONFIG_INCLUDE_DEPTH) {
		perr(p, "include: nested more than %d deep",
		    CONFIG_INCLUDE_DEPTH);
		return;
	}
	if ((path = resolve_path(p, argv[1])) == NULL) {
		perr(p, "include: out of memory");
		return;
	}
	if (util_read_file(path, CONFIG_FILE_MAX, &text, &len) == -1) {
		perr(p, "include %s: %s", path, strerror(errno));
		free(path);
		return;
	}
	p->depth++;
	p->file = path;
	parse_text(p, text, len);
	p->file = saved_file;
	p->line = saved_line;
	p->depth--;
	free(text);
	free(path);
}

static void
kw_log_level(struct parser *p, int argc, char **argv)
{
	int level = log_level_from_name(argv[1]);

	if (level < LOG_ERR) {
		perr(p, "log-level: expected err, warning, notice, info or "
		    "debug, not \"%s\"", argv[1]);
		return;
	}
	p->c->log_level = level;
}

static void
kw_log_target(struct parser *p, int argc, char **argv)
{
	if (strcmp(argv[1], "stderr") == 0)
		p->c->log_target = LOG_TARGET_STDERR;
	else if (strcmp(argv[1], "syslog") == 0)
		p->c->log_target = LOG_TARGET_SYSLOG;
	else
		perr(p, "log-target: expected stderr or syslog, not \"%s\"",
		    argv[1]);
}

static void
kw_max_handshakes(struct parser *p, int argc, char **argv)
{
	set_uint(p, &p->c->max_handshakes, argv[1], 1, 100000, argv[0]);
}

static void
kw_max_message_size(struct parser *p, int argc, char **argv)
{
	set_uint(p, &p->c->max_message_size, argv[1], 1152, 8388608, argv[0]);
}

static void
kw_max_payload(struct parser *p, int argc, char **argv)
{
	set_uint(p, &p->c->max_payload, argv[1], 1024, 16777216, argv[0]);
}

static void
kw_max_response_size(struct parser *p, int argc, char **argv)
{
	set_uint(p, &p->c->max_response, argv[1], 1024, 67108864, argv[0]);
}

static void
kw_max_sessions(struct parser *p, int argc, char **argv)
{
	set_uint(p, &p->c->max_sessions, argv[1], 1, 1000000, argv[0]);
}

/* A path-absolute URI path of plain segments: "/rd-lookup/ep". */
static void
set_rd_path(struct parser *p, char **dst, const char *path, const char *kw)
{
	size_t	len = strlen(path), seg = 0;

	if (len < 2 || len > 64 || path[0] != '/' || path[len - 1] == '/' ||
	    strncmp(path, "/.well-known", 12) == 0) {
		perr(p, "%s: \"%s\" must be a path like /rd, at most 64 "
		    "bytes, outside /.well-known", kw, path);
		return;
	}
	for (size_t i = 1; i <= len; i++) {
		char c = path[i];

		if (c == '/' || c == '\0') {
			if (seg == 0 || (seg == 1 && path[i - 1] == '.') ||
			    (seg == 2 && strncmp(path + i - 2, "..", 2) == 0)) {
				perr(p, "%s: \"%s\" has an empty or dot "
				    "segment", kw, path);
				return;
			}
			seg = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || strchr("-._~", c))) {
			perr(p, "%s: \"%s\" may hold only letters, digits "
			    "and -._~", kw, path);
			return;
		}
		seg++;
	}
	free(*dst);
	if ((*dst = strdup(path)) == NULL)
		perr(p, "%s: out of memory", kw);
}

static void
kw_rd_ep_from_credential(struct parser *p, int argc, char **argv)
{
	int v;

	if ((v = parse_bool(p, argv[1], argv[0])) != -1)
		p->c->rd_ep_from_credential = v;
}

static void
kw_rd_grace(struct parser *p, int argc, char **argv)
{
	set_uint(p, &p->c->rd_grace, argv[1], 0, 31536000, argv[0]);
}

static void
kw_rd_lookup_ep_path(struct parser *p, int argc, char **argv)
{
	set_rd_path(p, &p->c->rd_lookup_ep_path, argv[1], argv[0]);
}

static void
kw_rd_lookup_res_path(struct parser *p, int argc, char **argv)
{
	set_rd_path(p, &p->c->rd_lookup_res_path, argv[1], argv[0]);
}

static void
kw_rd_max_links(struct parser *p, int argc, char **argv)
{
	set_uint(p, &p->c->rd_max_links, argv[1], 1, 65536, argv[0]);
}

static void
kw_rd_max_observers(struct parser *p, int argc, char **argv)
{
	set_uint(p, &p->c->rd_max_observers, argv[1], 0, 1000000, argv[0]);
}

static void
kw_rd_max_registrations(struct parser *p, int argc, char **argv)
{
	set_uint(p, &p->c->rd_max_registrations, argv[1], 1, 10000000,
	    argv[0]);
}

static void
kw_rd_path(struct parser *p, int argc, char **argv)
{
	set_rd_path(p, &p->c->rd_path, argv[1], argv[0]);
}

static void
kw_ps_content_format(struct parser *p, int argc, char **argv)
{
	set_uint(p, &p->c->ps_content_format, argv[1], 0, 65535, argv[0]);
}

static void
kw_ps_data_path(struct parser *p, int argc, char **argv)
{
	set_rd_path(p, &p->c->ps_data_path, argv[1], argv[0]);
}

static void
kw_ps_legacy_create_on_publish(struct parser *p, int argc, char **argv)
{
	int v;

	if ((v = parse_bool(p, argv[1], argv[0])) != -1)
		p->c->ps_legacy_create_on_publish = v;
}

static void
kw_ps_legacy_path(struct parser *p, int argc, char **argv)
{
	if (strcmp(argv[1], "off") == 0) {
		free(p->c->ps_legacy_path);
		p->c->ps_legacy_path = NULL;
		return;
	}
	set_rd_path(p, &p->c->ps_legacy_path, argv[1], argv[0]);
}

static void
kw_ps_max_subscribers(struct parser *p, int argc, char **argv)
{
	set_uint(p, &p->c->ps_max_subscribers, argv[1], 1, 1000000, argv[0]);
}

static void
kw_ps_max_publish_rate(struct parser *p, int argc, char **argv)
{
	set_uint(p, &p->c->ps_max_publish_rate, argv[1], 0, 10000000, argv[0]);
}

static void
kw_ps_max_subscriptions(struct parser *p, int argc, char **argv)
{
	set_uint(p, &p->c->ps_max_subscriptions, argv[1], 1, 10000000,
	    argv[0]);
}

static void
kw_ps_max_topics(struct parser *p, int argc, char **argv)
{
	set_uint(p, &p->c->ps_max_topics, argv[1], 1, 10000000, argv[0]);
}

static void
kw_ps_rd_base(struct parser *p, int argc, char **argv)
{
	static const char *const schemes[] = {
		"coap://", "coaps://", "coap+tcp://", "coaps+tcp://"
	};
	const char	*v = argv[1];
	size_t		 i, n = sizeof(schemes) / sizeof(schemes[0]);

	for (i = 0; i < n; i++)
		if (strncmp(v, schemes[i], strlen(schemes[i])) == 0 &&
		    v[strlen(schemes[i])] != '\0')
			break;
	if (strcmp(v, "auto") != 0 && strcmp(v, "off") != 0 && (i == n ||
	    strlen(v) > 255 || strpbrk(v, "?# \t\"<>\\") != NULL)) {
		perr(p, "%s: \"%s\" is not auto, off or a coap URI without "
		    "query", argv[0], v);
		return;
	}
	free(p->c->ps_rd_base);
	if ((p->c->ps_rd_base = strdup(v)) == NULL)
		perr(p, "%s: out of memory", argv[0]);
}

static void
kw_proxy_base(struct parser *p, int argc, char **argv)
{
	free(p->c->proxy_base);
	p->c->proxy_base = NULL;
	if (strcmp(argv[1], "off") == 0)
		return;
	if (!rd_proxy_base_valid(argv[1])) {
		perr(p, "%s: \"%s\" is not off or scheme://name[:port] "
		    "(coap, coaps, coap+tcp or coaps+tcp; a DNS name)",
		    argv[0], argv[1]);
		return;
	}
	if ((p->c->proxy_base = strdup(argv[1])) == NULL)
		perr(p, "%s: out of memory", argv[0]);
}

static void
kw_proxy_cache_size(struct parser *p, int argc, char **argv)
{
	set_uint(p, &p->c->proxy_cache_size, argv[1], 0, 67108864, argv[0]);
}

static void
kw_proxy_inflight(struct parser *p, int argc, char **argv)
{
	set_uint(p, &p->c->proxy_inflight, argv[1], 1, 64, argv[0]);
}

static void
kw_proxy_max_inflight(struct parser *p, int argc, char **argv)
{
	set_uint(p, &p->c->proxy_max_inflight, argv[1], 1, 4096, argv[0]);
}

static void
kw_proxy_timeout(struct parser *p, int argc, char **argv)
{
	set_uint(p, &p->c->proxy_timeout, argv[1], 1, 3600, argv[0]);
}

static void
kw_ps_path(struct parser *p, int argc, char **argv)
{
	set_rd_path(p, &p->c->ps_path, argv[1], argv[0]);
}

static void
kw_ps_publish_rate(struct parser *p, int argc, char **argv)
{
	set_uint(p, &p->c->ps_publish_rate, argv[1], 0, 1000000, argv[0]);
}

/* A path keyword that "off" turns off. */
static void
set_path_or_off(struct parser *p, char **dst, const char *v, const char *kw)
{
	if (strcmp(v, "off") == 0) {
		free(*dst);
		*dst = NULL;
		return;
	}
	set_rd_path(p, dst, v, kw);
}

static void
kw_stats_path(struct parser *p, int argc, char **argv)
{
	set_path_or_off(p, &p->c->stats_path, argv[1], argv[0]);
}

static void
kw_reload_path(struct parser *p, int argc, char **argv)
{
	set_path_or_off(p, &p->c->reload_path, argv[1], argv[0]);
}

static void
kw_stats_interval(struct parser *p, int argc, char **argv)
{
	set_uint(p, &p->c->stats_interval, argv[1], 1, 86400, argv[0]);
}

static int
numeric_host(const char *h, size_t len)
{
	char		copy[64];
	unsigned char	addr[16];

	if (len >= sizeof(copy))
		return 0;
	memcpy(copy, h, len);
	copy[len] = '\0';
	return inet_pton(AF_INET, copy, addr) == 1 ||
	    inet_pton(AF_INET6, copy, addr) == 1;
}

/* host:port or [v6]:port, numeric: the metrics listener binds it as is. */
static void
kw_metrics_listen(struct parser *p, int argc, char **argv)
{
	const char	*v = argv[1], *colon, *host = v;
	char		*end;
	size_t		 hlen;
	unsigned long	 port;

	if (strcmp(v, "off") == 0) {
		free(p->c->metrics_listen);
		p->c->metrics_listen = NULL;
		return;
	}
	if ((colon = strrchr(v, ':')) == NULL || colon == v)
		goto bad;
	hlen = (size_t)(colon - v);
	if (v[0] == '[') {
		if (hlen < 3 || v[hlen - 1] != ']')
			goto bad;
		host = v + 1;
		hlen -= 2;
	}
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno != 0 || *end != '\0' || end == colon + 1 || port == 0 ||
	    port > 65535 || hlen >= 64 || !numeric_host(host, hlen))
		goto bad;
	free(p->c->metrics_listen);
	if ((p->c->metrics_listen = strdup(v)) == NULL)
		perr(p, "%s: out of memory", argv[0]);
	return;
bad:
	perr(p, "%s: \"%s\" is not off or a numeric address:port (such as "
	    "127.0.0.1:9464 or [::1]:9464)", argv[0], v);
}

static void
kw_session_timeout(struct parser *p, int argc, char **argv)
{
	set_uint(p, &p->c->session_timeout, argv[1], 10, 86400, argv[0]);
}

static const struct {
	const char		*scheme;
	enum config_proto	 proto;
	uint16_t		 port;
} schemes[] = {
	{ "coap",	CONFIG_PROTO_COAP,	5683 },
	{ "coaps",	CONFIG_PROTO_COAPS,	5684 },
	{ "coap+tcp",	CONFIG_PROTO_COAP_TCP,	5683 },
	{ "coaps+tcp",	CONFIG_PROTO_COAPS_TCP,	5684 },
};

const char *
config_proto_scheme(enum config_proto proto)
{
	for (size_t i = 0; i < sizeof(schemes) / sizeof(*schemes); i++)
		if (schemes[i].proto == proto)
			return schemes[i].scheme;
	return "?";
}

int
config_proto_secure(enum config_proto proto)
{
	return proto == CONFIG_PROTO_COAPS || proto == CONFIG_PROTO_COAPS_TCP;
}

int
config_proto_tcp(enum config_proto proto)
{
	return proto == CONFIG_PROTO_COAP_TCP ||
	    proto == CONFIG_PROTO_COAPS_TCP;
}

static const char *
uri_scheme(const char *uri, struct config_listener *l)
{
	const char *sep = strstr(uri, "://");

	if (sep == NULL)
		return NULL;
	for (size_t i = 0; i < sizeof(schemes) / sizeof(*schemes); i++) {
		size_t n = strlen(schemes[i].scheme);

		if ((size_t)(sep - uri) == n &&
		    strncmp(uri, schemes[i].scheme, n) == 0) {
			l->proto = schemes[i].proto;
			l->port = schemes[i].port;
			return sep + 3;
		}
	}
	return NULL;
}

/* scheme://host[:port][/], the host a numeric address. */
static const char *
uri_parse(const char *uri, struct config_listener *l)
{
	const char	*s, *end, *port = NULL;
	size_t		 hlen;
	unsigned char	 addr[16];
	long long	 v;

	if ((s = uri_scheme(uri, l)) == NULL)
		return "the scheme must be coap, coaps, coap+tcp or coaps+tcp";
	if (*s == '[') {
		if ((end = strchr(s, ']')) == NULL)
			return "an IPv6 address needs a closing ]";
		hlen = (size_t)(end - s - 1);
		s++;
		end++;
		l->family = AF_INET6;
	} else {
		end = s + strcspn(s, ":/");
		hlen = (size_t)(end - s);
		l->family = AF_INET;
	}
	if (hlen == 0 || hlen >= sizeof(l->host))
		return "the host must be a numeric IPv4 or [IPv6] address";
	memcpy(l->host, s, hlen);
	l->host[hlen] = '\0';
	if (inet_pton(l->family, l->host, addr) != 1)
		return "the host must be a numeric IPv4 or [IPv6] address";
	if (*end == ':')
		port = end + 1;
	else if (*end != '\0' && strcmp(end, "/") != 0)
		return "a listener URI has no path or query";
	if (port != NULL) {
		char buf[8];
		size_t n = strcspn(port, "/");

		if (n == 0 || n >= sizeof(buf) ||
		    (port[n] != '\0' && strcmp(port + n, "/") != 0))
			return "bad port";
		memcpy(buf, port, n);
		buf[n] = '\0';
		if (util_parse_ll(buf, 1, 65535, &v) == -1)
			return "the port must be a number from 1 to 65535";
		l->port = (uint16_t)v;
	}
	return NULL;
}

static char *
uri_normalise(const struct config_listener *l)
{
	char	buf[128];
	int	v6 = l->family == AF_INET6;

	snprintf(buf, sizeof(buf), "%s://%s%s%s:%u",
	    config_proto_scheme(l->proto), v6 ? "[" : "", l->host,
	    v6 ? "]" : "", l->port);
	return strdup(buf);
}

static void
listener_free(struct config_listener *l)
{
	if (l == NULL)
		return;
	free(l->uri);
	free(l->psk_file);
	psk_table_free(l->psk);
	free(l->certificate);
	free(l->private_key);
	free(l->ca_file);
	free(l->file);
	free(l);
}

static void
kw_listen(struct parser *p, int argc, char **argv)
{
	struct config_listener	*l;
	const char		*err;

	if (argc == 3 && strcmp(argv[2], "{") != 0) {
		perr(p, "listen: expected \"{\" after the URI, not \"%s\"",
		    argv[2]);
		return;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL) {
		perr(p, "listen: out of memory");
		return;
	}
	l->verify_client = 1;
	l->verify_depth = 3;
	l->echo = 1;
	l->anonymous = 1;
	l->line = p->line;
	if ((err = uri_parse(argv[1], l)) != NULL) {
		perr(p, "listen %s: %s", argv[1], err);
		listener_free(l);
		l = NULL;
		goto block;
	}
	if ((l->uri = uri_normalise(l)) == NULL ||
	    (l->file = strdup(p->file)) == NULL) {
		perr(p, "listen: out of memory");
		listener_free(l);
		return;
	}
	if (p->c->nlisteners >= CONFIG_LISTENERS_MAX) {
		perr(p, "listen: more than %d listeners", CONFIG_LISTENERS_MAX);
		listener_free(l);
		return;
	}
	TAILQ_INSERT_TAIL(&p->c->listeners, l, entry);
	p->c->nlisteners++;
block:
	/* A block of a bad listener is still read, to find its end. */
	if (argc == 3) {
		p->in_block = 1;
		p->block = l;
		p->block_line = p->line;
	}
}

/* interface NAME { ... }: a block of settings for one interface. */
static void
kw_interface(struct parser *p, int argc, char **argv)
{
	struct config_iface *f;

	if (argc != 3 || strcmp(argv[2], "{") != 0) {
		perr(p, "interface: expected \"interface NAME {\"");
		return;
	}
	p->in_block = 2;
	p->block = NULL;
	p->block_line = p->line;
	if (strlen(argv[1]) >= sizeof(f->name) || strchr(argv[1], '/') ||
	    strcmp(argv[1], ".") == 0 || strcmp(argv[1], "..") == 0) {
		perr(p, "interface: \"%s\" is not an interface name",
		    argv[1]);
		return;
	}
	TAILQ_FOREACH(f, &p->c->ifaces, entry) {
		if (strcmp(f->name, argv[1]) == 0) {
			perr(p, "interface %s: already configured on line %d",
			    argv[1], f->line);
			return;
		}
	}
	if (p->c->nifaces >= CONFIG_IFACES_MAX ||
	    (f = calloc(1, sizeof(*f))) == NULL) {
		perr(p, "interface: more than %d, or out of memory",
		    CONFIG_IFACES_MAX);
		return;
	}
	snprintf(f->name, sizeof(f->name), "%s", argv[1]);
	f->multicast = 1;
	f->leisure_ms = 5000;
	f->multicast_rate = 10;
	f->max_retransmit = -1;
	f->line = p->line;
	TAILQ_INSERT_TAIL(&p->c->ifaces, f, entry);
	p->c->nifaces++;
	p->iface = f;
}

/* "2", "0.5": seconds with at most three decimals, as milliseconds. */
static int
parse_thousandths(struct parser *p, const char *v, unsigned int min_ms,
    unsigned int max_ms, const char *kw, const char *unit, unsigned int *out)
{
	char	*end;
	double	 d;

	errno = 0;
	d = strtod(v, &end);
	if (errno != 0 || end == v || *end != '\0' || !(d >= 0) ||
	    d * 1000 < min_ms || d * 1000 > max_ms) {
		perr(p, "%s: \"%s\" is not a %s from %g to %g", kw, v, unit,
		    min_ms / 1000.0, max_ms / 1000.0);
		return -1;
	}
	*out = (unsigned int)(d * 1000 + 0.5);
	return 0;
}

static int
parse_seconds_ms(struct parser *p, const char *v, unsigned int min_ms,
    unsigned int max_ms, const char *kw, unsigned int *out)
{
	return parse_thousandths(p, v, min_ms, max_ms, kw,
	    "number of seconds", out);
}

static void
kw_if_constrained(struct parser *p, int argc, char **argv)
{
	int v;

	if (p->iface != NULL && (v = parse_bool(p, argv[1], argv[0])) != -1)
		p->iface->constrained = v;
}

static void
kw_if_multicast(struct parser *p, int argc, char **argv)
{
	int v;

	if (p->iface != NULL && (v = parse_bool(p, argv[1], argv[0])) != -1)
		p->iface->multicast = v;
}

static void
kw_if_groups(struct parser *p, int argc, char **argv)
{
	struct in6_addr a;

	if (p->iface == NULL)
		return;
	for (int i = 1; i < argc; i++) {
		if (inet_pton(AF_INET6, argv[i], &a) != 1 ||
		    a.s6_addr[0] != 0xff) {
			perr(p, "groups: \"%s\" is not an IPv6 multicast "
			    "address", argv[i]);
			return;
		}
	}
	for (size_t i = 0; i < p->iface->ngroups; i++)
		free(p->iface->groups[i]);
	p->iface->ngroups = 0;
	for (int i = 1; i < argc; i++)
		if ((p->iface->groups[p->iface->ngroups] = strdup(argv[i])) !=
		    NULL)
			p->iface->ngroups++;
}

static void
kw_if_leisure(struct parser *p, int argc, char **argv)
{
	if (p->iface != NULL)
		parse_seconds_ms(p, argv[1], 0, 60000, argv[0],
		    &p->iface->leisure_ms);
}

static void
kw_if_mesh_prefix(struct parser *p, int argc, char **argv)
{
	struct config_iface	*f = p->iface;
	char			 addr[INET6_ADDRSTRLEN];
	const char		*slash;
	long long		 len;

	if (f == NULL)
		return;
	f->nmesh = 0;
	for (int i = 1; i < argc; i++) {
		slash = strchr(argv[i], '/');
		if (slash == NULL || (size_t)(slash - argv[i]) >= sizeof(addr) ||
		    util_parse_ll(slash + 1, 1, 128, &len) == -1) {
			perr(p, "mesh-prefix: \"%s\" is not an IPv6 prefix "
			    "such as fd11:22::/64", argv[i]);
			return;
		}
		memcpy(addr, argv[i], (size_t)(slash - argv[i]));
		addr[slash - argv[i]] = '\0';
		if (inet_pton(AF_INET6, addr, &f->mesh[f->nmesh]) != 1) {
			perr(p, "mesh-prefix: \"%s\" is not an IPv6 prefix "
			    "such as fd11:22::/64", argv[i]);
			return;
		}
		f->mesh_len[f->nmesh++] = (unsigned int)len;
	}
}

static void
kw_if_multicast_rate(struct parser *p, int argc, char **argv)
{
	if (p->iface != NULL)
		set_uint(p, &p->iface->multicast_rate, argv[1], 1, 10000,
		    argv[0]);
}

static void
kw_if_block_size(struct parser *p, int argc, char **argv)
{
	unsigned int v = 0;

	if (p->iface == NULL)
		return;
	set_uint(p, &v, argv[1], 16, 1024, argv[0]);
	if (v != 0 && (v & (v - 1)) != 0)
		perr(p, "block-size: %u is not a power of two from 16 to 1024",
		    v);
	else if (v != 0)
		p->iface->block_size = v;
}

static void
kw_if_ack_timeout(struct parser *p, int argc, char **argv)
{
	/* RFC 7252 4.8.1: never below 1 s. */
	if (p->iface != NULL)
		parse_seconds_ms(p, argv[1], 1000, 120000, argv[0],
		    &p->iface->ack_timeout_ms);
}

static void
kw_if_ack_random_factor(struct parser *p, int argc, char **argv)
{
	unsigned int ms;

	if (p->iface != NULL && parse_thousandths(p, argv[1], 1000, 4000,
	    argv[0], "factor", &ms) == 0)
		p->iface->ack_random_factor_pct = ms / 10;
}

static void
kw_if_max_retransmit(struct parser *p, int argc, char **argv)
{
	unsigned int v = 0;

	if (p->iface != NULL && set_uint(p, &v, argv[1], 0, 20, argv[0]) == 0)
		p->iface->max_retransmit = (int)v;
}

static void
kw_if_nstart(struct parser *p, int argc, char **argv)
{
	/* RFC 7252 4.7: above 1 only with congestion control of one's own. */
	if (p->iface != NULL)
		set_uint(p, &p->iface->nstart, argv[1], 1, 4, argv[0]);
}

/* Listener block keywords. */

static int
need_secure(struct parser *p, const char *kw)
{
	if (p->block == NULL)	/* block of a listener that failed to parse */
		return -1;
	if (!config_proto_secure(p->block->proto)) {
		perr(p, "%s applies only to coaps:// and coaps+tcp:// "
		    "listeners", kw);
		return -1;
	}
	return 0;
}

static int
need_readable(struct parser *p, const char *path, const char *kw)
{
	if (access(path, R_OK) == -1) {
		perr(p, "%s %s: %s", kw, path, strerror(errno));
		return -1;
	}
	return 0;
}

static void
kw_path_in_block(struct parser *p, char **dst, const char *path,
    const char *kw)
{
	if (need_secure(p, kw) == -1 || set_path(p, dst, path, kw) == -1)
		return;
	need_readable(p, *dst, kw);
}

static void
kw_anonymous(struct parser *p, int argc, char **argv)
{
	int v;

	if (p->block != NULL && (v = parse_bool(p, argv[1], argv[0])) != -1)
		p->block->anonymous = v;
}

static void
kw_ca_file(struct parser *p, int argc, char **argv)
{
	kw_path_in_block(p, p->block ? &p->block->ca_file : NULL, argv[1],
	    argv[0]);
}

static void
kw_certificate(struct parser *p, int argc, char **argv)
{
	kw_path_in_block(p, p->block ? &p->block->certificate : NULL,
	    argv[1], argv[0]);
}

static void
kw_echo(struct parser *p, int argc, char **argv)
{
	int v;

	if (p->block == NULL)
		return;
	if (p->block->proto != CONFIG_PROTO_COAP) {
		perr(p, "echo applies only to coap:// listeners");
		return;
	}
	if ((v = parse_bool(p, argv[1], argv[0])) != -1)
		p->block->echo = v;
}

static void
kw_private_key(struct parser *p, int argc, char **argv)
{
	kw_path_in_block(p, p->block ? &p->block->private_key : NULL,
	    argv[1], argv[0]);
}

static void
kw_psk_file(struct parser *p, int argc, char **argv)
{
	struct config_listener *l = p->block;

	if (need_secure(p, argv[0]) == -1 ||
	    set_path(p, &l->psk_file, argv[1], argv[0]) == -1)
		return;
	psk_table_free(l->psk);
	l->psk = psk_table_load(l->psk_file, psk_err, p);
}

static void
kw_verify_client(struct parser *p, int argc, char **argv)
{
	int v;

	if (need_secure(p, argv[0]) == -1 ||
	    (v = parse_bool(p, argv[1], argv[0])) == -1)
		return;
	p->block->verify_client = v;
}

static void
kw_verify_depth(struct parser *p, int argc, char **argv)
{
	unsigned int v;

	if (need_secure(p, argv[0]) == -1 ||
	    set_uint(p, &v, argv[1], 1, 10, argv[0]) == -1)
		return;
	p->block->verify_depth = (int)v;
}

/* Sorted by name: looked up with bsearch. */
static const struct keyword top_keywords[] = {
	{ "acl-file",		1, 1, kw_acl_file },
	{ "database",		1, 1, kw_database },
	{ "database-sync",	1, 1, kw_database_sync },
	{ "include",		1, 1, kw_include },
	{ "interface",		2, 2, kw_interface },
	{ "listen",		1, 2, kw_listen },
	{ "log-level",		1, 1, kw_log_level },
	{ "log-target",		1, 1, kw_log_target },
	{ "max-handshakes",	1, 1, kw_max_handshakes },
	{ "max-message-size",	1, 1, kw_max_message_size },
	{ "max-payload",	1, 1, kw_max_payload },
	{ "max-response-size",	1, 1, kw_max_response_size },
	{ "max-sessions",	1, 1, kw_max_sessions },
	{ "metrics-listen",	1, 1, kw_metrics_listen },
	{ "proxy-base",		1, 1, kw_proxy_base },
	{ "proxy-cache-size",	1, 1, kw_proxy_cache_size },
	{ "proxy-inflight",	1, 1, kw_proxy_inflight },
	{ "proxy-max-inflight",	1, 1, kw_proxy_max_inflight },
	{ "proxy-timeout",	1, 1, kw_proxy_timeout },
	{ "ps-content-format",	1, 1, kw_ps_content_format },
	{ "ps-data-path",	1, 1, kw_ps_data_path },
	{ "ps-legacy-create-on-publish", 1, 1, kw_ps_legacy_create_on_publish },
	{ "ps-legacy-path",	1, 1, kw_ps_legacy_path },
	{ "ps-max-publish-rate", 1, 1, kw_ps_max_publish_rate },
	{ "ps-max-subscribers",	1, 1, kw_ps_max_subscribers },
	{ "ps-max-subscriptions", 1, 1, kw_ps_max_subscriptions },
	{ "ps-max-topics",	1, 1, kw_ps_max_topics },
	{ "ps-path",		1, 1, kw_ps_path },
	{ "ps-publish-rate",	1, 1, kw_ps_publish_rate },
	{ "ps-rd-base",		1, 1, kw_ps_rd_base },
	{ "rd-ep-from-credential", 1, 1, kw_rd_ep_from_credential },
	{ "rd-grace",		1, 1, kw_rd_grace },
	{ "rd-lookup-ep-path",	1, 1, kw_rd_lookup_ep_path },
	{ "rd-lookup-res-path",	1, 1, kw_rd_lookup_res_path },
	{ "rd-max-links",	1, 1, kw_rd_max_links },
	{ "rd-max-observers",	1, 1, kw_rd_max_observers },
	{ "rd-max-registrations", 1, 1, kw_rd_max_registrations },
	{ "rd-path",		1, 1, kw_rd_path },
	{ "reload-path",	1, 1, kw_reload_path },
	{ "session-timeout",	1, 1, kw_session_timeout },
	{ "stats-interval",	1, 1, kw_stats_interval },
	{ "stats-path",		1, 1, kw_stats_path },
};

static const struct keyword iface_keywords[] = {
	{ "ack-random-factor",	1, 1, kw_if_ack_random_factor },
	{ "ack-timeout",	1, 1, kw_if_ack_timeout },
	{ "block-size",		1, 1, kw_if_block_size },
	{ "constrained",	1, 1, kw_if_constrained },
	{ "groups",		1, CONFIG_GROUPS_MAX, kw_if_groups },
	{ "leisure",		1, 1, kw_if_leisure },
	{ "max-retransmit",	1, 1, kw_if_max_retransmit },
	{ "mesh-prefix",	1, CONFIG_MESH_PREFIXES_MAX, kw_if_mesh_prefix },
	{ "multicast",		1, 1, kw_if_multicast },
	{ "multicast-rate",	1, 1, kw_if_multicast_rate },
	{ "nstart",		1, 1, kw_if_nstart },
};

static const struct keyword listener_keywords[] = {
	{ "anonymous",		1, 1, kw_anonymous },
	{ "ca-file",		1, 1, kw_ca_file },
	{ "certificate",	1, 1, kw_certificate },
	{ "echo",		1, 1, kw_echo },
	{ "private-key",	1, 1, kw_private_key },
	{ "psk-file",		1, 1, kw_psk_file },
	{ "verify-client",	1, 1, kw_verify_client },
	{ "verify-depth",	1, 1, kw_verify_depth },
};

static int
keyword_cmp(const void *key, const void *elem)
{
	return strcmp(key, ((const struct keyword *)elem)->name);
}

static const struct keyword *
keyword_find(const struct keyword *tab, size_t n, const char *name)
{
	return bsearch(name, tab, n, sizeof(*tab), keyword_cmp);
}

/*
 * Splits one line into words: whitespace separates, "double quotes" group
 * (with \" and \\ escapes), # starts a comment outside quotes. Returns the
 * word count, or -1 after reporting the error.
 */
static int
split_line(struct parser *p, char *line, char **argv)
{
	int	 argc = 0;
	char	*r = line, *w;

	for (;;) {
		while (*r == ' ' || *r == '\t')
			r++;
		if (*r == '\0' || *r == '#')
			return argc;
		if (argc == MAX_ARGS) {
			perr(p, "too many words on one line");
			return -1;
		}
		argv[argc++] = w = r;
		if (*r == '"') {
			r++;
			while (*r != '"') {
				if (*r == '\0') {
					perr(p, "unterminated quoted string");
					return -1;
				}
				if (*r == '\\' && (r[1] == '"' || r[1] == '\\'))
					r++;
				*w++ = *r++;
			}
			r++;
			if (*r != '\0' && *r != ' ' && *r != '\t' &&
			    *r != '#') {
				perr(p, "text directly after a quoted string");
				return -1;
			}
		} else {
			while (*r != '\0' && *r != ' ' && *r != '\t' &&
			    *r != '#' && *r != '"')
				*w++ = *r++;
			if (*r == '"') {
				perr(p, "quote inside a word");
				return -1;
			}
		}
		if (*r == '\0') {
			*w = '\0';
			return argc;
		}
		if (*r == '#') {
			*w = '\0';
			return argc;
		}
		r++;
		*w = '\0';
	}
}

static int
valid_text(const char *line, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)line[i];

		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return 0;
	}
	return 1;
}

static void
run_keyword(struct parser *p, int argc, char **argv)
{
	const struct keyword	*k;
	int			 in_block = p->in_block;

	if (in_block && argc == 1 && strcmp(argv[0], "}") == 0) {
		p->in_block = 0;
		p->block = NULL;
		p->iface = NULL;
		return;
	}
	if (in_block && p->in_block == 2)
		k = keyword_find(iface_keywords, sizeof(iface_keywords) /
		    sizeof(*iface_keywords), argv[0]);
	else if (in_block)
		k = keyword_find(listener_keywords, sizeof(listener_keywords) /
		    sizeof(*listener_keywords), argv[0]);
	else
		k = keyword_find(top_keywords, sizeof(top_keywords) /
		    sizeof(*top_keywords), argv[0]);
	if (k == NULL) {
		if (!in_block && keyword_find(listener_keywords,
		    sizeof(listener_keywords) / sizeof(*listener_keywords),
		    argv[0]) != NULL)
			perr(p, "%s belongs inside a listen { } block",
			    argv[0]);
		else
			perr(p, "unknown keyword \"%s\"%s", argv[0],
			    in_block == 2 ? " in an interface block" :
			    in_block ? " in a listen block" : "");
		return;
	}
	if (argc - 1 < k->min_args || argc - 1 > k->max_args) {
		if (k->max_args > k->min_args)
			perr(p, "%s: expected %d to %d arguments", k->name,
			    k->min_args, k->max_args);
		else
			perr(p, "%s: expected %d argument%s", k->name,
			    k->min_args, k->min_args == 1 ? "" : "s");
		return;
	}
	k->fn(p, argc, argv);
}

static int
parse_text(struct parser *p, const char *text, size_t len)
{
	size_t	pos = 0;
	char	line[CONFIG_LINE_MAX + 1];
	char	*argv[MAX_ARGS];

	p->line = 0;
	if (memchr(text, '\0', len) != NULL) {
		p->line = 1;
		perr(p, "the file contains a NUL byte");
		return -1;
	}
	while (pos < len) {
		const char	*nl = memchr(text + pos, '\n', len - pos);
		size_t		 llen = nl ? (size_t)(nl - (text + pos)) :
				     len - pos;
		int		 argc;

		p->line++;
		if (llen > 0 && text[pos + llen - 1] == '\r')
			llen--;
		if (llen > CONFIG_LINE_MAX) {
			perr(p, "line longer than %d bytes", CONFIG_LINE_MAX);
		} else if (!valid_text(text + pos, llen)) {
			perr(p, "control character in line");
		} else {
			memcpy(line, text + pos, llen);
			line[llen] = '\0';
			argc = split_line(p, line, argv);
			if (argc > 0)
				run_keyword(p, argc, argv);
		}
		pos += (nl ? (size_t)(nl - (text + pos)) + 1 : len - pos);
	}
	/* include is not allowed in a block, so the block is this file's. */
	if (p->in_block) {
		perr(p, "%s block opened at line %d is not closed",
		    p->in_block == 2 ? "interface" : "listen", p->block_line);
		p->in_block = 0;
		p->block = NULL;
		p->iface = NULL;
	}
	return 0;
}

static void
config_defaults(struct config *c)
{
	TAILQ_INIT(&c->listeners);
	TAILQ_INIT(&c->ifaces);
	c->log_level = LOG_INFO;
	c->database_sync_full = 1;
	c->log_target = LOG_TARGET_STDERR;
	c->max_sessions = 1024;
	c->max_handshakes = 64;
	c->session_timeout = 300;
	c->max_payload = 65536;
	c->max_response = 1048576;
	c->max_message_size = 8192;
	c->rd_max_registrations = 100000;
	c->rd_max_links = 256;
	c->rd_grace = 3600;
	c->rd_max_observers = 1024;
	c->stats_interval = 10;
	c->proxy_timeout = 60;
	c->proxy_inflight = 4;
	c->proxy_max_inflight = 256;
	c->proxy_cache_size = 1048576;
	c->ps_content_format = 606;
	c->ps_max_topics = 10000;
	c->ps_max_subscribers = 1000;
	c->ps_publish_rate = 0;
	c->ps_max_subscriptions = 100000;
	c->ps_max_publish_rate = 0;
	c->ps_legacy_create_on_publish = 1;
}

/* Checks that need the whole file: each listener can actually work. */
static void
check_listener(struct parser *p, struct config_listener *l)
{
	p->file = l->file;
	p->line = l->line;
	if (!config_proto_secure(l->proto))
		return;
	if (l->psk_file == NULL && l->certificate == NULL)
		perr(p, "listen %s: a secure listener needs psk-file or "
		    "certificate", l->uri);
	if ((l->certificate == NULL) != (l->private_key == NULL))
		perr(p, "listen %s: certificate and private-key go together",
		    l->uri);
	if (l->certificate != NULL && l->verify_client && l->ca_file == NULL)
		perr(p, "listen %s: verify-client needs ca-file (or "
		    "verify-client no)", l->uri);
	if (l->certificate == NULL && l->ca_file != NULL)
		perr(p, "listen %s: ca-file without certificate", l->uri);
}

/* Whether one path is the other or lies under it. */
static int
paths_overlap(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b), n = la < lb ? la : lb;

	return strncmp(a, b, n) == 0 && (a[n] == '\0' || a[n] == '/') &&
	    (b[n] == '\0' || b[n] == '/');
}

/* The operators' resources stay clear of the services' paths. */
static void
check_admin_path(struct parser *p, const char *path, const char *kw)
{
	const char *other[] = {
		p->c->rd_path, p->c->rd_lookup_ep_path, p->c->rd_lookup_res_path,
		p->c->ps_path, p->c->ps_data_path, p->c->ps_legacy_path
	};

	if (path == NULL)
		return;
	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		if (other[i] != NULL && paths_overlap(path, other[i])) {
			p->line = 0;
			perr(p, "%s must lie outside the directory's and the "
			    "broker's paths (%s)", kw, other[i]);
			return;
		}
	}
}

static void
check_config(struct parser *p)
{
	struct config_listener *l, *m;

	if (strcmp(p->c->rd_path, p->c->rd_lookup_ep_path) == 0 ||
	    strcmp(p->c->rd_path, p->c->rd_lookup_res_path) == 0 ||
	    strcmp(p->c->rd_lookup_ep_path, p->c->rd_lookup_res_path) == 0) {
		p->line = 0;
		perr(p, "rd-path, rd-lookup-ep-path and rd-lookup-res-path "
		    "must differ");
	}
	if (paths_overlap(p->c->ps_path, p->c->rd_path) ||
	    paths_overlap(p->c->ps_data_path, p->c->rd_path) ||
	    strcmp(p->c->ps_path, p->c->ps_data_path) == 0) {
		p->line = 0;
		perr(p, "ps-path and ps-data-path must differ from each other "
		    "and lie outside rd-path");
	}
	if (p->c->ps_legacy_path != NULL &&
	    (paths_overlap(p->c->ps_legacy_path, p->c->rd_path) ||
	    paths_overlap(p->c->ps_legacy_path, p->c->ps_path) ||
	    paths_overlap(p->c->ps_legacy_path, p->c->ps_data_path))) {
		p->line = 0;
		perr(p, "ps-legacy-path must lie outside rd-path, ps-path and "
		    "ps-data-path");
	}
	check_admin_path(p, p->c->stats_path, "stats-path");
	check_admin_path(p, p->c->reload_path, "reload-path");
	if (p->c->stats_path && p->c->reload_path &&
	    strcmp(p->c->stats_path, p->c->reload_path) == 0) {
		p->line = 0;
		perr(p, "stats-path and reload-path must differ");
	}
	if (TAILQ_EMPTY(&p->c->listeners)) {
		p->line = 0;
		perr(p, "no listen line: the daemon would serve nothing");
	}
	TAILQ_FOREACH(l, &p->c->listeners, entry) {
		check_listener(p, l);
		/* UDP and DTLS share UDP ports, TCP and TLS share TCP ports. */
		for (m = TAILQ_NEXT(l, entry); m; m = TAILQ_NEXT(m, entry)) {
			if (config_proto_tcp(l->proto) ==
			    config_proto_tcp(m->proto) && l->port == m->port &&
			    strcmp(l->host, m->host) == 0) {
				p->file = m->file;
				p->line = m->line;
				perr(p, "listen %s: the address is already "
				    "used by %s (line %d)", m->uri, l->uri,
				    l->line);
			}
		}
	}
}

struct config *
config_parse(const char *text, size_t len, const char *path, FILE *errors)
{
	struct parser	p;
	struct config	*c;

	memset(&p, 0, sizeof(p));
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	config_defaults(c);
	p.c = c;
	p.errors = errors ? errors : stderr;
	p.file = path;
	if ((c->path = strdup(path)) == NULL ||
	    (c->database = strdup(COREHUB_DBPATH)) == NULL ||
	    (c->rd_path = strdup("/rd")) == NULL ||
	    (c->rd_lookup_ep_path = strdup("/rd-lookup/ep")) == NULL ||
	    (c->rd_lookup_res_path = strdup("/rd-lookup/res")) == NULL ||
	    (c->ps_path = strdup("/ps")) == NULL ||
	    (c->ps_data_path = strdup("/ps/data")) == NULL ||
	    (c->ps_legacy_path = strdup("/pubsub")) == NULL ||
	    (c->ps_rd_base = strdup("auto")) == NULL ||
	    (c->stats_path = strdup("/corehub/stats")) == NULL ||
	    (c->reload_path = strdup("/corehub/reload")) == NULL) {
		config_free(c);
		return NULL;
	}
	parse_text(&p, text, len);
	p.file = path;
	check_config(&p);
	if (p.nerrors > 0) {
		config_free(c);
		return NULL;
	}
	return c;
}

struct config *
config_load(const char *path, FILE *errors)
{
	struct config	*c;
	char		*text;
	size_t		 len;

	if (util_read_file(path, CONFIG_FILE_MAX, &text, &len) == -1) {
		fprintf(errors ? errors : stderr, "%s: %s\n", path,
		    strerror(errno));
		return NULL;
	}
	c = config_parse(text, len, path, errors);
	free(text);
	return c;
}

void
config_free(struct config *c)
{
	struct config_listener *l;
	struct config_iface *f;

	if (c == NULL)
		return;
	while ((f = TAILQ_FIRST(&c->ifaces)) != NULL) {
		TAILQ_REMOVE(&c->ifaces, f, entry);
		for (size_t i = 0; i < f->ngroups; i++)
			free(f->groups[i]);
		free(f);
	}
	while ((l = TAILQ_FIRST(&c->listeners)) != NULL) {
		TAILQ_REMOVE(&c->listeners, l, entry);
		listener_free(l);
	}
	free(c->path);
	free(c->database);
	free(c->rd_path);
	free(c->acl_file);
	acl_free(c->acl);
	free(c->ps_path);
	free(c->ps_data_path);
	free(c->ps_legacy_path);
	free(c->ps_rd_base);
	free(c->proxy_base);
	free(c->stats_path);
	free(c->reload_path);
	free(c->metrics_listen);
	free(c->rd_lookup_ep_path);
	free(c->rd_lookup_res_path);
	free(c);
}

static void
print_word(FILE *out, const char *s)
{
	if (*s != '\0' && strpbrk(s, " \t#\"\\{}") == NULL) {
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
print_kv(FILE *out, const char *indent, const char *kw, const char *val)
{
	fprintf(out, "%s%s ", indent, kw);
	print_word(out, val);
	fputc('\n', out);
}

static void
print_listener(const struct config_listener *l, FILE *out)
{
	fprintf(out, "listen %s", l->uri);
	if (!config_proto_secure(l->proto)) {
		if (l->echo && l->anonymous) {
			fputc('\n', out);
			return;
		}
		fputs(" {\n", out);
		if (!l->anonymous)
			fputs("\tanonymous no\n", out);
		if (!l->echo)
			fputs("\techo no\n", out);
		fputs("}\n", out);
		return;
	}
	fputs(" {\n", out);
	if (!l->anonymous)
		fputs("\tanonymous no\n", out);
	if (l->psk_file)
		print_kv(out, "\t", "psk-file", l->psk_file);
	if (l->certificate)
		print_kv(out, "\t", "certificate", l->certificate);
	if (l->private_key)
		print_kv(out, "\t", "private-key", l->private_key);
	if (l->ca_file)
		print_kv(out, "\t", "ca-file", l->ca_file);
	if (l->certificate) {
		fprintf(out, "\tverify-client %s\n",
		    l->verify_client ? "yes" : "no");
		fprintf(out, "\tverify-depth %d\n", l->verify_depth);
	}
	fputs("}\n", out);
}

static void
print_ms(FILE *out, const char *kw, unsigned int ms)
{
	fprintf(out, "\t%s %u", kw, ms / 1000);
	if (ms % 1000)
		fprintf(out, ".%03u", ms % 1000);
	fputc('\n', out);
}

static void
print_iface(const struct config_iface *f, FILE *out)
{
	fprintf(out, "interface %s {\n", f->name);
	fprintf(out, "\tconstrained %s\n", f->constrained ? "yes" : "no");
	fprintf(out, "\tmulticast %s\n", f->multicast ? "yes" : "no");
	if (f->ngroups > 0) {
		fputs("\tgroups", out);
		for (size_t i = 0; i < f->ngroups; i++)
			fprintf(out, " %s", f->groups[i]);
		fputc('\n', out);
	}
	print_ms(out, "leisure", f->leisure_ms);
	fprintf(out, "\tmulticast-rate %u\n", f->multicast_rate);
	if (f->block_size)
		fprintf(out, "\tblock-size %u\n", f->block_size);
	if (f->ack_timeout_ms)
		print_ms(out, "ack-timeout", f->ack_timeout_ms);
	if (f->ack_random_factor_pct)
		fprintf(out, "\tack-random-factor %u.%02u\n",
		    f->ack_random_factor_pct / 100,
		    f->ack_random_factor_pct % 100);
	if (f->max_retransmit >= 0)
		fprintf(out, "\tmax-retransmit %d\n", f->max_retransmit);
	if (f->nstart)
		fprintf(out, "\tnstart %u\n", f->nstart);
	if (f->nmesh > 0) {
		char a[INET6_ADDRSTRLEN];

		fputs("\tmesh-prefix", out);
		for (size_t i = 0; i < f->nmesh; i++)
			fprintf(out, " %s/%u", inet_ntop(AF_INET6, &f->mesh[i],
			    a, sizeof(a)), f->mesh_len[i]);
		fputc('\n', out);
	}
	fputs("}\n", out);
}

void
config_print(const struct config *c, FILE *out)
{
	const struct config_listener *l;
	const struct config_iface *f;

	print_kv(out, "", "database", c->database);
	fprintf(out, "database-sync %s\n", c->database_sync_full ? "full" :
	    "normal");
	fprintf(out, "log-level %s\n", log_level_name(c->log_level));
	fprintf(out, "log-target %s\n",
	    c->log_target == LOG_TARGET_SYSLOG ? "syslog" : "stderr");
	fprintf(out, "max-sessions %u\n", c->max_sessions);
	fprintf(out, "max-handshakes %u\n", c->max_handshakes);
	fprintf(out, "session-timeout %u\n", c->session_timeout);
	fprintf(out, "max-payload %u\n", c->max_payload);
	fprintf(out, "max-response-size %u\n", c->max_response);
	fprintf(out, "max-message-size %u\n", c->max_message_size);
	fprintf(out, "rd-path %s\n", c->rd_path);
	fprintf(out, "rd-lookup-ep-path %s\n", c->rd_lookup_ep_path);
	fprintf(out, "rd-lookup-res-path %s\n", c->rd_lookup_res_path);
	fprintf(out, "rd-max-registrations %u\n", c->rd_max_registrations);
	fprintf(out, "rd-max-links %u\n", c->rd_max_links);
	fprintf(out, "rd-grace %u\n", c->rd_grace);
	fprintf(out, "rd-max-observers %u\n", c->rd_max_observers);
	if (c->acl_file != NULL)
		print_kv(out, "", "acl-file", c->acl_file);
	fprintf(out, "rd-ep-from-credential %s\n",
	    c->rd_ep_from_credential ? "yes" : "no");
	fprintf(out, "ps-path %s\n", c->ps_path);
	fprintf(out, "ps-data-path %s\n", c->ps_data_path);
	fprintf(out, "ps-content-format %u\n", c->ps_content_format);
	fprintf(out, "ps-max-topics %u\n", c->ps_max_topics);
	fprintf(out, "ps-max-subscribers %u\n", c->ps_max_subscribers);
	fprintf(out, "ps-publish-rate %u\n", c->ps_publish_rate);
	fprintf(out, "ps-max-subscriptions %u\n", c->ps_max_subscriptions);
	fprintf(out, "ps-max-publish-rate %u\n", c->ps_max_publish_rate);
	fprintf(out, "ps-legacy-path %s\n", c->ps_legacy_path ?
	    c->ps_legacy_path : "off");
	fprintf(out, "ps-legacy-create-on-publish %s\n",
	    c->ps_legacy_create_on_publish ? "yes" : "no");
	print_kv(out, "", "ps-rd-base", c->ps_rd_base);
	print_kv(out, "", "proxy-base", c->proxy_base ? c->proxy_base : "off");
	fprintf(out, "proxy-timeout %u\n", c->proxy_timeout);
	fprintf(out, "proxy-inflight %u\n", c->proxy_inflight);
	fprintf(out, "proxy-max-inflight %u\n", c->proxy_max_inflight);
	fprintf(out, "proxy-cache-size %u\n", c->proxy_cache_size);
	fprintf(out, "stats-path %s\n", c->stats_path ? c->stats_path : "off");
	fprintf(out, "reload-path %s\n", c->reload_path ? c->reload_path :
	    "off");
	fprintf(out, "stats-interval %u\n", c->stats_interval);
	fprintf(out, "metrics-listen %s\n", c->metrics_listen ?
	    c->metrics_listen : "off");
	TAILQ_FOREACH(l, &c->listeners, entry)
		print_listener(l, out);
	TAILQ_FOREACH(f, &c->ifaces, entry)
		print_iface(f, out);
}
