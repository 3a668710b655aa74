#include "ac_config.h"

#include <stdlib.h>
#include <string.h>

#include "batch.h"
#include "log.h"
#include "ps.h"
#include "stats.h"
#include "ps_cbor.h"
#include "store.h"

#define EXPIRE_BATCH	64

static enum ps_result
from_store(enum store_write w)
{
	return w == STORE_WRITE_OK ? PS_OK :
	    w == STORE_WRITE_BUSY ? PS_EBUSY : PS_EFAIL;
}

static enum ps_result
written(struct ps *ps, enum store_write w)
{
	if (ps->batch != NULL)
		batch_written(ps->batch, w);
	return from_store(w);
}

static enum ps_result
enter(struct ps *ps)
{
	return ps->batch == NULL ? PS_OK : from_store(batch_join(ps->batch));
}

int
ps_in_batch(const struct ps *ps)
{
	return ps->batch != NULL && batch_open(ps->batch);
}

int
ps_listen(struct ps *ps, const struct ps_events *ev)
{
	if (ps->nev == PS_LISTENERS_MAX)
		return -1;
	ps->ev[ps->nev++] = *ev;
	return 0;
}

void
ps_unlisten(struct ps *ps, void *arg)
{
	for (size_t i = 0; i < ps->nev; i++)
		if (ps->ev[i].arg == arg) {
			memmove(&ps->ev[i], &ps->ev[i + 1],
			    (ps->nev - i - 1) * sizeof(ps->ev[0]));
			ps->nev--;
			i--;
		}
}

/* Tells every listener that has a callback at field of an event on t. */
#define EMIT(ps, field, t) do {						\
	for (size_t i_ = 0; i_ < (ps)->nev; i_++)			\
		if ((ps)->ev[i_].field != NULL)				\
			(ps)->ev[i_].field((ps)->ev[i_].arg, (t));	\
} while (0)

static void
removing(struct ps_topic *t, void *arg)
{
	struct ps *ps = arg;

	EMIT(ps, removing, t);
}

static void
rolled_back(void *arg, uint64_t now_ms, int64_t now_wall)
{
	struct ps		*ps = arg;
	char			*prefix = strdup(ps->reg.data_prefix);
	char			*legacy = ps->reg.legacy_prefix ?
				    strdup(ps->reg.legacy_prefix) : NULL;
	const struct ps_limits	 lim = ps->reg.lim;	/* init clears reg */

	/* Subscribers of what was not durable hear it is gone. */
	ps->reloading = 1;
	ps_registry_clear(&ps->reg, removing, ps);
	ps->reloading = 0;
	ps->npending = 0;
	if (prefix == NULL ||
	    ps_registry_init(&ps->reg, prefix, &lim) == -1 ||
	    ps_registry_set_legacy(&ps->reg, legacy) == -1 ||
	    ps_restore(ps, now_ms, now_wall) == -1)
		log_err("ps", "the topics could not be reloaded");
	free(prefix);
	free(legacy);
	for (size_t i = 0; i < ps->nev; i++)
		if (ps->ev[i].reloaded != NULL)
			ps->ev[i].reloaded(ps->ev[i].arg);
}

/* Values reach subscribers once durable. */
static void
batch_ended(void *arg)
{
	struct ps	*ps = arg;
	struct ps_topic	*t;
	size_t		 n = ps->npending;

	ps->npending = 0;
	for (size_t i = 0; i < n; i++)
		if ((t = ps_topic_find(&ps->reg, ps->pending[i])) != NULL)
			EMIT(ps, published, t);
}

int
ps_set_batch(struct ps *ps, struct batch *b)
{
	struct batch_member m = { rolled_back, batch_ended, ps };

	if (batch_add_member(b, &m) == -1)
		return -1;
	ps->batch = b;
	return 0;
}

int
ps_init(struct ps *ps, struct store *store, const char *data_prefix,
    const struct ps_limits *lim)
{
	memset(ps, 0, sizeof(*ps));
	ps->store = store;
	return ps_registry_init(&ps->reg, data_prefix, lim);
}

void
ps_free(struct ps *ps)
{
	ps_registry_clear(&ps->reg, NULL, NULL);
	free(ps->pending);
	ps->pending = NULL;
}

static enum ps_result
save_config(struct ps *ps, uint64_t id, const struct ps_props *p,
    uint32_t lifetime, const char *owner)
{
	uint8_t		*cbor;
	size_t		 len;
	enum ps_result	 res;

	if (ps_cbor_encode_props(p, PS_P_ALL, &cbor, &len) != PS_CBOR_OK)
		return PS_EFAIL;
	res = written(ps, store_ps_save(ps->store, id, cbor, len, lifetime,
	    owner));
	free(cbor);
	return res;
}

static void
announce(struct ps *ps, struct ps_topic *t)
{
	if (ps_in_batch(ps) && !t->props.volatile_) {
		if (ps->npending == ps->cappending) {
			size_t	  ncap = ps->cappending ? ps->cappending * 2 :
				      64;
			uint64_t *n = reallocarray(ps->pending, ncap,
				      sizeof(*n));

			if (n == NULL) {
				log_warnx("ps", "out of memory: a "
				    "notification is dropped");
				return;
			}
			ps->pending = n;
			ps->cappending = ncap;
		}
		ps->pending[ps->npending++] = t->id;
		return;
	}
	EMIT(ps, published, t);
}

int
ps_is_owner(const struct ps_topic *t, const char *owner)
{
	return t->owner == NULL || (owner != NULL &&
	    strcmp(t->owner, owner) == 0);
}

enum ps_result
ps_create(struct ps *ps, const struct ps_props *in, const char *owner,
    uint64_t now_ms, int64_t now_wall, struct ps_topic **out,
    const char **why)
{
	struct ps_props	 p;
	struct ps_topic	*t;
	uint64_t	 id = ps->reg.next_id;
	enum ps_result	 res;
	char		*copy = NULL;
	int		 own = 0;	/* a transaction of our own */

	*out = NULL;
	if ((res = ps_topic_prepare(&ps->reg, in, id, now_wall, &p, why)) !=
	    PS_OK)
		return res;
	if (owner != NULL && (copy = strdup(owner)) == NULL) {
		res = PS_EFAIL;
		goto fail;
	}
	if ((res = enter(ps)) != PS_OK)
		goto fail;
	/* Outside a batch, the configuration and its first value go as one. */
	if (!ps_in_batch(ps) && (p.present & PS_P_INIT)) {
		if ((res = from_store(store_begin(ps->store))) != PS_OK)
			goto fail;
		own = 1;
	}
	if ((res = save_config(ps, id, &p, 0, owner)) != PS_OK)
		goto fail;
	if ((p.present & PS_P_INIT) && (res = written(ps,
	    store_ps_value(ps->store, id, 1, p.init, p.init_len,
	    (int)p.cf))) != PS_OK)
		goto fail;
	if (own && (res = from_store(store_commit(ps->store))) != PS_OK)
		goto fail;
	own = 0;
	if ((t = ps_topic_insert(&ps->reg, id, &p, now_ms, now_wall)) ==
	    NULL) {
		(void)written(ps, store_ps_delete(ps->store, id));
		res = PS_EFAIL;
		goto fail;
	}
	t->owner = copy;
	(void)tally_add(&ps->reg.owners, copy, 1);
	EMIT(ps, created, t);
	*out = t;
	return PS_CREATED;
fail:
	if (own)
		store_rollback(ps->store);
	free(copy);
	ps_props_clear(&p);
	return res;
}

enum ps_result
ps_update(struct ps *ps, struct ps_topic *t, const struct ps_props *in,
    int partial, uint64_t now_ms, int64_t now_wall, const char **why)
{
	struct ps_props	p;
	enum ps_result	res;

	if ((res = ps_topic_updated(&ps->reg, t, in, partial, now_wall, &p,
	    why)) != PS_OK)
		return res;
	if ((res = enter(ps)) != PS_OK ||
	    (res = save_config(ps, t->id, &p, t->lifetime, t->owner)) != PS_OK) {
		ps_props_clear(&p);
		return res;
	}
	ps_topic_reconfigure(&ps->reg, t, &p, now_ms, now_wall);
	EMIT(ps, reconfigured, t);
	return PS_OK;
}

enum ps_result
ps_delete(struct ps *ps, struct ps_topic *t)
{
	enum ps_result res;

	if ((res = enter(ps)) != PS_OK ||
	    (res = written(ps, store_ps_delete(ps->store, t->id))) != PS_OK)
		return res;
	log_debug("ps", "topic \"%s\" deleted", t->props.name);
	removing(t, ps);
	ps_topic_remove(&ps->reg, t);
	return PS_OK;
}

enum ps_result
ps_publish(struct ps *ps, struct ps_topic *t, const uint8_t *value,
    size_t len, int cf, uint64_t now_ms, uint32_t *retry_s)
{
	enum ps_result	res;
	int		first = !t->full;

	if ((res = ps_topic_check_publish(t, cf, len, &ps->reg.lim)) != PS_OK ||
	    (res = ps_topic_take_token(t, &ps->reg.lim, now_ms, retry_s)) !=
	    PS_OK)
		return res;
	if (!t->props.volatile_ && ((res = enter(ps)) != PS_OK ||
	    (res = written(ps, store_ps_value(ps->store, t->id, 1, value, len,
	    cf))) != PS_OK))
		return res;
	if (ps_topic_set_value(t, value, len, cf) == -1)
		return PS_EFAIL;
	ps->publications++;
	announce(ps, t);
	return first ? PS_CREATED : PS_OK;
}

enum ps_result
ps_clear(struct ps *ps, struct ps_topic *t)
{
	enum ps_result res;

	if (!t->full)
		return PS_ENOTFOUND;
	if ((res = enter(ps)) != PS_OK ||
	    (res = written(ps, store_ps_value(ps->store, t->id, 0, NULL, 0,
	    -1))) != PS_OK)
		return res;
	ps_topic_clear_value(t);
	EMIT(ps, emptied, t);
	return PS_OK;
}

enum ps_result
ps_set_lifetime(struct ps *ps, struct ps_topic *t, uint32_t lifetime,
    uint64_t now_ms, int64_t now_wall)
{
	uint32_t	present = t->props.present, old_lifetime = t->lifetime;
	int64_t		expires = t->props.expires;
	uint64_t	deadline = t->deadline;
	enum ps_result	res;

	ps_topic_set_lifetime(&ps->reg, t, lifetime, now_ms, now_wall);
	if ((res = enter(ps)) != PS_OK ||
	    (res = save_config(ps, t->id, &t->props, lifetime,
	    t->owner)) != PS_OK) {
		/* Not durable: the old expiry stands. */
		t->props.present = present;
		t->props.expires = expires;
		t->lifetime = old_lifetime;
		ps_topic_set_deadline(&ps->reg, t, deadline);
	}
	return res;
}

uint64_t
ps_expire(struct ps *ps, uint64_t now_ms)
{
	struct ps_topic	*due[EXPIRE_BATCH];
	size_t		 n;

	do {
		n = ps_registry_due(&ps->reg, now_ms, due, EXPIRE_BATCH);
		for (size_t i = 0; i < n; i++) {
			log_info("ps", "topic \"%s\" expired",
			    due[i]->props.name);
			ps->expirations++;
			stats_touch();
			if (ps_delete(ps, due[i]) != PS_OK) {
				/* Try again later rather than spin now. */
				ps_topic_set_deadline(&ps->reg, due[i],
				    now_ms + 1000);
			}
		}
	} while (n == EXPIRE_BATCH);
	return ps_registry_next_deadline(&ps->reg);
}

struct restore_ctx {
	struct ps	*ps;
	uint64_t	 now_ms;
	int64_t		 now_wall;
	size_t		 loaded, dropped;
};

static int
restore_one(void *arg, const struct store_ps_row *row)
{
	struct restore_ctx	*ctx = arg;
	struct ps		*ps = ctx->ps;
	struct ps_props		 p;
	struct ps_topic		*t;
	const char		*why = NULL;

	if (ps_cbor_decode_props(row->config, row->config_len, &p, &why) !=
	    PS_CBOR_OK || !(p.present & PS_P_NAME) || !(p.present & PS_P_DATA)) {
		log_warnx("ps", "topic %llu cannot be read back (%s); skipped",
		    (unsigned long long)row->id, why ? why : "incomplete");
		ps_props_clear(&p);
		return 0;
	}
	if ((p.present & PS_P_EXPIRES) && p.expires <= ctx->now_wall) {
		(void)store_ps_delete(ps->store, row->id);
		ps_props_clear(&p);
		ctx->dropped++;
		return 0;
	}
	/* The initialize value is the stored one's starting point only. */
	if ((t = ps_topic_insert(&ps->reg, row->id, &p, ctx->now_ms,
	    ctx->now_wall)) == NULL) {
		ps_props_clear(&p);
		log_err("ps", "out of memory restoring topics");
		return -1;
	}
	t->lifetime = row->lifetime;
	if (row->owner != NULL && (t->owner = strdup(row->owner)) == NULL)
		return -1;
	(void)tally_add(&ps->reg.owners, t->owner, 1);
	if (row->full) {
		if (ps_topic_set_value(t, row->value, row->value_len,
		    row->value_cf) == -1)
			return -1;
	} else
		ps_topic_clear_value(t);
	ctx->loaded++;
	return 0;
}

int
ps_restore(struct ps *ps, uint64_t now_ms, int64_t now_wall)
{
	struct restore_ctx ctx = { ps, now_ms, now_wall, 0, 0 };

	if (store_ps_load(ps->store, restore_one, &ctx) == -1)
		return -1;
	log_info("ps", "%zu topics restored, %zu expired ones dropped",
	    ctx.loaded, ctx.dropped);
	return 0;
}

static const struct stats_metric m_topics = { "topics", "corehub_topics",
	"Topics of the broker, half-created ones included.", STATS_GAUGE,
	NULL };
static const struct stats_metric m_pubs = { "publications",
	"corehub_publications_total", "Values published on topics.",
	STATS_COUNTER, NULL };
static const struct stats_metric m_expired = { "topic_expirations",
	"corehub_topic_expirations_total", "Topics removed at their "
	"expiration-date.", STATS_COUNTER, NULL };

void
ps_stats(void *arg, struct stats_sink *s)
{
	struct ps *ps = arg;

	stats_put(s, &m_topics, NULL, (double)ps->reg.count);
	stats_put(s, &m_pubs, NULL, (double)ps->publications);
	stats_put(s, &m_expired, NULL, (double)ps->expirations);
}
