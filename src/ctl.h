/*
 * ctl: corehubctl's command context: the client session, the paths
 * discovered from /.well-known/core, the output mode, and the error
 * reporting every command uses. A command fails by returning the exit
 * status that one of the ctl_fail* or ctl_usage calls gave it, after the
 * message is out.
 */
#ifndef COREHUB_CTL_H
#define COREHUB_CTL_H

#include <stddef.h>
#include <stdio.h>

#include <coap3/coap.h>

#include "ctl_client.h"
#include "ctl_out.h"
#include "linkformat.h"

/* Exit statuses besides EXIT_SUCCESS and EXIT_FAILURE. */
#define CTL_EXIT_USAGE	2
#define CTL_EXIT_NET	3	/* timeout, unreachable: worth a retry */

#define CTL_CF_TEXT		0
#define CTL_CF_LINK_FORMAT	40
#define CTL_CF_CBOR		60
#define CTL_CF_PUBSUB		606	/* application/core-pubsub+cbor */

struct ctl {
	const char		*cmd;	/* in messages: "corehubctl: cmd: " */
	struct ctl_config	 cfg;
	struct ctl_client	*cl;	/* opened on first use */
	int			 json;
	int			 discovered;
	char			 ep_lookup[CTL_PATH_MAX];
	char			 res_lookup[CTL_PATH_MAX];
	char			 coll[CTL_PATH_MAX];
	char			 stats[CTL_PATH_MAX];
	char			 reload[CTL_PATH_MAX];
};

/* What a command was given after its name. */
struct ctl_args {
	int		 argc;
	char		**argv;
	const char	*sector;	/* -d, NULL when not given */
	int		 format;	/* -f, or CTL_NONE */
};

/* A command: its exit status. */
typedef int	(*ctl_command_fn)(struct ctl *x, struct ctl_args *a);

/* The synopsis: the help starts with it, a usage error ends with it. */
void	ctl_usage_line(FILE *out);
/* The message (if fmt) and the synopsis; CTL_EXIT_USAGE. */
int	ctl_usage(const char *fmt, ...)
	    __attribute__((format(printf, 1, 2)));
/* "corehubctl: <cmd>: <message>"; EXIT_FAILURE. */
int	ctl_fail(const struct ctl *x, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Why an exchange failed; CTL_EXIT_NET for a timeout or no connection. */
int	ctl_fail_status(const struct ctl *x, enum ctl_status st);
/* A response that is not 2.xx, with its diagnostic payload. */
int	ctl_fail_code(const struct ctl *x, const struct ctl_response *r);

void	ctl_request_init(struct ctl_request *rq, coap_pdu_code_t method,
	    const char *path);
/*
 * One request that must succeed (2.xx): 0 with *r to free, or the exit
 * status after saying why. Opens the session when it is not yet.
 */
int	ctl_call(struct ctl *x, const struct ctl_request *rq,
	    struct ctl_response *r);
/* Fills in the paths of struct ctl once: 0 or the exit status. */
int	ctl_discover(struct ctl *x);

/* Whether one of l's rt values is rt. */
int	ctl_link_has_rt(const struct lf_link *l, const char *rt);
/* A response in link-format into doc; r is freed either way. */
int	ctl_parse_links(const struct ctl *x, const char *path,
	    struct ctl_response *r, struct lf_doc *doc);
/* A GET answered in link-format, parsed into doc. */
int	ctl_get_links(struct ctl *x, const char *path,
	    const char *const *query, size_t nquery, struct lf_doc *doc);

/* Prints and frees t: 0, or EXIT_FAILURE when out of memory. */
int	ctl_done_table(const struct ctl *x, struct ctl_table *t);
/* Ends the JSON document: 0, or EXIT_FAILURE. */
int	ctl_done_json(struct ctl_json *j);

#endif
