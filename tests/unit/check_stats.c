/*
 * stats: the three views agree with the counters and the sources, a
 * labelled metric without values still shows, labels are escaped, and
 * the CBOR is a well-formed map that libcbor reads back.
 */
#include <string.h>

#include <cbor.h>
#include <coap3/coap.h>

#include "buf.h"
#include "common.h"
#include "stats.h"

static const struct stats_metric m_widgets = { "widgets",
	"corehub_widgets", "Widgets.", STATS_GAUGE, NULL };
static const struct stats_metric m_by_colour = { "colours",
	"corehub_colours", "Widgets by colour.", STATS_GAUGE, "colour" };

static int	colours = 1;

static void
source(void *arg, struct stats_sink *s)
{
	stats_put(s, &m_widgets, NULL, *(double *)arg);
	stats_declare(s, &m_by_colour);
	if (colours) {
		stats_put(s, &m_by_colour, "red", 2);
		stats_put(s, &m_by_colour, "say \"hi\"\\", 1);
	}
}

static char *
view(int (*fn)(struct buf *, uint64_t), size_t *len)
{
	struct buf b;

	buf_init(&b, 0);
	ck_assert_int_eq(fn(&b, 5000), 0);
	if (len != NULL)
		*len = b.len;
	return buf_release(&b);
}

START_TEST(json_follows_counters)
{
	double	 widgets = 7;
	char	*j;

	stats_init(1000);
	ck_assert_int_eq(stats_add_source(source, &widgets), 0);
	stats_request(COAP_REQUEST_GET, 0);
	stats_request(COAP_REQUEST_GET, 0);
	stats_request(COAP_REQUEST_IPATCH, 0);
	stats_response(0x45, 0);			/* 2.05 */
	stats_response(0x84, 0);			/* 4.04 */
	stats_session(STATS_DTLS, 1);
	stats_session(STATS_UDP, -1);		/* never below 0 */
	stats_commit(1500, 1);
	stats_commit(10, 0);
	j = view(stats_json, NULL);
	ck_assert_ptr_nonnull(strstr(j, "{\"uptime\":4,"));
	ck_assert_ptr_nonnull(strstr(j, "\"requests\":{\"GET\":2,"
	    "\"iPATCH\":1}"));
	ck_assert_ptr_nonnull(strstr(j, "\"responses\":{\"2.05\":1,"
	    "\"4.04\":1}"));
	ck_assert_ptr_nonnull(strstr(j, "\"sessions\":{\"udp\":0,\"dtls\":1,"));
	ck_assert_ptr_nonnull(strstr(j, "\"store_commits\":1,"
	    "\"store_errors\":1,\"store_last_commit\":1e-05"));
	ck_assert_ptr_nonnull(strstr(j, "\"widgets\":7,"));
	ck_assert_ptr_nonnull(strstr(j, "\"colours\":{\"red\":2,"
	    "\"say \\\"hi\\\"\\\\\":1}}"));
	free(j);
	widgets = 8;
	colours = 0;
	j = view(stats_json, NULL);
	ck_assert_ptr_nonnull(strstr(j, "\"widgets\":8,\"colours\":{}}"));
	free(j);
	colours = 1;
	stats_remove_source(source, &widgets);
	j = view(stats_json, NULL);
	ck_assert_ptr_null(strstr(j, "widgets"));
	free(j);
}
END_TEST

START_TEST(generation_moves)
{
	uint64_t g;

	stats_init(0);
	g = stats_generation();
	stats_notification();			/* sent by the observers */
	stats_request(COAP_REQUEST_GET, 1);	/* the statistics read */
	stats_response(0x45, 1);
	ck_assert_uint_eq(stats_generation(), g);
	stats_limit_hit();
	ck_assert_uint_gt(stats_generation(), g);
}
END_TEST

START_TEST(prometheus_text)
{
	double	 widgets = 3;
	char	*t;

	stats_init(0);
	ck_assert_int_eq(stats_add_source(source, &widgets), 0);
	stats_auth_refused();
	t = view(stats_prometheus, NULL);
	ck_assert_ptr_nonnull(strstr(t, "# HELP corehub_auth_refusals_total "
	    "Requests refused by authorization.\n# TYPE "
	    "corehub_auth_refusals_total counter\n"
	    "corehub_auth_refusals_total 1\n"));
	/* Declared, no value yet: the family is still announced. */
	ck_assert_ptr_nonnull(strstr(t, "# TYPE corehub_requests_total "
	    "counter\n# HELP corehub_responses_total"));
	ck_assert_ptr_nonnull(strstr(t, "corehub_colours{colour=\"red\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(t, "corehub_colours{colour="
	    "\"say \\\"hi\\\"\\\\\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(t, "# TYPE corehub_widgets gauge\n"
	    "corehub_widgets 3\n"));
	free(t);
	stats_remove_source(source, &widgets);
}
END_TEST

START_TEST(cbor_map)
{
	double			 widgets = 2;
	struct cbor_load_result	 res;
	cbor_item_t		*item;
	struct cbor_pair	*pairs;
	size_t			 len, found = 0;
	char			*c;

	stats_init(0);
	ck_assert_int_eq(stats_add_source(source, &widgets), 0);
	stats_request(COAP_REQUEST_POST, 0);
	c = view(stats_cbor, &len);
	item = cbor_load((const unsigned char *)c, len, &res);
	ck_assert_ptr_nonnull(item);
	ck_assert_uint_eq(res.read, len);
	ck_assert(cbor_isa_map(item) && cbor_map_is_definite(item));
	pairs = cbor_map_handle(item);
	for (size_t i = 0; i < cbor_map_size(item); i++) {
		cbor_item_t *k = pairs[i].key, *v = pairs[i].value;

		ck_assert(cbor_isa_string(k));
		if (cbor_string_length(k) == 7 &&
		    memcmp(cbor_string_handle(k), "widgets", 7) == 0) {
			ck_assert_uint_eq(cbor_get_int(v), 2);
			found++;
		}
		if (cbor_string_length(k) == 8 &&
		    memcmp(cbor_string_handle(k), "requests", 8) == 0) {
			ck_assert(cbor_isa_map(v));
			ck_assert_uint_eq(cbor_map_size(v), 1);
			found++;
		}
	}
	ck_assert_uint_eq(found, 2);
	cbor_decref(&item);
	free(c);
	stats_remove_source(source, &widgets);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("stats");
	TCase	*tc = tcase_create("stats");

	tcase_add_test(tc, json_follows_counters);
	tcase_add_test(tc, generation_moves);
	tcase_add_test(tc, prometheus_text);
	tcase_add_test(tc, cbor_map);
	suite_add_tcase(s, tc);
	return test_run(s);
}
