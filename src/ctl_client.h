/*
 * ctl_client: corehubctl's CoAP client. One session to one daemon, over
 * UDP, DTLS, TCP or TLS (PSK or certificates), and requests made one at a
 * time: send, then run libcoap until the answer, a failure or the
 * timeout. Bodies in Block2 blocks are gathered here under a cap, block
 * by block, so that a Size2 the server declares allocates nothing. A 4.01
 * carrying an Echo option (RFC 9175, the daemon's amplification limit)
 * is answered by sending the request again with that Echo. Observe keeps
 * delivering notifications until told to stop.
 */
#ifndef COREHUB_CTL_CLIENT_H
#define COREHUB_CTL_CLIENT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include <coap3/coap.h>

#define CTL_BODY_MAX	(1024 * 1024)	/* a response body, at most */
#define CTL_PATH_MAX	512		/* a path, with its query */
#define CTL_NONE	(-1)		/* no Content-Format, no Accept */

struct ctl_config {
	const char	*uri;		/* coap[s][+tcp]://host[:port] */
	const char	*psk_identity;
	const char	*psk_key;
	const char	*cert_file;	/* PEM: our certificate and key */
	const char	*key_file;
	const char	*ca_file;	/* PEM: the CA of the server's */
	int		 no_verify;	/* take any server certificate */
	unsigned int	 timeout_s;	/* for each request */
	int		 log_level;	/* libcoap's: LOG_CRIT.. */
};

enum ctl_status {
	CTL_OK = 0,
	CTL_ETIMEOUT = -1,	/* no answer in time */
	CTL_ECONN = -2,		/* unreachable, refused, no handshake */
	CTL_ESIZE = -3,		/* a body over CTL_BODY_MAX */
	CTL_EPROTO = -4,	/* blocks out of order, a reset */
	CTL_ENOMEM = -5,
	CTL_EARG = -6		/* a path, query or option too long */
};

struct ctl_request {
	coap_pdu_code_t	  method;
	const char	 *path;		/* "/rd-lookup/ep", encoded */
	const char *const *query;	/* Uri-Query values, as given */
	size_t		  nquery;
	int		  format;	/* Content-Format, or CTL_NONE */
	int		  accept;	/* or CTL_NONE */
	const uint8_t	 *body;
	size_t		  len;
};

struct ctl_response {
	unsigned int	 code;		/* class * 100 + detail */
	int		 format;	/* or CTL_NONE */
	int64_t		 observe;	/* the Observe value, or -1 */
	uint8_t		*body;		/* NUL-terminated, owned */
	size_t		 len;
	char		 location[CTL_PATH_MAX];	/* "/ps/1", or "" */
};

struct ctl_client;

/*
 * A session to cfg->uri. NULL with err set when the URI or credentials
 * are unusable (*usage set: the caller's mistake) or the session could not
 * be made.
 */
struct ctl_client *ctl_client_open(const struct ctl_config *cfg, char *err,
		    size_t errsz, int *usage);
void		 ctl_client_close(struct ctl_client *c);
/* The server's URI, without path: "coap://127.0.0.1:5683". */
const char	*ctl_client_base(const struct ctl_client *c);

/* One request and its final answer, whatever the code. */
enum ctl_status	 ctl_request(struct ctl_client *c,
		    const struct ctl_request *rq, struct ctl_response *out);
void		 ctl_response_free(struct ctl_response *r);

/*
 * Called for the first answer and each notification. Returns 0 to go on,
 * anything else to stop (the value is what ctl_observe returns).
 */
typedef int	(*ctl_notify_fn)(void *arg, const struct ctl_response *r);
/*
 * A GET with Observe. Returns CTL_OK when *stop became true (the
 * observation is then cancelled), fn's non-zero result when it stopped,
 * or an error.
 */
int		 ctl_observe(struct ctl_client *c,
		    const struct ctl_request *rq, ctl_notify_fn fn, void *arg,
		    volatile sig_atomic_t *stop);

/*
 * The path (and query) on this server of ref, a URI reference that is
 * resolved against the server's URI. -1 when it names another server or
 * does not fit in size.
 */
int		 ctl_client_path(const struct ctl_client *c, const char *ref,
		    char *out, size_t size);

const char	*ctl_status_text(enum ctl_status s);
/* Why the last exchange ended with st, as precisely as is known. */
const char	*ctl_client_error(const struct ctl_client *c,
		    enum ctl_status st);
/* "4.04" into buf (at least 5 bytes). */
const char	*ctl_code_text(unsigned int code, char *buf, size_t size);
/* "Not Found", or "" for a code without a phrase. */
const char	*ctl_code_phrase(unsigned int code);

#endif
