/*
 * The RD proxy's pure parts: which registrations may be proxied, the
 * proxy URIs they get and the names a Uri-Host maps back to, the cache
 * of devices' answers (freshness, replacement, byte budget), and the
 * messages: options passed or kept, cache keys, blocks cut for a client.
 */
#include "ac_config.h"

#include <string.h>
#include <syslog.h>

#include <coap3/coap.h>

#include "buf.h"
#include "coaputil.h"
#include "common.h"
#include "log.h"
#include "rd_proxy.h"
#include "rd_proxy_cache.h"
#include "rd_proxy_msg.h"

static struct rd_param yes = { "proxy", "yes" };
static struct rd_param on = { "proxy", "on" };
static struct rd_param ondemand = { "proxy", "ondemand" };
static struct rd_param no = { "proxy", "no" };
static struct rd_param maybe = { "proxy", "maybe" };
static struct rd_param bare = { "proxy", NULL };
static struct rd_param other = { "et", "x" };

START_TEST(base_syntax)
{
	ck_assert(rd_proxy_base_valid("coap://proxy.example.net"));
	ck_assert(rd_proxy_base_valid("coaps+tcp://p-1.example:5700"));
	ck_assert(rd_proxy_base_valid("coap+tcp://localhost"));
	/* The names go before a DNS name: no literal, path, query or user. */
	ck_assert(!rd_proxy_base_valid("coap://[2001:db8::1]"));
	ck_assert(!rd_proxy_base_valid("coap://10.0.0.1"));
	ck_assert(!rd_proxy_base_valid("coap://proxy.example/"));
	ck_assert(!rd_proxy_base_valid("coap://proxy.example?x"));
	ck_assert(!rd_proxy_base_valid("coap://u@proxy.example"));
	ck_assert(!rd_proxy_base_valid("http://proxy.example"));
	ck_assert(!rd_proxy_base_valid("coap://proxy..example"));
	ck_assert(!rd_proxy_base_valid("coap://-x.example"));
	ck_assert(!rd_proxy_base_valid("coap://proxy.example:0"));
	ck_assert(!rd_proxy_base_valid("coap://proxy.example:65536"));
	ck_assert(!rd_proxy_base_valid("coap://proxy.example:"));
	ck_assert(!rd_proxy_base_valid("proxy.example"));
}
END_TEST

START_TEST(wanted_and_refused)
{
	struct rd_param two[2] = { { "proxy", "yes" }, { "proxy", "no" } };
	const char *base = "coap://p.test";

	ck_assert_int_eq(rd_proxy_wanted(NULL, 0), 0);
	ck_assert_int_eq(rd_proxy_wanted(&other, 1), 0);
	ck_assert_int_eq(rd_proxy_wanted(&yes, 1), 1);
	ck_assert_int_eq(rd_proxy_wanted(&on, 1), 1);
	ck_assert_int_eq(rd_proxy_wanted(&ondemand, 1), 1);
	ck_assert_int_eq(rd_proxy_wanted(&no, 1), 0);
	ck_assert_int_eq(rd_proxy_wanted(&maybe, 1), -1);
	ck_assert_int_eq(rd_proxy_wanted(&bare, 1), -1);
	/* The last one given counts, as for any repeated parameter. */
	ck_assert_int_eq(rd_proxy_wanted(two, 2), 0);

	ck_assert_ptr_null(rd_proxy_refusal(&yes, 1, "node-1", NULL, base));
	ck_assert_ptr_null(rd_proxy_refusal(&yes, 1, "n", "lab2", base));
	ck_assert_ptr_null(rd_proxy_refusal(&no, 1, "node_1", NULL, NULL));
	ck_assert_ptr_null(rd_proxy_refusal(&other, 1, "a b", NULL, NULL));
	ck_assert_ptr_nonnull(rd_proxy_refusal(&maybe, 1, "n", NULL, base));
	ck_assert_ptr_nonnull(rd_proxy_refusal(&yes, 1, "n", NULL, NULL));
	ck_assert_ptr_nonnull(rd_proxy_refusal(&yes, 1, "node_1", NULL,
	    base));
	ck_assert_ptr_nonnull(rd_proxy_refusal(&yes, 1, "n", "a.b", base));
	ck_assert_ptr_nonnull(rd_proxy_refusal(&yes, 1, "-n", NULL, base));
	/* Uri-Host is lowercase (RFC 7252 6.4): so must the names be. */
	ck_assert_ptr_nonnull(rd_proxy_refusal(&yes, 1, "Node1", NULL, base));
	ck_assert_ptr_nonnull(rd_proxy_refusal(&yes, 1, "n", "Lab", base));
	ck_assert_ptr_nonnull(rd_proxy_refusal(&yes, 1,
	    "a123456789012345678901234567890123456789012345678901234567890123",
	    NULL, base));
}
END_TEST

START_TEST(uri_and_host)
{
	const char	*base = "coap://Proxy.Test:5700";
	char		 ep[RD_PROXY_LABEL_MAX + 1], d[RD_PROXY_LABEL_MAX + 1];
	char		*u;

	ck_assert_ptr_nonnull(u = rd_proxy_uri(base, "dev1", NULL));
	ck_assert_str_eq(u, "coap://dev1.Proxy.Test:5700");
	free(u);
	ck_assert_ptr_nonnull(u = rd_proxy_uri(base, "dev1", "lab"));
	ck_assert_str_eq(u, "coap://dev1.lab.Proxy.Test:5700");
	free(u);
	ck_assert_ptr_nonnull(u = rd_proxy_uri("coaps+tcp://p.test", "x",
	    NULL));
	ck_assert_str_eq(u, "coaps+tcp://x.p.test");
	free(u);
	ck_assert_ptr_null(rd_proxy_uri(NULL, "x", NULL));

	/* Back from a Uri-Host, in any case: the names in lowercase. */
	ck_assert_int_eq(rd_proxy_host(base, "dev1.proxy.test", 15, ep, d), 1);
	ck_assert_str_eq(ep, "dev1");
	ck_assert_str_eq(d, "");
	ck_assert_int_eq(rd_proxy_host(base, "Dev1.LAB.PROXY.test", 19, ep,
	    d), 1);
	ck_assert_str_eq(ep, "dev1");
	ck_assert_str_eq(d, "lab");
	/* corehub's own name, other names and malformed ones are not ours */
	ck_assert_int_eq(rd_proxy_host(base, "proxy.test", 10, ep, d), 0);
	ck_assert_int_eq(rd_proxy_host(base, ".proxy.test", 11, ep, d), 0);
	ck_assert_int_eq(rd_proxy_host(base, "localhost", 9, ep, d), 0);
	ck_assert_int_eq(rd_proxy_host(base, "a.b.c.proxy.test", 16, ep, d),
	    0);
	ck_assert_int_eq(rd_proxy_host(base, "a_b.proxy.test", 14, ep, d), 0);
	ck_assert_int_eq(rd_proxy_host(base, "dev1xproxy.test", 15, ep, d),
	    0);
	ck_assert_int_eq(rd_proxy_host(NULL, "dev1.proxy.test", 15, ep, d),
	    0);
	/* Not NUL-terminated: only len bytes are the host. */
	ck_assert_int_eq(rd_proxy_host(base, "dev1.proxy.testXYZ", 15, ep,
	    d), 1);
	ck_assert_str_eq(ep, "dev1");
}
END_TEST

START_TEST(cache_freshness)
{
	struct rd_proxy_cache		*c = rd_proxy_cache_new(4096);
	const struct rd_proxy_entry	*e;
	const uint8_t			 opts[] = { 0, 12, 0, 1, 0 };

	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_null(rd_proxy_cache_get(c, 1, "k", 0));
	ck_assert_int_eq(rd_proxy_cache_put(c, 1, "k", 0x45, opts,
	    sizeof(opts), (const uint8_t *)"21.5", 4, 1000), 0);
	ck_assert_ptr_nonnull(e = rd_proxy_cache_get(c, 1, "k", 999));
	ck_assert_uint_eq(e->code, 0x45);
	ck_assert_uint_eq(e->len, 4);
	ck_assert_int_eq(memcmp(e->body, "21.5", 4), 0);
	ck_assert_int_eq(memcmp(e->opts, opts, sizeof(opts)), 0);
	/* Keyed by registration too: another device's same path differs. */
	ck_assert_ptr_null(rd_proxy_cache_get(c, 2, "k", 0));
	ck_assert_ptr_null(rd_proxy_cache_get(c, 1, "k2", 0));
	/* Replaced, not doubled. */
	ck_assert_int_eq(rd_proxy_cache_put(c, 1, "k", 0x45, NULL, 0,
	    (const uint8_t *)"22", 2, 2000), 0);
	ck_assert_uint_eq(rd_proxy_cache_count(c), 1);
	ck_assert_uint_eq(rd_proxy_cache_get(c, 1, "k", 1500)->len, 2);
	/* Stale at its end, and gone then. */
	ck_assert_ptr_null(rd_proxy_cache_get(c, 1, "k", 2000));
	ck_assert_uint_eq(rd_proxy_cache_count(c), 0);
	ck_assert_uint_eq(rd_proxy_cache_bytes(c), 0);
	rd_proxy_cache_free(c);
}
END_TEST

START_TEST(cache_budget_and_drop)
{
	struct rd_proxy_cache	*c = rd_proxy_cache_new(1000);
	uint8_t			 body[600];
	size_t			 before;

	memset(body, 'x', sizeof(body));
	ck_assert_ptr_nonnull(c);
	/* Larger than the whole budget: not kept at all. */
	ck_assert_int_eq(rd_proxy_cache_put(c, 1, "big", 0x45, NULL, 0, body,
	    1000, 10), -1);
	ck_assert_int_eq(rd_proxy_cache_put(c, 1, "a", 0x45, NULL, 0, body,
	    300, 10), 0);
	ck_assert_int_eq(rd_proxy_cache_put(c, 2, "b", 0x45, NULL, 0, body,
	    300, 10), 0);
	ck_assert_uint_le(rd_proxy_cache_bytes(c), 1000);
	/* The oldest makes room for the newest. */
	ck_assert_int_eq(rd_proxy_cache_put(c, 3, "c", 0x45, NULL, 0, body,
	    600, 10), 0);
	ck_assert_ptr_null(rd_proxy_cache_get(c, 1, "a", 0));
	ck_assert_ptr_nonnull(rd_proxy_cache_get(c, 3, "c", 0));
	ck_assert_uint_le(rd_proxy_cache_bytes(c), 1000);
	/* A change through the proxy drops that device's answers only. */
	before = rd_proxy_cache_count(c);
	rd_proxy_cache_drop(c, 3);
	ck_assert_uint_eq(rd_proxy_cache_count(c), before - 1);
	ck_assert_ptr_null(rd_proxy_cache_get(c, 3, "c", 0));
	/* A smaller budget evicts at once; 0 keeps nothing. */
	ck_assert_int_eq(rd_proxy_cache_put(c, 4, "d", 0x45, NULL, 0, body,
	    10, 10), 0);
	rd_proxy_cache_set_max(c, 0);
	ck_assert_uint_eq(rd_proxy_cache_count(c), 0);
	ck_assert_int_eq(rd_proxy_cache_put(c, 4, "d", 0x45, NULL, 0, body,
	    1, 10), -1);
	rd_proxy_cache_free(c);
}
END_TEST

static coap_pdu_t *
pdu(coap_pdu_code_t code)
{
	coap_pdu_t *p = coap_pdu_init(COAP_MESSAGE_CON, code, 1, 1200);

	ck_assert_ptr_nonnull(p);
	return p;
}

static void
opt(coap_pdu_t *p, coap_option_num_t num, const char *v)
{
	ck_assert(coap_add_option(p, num, strlen(v), (const uint8_t *)v));
}

START_TEST(msg_options_and_keys)
{
	coap_pdu_t	*a = pdu(COAP_REQUEST_CODE_GET);
	coap_pdu_t	*b = pdu(COAP_REQUEST_CODE_GET);
	coap_pdu_t	*c = pdu(COAP_REQUEST_CODE_GET);
	coap_pdu_t	*post = pdu(COAP_REQUEST_CODE_POST);
	coap_pdu_t	*ans = pdu(COAP_RESPONSE_CODE(205));
	char		*ka, *kb;
	struct buf	 kept;

	/* Uri-Host is the proxy's: the same key with or without it. */
	opt(a, COAP_OPTION_URI_HOST, "dev.p.test");
	opt(a, COAP_OPTION_URI_PATH, "s");
	opt(a, COAP_OPTION_URI_QUERY, "x=1");
	opt(b, COAP_OPTION_URI_PATH, "s");
	opt(b, COAP_OPTION_URI_QUERY, "x=1");
	ck_assert_ptr_nonnull(ka = rd_proxy_msg_cache_key(a));
	ck_assert_ptr_nonnull(kb = rd_proxy_msg_cache_key(b));
	ck_assert_str_eq(ka, kb);
	free(kb);
	/* Another query, another key; an ETag (validation): none. */
	opt(c, COAP_OPTION_ETAG, "t");
	opt(c, COAP_OPTION_URI_PATH, "s");
	ck_assert_ptr_null(rd_proxy_msg_cache_key(c));
	ck_assert_ptr_null(rd_proxy_msg_cache_key(post));
	free(ka);

	ck_assert(rd_proxy_msg_hop(COAP_OPTION_OBSERVE));
	ck_assert(rd_proxy_msg_hop(COAP_OPTION_BLOCK2));
	ck_assert(!rd_proxy_msg_hop(COAP_OPTION_URI_PATH));
	ck_assert(!rd_proxy_msg_unknown_unsafe(COAP_OPTION_IF_MATCH));
	ck_assert(!rd_proxy_msg_unknown_unsafe(COAP_OPTION_URI_HOST));
	ck_assert(!rd_proxy_msg_unknown_unsafe(2048));	/* safe */
	ck_assert(rd_proxy_msg_unknown_unsafe(2050));	/* unsafe */

	/* An answer's options kept, but Observe; values read back. */
	cu_add_uint_option(ans, COAP_OPTION_OBSERVE, 7);
	opt(ans, COAP_OPTION_ETAG, "\x01\x02");
	cu_add_uint_option(ans, COAP_OPTION_CONTENT_FORMAT, 40);
	cu_add_uint_option(ans, COAP_OPTION_MAXAGE, 30);
	buf_init(&kept, 1024);
	ck_assert_int_eq(rd_proxy_msg_keep(&kept, ans), 0);
	ck_assert_uint_eq(rd_proxy_msg_kept((uint8_t *)kept.data, kept.len,
	    COAP_OPTION_MAXAGE, 60), 30);
	ck_assert_uint_eq(rd_proxy_msg_kept((uint8_t *)kept.data, kept.len,
	    COAP_OPTION_ETAG, 0), 0x0102);
	ck_assert_uint_eq(rd_proxy_msg_kept((uint8_t *)kept.data, kept.len,
	    COAP_OPTION_CONTENT_FORMAT, 0), 40);
	ck_assert_uint_eq(rd_proxy_msg_kept((uint8_t *)kept.data, kept.len,
	    COAP_OPTION_OBSERVE, 99), 99);
	buf_free(&kept);
	coap_delete_pdu(a);
	coap_delete_pdu(b);
	coap_delete_pdu(c);
	coap_delete_pdu(post);
	coap_delete_pdu(ans);
}
END_TEST

/* Block2 as RFC 7959 2.4 has it: the client's offset, the smaller size. */
START_TEST(block_cutting)
{
	uint8_t		 body[2500];
	coap_block_t	 blk = { 1, 0, 6 };	/* block 1 of 1024 bytes */
	coap_pdu_t	*r = pdu(COAP_RESPONSE_CODE(205));
	coap_block_t	 got;
	size_t		 len;
	const uint8_t	*data;

	for (size_t i = 0; i < sizeof(body); i++)
		body[i] = (uint8_t)(i / 64);
	ck_assert(!cu_block2_past_end(&blk, sizeof(body)));
	ck_assert_int_eq(cu_block2(r, &blk, 2, body, sizeof(body)), 0);
	ck_assert(coap_get_block(r, COAP_OPTION_BLOCK2, &got));
	ck_assert_uint_eq(got.szx, 2);
	ck_assert_uint_eq(got.num, 16);		/* 1024 / 64 */
	ck_assert_uint_eq(got.m, 1);
	ck_assert(coap_get_data(r, &len, &data));
	ck_assert_uint_eq(len, 64);
	ck_assert_uint_eq(data[0], 16);
	coap_delete_pdu(r);
	/* The last block, and past the end. */
	r = pdu(COAP_RESPONSE_CODE(205));
	blk.num = 39;
	blk.szx = 2;
	ck_assert_int_eq(cu_block2(r, &blk, 6, body, sizeof(body)), 0);
	ck_assert(coap_get_block(r, COAP_OPTION_BLOCK2, &got));
	ck_assert_uint_eq(got.m, 0);
	ck_assert(coap_get_data(r, &len, &data));
	ck_assert_uint_eq(len, sizeof(body) - 39 * 64);
	coap_delete_pdu(r);
	blk.num = 40;
	ck_assert(cu_block2_past_end(&blk, sizeof(body)));
	/* A body that fits one block goes whole, without Block2. */
	r = pdu(COAP_RESPONSE_CODE(205));
	ck_assert_int_eq(cu_block2(r, NULL, 6, body, 100), 0);
	ck_assert(!coap_get_block(r, COAP_OPTION_BLOCK2, &got));
	coap_delete_pdu(r);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("rd_proxy");
	TCase	*tc = tcase_create("rd_proxy");

	log_set_level(LOG_CRIT);
	coap_startup();
	tcase_add_test(tc, base_syntax);
	tcase_add_test(tc, wanted_and_refused);
	tcase_add_test(tc, uri_and_host);
	tcase_add_test(tc, cache_freshness);
	tcase_add_test(tc, cache_budget_and_drop);
	tcase_add_test(tc, msg_options_and_keys);
	tcase_add_test(tc, block_cutting);
	suite_add_tcase(s, tc);
	return test_run(s);
}
