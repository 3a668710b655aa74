/* RFC 3986 reference resolution, with the RFC's own examples (5.4). */
#include "ac_config.h"

#include <string.h>

#include "buf.h"
#include "common.h"
#include "uri.h"

static const char *const cases[][2] = {
	/* 5.4.1 normal examples */
	{ "g:h", "g:h" }, { "g", "http://a/b/c/g" }, { "./g", "http://a/b/c/g" },
	{ "g/", "http://a/b/c/g/" }, { "/g", "http://a/g" }, { "//g", "http://g" },
	{ "?y", "http://a/b/c/d;p?y" }, { "g?y", "http://a/b/c/g?y" },
	{ "#s", "http://a/b/c/d;p?q#s" }, { "g#s", "http://a/b/c/g#s" },
	{ "g?y#s", "http://a/b/c/g?y#s" }, { ";x", "http://a/b/c/;x" },
	{ "g;x", "http://a/b/c/g;x" }, { "g;x?y#s", "http://a/b/c/g;x?y#s" },
	{ "", "http://a/b/c/d;p?q" }, { ".", "http://a/b/c/" },
	{ "./", "http://a/b/c/" }, { "..", "http://a/b/" }, { "../", "http://a/b/" },
	{ "../g", "http://a/b/g" }, { "../..", "http://a/" },
	{ "../../", "http://a/" }, { "../../g", "http://a/g" },
	/* 5.4.2 abnormal examples */
	{ "../../../g", "http://a/g" }, { "../../../../g", "http://a/g" },
	{ "/./g", "http://a/g" }, { "/../g", "http://a/g" }, { "g.", "http://a/b/c/g." },
	{ ".g", "http://a/b/c/.g" }, { "g..", "http://a/b/c/g.." },
	{ "..g", "http://a/b/c/..g" }, { "./../g", "http://a/b/g" },
	{ "./g/.", "http://a/b/c/g/" }, { "g/./h", "http://a/b/c/g/h" },
	{ "g/../h", "http://a/b/c/h" }, { "g;x=1/./y", "http://a/b/c/g;x=1/y" },
	{ "g;x=1/../y", "http://a/b/c/y" }, { "g?y/./x", "http://a/b/c/g?y/./x" },
	{ "g?y/../x", "http://a/b/c/g?y/../x" }, { "g#s/./x", "http://a/b/c/g#s/./x" },
	{ "g#s/../x", "http://a/b/c/g#s/../x" }, { "http:g", "http:g" },
};

START_TEST(rfc3986_examples)
{
	struct buf b;

	buf_init(&b, 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		buf_reset(&b);
		ck_assert_int_eq(uri_resolve("http://a/b/c/d;p?q", cases[i][0],
		    &b), 0);
		ck_assert_msg(strcmp(b.data, cases[i][1]) == 0,
		    "%s: got %s, want %s", cases[i][0], b.data, cases[i][1]);
	}
	buf_free(&b);
}
END_TEST

/* The directory's own case: a base without a path (RFC 9176 5.3.1). */
START_TEST(rd_bases)
{
	struct buf b;

	buf_init(&b, 0);
	ck_assert_int_eq(uri_resolve("coap://local-proxy-old.example.com",
	    "/sensors/temp", &b), 0);
	ck_assert_str_eq(b.data, "coap://local-proxy-old.example.com/sensors/temp");
	buf_reset(&b);
	ck_assert_int_eq(uri_resolve("coap://[2001:db8::1]:5683",
	    "sensors/x", &b), 0);
	ck_assert_str_eq(b.data, "coap://[2001:db8::1]:5683/sensors/x");
	buf_reset(&b);
	ck_assert_int_eq(uri_resolve("coap://h.example/sub/", "rel", &b), 0);
	ck_assert_str_eq(b.data, "coap://h.example/sub/rel");
	buf_reset(&b);
	ck_assert_int_eq(uri_resolve("coap://h.example/sub/", "/abs", &b), 0);
	ck_assert_str_eq(b.data, "coap://h.example/abs");
	buf_reset(&b);
	ck_assert_int_eq(uri_resolve("coap://h", "", &b), 0);
	ck_assert_str_eq(b.data, "coap://h");
	buf_reset(&b);
	ck_assert_int_eq(uri_resolve("coap://h", "http://www.example.com/x",
	    &b), 0);
	ck_assert_str_eq(b.data, "http://www.example.com/x");
	buf_free(&b);
}
END_TEST

START_TEST(split_and_absolute)
{
	struct uri_parts p;

	uri_split("coap://[::1]:5683/a/b?x=1#f", &p);
	ck_assert(p.scheme.defined && p.scheme.len == 4);
	ck_assert(p.authority.defined && p.authority.len == 10);
	ck_assert(p.path.len == 4 && p.query.len == 3 && p.fragment.len == 1);
	ck_assert(uri_is_absolute("coap+tcp://h/x"));
	ck_assert(!uri_is_absolute("/x:y"));
	ck_assert(!uri_is_absolute("1coap:x"));
	ck_assert(!uri_is_absolute(""));
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("uri");
	TCase	*tc = tcase_create("uri");

	tcase_add_test(tc, rfc3986_examples);
	tcase_add_test(tc, rd_bases);
	tcase_add_test(tc, split_and_absolute);
	suite_add_tcase(s, tc);
	return test_run(s);
}
