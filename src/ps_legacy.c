#include "ac_config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "authz.h"
#include "buf.h"
#include "coaputil.h"
#include "config.h"
#include "dispatch.h"
#include "echo.h"
#include "linkformat.h"
#include "listen.h"
#include "log.h"
#include "principal.h"
#include "ps.h"
#include "ps_coap.h"
#include "ps_legacy.h"
#include "tally.h"

#define CF_LINK_FORMAT	COAP_MEDIATYPE_APPLICATION_LINK_FORMAT
#define LEGACY_DEPTH_MAX 8	/* levels of a hierarchical topic */

struct ps_legacy {
	struct ps		*ps;
	struct ps_coap		*pc;
	struct cu_bodies	*bodies;
	char			*root;		/* "/pubsub" */
	int			 create_on_publish;
	size_t			 max_response;
};

static int
is_parent(const struct ps_topic *t)
{
	return (t->props.present & PS_P_CF) && t->props.cf == CF_LINK_FORMAT;
}

/* The topic a legacy path names: by its data path, else by its name. */
static struct ps_topic *
topic_at(const struct ps_legacy *pl, const char *path)
{
	size_t		 n = strlen(pl->root);
	struct ps_topic	*t;

	if ((t = ps_topic_find_data(&pl->ps->reg, path)) != NULL)
		return t;
	if (path[n] == '/' && path[n + 1] != '\0')
		return ps_topic_find_name(&pl->ps->reg, path + n + 1);
	return NULL;
}

static void
answer(void *arg, coap_pdu_t *resp, unsigned int code, uint64_t id)
{
	struct ps_legacy	*pl = arg;
	struct ps_topic		*t = id ? ps_topic_find(&pl->ps->reg, id) :
				    NULL;

	if (code == 201 && t != NULL)
		cu_add_location(resp, t->props.data_uri, 0);
	cu_respond(resp, code, NULL);
}

/* Whether a query (rt=, ct=, or none) selects t. */
static int
selected(const struct ps_topic *t, const struct cu_query *q)
{
	char ct[8];

	snprintf(ct, sizeof(ct), "%u", t->props.cf);
	for (size_t i = 0; i < q->n; i++) {
		const char	*o = q->opt[i];
		size_t		 n = q->len[i];

		if (n >= 3 && memcmp(o, "rt=", 3) == 0 &&
		    !(strlen(t->props.rt) == n - 3 &&
		    memcmp(t->props.rt, o + 3, n - 3) == 0))
			return 0;
		if (n >= 3 && memcmp(o, "ct=", 3) == 0 &&
		    (!(t->props.present & PS_P_CF) || strlen(ct) != n - 3 ||
		    memcmp(ct, o + 3, n - 3) != 0))
			return 0;
	}
	return 1;
}

/* The direct sub-topics of path, in link-format (DISCOVER). */
static void
list_children(struct ps_legacy *pl, coap_resource_t *res, coap_session_t *ses,
    const coap_pdu_t *req, const coap_string_t *qs, coap_pdu_t *resp,
    const char *path)
{
	const struct principal	*asker = listen_session_principal(ses);
	const struct ps_topic	*t;
	struct cu_query		 q;
	struct buf		 b;
	size_t			 n = strlen(path);
	char			*out, key[CU_PATH_MAX + 256];
	coap_string_t		 k;

	if (cu_queries(req, &q) == -1) {
		cu_respond(resp, 400, "too many options");
		return;
	}
	buf_init(&b, pl->max_response);
	for (t = pl->ps->reg.by_id; t != NULL; t = t->hh_id.next) {
		const char *d = t->props.data_uri;

		if (strncmp(d, path, n) != 0 || d[n] != '/' ||
		    strchr(d + n + 1, '/') != NULL || !selected(t, &q) ||
		    !authz_allowed_ps(asker, t->props.name, ACL_READ_CONFIG))
			continue;
		if (buf_printf(&b, "%s<%s>;rt=\"%s\"", b.len ? "," : "", d,
		    t->props.rt) == -1 || ((t->props.present & PS_P_CF) &&
		    buf_printf(&b, ";ct=%u", t->props.cf) == -1) ||
		    (!is_parent(t) && buf_addstr(&b, ";obs") == -1)) {
			buf_free(&b);
			cu_respond(resp, 500, "the list is too large");
			return;
		}
	}
	/* A filter that selects nothing is 4.04 (-09 section 4.1). */
	if (b.len == 0 && q.n > 0) {
		cu_respond(resp, 404, NULL);
		return;
	}
	if (!echo_check(ses, req, resp, b.len)) {
		buf_free(&b);
		return;
	}
	coap_pdu_set_code(resp, COAP_RESPONSE_CODE(205));
	out = b.data ? buf_release(&b) : strdup("");
	if (out == NULL) {
		cu_respond(resp, 500, NULL);
		return;
	}
	/* On failure libcoap has released out and set the code. */
	(void)coap_add_data_large_response(res, ses, req, resp,
	    cu_block_key(req, qs, key, sizeof(key), &k), CF_LINK_FORMAT, -1,
	    0, strlen(out), (const uint8_t *)out,
	    cu_free_payload, out);
}

/* Seconds a topic's lifetime has left, -1 when it has none. */
static int
max_age_of(const struct ps_topic *t)
{
	uint64_t now = cu_now_ms();

	if (t->lifetime == 0 || t->deadline == 0)
		return -1;
	return t->deadline > now ? (int)((t->deadline - now + 999) / 1000) :
	    0;
}

/*
 * Creates the topic at path (name: path under the root) with format cf
 * (-1: none) and lifetime. Its parent must be the root or a parent topic.
 */
static enum ps_result
create_at(struct ps_legacy *pl, const char *path, int cf, uint32_t lifetime,
    const char *owner, struct ps_topic **out)
{
	struct ps_props	 p;
	const char	*why = NULL, *slash = strrchr(path, '/');
	struct ps_topic	*parent;
	char		 ppath[CU_PATH_MAX + 1];
	enum ps_result	 r;
	uint64_t	 now = cu_now_ms();

	snprintf(ppath, sizeof(ppath), "%.*s", (int)(slash - path), path);
	if (strcmp(ppath, pl->root) != 0 &&
	    ((parent = ps_topic_find_data(&pl->ps->reg, ppath)) == NULL ||
	    !is_parent(parent)))
		return PS_ENOTFOUND;
	memset(&p, 0, sizeof(p));
	p.name = (char *)(path + strlen(pl->root) + 1);
	p.data_uri = (char *)path;
	p.rt = (char *)PS_RT_DATA;
	p.present = PS_P_NAME | PS_P_DATA | PS_P_RT;
	if (cf >= 0) {
		p.cf = (uint32_t)cf;
		p.present |= PS_P_CF;
	}
	if ((r = ps_create(pl->ps, &p, owner, now, (int64_t)time(NULL), out,
	    &why)) != PS_CREATED)
		return r;
	if (lifetime > 0 && (r = ps_set_lifetime(pl->ps, *out, lifetime, now,
	    (int64_t)time(NULL))) != PS_OK)
		return r;
	return PS_CREATED;
}

/* CREATE: one link, <name>;ct=N, with a name of one plain segment. */
static void
legacy_create(struct ps_legacy *pl, coap_session_t *ses, const coap_pdu_t *req,
    coap_pdu_t *resp, const char *path)
{
	const struct lf_limits	 lim = { 2, 8, 256 };
	struct cu_partial	*held;
	const uint8_t		*data;
	const struct lf_attr	*ct;
	struct lf_doc		 doc;
	struct lf_error		 err;
	struct ps_topic		*t;
	const char		*name;
	char			 tpath[CU_PATH_MAX + 1], *end;
	char			 obj[AUTHZ_OBJECT_MAX];
	size_t			 len;
	long			 cf, lifetime = cu_uint_option(req,
				    COAP_OPTION_MAXAGE);
	enum ps_result		 r;
	enum lf_status		 ls;

	if (cu_body_get(pl->bodies, ses, req, resp, &data, &len, &held) !=
	    CU_BODY_DONE)
		return;
	ls = lf_parse((const char *)data, len, &lim, &doc, &err);
	cu_body_release(held);
	if (ls != LF_OK || doc.nlinks != 1) {
		if (ls == LF_OK)
			lf_doc_free(&doc);
		cu_respond(resp, 400, "creation takes exactly one link");
		return;
	}
	name = doc.links[0].target;
	ct = lf_link_attr(&doc.links[0], "ct");
	cf = ct && ct->value ? strtol(ct->value, &end, 10) : -1;
	if (*name == '\0' || strchr(name, '/') || strchr(name, '?') ||
	    strchr(name, '#') || strchr(name, ':') || !strcmp(name, ".") ||
	    !strcmp(name, "..") || ct == NULL || ct->value == NULL ||
	    *end != '\0' || cf < 0 || cf > 65535 ||
	    snprintf(tpath, sizeof(tpath), "%s/%s", path, name) >=
	    (int)sizeof(tpath)) {
		lf_doc_free(&doc);
		cu_respond(resp, 400, "the link must be <name>;ct=N with a "
		    "name of one segment");
		return;
	}
	lf_doc_free(&doc);
	if (!authz_check(ses, resp, authz_ps_object(obj, sizeof(obj),
	    tpath + strlen(pl->root) + 1), ACL_CREATE))
		return;
	/* CREATE again refreshes the lifetime (-09 section 4.2). */
	if ((t = ps_topic_find_data(&pl->ps->reg, tpath)) != NULL) {
		if (!ps_coap_may_admin(ses, resp, t))
			return;
		if (!(t->props.present & PS_P_CF) || t->props.cf != (uint32_t)cf)
			r = PS_EINVAL;
		else
			r = ps_set_lifetime(pl->ps, t, lifetime > 0 ?
			    (uint32_t)lifetime : 0, cu_now_ms(),
			    (int64_t)time(NULL));
		if (r != PS_OK) {
			ps_coap_respond_result(resp, r, NULL, 0);
			return;
		}
	} else if (!ps_coap_topic_allowed(pl->pc, ses, resp))
		return;
	else if ((r = create_at(pl, tpath, (int)cf, lifetime > 0 ?
	    (uint32_t)lifetime : 0, listen_session_principal(ses)->name,
	    &t)) != PS_CREATED) {
		ps_coap_respond_result(resp, r, NULL, 0);
		return;
	} else
		log_info("ps", "topic \"%s\" created at %s by %s",
		    t->props.name, tpath, listen_session_principal(ses)->name);
	cu_answer(pl->ps->batch, ses, req, resp, 201, t->id, answer, pl);
}

/* Creates every missing level of path (create-on-publish). */
static enum ps_result
create_levels(struct ps_legacy *pl, const char *path, int cf,
    const char *owner, struct ps_topic **out)
{
	char		 part[CU_PATH_MAX + 1];
	const char	*p = path + strlen(pl->root);
	struct ps_topic	*t;
	enum ps_result	 r;
	int		 depth = 0;

	while ((p = strchr(p + 1, '/')) != NULL) {
		if (++depth >= LEGACY_DEPTH_MAX)
			return PS_EINVAL;
		snprintf(part, sizeof(part), "%.*s", (int)(p - path), path);
		if ((t = ps_topic_find_data(&pl->ps->reg, part)) != NULL) {
			if (!is_parent(t))
				return PS_EINVAL;
			continue;
		}
		if ((r = create_at(pl, part, CF_LINK_FORMAT, 0, owner, &t)) !=
		    PS_CREATED)
			return r;
	}
	return create_at(pl, path, cf, 0, owner, out);
}

/*
 * A publish that creates its topic creates every missing level: each must
 * be allowed, and all of them must fit in the principal's topic quota.
 */
static int
levels_allowed(struct ps_legacy *pl, coap_session_t *ses, coap_pdu_t *resp,
    const char *path)
{
	const struct principal	*pr = listen_session_principal(ses);
	const char		*p = path + strlen(pl->root), *slash;
	char			 part[CU_PATH_MAX + 1], obj[AUTHZ_OBJECT_MAX];
	char			 diag[96];
	struct acl_quota	 q;
	uint32_t		 nnew = 0;

	do {
		slash = strchr(p + 1, '/');
		snprintf(part, sizeof(part), "%.*s", (int)(slash ?
		    (size_t)(slash - path) : strlen(path)), path);
		if (ps_topic_find_data(&pl->ps->reg, part) == NULL) {
			if (!authz_check(ses, resp, authz_ps_object(obj,
			    sizeof(obj), part + strlen(pl->root) + 1),
			    ACL_CREATE))
				return 0;
			nnew++;
		}
		p = slash;
	} while (slash != NULL);
	authz_quota(pr, &q);
	if (q.topics && tally_get(&pl->ps->reg.owners, pr->name) + nnew >
	    q.topics) {
		snprintf(diag, sizeof(diag), "quota: at most %u topics",
		    q.topics);
		authz_over_quota(ses, resp, diag);
		return 0;
	}
	return 1;
}

static void
legacy_publish(struct ps_legacy *pl, coap_session_t *ses,
    const coap_pdu_t *req, coap_pdu_t *resp, const char *path,
    struct ps_topic *t)
{
	struct cu_partial	*held;
	const uint8_t		*data;
	size_t			 len;
	uint32_t		 retry = 1;
	long			 cf = cu_uint_option(req,
				    COAP_OPTION_CONTENT_FORMAT);
	unsigned int		 code = 204;
	enum ps_result		 r;
	char			 obj[AUTHZ_OBJECT_MAX];

	if (t != NULL && is_parent(t)) {
		cu_respond(resp, 400, "a parent topic takes no value");
		return;
	}
	if (t != NULL ? !ps_coap_may(ses, resp, t, ACL_PUBLISH) :
	    (!authz_check(ses, resp, authz_ps_object(obj, sizeof(obj),
	    path + strlen(pl->root) + 1), ACL_PUBLISH) ||
	    !levels_allowed(pl, ses, resp, path)))
		return;
	if (!ps_coap_publish_allowed(pl->pc, ses, resp))
		return;
	if (cu_body_get(pl->bodies, ses, req, resp, &data, &len, &held) !=
	    CU_BODY_DONE)
		return;
	if (t == NULL) {
		if (!pl->create_on_publish) {
			cu_body_release(held);
			cu_respond(resp, 404, NULL);
			return;
		}
		if ((r = create_levels(pl, path, (int)cf,
		    listen_session_principal(ses)->name, &t)) != PS_CREATED) {
			cu_body_release(held);
			ps_coap_respond_result(resp, r, NULL, 0);
			return;
		}
		log_info("ps", "topic \"%s\" created on publish by %s",
		    t->props.name, listen_session_principal(ses)->name);
		code = 201;
	}
	r = ps_publish(pl->ps, t, data, len, (int)cf, cu_now_ms(), &retry);
	cu_body_release(held);
	if (r != PS_OK && r != PS_CREATED) {
		ps_coap_respond_result(resp, r, NULL, retry);
		return;
	}
	/* A publish renews the topic's lifetime (-09 section 4.3). */
	if (t->lifetime > 0 && (r = ps_set_lifetime(pl->ps, t, t->lifetime,
	    cu_now_ms(), (int64_t)time(NULL))) != PS_OK) {
		ps_coap_respond_result(resp, r, NULL, 0);
		return;
	}
	cu_answer(pl->ps->batch, ses, req, resp, code,
	    code == 201 ? t->id : 0, answer, pl);
}

/* REMOVE: the topic and, recursively, its sub-topics. */
static void
legacy_delete(struct ps_legacy *pl, coap_session_t *ses,
    const coap_pdu_t *req, coap_pdu_t *resp, struct ps_topic *t)
{
	struct ps_topic	*s, *next;
	char		 prefix[CU_PATH_MAX + 2];
	size_t		 n;
	enum ps_result	 r;

	if (!ps_coap_may_admin(ses, resp, t))
		return;
	n = (size_t)snprintf(prefix, sizeof(prefix), "%s/", t->props.data_uri);
	/* Sub-topics may be other principals': all must allow it first. */
	for (s = pl->ps->reg.by_id; s != NULL; s = s->hh_id.next)
		if (strncmp(s->props.data_uri, prefix, n) == 0 &&
		    !ps_coap_may_admin(ses, resp, s))
			return;
	for (s = pl->ps->reg.by_id; s != NULL; s = next) {
		next = s->hh_id.next;
		if (strncmp(s->props.data_uri, prefix, n) != 0)
			continue;
		log_info("ps", "topic \"%s\" removed by %s with \"%s\"",
		    s->props.name, listen_session_principal(ses)->name,
		    t->props.name);
		if ((r = ps_delete(pl->ps, s)) != PS_OK) {
			ps_coap_respond_result(resp, r, NULL, 0);
			return;
		}
	}
	log_info("ps", "topic \"%s\" removed by %s", t->props.name,
	    listen_session_principal(ses)->name);
	if ((r = ps_delete(pl->ps, t)) != PS_OK) {
		ps_coap_respond_result(resp, r, NULL, 0);
		return;
	}
	cu_answer(pl->ps->batch, ses, req, resp, 202, 0, answer, pl);
}

static void
legacy_request(struct ps_legacy *pl, coap_resource_t *res,
    coap_session_t *ses, const coap_pdu_t *req, const char *path,
    const coap_string_t *qs, coap_pdu_t *resp)
{
	struct ps_topic	*t;
	int		 root = strcmp(path, pl->root) == 0;

	if (cu_held(ses, req))
		return;
	t = root ? NULL : topic_at(pl, path);
	switch (coap_pdu_get_code(req)) {
	case COAP_REQUEST_CODE_GET:
		if (root || (t != NULL && is_parent(t)))
			list_children(pl, res, ses, req, qs, resp, path);
		else if (t != NULL && ps_coap_may(ses, resp, t, ACL_SUBSCRIBE))
			ps_coap_get(pl->pc, res, ses, req, qs, resp, t,
			    max_age_of(t));
		else if (t != NULL)
			break;
		else
			cu_respond(resp, 404, NULL);
		break;
	case COAP_REQUEST_CODE_POST:
		if (root || (t != NULL && is_parent(t))) {
			if (cu_uint_option(req, COAP_OPTION_CONTENT_FORMAT) !=
			    CF_LINK_FORMAT)
				cu_respond(resp, 415, "creation is "
				    "application/link-format");
			else
				legacy_create(pl, ses, req, resp, root ?
				    pl->root : t->props.data_uri);
		} else if (t != NULL)
			legacy_publish(pl, ses, req, resp, path, t);
		else
			cu_respond(resp, 404, NULL);
		break;
	case COAP_REQUEST_CODE_PUT:
		if (root)
			cu_respond(resp, 405, NULL);
		else
			legacy_publish(pl, ses, req, resp, path, t);
		break;
	case COAP_REQUEST_CODE_DELETE:
		if (root)
			cu_respond(resp, 405, NULL);
		else if (t == NULL)
			cu_respond(resp, 404, NULL);
		else
			legacy_delete(pl, ses, req, resp, t);
		break;
	default:
		cu_respond(resp, 405, NULL);
	}
}

static void
hnd_path(void *arg, coap_resource_t *res, coap_session_t *ses,
    const coap_pdu_t *req, const char *path, const coap_string_t *qs,
    coap_pdu_t *resp)
{
	legacy_request(arg, res, ses, req, path, qs, resp);
}

static void
hnd_root(coap_resource_t *res, coap_session_t *ses, const coap_pdu_t *req,
    const coap_string_t *qs, coap_pdu_t *resp)
{
	struct ps_legacy *pl = coap_resource_get_userdata(res);

	if (!authz_gate(ses, resp))
		return;
	legacy_request(pl, res, ses, req, pl->root, qs, resp);
}

int
ps_legacy_route(struct ps_legacy *pl, struct dispatch *d)
{
	return dispatch_add(d, pl->root, hnd_path, pl);
}

void
ps_legacy_attach(coap_context_t *ctx, void *arg)
{
	coap_resource_t *r;

	if ((r = cu_resource(ctx, ((struct ps_legacy *)arg)->root,
	    "\"core.ps core.ps.discover\"", arg)) == NULL)
		return;
	cu_register(r, COAP_REQUEST_GET, hnd_root);
	cu_register(r, COAP_REQUEST_POST, hnd_root);
	cu_register(r, COAP_REQUEST_PUT, hnd_root);
	cu_register(r, COAP_REQUEST_DELETE, hnd_root);
}

void
ps_legacy_reconfigure(struct ps_legacy *pl, const struct config *c)
{
	if (pl == NULL)
		return;
	pl->create_on_publish = c->ps_legacy_create_on_publish;
	pl->max_response = c->max_response;
	cu_bodies_set_max(pl->bodies, c->max_payload);
}

struct ps_legacy *
ps_legacy_new(struct ps *ps, struct ps_coap *pc, const struct config *c)
{
	struct ps_legacy *pl;

	if ((pl = calloc(1, sizeof(*pl))) == NULL)
		return NULL;
	pl->ps = ps;
	pl->pc = pc;
	if ((pl->root = strdup(c->ps_legacy_path)) == NULL ||
	    (pl->bodies = cu_bodies_new(c->max_payload)) == NULL ||
	    ps_registry_set_legacy(&ps->reg, pl->root) == -1) {
		ps_legacy_free(pl);
		return NULL;
	}
	ps_legacy_reconfigure(pl, c);
	return pl;
}

void
ps_legacy_free(struct ps_legacy *pl)
{
	if (pl == NULL)
		return;
	cu_bodies_free(pl->bodies);
	free(pl->root);
	free(pl);
}
