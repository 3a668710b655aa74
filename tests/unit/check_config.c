/* The configuration parser: golden files, error cases, and the file rules. */
#include "ac_config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "common.h"
#include "config.h"
#include "psk.h"
#include "util.h"

static char confdir[PATH_MAX];

/* Replaces the build-dependent default path in expected output. */
static char *
expand(const char *text)
{
	const char	*tok = "@DEFAULT_DATABASE@";
	const char	*hit = strstr(text, tok);
	char		*out;
	size_t		 n;

	if (hit == NULL)
		return strdup(text);
	n = strlen(text) + strlen(COREHUB_DBPATH) + 1;
	out = malloc(n);
	ck_assert_ptr_nonnull(out);
	snprintf(out, n, "%.*s%s%s", (int)(hit - text), text, COREHUB_DBPATH,
	    hit + strlen(tok));
	return out;
}

static char *
read_text(const char *path)
{
	char	*buf;
	size_t	 len;

	ck_assert_msg(util_read_file(path, 1 << 20, &buf, &len) == 0,
	    "cannot read %s", path);
	return buf;
}

/* Parses NAME.in in the conf dir; returns -nv output or the errors. */
static char *
run_case(const char *name, int *ok)
{
	char		 in[NAME_MAX + 8];
	char		*out = NULL, *text;
	size_t		 outlen = 0, len;
	FILE		*f;
	struct config	*c;

	snprintf(in, sizeof(in), "%s.in", name);
	ck_assert_int_eq(util_read_file(in, 1 << 20, &text, &len), 0);
	f = open_memstream(&out, &outlen);
	ck_assert_ptr_nonnull(f);
	c = config_parse(text, len, in, f);
	*ok = c != NULL;
	if (c != NULL)
		config_print(c, f);
	config_free(c);
	fclose(f);
	free(text);
	return out;
}

START_TEST(golden_files)
{
	DIR		*d;
	struct dirent	*de;
	int		 cases = 0;

	ck_assert_int_eq(chdir(confdir), 0);
	ck_assert_ptr_nonnull(d = opendir("."));
	while ((de = readdir(d)) != NULL) {
		char	name[NAME_MAX + 1], path[NAME_MAX + 8];
		char	*got, *want, *raw;
		size_t	n = strlen(de->d_name);
		int	ok, expect_ok;

		if (n < 4 || strcmp(de->d_name + n - 3, ".in") != 0)
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(n - 3), de->d_name);
		snprintf(path, sizeof(path), "%s.ok", name);
		expect_ok = access(path, F_OK) == 0;
		if (!expect_ok)
			snprintf(path, sizeof(path), "%s.err", name);
		raw = read_text(path);
		want = expand(raw);
		got = run_case(name, &ok);
		ck_assert_msg(ok == expect_ok, "%s: %s", name, got);
		ck_assert_msg(strcmp(got, want) == 0,
		    "%s: got\n%s\nwanted\n%s", name, got, want);
		free(raw);
		free(want);
		free(got);
		cases++;
	}
	closedir(d);
	ck_assert_int_ge(cases, 8);
}
END_TEST

/* -nv output must itself be a valid configuration that prints the same. */
START_TEST(print_round_trip)
{
	char		*text, *first = NULL, *second = NULL;
	size_t		 len, l1 = 0, l2 = 0;
	struct config	*c, *c2;
	FILE		*f;

	ck_assert_int_eq(chdir(confdir), 0);
	ck_assert_int_eq(util_read_file("02-full.in", 1 << 20, &text, &len),
	    0);
	c = config_parse(text, len, "02-full.in", stderr);
	ck_assert_ptr_nonnull(c);
	f = open_memstream(&first, &l1);
	config_print(c, f);
	fclose(f);
	c2 = config_parse(first, l1, "printed.conf", stderr);
	ck_assert_ptr_nonnull(c2);
	f = open_memstream(&second, &l2);
	config_print(c2, f);
	fclose(f);
	ck_assert_str_eq(first, second);
	config_free(c);
	config_free(c2);
	free(text);
	free(first);
	free(second);
}
END_TEST

START_TEST(shipped_config_is_valid)
{
	char		 path[PATH_MAX];
	struct config	*c;

	snprintf(path, sizeof(path), "%s/etc/corehub.conf", test_srcdir());
	c = config_load(path, stderr);
	ck_assert_ptr_nonnull(c);
	ck_assert_uint_ge(c->nlisteners, 1);
	config_free(c);
}
END_TEST

START_TEST(psk_file_is_loaded)
{
	const char	*text = "listen coaps://127.0.0.1 {\n"
			    "psk-file files/psk.keys\n}\n";
	struct config	*c;
	const struct psk_entry *e;

	ck_assert_int_eq(chdir(confdir), 0);
	c = config_parse(text, strlen(text), "x.conf", stderr);
	ck_assert_ptr_nonnull(c);
	e = psk_table_find(TAILQ_FIRST(&c->listeners)->psk, "bob", 3);
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(e->key_len, 16);
	ck_assert_uint_eq(e->key[15], 0xff);
	config_free(c);
}
END_TEST

static void
expect_error(const char *text, const char *msg)
{
	char	*out = NULL;
	size_t	 len = 0;
	FILE	*f = open_memstream(&out, &len);
	struct config *c;

	c = config_parse(text, strlen(text), "t.conf", f);
	fclose(f);
	ck_assert_msg(c == NULL, "accepted: %s", text);
	ck_assert_msg(strstr(out, msg) != NULL, "wanted \"%s\" in \"%s\"",
	    msg, out);
	free(out);
}

START_TEST(hostile_input)
{
	char	*big;
	size_t	 n = CONFIG_LINE_MAX + 10;

	expect_error("listen coap://1.2.3.4\nx \"a\"b\n", "directly after");
	expect_error("listen coap://1.2.3.4\nlog-level a\"b\n",
	    "quote inside");
	expect_error("listen coap://1.2.3.4\nlog-level\x01x\n",
	    "control character");
	{
		static const char nul[] = "listen coap://1.2.3.4\n\0\n";
		FILE *devnull = fopen("/dev/null", "w");

		ck_assert_ptr_null(config_parse(nul, sizeof(nul) - 1, "t",
		    devnull));
		fclose(devnull);
	}
	expect_error("listen coap://1.2.3.4\na b c d e f g h i j\n",
	    "too many words");
	expect_error("listen coap://1.2.3.4\n}\n", "unknown keyword \"}\"");
	expect_error("listen coap://1.2.3.4 x\n", "expected \"{\"");
	big = malloc(n + 1);
	memset(big, 'a', n);
	big[n] = '\0';
	expect_error(big, "longer than");
	free(big);
}
END_TEST

START_TEST(include_depth_is_bounded)
{
	char	dir[] = "/tmp/corehub-conf-XXXXXX", path[PATH_MAX];
	FILE	*f;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/loop.conf", dir);
	f = fopen(path, "w");
	fputs("include loop.conf\n", f);
	fclose(f);
	{
		FILE *devnull = fopen("/dev/null", "w");

		ck_assert_ptr_null(config_load(path, devnull));
		fclose(devnull);
	}
	unlink(path);
	rmdir(dir);
}
END_TEST

START_TEST(listener_limit)
{
	char	*text = malloc(CONFIG_LISTENERS_MAX * 40 + 64), *p = text;

	for (int i = 0; i <= CONFIG_LISTENERS_MAX; i++)
		p += sprintf(p, "listen coap://127.0.0.1:%d\n", 1000 + i);
	expect_error(text, "more than 64 listeners");
	free(text);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("config");
	TCase	*tc = tcase_create("config");

	snprintf(confdir, sizeof(confdir), "%s/tests/conf", test_srcdir());
	if (confdir[0] != '/') {
		char cwd[PATH_MAX / 2];

		if (getcwd(cwd, sizeof(cwd)) == NULL)
			return 99;
		snprintf(confdir, sizeof(confdir), "%s/%s/tests/conf", cwd,
		    test_srcdir());
	}
	tcase_add_test(tc, golden_files);
	tcase_add_test(tc, print_round_trip);
	tcase_add_test(tc, shipped_config_is_valid);
	tcase_add_test(tc, psk_file_is_loaded);
	tcase_add_test(tc, hostile_input);
	tcase_add_test(tc, include_depth_is_bounded);
	tcase_add_test(tc, listener_limit);
	suite_add_tcase(s, tc);
	return test_run(s);
}
