/* Per-identity PSK tables: parsing, lookup, and refusal of bad files. */
#include "ac_config.h"

#include <string.h>

#include "common.h"
#include "psk.h"

static int nerrors;
static char lasterr[256];

static void
collect(void *arg, const char *file, int line, const char *msg)
{
	nerrors++;
	snprintf(lasterr, sizeof(lasterr), "%s:%d: %s", file, line, msg);
}

static struct psk_table *
parse(const char *text)
{
	nerrors = 0;
	lasterr[0] = '\0';
	return psk_table_parse(text, strlen(text), "k", collect, NULL);
}

START_TEST(lookup_by_identity)
{
	struct psk_table *t = parse("# comment\n\n  bob  0xAABB \r\n"
	    "alice secret\ncarol\t0x00ff\n");
	const struct psk_entry *e;

	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(t->count, 3);
	e = psk_table_find(t, "alice", 5);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->key_len, 6);
	ck_assert_mem_eq(e->key, "secret", 6);
	e = psk_table_find(t, "bob", 3);
	ck_assert_uint_eq(e->key_len, 2);
	ck_assert_uint_eq(e->key[0], 0xaa);
	ck_assert_uint_eq(psk_table_find(t, "carol", 5)->key[1], 0xff);
	/* Prefixes and extensions of an identity are other identities. */
	ck_assert_ptr_null(psk_table_find(t, "ali", 3));
	ck_assert_ptr_null(psk_table_find(t, "alicex", 6));
	ck_assert_ptr_null(psk_table_find(t, "", 0));
	psk_table_free(t);
}
END_TEST

START_TEST(empty_file_is_empty_table)
{
	struct psk_table *t = parse("# nobody yet\n");

	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(t->count, 0);
	ck_assert_ptr_null(psk_table_find(t, "a", 1));
	psk_table_free(t);
}
END_TEST

START_TEST(bad_lines_fail_the_load)
{
	char long_id[PSK_IDENTITY_MAX + 10];

	ck_assert_ptr_null(parse("alice\n"));
	ck_assert_ptr_null(parse("a 0x1\n"));
	ck_assert_ptr_null(parse("a 0xgg\n"));
	ck_assert_ptr_null(parse("a b c\n"));
	ck_assert_ptr_null(parse("a k\na k2\n"));
	ck_assert_str_eq(lasterr, "k:2: identity a already has a key (line 1)");
	ck_assert_ptr_null(parse("a\x7f k\n"));
	memset(long_id, 'i', sizeof(long_id) - 3);
	memcpy(long_id + sizeof(long_id) - 3, " k", 3);
	ck_assert_ptr_null(parse(long_id));
	ck_assert_int_eq(nerrors, 1);
}
END_TEST

START_TEST(missing_file_reports)
{
	nerrors = 0;
	ck_assert_ptr_null(psk_table_load("/nonexistent/keys", collect, NULL));
	ck_assert_int_eq(nerrors, 1);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("psk");
	TCase	*tc = tcase_create("psk");

	tcase_add_test(tc, lookup_by_identity);
	tcase_add_test(tc, empty_file_is_empty_table);
	tcase_add_test(tc, bad_lines_fail_the_load);
	tcase_add_test(tc, missing_file_reports);
	suite_add_tcase(s, tc);
	return test_run(s);
}
