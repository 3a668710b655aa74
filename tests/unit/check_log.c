/* Logging helpers: level names, escaping of peer-supplied text. */
#include "ac_config.h"

#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "common.h"
#include "log.h"

START_TEST(level_names)
{
	ck_assert_int_eq(log_level_from_name("debug"), LOG_DEBUG);
	ck_assert_int_eq(log_level_from_name("WARNING"), LOG_WARNING);
	ck_assert_int_eq(log_level_from_name("warn"), LOG_WARNING);
	ck_assert_int_eq(log_level_from_name("err"), LOG_ERR);
	ck_assert_int_eq(log_level_from_name("emerg"), -1);
	ck_assert_int_eq(log_level_from_name("loud"), -1);
	ck_assert_str_eq(log_level_name(LOG_NOTICE), "notice");
}
END_TEST

START_TEST(levels_are_clamped)
{
	log_set_level(LOG_DEBUG + 5);
	ck_assert_int_eq(log_get_level(), LOG_DEBUG);
	log_set_level(0);
	ck_assert_int_eq(log_get_level(), LOG_ERR);
}
END_TEST

START_TEST(escape_peer_text)
{
	char buf[32];

	ck_assert_str_eq(log_escape("alice", 5, buf, sizeof(buf)), "alice");
	ck_assert_str_eq(log_escape("a\nb\"\\", 5, buf, sizeof(buf)),
	    "a\\x0ab\\x22\\x5c");
	ck_assert_str_eq(log_escape("a\0b", 3, buf, sizeof(buf)), "a\\x00b");
	/* Truncated, never overflowing, always terminated. */
	ck_assert_uint_lt(strlen(log_escape(
	    "\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01\x01", 12, buf, 16)),
	    16);
}
END_TEST

/* A library flood costs a burst of lines, then one "suppressed" line. */
START_TEST(library_messages_are_rate_limited)
{
	char	 path[] = "/tmp/corehub-log-XXXXXX", line[256];
	int	 fd = mkstemp(path), saved = dup(2), lines = 0, suppressed = 0;
	FILE	*f;

	ck_assert_int_ge(fd, 0);
	log_set_level(LOG_DEBUG);
	ck_assert_int_ge(dup2(fd, 2), 0);
	for (int i = 0; i < 1000; i++)
		log_limited("coap", LOG_WARNING, "discard malformed PDU\n");
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	f = fdopen(fd, "r");
	rewind(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		lines++;
		if (strstr(line, "suppressed") != NULL)
			suppressed++;
		/* The library's own newline is not doubled. */
		ck_assert_ptr_null(strstr(line, "PDU\n\n"));
	}
	fclose(f);
	unlink(path);
	ck_assert_int_le(lines, 60);
	ck_assert_int_ge(lines, 40);
	ck_assert_int_eq(suppressed, 0);	/* no token left to report it */
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("log");
	TCase	*tc = tcase_create("log");

	tcase_add_test(tc, level_names);
	tcase_add_test(tc, levels_are_clamped);
	tcase_add_test(tc, escape_peer_text);
	tcase_add_test(tc, library_messages_are_rate_limited);
	suite_add_tcase(s, tc);
	return test_run(s);
}
