#include "ac_config.h"

#include <sys/queue.h>

#include <netdb.h>
#include <stdlib.h>
#include <string.h>

#include <uthash.h>

#include "coaputil.h"
#include "config.h"
#include "echo.h"
#include "listen.h"
#include "stats.h"
#include "log.h"
#include "loop.h"
#include "observe.h"
#include "principal.h"
#include "psk.h"

/*
 * A session's principal. libcoap 4.3.1 does not report the end of every
 * server session (a DTLS handshake that fails on the key ends with
 * DTLS_CLOSED only), so the listener also keeps them in a list and frees
 * what is left when it closes.
 */
struct session_principal {
	TAILQ_ENTRY(session_principal)	 entry;
	coap_session_t			*ses;
	struct principal		*p;
};

struct listener {
	TAILQ_ENTRY(listener)	 entry;
	TAILQ_HEAD(, session_principal) principals;
	char			*uri;
	enum config_proto	 proto;
	coap_context_t		*ctx;
	struct psk_table	*psk;	/* swapped on reload */
	char			*certificate, *private_key, *ca_file;
	int			 verify_client;
	int			 echo;		/* RFC 9175 limits apply */
	int			 anonymous;	/* anon clients served */
	coap_bin_const_t	 psk_key;	/* what the callback returns */
};

struct listen_set {
	TAILQ_HEAD(, listener)	 listeners;
};

static const coap_proto_t coap_protos[] = {
	[CONFIG_PROTO_COAP] = COAP_PROTO_UDP,
	[CONFIG_PROTO_COAPS] = COAP_PROTO_DTLS,
	[CONFIG_PROTO_COAP_TCP] = COAP_PROTO_TCP,
	[CONFIG_PROTO_COAPS_TCP] = COAP_PROTO_TLS,
};

static void
session_clear_principal(coap_session_t *ses)
{
	struct session_principal	*sp = coap_session_get_app_data(ses);
	struct listener			*l;

	if (sp == NULL)
		return;
	l = coap_get_app_data(coap_session_get_context(ses));
	TAILQ_REMOVE(&l->principals, sp, entry);
	principal_free(sp->p);
	free(sp);
	coap_session_set_app_data(ses, NULL);
}

/* Takes p; returns -1 (and frees p) when out of memory. */
static int
session_set_principal(struct listener *l, coap_session_t *ses,
    struct principal *p)
{
	struct session_principal *sp;

	session_clear_principal(ses);
	if ((sp = calloc(1, sizeof(*sp))) == NULL) {
		principal_free(p);
		return -1;
	}
	sp->ses = ses;
	sp->p = p;
	TAILQ_INSERT_TAIL(&l->principals, sp, entry);
	coap_session_set_app_data(ses, sp);
	return 0;
}

int
listen_session_needs_echo(const coap_session_t *ses)
{
	const struct listener *l =
	    coap_get_app_data(coap_session_get_context(ses));

	return l != NULL && l->proto == CONFIG_PROTO_COAP && l->echo;
}

int
listen_session_serves_anon(const coap_session_t *ses)
{
	const struct listener *l =
	    coap_get_app_data(coap_session_get_context(ses));

	return l == NULL || l->anonymous;
}

const struct principal *
listen_session_principal(const coap_session_t *ses)
{
	const struct session_principal *sp = coap_session_get_app_data(ses);

	return sp ? sp->p : principal_anon();
}

static const char *
session_peer(const coap_session_t *ses, char *buf, size_t len)
{
	if (coap_print_addr(coap_session_get_addr_remote(ses),
	    (unsigned char *)buf, len) == 0)
		snprintf(buf, len, "?");
	return buf;
}

/*
 * PSK identity callback: the key of this identity, or NULL to refuse the
 * handshake. Never one key for all: the identity must mean something.
 */
static const coap_bin_const_t *
psk_identity_cb(coap_bin_const_t *identity, coap_session_t *ses, void *arg)
{
	struct listener		*l = arg;
	const struct psk_entry	*e;
	struct principal	*p;
	char			 esc[4 * PSK_IDENTITY_MAX + 1], peer[64];

	e = psk_table_find(l->psk, (const char *)identity->s,
	    identity->length);
	if (e == NULL) {
		log_notice("tls", "%s: unknown PSK identity \"%s\" from %s",
		    l->uri, log_escape((const char *)identity->s,
		    identity->length > PSK_IDENTITY_MAX ? PSK_IDENTITY_MAX :
		    identity->length, esc, sizeof(esc)),
		    session_peer(ses, peer, sizeof(peer)));
		return NULL;
	}
	if ((p = principal_new_psk(identity->s, identity->length)) == NULL)
		return NULL;
	log_debug("tls", "%s: %s is %s", l->uri,
	    session_peer(ses, peer, sizeof(peer)), p->name);
	if (session_set_principal(l, ses, p) == -1)
		return NULL;
	l->psk_key.s = e->key;
	l->psk_key.length = e->key_len;
	return &l->psk_key;
}

/* Called per chain depth once OpenSSL has checked the chain. */
static int
pki_cn_cb(const char *cn, const uint8_t *der, size_t len,
    coap_session_t *ses, unsigned int depth, int validated, void *arg)
{
	struct listener		*l = arg;
	struct principal	*p;
	char			 peer[64], esc[4 * PRINCIPAL_CN_MAX + 1];

	if (!validated) {
		log_notice("tls", "%s: certificate of %s refused (CN \"%s\")",
		    l->uri, session_peer(ses, peer, sizeof(peer)),
		    log_escape(cn, strnlen(cn, PRINCIPAL_CN_MAX), esc,
		    sizeof(esc)));
		return 0;
	}
	if (depth != 0)
		return 1;
	if ((p = principal_new_x509(der, len, cn)) == NULL)
		return 0;
	log_debug("tls", "%s: %s is %s (CN \"%s\")", l->uri,
	    session_peer(ses, peer, sizeof(peer)), p->name,
	    log_escape(cn, strnlen(cn, PRINCIPAL_CN_MAX), esc, sizeof(esc)));
	return session_set_principal(l, ses, p) == 0;
}

static enum stats_transport
session_transport(const coap_session_t *ses)
{
	switch (coap_session_get_proto(ses)) {
	case COAP_PROTO_DTLS:
		return STATS_DTLS;
	case COAP_PROTO_TCP:
		return STATS_TCP;
	case COAP_PROTO_TLS:
		return STATS_TLS;
	default:
		return STATS_UDP;
	}
}

/*
 * The sessions counted as open. libcoap's events do not pair up: a DTLS
 * hello makes a session that may be freed without SERVER_SESSION_DEL, and
 * a TLS session that fails at accept gets a DEL without a NEW. So a
 * session is counted once it is usable (new for UDP and TCP, handshake
 * done for DTLS and TLS) and uncounted only if it was counted.
 */
struct counted {
	const coap_session_t	*ses;
	enum stats_transport	 t;
	UT_hash_handle		 hh;
};

static struct counted	*counted;

static void
count_open(const coap_session_t *ses)
{
	struct counted *c;

	if (coap_session_get_type(ses) != COAP_SESSION_TYPE_SERVER)
		return;
	HASH_FIND_PTR(counted, &ses, c);
	if (c != NULL || (c = calloc(1, sizeof(*c))) == NULL)
		return;
	c->ses = ses;
	c->t = session_transport(ses);
	HASH_ADD_PTR(counted, ses, c);
	stats_session(c->t, 1);
}

static void
count_closed(const coap_session_t *ses)
{
	struct counted *c;

	HASH_FIND_PTR(counted, &ses, c);
	if (c == NULL)
		return;
	HASH_DEL(counted, c);
	stats_session(c->t, -1);
	free(c);
}

static void	(*session_hook)(coap_session_t *);

static int
event_cb(coap_session_t *ses, const coap_event_t event)
{
	switch (event) {
	case COAP_EVENT_SERVER_SESSION_NEW:
		if (session_hook != NULL)
			session_hook(ses);
		if (session_transport(ses) == STATS_UDP ||
		    session_transport(ses) == STATS_TCP)
			count_open(ses);
		break;
	case COAP_EVENT_DTLS_CONNECTED:
		count_open(ses);
		break;
	case COAP_EVENT_DTLS_CLOSED:
	case COAP_EVENT_DTLS_ERROR:
	case COAP_EVENT_TCP_CLOSED:
	case COAP_EVENT_SESSION_CLOSED:
	case COAP_EVENT_SESSION_FAILED:
	case COAP_EVENT_SERVER_SESSION_DEL:
		count_closed(ses);
		/* The next handshake on this session sets it again. */
		session_clear_principal(ses);
		observe_session_closed(ses);
		echo_session_closed(ses);
		cu_seen_session_closed(ses);
		break;
	default:
		break;
	}
	return 0;
}

#define NACK_HOOKS_MAX	4

static listen_nack_hook	nack_hooks[NACK_HOOKS_MAX];

int
listen_add_nack_hook(listen_nack_hook fn)
{
	for (size_t i = 0; i < NACK_HOOKS_MAX; i++) {
		if (nack_hooks[i] == NULL || nack_hooks[i] == fn) {
			nack_hooks[i] = fn;
			return 0;
		}
	}
	return -1;
}

static listen_response_hook	response_hooks[NACK_HOOKS_MAX];

int
listen_add_response_hook(listen_response_hook fn)
{
	for (size_t i = 0; i < NACK_HOOKS_MAX; i++) {
		if (response_hooks[i] == NULL || response_hooks[i] == fn) {
			response_hooks[i] = fn;
			return 0;
		}
	}
	return -1;
}

static coap_response_t
response_cb(coap_session_t *ses, const coap_pdu_t *sent,
    const coap_pdu_t *rcvd, const coap_mid_t mid)
{
	for (size_t i = 0; i < NACK_HOOKS_MAX && response_hooks[i]; i++)
		if (response_hooks[i](ses, rcvd))
			break;
	return COAP_RESPONSE_OK;
}

/* A message of ours was reset or never acknowledged. */
static void
nack_cb(coap_session_t *ses, const coap_pdu_t *sent,
    const coap_nack_reason_t reason, const coap_mid_t mid)
{
	observe_nack(ses, sent);
	for (size_t i = 0; i < NACK_HOOKS_MAX && nack_hooks[i]; i++)
		nack_hooks[i](ses, sent, reason);
}

static int
setup_psk(struct listener *l)
{
	coap_dtls_spsk_t spsk;

	memset(&spsk, 0, sizeof(spsk));
	spsk.version = COAP_DTLS_SPSK_SETUP_VERSION;
	spsk.validate_id_call_back = psk_identity_cb;
	spsk.id_call_back_arg = l;
	/* No default key: an identity outside the table is refused. */
	return coap_context_set_psk2(l->ctx, &spsk) ? 0 : -1;
}

static int
setup_pki(struct listener *l, int verify_depth)
{
	coap_dtls_pki_t pki;

	memset(&pki, 0, sizeof(pki));
	pki.version = COAP_DTLS_PKI_SETUP_VERSION;
	/* Strict on purpose: libcoap's example server defaults are not. */
	pki.verify_peer_cert = l->verify_client ? 1 : 0;
	pki.check_common_ca = 0;
	pki.allow_self_signed = 0;
	pki.allow_expired_certs = 0;
	pki.cert_chain_validation = 1;
	pki.cert_chain_verify_depth = (uint8_t)verify_depth;
	pki.check_cert_revocation = 0;
	pki.validate_cn_call_back = pki_cn_cb;
	pki.cn_call_back_arg = l;
	pki.pki_key.key_type = COAP_PKI_KEY_PEM;
	pki.pki_key.key.pem.public_cert = l->certificate;
	pki.pki_key.key.pem.private_key = l->private_key;
	pki.pki_key.key.pem.ca_file = l->ca_file;
	if (!coap_context_set_pki(l->ctx, &pki))
		return -1;
	/*
	 * libcoap uses pem.ca_file only for the list of CAs it names to
	 * clients; client chains are verified against the root CA store.
	 */
	if (l->ca_file != NULL &&
	    !coap_context_set_pki_root_cas(l->ctx, l->ca_file, NULL))
		return -1;
	return 0;
}

static void
apply_limits(coap_context_t *ctx, const struct config *c)
{
	coap_context_set_max_idle_sessions(ctx, c->max_sessions);
	coap_context_set_max_handshake_sessions(ctx, c->max_handshakes);
	coap_context_set_session_timeout(ctx, c->session_timeout);
	coap_context_set_csm_max_message_size(ctx, c->max_message_size);
}

static int
resolve(const struct config_listener *cl, coap_address_t *addr)
{
	struct addrinfo	 hints, *res;
	char		 port[8];
	int		 rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = cl->family;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	hints.ai_socktype = config_proto_tcp(cl->proto) ? SOCK_STREAM :
	    SOCK_DGRAM;
	snprintf(port, sizeof(port), "%u", cl->port);
	if ((rc = getaddrinfo(cl->host, port, &hints, &res)) != 0) {
		log_err("listen", "%s: %s", cl->uri, gai_strerror(rc));
		return -1;
	}
	coap_address_init(addr);
	addr->size = res->ai_addrlen;
	memcpy(&addr->addr, res->ai_addr, res->ai_addrlen);
	freeaddrinfo(res);
	return 0;
}

static int
proto_supported(enum config_proto p)
{
	switch (p) {
	case CONFIG_PROTO_COAP:
		return 1;
	case CONFIG_PROTO_COAPS:
		return coap_dtls_is_supported();
	case CONFIG_PROTO_COAP_TCP:
		return coap_tcp_is_supported();
	case CONFIG_PROTO_COAPS_TCP:
		return coap_tls_is_supported();
	}
	return 0;
}

static void
listener_free(struct listener *l)
{
	struct session_principal *sp;

	if (l == NULL)
		return;
	if (l->ctx != NULL)
		coap_free_context(l->ctx);
	while ((sp = TAILQ_FIRST(&l->principals)) != NULL) {
		TAILQ_REMOVE(&l->principals, sp, entry);
		principal_free(sp->p);
		free(sp);
	}
	psk_table_free(l->psk);
	free(l->uri);
	free(l->certificate);
	free(l->private_key);
	free(l->ca_file);
	free(l);
}

static int
listener_setup(struct listener *l, struct config_listener *cl,
    const struct config *c)
{
	coap_address_t addr;

	if (!proto_supported(cl->proto)) {
		log_err("listen", "%s: this libcoap cannot serve %s", cl->uri,
		    config_proto_scheme(cl->proto));
		return -1;
	}
	if (resolve(cl, &addr) == -1 ||
	    (l->ctx = coap_new_context(NULL)) == NULL)
		return -1;
	coap_set_app_data(l->ctx, l);
	/* Bodies are reassembled by corehub, never sized from Size1. */
	coap_context_set_block_mode(l->ctx, COAP_BLOCK_USE_LIBCOAP);
	coap_register_event_handler(l->ctx, event_cb);
	coap_register_nack_handler(l->ctx, nack_cb);
	coap_register_response_handler(l->ctx, response_cb);
	apply_limits(l->ctx, c);
	if (l->psk != NULL && setup_psk(l) == -1) {
		log_err("listen", "%s: cannot set up PSK", cl->uri);
		return -1;
	}
	if (l->certificate != NULL && setup_pki(l, cl->verify_depth) == -1) {
		log_err("listen", "%s: cannot load certificate %s or key %s",
		    cl->uri, l->certificate, l->private_key);
		return -1;
	}
	if (coap_new_endpoint(l->ctx, &addr, coap_protos[cl->proto]) ==
	    NULL) {
		log_err("listen", "%s: cannot listen (address in use, or not "
		    "local?)", cl->uri);
		return -1;
	}
	return 0;
}

static struct listener *
listener_open(struct config_listener *cl, const struct config *c)
{
	struct listener *l;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		return NULL;
	TAILQ_INIT(&l->principals);
	if ((l->uri = strdup(cl->uri)) == NULL)
		goto fail;
	l->proto = cl->proto;
	l->verify_client = cl->verify_client;
	l->echo = cl->echo;
	l->anonymous = cl->anonymous;
	if ((cl->certificate && !(l->certificate = strdup(cl->certificate))) ||
	    (cl->private_key && !(l->private_key = strdup(cl->private_key))) ||
	    (cl->ca_file && !(l->ca_file = strdup(cl->ca_file))))
		goto fail;
	/* The listener takes the key table; the config may go away. */
	l->psk = cl->psk;
	cl->psk = NULL;
	if (listener_setup(l, cl, c) == -1)
		goto fail;
	return l;
fail:
	listener_free(l);
	return NULL;
}

struct listen_set *
listen_open(struct config *c, struct loop *loop)
{
	struct listen_set	*s;
	struct config_listener	*cl;
	struct listener		*l;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	TAILQ_INIT(&s->listeners);
	TAILQ_FOREACH(cl, &c->listeners, entry) {
		if ((l = listener_open(cl, c)) == NULL)
			goto fail;
		TAILQ_INSERT_TAIL(&s->listeners, l, entry);
		if (loop_coap_attach(loop, l->ctx) == -1)
			goto fail;
		log_info("listen", "listening on %s", l->uri);
	}
	return s;
fail:
	listen_close(s);
	return NULL;
}

static int
str_differs(const char *a, const char *b)
{
	if (a == NULL || b == NULL)
		return a != b;
	return strcmp(a, b) != 0;
}

static void
listener_reload(struct listener *l, struct config_listener *cl,
    const struct config *c)
{
	apply_limits(l->ctx, c);
	l->echo = cl->echo;
	l->anonymous = cl->anonymous;
	if (str_differs(l->certificate, cl->certificate) ||
	    str_differs(l->private_key, cl->private_key) ||
	    str_differs(l->ca_file, cl->ca_file) ||
	    l->verify_client != cl->verify_client)
		log_warnx("listen", "%s: certificate settings changed: they "
		    "take effect at the next restart", l->uri);
	if ((l->psk == NULL) != (cl->psk == NULL)) {
		log_warnx("listen", "%s: adding or removing psk-file takes "
		    "effect at the next restart", l->uri);
		return;
	}
	if (cl->psk != NULL) {
		psk_table_free(l->psk);
		l->psk = cl->psk;
		cl->psk = NULL;
		log_info("listen", "%s: %zu PSK identities loaded", l->uri,
		    l->psk->count);
	}
}

void
listen_reload(struct listen_set *s, struct config *c)
{
	struct listener		*l;
	struct config_listener	*cl;

	TAILQ_FOREACH(l, &s->listeners, entry) {
		TAILQ_FOREACH(cl, &c->listeners, entry)
			if (strcmp(cl->uri, l->uri) == 0)
				break;
		if (cl == NULL) {
			log_warnx("listen", "%s: removed from the "
			    "configuration; it closes at the next restart",
			    l->uri);
			continue;
		}
		listener_reload(l, cl, c);
	}
	TAILQ_FOREACH(cl, &c->listeners, entry) {
		TAILQ_FOREACH(l, &s->listeners, entry)
			if (strcmp(cl->uri, l->uri) == 0)
				break;
		if (l == NULL)
			log_warnx("listen", "%s: new listener opens at the "
			    "next restart", cl->uri);
	}
}

void
listen_close(struct listen_set *s)
{
	struct listener *l;

	if (s == NULL)
		return;
	while ((l = TAILQ_FIRST(&s->listeners)) != NULL) {
		TAILQ_REMOVE(&s->listeners, l, entry);
		listener_free(l);
	}
	free(s);
	while (counted != NULL)
		count_closed(counted->ses);
}

coap_context_t *
listen_context(struct listen_set *s, const char *uri)
{
	struct listener *l;

	TAILQ_FOREACH(l, &s->listeners, entry)
		if (strcmp(l->uri, uri) == 0)
			return l->ctx;
	return NULL;
}

void
listen_set_session_hook(void (*fn)(coap_session_t *))
{
	session_hook = fn;
}

void
listen_foreach(struct listen_set *s, void (*fn)(coap_context_t *, void *),
    void *arg)
{
	struct listener *l;

	TAILQ_FOREACH(l, &s->listeners, entry)
		fn(l->ctx, arg);
}
