/* RFC 6690 link-format: parsing, writing back, and hostile documents. */
#include "ac_config.h"

#include <string.h>

#include "buf.h"
#include "common.h"
#include "linkformat.h"

static struct lf_doc	doc;
static struct lf_error	err;

static enum lf_status
parse(const char *s)
{
	lf_doc_free(&doc);
	memset(&err, 0, sizeof(err));
	return lf_parse(s, strlen(s), NULL, &doc, &err);
}

static void
teardown(void)
{
	lf_doc_free(&doc);
}

/* Parses s and writes it back; the result must be want. */
static void
round_trip(const char *s, const char *want)
{
	struct buf b;

	ck_assert_msg(parse(s) == LF_OK, "%s: %s at %zu", s, err.msg,
	    err.offset);
	buf_init(&b, 0);
	ck_assert_int_eq(lf_write_doc(&b, &doc), 0);
	ck_assert_str_eq(b.data ? b.data : "", want);
	buf_free(&b);
}

START_TEST(rfc9176_registration_payload)
{
	const struct lf_attr *a;

	ck_assert_int_eq(parse("</sensors/temp>;rt=\"temperature-c\";"
	    "if=\"sensor\",</sensors/light>;rt=\"light-lux\";if=\"sensor\""),
	    LF_OK);
	ck_assert_uint_eq(doc.nlinks, 2);
	ck_assert_str_eq(doc.links[1].target, "/sensors/light");
	a = lf_link_attr(&doc.links[0], "rt");
	ck_assert_ptr_nonnull(a);
	ck_assert_str_eq(a->value, "temperature-c");
	ck_assert_int_eq(a->quoted, 1);
	ck_assert_ptr_null(lf_link_attr(&doc.links[0], "ct"));
}
END_TEST

START_TEST(values_and_quoting)
{
	round_trip("</a>;ct=40;obs;rt=\"x y\";title=\"say \\\"hi\\\"\"",
	    "</a>;ct=40;obs;rt=\"x y\";title=\"say \\\"hi\\\"\"");
	round_trip("</a>;ct=\"40 65225\";rt=foo", "</a>;ct=\"40 65225\";rt=foo");
	round_trip("", "");
	round_trip("<>", "<>");
	round_trip("</temperature/Malm\xc3\xb6>;title*=UTF-8'de'n%c3%a4chstes",
	    "</temperature/Malm\xc3\xb6>;title*=UTF-8'de'n%c3%a4chstes");
	round_trip("<coap://[2001:db8::1]/x>;anchor=\"/a\";rel=describedby",
	    "<coap://[2001:db8::1]/x>;anchor=\"/a\";rel=describedby");
	/* Line breaks after commas, as documents are often wrapped. */
	round_trip("</a>,\r\n </b>,\n\t</c>", "</a>,</b>,</c>");
	round_trip("</a>;rt=x\n", "</a>;rt=x");
	round_trip("</a>\r\n", "</a>");
	ck_assert_int_eq(parse("</a>;if=sensor;if=actuator"), LF_OK);
	ck_assert_uint_eq(doc.links[0].nattrs, 2);
}
END_TEST

START_TEST(syntax_errors)
{
	static const char *const bad[] = {
		"/a", "<a", "</a>x", "</a>,", "</a>;", "</a>;=x", "</a>;rt=",
		"</a>;rt=\"x", "</a>;rt=\"x\\", "</a> ;rt=x", "</a>; rt=x",
		"</a>,,</b>", "</a b>", "<</a>", "</a>;rt=a b", "</a>;rt=\"a\"b",
		"</a>;rt=a,b", "</\x01>", "</a>;rt=\"\x7f\"", "</a>\n,</b>",
		"</a\xc3>", "</a> </b>", "</a>\n;rt=x", "</a\xc0\xaf>", "</a\xed\xa0\x80>", "</a>;r*t=x",
		"</a>;rt=\"\\\n\"",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++) {
		ck_assert_msg(parse(bad[i]) == LF_ESYNTAX, "accepted: %s",
		    bad[i]);
		ck_assert_ptr_nonnull(err.msg);
		ck_assert_uint_eq(doc.nlinks, 0);
	}
	{
		static const char nul[] = "</a>\0";

		lf_doc_free(&doc);
		ck_assert_int_eq(lf_parse(nul, sizeof(nul) - 1, NULL, &doc,
		    &err), LF_ESYNTAX);
	}
}
END_TEST

START_TEST(limits)
{
	struct lf_limits	lim = { 2, 2, 8 };
	const char		*s;

	s = "</a>,</b>,</c>";
	ck_assert_int_eq(lf_parse(s, strlen(s), &lim, &doc, &err), LF_ELIMIT);
	s = "</a>;x;y;z";
	ck_assert_int_eq(lf_parse(s, strlen(s), &lim, &doc, &err), LF_ELIMIT);
	s = "</123456789>";
	ck_assert_int_eq(lf_parse(s, strlen(s), &lim, &doc, &err), LF_ELIMIT);
	s = "</a>;rt=\"123456789\"";
	ck_assert_int_eq(lf_parse(s, strlen(s), &lim, &doc, &err), LF_ELIMIT);
	s = "</a>;rt=123456789";
	ck_assert_int_eq(lf_parse(s, strlen(s), &lim, &doc, &err), LF_ELIMIT);
	s = "</a>;rt=\"12345678\",</b>;x;y";
	ck_assert_int_eq(lf_parse(s, strlen(s), &lim, &doc, &err), LF_OK);
	ck_assert_str_eq(doc.links[0].attrs[0].value, "12345678");
}
END_TEST

START_TEST(utf8_rules)
{
	ck_assert(lf_valid_utf8("abc", 3));
	ck_assert(lf_valid_utf8("Malm\xc3\xb6", 6));
	ck_assert(lf_valid_utf8("\xf0\x9f\x98\x80", 4));
	ck_assert(!lf_valid_utf8("a\x01", 2));
	ck_assert(!lf_valid_utf8("\xc2\x85", 2));	/* C1 control */
	ck_assert(!lf_valid_utf8("\xe0\x80\xaf", 3));	/* overlong */
	ck_assert(!lf_valid_utf8("\xf4\x90\x80\x80", 4));	/* > U+10FFFF */
	ck_assert(!lf_valid_utf8("\xe2\x82", 2));	/* truncated */
	ck_assert(lf_is_ptoken("core.rd-lookup-ep"));
	ck_assert(!lf_is_ptoken("a b"));
	ck_assert(!lf_is_ptoken(""));
	ck_assert(!lf_is_ptoken("a,b"));
}
END_TEST

/* A packed document is the same document in one allocation. */
START_TEST(pack_keeps_everything)
{
	struct buf	before, after;

	ck_assert_int_eq(parse("</a>;rt=\"x y\";obs,<coap://h/b>;if=s;"
	    "title=\"q \\\"z\\\"\",<>"), LF_OK);
	buf_init(&before, 0);
	buf_init(&after, 0);
	ck_assert_int_eq(lf_write_doc(&before, &doc), 0);
	ck_assert_int_eq(lf_doc_pack(&doc), 0);
	ck_assert_ptr_nonnull(doc.block);
	ck_assert_uint_eq(doc.nlinks, 3);
	ck_assert_int_eq(lf_write_doc(&after, &doc), 0);
	ck_assert_str_eq(before.data, after.data);
	ck_assert_ptr_null(lf_link_attr(&doc.links[0], "obs")->value);
	ck_assert_int_eq(lf_doc_pack(&doc), 0);	/* packing twice: no-op */
	buf_free(&before);
	buf_free(&after);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("linkformat");
	TCase	*tc = tcase_create("linkformat");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, rfc9176_registration_payload);
	tcase_add_test(tc, values_and_quoting);
	tcase_add_test(tc, syntax_errors);
	tcase_add_test(tc, limits);
	tcase_add_test(tc, utf8_rules);
	tcase_add_test(tc, pack_keeps_everything);
	suite_add_tcase(s, tc);
	return test_run(s);
}
