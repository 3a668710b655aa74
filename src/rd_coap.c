#include "ac_config.h"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include <event2/event.h>

#include "authz.h"
#include "batch.h"
#include "buf.h"
#include "coaputil.h"
#include "config.h"
#include "dispatch.h"
#include "echo.h"
#include "linkformat.h"
#include "listen.h"
#include "log.h"
#include "loop.h"
#include "observe.h"
#include "principal.h"
#include "ps_rd.h"
#include "rd.h"
#include "ifparams.h"
#include "rd_coap.h"
#include "stats.h"
#include "rd_lookup.h"
#include "rd_proxy.h"
#include "rd_proxy_coap.h"
#include "rd_request.h"

#define CF_LINK_FORMAT	COAP_MEDIATYPE_APPLICATION_LINK_FORMAT
#define MAX_AGE_FULL	60	/* seconds a client waits at the cap */

/* One observer of a lookup: its query and what it was last sent. */
/* Who asks a lookup, and from where: what the lookup may show. */
struct asker {
	const struct principal	*p;
	char			 link[IF_NAMESIZE];	/* "": unknown */
	int			 admin;			/* sees every link */
};

struct lookup_obs {
	enum rd_lookup_kind	kind;
	struct rd_query		q;
	uint64_t		hash;
	struct principal	principal;
	struct asker		asker;	/* what it may see */
};

struct rd_coap {
	struct rd	*rd;
	struct obs_set	*observers;
	struct event	*notify_ev;
	struct cu_bodies *bodies;
	struct event	*timer;
	char		*rd_path, *ep_path, *res_path;
	size_t		 max_payload;
	size_t		 max_response;
	struct lf_limits lf_lim;
	int		 ep_from_credential;
};

static void
respond_result(coap_pdu_t *resp, enum rd_result r)
{
	switch (r) {
	case RD_OK:
	case RD_CREATED:
		break;
	case RD_ENOTFOUND:
		cu_respond(resp, 404, NULL);
		break;
	case RD_EINVAL:
		cu_respond(resp, 400, rd_result_text(r));
		break;
	case RD_ETOOLARGE:
		cu_respond(resp, 413, rd_result_text(r));
		break;
	case RD_EFORBIDDEN:
		cu_respond(resp, 403, rd_result_text(r));
		break;
	case RD_EFULL:
		log_limitedf("rd", LOG_NOTICE, "rd-max-registrations reached");
		stats_limit_hit();
		cu_respond_max_age(resp, 503, MAX_AGE_FULL, rd_result_text(r));
		break;
	case RD_EBUSY:
		cu_respond_max_age(resp, 503, CU_MAX_AGE_BUSY, rd_result_text(r));
		break;
	case RD_EFAIL:
		cu_respond(resp, 500, NULL);
		break;
	}
}

static char *source_uri(const coap_session_t *ses);

/*
 * The base a registration from this session would have without "base":
 * coap:// or coaps:// and the source address, never a zone ID. NULL for
 * TCP and TLS, whose source ports are ephemeral.
 */
char *
rd_coap_implicit_base(const coap_session_t *ses)
{
	coap_proto_t proto = coap_session_get_proto(ses);

	if (proto != COAP_PROTO_UDP && proto != COAP_PROTO_DTLS)
		return NULL;
	return source_uri(ses);
}

/* The session's source as a URI: coap[s][+tcp]://host[:port]. */
static char *
source_uri(const coap_session_t *ses)
{
	static const char *const schemes[] = {
		[COAP_PROTO_UDP] = "coap", [COAP_PROTO_DTLS] = "coaps",
		[COAP_PROTO_TCP] = "coap+tcp", [COAP_PROTO_TLS] = "coaps+tcp"
	};
	const coap_address_t	*ra = coap_session_get_addr_remote(ses);
	coap_proto_t		 proto = coap_session_get_proto(ses);
	const char		*scheme;
	char			 host[INET6_ADDRSTRLEN], out[96];
	unsigned int		 port, dflt;

	if ((unsigned int)proto >= sizeof(schemes) / sizeof(schemes[0]) ||
	    (scheme = schemes[proto]) == NULL)
		return NULL;
	dflt = proto == COAP_PROTO_UDP || proto == COAP_PROTO_TCP ? 5683 :
	    5684;
	if (ra->addr.sa.sa_family == AF_INET) {
		inet_ntop(AF_INET, &ra->addr.sin.sin_addr, host, sizeof(host));
		port = ntohs(ra->addr.sin.sin_port);
		snprintf(out, sizeof(out), "%s://%s", scheme, host);
	} else if (ra->addr.sa.sa_family == AF_INET6 &&
	    IN6_IS_ADDR_V4MAPPED(&ra->addr.sin6.sin6_addr)) {
		/* IPv4 on a dual-stack socket: the device's own address. */
		inet_ntop(AF_INET, &ra->addr.sin6.sin6_addr.s6_addr[12], host,
		    sizeof(host));
		port = ntohs(ra->addr.sin6.sin6_port);
		snprintf(out, sizeof(out), "%s://%s", scheme, host);
	} else if (ra->addr.sa.sa_family == AF_INET6) {
		inet_ntop(AF_INET6, &ra->addr.sin6.sin6_addr, host,
		    sizeof(host));
		port = ntohs(ra->addr.sin6.sin6_port);
		snprintf(out, sizeof(out), "%s://[%s]", scheme, host);
	} else
		return NULL;
	if (port != dflt) {
		size_t n = strlen(out);

		snprintf(out + n, sizeof(out) - n, ":%u", port);
	}
	return strdup(out);
}

static void
log_change(const char *what, const coap_session_t *ses,
    const struct rd_request *req, uint64_t id)
{
	log_info("rd", "%s ep=%s%s%s location=%" PRIu64 " by %s", what,
	    req->ep ? req->ep : "-", req->d ? " d=" : "", req->d ? req->d : "",
	    id, listen_session_principal(ses)->name);
}

static void
answer(void *arg, coap_pdu_t *resp, unsigned int code, uint64_t id)
{
	struct rd_coap *rc = arg;

	/* The same location and code for a registration repeated. */
	if (code == 201)
		cu_add_location(resp, rc->rd_path, id);
	cu_respond(resp, code, NULL);
}

/*
 * rd-ep-from-credential: the endpoint name is the client's own, its PSK
 * identity or its certificate's CN, so that no device can claim another's.
 */
static int
ep_from_credential(coap_session_t *ses, coap_pdu_t *resp,
    struct rd_request *r)
{
	const struct principal	*p = listen_session_principal(ses);
	const char		*name = p->kind == PRINCIPAL_PSK ?
				    p->name + 4 : p->cn;

	if (p->kind == PRINCIPAL_ANON || *name == '\0' ||
	    !rd_name_valid(name, strlen(name))) {
		authz_refuse(ses, resp, "the endpoint name comes from the "
		    "credential, and this one has none");
		return -1;
	}
	if (r->ep != NULL && strcmp(r->ep, name) != 0) {
		cu_respond(resp, 403, "ep must be the credential's name");
		return -1;
	}
	if (r->ep == NULL && (r->ep = strdup(name)) == NULL) {
		cu_respond(resp, 500, NULL);
		return -1;
	}
	return 0;
}

/* Links in a body, counted cheaply (one '<' each), for the quota. */
static size_t
links_in(const uint8_t *body, size_t len)
{
	size_t n = 0;

	for (size_t i = 0; i < len; i++)
		n += body[i] == '<';
	return n;
}

/*
 * The principal's quotas: a new registration beyond its count, or more
 * links than it may register, is 4.03 with the reason; refreshing what it
 * already holds always works (RFC 9176 5.3, REL-5).
 */
static int
within_quota(struct rd_coap *rc, coap_session_t *ses, coap_pdu_t *resp,
    const struct rd_request *r, size_t nlinks)
{
	const struct principal	*p = listen_session_principal(ses);
	const struct rd_reg	*reg;
	struct acl_quota	 q;
	char			 diag[96];

	authz_quota(p, &q);
	if (q.links && nlinks > q.links) {
		snprintf(diag, sizeof(diag), "quota: at most %u links",
		    q.links);
		authz_over_quota(ses, resp, diag);
		return 0;
	}
	reg = rd_registry_find(&rc->rd->reg, r->ep, r->d);
	if (q.registrations && !(reg != NULL &&
	    rd_check_owner(reg, p->name) == RD_OK) &&
	    tally_get(&rc->rd->reg.owners, p->name) >= q.registrations) {
		snprintf(diag, sizeof(diag), "quota: at most %u registrations",
		    q.registrations);
		authz_over_quota(ses, resp, diag);
		return 0;
	}
	return 1;
}

/*
 * Whether the session may change reg with action: the ACL, and first come
 * first remembered on top. Sets the refusal when not.
 */
static int
may_change(coap_session_t *ses, coap_pdu_t *resp, const struct rd_reg *reg,
    unsigned int action)
{
	char obj[AUTHZ_OBJECT_MAX];

	/* The broker's own entries follow its topics, not an admin. */
	if (reg->d != NULL && strcmp(reg->d, PS_RD_SECTOR) == 0 &&
	    rd_check_owner(reg, listen_session_principal(ses)->name) !=
	    RD_OK) {
		authz_refuse(ses, resp, "the broker's own registration");
		return 0;
	}
	if (action == ACL_DELETE && authz_is_admin(ses)) {
		log_notice("rd", "registration ep=%s%s%s (by %s) removed by "
		    "admin %s", reg->ep, reg->d ? " d=" : "", reg->d ?
		    reg->d : "", reg->c.owner ? reg->c.owner : "nobody",
		    listen_session_principal(ses)->name);
		return 1;
	}
	if (!authz_check(ses, resp, authz_rd_object(obj, sizeof(obj), reg->d,
	    reg->ep), action))
		return 0;
	if (rd_check_owner(reg, listen_session_principal(ses)->name) != RD_OK) {
		authz_refuse(ses, resp, "registered by another principal");
		return 0;
	}
	return 1;
}

/*
 * A registration without base from a port other than CoAP's: its links
 * resolve against a port the device likely does not serve (a client's
 * ephemeral one, RFC 9176 section 5). Accepted, but the operator hears.
 */
static void
warn_ephemeral(const coap_session_t *ses, const struct rd_request *r)
{
	const coap_address_t	*ra = coap_session_get_addr_remote(ses);
	coap_proto_t		 proto = coap_session_get_proto(ses);
	unsigned int		 port;

	if (r->base != NULL ||
	    (proto != COAP_PROTO_UDP && proto != COAP_PROTO_DTLS))
		return;
	port = coap_address_get_port(ra);
	if (port == (proto == COAP_PROTO_UDP ? 5683u : 5684u))
		return;
	log_limitedf("rd", LOG_WARNING, "registration ep=%s%s%s from port %u "
	    "without base: lookups will point at that port, which the "
	    "device may not serve", r->ep, r->d ? " d=" : "", r->d ? r->d :
	    "", port);
}

/* Whether the request's parameters say anything of proxy. */
static int
mentions_proxy(const struct rd_request *r)
{
	for (size_t i = 0; i < r->nparams; i++)
		if (strcmp(r->params[i].name, "proxy") == 0)
			return 1;
	return 0;
}

/*
 * A proxied registration is reached where it registered from: a base
 * elsewhere would let any registrant send corehub's requests to any
 * address (and past the ACL of the device there), so only an admin may
 * give one. Over plain UDP the source must have echoed first, or a
 * spoofed one would be what corehub sends to.
 */
static int
proxy_allowed(coap_session_t *ses, const coap_pdu_t *req, coap_pdu_t *resp,
    int proxied, const char *base)
{
	if (!proxied)
		return 1;
	if (base != NULL && !authz_is_admin(ses)) {
		authz_refuse(ses, resp, "a proxied registration is reached at "
		    "its source: only an admin may give it a base");
		return 0;
	}
	return echo_require(ses, req, resp);
}

static void
hnd_register(coap_resource_t *res, coap_session_t *ses,
    const coap_pdu_t *req, const coap_string_t *qs, coap_pdu_t *resp)
{
	struct rd_coap		*rc = coap_resource_get_userdata(res);
	struct rd_request	 r;
	struct cu_query	 q;
	struct lf_doc		 links;
	struct lf_error		 lerr;
	struct cu_partial	*held;
	const uint8_t		*body;
	const char		*err;
	char			*con;
	size_t			 len;
	long			 cf = cu_uint_option(req, COAP_OPTION_CONTENT_FORMAT);
	uint64_t		 id = 0;
	enum rd_result		 result;
	enum lf_status		 ls;
	char			 obj[AUTHZ_OBJECT_MAX];
	int			 rc2, proxied;

	if (!authz_gate(ses, resp))
		return;
	if (cu_held(ses, req))
		return;
	if (cu_body_get(rc->bodies, ses, req, resp, &body, &len, &held) !=
	    CU_BODY_DONE)
		return;
	memset(&r, 0, sizeof(r));
	if ((cf != -1 && cf != CF_LINK_FORMAT) || (cf == -1 && len > 0)) {
		cu_respond(resp, 415, "registrations are application/link-format");
		goto done;
	}
	if (cu_queries(req, &q) == -1 ||
	    rd_request_parse(q.opt, q.len, q.n, &r, &err) == -1) {
		cu_respond(resp, 400, q.n == CU_QUERY_MAX ? "too many options" :
		    err);
		goto done;
	}
	if (rc->ep_from_credential && ep_from_credential(ses, resp, &r) == -1)
		goto done;
	if (r.ep == NULL) {
		cu_respond(resp, 400, "ep is missing");
		goto done;
	}
	/* The broker's entries: nobody may take their names first. */
	if (r.d != NULL && strcmp(r.d, PS_RD_SECTOR) == 0) {
		authz_refuse(ses, resp, "the sector " PS_RD_SECTOR " is the "
		    "broker's");
		goto done;
	}
	if (!authz_check(ses, resp, authz_rd_object(obj, sizeof(obj), r.d,
	    r.ep), ACL_REGISTER) || !within_quota(rc, ses, resp, &r, links_in(
	    body, len)))
		goto done;
	if ((err = rd_proxy_refusal(r.params, r.nparams, r.ep, r.d,
	    rc->rd->reg.proxy_base)) != NULL) {
		cu_respond(resp, 400, err);
		goto done;
	}
	proxied = rd_proxy_wanted(r.params, r.nparams) == 1;
	if (!proxy_allowed(ses, req, resp, proxied, r.base))
		goto done;
	/* Over TCP a proxied device is reached on its connection. */
	con = proxied ? source_uri(ses) : rd_coap_implicit_base(ses);
	if (r.base == NULL && con == NULL) {
		cu_respond(resp, 400, "base is needed over TCP and TLS");
		goto done;
	}
	if ((rc2 = rd_coap_set_link(ses, &r, con)) < 0) {
		cu_respond(resp, rc2 == -1 ? 500 : 400, rc2 == -1 ? NULL :
		    "a link-local base from an unknown interface");
		free(con);
		goto done;
	}
	ls = lf_parse((const char *)body, len, &rc->lf_lim, &links, &lerr);
	if (ls != LF_OK) {
		char diag[128];

		snprintf(diag, sizeof(diag), "link-format: %s at byte %zu",
		    lerr.msg, lerr.offset);
		cu_respond(resp, ls == LF_ELIMIT ? 413 : 400, diag);
		free(con);
		goto done;
	}
	result = rd_register(rc->rd, &r, &links, con,
	    listen_session_principal(ses)->name, cu_now_ms(),
	    (int64_t)time(NULL), &id);
	lf_doc_free(&links);
	free(con);
	if (result == RD_OK || result == RD_CREATED) {
		log_change(result == RD_CREATED ? "registered" :
		    "registered again", ses, &r, id);
		warn_ephemeral(ses, &r);
		rd_proxy_coap_bind(rd_registry_find_id(&rc->rd->reg, id), ses);
		rd_coap_schedule(rc);
		cu_answer(rc->rd->batch, ses, req, resp, 201, id, answer, rc);
	} else if (result == RD_EFORBIDDEN)
		authz_refuse(ses, resp, rd_result_text(result));
	else
		respond_result(resp, result);
done:
	if (held != NULL)
		cu_body_release(held);
	rd_request_free(&r);
}

/*
 * The interface a session arrived on. libcoap 4.3.1 knows it for UDP and
 * DTLS only; over TCP a link-local peer's scope id names it. 0: unknown.
 */
static int
session_ifindex(const coap_session_t *ses)
{
	const coap_address_t	*ra = coap_session_get_addr_remote(ses);
	int			 idx = coap_session_get_ifindex(ses);

	if (idx <= 0 && ra->addr.sa.sa_family == AF_INET6)
		idx = (int)ra->addr.sin6.sin6_scope_id;
	return idx > 0 ? idx : 0;
}

int
rd_coap_set_link(const coap_session_t *ses, struct rd_request *r,
    const char *fallback)
{
	struct in6_addr	 a;
	char		 name[IF_NAMESIZE];
	int		 idx = session_ifindex(ses);

	free(r->link);
	r->link = NULL;
	if (!rd_base_ipv6(r->base ? r->base : fallback, &a))
		return 0;
	if (ifparams_link_of(&a, idx, name) != NULL)
		return (r->link = strdup(name)) == NULL ? -1 : 0;
	/* Link-local, but from where: it must not be shown everywhere. */
	return IN6_IS_ADDR_LINKLOCAL(&a) ? -2 : 0;
}

/* The registration id a request path names, or 0 when it names none. */
static uint64_t
registration_id(const struct rd_coap *rc, const coap_pdu_t *req)
{
	coap_opt_iterator_t	 oi;
	coap_opt_filter_t	 f;
	coap_opt_t		*opt;
	struct buf		 b;
	uint64_t		 id = 0;
	size_t			 plen = strlen(rc->rd_path);

	buf_init(&b, 256);
	coap_option_filter_clear(&f);
	coap_option_filter_set(&f, COAP_OPTION_URI_PATH);
	coap_option_iterator_init(req, &oi, &f);
	while ((opt = coap_option_next(&oi)) != NULL)
		if (buf_addc(&b, '/') == -1 || buf_add(&b,
		    coap_opt_value(opt), coap_opt_length(opt)) == -1)
			goto done;
	if (b.len > plen + 1 && b.len <= plen + 21 &&
	    memcmp(b.data, rc->rd_path, plen) == 0 && b.data[plen] == '/' &&
	    b.data[plen + 1] != '0') {
		const char *p = b.data + plen + 1;

		for (; *p >= '0' && *p <= '9'; p++) {
			if (id > (UINT64_MAX - 9) / 10) {
				id = 0;
				break;
			}
			id = id * 10 + (uint64_t)(*p - '0');
		}
		if (*p != '\0')
			id = 0;
	}
done:
	buf_free(&b);
	return id;
}

static void
hnd_update(struct rd_coap *rc, coap_session_t *ses, const coap_pdu_t *req,
    coap_pdu_t *resp)
{
	uint64_t		 id = registration_id(rc, req);
	const struct rd_reg	*reg;
	struct rd_request	 r;
	struct cu_query	 q;
	const char		*err;
	const uint8_t		*data;
	size_t			 len;
	char			*con;
	enum rd_result		 result;
	int			 lr;

	if (cu_held(ses, req))
		return;
	if ((reg = rd_registry_find_id(&rc->rd->reg, id)) == NULL) {
		cu_respond(resp, 404, NULL);
		return;
	}
	if (!may_change(ses, resp, reg, ACL_UPDATE))
		return;
	if (coap_get_data(req, &len, &data) && len > 0) {
		cu_respond(resp, 400, "an update has no payload");
		return;
	}
	if (cu_queries(req, &q) == -1 ||
	    rd_request_parse(q.opt, q.len, q.n, &r, &err) == -1) {
		cu_respond(resp, 400, q.n == CU_QUERY_MAX ? "too many options" :
		    err);
		return;
	}
	if ((err = rd_proxy_refusal(r.params, r.nparams, reg->ep, reg->d,
	    rc->rd->reg.proxy_base)) != NULL) {
		rd_request_free(&r);
		cu_respond(resp, 400, err);
		return;
	}
	/* As the update leaves it: proxied, and with which base. */
	if (!proxy_allowed(ses, req, resp, mentions_proxy(&r) ?
	    rd_proxy_wanted(r.params, r.nparams) == 1 : reg->proxy != NULL,
	    r.base ? r.base : reg->c.base)) {
		rd_request_free(&r);
		return;
	}
	con = rd_coap_implicit_base(ses);
	/*
	 * The link of the base as the update leaves it: an explicit base
	 * kept keeps its link; a new one, or one from this request's
	 * source, is placed again.
	 */
	if (r.base == NULL && reg->c.base != NULL)
		lr = reg->c.link && (r.link = strdup(reg->c.link)) == NULL ?
		    -1 : 0;
	else
		lr = rd_coap_set_link(ses, &r, con ? con : reg->c.con);
	if (lr < 0) {
		free(con);
		rd_request_free(&r);
		cu_respond(resp, lr == -1 ? 500 : 400, lr == -1 ? NULL :
		    "a link-local base from an unknown interface");
		return;
	}
	result = rd_update(rc->rd, id, &r, con, cu_now_ms(),
	    (int64_t)time(NULL));
	free(con);
	if (result == RD_OK) {
		log_debug("rd", "location %" PRIu64 " updated by %s", id,
		    listen_session_principal(ses)->name);
		rd_proxy_coap_bind(reg, ses);
		rd_coap_schedule(rc);
		cu_answer(rc->rd->batch, ses, req, resp, 204, id, answer, rc);
	} else
		respond_result(resp, result);
	rd_request_free(&r);
}

static void
hnd_delete(struct rd_coap *rc, coap_session_t *ses, const coap_pdu_t *req,
    coap_pdu_t *resp)
{
	uint64_t		 id = registration_id(rc, req);
	const struct rd_reg	*reg;
	enum rd_result		 result;

	if (cu_held(ses, req))
		return;
	if ((reg = rd_registry_find_id(&rc->rd->reg, id)) == NULL) {
		cu_respond(resp, 404, NULL);
		return;
	}
	if (!may_change(ses, resp, reg, ACL_DELETE))
		return;
	result = rd_remove(rc->rd, id);
	if (result == RD_OK) {
		log_info("rd", "location %" PRIu64 " removed by %s", id,
		    listen_session_principal(ses)->name);
		rd_coap_schedule(rc);
		cu_answer(rc->rd->batch, ses, req, resp, 202, id, answer, rc);
	} else
		respond_result(resp, result);
}

/* Any other method on a registration resource, or any unknown path. */
static void
hnd_other(struct rd_coap *rc, coap_session_t *ses, const coap_pdu_t *req,
    coap_pdu_t *resp)
{
	uint64_t id = registration_id(rc, req);

	cu_respond(resp, id && rd_registry_find_id(&rc->rd->reg, id) ? 405 : 404,
	    NULL);
}

/*
 * Registration resources are not libcoap resources: one per registration
 * would cost more than the registration itself.
 */
static void
hnd_registration(void *arg, coap_resource_t *res, coap_session_t *ses,
    const coap_pdu_t *req, const char *path, const coap_string_t *qs,
    coap_pdu_t *resp)
{
	(void)res;
	(void)path;
	(void)qs;
	switch (coap_pdu_get_code(req)) {
	case COAP_REQUEST_CODE_POST:
		hnd_update(arg, ses, req, resp);
		break;
	case COAP_REQUEST_CODE_DELETE:
		hnd_delete(arg, ses, req, resp);
		break;
	default:
		hnd_other(arg, ses, req, resp);
	}
}

int
rd_coap_route(struct rd_coap *rc, struct dispatch *d)
{
	return dispatch_add(d, rc->rd_path, hnd_registration, rc);
}

/* FNV-1a: a change of result is a change of hash. */
static uint64_t
hash_bytes(const char *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= (unsigned char)p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static void
lookup_obs_free(void *p)
{
	struct lookup_obs *lo = p;

	if (lo != NULL) {
		rd_query_free(&lo->q);
		free(lo);
	}
}

/* A lookup shows only what its asker may see (RFC 9176 section 7.3). */
static int
visible(void *arg, const struct rd_reg *reg)
{
	const struct asker *a = arg;

	/*
	 * A link-local base means nothing on another link (RFC 9176 5); a
	 * proxied registration is reached through corehub, from anywhere.
	 */
	if (reg->c.link != NULL && reg->proxy == NULL && !a->admin &&
	    strcmp(reg->c.link, a->link) != 0)
		return 0;
	return authz_allowed_rd(a->p, reg->d, reg->ep, ACL_LOOKUP);
}

static void
asker_of(const coap_session_t *ses, struct asker *a)
{
	int idx = session_ifindex(ses);

	a->p = listen_session_principal(ses);
	a->admin = authz_is_admin(ses);
	if (idx <= 0 || if_indextoname((unsigned)idx, a->link) == NULL)
		a->link[0] = '\0';
}

/* Renders a lookup; NULL (and the response set) when it cannot. */
static char *
render(struct rd_coap *rc, enum rd_lookup_kind kind, const struct rd_query *q,
    size_t *len, unsigned int *code, const char **diag)
{
	struct buf b;

	buf_init(&b, rc->max_response);
	if (rd_lookup(&rc->rd->reg, kind, q, rc->rd_path, &b) == -1) {
		*code = b.overflow ? 400 : 500;
		*diag = b.overflow ? "the result is larger than "
		    "max-response-size: use count and page" : NULL;
		buf_free(&b);
		return NULL;
	}
	*len = b.len;
	return buf_release(&b);
}

/* Registers an observer of this lookup; the query moves into it. */
static void
observe_lookup(struct rd_coap *rc, coap_session_t *ses, const coap_pdu_t *req,
    coap_pdu_t *resp, enum rd_lookup_kind kind, struct rd_query *q,
    const char *data, size_t len)
{
	struct lookup_obs *lo;

	if ((lo = calloc(1, sizeof(*lo))) == NULL)
		return;
	lo->kind = kind;
	lo->q = *q;
	asker_of(ses, &lo->asker);
	lo->principal = *lo->asker.p;
	lo->asker.p = &lo->principal;
	lo->q.visible_arg = &lo->asker;
	memset(q, 0, sizeof(*q));
	lo->hash = hash_bytes(data, len);
	if (obs_add(rc->observers, ses, req, resp, lo) == NULL)
		log_debug("rd", "observer not added: %zu already",
		    obs_set_count(rc->observers));
}

static void
hnd_lookup(coap_resource_t *res, coap_session_t *ses,
    const coap_pdu_t *req, const coap_string_t *qs, coap_pdu_t *resp,
    enum rd_lookup_kind kind)
{
	struct rd_coap		*rc = coap_resource_get_userdata(res);
	long			 accept = cu_uint_option(req, COAP_OPTION_ACCEPT);
	enum obs_request	 ob = obs_request_kind(req);
	struct rd_query		 rq;
	struct asker		 asker;
	struct cu_query	 q;
	const char		*err;
	size_t			 len;
	unsigned int		 code;
	char			*data;

	if (!authz_gate(ses, resp))
		return;
	if (accept != -1 && accept != CF_LINK_FORMAT) {
		cu_respond(resp, 406, "lookups are application/link-format");
		return;
	}
	if (cu_queries(req, &q) == -1 ||
	    rd_query_parse(q.opt, q.len, q.n, &rq, &err) == -1) {
		cu_respond(resp, 400, q.n == CU_QUERY_MAX ? "too many options" :
		    err);
		return;
	}
	asker_of(ses, &asker);
	rq.visible = visible;
	rq.visible_arg = &asker;
	if ((data = render(rc, kind, &rq, &len, &code, &err)) == NULL) {
		cu_respond(resp, code, err);
		rd_query_free(&rq);
		return;
	}
	if (ob == OBS_DEREGISTER)
		obs_remove_request(rc->observers, ses, req);
	/* An unverified plain-UDP peer gets 4.01 with Echo instead. */
	if ((ob == OBS_REGISTER && !echo_require(ses, req, resp)) ||
	    !echo_check(ses, req, resp, len)) {
		rd_query_free(&rq);
		free(data);
		return;
	}
	if (ob == OBS_REGISTER)
		observe_lookup(rc, ses, req, resp, kind, &rq, data, len);
	rd_query_free(&rq);
	coap_pdu_set_code(resp, COAP_RESPONSE_CODE(205));
	/* Blocks of a large result are cut by libcoap from this copy. */
	/* On failure libcoap has released data and set the code. */
	(void)coap_add_data_large_response(res, ses, req, resp, qs,
	    CF_LINK_FORMAT, -1, 0, len, (const uint8_t *)data, cu_free_payload,
	    data);
}

/* Runs one observer's lookup again; notifies it if the result changed. */
static void
check_observer(struct obs *o, void *arg)
{
	struct rd_coap		*rc = arg;
	struct lookup_obs	*lo = obs_app(o);
	const char		*diag;
	unsigned int		 code;
	size_t			 len;
	char			*data;
	uint64_t		 h;

	if ((data = render(rc, lo->kind, &lo->q, &len, &code, &diag)) ==
	    NULL) {
		obs_notify(rc->observers, o, code, 0, (const uint8_t *)diag,
		    diag ? strlen(diag) : 0);
		return;
	}
	h = hash_bytes(data, len);
	if (h != lo->hash) {
		lo->hash = h;
		obs_notify(rc->observers, o, 205, CF_LINK_FORMAT,
		    (const uint8_t *)data, len);
	}
	free(data);
}

static void
on_notify(evutil_socket_t fd, short what, void *arg)
{
	struct rd_coap *rc = arg;

	obs_foreach(rc->observers, check_observer, rc);
}

/*
 * The directory changed. Observers are checked once the current event is
 * done, so that many changes in one pass cost one round of lookups.
 */
static void
on_change(void *arg, const struct rd_reg *old, const struct rd_reg *now)
{
	struct rd_coap *rc = arg;

	if (obs_set_count(rc->observers) > 0)
		event_active(rc->notify_ev, EV_TIMEOUT, 0);
}

static void
hnd_lookup_ep(coap_resource_t *res, coap_session_t *ses,
    const coap_pdu_t *req, const coap_string_t *qs, coap_pdu_t *resp)
{
	hnd_lookup(res, ses, req, qs, resp, RD_LOOKUP_EP);
}

static void
hnd_lookup_res(coap_resource_t *res, coap_session_t *ses,
    const coap_pdu_t *req, const coap_string_t *qs, coap_pdu_t *resp)
{
	hnd_lookup(res, ses, req, qs, resp, RD_LOOKUP_RES);
}

void
rd_coap_attach(coap_context_t *ctx, void *arg)
{
	struct rd_coap	*rc = arg;
	coap_resource_t	*r;

	if ((r = cu_resource(ctx, rc->rd_path, "\"core.rd\"", rc)) != NULL)
		cu_register(r, COAP_REQUEST_POST, hnd_register);
	/*
	 * Lookups are observable, but through observe.c: libcoap 4.3.1
	 * would notify every observer of a lookup on any change.
	 */
	if ((r = cu_resource(ctx, rc->ep_path,
	    "\"core.rd-lookup-ep\"", rc)) != NULL) {
		cu_register(r, COAP_REQUEST_GET, hnd_lookup_ep);
		coap_add_attr(r, coap_make_str_const("obs"), NULL, 0);
	}
	if ((r = cu_resource(ctx, rc->res_path,
	    "\"core.rd-lookup-res\"", rc)) != NULL) {
		cu_register(r, COAP_REQUEST_GET, hnd_lookup_res);
		coap_add_attr(r, coap_make_str_const("obs"), NULL, 0);
	}
}

static void
on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct rd_coap *rc = arg;

	rd_expire(rc->rd, cu_now_ms());
	rd_coap_schedule(rc);
}

void
rd_coap_schedule(struct rd_coap *rc)
{
	uint64_t	next = rd_registry_next_deadline(&rc->rd->reg);
	uint64_t	now = cu_now_ms();
	struct timeval	tv;

	if (next == UINT64_MAX) {
		evtimer_del(rc->timer);
		return;
	}
	next = next > now ? next - now : 0;
	tv.tv_sec = (time_t)(next / 1000);
	tv.tv_usec = (suseconds_t)(next % 1000) * 1000;
	evtimer_add(rc->timer, &tv);
}

void
rd_coap_reconfigure(struct rd_coap *rc, const struct config *c)
{
	rc->max_payload = c->max_payload;
	rc->ep_from_credential = c->rd_ep_from_credential;
	cu_bodies_set_max(rc->bodies, c->max_payload);
	rc->max_response = c->max_response;
	rc->lf_lim.max_links = c->rd_max_links + 1;	/* then 4.13 */
	rc->rd->lim.max_registrations = c->rd_max_registrations;
	rc->rd->lim.max_links = c->rd_max_links;
}

struct rd_coap *
rd_coap_new(struct rd *rd, const struct config *c, struct event_base *base)
{
	struct rd_coap		*rc;
	const struct lf_limits	 lim = LF_LIMITS_DEFAULT;

	if ((rc = calloc(1, sizeof(*rc))) == NULL)
		return NULL;
	rc->rd = rd;
	rc->lf_lim = lim;
	if ((rc->rd_path = strdup(c->rd_path)) == NULL ||
	    (rc->ep_path = strdup(c->rd_lookup_ep_path)) == NULL ||
	    (rc->res_path = strdup(c->rd_lookup_res_path)) == NULL ||
	    (rc->bodies = cu_bodies_new(c->max_payload)) == NULL ||
	    (rc->timer = evtimer_new(base, on_timer, rc)) == NULL ||
	    (rc->notify_ev = evtimer_new(base, on_notify, rc)) == NULL ||
	    event_priority_set(rc->timer, LOOP_PRIO_HIGH) == -1 ||
	    (rc->observers = obs_set_new(c->rd_max_observers,
	    lookup_obs_free)) == NULL) {
		rd_coap_free(rc);
		return NULL;
	}
	rd_coap_reconfigure(rc, c);
	rd->changed = on_change;
	rd->changed_arg = rc;
	return rc;
}

void
rd_coap_free(struct rd_coap *rc)
{
	if (rc == NULL)
		return;
	cu_bodies_free(rc->bodies);
	rc->rd->changed = NULL;
	obs_set_free(rc->observers);
	if (rc->notify_ev)
		event_free(rc->notify_ev);
	if (rc->timer)
		event_free(rc->timer);
	free(rc->rd_path);
	free(rc->ep_path);
	free(rc->res_path);
	free(rc);
}

static const struct stats_metric m_obs = { "lookup_observers",
	"corehub_lookup_observers", "Observers of directory lookups.",
	STATS_GAUGE, NULL };

void
rd_coap_stats(void *arg, struct stats_sink *s)
{
	stats_put(s, &m_obs, NULL,
	    (double)obs_set_count(((struct rd_coap *)arg)->observers));
}
