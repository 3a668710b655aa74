/*
 * config: corehub.conf into a struct config, and back again for -nv. Owns
 * the file syntax (keyword lines, # comments, quoted strings, include,
 * listen blocks), the keyword tables, defaults, and the checks that make a
 * configuration usable. Every error is reported as FILE:LINE: message and
 * all of them are reported before the load fails.
 */
#ifndef COREHUB_CONFIG_H
#define COREHUB_CONFIG_H

#include <sys/queue.h>

#include <netinet/in.h>

#include <stdint.h>
#include <stdio.h>

#include "log.h"

struct psk_table;

enum config_proto {
	CONFIG_PROTO_COAP = 0,		/* coap:// (UDP) */
	CONFIG_PROTO_COAPS,		/* coaps:// (DTLS) */
	CONFIG_PROTO_COAP_TCP,		/* coap+tcp:// */
	CONFIG_PROTO_COAPS_TCP		/* coaps+tcp:// (TLS) */
};

#define CONFIG_INCLUDE_DEPTH	8
#define CONFIG_FILE_MAX		(1u << 20)
#define CONFIG_LINE_MAX		4096
#define CONFIG_LISTENERS_MAX	64

struct acl;

struct config_listener {
	TAILQ_ENTRY(config_listener) entry;
	char			*uri;		/* normalised */
	enum config_proto	 proto;
	char			 host[64];	/* numeric, no brackets */
	int			 family;	/* AF_INET or AF_INET6 */
	uint16_t		 port;
	char			*psk_file;
	struct psk_table	*psk;		/* loaded from psk_file */
	char			*certificate;
	char			*private_key;
	char			*ca_file;
	int			 verify_client;	/* 1 unless "no" */
	int			 verify_depth;
	int			 echo;		/* coap://: RFC 9175 limits */
	int			 anonymous;	/* anon clients served */
	char			*file;		/* where it was defined */
	int			 line;
};
TAILQ_HEAD(config_listeners, config_listener);

#define CONFIG_GROUPS_MAX	8
#define CONFIG_IFACES_MAX	64
#define CONFIG_MESH_PREFIXES_MAX 4

/*
 * One network interface's settings (an interface { } block): what
 * multicast discovery joins there and how it answers, and the CoAP
 * transmission parameters of the sessions that arrive on it.
 */
struct config_iface {
	TAILQ_ENTRY(config_iface) entry;
	char			 name[16];	/* IFNAMSIZ */
	int			 constrained;	/* an 802.15.4 mesh behind */
	int			 multicast;	/* discovery answered here */
	char			*groups[CONFIG_GROUPS_MAX];
	size_t			 ngroups;	/* 0: the defaults */
	unsigned int		 leisure_ms;
	unsigned int		 multicast_rate;	/* answers/s */
	unsigned int		 block_size;		/* bytes */
	unsigned int		 ack_timeout_ms;	/* 0: libcoap's */
	unsigned int		 ack_random_factor_pct;	/* 0: libcoap's */
	int			 max_retransmit;	/* -1: libcoap's */
	unsigned int		 nstart;		/* 0: libcoap's */
	/* Mesh-local prefixes: bases in them are of this link only. */
	struct in6_addr		 mesh[CONFIG_MESH_PREFIXES_MAX];
	unsigned int		 mesh_len[CONFIG_MESH_PREFIXES_MAX];
	size_t			 nmesh;
	int			 line;
};
TAILQ_HEAD(config_ifaces, config_iface);

struct config {
	char			*path;
	struct config_listeners	 listeners;
	unsigned int		 nlisteners;
	struct config_ifaces	 ifaces;
	unsigned int		 nifaces;
	char			*database;
	int			 database_sync_full;
	int			 log_level;
	enum log_target		 log_target;
	unsigned int		 max_sessions;
	unsigned int		 max_handshakes;
	unsigned int		 session_timeout;	/* seconds */
	unsigned int		 max_payload;		/* bytes */
	unsigned int		 max_response;		/* bytes */
	unsigned int		 max_message_size;	/* bytes, TCP CSM */
	/* Resource Directory */
	char			*rd_path;		/* "/rd" */
	char			*rd_lookup_ep_path;
	char			*rd_lookup_res_path;
	unsigned int		 rd_max_registrations;
	unsigned int		 rd_max_links;
	unsigned int		 rd_grace;		/* seconds */
	unsigned int		 rd_max_observers;
	int			 rd_ep_from_credential;
	char			*proxy_base;		/* NULL: no RD proxy */
	unsigned int		 proxy_timeout;		/* seconds */
	unsigned int		 proxy_inflight;	/* per device */
	unsigned int		 proxy_max_inflight;	/* all devices */
	unsigned int		 proxy_cache_size;	/* bytes, 0: off */
	char			*acl_file;		/* NULL: no ACL */
	struct acl		*acl;			/* loaded from it */
	/* Publish/subscribe broker */
	char			*ps_path;		/* "/ps" */
	char			*ps_data_path;		/* "/ps/data" */
	unsigned int		 ps_content_format;	/* 606 */
	unsigned int		 ps_max_topics;
	unsigned int		 ps_max_subscribers;	/* per topic */
	unsigned int		 ps_publish_rate;	/* per s, 0: off */
	unsigned int		 ps_max_subscriptions;	/* all topics */
	unsigned int		 ps_max_publish_rate;	/* all topics, 0: off */
	char			*ps_legacy_path;	/* NULL: off */
	int			 ps_legacy_create_on_publish;
	char			*ps_rd_base;		/* auto, off or a URI */
	/* Operators */
	char			*stats_path;		/* NULL: off */
	char			*reload_path;		/* NULL: off */
	unsigned int		 stats_interval;	/* seconds */
	char			*metrics_listen;	/* host:port, NULL: off */
};

/* Where the errors of a failed load go; stderr when NULL. */
struct config	*config_load(const char *path, FILE *errors);
/* Parses text as if it were the file at path (used by tests and fuzzing). */
struct config	*config_parse(const char *text, size_t len, const char *path,
		    FILE *errors);
void		 config_free(struct config *c);
/* Prints the normalised configuration, as corehubd -nv does. */
void		 config_print(const struct config *c, FILE *out);
const char	*config_proto_scheme(enum config_proto p);
int		 config_proto_secure(enum config_proto p);
int		 config_proto_tcp(enum config_proto p);

#endif
