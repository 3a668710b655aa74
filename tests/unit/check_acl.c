/* The ACL engine: file format, every error, subjects, patterns, quotas. */
#include "ac_config.h"

#include <errno.h>
#include <limits.h>
#include <string.h>
#include <unistd.h>

#include "acl.h"
#include "common.h"
#include "principal.h"

/* sha256("abc"): the x509 principal built from the DER bytes "abc". */
#define DEV_HASH	"ba7816bf8f01cfea414140de5dae2223" \
			"b00361a396177a9cb410ff61f20015ad"

static const struct principal	*anon;
static struct principal	*alice, *bob, *dev, *nocn, *starcn, *starpsk;

static void
setup(void)
{
	anon = principal_anon();
	alice = principal_new_psk((const uint8_t *)"alice", 5);
	bob = principal_new_psk((const uint8_t *)"bob", 3);
	dev = principal_new_x509((const uint8_t *)"abc", 3, "device-1");
	nocn = principal_new_x509((const uint8_t *)"xyz", 3, NULL);
	starcn = principal_new_x509((const uint8_t *)"qrs", 3, "dev*");
	starpsk = principal_new_psk((const uint8_t *)"a*", 2);
	ck_assert_ptr_nonnull(alice);
	ck_assert_ptr_nonnull(bob);
	ck_assert_ptr_nonnull(dev);
	ck_assert_ptr_nonnull(nocn);
	ck_assert_ptr_nonnull(starcn);
	ck_assert_ptr_nonnull(starpsk);
	ck_assert_str_eq(dev->name, "x509:" DEV_HASH);
}

static void
teardown(void)
{
	principal_free(alice);
	principal_free(bob);
	principal_free(dev);
	principal_free(nocn);
	principal_free(starcn);
	principal_free(starpsk);
}

/* Parses text that must be valid: no error output at all. */
static struct acl *
parse_ok(const char *text)
{
	char		*out = NULL;
	size_t		 len = 0;
	FILE		*f = open_memstream(&out, &len);
	struct acl	*acl;

	ck_assert_ptr_nonnull(f);
	acl = acl_parse(text, strlen(text), "acl.conf", f);
	fclose(f);
	ck_assert_msg(acl != NULL, "rejected:\n%s\nwith:\n%s", text, out);
	ck_assert_str_eq(out, "");
	free(out);
	return acl;
}

/* Parses len bytes that must be refused; returns the error text. */
static char *
parse_fail_len(const char *text, size_t tlen)
{
	char		*out = NULL;
	size_t		 len = 0;
	FILE		*f = open_memstream(&out, &len);
	struct acl	*acl;

	ck_assert_ptr_nonnull(f);
	acl = acl_parse(text, tlen, "acl.conf", f);
	fclose(f);
	ck_assert_msg(acl == NULL, "accepted:\n%s", text);
	acl_free(acl);
	return out;
}

static void
expect_errors(const char *text, const char *want)
{
	char *got = parse_fail_len(text, strlen(text));

	ck_assert_str_eq(got, want);
	free(got);
}

static char *
print_acl(const struct acl *acl)
{
	char	*out = NULL;
	size_t	 len = 0;
	FILE	*f = open_memstream(&out, &len);

	ck_assert_ptr_nonnull(f);
	acl_print(acl, f);
	fclose(f);
	return out;
}

START_TEST(rule_forms)
{
	struct acl		*acl;
	struct acl_quota	 q;

	acl = parse_ok("# comment only\n"
	    "\n"
	    "   \t  # indented comment\n"
	    "group ops psk:bob\n"
	    "allow psk:alice rd:/a register # trailing comment\n"
	    "deny group:ops rd:/a register\n"
	    "allow group:ops ps:t publish,subscribe\n"
	    "quota psk:alice registrations=1 links=2\n");
	ck_assert_int_eq(acl_allowed(acl, alice, "rd:/a", ACL_REGISTER), 1);
	ck_assert_int_eq(acl_allowed(acl, bob, "rd:/a", ACL_REGISTER), 0);
	ck_assert_int_eq(acl_allowed(acl, bob, "ps:t", ACL_PUBLISH), 1);
	ck_assert_int_eq(acl_allowed(acl, bob, "ps:t", ACL_SUBSCRIBE), 1);
	ck_assert_int_eq(acl_allowed(acl, bob, "ps:t", ACL_CREATE), 0);
	ck_assert_int_eq(acl_allowed(acl, alice, "ps:t", ACL_PUBLISH), 0);
	acl_quota(acl, alice, &q);
	ck_assert_uint_eq(q.registrations, 1);
	ck_assert_uint_eq(q.links, 2);
	acl_free(acl);
}
END_TEST

START_TEST(empty_file_denies_everything)
{
	struct acl *acl = parse_ok("");

	ck_assert_int_eq(acl_allowed(acl, alice, "stats", ACL_STATS), 0);
	ck_assert_int_eq(acl_allowed(acl, anon, "rd:/x", ACL_LOOKUP), 0);
	acl_free(acl);
}
END_TEST

START_TEST(crlf_and_no_final_newline)
{
	struct acl *acl = parse_ok("allow anon stats stats\r\n"
	    "allow psk:alice ps:x publish");

	ck_assert_int_eq(acl_allowed(acl, anon, "stats", ACL_STATS), 1);
	ck_assert_int_eq(acl_allowed(acl, alice, "ps:x", ACL_PUBLISH), 1);
	acl_free(acl);
}
END_TEST

START_TEST(subject_forms)
{
	static const struct {
		const char	*subject;
		/* For anon, alice, bob, dev, nocn. */
		int		 want[5];
	} cases[] = {
		{ "anon",		{ 1, 0, 0, 0, 0 } },
		{ "any",		{ 1, 1, 1, 1, 1 } },
		{ "authenticated",	{ 0, 1, 1, 1, 1 } },
		{ "psk:alice",		{ 0, 1, 0, 0, 0 } },
		{ "x509:" DEV_HASH,	{ 0, 0, 0, 1, 0 } },
		{ "cn:device-1",	{ 0, 0, 0, 1, 0 } },
		/* cn: is for certificates only, never a PSK identity. */
		{ "cn:alice",		{ 0, 0, 0, 0, 0 } },
		{ "group:g",		{ 0, 0, 1, 1, 0 } },
		{ "group:everyone",	{ 1, 1, 1, 1, 1 } },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct principal	*who[5] = { anon, alice, bob, dev,
					    nocn };
		char			 text[512];
		struct acl		*acl;

		snprintf(text, sizeof(text), "group g psk:bob cn:device-1\n"
		    "group everyone anon authenticated\n"
		    "allow %s stats stats\n", cases[i].subject);
		acl = parse_ok(text);
		for (size_t j = 0; j < 5; j++)
			ck_assert_msg(acl_allowed(acl, who[j], "stats",
			    ACL_STATS) == cases[i].want[j], "%s for %s",
			    cases[i].subject, who[j]->name);
		acl_free(acl);
	}
}
END_TEST

START_TEST(quoted_subjects)
{
	struct principal	*ops = principal_new_x509(
				    (const uint8_t *)"o", 1, "Ops Team \"A\"");
	struct principal	*odd = principal_new_psk(
				    (const uint8_t *)"we\"i\\rd#", 8);
	struct acl		*acl;

	ck_assert_ptr_nonnull(ops);
	ck_assert_ptr_nonnull(odd);
	acl = parse_ok("allow \"cn:Ops Team \\\"A\\\"\" stats stats\n"
	    "allow \"psk:we\\\"i\\\\rd#\" ps:x publish\n");
	ck_assert_int_eq(acl_allowed(acl, ops, "stats", ACL_STATS), 1);
	ck_assert_int_eq(acl_allowed(acl, odd, "ps:x", ACL_PUBLISH), 1);
	ck_assert_int_eq(acl_allowed(acl, dev, "stats", ACL_STATS), 0);
	acl_free(acl);
	principal_free(ops);
	principal_free(odd);
}
END_TEST

START_TEST(groups)
{
	struct acl	*acl;
	char		 text[256], want[256], name[66];

	acl = parse_ok("group admins psk:alice x509:" DEV_HASH "\n"
	    "group readers any\n"
	    "allow group:readers ps:** subscribe\n"
	    "allow group:admins ps:** create,admin\n"
	    "deny group:admins ps:private/** subscribe\n");
	ck_assert_int_eq(acl_allowed(acl, alice, "ps:a", ACL_CREATE), 1);
	ck_assert_int_eq(acl_allowed(acl, dev, "ps:a", ACL_ADMIN), 1);
	ck_assert_int_eq(acl_allowed(acl, bob, "ps:a", ACL_CREATE), 0);
	ck_assert_int_eq(acl_allowed(acl, anon, "ps:a", ACL_SUBSCRIBE), 1);
	ck_assert_int_eq(acl_allowed(acl, bob, "ps:private/x",
	    ACL_SUBSCRIBE), 1);
	ck_assert_int_eq(acl_allowed(acl, alice, "ps:private/x",
	    ACL_SUBSCRIBE), 0);
	acl_free(acl);

	/* Names: 64 bytes of letters, digits, -_. and no more. */
	memset(name, 'a', sizeof(name));
	memcpy(name, "A-z_0.9", 7);
	name[64] = '\0';
	snprintf(text, sizeof(text), "group %s any\nallow group:%s stats "
	    "stats\n", name, name);
	acl = parse_ok(text);
	ck_assert_int_eq(acl_allowed(acl, anon, "stats", ACL_STATS), 1);
	acl_free(acl);
	name[64] = 'a';
	name[65] = '\0';
	snprintf(text, sizeof(text), "group %s any\n", name);
	snprintf(want, sizeof(want), "acl.conf:1: group name \"%s\" must be "
	    "1 to 64 letters, digits, -, _ or .\n", name);
	expect_errors(text, want);
	/* Used before its definition. */
	expect_errors("allow group:ops stats stats\ngroup ops any\n",
	    "acl.conf:1: group \"ops\" is not defined\n");
}
END_TEST

START_TEST(precedence)
{
	struct acl *acl;

	/* Deny beats allow in either order. */
	acl = parse_ok("allow any rd:** all\ndeny psk:alice rd:/x delete\n");
	ck_assert_int_eq(acl_allowed(acl, alice, "rd:/x", ACL_DELETE), 0);
	ck_assert_int_eq(acl_allowed(acl, alice, "rd:/x", ACL_UPDATE), 1);
	ck_assert_int_eq(acl_allowed(acl, bob, "rd:/x", ACL_DELETE), 1);
	acl_free(acl);
	acl = parse_ok("deny psk:alice rd:/x delete\nallow any rd:** all\n");
	ck_assert_int_eq(acl_allowed(acl, alice, "rd:/x", ACL_DELETE), 0);
	ck_assert_int_eq(acl_allowed(acl, alice, "rd:/x", ACL_UPDATE), 1);
	/* Default deny: no rule names this object or this action. */
	ck_assert_int_eq(acl_allowed(acl, alice, "ps:x", ACL_PUBLISH), 0);
	ck_assert_int_eq(acl_allowed(acl, alice, "stats", ACL_STATS), 0);
	/* One action bit at a time. */
	ck_assert_int_eq(acl_allowed(acl, bob, "rd:/x", 0), 0);
	ck_assert_int_eq(acl_allowed(acl, bob, "rd:/x",
	    ACL_DELETE | ACL_UPDATE), 0);
	ck_assert_int_eq(acl_allowed(acl, bob, "rd:/x", 1u << 13), 0);
	acl_free(acl);
	/* No ACL configured: everything goes. */
	ck_assert_int_eq(acl_allowed(NULL, anon, "rd:/x", ACL_DELETE), 1);
	ck_assert_int_eq(acl_allowed(NULL, alice, "stats", ACL_STATS), 1);
	ck_assert_int_eq(acl_allowed(NULL, dev, "ps:t", ACL_ADMIN), 1);
}
END_TEST

START_TEST(star_semantics)
{
	struct acl *acl = parse_ok("allow any rd:*/node* lookup\n"
	    "allow any ps:sensors/** subscribe\n"
	    "allow any ps:sensors/* publish\n"
	    "allow any rd:/exact register\n"
	    "allow any ps:a*b*c create\n"
	    "allow any ps:x***y admin\n"
	    "allow any ps:100%%/* delete-data\n"
	    "allow any stats stats\n");

	ck_assert_int_eq(acl_allowed(acl, anon, "rd:/node1", ACL_LOOKUP), 1);
	ck_assert_int_eq(acl_allowed(acl, anon, "rd:sec/node", ACL_LOOKUP),
	    1);
	ck_assert_int_eq(acl_allowed(acl, anon, "rd:a/b/node1", ACL_LOOKUP),
	    0);
	ck_assert_int_eq(acl_allowed(acl, anon, "rd:/node1/x", ACL_LOOKUP),
	    0);
	ck_assert_int_eq(acl_allowed(acl, anon, "rd:/other", ACL_LOOKUP), 0);
	ck_assert_int_eq(acl_allowed(acl, anon, "ps:sensors/a",
	    ACL_SUBSCRIBE), 1);
	ck_assert_int_eq(acl_allowed(acl, anon, "ps:sensors/a/b/c",
	    ACL_SUBSCRIBE), 1);
	ck_assert_int_eq(acl_allowed(acl, anon, "ps:sensors/",
	    ACL_SUBSCRIBE), 1);
	ck_assert_int_eq(acl_allowed(acl, anon, "ps:sensors",
	    ACL_SUBSCRIBE), 0);
	ck_assert_int_eq(acl_allowed(acl, anon, "ps:sensorsX/a",
	    ACL_SUBSCRIBE), 0);
	ck_assert_int_eq(acl_allowed(acl, anon, "ps:sensors/a", ACL_PUBLISH),
	    1);
	ck_assert_int_eq(acl_allowed(acl, anon, "ps:sensors/a/b",
	    ACL_PUBLISH), 0);
	ck_assert_int_eq(acl_allowed(acl, anon, "rd:/exact", ACL_REGISTER),
	    1);
	ck_assert_int_eq(acl_allowed(acl, anon, "rd:/exactly", ACL_REGISTER),
	    0);
	ck_assert_int_eq(acl_allowed(acl, anon, "rd:/exac", ACL_REGISTER),
	    0);
	ck_assert_int_eq(acl_allowed(acl, anon, "ps:abc", ACL_CREATE), 1);
	ck_assert_int_eq(acl_allowed(acl, anon, "ps:aXbYYc", ACL_CREATE), 1);
	ck_assert_int_eq(acl_allowed(acl, anon, "ps:ab/c", ACL_CREATE), 0);
	ck_assert_int_eq(acl_allowed(acl, anon, "ps:abcx", ACL_CREATE), 0);
	/* Three stars are two: they cross '/'. */
	ck_assert_int_eq(acl_allowed(acl, anon, "ps:x/1/2/y", ACL_ADMIN), 1);
	ck_assert_int_eq(acl_allowed(acl, anon, "ps:xy", ACL_ADMIN), 1);
	ck_assert_int_eq(acl_allowed(acl, anon, "ps:100%/t",
	    ACL_DELETE_DATA), 1);
	ck_assert_int_eq(acl_allowed(acl, anon, "ps:100%%/t",
	    ACL_DELETE_DATA), 0);
	ck_assert_int_eq(acl_allowed(acl, anon, "stats", ACL_STATS), 1);
	ck_assert_int_eq(acl_allowed(acl, anon, "statsx", ACL_STATS), 0);
	/* A '*' in the object is only a byte. */
	ck_assert_int_eq(acl_allowed(acl, anon, "rd:/exac*", ACL_REGISTER),
	    0);
	acl_free(acl);
}
END_TEST

START_TEST(substitution)
{
	char		 obj[128];
	struct acl	*acl = parse_ok(
			    "allow authenticated ps:home/%p/** publish\n"
			    "allow any rd:*/%cn update\n"
			    "allow any ps:%cn subscribe\n");

	ck_assert_int_eq(acl_allowed(acl, alice, "ps:home/psk:alice/t",
	    ACL_PUBLISH), 1);
	ck_assert_int_eq(acl_allowed(acl, alice, "ps:home/psk:bob/t",
	    ACL_PUBLISH), 0);
	ck_assert_int_eq(acl_allowed(acl, bob, "ps:home/psk:bob/t",
	    ACL_PUBLISH), 1);
	snprintf(obj, sizeof(obj), "ps:home/x509:%s/t", DEV_HASH);
	ck_assert_int_eq(acl_allowed(acl, dev, obj, ACL_PUBLISH), 1);
	ck_assert_int_eq(acl_allowed(acl, nocn, obj, ACL_PUBLISH), 0);
	ck_assert_int_eq(acl_allowed(acl, anon, "ps:home/anon/t",
	    ACL_PUBLISH), 0);
	/* %cn: the CN of a certificate, the identity of a PSK. */
	ck_assert_int_eq(acl_allowed(acl, alice, "rd:/alice", ACL_UPDATE), 1);
	ck_assert_int_eq(acl_allowed(acl, alice, "rd:sec/alice", ACL_UPDATE),
	    1);
	ck_assert_int_eq(acl_allowed(acl, alice, "rd:/psk:alice",
	    ACL_UPDATE), 0);
	ck_assert_int_eq(acl_allowed(acl, bob, "rd:/alice", ACL_UPDATE), 0);
	ck_assert_int_eq(acl_allowed(acl, dev, "rd:/device-1", ACL_UPDATE),
	    1);
	/* No value: the rule never matches, whatever the object. */
	ck_assert_int_eq(acl_allowed(acl, nocn, "rd:/", ACL_UPDATE), 0);
	ck_assert_int_eq(acl_allowed(acl, anon, "rd:/", ACL_UPDATE), 0);
	ck_assert_int_eq(acl_allowed(acl, anon, "rd:/anon", ACL_UPDATE), 0);
	/* Substituted text is literal: a '*' in a name is no wildcard. */
	ck_assert_int_eq(acl_allowed(acl, starcn, "ps:dev*", ACL_SUBSCRIBE),
	    1);
	ck_assert_int_eq(acl_allowed(acl, starcn, "ps:devX", ACL_SUBSCRIBE),
	    0);
	ck_assert_int_eq(acl_allowed(acl, starpsk, "ps:a*", ACL_SUBSCRIBE),
	    1);
	ck_assert_int_eq(acl_allowed(acl, starpsk, "ps:abc", ACL_SUBSCRIBE),
	    0);
	acl_free(acl);
}
END_TEST

START_TEST(substitution_without_value_denies_nothing)
{
	struct acl *acl = parse_ok("allow any ps:** publish\n"
	    "deny any ps:%cn/** publish\n");

	ck_assert_int_eq(acl_allowed(acl, alice, "ps:alice/x", ACL_PUBLISH),
	    0);
	ck_assert_int_eq(acl_allowed(acl, alice, "ps:bob/x", ACL_PUBLISH), 1);
	ck_assert_int_eq(acl_allowed(acl, anon, "ps:anon/x", ACL_PUBLISH), 1);
	ck_assert_int_eq(acl_allowed(acl, nocn, "ps:/x", ACL_PUBLISH), 1);
	acl_free(acl);
}
END_TEST

/* The substitution buffer is bounded: a longer expansion never matches. */
START_TEST(substitution_overflow)
{
	char		 text[600], obj[20000];
	size_t		 o = 0, n = 254;
	struct acl	*acl;
	struct principal *a = principal_new_psk((const uint8_t *)"a", 1);

	ck_assert_ptr_nonnull(a);
	o = (size_t)snprintf(text, sizeof(text), "allow any \"ps:");
	for (size_t i = 0; i < n; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o, "%%p");
	snprintf(text + o, sizeof(text) - o, "\" publish\n");
	acl = parse_ok(text);
	/* 254 x "psk:a" fits; 254 x a 69-byte x509 name does not. */
	o = (size_t)snprintf(obj, sizeof(obj), "ps:");
	for (size_t i = 0; i < n; i++)
		o += (size_t)snprintf(obj + o, sizeof(obj) - o, "psk:a");
	ck_assert_int_eq(acl_allowed(acl, a, obj, ACL_PUBLISH), 1);
	o = (size_t)snprintf(obj, sizeof(obj), "ps:");
	for (size_t i = 0; i < n; i++)
		o += (size_t)snprintf(obj + o, sizeof(obj) - o, "%s",
		    dev->name);
	ck_assert_uint_lt(o, sizeof(obj) - 1);
	ck_assert_int_eq(acl_allowed(acl, dev, obj, ACL_PUBLISH), 0);
	acl_free(acl);
	principal_free(a);
}
END_TEST

START_TEST(hostile_pattern_returns)
{
	char		 text[300], *obj;
	size_t		 o, n = 200000;
	struct acl	*acl;

	o = (size_t)snprintf(text, sizeof(text), "allow any ps:");
	for (int i = 0; i < 60; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o, "*a");
	snprintf(text + o, sizeof(text) - o, "*b publish\n");
	acl = parse_ok(text);
	ck_assert_ptr_nonnull(obj = malloc(n + 2));
	memcpy(obj, "ps:", 3);
	memset(obj + 3, 'a', n - 3);
	obj[n] = '\0';
	ck_assert_int_eq(acl_allowed(acl, anon, obj, ACL_PUBLISH), 0);
	obj[n] = 'b';
	obj[n + 1] = '\0';
	ck_assert_int_eq(acl_allowed(acl, anon, obj, ACL_PUBLISH), 1);
	acl_free(acl);

	/* 60 stars, single and double, against slashes. */
	acl = parse_ok("allow any \"ps:*/**/*/**/*/**/*/**/*/**/*/**/*/**/*/**"
	    "/*/**/*/**/*/**/*/**/*/**/*/**/*/**/*/**/*/**/*/**/*/**/*/**"
	    "/*/**/*/**/*/**/*/**/x\" publish\n");
	for (size_t i = 3; i < n; i++)
		obj[i] = i % 2 ? '/' : 'a';
	obj[n] = '\0';
	ck_assert_int_eq(acl_allowed(acl, anon, obj, ACL_PUBLISH), 0);
	obj[n - 1] = 'x';
	obj[n - 2] = '/';
	ck_assert_int_eq(acl_allowed(acl, anon, obj, ACL_PUBLISH), 1);
	acl_free(acl);
	free(obj);
}
END_TEST

START_TEST(quotas)
{
	struct acl		*acl;
	struct acl_quota	 q;

	acl = parse_ok("group ops cn:device-1\n"
	    "quota psk:alice registrations=5\n"
	    "quota group:ops topics=9\n"
	    "quota authenticated registrations=10 links=20 topics=3 "
	    "subscriptions=4 publish-rate=4294967295\n"
	    "quota psk:bob links=99\n"
	    "quota any links=1\n");
	acl_quota(acl, alice, &q);
	ck_assert_uint_eq(q.registrations, 5);
	ck_assert_uint_eq(q.links, 0);
	ck_assert_uint_eq(q.topics, 0);
	ck_assert_uint_eq(q.subscriptions, 0);
	ck_assert_uint_eq(q.publish_rate, 0);
	acl_quota(acl, dev, &q);
	ck_assert_uint_eq(q.topics, 9);
	ck_assert_uint_eq(q.registrations, 0);
	/* First match wins: the later psk:bob line is never reached. */
	acl_quota(acl, bob, &q);
	ck_assert_uint_eq(q.registrations, 10);
	ck_assert_uint_eq(q.links, 20);
	ck_assert_uint_eq(q.topics, 3);
	ck_assert_uint_eq(q.subscriptions, 4);
	ck_assert_uint_eq(q.publish_rate, 4294967295u);
	acl_quota(acl, anon, &q);
	ck_assert_uint_eq(q.links, 1);
	ck_assert_uint_eq(q.registrations, 0);
	acl_free(acl);

	acl = parse_ok("quota psk:alice links=3\n");
	memset(&q, 0xff, sizeof(q));
	acl_quota(acl, bob, &q);
	ck_assert_uint_eq(q.registrations, 0);
	ck_assert_uint_eq(q.links, 0);
	ck_assert_uint_eq(q.publish_rate, 0);
	acl_free(acl);
	memset(&q, 0xff, sizeof(q));
	acl_quota(NULL, alice, &q);
	ck_assert_uint_eq(q.links, 0);
	ck_assert_uint_eq(q.subscriptions, 0);
}
END_TEST

START_TEST(actions_parse)
{
	static const struct {
		const char	*name;
		unsigned int	 bit;
	} names[] = {
		{ "register", ACL_REGISTER }, { "update", ACL_UPDATE },
		{ "delete", ACL_DELETE }, { "lookup", ACL_LOOKUP },
		{ "simple-register", ACL_SIMPLE_REGISTER },
		{ "create", ACL_CREATE }, { "admin", ACL_ADMIN },
		{ "read-config", ACL_READ_CONFIG },
		{ "publish", ACL_PUBLISH }, { "subscribe", ACL_SUBSCRIBE },
		{ "delete-data", ACL_DELETE_DATA }, { "stats", ACL_STATS },
		{ "proxy", ACL_PROXY },
	};
	unsigned int	 m, all = 0;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		m = 0;
		ck_assert_int_eq(acl_actions_parse(names[i].name, &m), 0);
		ck_assert_uint_eq(m, names[i].bit);
		/* The logs name it as the ACL file does. */
		ck_assert_str_eq(acl_action_name(m), names[i].name);
		all |= m;
	}
	ck_assert_uint_eq(all, ACL_ALL_ACTIONS);
	ck_assert_int_eq(acl_actions_parse("register,update", &m), 0);
	ck_assert_uint_eq(m, ACL_REGISTER | ACL_UPDATE);
	ck_assert_int_eq(acl_actions_parse("all", &m), 0);
	ck_assert_uint_eq(m, ACL_ALL_ACTIONS);
	ck_assert_int_eq(acl_actions_parse("stats,all", &m), 0);
	ck_assert_uint_eq(m, ACL_ALL_ACTIONS);
	ck_assert_int_eq(acl_actions_parse("publish,publish", &m), 0);
	ck_assert_uint_eq(m, ACL_PUBLISH);
	m = 42;
	ck_assert_int_eq(acl_actions_parse("publsh", &m), -1);
	ck_assert_int_eq(acl_actions_parse("", &m), -1);
	ck_assert_int_eq(acl_actions_parse("register,", &m), -1);
	ck_assert_int_eq(acl_actions_parse(",register", &m), -1);
	ck_assert_int_eq(acl_actions_parse("Register", &m), -1);
	ck_assert_int_eq(acl_actions_parse("register update", &m), -1);
	ck_assert_int_eq(acl_actions_parse("registerx", &m), -1);
	ck_assert_uint_eq(m, 42);
}
END_TEST

/* Every error of a file, each with its line, in one go. */
START_TEST(every_error_reported)
{
	char	*text, *want, *got;
	char	 obj[600], longline[4200];
	size_t	 n;

	memset(obj, 'o', sizeof(obj));
	memcpy(obj, "ps:", 3);
	obj[513] = '\0';
	memset(longline, '#', 4097);
	longline[4097] = '\0';
	n = 8192;
	ck_assert_ptr_nonnull(text = malloc(n));
	snprintf(text, n,
	    "# line 1 is fine\n"
	    "group ops psk:bob cn:device-1\n"
	    "allow psk:alice rd:* publsh\n"
	    "group ops psk:carol\n"
	    "allow group:nope stats stats\n"
	    "deny any rd:x\n"
	    "allow any stat stats\n"
	    "frobnicate x\n"
	    "quota any registrations=5 registrations=6\n"
	    "quota any links=-1\n"				/* 10 */
	    "quota any topics=4294967296\n"
	    "quota any colour=3\n"
	    "quota any links\n"
	    "group bad/name any\n"
	    "group g2 group:ops any\n"
	    "allow psk: ps:x publish\n"
	    "allow x509:ABC ps:x publish\n"
	    "allow cn: ps:x publish\n"
	    "allow someone ps:x publish\n"
	    "allow any ps:%%x publish\n"			/* 20 */
	    "allow any \"ps:a b\" register,,update\n"
	    "allow any ps:a\"b publish\n"
	    "allow any \"ps:unterminated publish\n"
	    "allow any \"ps:a\"b publish\n"
	    "allow any ps:\x01 publish\n"
	    "quota any\n"
	    "group\n"
	    "allow any %s publish\n"
	    "%s\n"
	    "allow nobody rd x,publsh\n"			/* 30 */
	    "allow \"cn:a\tb\" \"ps:a\tb\" publish\n"
	    "allow x509:" DEV_HASH "0 ps:x publish\n"
	    "allow \"psk:a b\" ps:x publish\n"
	    "quota any subscriptions=+1 publish-rate=0x10\n"
	    "allow any ps:ok all\n",
	    obj, longline);
	want = "acl.conf:3: unknown action \"publsh\"\n"
	    "acl.conf:4: group \"ops\" is already defined at line 2\n"
	    "acl.conf:5: group \"nope\" is not defined\n"
	    "acl.conf:6: deny: expected SUBJECT OBJECT ACTIONS\n"
	    "acl.conf:7: object must begin with rd:, ps: or be stats or daemon\n"
	    "acl.conf:8: unknown keyword \"frobnicate\"\n"
	    "acl.conf:9: quota: registrations given twice\n"
	    "acl.conf:10: quota: links: \"-1\" is not a number from 0 to "
	    "4294967295\n"
	    "acl.conf:11: quota: topics: \"4294967296\" is not a number from 0 "
	    "to 4294967295\n"
	    "acl.conf:12: unknown quota key \"colour\"\n"
	    "acl.conf:13: quota: expected KEY=N, not \"links\"\n"
	    "acl.conf:14: group name \"bad/name\" must be 1 to 64 letters, "
	    "digits, -, _ or .\n"
	    "acl.conf:15: group \"g2\" may not contain group:ops\n"
	    "acl.conf:16: subject \"psk:\": the identity must be 1 to 128 "
	    "printable characters without blanks\n"
	    "acl.conf:17: subject \"x509:ABC\": expected 64 lowercase hex "
	    "digits\n"
	    "acl.conf:18: subject \"cn:\": the cn must be 1 to 256 bytes "
	    "without control characters\n"
	    "acl.conf:19: unknown subject \"someone\"\n"
	    "acl.conf:20: object: \"%x\" is not %p, %cn or %%\n"
	    "acl.conf:21: empty action in \"register,,update\"\n"
	    "acl.conf:22: quote inside a word\n"
	    "acl.conf:23: unterminated quoted string\n"
	    "acl.conf:24: text directly after a quoted string\n"
	    "acl.conf:25: control character in line\n"
	    "acl.conf:26: quota: expected SUBJECT KEY=N...\n"
	    "acl.conf:27: group: expected NAME SUBJECT...\n"
	    "acl.conf:28: object longer than 512 bytes\n"
	    "acl.conf:29: line longer than 4096 bytes\n"
	    "acl.conf:30: unknown subject \"nobody\"\n"
	    "acl.conf:30: object must begin with rd:, ps: or be stats or daemon\n"
	    "acl.conf:30: unknown action \"x\"\n"
	    "acl.conf:31: subject \"cn:a\tb\": the cn must be 1 to 256 bytes "
	    "without control characters\n"
	    "acl.conf:31: object contains a control character\n"
	    "acl.conf:32: subject \"x509:" DEV_HASH "0\": expected 64 "
	    "lowercase hex digits\n"
	    "acl.conf:33: subject \"psk:a b\": the identity must be 1 to 128 "
	    "printable characters without blanks\n"
	    "acl.conf:34: quota: subscriptions: \"+1\" is not a number from 0 "
	    "to 4294967295\n"
	    "acl.conf:34: quota: publish-rate: \"0x10\" is not a number from "
	    "0 to 4294967295\n";
	got = parse_fail_len(text, strlen(text));
	ck_assert_str_eq(got, want);
	free(got);
	free(text);
}
END_TEST

START_TEST(nul_byte_is_an_error_on_its_line)
{
	static const char text[] = "allow any stats stats\nallow any\0 x\n";
	char *got = parse_fail_len(text, sizeof(text) - 1);

	ck_assert_str_eq(got, "acl.conf:2: control character in line\n");
	free(got);
}
END_TEST

START_TEST(limits)
{
	char	*text, *p;
	size_t	 n = 10002 * 32;

	ck_assert_ptr_nonnull(text = malloc(n));
	/* 10000 rules in all are fine; the next one is reported once. */
	p = text;
	for (int i = 0; i < 9999; i++)
		p += sprintf(p, "allow any ps:t%d publish\n", i);
	p += sprintf(p, "quota any links=1\n");
	acl_free(parse_ok(text));
	p += sprintf(p, "allow any ps:x publish\nquota anon links=2\n");
	expect_errors(text, "acl.conf:10001: more than 10000 rules\n");

	p = text;
	for (int i = 0; i < 256; i++)
		p += sprintf(p, "group g%d any\n", i);
	acl_free(parse_ok(text));
	p += sprintf(p, "group g256 any\n");
	expect_errors(text, "acl.conf:257: more than 256 groups\n");

	/* No real subject is short enough; the count comes first. */
	p = text + sprintf(text, "group big");
	for (int i = 0; i < 1025; i++)
		p += sprintf(p, " x");
	p += sprintf(p, "\nallow group:big stats stats\n");
	expect_errors(text, "acl.conf:1: group \"big\" has more than 1024 "
	    "members\n");
	free(text);
}
END_TEST

START_TEST(load)
{
	char		 path[] = "/tmp/corehub-acl-XXXXXX";
	char		*out = NULL;
	size_t		 len = 0;
	FILE		*f;
	struct acl	*acl;
	int		 fd;

	f = open_memstream(&out, &len);
	ck_assert_ptr_null(acl_load("/nonexistent/acl.conf", f));
	fclose(f);
	ck_assert_str_eq(out, "/nonexistent/acl.conf: No such file or "
	    "directory\n");
	free(out);

	ck_assert_int_ne(fd = mkstemp(path), -1);
	ck_assert_int_eq(write(fd, "allow anon stats stats\nbad\n", 27), 27);
	close(fd);
	out = NULL;
	f = open_memstream(&out, &len);
	ck_assert_ptr_null(acl_load(path, f));
	fclose(f);
	{
		char want[64];

		snprintf(want, sizeof(want), "%s:2: unknown keyword \"bad\"\n",
		    path);
		ck_assert_str_eq(out, want);
	}
	free(out);
	ck_assert_int_eq(truncate(path, 23), 0);
	ck_assert_ptr_nonnull(acl = acl_load(path, stderr));
	ck_assert_int_eq(acl_allowed(acl, anon, "stats", ACL_STATS), 1);
	acl_free(acl);
	unlink(path);
}
END_TEST

START_TEST(print_round_trip)
{
	const char	*text =
	    "# devices and operators\n"
	    "group ops psk:bob \"cn:Ops Team\"\n"
	    "allow any \"ps:a b/**\" subscribe,publish\n"
	    "group devices cn:device-1 x509:" DEV_HASH "  anon\n"
	    "deny group:ops rd:*/secret* delete,update\n"
	    "allow\tauthenticated rd:*/%cn register,update,delete\n"
	    "quota psk:alice links=3 registrations=2\n"
	    "allow group:devices stats stats\n"
	    "allow \"psk:we\\\"ird\" \"ps:100%%#1\" "
	    "stats,register,update,delete,lookup,simple-register,create,"
	    "admin,read-config,publish,subscribe,delete-data,proxy\n"
	    "quota any publish-rate=0 topics=007\n";
	const char	*want =
	    "group ops psk:bob \"cn:Ops Team\"\n"
	    "group devices cn:device-1 x509:" DEV_HASH " anon\n"
	    "allow any \"ps:a b/**\" publish,subscribe\n"
	    "deny group:ops rd:*/secret* update,delete\n"
	    "allow authenticated rd:*/%cn register,update,delete\n"
	    "allow group:devices stats stats\n"
	    "allow \"psk:we\\\"ird\" \"ps:100%%#1\" all\n"
	    "quota psk:alice registrations=2 links=3\n"
	    "quota any topics=7 publish-rate=0\n";
	struct acl	*acl, *again;
	char		*first, *second;

	acl = parse_ok(text);
	first = print_acl(acl);
	ck_assert_str_eq(first, want);
	again = parse_ok(first);
	second = print_acl(again);
	ck_assert_str_eq(second, first);
	acl_free(acl);
	acl_free(again);
	free(first);
	free(second);
	/* Nothing configured prints nothing. */
	first = print_acl(NULL);
	ck_assert_str_eq(first, "");
	free(first);
}
END_TEST

/* A certificate's issuer and subjectAltNames as subjects. */
START_TEST(issuer_and_san)
{
	struct acl *acl = parse_ok(
	    "allow issuer:CN=Factory rd:** register\n"
	    "allow \"issuer:CN=Factory CA,O=example\" rd:** lookup\n"
	    "allow san:DNS:device-1.example.com ps:** publish\n"
	    "allow san:IP:10.0.0.1 ps:** subscribe\n");

	snprintf(dev->issuer, sizeof(dev->issuer), "CN=Factory CA,O=example");
	snprintf(dev->san[0], sizeof(dev->san[0]), "DNS:device-1.example.com");
	snprintf(dev->san[1], sizeof(dev->san[1]), "IP:10.0.0.1");
	dev->nsan = 2;
	ck_assert(acl_allowed(acl, dev, "rd:/x", ACL_LOOKUP));
	ck_assert(!acl_allowed(acl, dev, "rd:/x", ACL_REGISTER));
	ck_assert(acl_allowed(acl, dev, "ps:t", ACL_PUBLISH));
	ck_assert(acl_allowed(acl, dev, "ps:t", ACL_SUBSCRIBE));
	/* Other certificates, and PSK principals, have none of these. */
	ck_assert(!acl_allowed(acl, nocn, "rd:/x", ACL_LOOKUP));
	ck_assert(!acl_allowed(acl, alice, "ps:t", ACL_PUBLISH));
	dev->nsan = 0;
	ck_assert(!acl_allowed(acl, dev, "ps:t", ACL_PUBLISH));
	acl_free(acl);
	expect_errors("allow issuer: rd:** lookup\n",
	    "acl.conf:1: subject \"issuer:\": expected 1 to 256 bytes "
	    "without control characters\n");
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("acl");
	TCase	*tc = tcase_create("acl");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, rule_forms);
	tcase_add_test(tc, empty_file_denies_everything);
	tcase_add_test(tc, crlf_and_no_final_newline);
	tcase_add_test(tc, subject_forms);
	tcase_add_test(tc, quoted_subjects);
	tcase_add_test(tc, groups);
	tcase_add_test(tc, precedence);
	tcase_add_test(tc, star_semantics);
	tcase_add_test(tc, substitution);
	tcase_add_test(tc, substitution_without_value_denies_nothing);
	tcase_add_test(tc, substitution_overflow);
	tcase_add_test(tc, hostile_pattern_returns);
	tcase_add_test(tc, quotas);
	tcase_add_test(tc, actions_parse);
	tcase_add_test(tc, every_error_reported);
	tcase_add_test(tc, nul_byte_is_an_error_on_its_line);
	tcase_add_test(tc, limits);
	tcase_add_test(tc, load);
	tcase_add_test(tc, issuer_and_san);
	tcase_add_test(tc, print_round_trip);
	suite_add_tcase(s, tc);
	return test_run(s);
}
