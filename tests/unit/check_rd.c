/*
 * The Resource Directory core: request validation, registration, update,
 * removal, lookups with filters and paging, lifetimes, and the store
 * (restore after reopen; a failed commit leaves memory unchanged).
 */
#include "ac_config.h"

#include <arpa/inet.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "batch.h"
#include "buf.h"
#include "common.h"
#include "linkformat.h"
#include "log.h"
#include "rd.h"
#include "rd_lookup.h"
#include "rd_request.h"
#include "stats.h"
#include "store.h"

static char		 dir[64], db[128];
static struct store	*st;
static struct rd	 rd;
static const struct rd_limits lim = { 5, 4, 10 };
static uint64_t		 now_ms = 1000000;
static int64_t		 now_wall = 1700000000;
static int		 changes;

static void
on_change(void *arg, const struct rd_reg *old, const struct rd_reg *now)
{
	changes++;
}

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/corehub-rd-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(db, sizeof(db), "%s/rd.db", dir);
	log_set_level(LOG_CRIT);
	ck_assert_int_eq(store_open(db, &st), STORE_OK);
	rd_init(&rd, st, &lim);
	rd.changed = on_change;
	changes = 0;
}

static void
teardown(void)
{
	char cmd[128];

	rd_free(&rd);
	store_close(st);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Splits "a=1&b=2" into options, as Uri-Query options arrive. */
static size_t
split_query(char *q, const char **opts, size_t *lens)
{
	size_t n = 0;

	for (char *p = strtok(q, "&"); p && n < 32; p = strtok(NULL, "&")) {
		opts[n] = p;
		lens[n++] = strlen(p);
	}
	return n;
}

static int
parse_req(const char *query, struct rd_request *req, const char **err)
{
	char		 q[512];
	const char	*opts[32];
	size_t		 lens[32], n;

	snprintf(q, sizeof(q), "%s", query);
	n = split_query(q, opts, lens);
	return rd_request_parse(opts, lens, n, req, err);
}

static const char *registrant = "psk:test";

static enum rd_result
reg(const char *query, const char *payload, const char *con, uint64_t *id)
{
	struct rd_request	req;
	struct lf_doc		doc;
	const char		*err;
	enum rd_result		res;
	uint64_t		dummy;

	ck_assert_msg(parse_req(query, &req, &err) == 0, "%s: %s", query, err);
	ck_assert_int_eq(lf_parse(payload, strlen(payload), NULL, &doc, NULL),
	    LF_OK);
	res = rd_register(&rd, &req, &doc, con, registrant, now_ms, now_wall,
	    id ? id : &dummy);
	lf_doc_free(&doc);
	rd_request_free(&req);
	return res;
}

static enum rd_result
update(uint64_t id, const char *query, const char *con)
{
	struct rd_request	req;
	const char		*err;
	enum rd_result		res;

	ck_assert_msg(parse_req(query, &req, &err) == 0, "%s: %s", query, err);
	res = rd_update(&rd, id, &req, con, now_ms, now_wall);
	rd_request_free(&req);
	return res;
}

/* The lookup's payload, "" when empty; NULL when the query is invalid. */
static char *
lookup(enum rd_lookup_kind kind, const char *query)
{
	char		 q[512];
	const char	*opts[32], *err;
	size_t		 lens[32], n;
	struct rd_query	 rq;
	struct buf	 b;

	snprintf(q, sizeof(q), "%s", query);
	n = split_query(q, opts, lens);
	if (rd_query_parse(opts, lens, n, &rq, &err) == -1)
		return NULL;
	buf_init(&b, 0);
	ck_assert_int_ge(rd_lookup(&rd.reg, kind, &rq, "/rd", &b), 0);
	rd_query_free(&rq);
	return buf_release(&b);
}

#define EXPECT(kind, q, want) do {					\
	char *got_ = lookup((kind), (q));				\
	ck_assert_ptr_nonnull(got_);					\
	ck_assert_msg(strcmp(got_, (want)) == 0, "%s:\n got %s\nwant %s",\
	    (q), got_, (want));						\
	free(got_);							\
} while (0)

START_TEST(request_validation)
{
	struct rd_request	req;
	const char		*err;
	char			q[200];
	static const char *const bad[] = {
		"ep=", "ep", "d=", "lt=0", "lt=4294967296", "lt=-1", "lt=1x",
		"lt=", "ep=a&ep=b", "base=/relative", "base=coap://h/?q",
		"base=coap://h/#f", "base=coap:x", "page=1", "count=2",
		"href=/x", "rt=x", "b%20d=1", "lt=1&lt=2",
		"ep=a\x01" "b", "ep=\xc3", "=v",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		ck_assert_msg(parse_req(bad[i], &req, &err) == -1,
		    "accepted %s", bad[i]);
	memset(q, 'e', sizeof(q));
	memcpy(q, "ep=", 3);
	q[3 + 64] = '\0';	/* 64 bytes: one too many */
	ck_assert_int_eq(parse_req(q, &req, &err), -1);
	q[3 + 63] = '\0';
	ck_assert_int_eq(parse_req(q, &req, &err), 0);
	rd_request_free(&req);

	ck_assert_int_eq(parse_req("ep=node1&d=s&lt=4294967295&et=a&et=b&"
	    "base=coap://[2001:db8::1]:61616&x", &req, &err), 0);
	ck_assert_str_eq(req.ep, "node1");
	ck_assert_uint_eq(req.lt, 4294967295u);
	ck_assert_uint_eq(req.nparams, 3);
	ck_assert_str_eq(req.params[1].value, "b");
	ck_assert_ptr_null(req.params[2].value);
	rd_request_free(&req);
	ck_assert_int_eq(parse_req("ep=Malm\xc3\xb6", &req, &err), 0);
	ck_assert_uint_eq(req.lt, RD_LT_DEFAULT);
	rd_request_free(&req);
}
END_TEST

/* RFC 9176 section 5.3.1: a base change re-resolves every link. */
START_TEST(register_lookup_base_change)
{
	uint64_t id, id2;

	ck_assert_int_eq(reg("ep=endpoint1&base=coap://local-proxy-old."
	    "example.com", "</sensors/temp>;ct=41;rt=\"temperature-c\";"
	    "if=\"sensor\",<http://www.example.com/sensors/temp>;"
	    "anchor=\"/sensors/temp\";rel=\"describedby\"", NULL, &id),
	    RD_CREATED);
	EXPECT(RD_LOOKUP_RES, "ep=endpoint1",
	    "<coap://local-proxy-old.example.com/sensors/temp>;ct=41;"
	    "rt=\"temperature-c\";if=\"sensor\","
	    "<http://www.example.com/sensors/temp>;anchor=\"coap://"
	    "local-proxy-old.example.com/sensors/temp\";rel=\"describedby\"");
	ck_assert_int_eq(update(id, "base=coaps://new.example.com", NULL),
	    RD_OK);
	EXPECT(RD_LOOKUP_RES, "rt=temperature-c",
	    "<coaps://new.example.com/sensors/temp>;ct=41;"
	    "rt=\"temperature-c\";if=\"sensor\"");
	EXPECT(RD_LOOKUP_RES, "href=coaps://new.example.com/sensors/temp",
	    "<coaps://new.example.com/sensors/temp>;ct=41;"
	    "rt=\"temperature-c\";if=\"sensor\"");
	EXPECT(RD_LOOKUP_RES, "href=coap://local-proxy-old.example.com/"
	    "sensors/temp", "");
	/* Registering (ep, d) again keeps the location. */
	ck_assert_int_eq(reg("ep=endpoint1", "</x>", "coap://[::1]:5000",
	    &id2), RD_OK);
	ck_assert_uint_eq(id, id2);
	EXPECT(RD_LOOKUP_RES, "ep=endpoint1", "<coap://[::1]:5000/x>");
	ck_assert_int_eq(changes, 3);
}
END_TEST

static void
lighting(void)
{
	/* After RFC 9176 section 10.1, the lighting installation. */
	ck_assert_int_eq(reg("ep=lights&d=R2-4-015&base=coap://[2001:db8:4::1]",
	    "</light/left>;rt=\"light\",</light/middle>;rt=\"light\","
	    "</light/right>;rt=\"light\"", NULL, NULL), RD_CREATED);
	ck_assert_int_eq(reg("ep=lights&d=R2-4-016&base=coap://[2001:db8:4::2]",
	    "</light/left>;rt=\"light\"", NULL, NULL), RD_CREATED);
	ck_assert_int_eq(reg("ep=switch&d=R2-4-015&et=oic.d.switch&"
	    "base=coap://[2001:db8:4::3]", "</switch>;rt=\"switch btn\";if=s",
	    NULL, NULL), RD_CREATED);
}

START_TEST(endpoint_lookup)
{
	lighting();
	EXPECT(RD_LOOKUP_EP, "d=R2-4-015",
	    "</rd/1>;ep=lights;d=R2-4-015;base=\"coap://[2001:db8:4::1]\";"
	    "rt=core.rd-ep,"
	    "</rd/3>;ep=switch;d=R2-4-015;base=\"coap://[2001:db8:4::3]\";"
	    "rt=core.rd-ep;et=oic.d.switch");
	/* A link attribute selects its endpoint; et is an attribute. */
	EXPECT(RD_LOOKUP_EP, "rt=btn", "</rd/3>;ep=switch;d=R2-4-015;"
	    "base=\"coap://[2001:db8:4::3]\";rt=core.rd-ep;et=oic.d.switch");
	EXPECT(RD_LOOKUP_EP, "et=oic.d.*&ep=sw*", "</rd/3>;ep=switch;"
	    "d=R2-4-015;base=\"coap://[2001:db8:4::3]\";rt=core.rd-ep;"
	    "et=oic.d.switch");
	EXPECT(RD_LOOKUP_EP, "href=/rd/2", "</rd/2>;ep=lights;d=R2-4-016;"
	    "base=\"coap://[2001:db8:4::2]\";rt=core.rd-ep");
	EXPECT(RD_LOOKUP_EP, "ep=lights&d=nowhere", "");
	EXPECT(RD_LOOKUP_EP, "count=1&page=2", "</rd/3>;ep=switch;"
	    "d=R2-4-015;base=\"coap://[2001:db8:4::3]\";rt=core.rd-ep;"
	    "et=oic.d.switch");
	EXPECT(RD_LOOKUP_EP, "count=0", "");
	EXPECT(RD_LOOKUP_EP, "count=5&page=1", "");
}
END_TEST

START_TEST(resource_lookup_filters_and_paging)
{
	lighting();
	EXPECT(RD_LOOKUP_RES, "rt=light&d=R2-4-015",
	    "<coap://[2001:db8:4::1]/light/left>;rt=\"light\","
	    "<coap://[2001:db8:4::1]/light/middle>;rt=\"light\","
	    "<coap://[2001:db8:4::1]/light/right>;rt=\"light\"");
	EXPECT(RD_LOOKUP_RES, "rt=light&count=2&page=1",
	    "<coap://[2001:db8:4::1]/light/right>;rt=\"light\","
	    "<coap://[2001:db8:4::2]/light/left>;rt=\"light\"");
	EXPECT(RD_LOOKUP_RES, "href=*/light/left",
	    "");	/* a prefix, not a suffix */
	EXPECT(RD_LOOKUP_RES, "href=coap://[2001:db8:4::2]*",
	    "<coap://[2001:db8:4::2]/light/left>;rt=\"light\"");
	EXPECT(RD_LOOKUP_RES, "rt=switch", "<coap://[2001:db8:4::3]/switch>;"
	    "rt=\"switch btn\";if=s");
	EXPECT(RD_LOOKUP_RES, "rt=swi*", "<coap://[2001:db8:4::3]/switch>;"
	    "rt=\"switch btn\";if=s");
	EXPECT(RD_LOOKUP_RES, "rt=switch&if=x", "");
	EXPECT(RD_LOOKUP_RES, "et=oic.d.switch&rt=btn",
	    "<coap://[2001:db8:4::3]/switch>;rt=\"switch btn\";if=s");
	EXPECT(RD_LOOKUP_RES, "anchor=coap://[2001:db8:4::3]/",
	    "<coap://[2001:db8:4::3]/switch>;rt=\"switch btn\";if=s");
	EXPECT(RD_LOOKUP_RES, "if", "<coap://[2001:db8:4::3]/switch>;"
	    "rt=\"switch btn\";if=s");
	ck_assert_ptr_null(lookup(RD_LOOKUP_RES, "page=1"));
	ck_assert_ptr_null(lookup(RD_LOOKUP_RES, "count=-1"));
	ck_assert_ptr_null(lookup(RD_LOOKUP_RES, "count=x"));
	ck_assert_ptr_null(lookup(RD_LOOKUP_RES, "=x"));
}
END_TEST

START_TEST(update_and_remove)
{
	uint64_t id;

	ck_assert_int_eq(reg("ep=n&lt=100&et=a", "</x>;rt=t", "coap://[::1]",
	    &id), RD_CREATED);
	ck_assert_int_eq(update(id, "et=b&k=v", NULL), RD_OK);
	EXPECT(RD_LOOKUP_EP, "ep=n", "</rd/1>;ep=n;base=\"coap://[::1]\";"
	    "rt=core.rd-ep;et=b;k=v");
	ck_assert_int_eq(update(id, "ep=other", NULL), RD_EINVAL);
	ck_assert_int_eq(update(id, "ep=n", NULL), RD_OK);
	ck_assert_int_eq(update(99, "", NULL), RD_ENOTFOUND);
	ck_assert_int_eq(rd_remove(&rd, id), RD_OK);
	ck_assert_int_eq(rd_remove(&rd, id), RD_ENOTFOUND);
	EXPECT(RD_LOOKUP_EP, "", "");
	ck_assert_uint_eq(rd.reg.count, 0);
	ck_assert_uint_eq(rd.reg.nlinks, 0);
}
END_TEST

START_TEST(limits_and_missing_base)
{
	uint64_t id;

	ck_assert_int_eq(reg("ep=a", "</1>,</2>,</3>,</4>,</5>", "coap://h",
	    NULL), RD_ETOOLARGE);
	ck_assert_int_eq(reg("ep=a", "</1>", NULL, NULL), RD_EINVAL);
	ck_assert_int_eq(reg("d=x", "</1>", "coap://h", NULL), RD_EINVAL);
	for (int i = 0; i < 5; i++) {
		char q[16];

		snprintf(q, sizeof(q), "ep=e%d", i);
		ck_assert_int_eq(reg(q, "</1>", "coap://h", &id), RD_CREATED);
	}
	ck_assert_int_eq(reg("ep=e5", "</1>", "coap://h", NULL), RD_EFULL);
	/* At the cap an existing registration can still be refreshed. */
	ck_assert_int_eq(reg("ep=e4", "</2>", "coap://h", NULL), RD_OK);
	ck_assert_int_eq(update(id, "lt=60", NULL), RD_OK);
}
END_TEST

START_TEST(lifetime_and_grace)
{
	uint64_t id;

	ck_assert_int_eq(reg("ep=short&lt=2", "</x>", "coap://h", &id),
	    RD_CREATED);
	ck_assert_int_eq(reg("ep=long&lt=100", "</y>", "coap://h", NULL),
	    RD_CREATED);
	ck_assert_uint_eq(rd_expire(&rd, now_ms + 1999), now_ms + 2000);
	EXPECT(RD_LOOKUP_EP, "ep=short", "</rd/1>;ep=short;"
	    "base=\"coap://h\";rt=core.rd-ep");
	changes = 0;
	rd_expire(&rd, now_ms + 2000);
	ck_assert_int_eq(changes, 1);
	EXPECT(RD_LOOKUP_EP, "ep=short", "");
	EXPECT(RD_LOOKUP_RES, "", "<coap://h/y>");
	/* Within the grace time, an update brings it back. */
	now_ms += 5000;
	ck_assert_int_eq(update(id, "", NULL), RD_OK);
	EXPECT(RD_LOOKUP_EP, "ep=short", "</rd/1>;ep=short;"
	    "base=\"coap://h\";rt=core.rd-ep");
	/* Expired and never refreshed: gone after the grace time. */
	rd_expire(&rd, now_ms + 2000);
	ck_assert_ptr_nonnull(rd_registry_find_id(&rd.reg, id));
	rd_expire(&rd, now_ms + 2000 + 10000);
	ck_assert_ptr_null(rd_registry_find_id(&rd.reg, id));
	ck_assert_int_eq(update(id, "", NULL), RD_ENOTFOUND);
	ck_assert_uint_eq(rd.reg.count, 1);
}
END_TEST

START_TEST(restore_after_reopen)
{
	uint64_t id;

	ck_assert_int_eq(reg("ep=a&d=s&lt=1000&et=x", "</1>;rt=\"a b\";"
	    "title=\"q \\\"x\\\"\"", "coap://[::1]:61616", &id), RD_CREATED);
	ck_assert_int_eq(reg("ep=b&lt=10", "</2>", "coap://h", NULL),
	    RD_CREATED);
	ck_assert_int_eq(reg("ep=c&lt=10", "</3>", "coap://h", NULL),
	    RD_CREATED);
	ck_assert_int_eq(rd_remove(&rd, 3), RD_OK);
	rd_free(&rd);
	store_close(st);
	ck_assert_int_eq(store_open(db, &st), STORE_OK);
	rd_init(&rd, st, &lim);
	/* 15 s later: b is past its lifetime but within grace. */
	now_wall += 15;
	ck_assert_int_eq(rd_restore(&rd, now_ms, now_wall), 0);
	ck_assert_uint_eq(rd.reg.count, 2);
	EXPECT(RD_LOOKUP_RES, "", "<coap://[::1]:61616/1>;rt=\"a b\";"
	    "title=\"q \\\"x\\\"\"");
	EXPECT(RD_LOOKUP_EP, "ep=a", "</rd/1>;ep=a;d=s;"
	    "base=\"coap://[::1]:61616\";rt=core.rd-ep;et=x");
	/* New ids continue after the restored ones. */
	ck_assert_int_eq(reg("ep=d", "</4>", "coap://h", &id), RD_CREATED);
	ck_assert_uint_eq(id, 3);
	rd_free(&rd);
	store_close(st);
	/* After lifetime plus grace, b is dropped at start. */
	ck_assert_int_eq(store_open(db, &st), STORE_OK);
	rd_init(&rd, st, &lim);
	now_wall += 100;
	ck_assert_int_eq(rd_restore(&rd, now_ms, now_wall), 0);
	ck_assert_ptr_null(rd_registry_find(&rd.reg, "b", NULL));
	ck_assert_ptr_nonnull(rd_registry_find(&rd.reg, "a", "s"));
}
END_TEST

/* The link of a link-local base is kept, and restored (RFC 9176 5). */
START_TEST(link_scope)
{
	struct rd_request	 req;
	struct lf_doc		 doc;
	struct in6_addr		 a;
	const char		*err;
	uint64_t		 id;

	ck_assert_int_eq(parse_req("ep=ll&base=coap://[fe80::1]", &req, &err),
	    0);
	ck_assert_ptr_nonnull(req.link = strdup("mesh0"));
	ck_assert_int_eq(lf_parse("</x>", 4, NULL, &doc, NULL), LF_OK);
	ck_assert_int_eq(rd_register(&rd, &req, &doc, NULL, NULL, now_ms,
	    now_wall, &id), RD_CREATED);
	lf_doc_free(&doc);
	rd_request_free(&req);
	rd_free(&rd);
	store_close(st);
	ck_assert_int_eq(store_open(db, &st), STORE_OK);
	rd_init(&rd, st, &lim);
	ck_assert_int_eq(rd_restore(&rd, now_ms, now_wall), 0);
	ck_assert_str_eq(rd_registry_find(&rd.reg, "ll", NULL)->c.link,
	    "mesh0");
	/* The base's host, and zone IDs refused. */
	ck_assert_int_eq(rd_base_ipv6("coap://[fe80::1]:5683/x", &a), 1);
	ck_assert(IN6_IS_ADDR_LINKLOCAL(&a));
	ck_assert_int_eq(rd_base_ipv6("coap://10.0.0.1", &a), 0);
	ck_assert_int_eq(rd_base_ipv6("coap://[nonsense]", &a), 0);
	ck_assert_int_eq(parse_req("ep=z&base=coap://[fe80::1%25eth0]", &req,
	    &err), -1);
	ck_assert_str_eq(err, "base must not carry a zone ID (RFC 9176 5)");
	/* userinfo would hide the literal from both checks */
	ck_assert_int_eq(parse_req("ep=z&base=coap://a@[fe80::1%25eth0]",
	    &req, &err), -1);
}
END_TEST

/* A proxied registration is shown under its proxy URI, and only then. */
START_TEST(proxy_uri)
{
	uint64_t id, id2;

	ck_assert_int_eq(rd_registry_set_proxy_base(&rd.reg,
	    "coap://proxy.test"), 0);
	ck_assert_int_eq(reg("ep=dev1&proxy=yes", "</t>;rt=temp",
	    "coap://[2001:db8::7]:40000", &id), RD_CREATED);
	ck_assert_int_eq(reg("ep=dev2&d=lab", "</t>", "coap://10.0.0.2", &id2),
	    RD_CREATED);
	EXPECT(RD_LOOKUP_EP, "ep=dev1", "</rd/1>;ep=dev1;"
	    "base=\"coap://dev1.proxy.test\";rt=core.rd-ep;proxy=yes");
	EXPECT(RD_LOOKUP_RES, "rt=temp",
	    "<coap://dev1.proxy.test/t>;rt=temp");
	/* The index resolved the links against it: href finds them. */
	EXPECT(RD_LOOKUP_RES, "href=coap://dev1.proxy.test/t",
	    "<coap://dev1.proxy.test/t>;rt=temp");
	EXPECT(RD_LOOKUP_RES, "href=coap://[2001:db8::7]:40000/t", "");
	/* The device is still where it registered from. */
	ck_assert_str_eq(rd_reg_device_base(rd_registry_find_id(&rd.reg, id)),
	    "coap://[2001:db8::7]:40000");
	EXPECT(RD_LOOKUP_EP, "ep=dev2", "</rd/2>;ep=dev2;d=lab;"
	    "base=\"coap://10.0.0.2\";rt=core.rd-ep");
	/* An update turns it off and on again; d is part of the name. */
	ck_assert_int_eq(update(id, "proxy=no", NULL), RD_OK);
	EXPECT(RD_LOOKUP_RES, "rt=temp", "<coap://[2001:db8::7]:40000/t>;"
	    "rt=temp");
	ck_assert_int_eq(update(id2, "proxy=on", NULL), RD_OK);
	EXPECT(RD_LOOKUP_RES, "ep=dev2", "<coap://dev2.lab.proxy.test/t>");
	/* Restored from the store under the base of the new start... */
	rd_free(&rd);
	store_close(st);
	ck_assert_int_eq(store_open(db, &st), STORE_OK);
	rd_init(&rd, st, &lim);
	ck_assert_int_eq(rd_registry_set_proxy_base(&rd.reg,
	    "coaps://other.test:5700"), 0);
	ck_assert_int_eq(rd_restore(&rd, now_ms, now_wall), 0);
	EXPECT(RD_LOOKUP_RES, "ep=dev2",
	    "<coaps://dev2.lab.other.test:5700/t>");
	/* ...and without one, nothing is proxied. */
	ck_assert_int_eq(rd_registry_set_proxy_base(&rd.reg, NULL), 0);
	EXPECT(RD_LOOKUP_RES, "ep=dev2", "<coap://10.0.0.2/t>");
	EXPECT(RD_LOOKUP_RES, "href=coap://10.0.0.2/t", "<coap://10.0.0.2/t>");
}
END_TEST

START_TEST(failed_commit_changes_nothing)
{
	uint64_t id;

	ck_assert_int_eq(reg("ep=a", "</1>", "coap://h", &id), RD_CREATED);
	store_fail_writes(st, 1);
	ck_assert_int_eq(reg("ep=b", "</2>", "coap://h", NULL), RD_EBUSY);
	ck_assert_int_eq(reg("ep=a", "</changed>", "coap://h", NULL),
	    RD_EBUSY);
	ck_assert_int_eq(update(id, "base=coap://other", NULL), RD_EBUSY);
	ck_assert_int_eq(rd_remove(&rd, id), RD_EBUSY);
	store_fail_writes(st, 0);
	ck_assert_uint_eq(rd.reg.count, 1);
	EXPECT(RD_LOOKUP_RES, "", "<coap://h/1>");
	ck_assert_ptr_null(rd_registry_find(&rd.reg, "b", NULL));
	ck_assert_int_eq(changes, 1);
}
END_TEST

static int		commits_needed, answered_ok, answered_fail;

static void
on_need_commit(void *arg)
{
	commits_needed++;
}

static void
on_answer(void *arg, enum store_write r)
{
	if (r == STORE_WRITE_OK)
		answered_ok++;
	else
		answered_fail++;
}

/* Group commit: a batch answers only when durable, or not at all. */
START_TEST(group_commit)
{
	uint64_t	 id;
	struct batch	*b = batch_new(st, 1, on_need_commit, NULL);

	ck_assert_ptr_nonnull(b);
	ck_assert_int_eq(rd_set_batch(&rd, b), 0);
	commits_needed = answered_ok = answered_fail = 0;
	ck_assert_int_eq(reg("ep=a", "</1>", "coap://h", &id), RD_CREATED);
	ck_assert_int_eq(batch_after_commit(b, on_answer, NULL), 0);
	ck_assert_int_eq(reg("ep=b", "</2>", "coap://h", NULL), RD_CREATED);
	ck_assert_int_eq(batch_after_commit(b, on_answer, NULL), 0);
	ck_assert_int_eq(commits_needed, 1);	/* one batch for both */
	ck_assert(rd_in_batch(&rd));
	ck_assert_int_eq(changes, 0);		/* observers wait too */
	ck_assert_int_eq(batch_commit(b, now_ms, now_wall), STORE_WRITE_OK);
	ck_assert_int_eq(answered_ok, 2);
	ck_assert_int_eq(changes, 1);
	ck_assert(!rd_in_batch(&rd));

	/* A commit that fails: memory goes back to what is durable. */
	ck_assert_int_eq(reg("ep=c", "</3>", "coap://h", NULL), RD_CREATED);
	ck_assert_int_eq(batch_after_commit(b, on_answer, NULL), 0);
	ck_assert_int_eq(rd_remove(&rd, id), RD_OK);
	ck_assert_int_eq(batch_after_commit(b, on_answer, NULL), 0);
	ck_assert_ptr_nonnull(rd_registry_find(&rd.reg, "c", NULL));
	store_fail_writes(st, 1);
	ck_assert_int_eq(batch_commit(b, now_ms, now_wall),
	    STORE_WRITE_BUSY);
	store_fail_writes(st, 0);
	ck_assert_int_eq(answered_fail, 2);
	ck_assert_ptr_null(rd_registry_find(&rd.reg, "c", NULL));
	ck_assert_ptr_nonnull(rd_registry_find(&rd.reg, "a", NULL));
	ck_assert_uint_eq(rd.reg.count, 2);
	EXPECT(RD_LOOKUP_RES, "", "<coap://h/1>,<coap://h/2>");
	rd.batch = NULL;
	batch_free(b);
}
END_TEST

/* First come, first remembered (RFC 9176 section 7.5). */
START_TEST(first_come_first_remembered)
{
	struct rd_reg	*r;
	uint64_t	 id, id2;

	registrant = "psk:alice";
	ck_assert_int_eq(reg("ep=n&lt=10", "</a>", "coap://h", &id),
	    RD_CREATED);
	r = rd_registry_find_id(&rd.reg, id);
	ck_assert_str_eq(r->c.owner, "psk:alice");
	ck_assert_int_eq(rd_check_owner(r, "psk:alice"), RD_OK);
	ck_assert_int_eq(rd_check_owner(r, "psk:bob"), RD_EFORBIDDEN);
	ck_assert_int_eq(rd_check_owner(r, NULL), RD_EFORBIDDEN);
	ck_assert_uint_eq(rd_result_code(RD_EFORBIDDEN), 403);

	/* Another principal cannot take an active registration over. */
	registrant = "psk:bob";
	ck_assert_int_eq(reg("ep=n", "</b>", "coap://h", NULL), RD_EFORBIDDEN);
	EXPECT(RD_LOOKUP_RES, "ep=n", "<coap://h/a>");
	/* The owner stays across an update. */
	ck_assert_int_eq(update(id, "lt=20", NULL), RD_OK);
	ck_assert_str_eq(rd_registry_find_id(&rd.reg, id)->c.owner,
	    "psk:alice");
	/* Once expired (in its grace time) it is free to take. */
	rd_expire(&rd, now_ms + 21000);
	ck_assert_int_eq(reg("ep=n", "</b>", "coap://h", &id2), RD_OK);
	ck_assert_uint_eq(id2, id);
	ck_assert_str_eq(rd_registry_find_id(&rd.reg, id)->c.owner,
	    "psk:bob");
	registrant = "psk:test";
}
END_TEST

/* The hashed index: sorted postings, growth, deletion and reuse. */
START_TEST(index_postings)
{
	struct rd_index		 ix;
	struct rd_reg		 regs[300];
	struct rd_reg *const	*v;
	size_t			 n;

	rd_index_init(&ix);
	for (int i = 0; i < 300; i++)
		regs[i].id = (uint64_t)(300 - i);	/* added out of order */
	for (int i = 0; i < 300; i++) {
		ck_assert_int_eq(rd_index_add(&ix, rd_index_hash("rt", "all",
		    3), &regs[i]), 0);
		ck_assert_int_eq(rd_index_add(&ix, rd_index_hash("ep",
		    (char *)&i, sizeof(i)), &regs[i]), 0);
	}
	/* Twice the same pair for one registration counts once. */
	ck_assert_int_eq(rd_index_add(&ix, rd_index_hash("rt", "all", 3),
	    &regs[7]), 0);
	v = rd_index_get(&ix, rd_index_hash("rt", "all", 3), &n);
	ck_assert_uint_eq(n, 300);
	for (size_t i = 1; i < n; i++)
		ck_assert_uint_lt(v[i - 1]->id, v[i]->id);
	for (int i = 0; i < 300; i += 2) {
		rd_index_del(&ix, rd_index_hash("rt", "all", 3), &regs[i]);
		rd_index_del(&ix, rd_index_hash("ep", (char *)&i, sizeof(i)),
		    &regs[i]);
	}
	v = rd_index_get(&ix, rd_index_hash("rt", "all", 3), &n);
	ck_assert_uint_eq(n, 150);
	for (int i = 0; i < 300; i++) {
		v = rd_index_get(&ix, rd_index_hash("ep", (char *)&i,
		    sizeof(i)), &n);
		ck_assert_uint_eq(n, i % 2 ? 1 : 0);
		if (n == 1)
			ck_assert_ptr_eq(v[0], &regs[i]);
	}
	/* Deleted slots are reused and never break a probe chain. */
	for (int round = 0; round < 20; round++) {
		for (int i = 0; i < 300; i += 2)
			ck_assert_int_eq(rd_index_add(&ix, rd_index_hash("ep",
			    (char *)&i, sizeof(i)), &regs[i]), 0);
		for (int i = 0; i < 300; i += 2)
			rd_index_del(&ix, rd_index_hash("ep", (char *)&i,
			    sizeof(i)), &regs[i]);
	}
	for (int i = 1; i < 300; i += 2)
		ck_assert_ptr_nonnull(rd_index_get(&ix, rd_index_hash("ep",
		    (char *)&i, sizeof(i)), &n));
	ck_assert_ptr_null(rd_index_get(&ix, rd_index_hash("ep", "x", 1), &n));
	rd_index_clear(&ix);
}
END_TEST

/* The directory's gauges, endpoints counted by sector. */
START_TEST(statistics)
{
	struct buf	b;
	uint64_t	id;

	stats_init(now_ms);
	ck_assert_int_eq(stats_add_source(rd_stats, &rd), 0);
	ck_assert_int_eq(reg("ep=a&d=s1&base=coap://h", "</x>,</y>", NULL,
	    NULL), RD_CREATED);
	ck_assert_int_eq(reg("ep=b&d=s1&base=coap://h", "</z>", NULL, NULL),
	    RD_CREATED);
	ck_assert_int_eq(reg("ep=c&base=coap://h", "</z>", NULL, &id), RD_CREATED);
	buf_init(&b, 0);
	ck_assert_int_eq(stats_json(&b, now_ms), 0);
	ck_assert_ptr_nonnull(strstr(b.data, "\"registrations\":3,"));
	ck_assert_ptr_nonnull(strstr(b.data, "\"links\":4,"));
	ck_assert_ptr_nonnull(strstr(b.data, "\"s1\":2"));
	ck_assert_ptr_nonnull(strstr(b.data, "\"\":1"));
	buf_reset(&b);
	ck_assert_int_eq(rd_remove(&rd, id), RD_OK);
	ck_assert_int_eq(stats_json(&b, now_ms), 0);
	ck_assert_ptr_nonnull(strstr(b.data, "\"endpoints\":{\"s1\":2}"));
	buf_free(&b);
	stats_remove_source(rd_stats, &rd);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("rd");
	TCase	*tc = tcase_create("rd");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, request_validation);
	tcase_add_test(tc, register_lookup_base_change);
	tcase_add_test(tc, endpoint_lookup);
	tcase_add_test(tc, resource_lookup_filters_and_paging);
	tcase_add_test(tc, update_and_remove);
	tcase_add_test(tc, limits_and_missing_base);
	tcase_add_test(tc, lifetime_and_grace);
	tcase_add_test(tc, restore_after_reopen);
	tcase_add_test(tc, failed_commit_changes_nothing);
	tcase_add_test(tc, index_postings);
	tcase_add_test(tc, group_commit);
	tcase_add_test(tc, first_come_first_remembered);
	tcase_add_test(tc, statistics);
	tcase_add_test(tc, link_scope);
	tcase_add_test(tc, proxy_uri);
	suite_add_tcase(s, tc);
	return test_run(s);
}
