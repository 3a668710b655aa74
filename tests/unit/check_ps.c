/*
 * The broker core: the topic model of draft-ietf-core-coap-pubsub-21
 * (creation, immutable and default properties, the half-created state,
 * publish checks and rate, FETCH matching, expiration) and the service
 * over the store (restore after reopen, volatile topics, failed writes,
 * group commit and when subscribers hear of a value).
 */
#include "ac_config.h"

#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "batch.h"
#include "buf.h"
#include "common.h"
#include "log.h"
#include "ps.h"
#include "config.h"
#include "ps_cbor.h"
#include "ps_rd.h"
#include "rd.h"
#include "rd_lookup.h"
#include "store.h"

static char		 dir[64], db[128];
static struct store	*st;
static struct ps	 ps;
static const struct ps_limits lim = { 4, 50, 0, 100 };
static uint64_t		 now_ms = 1000000;
static int64_t		 now_wall = 1700000000;
static int		 published, removed, emptied;

static void
on_published(void *arg, struct ps_topic *t)
{
	published++;
}

static void
on_removing(void *arg, struct ps_topic *t)
{
	removed++;
}

static void
on_emptied(void *arg, struct ps_topic *t)
{
	emptied++;
}

static void
hook(struct ps *p)
{
	struct ps_events ev = {
		.published = on_published,
		.emptied = on_emptied,
		.removing = on_removing
	};

	ck_assert_int_eq(ps_listen(p, &ev), 0);
}

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/corehub-ps-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(db, sizeof(db), "%s/ps.db", dir);
	log_set_level(LOG_CRIT);
	ck_assert_int_eq(store_open(db, &st), STORE_OK);
	ck_assert_int_eq(ps_init(&ps, st, "/ps/data", &lim), 0);
	hook(&ps);
	published = removed = emptied = 0;
}

static void
teardown(void)
{
	char cmd[128];

	ps_free(&ps);
	store_close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* A creation request with a name and the data resource type. */
static void
props(struct ps_props *p, const char *name)
{
	memset(p, 0, sizeof(*p));
	p->name = (char *)name;
	p->rt = (char *)PS_RT_DATA;
	p->present = PS_P_NAME | PS_P_RT;
}

static struct ps_topic *
create(const char *name)
{
	struct ps_props	 p;
	struct ps_topic	*t;
	const char	*why = NULL;

	props(&p, name);
	ck_assert_int_eq(ps_create(&ps, &p, NULL, now_ms, now_wall, &t, &why),
	    PS_CREATED);
	return t;
}

START_TEST(create_rules)
{
	struct ps_props	 p;
	struct ps_topic	*t;
	const char	*why = NULL;

	memset(&p, 0, sizeof(p));
	p.name = "x";
	p.present = PS_P_NAME;
	ck_assert_int_eq(ps_create(&ps, &p, NULL, now_ms, now_wall, &t, &why),
	    PS_EINVAL);
	ck_assert_str_eq(why, "topic-name and resource-type are required");

	t = create("temp");
	ck_assert_str_eq(t->props.data_uri, "/ps/data/1");
	ck_assert(!t->full);
	/* Defaults: observer-check, and max-subscribers capped. */
	ck_assert_uint_eq(t->props.obs_check, PS_OBS_CHECK_DEFAULT);
	ck_assert_uint_eq(t->props.max_subs, 50);

	props(&p, "temp");
	ck_assert_int_eq(ps_create(&ps, &p, NULL, now_ms, now_wall, &t, &why),
	    PS_EINVAL);
	ck_assert_str_eq(why, "topic-name is in use");

	props(&p, "other");
	p.data_uri = "/elsewhere/1";
	p.present |= PS_P_DATA;
	ck_assert_int_eq(ps_create(&ps, &p, NULL, now_ms, now_wall, &t, &why),
	    PS_EINVAL);
	p.data_uri = "/ps/data/1";
	ck_assert_int_eq(ps_create(&ps, &p, NULL, now_ms, now_wall, &t, &why),
	    PS_EINVAL);
	p.data_uri = "/ps/data/../x";
	ck_assert_int_eq(ps_create(&ps, &p, NULL, now_ms, now_wall, &t, &why),
	    PS_EINVAL);
	p.data_uri = "/ps/data/a/.";
	ck_assert_int_eq(ps_create(&ps, &p, NULL, now_ms, now_wall, &t, &why),
	    PS_EINVAL);
	/* Numbered paths are the broker's own: no squatting on the next. */
	p.data_uri = "/ps/data/7";
	ck_assert_int_eq(ps_create(&ps, &p, NULL, now_ms, now_wall, &t, &why),
	    PS_EINVAL);
	p.data_uri = "/ps/data/kitchen/temp";
	ck_assert_int_eq(ps_create(&ps, &p, NULL, now_ms, now_wall, &t, &why),
	    PS_CREATED);
	ck_assert_ptr_eq(ps_topic_find_data(&ps.reg, "/ps/data/kitchen/temp"),
	    t);

	props(&p, "init");
	p.init = (uint8_t *)"\x41\x80";
	p.init_len = 2;
	p.present |= PS_P_INIT;
	ck_assert_int_eq(ps_create(&ps, &p, NULL, now_ms, now_wall, &t, &why),
	    PS_EINVAL);
	ck_assert_str_eq(why, "initialize needs topic-content-format");
	p.cf = 60;
	p.present |= PS_P_CF;
	ck_assert_int_eq(ps_create(&ps, &p, NULL, now_ms, now_wall, &t, &why),
	    PS_CREATED);
	ck_assert(t->full);
	ck_assert_uint_eq(t->value_len, 2);
	ck_assert_int_eq(t->value_cf, 60);

	props(&p, "past");
	p.expires = now_wall - 1;
	p.present |= PS_P_EXPIRES;
	ck_assert_int_eq(ps_create(&ps, &p, NULL, now_ms, now_wall, &t, &why),
	    PS_EINVAL);

	/* Four topics is the cap here: the fifth is 5.03. */
	create("four");
	props(&p, "five");
	ck_assert_int_eq(ps_create(&ps, &p, NULL, now_ms, now_wall, &t, &why),
	    PS_EFULL);
	ck_assert_uint_eq(ps_result_code(PS_EFULL), 503);
}
END_TEST

START_TEST(update_rules)
{
	struct ps_topic	*t = create("temp");
	struct ps_props	 p;
	const char	*why = NULL;

	props(&p, "renamed");
	ck_assert_int_eq(ps_update(&ps, t, &p, 0, now_ms, now_wall, &why),
	    PS_EINVAL);
	ck_assert_str_eq(t->props.name, "temp");

	/* iPATCH changes only what it names. */
	memset(&p, 0, sizeof(p));
	p.type = "temperature";
	p.cf = 60;
	p.present = PS_P_TYPE | PS_P_CF;
	ck_assert_int_eq(ps_update(&ps, t, &p, 1, now_ms, now_wall, &why),
	    PS_OK);
	ck_assert_str_eq(t->props.type, "temperature");
	memset(&p, 0, sizeof(p));
	p.obs_check = 60;
	p.present = PS_P_OBS_CHECK;
	ck_assert_int_eq(ps_update(&ps, t, &p, 1, now_ms, now_wall, &why),
	    PS_OK);
	ck_assert_str_eq(t->props.type, "temperature");
	ck_assert_uint_eq(t->props.obs_check, 60);

	/* POST replaces: what it leaves out goes back to the default. */
	props(&p, "temp");
	ck_assert_int_eq(ps_update(&ps, t, &p, 0, now_ms, now_wall, &why),
	    PS_OK);
	ck_assert(!(t->props.present & PS_P_TYPE));
	ck_assert(!(t->props.present & PS_P_CF));
	ck_assert_uint_eq(t->props.obs_check, PS_OBS_CHECK_DEFAULT);
	ck_assert_str_eq(t->props.data_uri, "/ps/data/1");

	memset(&p, 0, sizeof(p));
	p.init = (uint8_t *)"x";
	p.init_len = 1;
	p.present = PS_P_INIT;
	ck_assert_int_eq(ps_update(&ps, t, &p, 1, now_ms, now_wall, &why),
	    PS_EINVAL);
	ck_assert_str_eq(why, "initialize applies at creation only");
	/* Above the broker's cap, max-subscribers is lowered to it. */
	memset(&p, 0, sizeof(p));
	p.max_subs = 100000;
	p.present = PS_P_MAX_SUBS;
	ck_assert_int_eq(ps_update(&ps, t, &p, 1, now_ms, now_wall, &why),
	    PS_OK);
	ck_assert_uint_eq(t->props.max_subs, 50);
}
END_TEST

START_TEST(publish_and_clear)
{
	struct ps_topic	*t = create("temp");
	struct ps_props	 p;
	const char	*why = NULL;
	uint32_t	 retry = 0;

	ck_assert_int_eq(ps_publish(&ps, t, (const uint8_t *)"21", 2, 0,
	    now_ms, &retry), PS_CREATED);
	ck_assert_int_eq(ps_publish(&ps, t, (const uint8_t *)"22", 2, 0,
	    now_ms, &retry), PS_OK);
	ck_assert_int_eq(published, 2);
	ck_assert_mem_eq(t->value, "22", 2);
	ck_assert_int_eq(ps_publish(&ps, t, (const uint8_t *)"x", 101, 0,
	    now_ms, &retry), PS_ETOOLARGE);

	/* With a content format, only that one is taken (4.15). */
	memset(&p, 0, sizeof(p));
	p.cf = 60;
	p.present = PS_P_CF;
	ck_assert_int_eq(ps_update(&ps, t, &p, 1, now_ms, now_wall, &why),
	    PS_OK);
	ck_assert_int_eq(ps_publish(&ps, t, (const uint8_t *)"x", 1, 0,
	    now_ms, &retry), PS_ECF);
	ck_assert_int_eq(ps_publish(&ps, t, (const uint8_t *)"x", 1, -1,
	    now_ms, &retry), PS_ECF);
	ck_assert_uint_eq(ps_result_code(PS_ECF), 415);
	ck_assert_int_eq(ps_publish(&ps, t, (const uint8_t *)"\x01", 1, 60,
	    now_ms, &retry), PS_OK);

	ck_assert_int_eq(ps_clear(&ps, t), PS_OK);
	ck_assert(!t->full);
	ck_assert_int_eq(emptied, 1);
	ck_assert_int_eq(ps_clear(&ps, t), PS_ENOTFOUND);
	ck_assert_int_eq(ps_publish(&ps, t, (const uint8_t *)"\x02", 1, 60,
	    now_ms, &retry), PS_CREATED);
	ck_assert_int_eq(ps_delete(&ps, t), PS_OK);
	ck_assert_int_eq(removed, 1);
	ck_assert_ptr_null(ps_topic_find_name(&ps.reg, "temp"));
}
END_TEST

START_TEST(publish_rate)
{
	struct ps_topic	*t = create("fast");
	uint32_t	 retry = 0;

	ps.reg.lim.rate = 2;
	ck_assert_int_eq(ps_publish(&ps, t, (const uint8_t *)"1", 1, 0,
	    now_ms, &retry), PS_CREATED);
	ck_assert_int_eq(ps_publish(&ps, t, (const uint8_t *)"2", 1, 0,
	    now_ms, &retry), PS_OK);
	ck_assert_int_eq(ps_publish(&ps, t, (const uint8_t *)"3", 1, 0,
	    now_ms, &retry), PS_ERATE);
	ck_assert_uint_ge(retry, 1);
	ck_assert_uint_eq(ps_result_code(PS_ERATE), 429);
	ck_assert_mem_eq(t->value, "2", 1);
	/* Half a second later one token is back. */
	ck_assert_int_eq(ps_publish(&ps, t, (const uint8_t *)"4", 1, 0,
	    now_ms + 500, &retry), PS_OK);
	ck_assert_int_eq(ps_publish(&ps, t, (const uint8_t *)"5", 1, 0,
	    now_ms + 500, &retry), PS_ERATE);
}
END_TEST

START_TEST(fetch_matching)
{
	struct ps_topic	*a = create("a"), *b = create("b");
	struct ps_props	 f, p;
	const char	*why = NULL;

	memset(&p, 0, sizeof(p));
	p.type = "temperature";
	p.present = PS_P_TYPE;
	ck_assert_int_eq(ps_update(&ps, a, &p, 1, now_ms, now_wall, &why),
	    PS_OK);
	memset(&f, 0, sizeof(f));
	ck_assert(ps_topic_matches(a, &f));	/* an empty filter: all */
	f.type = "temperature";
	f.rt = PS_RT_DATA;
	f.present = PS_P_TYPE | PS_P_RT;
	ck_assert(ps_topic_matches(a, &f));
	ck_assert(!ps_topic_matches(b, &f));	/* b has no topic-type */
	f.type = "humidity";
	ck_assert(!ps_topic_matches(a, &f));
	memset(&f, 0, sizeof(f));
	f.name = "b";
	f.present = PS_P_NAME;
	ck_assert(ps_topic_matches(b, &f));
	ck_assert(!ps_topic_matches(a, &f));
}
END_TEST

START_TEST(expiration)
{
	struct ps_topic	*t;
	struct ps_props	 p;
	const char	*why = NULL;

	props(&p, "soon");
	p.expires = now_wall + 10;
	p.present |= PS_P_EXPIRES;
	ck_assert_int_eq(ps_create(&ps, &p, NULL, now_ms, now_wall, &t, &why),
	    PS_CREATED);
	create("forever");
	ck_assert_uint_eq(ps_registry_next_deadline(&ps.reg), now_ms + 10000);
	ck_assert_uint_eq(ps_expire(&ps, now_ms + 9999), now_ms + 10000);
	ck_assert_uint_eq(ps.reg.count, 2);
	ck_assert_uint_eq(ps_expire(&ps, now_ms + 10000), 0);
	ck_assert_uint_eq(ps.reg.count, 1);
	ck_assert_int_eq(removed, 1);
	ck_assert_ptr_null(ps_topic_find_name(&ps.reg, "soon"));

	/* A date centuries away is forever, not a wrapped timer. */
	props(&p, "far");
	p.expires = INT64_MAX / 2;
	p.present |= PS_P_EXPIRES;
	ck_assert_int_eq(ps_create(&ps, &p, NULL, now_ms, now_wall, &t, &why),
	    PS_CREATED);
	ck_assert_uint_gt(t->deadline, now_ms + 1000ULL * 86400 * 365 * 50);
	ck_assert_int_eq(ps_delete(&ps, t), PS_OK);

	/* Legacy lifetimes: Max-Age from now, refreshed by each call. */
	t = ps_topic_find_name(&ps.reg, "forever");
	ck_assert_int_eq(ps_set_lifetime(&ps, t, 5, now_ms, now_wall), PS_OK);
	ck_assert_int_eq(t->props.expires, now_wall + 5);
	ck_assert_uint_eq(ps_registry_next_deadline(&ps.reg), now_ms + 5000);
	ck_assert_int_eq(ps_set_lifetime(&ps, t, 0, now_ms, now_wall), PS_OK);
	ck_assert_uint_eq(ps_registry_next_deadline(&ps.reg), 0);

	/* The earliest deadline follows renewals, removals and additions. */
	{
		struct ps_topic *a = create("a"), *b = create("b");

		ck_assert_int_eq(ps_set_lifetime(&ps, a, 5, now_ms, now_wall),
		    PS_OK);
		ck_assert_int_eq(ps_set_lifetime(&ps, b, 8, now_ms, now_wall),
		    PS_OK);
		ck_assert_uint_eq(ps_registry_next_deadline(&ps.reg),
		    now_ms + 5000);
		ck_assert_int_eq(ps_set_lifetime(&ps, a, 10, now_ms, now_wall),
		    PS_OK);
		ck_assert_uint_eq(ps_registry_next_deadline(&ps.reg),
		    now_ms + 8000);
		ck_assert_int_eq(ps_set_lifetime(&ps, t, 2, now_ms, now_wall),
		    PS_OK);
		ck_assert_uint_eq(ps_registry_next_deadline(&ps.reg),
		    now_ms + 2000);
		ck_assert_int_eq(ps_delete(&ps, t), PS_OK);
		ck_assert_uint_eq(ps_registry_next_deadline(&ps.reg),
		    now_ms + 8000);
		ck_assert_uint_eq(ps_expire(&ps, now_ms + 8000), now_ms + 10000);
		ck_assert_ptr_null(ps_topic_find_name(&ps.reg, "b"));
		ck_assert_uint_eq(ps_expire(&ps, now_ms + 10000), 0);
		ck_assert_uint_eq(ps.reg.count, 0);
	}
}
END_TEST

/* Reopens the store and restores into a fresh broker. */
static void
reopen(int64_t wall)
{
	ps_free(&ps);
	store_close(st);
	ck_assert_int_eq(store_open(db, &st), STORE_OK);
	ck_assert_int_eq(ps_init(&ps, st, "/ps/data", &lim), 0);
	hook(&ps);
	ck_assert_int_eq(ps_restore(&ps, now_ms, wall), 0);
}

START_TEST(restore_after_reopen)
{
	struct ps_topic	*t = create("kept"), *h = create("half");
	struct ps_topic	*v = create("memory"), *e;
	struct ps_props	 p;
	const char	*why = NULL;
	uint32_t	 retry;

	memset(&p, 0, sizeof(p));
	p.volatile_ = 1;
	p.present = PS_P_VOLATILE;
	ck_assert_int_eq(ps_update(&ps, v, &p, 1, now_ms, now_wall, &why),
	    PS_OK);
	ck_assert_int_eq(ps_publish(&ps, t, (const uint8_t *)"1", 1, 0,
	    now_ms, &retry), PS_CREATED);
	ck_assert_int_eq(ps_publish(&ps, t, (const uint8_t *)"last", 4, 0,
	    now_ms, &retry), PS_OK);
	ck_assert_int_eq(ps_publish(&ps, v, (const uint8_t *)"gone", 4, 0,
	    now_ms, &retry), PS_CREATED);
	props(&p, "expiring");
	p.expires = now_wall + 100;
	p.present |= PS_P_EXPIRES;
	ck_assert_int_eq(ps_create(&ps, &p, NULL, now_ms, now_wall, &e, &why),
	    PS_CREATED);
	(void)h;

	reopen(now_wall + 200);
	ck_assert_uint_eq(ps.reg.count, 3);
	ck_assert_ptr_null(ps_topic_find_name(&ps.reg, "expiring"));
	t = ps_topic_find_name(&ps.reg, "kept");
	ck_assert_ptr_nonnull(t);
	ck_assert(t->full);
	ck_assert_uint_eq(t->value_len, 4);
	ck_assert_mem_eq(t->value, "last", 4);
	ck_assert_int_eq(t->value_cf, 0);
	ck_assert_str_eq(t->props.data_uri, "/ps/data/1");
	ck_assert(!ps_topic_find_name(&ps.reg, "half")->full);
	v = ps_topic_find_name(&ps.reg, "memory");
	ck_assert(v->props.volatile_);
	ck_assert(!v->full);
	/* New ids go on after the restored ones. */
	t = create("new");
	ck_assert_uint_eq(t->id, 4);
}
END_TEST

START_TEST(failed_write_changes_nothing)
{
	struct ps_topic	*t = create("temp");
	struct ps_props	 p;
	const char	*why = NULL;
	uint32_t	 retry;

	store_fail_writes(st, 1);
	ck_assert_int_eq(ps_publish(&ps, t, (const uint8_t *)"1", 1, 0,
	    now_ms, &retry), PS_EBUSY);
	ck_assert(!t->full);
	ck_assert_int_eq(published, 0);
	props(&p, "new");
	ck_assert_int_eq(ps_create(&ps, &p, NULL, now_ms, now_wall, &t, &why),
	    PS_EBUSY);
	ck_assert_ptr_null(ps_topic_find_name(&ps.reg, "new"));
	store_fail_writes(st, 0);
}
END_TEST

static int answered_ok, answered_fail;

static void
on_answer(void *arg, enum store_write w)
{
	if (w == STORE_WRITE_OK)
		answered_ok++;
	else
		answered_fail++;
}

START_TEST(group_commit)
{
	struct batch	*b = batch_new(st, 1, NULL, NULL);
	struct ps_topic	*t;
	uint32_t	 retry;

	ck_assert_int_eq(ps_set_batch(&ps, b), 0);
	answered_ok = answered_fail = 0;
	t = create("temp");
	ck_assert(ps_in_batch(&ps));
	ck_assert_int_eq(ps_publish(&ps, t, (const uint8_t *)"1", 1, 0,
	    now_ms, &retry), PS_CREATED);
	ck_assert_int_eq(batch_after_commit(b, on_answer, NULL), 0);
	/* Subscribers hear of a value only once it is durable. */
	ck_assert_int_eq(published, 0);
	ck_assert_int_eq(batch_commit(b, now_ms, now_wall), STORE_WRITE_OK);
	ck_assert_int_eq(published, 1);
	ck_assert_int_eq(answered_ok, 1);

	/* A failed batch: memory goes back to what is durable. */
	ck_assert_int_eq(ps_publish(&ps, t, (const uint8_t *)"2", 1, 0,
	    now_ms, &retry), PS_OK);
	create("lost");
	ck_assert_int_eq(batch_after_commit(b, on_answer, NULL), 0);
	store_fail_writes(st, 1);
	ck_assert_int_eq(batch_commit(b, now_ms, now_wall), STORE_WRITE_BUSY);
	store_fail_writes(st, 0);
	ck_assert_int_eq(answered_fail, 1);
	ck_assert_int_eq(published, 1);
	ck_assert_ptr_null(ps_topic_find_name(&ps.reg, "lost"));
	/* The reload keeps the broker's limits. */
	ck_assert_uint_eq(ps.reg.lim.max_topics, lim.max_topics);
	ck_assert_uint_eq(ps.reg.lim.max_value, lim.max_value);
	t = ps_topic_find_name(&ps.reg, "temp");
	ck_assert_ptr_nonnull(t);
	ck_assert_mem_eq(t->value, "1", 1);
	ps.batch = NULL;
	batch_free(b);
}
END_TEST

/* The resource lookup of the directory, as text. */
static char *
lookup(struct rd *rd, const char *query)
{
	struct rd_query	 q;
	struct buf	 b;
	const char	*err = NULL, *opts[1] = { query };
	size_t		 lens[1] = { strlen(query) };

	ck_assert_int_eq(rd_query_parse(opts, lens, 1, &q, &err), 0);
	buf_init(&b, 65536);
	ck_assert_int_ge(rd_lookup(&rd->reg, RD_LOOKUP_RES, &q, "/rd", &b), 0);
	rd_query_free(&q);
	return b.data ? buf_release(&b) : strdup("");
}

START_TEST(rd_discovery)
{
	const struct rd_limits	 rlim = { 100, 16, 0 };
	struct config		*c;
	struct ps_rd		*pr;
	struct rd		 rd;
	struct ps_topic		*t;
	char			*base, *out;
	const char		*text = "listen coap://0.0.0.0:5683\n";

	ck_assert_ptr_nonnull(c = config_parse(text, strlen(text), "t", NULL));
	ck_assert_ptr_nonnull(base = ps_rd_base(c));
	ck_assert_str_eq(base, "coap://127.0.0.1:5683");
	rd_init(&rd, st, &rlim);
	ck_assert_ptr_nonnull(pr = ps_rd_new(&ps, &rd, base, c));
	ck_assert_int_eq(ps_rd_sync(pr), 0);
	out = lookup(&rd, "rt=core.ps.coll");
	ck_assert_str_eq(out, "<coap://127.0.0.1:5683/ps>;"
	    "rt=\"core.ps core.ps.coll\";ct=40");
	free(out);

	t = create("temp");
	create("hum");
	out = lookup(&rd, "rt=core.ps.data");
	ck_assert_str_eq(out, "<coap://127.0.0.1:5683/ps/data/1>;"
	    "rt=\"core.ps.data\";obs,<coap://127.0.0.1:5683/ps/data/2>;"
	    "rt=\"core.ps.data\";obs");
	free(out);
	ck_assert_int_eq(ps_delete(&ps, t), PS_OK);
	out = lookup(&rd, "rt=core.ps.data");
	ck_assert_str_eq(out, "<coap://127.0.0.1:5683/ps/data/2>;"
	    "rt=\"core.ps.data\";obs");
	free(out);

	/* A topic gone while the directory kept its entry: sync drops it. */
	ps_unlisten(&ps, pr);
	ck_assert_int_eq(ps_delete(&ps, ps_topic_find_name(&ps.reg, "hum")),
	    PS_OK);
	create("new");
	ck_assert_int_eq(ps_rd_sync(pr), 0);
	out = lookup(&rd, "rt=core.ps.data");
	ck_assert_str_eq(out, "<coap://127.0.0.1:5683/ps/data/3>;"
	    "rt=\"core.ps.data\";obs");
	free(out);
	ps_rd_free(pr);
	rd_free(&rd);
	free(base);
	config_free(c);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("ps");
	TCase	*tc = tcase_create("ps");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, create_rules);
	tcase_add_test(tc, update_rules);
	tcase_add_test(tc, publish_and_clear);
	tcase_add_test(tc, publish_rate);
	tcase_add_test(tc, fetch_matching);
	tcase_add_test(tc, expiration);
	tcase_add_test(tc, restore_after_reopen);
	tcase_add_test(tc, failed_write_changes_nothing);
	tcase_add_test(tc, group_commit);
	tcase_add_test(tc, rd_discovery);
	suite_add_tcase(s, tc);
	return test_run(s);
}
