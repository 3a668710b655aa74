#include "ac_config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "coaputil.h"
#include "config.h"
#include "linkformat.h"
#include "log.h"
#include "ps.h"
#include "ps_rd.h"
#include "rd.h"
#include "rd_request.h"

#define PS_RD_OWNER	"corehub"

struct ps_rd {
	struct ps	*ps;
	struct rd	*rd;
	char		*base;
	char		*coll, *legacy;
	unsigned int	 conf_cf;
};

/* Registers (or registers again) ep with the links in text. */
static enum rd_result
put(struct ps_rd *pr, const char *ep, const char *text)
{
	const struct lf_limits	 lim = LF_LIMITS_DEFAULT;
	struct rd_request	 req;
	struct lf_doc		 links;
	struct lf_error		 err;
	enum rd_result		 r;
	uint64_t		 id;

	if (lf_parse(text, strlen(text), &lim, &links, &err) != LF_OK) {
		log_warnx("ps", "%s: links for the directory: %s", ep,
		    err.msg);
		return RD_EINVAL;
	}
	memset(&req, 0, sizeof(req));
	req.ep = (char *)ep;
	req.d = (char *)PS_RD_SECTOR;
	req.lt = RD_LT_MAX;
	req.has_lt = 1;
	req.base = pr->base;
	r = rd_register(pr->rd, &req, &links, NULL, PS_RD_OWNER, cu_now_ms(),
	    (int64_t)time(NULL), &id);
	lf_doc_free(&links);
	return r;
}

static void
topic_ep(const struct ps_topic *t, char *ep, size_t size)
{
	snprintf(ep, size, "topic-%" PRIu64, t->id);
}

static void
register_topic(void *arg, struct ps_topic *t)
{
	struct ps_rd	*pr = arg;
	struct buf	 b;
	char		 ep[32];
	enum rd_result	 r;

	topic_ep(t, ep, sizeof(ep));
	buf_init(&b, 4096);
	if (buf_printf(&b, "<%s/%" PRIu64 ">;rt=\"core.ps.conf\";ct=%u,",
	    pr->coll, t->id, pr->conf_cf) == -1 ||
	    lf_write_target(&b, t->props.data_uri) == -1 ||
	    lf_write_attr(&b, "rt", t->props.rt, 1) == -1 ||
	    ((t->props.present & PS_P_CF) &&
	    buf_printf(&b, ";ct=%u", t->props.cf) == -1) ||
	    buf_addstr(&b, ";obs") == -1) {
		log_warnx("ps", "topic \"%s\": out of memory for the "
		    "directory", t->props.name);
		buf_free(&b);
		return;
	}
	r = put(pr, ep, b.data);
	if (r != RD_OK && r != RD_CREATED)
		log_warnx("ps", "topic \"%s\" not in the directory: %s",
		    t->props.name, rd_result_text(r));
	buf_free(&b);
}

static void
remove_topic(void *arg, struct ps_topic *t)
{
	struct ps_rd	*pr = arg;
	struct rd_reg	*reg;
	char		 ep[32];

	/* A reload from the store is no deletion: ps_rd_sync() follows. */
	if (pr->ps->reloading)
		return;
	topic_ep(t, ep, sizeof(ep));
	if ((reg = rd_registry_find(&pr->rd->reg, ep, PS_RD_SECTOR)) != NULL &&
	    rd_remove(pr->rd, reg->id) != RD_OK)
		log_warnx("ps", "topic \"%s\" stays in the directory until "
		    "the next start", t->props.name);
}

static int
register_broker(struct ps_rd *pr)
{
	char		text[512];
	enum rd_result	r;

	if (pr->legacy != NULL)
		snprintf(text, sizeof(text), "<%s>;rt=\"core.ps core.ps.coll\";"
		    "ct=40,<%s>;rt=\"core.ps core.ps.discover\";ct=40",
		    pr->coll, pr->legacy);
	else
		snprintf(text, sizeof(text), "<%s>;rt=\"core.ps core.ps.coll\";"
		    "ct=40", pr->coll);
	r = put(pr, "broker", text);
	return r == RD_OK || r == RD_CREATED ? 0 : -1;
}

int
ps_rd_sync(struct ps_rd *pr)
{
	struct rd_reg	*reg, *next;
	struct ps_topic	*t;
	char		 ep[32];
	size_t		 added = 0, removed = 0;

	if (register_broker(pr) == -1)
		log_warnx("ps", "the broker could not register in the "
		    "directory");
	for (t = pr->ps->reg.by_id; t != NULL; t = t->hh_id.next) {
		topic_ep(t, ep, sizeof(ep));
		if (rd_registry_find(&pr->rd->reg, ep, PS_RD_SECTOR) == NULL) {
			register_topic(pr, t);
			added++;
		}
	}
	for (reg = pr->rd->reg.head; reg != NULL; reg = next) {
		uint64_t id;

		next = reg->next;
		if (reg->d == NULL || strcmp(reg->d, PS_RD_SECTOR) != 0 ||
		    sscanf(reg->ep, "topic-%" SCNu64, &id) != 1 ||
		    ps_topic_find(&pr->ps->reg, id) != NULL)
			continue;
		if (rd_remove(pr->rd, reg->id) == RD_OK)
			removed++;
	}
	if (added || removed)
		log_info("ps", "directory: %zu topics registered, %zu removed",
		    added, removed);
	return 0;
}

static void
reloaded(void *arg)
{
	(void)ps_rd_sync(arg);
}

char *
ps_rd_base(const struct config *c)
{
	const struct config_listener	*l = TAILQ_FIRST(&c->listeners);
	const char			*scheme, *host;
	char				 out[RD_BASE_MAX];

	if (c->ps_rd_base != NULL && strcmp(c->ps_rd_base, "off") == 0)
		return NULL;
	if (c->ps_rd_base != NULL && strcmp(c->ps_rd_base, "auto") != 0)
		return strdup(c->ps_rd_base);
	if (l == NULL)
		return NULL;
	switch (l->proto) {
	case CONFIG_PROTO_COAPS:
		scheme = "coaps";
		break;
	case CONFIG_PROTO_COAP_TCP:
		scheme = "coap+tcp";
		break;
	case CONFIG_PROTO_COAPS_TCP:
		scheme = "coaps+tcp";
		break;
	default:
		scheme = "coap";
	}
	/* A wildcard is no address to reach: loopback stands in for it. */
	host = strcmp(l->host, "0.0.0.0") == 0 ? "127.0.0.1" :
	    strcmp(l->host, "::") == 0 ? "::1" : l->host;
	snprintf(out, sizeof(out), l->family == AF_INET6 ? "%s://[%s]:%u" :
	    "%s://%s:%u", scheme, host, l->port);
	return strdup(out);
}

struct ps_rd *
ps_rd_new(struct ps *ps, struct rd *rd, const char *base,
    const struct config *c)
{
	struct ps_rd		*pr;
	struct ps_events	 ev = {
		.created = register_topic,
		.reconfigured = register_topic,
		.removing = remove_topic,
		.reloaded = reloaded
	};

	if ((pr = calloc(1, sizeof(*pr))) == NULL)
		return NULL;
	ev.arg = pr;
	pr->ps = ps;
	pr->rd = rd;
	pr->conf_cf = c->ps_content_format;
	if ((pr->base = strdup(base)) == NULL ||
	    (pr->coll = strdup(c->ps_path)) == NULL ||
	    (c->ps_legacy_path != NULL &&
	    (pr->legacy = strdup(c->ps_legacy_path)) == NULL) ||
	    ps_listen(ps, &ev) == -1) {
		ps_rd_free(pr);
		return NULL;
	}
	return pr;
}

void
ps_rd_free(struct ps_rd *pr)
{
	if (pr == NULL)
		return;
	ps_unlisten(pr->ps, pr);
	free(pr->base);
	free(pr->coll);
	free(pr->legacy);
	free(pr);
}
