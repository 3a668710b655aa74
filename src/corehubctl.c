/*
 * corehubctl: the administrator's view of a running corehubd, over CoAP:
 * the directory's endpoints and resources, removing a registration, the
 * broker's topics (list, show, create, publish, subscribe), the daemon's
 * statistics and a reload. Paths come from /.well-known/core, with the
 * defaults of the admin contract when the daemon does not list them.
 * Whatever the daemon answers is parsed by the daemon's own strict
 * parsers and printed through ctl_out, which escapes it.
 *
 * This file is the command line: the global options, the help, and the
 * table that sends each command, with its own options and operands, to
 * ctl_rd, ctl_ps or ctl_stats.
 */
#include "ac_config.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <coap3/coap.h>

#include "ctl.h"
#include "ctl_ps.h"
#include "ctl_rd.h"
#include "ctl_stats.h"
#include "util.h"

static void
help(void)
{
	ctl_usage_line(stdout);
	fputs("\ncommands:\n"
	    "  endpoints [filter...]          endpoint lookup "
	    "(filter: key=value)\n"
	    "  resources [filter...]          resource lookup\n"
	    "  show ep [-d sector]            an endpoint and its "
	    "resources\n"
	    "  remove ep [-d sector]          remove a registration\n"
	    "  topics                         list the topics\n"
	    "  topic name                     a topic's configuration\n"
	    "  create-topic name [key=value...]\n"
	    "                                 create a topic (content-format,"
	    " type,\n"
	    "                                 max-subscribers, observer-check,"
	    " expires)\n"
	    "  publish topic value [-f cf]    publish (value - reads standard"
	    " input)\n"
	    "  subscribe topic                print notifications until "
	    "interrupted\n"
	    "  stats                          the daemon's statistics\n"
	    "  reload                         reload the configuration\n"
	    "\noptions:\n"
	    "  -s uri        the daemon (default coap://127.0.0.1)\n"
	    "  -u id -k key  DTLS/TLS pre-shared key\n"
	    "  -c cert -j key -C ca\n"
	    "                DTLS/TLS certificate, key and the CA of the "
	    "daemon's\n"
	    "  -n            do not verify the daemon's certificate\n"
	    "  -t seconds    timeout of each request (default 10)\n"
	    "  -J, --json    JSON output\n"
	    "  -v            more of libcoap's log (repeat for debug)\n"
	    "  -V            version\n", stdout);
}

static const struct command {
	const char	*name;
	const char	*opts;		/* its options, for getopt */
	int		 min, max;	/* operands; max -1: any number */
	const char	*operands;
	ctl_command_fn	 fn;
} commands[] = {
	{ "endpoints", "J", 0, -1, "[filter ...]", ctl_rd_endpoints },
	{ "resources", "J", 0, -1, "[filter ...]", ctl_rd_resources },
	{ "show", "d:J", 1, 1, "ep [-d sector]", ctl_rd_show },
	{ "remove", "d:J", 1, 1, "ep [-d sector]", ctl_rd_remove },
	{ "topics", "J", 0, 0, "", ctl_ps_topics },
	{ "topic", "J", 1, 1, "name", ctl_ps_topic },
	{ "create-topic", "J", 1, -1, "name [key=value ...]",
	    ctl_ps_create_topic },
	{ "publish", "f:J", 2, 2, "topic value [-f content-format]",
	    ctl_ps_publish },
	{ "subscribe", "J", 1, 1, "topic", ctl_ps_subscribe },
	{ "stats", "J", 0, 0, "", ctl_stats_show },
	{ "reload", "J", 0, 0, "", ctl_stats_reload },
};

static int
parse_format(const char *v, int *out)
{
	static const struct {
		const char	*name;
		int		 cf;
	} names[] = {
		{ "text", 0 }, { "link-format", 40 }, { "xml", 41 },
		{ "octet-stream", 42 }, { "json", 50 }, { "cbor", 60 },
		{ "senml+json", 110 }, { "senml+cbor", 112 },
	};
	long long n;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(v, names[i].name) == 0) {
			*out = names[i].cf;
			return 0;
		}
	if (util_parse_ll(v, 0, 65535, &n) == -1)
		return ctl_usage("-f %s: a content-format number (0 to 65535) "
		    "or text, json, cbor...", v);
	*out = (int)n;
	return 0;
}

static int
command_usage(const struct command *c)
{
	ctl_usage_line(stderr);
	fprintf(stderr, "       corehubctl [options] %s%s%s\n", c->name,
	    c->operands[0] ? " " : "", c->operands);
	return CTL_EXIT_USAGE;
}

/* The command's own options (also after its operands) and operands. */
static int
parse_command(const struct command *c, int argc, char **argv,
    struct ctl *x, struct ctl_args *a)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'J' },
		{ NULL, 0, NULL, 0 }
	};
	int ch, rc;

	memset(a, 0, sizeof(*a));
	a->format = CTL_NONE;
	optind = 0;
	while ((ch = getopt_long(argc, argv, c->opts, longopts, NULL)) != -1)
		switch (ch) {
		case 'J':
			x->json = 1;
			break;
		case 'd':
			a->sector = optarg;
			break;
		case 'f':
			if ((rc = parse_format(optarg, &a->format)) != 0)
				return rc;
			break;
		default:
			return command_usage(c);
		}
	a->argc = argc - optind;
	a->argv = argv + optind;
	if (a->argc < c->min || (c->max >= 0 && a->argc > c->max))
		return command_usage(c);
	return 0;
}

static int
run_command(struct ctl *x, int argc, char **argv)
{
	struct ctl_args	a;
	int		rc;

	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[0], commands[i].name) != 0)
			continue;
		x->cmd = commands[i].name;
		if ((rc = parse_command(&commands[i], argc, argv, x, &a)) != 0)
			return rc;
		return commands[i].fn(x, &a);
	}
	return ctl_usage("%s: unknown command", argv[0]);
}

/* -v raises libcoap's log level from critical only towards debug. */
static int
log_level(int verbose)
{
	static const int levels[] = { LOG_CRIT, LOG_WARNING, LOG_INFO,
	    LOG_DEBUG };

	return levels[verbose > 3 ? 3 : verbose];
}

static int
parse_options(struct ctl *x, int argc, char **argv, int *done)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'J' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 }
	};
	long long	t;
	int		ch, verbose = 0;

	*done = 0;
	while ((ch = getopt_long(argc, argv, "+C:c:hJj:k:ns:t:u:Vv",
	    longopts, NULL)) != -1)
		switch (ch) {
		case 'C':
			x->cfg.ca_file = optarg;
			break;
		case 'c':
			x->cfg.cert_file = optarg;
			break;
		case 'h':
			help();
			*done = 1;
			return 0;
		case 'J':
			x->json = 1;
			break;
		case 'j':
			x->cfg.key_file = optarg;
			break;
		case 'k':
			x->cfg.psk_key = optarg;
			break;
		case 'n':
			x->cfg.no_verify = 1;
			break;
		case 's':
			x->cfg.uri = optarg;
			break;
		case 't':
			if (util_parse_ll(optarg, 1, 3600, &t) == -1)
				return ctl_usage("-t %s: seconds from 1 to "
				    "3600", optarg);
			x->cfg.timeout_s = (unsigned int)t;
			break;
		case 'u':
			x->cfg.psk_identity = optarg;
			break;
		case 'V':
			printf("corehubctl %s (%s)\n", PACKAGE_VERSION,
			    coap_package_version());
			*done = 1;
			return 0;
		case 'v':
			verbose++;
			break;
		default:
			return ctl_usage(NULL);
		}
	x->cfg.log_level = log_level(verbose);
	if (optind >= argc)
		return ctl_usage("no command");
	return 0;
}

int
main(int argc, char **argv)
{
	struct ctl	x;
	int		rc, done;

	memset(&x, 0, sizeof(x));
	x.cmd = "corehubctl";
	x.cfg.uri = "coap://127.0.0.1";
	x.cfg.timeout_s = 10;
	if ((rc = parse_options(&x, argc, argv, &done)) != 0 || done)
		return rc;
	coap_startup();
	coap_set_log_level((coap_log_t)x.cfg.log_level);
	rc = run_command(&x, argc - optind, argv + optind);
	ctl_client_close(x.cl);
	coap_cleanup();
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, "corehubctl: standard output: %s\n",
		    strerror(errno));
		return EXIT_FAILURE;
	}
	return rc;
}
