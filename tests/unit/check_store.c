/* The store: creation, reopening, the single-instance lock, corruption. */
#include "ac_config.h"

#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>
#include <syslog.h>

#include "common.h"
#include "log.h"
#include "store.h"

static char dir[64], db[PATH_MAX];

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/corehub-store-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(db, sizeof(db), "%s/test.db", dir);
	log_set_level(LOG_CRIT);
}

static void
teardown(void)
{
	char cmd[PATH_MAX + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

START_TEST(create_then_reopen)
{
	struct store *s;

	ck_assert_int_eq(store_open(db, &s), STORE_OK);
	ck_assert_int_eq(store_schema_version(s), STORE_SCHEMA_VERSION);
	store_close(s);
	ck_assert_int_eq(store_open(db, &s), STORE_OK);
	ck_assert_int_eq(store_schema_version(s), STORE_SCHEMA_VERSION);
	store_close(s);
}
END_TEST

START_TEST(second_instance_is_refused)
{
	struct store *s, *s2;

	ck_assert_int_eq(store_open(db, &s), STORE_OK);
	ck_assert_int_eq(store_open(db, &s2), STORE_LOCKED);
	ck_assert_ptr_null(s2);
	store_close(s);
	ck_assert_int_eq(store_open(db, &s2), STORE_OK);
	store_close(s2);
}
END_TEST

START_TEST(garbage_file_is_corrupt)
{
	struct store	*s;
	int		 fd = open(db, O_WRONLY | O_CREAT, 0600);
	char		 junk[8192];

	memset(junk, 'x', sizeof(junk));
	ck_assert_int_eq(write(fd, junk, sizeof(junk)), (int)sizeof(junk));
	close(fd);
	ck_assert_int_eq(store_open(db, &s), STORE_CORRUPT);
	ck_assert_ptr_null(s);
}
END_TEST

START_TEST(damaged_pages_are_corrupt)
{
	struct store	*s;
	sqlite3		*raw;
	int		 fd;
	char		 junk[4096];

	/* A real database with a table spanning pages, then a page smashed. */
	ck_assert_int_eq(sqlite3_open(db, &raw), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(raw, "CREATE TABLE t(x);"
	    "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i+1 FROM c "
	    "WHERE i < 2000) INSERT INTO t SELECT randomblob(100) FROM c;"
	    "CREATE INDEX ti ON t(x);", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(raw);
	memset(junk, 0x5a, sizeof(junk));
	fd = open(db, O_WRONLY);
	ck_assert_int_eq(pwrite(fd, junk, sizeof(junk), 4096 * 20), 4096);
	close(fd);
	ck_assert_int_eq(store_open(db, &s), STORE_CORRUPT);
}
END_TEST

START_TEST(newer_schema_is_refused)
{
	struct store	*s;
	sqlite3		*raw;

	ck_assert_int_eq(sqlite3_open(db, &raw), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(raw, "PRAGMA user_version = 999",
	    NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(raw);
	ck_assert_int_eq(store_open(db, &s), STORE_TOO_NEW);
}
END_TEST

START_TEST(unwritable_place_is_error)
{
	struct store *s;

	ck_assert_int_eq(store_open("/nonexistent/dir/x.db", &s), STORE_ERROR);
	ck_assert_ptr_null(s);
}
END_TEST

int
main(void)
{
	Suite	*su = suite_create("store");
	TCase	*tc = tcase_create("store");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, create_then_reopen);
	tcase_add_test(tc, second_instance_is_refused);
	tcase_add_test(tc, garbage_file_is_corrupt);
	tcase_add_test(tc, damaged_pages_are_corrupt);
	tcase_add_test(tc, newer_schema_is_refused);
	tcase_add_test(tc, unwritable_place_is_error);
	suite_add_tcase(su, tc);
	return test_run(su);
}
