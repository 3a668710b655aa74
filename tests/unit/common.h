/* Helpers shared by the Check suites. */
#ifndef COREHUB_TEST_COMMON_H
#define COREHUB_TEST_COMMON_H

#include <check.h>
#include <stdio.h>
#include <stdlib.h>

/* The source tree, from make check's environment or the current dir. */
static inline const char *
test_srcdir(void)
{
	const char *d = getenv("top_srcdir");

	return d ? d : ".";
}

/* Runs one suite; the exit status is what automake expects. */
static inline int
test_run(Suite *s)
{
	SRunner	*sr = srunner_create(s);
	int	 failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

#endif
