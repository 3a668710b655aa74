/*
 * corehubd: argument handling and the order of startup and shutdown. Only
 * this file wires modules together.
 */
#include "ac_config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <coap3/coap.h>
#include <event2/event.h>

#include "admin.h"
#include "authz.h"
#include "batch.h"
#include "coaputil.h"
#include "config.h"
#include "dispatch.h"
#include "echo.h"
#include "listen.h"
#include "log.h"
#include "loop.h"
#include "mcast.h"
#include "iface.h"
#include "ifparams.h"
#include "metrics.h"
#include "notify.h"
#include "ps.h"
#include "ps_coap.h"
#include "ps_legacy.h"
#include "ps_rd.h"
#include "rd.h"
#include "rd_coap.h"
#include "rd_proxy_coap.h"
#include "rd_simple.h"
#include "stats.h"
#include "store.h"
#include "wellknown.h"

#ifndef COREHUB_CONFPATH
#define COREHUB_CONFPATH "/etc/corehub/corehub.conf"
#endif

/* sysexits(3) values; systemd's RestartPreventExitStatus= lists them. */
#define EXIT_USAGE	64
#define EXIT_DATAERR	65
#define EXIT_CONFIG	78
#define SHUTDOWN_DRAIN_MS	500

struct daemon {
	const char		*conf_path;
	int			 verbose;
	struct config		*conf;
	struct loop		*loop;
	struct listen_set	*listeners;
	struct store		*store;
	struct batch		*batch;
	struct loop_idle	*commit;
	struct dispatch		*dispatch;
	struct rd		 rd;
	int			 rd_ready;
	struct rd_coap		*rd_coap;
	struct rd_simple	*rd_simple;
	struct ps		 ps;
	int			 ps_ready;
	struct ps_coap		*ps_coap;
	struct ps_legacy	*ps_legacy;
	struct ps_rd		*ps_rd;
	struct admin		*admin;
	struct metrics		*metrics;
	struct config		*pending;	/* checked, to apply */
	struct iface_watch	*ifaces;
	struct mcast		*mcast;
};

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: corehubd [-hnVv] [-D token[,token...]] "
	    "[-f file]\n");
	exit(EXIT_USAGE);
}

static int
effective_level(const struct daemon *d)
{
	return d->conf->log_level + d->verbose;
}

static void
coap_log_cb(coap_log_t level, const char *message)
{
	log_limited("coap", level > LOG_DEBUG ? LOG_DEBUG : (int)level,
	    message);
}

static void
apply_logging(struct daemon *d)
{
	log_set_target(d->conf->log_target);
	log_set_level(effective_level(d));
	/* libcoap formats nothing that would be dropped anyway. */
	coap_set_log_level(log_get_level() >= LOG_DEBUG ? LOG_DEBUG :
	    (coap_log_t)log_get_level());
}

/* Errors of a reloaded file go to the log, one line each. */
static struct config *
reload_config(const char *path)
{
	struct config	*c;
	char		*buf = NULL;
	size_t		 len = 0;
	FILE		*errs;

	if ((errs = open_memstream(&buf, &len)) == NULL)
		return NULL;
	c = config_load(path, errs);
	fclose(errs);
	for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n"))
		log_err("config", "%s", line);
	free(buf);
	return c;
}

/* Applies c, a valid configuration (taken), to the running daemon. */
static void
apply_config(struct daemon *d, struct config *c)
{
	notify_reloading();
	if (strcmp(c->database, d->conf->database) != 0)
		log_warnx("config", "database change takes effect at the "
		    "next restart");
	else if (c->database_sync_full != d->conf->database_sync_full &&
	    store_set_sync(d->store, c->database_sync_full) == -1)
		c->database_sync_full = d->conf->database_sync_full;
	batch_set_group(d->batch, c->database_sync_full);
	if (strcmp(c->rd_path, d->conf->rd_path) != 0 ||
	    strcmp(c->rd_lookup_ep_path, d->conf->rd_lookup_ep_path) != 0 ||
	    strcmp(c->rd_lookup_res_path, d->conf->rd_lookup_res_path) != 0)
		log_warnx("config", "directory path changes take effect at "
		    "the next restart");
	listen_reload(d->listeners, c);
	/* The new rules are whole and valid, or the reload failed above. */
	authz_set(c->acl);
	c->acl = NULL;
	rd_coap_reconfigure(d->rd_coap, c);
	rd_proxy_coap_reconfigure(c);
	if (strcmp(c->proxy_base ? c->proxy_base : "", d->conf->proxy_base ?
	    d->conf->proxy_base : "") != 0)
		log_warnx("config", "proxy-base changes take effect at the "
		    "next restart");
	ps_coap_reconfigure(d->ps_coap, c);
	ps_legacy_reconfigure(d->ps_legacy, c);
	if (strcmp(c->ps_path, d->conf->ps_path) != 0 ||
	    strcmp(c->ps_data_path, d->conf->ps_data_path) != 0 ||
	    c->ps_content_format != d->conf->ps_content_format ||
	    (c->ps_legacy_path == NULL) != (d->conf->ps_legacy_path == NULL) ||
	    (c->ps_legacy_path && strcmp(c->ps_legacy_path,
	    d->conf->ps_legacy_path) != 0) ||
	    strcmp(c->ps_rd_base, d->conf->ps_rd_base) != 0)
		log_warnx("config", "broker path and format changes take "
		    "effect at the next restart");
	rd_simple_set_max_body(d->rd_simple, c->max_payload);
	admin_reconfigure(d->admin, c);
	if (strcmp(c->stats_path ? c->stats_path : "",
	    d->conf->stats_path ? d->conf->stats_path : "") != 0 ||
	    strcmp(c->reload_path ? c->reload_path : "",
	    d->conf->reload_path ? d->conf->reload_path : "") != 0 ||
	    strcmp(c->metrics_listen ? c->metrics_listen : "",
	    d->conf->metrics_listen ? d->conf->metrics_listen : "") != 0)
		log_warnx("config", "stats-path, reload-path and "
		    "metrics-listen changes take effect at the next restart");
	free(c->database);
	c->database = strdup(d->conf->database);
	/* Whatever points into the old configuration moves first. */
	ifparams_set(c);
	if (d->mcast != NULL)
		mcast_reconfigure(d->mcast, c, iface_watch_table(d->ifaces));
	else if (c->nifaces > 0)
		log_warnx("config", "interface blocks take effect at the next "
		    "restart");
	config_free(d->conf);
	d->conf = c;
	apply_logging(d);
	log_info("config", "%s: reloaded", d->conf_path);
	notify_ready();
}

static void
daemon_reload(void *arg)
{
	struct daemon	*d = arg;
	struct config	*c;

	if ((c = reload_config(d->conf_path)) == NULL) {
		log_err("config", "%s: reload failed; the running "
		    "configuration stays", d->conf_path);
		return;
	}
	apply_config(d, c);
}

static void
reload_now(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	struct config *c = d->pending;

	(void)fd;
	(void)what;
	d->pending = NULL;
	if (c != NULL)
		apply_config(d, c);
}

/*
 * A reload asked over CoAP: the file is checked now, so that the admin
 * hears whether it is valid, and applied once the request is answered,
 * outside the handler of a context that the reload reconfigures.
 */
static int
reload_request(void *arg)
{
	struct daemon		*d = arg;
	struct config		*c;
	const struct timeval	 now = { 0, 0 };

	if ((c = reload_config(d->conf_path)) == NULL) {
		log_err("config", "%s: not valid; not reloaded", d->conf_path);
		return -1;
	}
	/* What was checked is what is applied; requests in a row merge. */
	if (d->pending != NULL) {
		config_free(d->pending);
		d->pending = c;
		return 0;
	}
	d->pending = c;
	if (event_base_once(loop_base(d->loop), -1, EV_TIMEOUT, reload_now, d,
	    &now) == -1) {
		log_err("config", "cannot schedule the reload");
		config_free(d->pending);
		d->pending = NULL;
		return -1;
	}
	return 0;
}

static void
ifaces_changed(void *arg, const struct iface_table *t)
{
	struct daemon *d = arg;

	mcast_apply(d->mcast, t);
}

/*
 * The border router's side: per-interface transmission parameters, and
 * multicast discovery on the interfaces configured for it, followed as
 * they come and go. Answered for the first coap:// listener on IPv6.
 */
static int
start_mesh(struct daemon *d)
{
	const struct config_listener	*l;
	coap_context_t			*ctx = NULL;

	ifparams_set(d->conf);
	listen_set_session_hook(ifparams_session_new);
	if (d->conf->nifaces == 0)
		return 0;
	TAILQ_FOREACH(l, &d->conf->listeners, entry)
		if (l->proto == CONFIG_PROTO_COAP && l->family == AF_INET6 &&
		    (ctx = listen_context(d->listeners, l->uri)) != NULL)
			break;
	if (l == NULL) {
		log_warnx("mcast", "no coap:// listener on IPv6: multicast "
		    "discovery is not served");
		return 0;
	}
	if ((d->mcast = mcast_new(loop_base(d->loop), ctx, l->port,
	    l->anonymous, d->conf)) == NULL ||
	    (d->ifaces = iface_watch_new(loop_base(d->loop), ifaces_changed,
	    d)) == NULL) {
		log_err("mcast", "cannot follow the interfaces");
		return -1;
	}
	return 0;
}

/* The operators' side: statistics, reload over CoAP, Prometheus. */
static int
start_admin(struct daemon *d)
{
	stats_set_store_size_fn(store_size, d->store);
	if (stats_add_source(rd_stats, &d->rd) == -1 ||
	    stats_add_source(rd_coap_stats, d->rd_coap) == -1 ||
	    stats_add_source(ps_stats, &d->ps) == -1 ||
	    stats_add_source(ps_coap_stats, d->ps_coap) == -1 ||
	    stats_add_source(rd_proxy_coap_stats, NULL) == -1)
		return -1;
	if ((d->admin = admin_new(d->conf, loop_base(d->loop),
	    reload_request, d)) == NULL) {
		log_err("admin", "out of memory");
		return -1;
	}
	listen_foreach(d->listeners, admin_attach, d->admin);
	if (d->conf->metrics_listen != NULL &&
	    (d->metrics = metrics_new(loop_base(d->loop),
	    d->conf->metrics_listen)) == NULL)
		return -1;
	return 0;
}

static int
check_only(struct daemon *d, int print)
{
	if (print)
		config_print(d->conf, stdout);
	else
		printf("configuration OK\n");
	return 0;
}

static int
open_store(struct daemon *d)
{
	switch (store_open(d->conf->database, &d->store)) {
	case STORE_OK:
		return store_set_sync(d->store, d->conf->database_sync_full) ==
		    0 ? 0 : 1;
	case STORE_CORRUPT:
	case STORE_TOO_NEW:
		return EXIT_DATAERR;
	default:
		return 1;
	}
}

/*
 * Group commit: a batch is committed when the loop has nothing more
 * urgent to do, so that a burst of requests shares one fsync, and at the
 * latest a few ms after it opened.
 */
#define COMMIT_MAX_DELAY_US	5000

static void
commit_due(void *arg)
{
	struct daemon *d = arg;

	batch_commit(d->batch, cu_now_ms(), (int64_t)time(NULL));
	/* A failed batch reloads the directory: its timers change. */
	rd_coap_schedule(d->rd_coap);
	ps_coap_schedule(d->ps_coap);
}

static void
need_commit(void *arg)
{
	struct daemon *d = arg;

	loop_idle_arm(d->commit);
}

static void
rd_changed(void *rc)
{
	rd_coap_schedule(rc);
}

/* The directory comes back from the store before anything is served. */
static int
start_rd(struct daemon *d)
{
	struct rd_limits lim = {
		d->conf->rd_max_registrations, d->conf->rd_max_links,
		d->conf->rd_grace
	};

	rd_init(&d->rd, d->store, &lim);
	d->rd_ready = 1;
	if (rd_set_batch(&d->rd, d->batch) == -1)
		return -1;
	if (rd_registry_set_proxy_base(&d->rd.reg, d->conf->proxy_base) ==
	    -1 || rd_restore(&d->rd, cu_now_ms(), (int64_t)time(NULL)) == -1)
		return -1;
	if ((d->rd_coap = rd_coap_new(&d->rd, d->conf,
	    loop_base(d->loop))) == NULL) {
		log_err("rd", "out of memory");
		return -1;
	}
	if ((d->rd_simple = rd_simple_new(&d->rd, loop_base(d->loop),
	    d->conf->max_payload, rd_changed, d->rd_coap)) == NULL) {
		log_err("rd", "out of memory");
		return -1;
	}
	if (rd_proxy_coap_init(&d->rd, loop_base(d->loop), d->conf) == -1) {
		log_err("rd", "cannot set up the RD proxy");
		return -1;
	}
	if (rd_coap_route(d->rd_coap, d->dispatch) == -1)
		return -1;
	listen_foreach(d->listeners, rd_coap_attach, d->rd_coap);
	listen_foreach(d->listeners, rd_simple_attach, d->rd_simple);
	rd_coap_schedule(d->rd_coap);
	return 0;
}

/* The broker's topics in the daemon's own directory, in step. */
static int
start_ps_rd(struct daemon *d)
{
	char *base = ps_rd_base(d->conf);

	if (base == NULL)
		return 0;
	d->ps_rd = ps_rd_new(&d->ps, &d->rd, base, d->conf);
	free(base);
	if (d->ps_rd == NULL) {
		log_err("ps", "out of memory");
		return -1;
	}
	return ps_rd_sync(d->ps_rd);
}

/* The topics come back from the store before anything is served. */
static int
start_ps(struct daemon *d)
{
	struct ps_limits lim = {
		d->conf->ps_max_topics, d->conf->ps_max_subscribers,
		d->conf->ps_publish_rate, d->conf->max_payload
	};

	if (ps_init(&d->ps, d->store, d->conf->ps_data_path, &lim) == -1) {
		log_err("ps", "out of memory");
		return -1;
	}
	d->ps_ready = 1;
	if (ps_set_batch(&d->ps, d->batch) == -1 ||
	    ps_restore(&d->ps, cu_now_ms(), (int64_t)time(NULL)) == -1)
		return -1;
	if ((d->ps_coap = ps_coap_new(&d->ps, d->conf,
	    loop_base(d->loop))) == NULL ||
	    ps_coap_route(d->ps_coap, d->dispatch) == -1) {
		log_err("ps", "out of memory");
		return -1;
	}
	listen_foreach(d->listeners, ps_coap_attach, d->ps_coap);
	if (d->conf->ps_legacy_path != NULL) {
		if ((d->ps_legacy = ps_legacy_new(&d->ps, d->ps_coap,
		    d->conf)) == NULL ||
		    ps_legacy_route(d->ps_legacy, d->dispatch) == -1) {
			log_err("ps", "out of memory");
			return -1;
		}
		listen_foreach(d->listeners, ps_legacy_attach, d->ps_legacy);
	}
	ps_coap_schedule(d->ps_coap);
	return start_ps_rd(d);
}

static int
serve(struct daemon *d)
{
	struct loop_hooks	hooks = { daemon_reload, d };
	int			rc;

	if ((rc = open_store(d)) != 0)
		return rc;
	authz_set(d->conf->acl);
	d->conf->acl = NULL;
	if (echo_init() == -1) {
		log_err("main", "no random bytes for Echo values");
		return 1;
	}
	stats_init(cu_now_ms());
	if ((d->loop = loop_new(&hooks)) == NULL ||
	    (d->batch = batch_new(d->store, d->conf->database_sync_full,
	    need_commit, d)) == NULL ||
	    (d->commit = loop_idle_new(d->loop, COMMIT_MAX_DELAY_US,
	    commit_due, d)) == NULL ||
	    (d->dispatch = dispatch_new()) == NULL ||
	    (d->listeners = listen_open(d->conf, d->loop)) == NULL ||
	    start_rd(d) == -1 || start_ps(d) == -1 || start_admin(d) == -1 ||
	    start_mesh(d) == -1)
		return 1;
	listen_foreach(d->listeners, wellknown_attach, NULL);
	listen_foreach(d->listeners, dispatch_attach, d->dispatch);
	log_notice("main", "corehubd %s start of service (%u listeners)",
	    PACKAGE_VERSION, d->conf->nlisteners);
	notify_ready();
	rc = loop_run(d->loop) == 0 ? 0 : 1;
	notify_stopping();
	loop_drain(d->loop, SHUTDOWN_DRAIN_MS);
	log_notice("main", "corehubd %s stopped", PACKAGE_VERSION);
	return rc;
}

static void
teardown(struct daemon *d)
{
	/* What was written but not yet answered is made durable now. */
	if (d->batch != NULL)
		batch_commit(d->batch, cu_now_ms(), (int64_t)time(NULL));
	/* Events first: they watch descriptors the contexts own. */
	iface_watch_free(d->ifaces);
	mcast_free(d->mcast);
	metrics_free(d->metrics);
	admin_free(d->admin);
	ps_rd_free(d->ps_rd);
	ps_legacy_free(d->ps_legacy);
	ps_coap_free(d->ps_coap);
	rd_proxy_coap_free();
	rd_simple_free(d->rd_simple);
	rd_coap_free(d->rd_coap);
	loop_idle_free(d->commit);
	loop_free(d->loop);
	listen_close(d->listeners);
	if (d->rd_ready)
		rd_free(&d->rd);
	if (d->ps_ready)
		ps_free(&d->ps);
	batch_free(d->batch);
	wellknown_reset();
	cu_register_reset();
	dispatch_free(d->dispatch);
	store_close(d->store);
	config_free(d->conf);
	config_free(d->pending);
	authz_set(NULL);
	coap_cleanup();
}

int
main(int argc, char **argv)
{
	struct daemon	d;
	int		ch, check = 0, rc;

	memset(&d, 0, sizeof(d));
	d.conf_path = COREHUB_CONFPATH;
	while ((ch = getopt(argc, argv, "D:f:hnVv")) != -1) {
		switch (ch) {
		case 'D':
			log_set_debug_filter(optarg);
			break;
		case 'f':
			d.conf_path = optarg;
			break;
		case 'n':
			check = 1;
			break;
		case 'V':
			printf("corehubd %s (libcoap %s)\n", PACKAGE_VERSION,
			    coap_package_version());
			return 0;
		case 'v':
			d.verbose++;
			break;
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();
	log_init(LOG_INFO, LOG_TARGET_STDERR);
	if ((d.conf = config_load(d.conf_path, stderr)) == NULL) {
		fprintf(stderr, "corehubd: %s: configuration not valid\n",
		    d.conf_path);
		return EXIT_CONFIG;
	}
	if (check) {
		rc = check_only(&d, d.verbose > 0);
		config_free(d.conf);
		return rc;
	}
	coap_startup();
	coap_set_log_handler(coap_log_cb);
	apply_logging(&d);
	rc = serve(&d);
	teardown(&d);
	return rc;
}
