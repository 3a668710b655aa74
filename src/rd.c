#include "ac_config.h"

#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "log.h"
#include "rd.h"
#include "stats.h"
#include "tally.h"
#include "rd_request.h"
#include "store.h"

void
rd_init(struct rd *rd, struct store *store, const struct rd_limits *lim)
{
	memset(rd, 0, sizeof(*rd));
	rd->store = store;
	rd->lim = *lim;
	rd_registry_init(&rd->reg, (uint64_t)lim->grace * 1000);
}

void
rd_free(struct rd *rd)
{
	rd_registry_clear(&rd->reg);
	(void)rd_registry_set_proxy_base(&rd->reg, NULL);
}

static void
rolled_back(void *arg, uint64_t now_ms, int64_t now_wall)
{
	struct rd *rd = arg;

	rd_registry_clear(&rd->reg);
	if (rd_restore(rd, now_ms, now_wall) == -1)
		log_err("rd", "the directory could not be reloaded");
	rd->notify_pending = 1;
}

static void notify(struct rd *, const struct rd_reg *, const struct rd_reg *);

static void
batch_ended(void *arg)
{
	struct rd *rd = arg;

	if (rd->notify_pending) {
		rd->notify_pending = 0;
		notify(rd, NULL, NULL);
	}
}

int
rd_set_batch(struct rd *rd, struct batch *b)
{
	struct batch_member m = { rolled_back, batch_ended, rd };

	if (batch_add_member(b, &m) == -1)
		return -1;
	rd->batch = b;
	return 0;
}

int
rd_in_batch(const struct rd *rd)
{
	return rd->batch != NULL && batch_open(rd->batch);
}

/* Opens the batch a change joins (group commit only). */
static enum rd_result
batch_enter(struct rd *rd)
{
	enum store_write w;

	if (rd->batch == NULL ||
	    (w = batch_join(rd->batch)) == STORE_WRITE_OK)
		return RD_OK;
	return w == STORE_WRITE_BUSY ? RD_EBUSY : RD_EFAIL;
}

const char *
rd_result_text(enum rd_result r)
{
	switch (r) {
	case RD_OK:
	case RD_CREATED:
		return "ok";
	case RD_ENOTFOUND:
		return "no such registration";
	case RD_EINVAL:
		return "invalid request";
	case RD_ETOOLARGE:
		return "too many links";
	case RD_EFORBIDDEN:
		return "registered by another principal";
	case RD_EFULL:
		return "the directory is full";
	case RD_EBUSY:
		return "storage busy";
	case RD_EFAIL:
		return "internal error";
	}
	return "?";
}

unsigned int
rd_result_code(enum rd_result r)
{
	switch (r) {
	case RD_OK:
		return 204;
	case RD_CREATED:
		return 201;
	case RD_ENOTFOUND:
		return 404;
	case RD_EINVAL:
		return 400;
	case RD_ETOOLARGE:
		return 413;
	case RD_EFORBIDDEN:
		return 403;
	case RD_EFULL:
	case RD_EBUSY:
		return 503;
	case RD_EFAIL:
		return 500;
	}
	return 500;
}

static enum rd_result
from_store(enum store_write w)
{
	return w == STORE_WRITE_OK ? RD_OK :
	    w == STORE_WRITE_BUSY ? RD_EBUSY : RD_EFAIL;
}

/*
 * A write in a batch that fails may have rolled the whole transaction
 * back inside SQLite: the batch is then failed as a whole.
 */
static enum rd_result
written(struct rd *rd, enum store_write w)
{
	if (rd->batch != NULL)
		batch_written(rd->batch, w);
	return from_store(w);
}

static void
notify(struct rd *rd, const struct rd_reg *old, const struct rd_reg *now)
{
	/* Observers hear of a batch's changes once it is durable. */
	if (rd_in_batch(rd)) {
		rd->notify_pending = 1;
		return;
	}
	if (rd->changed != NULL)
		rd->changed(rd->changed_arg, old, now);
}

static int
copy_params(const struct rd_request *req, struct rd_content *c)
{
	if (req->nparams == 0)
		return 0;
	if ((c->params = calloc(req->nparams, sizeof(*c->params))) == NULL)
		return -1;
	for (size_t i = 0; i < req->nparams; i++) {
		c->nparams++;
		if ((c->params[i].name = strdup(req->params[i].name)) == NULL ||
		    (req->params[i].value && (c->params[i].value =
		    strdup(req->params[i].value)) == NULL))
			return -1;
	}
	return 0;
}

static enum rd_result
make_content(const struct rd_request *req, struct lf_doc *links,
    const char *con, const char *owner, struct rd_content *c)
{
	memset(c, 0, sizeof(*c));
	c->lt = req->lt;
	if ((req->base && (c->base = strdup(req->base)) == NULL) ||
	    (con && (c->con = strdup(con)) == NULL) ||
	    (owner && (c->owner = strdup(owner)) == NULL) ||
	    (req->link && (c->link = strdup(req->link)) == NULL) ||
	    copy_params(req, c) == -1) {
		rd_content_free(c);
		return RD_EFAIL;
	}
	c->links = *links;
	memset(links, 0, sizeof(*links));
	return RD_OK;
}

enum rd_result
rd_register(struct rd *rd, const struct rd_request *req, struct lf_doc *links,
    const char *con, const char *owner, uint64_t now_ms, int64_t now_wall,
    uint64_t *id)
{
	struct rd_reg		*reg;
	struct rd_content	 c;
	enum rd_result		 res;
	int64_t			 expires = now_wall + req->lt;
	uint64_t		 deadline = now_ms + (uint64_t)req->lt * 1000;

	if (req->ep == NULL)
		return RD_EINVAL;
	if (req->base == NULL && con == NULL)
		return RD_EINVAL;
	if (links->nlinks > rd->lim.max_links)
		return RD_ETOOLARGE;
	reg = rd_registry_find(&rd->reg, req->ep, req->d);
	/* An expired one, still in its grace time, is free to take over. */
	if (reg != NULL && !reg->expired &&
	    rd_check_owner(reg, owner) != RD_OK)
		return RD_EFORBIDDEN;
	/* At the cap, only what already exists may be registered again. */
	if (reg == NULL && rd->reg.count >= rd->lim.max_registrations)
		return RD_EFULL;
	*id = reg ? reg->id : rd->reg.next_id;
	if ((res = batch_enter(rd)) != RD_OK ||
	    (res = make_content(req, links, con, owner, &c)) != RD_OK)
		return res;
	res = written(rd, store_rd_save(rd->store, *id, req->ep, req->d, &c,
	    &c.links, expires));
	if (res != RD_OK)
		goto fail;
	if (reg != NULL) {
		if (rd_registry_replace(&rd->reg, reg, &c, expires,
		    deadline) == -1) {
			res = RD_EFAIL;
			goto fail;
		}
		notify(rd, reg, reg);
		return RD_OK;
	}
	if ((reg = rd_registry_add(&rd->reg, *id, req->ep, req->d, &c,
	    expires, deadline)) == NULL) {
		/* Stored but not in memory: take the row back. */
		(void)written(rd, store_rd_delete(rd->store, *id));
		res = RD_EFAIL;
		goto fail;
	}
	notify(rd, NULL, reg);
	return RD_CREATED;
fail:
	*links = c.links;
	memset(&c.links, 0, sizeof(c.links));
	rd_content_free(&c);
	return res;
}

enum rd_result
rd_update(struct rd *rd, uint64_t id, const struct rd_request *req,
    const char *con, uint64_t now_ms, int64_t now_wall)
{
	struct rd_reg		*reg = rd_registry_find_id(&rd->reg, id);
	struct rd_content	 c;
	enum rd_result		 res;
	uint32_t		 lt;

	if (reg == NULL)
		return RD_ENOTFOUND;
	/* ep and d name the registration: they cannot change here. */
	if ((req->ep && strcmp(req->ep, reg->ep) != 0) ||
	    (req->d && (reg->d == NULL || strcmp(req->d, reg->d) != 0)))
		return RD_EINVAL;
	lt = req->has_lt ? req->lt : reg->c.lt;
	if ((res = batch_enter(rd)) != RD_OK)
		return res;
	if (rd_content_refreshed(reg, lt, req->base, con, req->params,
	    req->nparams, &c) == -1)
		return RD_EFAIL;
	/* The caller worked out the link of the base as updated. */
	if (req->link && (c.link = strdup(req->link)) == NULL) {
		rd_content_free(&c);
		return RD_EFAIL;
	}
	res = written(rd, store_rd_save(rd->store, id, reg->ep, reg->d, &c,
	    &reg->c.links, now_wall + lt));
	if (res == RD_OK && rd_registry_refresh(&rd->reg, reg, &c,
	    now_wall + lt, now_ms + (uint64_t)lt * 1000) == -1)
		res = RD_EFAIL;
	rd_content_free(&c);
	if (res == RD_OK)
		notify(rd, reg, reg);
	return res;
}

enum rd_result
rd_remove(struct rd *rd, uint64_t id)
{
	struct rd_reg	*reg = rd_registry_find_id(&rd->reg, id);
	enum rd_result	 res;

	if (reg == NULL)
		return RD_ENOTFOUND;
	if ((res = batch_enter(rd)) != RD_OK ||
	    (res = written(rd, store_rd_delete(rd->store, id))) != RD_OK)
		return res;
	notify(rd, reg, NULL);
	rd_registry_remove(&rd->reg, reg);
	return RD_OK;
}

enum rd_result
rd_check_owner(const struct rd_reg *reg, const char *owner)
{
	const char *had = reg->c.owner;

	if ((had == NULL && owner == NULL) ||
	    (had != NULL && owner != NULL && strcmp(had, owner) == 0))
		return RD_OK;
	return RD_EFORBIDDEN;
}

static void
gone(struct rd_reg *reg, void *arg)
{
	struct rd *rd = arg;

	/* If the row cannot go now, the next start drops it anyway. */
	if (written(rd, store_rd_delete(rd->store, reg->id)) != RD_OK)
		log_warnx("rd", "registration ep=%s could not be deleted from "
		    "the store", reg->ep);
	log_info("rd", "registration ep=%s%s%s removed: not refreshed "
	    "within its grace time", reg->ep, reg->d ? " d=" : "",
	    reg->d ? reg->d : "");
	rd_registry_remove(&rd->reg, reg);
	stats_touch();
}

static void
expired(struct rd_reg *reg, void *arg)
{
	((struct rd *)arg)->expirations++;
	stats_touch();
	log_info("rd", "registration ep=%s%s%s expired", reg->ep,
	    reg->d ? " d=" : "", reg->d ? reg->d : "");
	/* Out of lookups from now on: observers must hear about it. */
	notify(arg, reg, NULL);
}

uint64_t
rd_expire(struct rd *rd, uint64_t now_ms)
{
	rd_registry_expire(&rd->reg, now_ms, expired, gone, rd);
	return rd_registry_next_deadline(&rd->reg);
}

struct restore_ctx {
	struct rd	*rd;
	uint64_t	 now_ms;
	int64_t		 now_wall;
	size_t		 loaded, dropped;
};

static int
restore_one(void *arg, uint64_t id, const char *ep, const char *d,
    struct rd_content *c, int64_t expires)
{
	struct restore_ctx	*ctx = arg;
	struct rd		*rd = ctx->rd;
	int64_t			 left = expires - ctx->now_wall;
	struct rd_reg		*reg;

	int64_t			 grace = (int64_t)rd->lim.grace;
	uint64_t		 deadline;

	if (left + grace <= 0) {
		(void)store_rd_delete(rd->store, id);
		rd_content_free(c);
		ctx->dropped++;
		return 0;
	}
	/* Expired while down: kept for what is left of its grace. */
	deadline = ctx->now_ms + (uint64_t)(left > 0 ? left : left + grace) *
	    1000;
	reg = rd_registry_add(&rd->reg, id, ep, d, c, expires, deadline);
	if (reg == NULL) {
		log_err("rd", "out of memory restoring registrations");
		return -1;
	}
	reg->expired = left <= 0;
	ctx->loaded++;
	return 0;
}

int
rd_restore(struct rd *rd, uint64_t now_ms, int64_t now_wall)
{
	struct restore_ctx ctx = { rd, now_ms, now_wall, 0, 0 };

	if (store_rd_load(rd->store, restore_one, &ctx) == -1)
		return -1;
	log_info("rd", "%zu registrations restored, %zu expired ones dropped",
	    ctx.loaded, ctx.dropped);
	return 0;
}

static const struct stats_metric m_regs = { "registrations",
	"corehub_registrations", "Registrations in the directory, those "
	"in their grace time included.", STATS_GAUGE, NULL };
static const struct stats_metric m_eps = { "endpoints", "corehub_endpoints",
	"Registered endpoints by sector (\"\" for none).", STATS_GAUGE,
	"sector" };
static const struct stats_metric m_links = { "links", "corehub_links",
	"Links held by all registrations.", STATS_GAUGE, NULL };
static const struct stats_metric m_expired = { "registration_expirations",
	"corehub_registration_expirations_total", "Registrations whose "
	"lifetime ran out.", STATS_COUNTER, NULL };

static const struct stats_metric m_sectors = { "sectors", "corehub_sectors",
	"Distinct sectors with endpoints.", STATS_GAUGE, NULL };
static const struct stats_metric m_other = { "endpoints_other_sectors",
	"corehub_endpoints_other_sectors", "Endpoints in the sectors that "
	"corehub_endpoints leaves out (it shows the largest only).",
	STATS_GAUGE, NULL };

struct sector_count {
	const char	*name;
	uint32_t	 n;
};

struct sector_list {
	struct sector_count	*v;
	size_t			 n, cap;
};

static void
add_sector(void *arg, const char *d, uint32_t n)
{
	struct sector_list *l = arg;

	if (l->n < l->cap)
		l->v[l->n++] = (struct sector_count){ d, n };
}

static int
by_count_desc(const void *a, const void *b)
{
	const struct sector_count *x = a, *y = b;

	return x->n < y->n ? 1 : x->n > y->n ? -1 : strcmp(x->name, y->name);
}

/*
 * Endpoints by sector. Sector names come from clients, so the series are
 * capped (RD_STATS_SECTORS, the largest) and the rest summed: a client
 * must not be able to grow every scrape without bound.
 */
static void
sector_stats(struct rd *rd, struct stats_sink *s)
{
	struct tally		 sectors = { NULL };
	struct sector_list	 l = { NULL, 0, 0 };
	struct rd_reg		*reg;
	size_t			 distinct = 0;
	uint64_t		 other = 0;

	for (reg = rd->reg.head; reg != NULL; reg = reg->next) {
		if (tally_get(&sectors, reg->d ? reg->d : "") == 0)
			distinct++;
		(void)tally_add(&sectors, reg->d ? reg->d : "", 1);
	}
	stats_declare(s, &m_eps);
	if ((l.v = calloc(distinct + 1, sizeof(*l.v))) != NULL) {
		l.cap = distinct;
		tally_foreach(&sectors, add_sector, &l);
		qsort(l.v, l.n, sizeof(*l.v), by_count_desc);
		for (size_t i = 0; i < l.n; i++) {
			if (i < RD_STATS_SECTORS)
				stats_put(s, &m_eps, l.v[i].name, l.v[i].n);
			else
				other += l.v[i].n;
		}
	}
	stats_put(s, &m_sectors, NULL, (double)distinct);
	stats_put(s, &m_other, NULL, (double)other);
	free(l.v);
	tally_clear(&sectors);
}

void
rd_stats(void *arg, struct stats_sink *s)
{
	struct rd *rd = arg;

	stats_put(s, &m_regs, NULL, (double)rd->reg.count);
	sector_stats(rd, s);
	stats_put(s, &m_links, NULL, (double)rd->reg.nlinks);
	stats_put(s, &m_expired, NULL, (double)rd->expirations);
}
