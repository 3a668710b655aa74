/*
 * Quota accounting: the per-principal tally (counts that vanish at zero,
 * publish-rate buckets), and the counts the directory and the broker keep
 * by owner as registrations and topics come, change hands and go.
 */
#include "ac_config.h"

#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "common.h"
#include "linkformat.h"
#include "log.h"
#include "ps_topic.h"
#include "rd_registry.h"
#include "tally.h"

START_TEST(counts)
{
	struct tally t = { NULL };

	ck_assert_uint_eq(tally_get(&t, "psk:a"), 0);
	ck_assert_int_eq(tally_add(&t, "psk:a", 1), 0);
	ck_assert_int_eq(tally_add(&t, "psk:a", 2), 0);
	ck_assert_int_eq(tally_add(&t, "psk:b", 1), 0);
	ck_assert_uint_eq(tally_get(&t, "psk:a"), 3);
	ck_assert_uint_eq(tally_get(&t, "psk:b"), 1);
	ck_assert_int_eq(tally_add(&t, "psk:a", -3), 0);
	ck_assert_uint_eq(tally_get(&t, "psk:a"), 0);
	/* At zero an entry goes: the table holds only who holds something. */
	ck_assert_ptr_nonnull(t.entries);	/* psk:b still */
	/* Never below zero, and nothing for an unknown or NULL name. */
	ck_assert_int_eq(tally_add(&t, "psk:b", -5), 0);
	ck_assert_uint_eq(tally_get(&t, "psk:b"), 0);
	ck_assert_int_eq(tally_add(&t, NULL, 1), 0);
	ck_assert_uint_eq(tally_get(&t, NULL), 0);
	ck_assert_ptr_null(t.entries);
	tally_clear(&t);
}
END_TEST

START_TEST(buckets)
{
	struct tally	t = { NULL };
	uint32_t	retry = 0;
	uint64_t	now = 5000;

	/* rate 0: no limit at all. */
	for (int i = 0; i < 100; i++)
		ck_assert_int_eq(tally_take(&t, "psk:a", 0, now, &retry), 0);
	/* A burst of the rate, then 4.29 with the wait in whole seconds. */
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(tally_take(&t, "psk:a", 3, now, &retry), 0);
	ck_assert_int_eq(tally_take(&t, "psk:a", 3, now, &retry), -1);
	ck_assert_uint_eq(retry, 1);
	/* Other principals have their own bucket. */
	ck_assert_int_eq(tally_take(&t, "psk:b", 3, now, &retry), 0);
	/* A third of a second gives one token back. */
	ck_assert_int_eq(tally_take(&t, "psk:a", 3, now + 340, &retry), 0);
	ck_assert_int_eq(tally_take(&t, "psk:a", 3, now + 340, &retry), -1);
	/* A slow rate: the wait is rounded up. */
	ck_assert_int_eq(tally_take(&t, "psk:c", 1, now, &retry), 0);
	ck_assert_int_eq(tally_take(&t, "psk:c", 1, now, &retry), -1);
	ck_assert_uint_ge(retry, 1);
	tally_clear(&t);
	ck_assert_ptr_null(t.entries);
}
END_TEST

static struct rd_content
content(const char *owner)
{
	struct rd_content c;

	memset(&c, 0, sizeof(c));
	c.lt = 100;
	c.con = strdup("coap://h");
	c.owner = owner ? strdup(owner) : NULL;
	ck_assert_int_eq(lf_parse("</a>", 4, NULL, &c.links, NULL), LF_OK);
	return c;
}

START_TEST(directory_owners)
{
	struct rd_registry	r;
	struct rd_content	c;
	struct rd_reg		*a, *b;

	rd_registry_init(&r, 0);
	c = content("psk:alice");
	ck_assert_ptr_nonnull(a = rd_registry_add(&r, 0, "a", NULL, &c, 0,
	    1000));
	c = content("psk:alice");
	ck_assert_ptr_nonnull(b = rd_registry_add(&r, 0, "b", NULL, &c, 0,
	    1000));
	c = content(NULL);
	ck_assert_ptr_nonnull(rd_registry_add(&r, 0, "c", NULL, &c, 0, 1000));
	ck_assert_uint_eq(tally_get(&r.owners, "psk:alice"), 2);
	/* Taken over: one less for alice, one for bob. */
	c = content("psk:bob");
	ck_assert_int_eq(rd_registry_replace(&r, b, &c, 0, 1000), 0);
	ck_assert_uint_eq(tally_get(&r.owners, "psk:alice"), 1);
	ck_assert_uint_eq(tally_get(&r.owners, "psk:bob"), 1);
	rd_registry_remove(&r, a);
	ck_assert_uint_eq(tally_get(&r.owners, "psk:alice"), 0);
	rd_registry_clear(&r);
	ck_assert_uint_eq(tally_get(&r.owners, "psk:bob"), 0);
	ck_assert_ptr_null(r.owners.entries);
}
END_TEST

START_TEST(broker_owners)
{
	const struct ps_limits	lim = { 10, 0, 0, 0 };
	struct ps_registry	r;
	struct ps_props		p;
	struct ps_topic		*t;

	ck_assert_int_eq(ps_registry_init(&r, "/ps/data", &lim), 0);
	memset(&p, 0, sizeof(p));
	ck_assert_ptr_nonnull(p.name = strdup("t"));
	ck_assert_ptr_nonnull(p.data_uri = strdup("/ps/data/1"));
	ck_assert_ptr_nonnull(p.rt = strdup("core.ps.data"));
	p.present = PS_P_NAME | PS_P_DATA | PS_P_RT;
	ck_assert_ptr_nonnull(t = ps_topic_insert(&r, 1, &p, 0, 0));
	/* ps.c records the owner and counts it; removal uncounts it. */
	ck_assert_ptr_nonnull(t->owner = strdup("psk:alice"));
	ck_assert_int_eq(tally_add(&r.owners, t->owner, 1), 0);
	ps_topic_remove(&r, t);
	ck_assert_uint_eq(tally_get(&r.owners, "psk:alice"), 0);
	ps_registry_clear(&r, NULL, NULL);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("tally");
	TCase	*tc = tcase_create("tally");

	log_set_level(LOG_CRIT);
	tcase_add_test(tc, counts);
	tcase_add_test(tc, buckets);
	tcase_add_test(tc, directory_owners);
	tcase_add_test(tc, broker_owners);
	suite_add_tcase(s, tc);
	return test_run(s);
}
