/*
 * The pub-sub CBOR codec: each topic property, the inputs it refuses,
 * hostile sizes and nesting that must be refused before libcbor
 * allocates, round trips, and FETCH key arrays.
 */
#include "ac_config.h"

#include <sys/resource.h>

#include <stdint.h>
#include <string.h>

#include "common.h"
#include "ps_cbor.h"
#include "ps_props.h"

#define KEY_VOLATILE	"3a00010000"	/* -65537 */

static struct ps_props	 props;
static const char	*why;
static uint8_t		 in[4096];
static size_t		 inlen;

static void
teardown(void)
{
	ps_props_clear(&props);
}

/* Hex digits into in[]; spaces are for the reader. */
static void
unhex(const char *hex)
{
	unsigned int b;

	for (inlen = 0; *hex != '\0'; ) {
		if (*hex == ' ') {
			hex++;
			continue;
		}
		ck_assert_int_eq(sscanf(hex, "%2x", &b), 1);
		ck_assert_uint_lt(inlen, sizeof(in));
		in[inlen++] = (uint8_t)b;
		hex += 2;
	}
}

static enum ps_cbor_status
dec_in(void)
{
	ps_props_clear(&props);
	why = NULL;
	return ps_cbor_decode_props(in, inlen, &props, &why);
}

static enum ps_cbor_status
dec(const char *hex)
{
	unhex(hex);
	return dec_in();
}

static enum ps_cbor_status
check(const char *hex)
{
	unhex(hex);
	return ps_cbor_check(in, inlen);
}

static enum ps_cbor_status
keys(const char *hex, uint32_t *mask)
{
	unhex(hex);
	why = NULL;
	return ps_cbor_decode_keys(in, inlen, mask, &why);
}

static void
assert_cleared(void)
{
	ck_assert_uint_eq(props.present, 0);
	ck_assert_ptr_null(props.name);
	ck_assert_ptr_null(props.data_uri);
	ck_assert_ptr_null(props.rt);
	ck_assert_ptr_null(props.type);
	ck_assert_ptr_null(props.init);
	ck_assert_uint_eq(props.cf, 0);
	ck_assert_int_eq(props.expires, 0);
}

/* hex is well-formed but refused, the reason naming what. */
static void
refused(const char *hex, const char *what)
{
	ck_assert_msg(dec(hex) == PS_CBOR_ESHAPE, "not ESHAPE: %s", hex);
	ck_assert_ptr_nonnull(why);
	ck_assert_msg(strstr(why, what) != NULL, "%s: \"%s\" lacks \"%s\"",
	    hex, why, what);
	assert_cleared();
}

/* A map of one text property key, len bytes of c. */
static enum ps_cbor_status
dec_long_text(uint8_t key, size_t len, char c)
{
	size_t h = 0;

	in[h++] = 0xa1;
	in[h++] = key;
	if (len < 256) {
		in[h++] = 0x78;
		in[h++] = (uint8_t)len;
	} else {
		in[h++] = 0x79;
		in[h++] = (uint8_t)(len >> 8);
		in[h++] = (uint8_t)len;
	}
	memset(in + h, c, len);
	inlen = h + len;
	return dec_in();
}

START_TEST(prop_topic_name)
{
	ck_assert_int_eq(dec("a1 00 63 616263"), PS_CBOR_OK);
	ck_assert_uint_eq(props.present, PS_P_NAME);
	ck_assert_str_eq(props.name, "abc");
	ck_assert_int_eq(dec("a1 00 66 4d616c6dc3b6"), PS_CBOR_OK);
	ck_assert_str_eq(props.name, "Malm\xc3\xb6");
	ck_assert_int_eq(dec("a1 00 64 f09f9880"), PS_CBOR_OK);
	ck_assert_str_eq(props.name, "\xf0\x9f\x98\x80");
	ck_assert_int_eq(dec_long_text(PS_KEY_NAME, PS_NAME_MAX, 'n'),
	    PS_CBOR_OK);
	ck_assert_uint_eq(strlen(props.name), PS_NAME_MAX);
	ck_assert_int_eq(dec_long_text(PS_KEY_NAME, PS_NAME_MAX + 1, 'n'),
	    PS_CBOR_ESHAPE);
	ck_assert_ptr_nonnull(strstr(why, "topic-name"));
	assert_cleared();
	refused("a1 00 43 616263", "topic-name");
	refused("a1 00 01", "topic-name");
}
END_TEST

START_TEST(prop_topic_data)
{
	ck_assert_int_eq(dec("a1 01 68 2f70732f642f3161"), PS_CBOR_OK);
	ck_assert_uint_eq(props.present, PS_P_DATA);
	ck_assert_str_eq(props.data_uri, "/ps/d/1a");
	ck_assert_int_eq(dec_long_text(PS_KEY_DATA, PS_URI_MAX, 'u'),
	    PS_CBOR_OK);
	ck_assert_int_eq(dec_long_text(PS_KEY_DATA, PS_URI_MAX + 1, 'u'),
	    PS_CBOR_ESHAPE);
	refused("a1 01 60", "topic-data");
	refused("a1 01 80", "topic-data");
}
END_TEST

START_TEST(prop_resource_type)
{
	ck_assert_int_eq(dec("a1 02 6c 636f72652e70732e64617461"),
	    PS_CBOR_OK);
	ck_assert_uint_eq(props.present, PS_P_RT);
	ck_assert_str_eq(props.rt, "core.ps.data");
	ck_assert_int_eq(dec_long_text(PS_KEY_RT, PS_NAME_MAX + 1, 'r'),
	    PS_CBOR_ESHAPE);
	refused("a1 02 f6", "resource-type");
}
END_TEST

START_TEST(prop_content_format)
{
	ck_assert_int_eq(dec("a1 03 00"), PS_CBOR_OK);
	ck_assert_uint_eq(props.present, PS_P_CF);
	ck_assert_uint_eq(props.cf, 0);
	ck_assert_int_eq(dec("a1 03 18 3c"), PS_CBOR_OK);
	ck_assert_uint_eq(props.cf, 60);
	ck_assert_int_eq(dec("a1 03 19 ffff"), PS_CBOR_OK);
	ck_assert_uint_eq(props.cf, 65535);
	refused("a1 03 1a 00010000", "topic-content-format");
	refused("a1 03 20", "topic-content-format");
	refused("a1 03 62 3630", "topic-content-format");
	refused("a1 03 f9 5380", "topic-content-format");	/* 60.0 */
}
END_TEST

START_TEST(prop_topic_type)
{
	ck_assert_int_eq(dec("a1 04 6b 74656d7065726174757265"), PS_CBOR_OK);
	ck_assert_uint_eq(props.present, PS_P_TYPE);
	ck_assert_str_eq(props.type, "temperature");
	ck_assert_int_eq(dec_long_text(PS_KEY_TYPE, PS_NAME_MAX + 1, 't'),
	    PS_CBOR_ESHAPE);
	refused("a1 04 f5", "topic-type");
}
END_TEST

START_TEST(prop_expires_int)
{
	ck_assert_int_eq(dec("a1 05 c1 1a 6553f100"), PS_CBOR_OK);
	ck_assert_uint_eq(props.present, PS_P_EXPIRES);
	ck_assert_int_eq(props.expires, 1700000000);
	ck_assert_int_eq(dec("a1 05 c1 00"), PS_CBOR_OK);
	ck_assert_int_eq(props.expires, 0);
	ck_assert_int_eq(dec("a1 05 c1 1b 7fffffffffffffff"), PS_CBOR_OK);
	ck_assert_int_eq(props.expires, INT64_MAX);
	refused("a1 05 c1 1b 8000000000000000", "expiration-date");
}
END_TEST

START_TEST(prop_expires_negative)
{
	ck_assert_int_eq(dec("a1 05 c1 38 63"), PS_CBOR_OK);
	ck_assert_int_eq(props.expires, -100);
	ck_assert_int_eq(dec("a1 05 c1 3b 7fffffffffffffff"), PS_CBOR_OK);
	ck_assert_int_eq(props.expires, INT64_MIN);
	refused("a1 05 c1 3b 8000000000000000", "expiration-date");
}
END_TEST

START_TEST(prop_expires_float)
{
	ck_assert_int_eq(dec("a1 05 c1 fb 41d954fc4039999a"), PS_CBOR_OK);
	ck_assert_int_eq(props.expires, 1700000000);	/* .9 truncated */
	ck_assert_int_eq(dec("a1 05 c1 fa 4ecaa7e2"), PS_CBOR_OK);
	ck_assert_int_eq(props.expires, 1700000000);
	ck_assert_int_eq(dec("a1 05 c1 f9 3e00"), PS_CBOR_OK);
	ck_assert_int_eq(props.expires, 1);
	ck_assert_int_eq(dec("a1 05 c1 f9 be00"), PS_CBOR_OK);
	ck_assert_int_eq(props.expires, -1);		/* toward zero */
	ck_assert_int_eq(dec("a1 05 c1 fb c3e0000000000000"), PS_CBOR_OK);
	ck_assert_int_eq(props.expires, INT64_MIN);
	refused("a1 05 c1 f9 7e00", "expiration-date");	/* NaN */
	refused("a1 05 c1 f9 7c00", "expiration-date");	/* inf */
	refused("a1 05 c1 f9 fc00", "expiration-date");	/* -inf */
	refused("a1 05 c1 fb 43e0000000000000", "expiration-date"); /* 2^63 */
	refused("a1 05 c1 fb 43e158e460913d00", "expiration-date"); /* 1e19 */
}
END_TEST

START_TEST(prop_expires_refused)
{
	refused("a1 05 1a 6553f100", "expiration-date");	/* no tag */
	refused("a1 05 c0 1a 6553f100", "expiration-date");	/* tag 0 */
	refused("a1 05 d8 64 1a 6553f100", "expiration-date");	/* tag 100 */
	refused("a1 05 c1 74 323032332d31312d31345432323a31333a32305a",
	    "expiration-date");		/* tag 1 on an RFC 3339 string */
	refused("a1 05 c1 f5", "expiration-date");
	refused("a1 05 c1 f6", "expiration-date");
	refused("a1 05 c1 c1 00", "expiration-date");
	refused("a1 05 c1 80", "expiration-date");
}
END_TEST

START_TEST(prop_max_subscribers)
{
	ck_assert_int_eq(dec("a1 06 00"), PS_CBOR_OK);
	ck_assert_uint_eq(props.present, PS_P_MAX_SUBS);
	ck_assert_uint_eq(props.max_subs, 0);
	ck_assert_int_eq(dec("a1 06 1a ffffffff"), PS_CBOR_OK);
	ck_assert_uint_eq(props.max_subs, UINT32_MAX);
	refused("a1 06 1b 0000000100000000", "max-subscribers");
	refused("a1 06 20", "max-subscribers");
}
END_TEST

START_TEST(prop_observer_check)
{
	ck_assert_int_eq(dec("a1 07 01"), PS_CBOR_OK);
	ck_assert_uint_eq(props.present, PS_P_OBS_CHECK);
	ck_assert_uint_eq(props.obs_check, 1);
	ck_assert_int_eq(dec("a1 07 1a 00015180"), PS_CBOR_OK);
	ck_assert_uint_eq(props.obs_check, 86400);
	ck_assert_int_eq(dec("a1 07 1a ffffffff"), PS_CBOR_OK);
	ck_assert_uint_eq(props.obs_check, UINT32_MAX);
	refused("a1 07 00", "observer-check");
	refused("a1 07 1b 0000000100000000", "observer-check");
	refused("a1 07 f4", "observer-check");
}
END_TEST

START_TEST(prop_initialize)
{
	ck_assert_int_eq(dec("a1 08 43 010203"), PS_CBOR_OK);
	ck_assert_uint_eq(props.present, PS_P_INIT);
	ck_assert_uint_eq(props.init_len, 3);
	ck_assert_mem_eq(props.init, "\x01\x02\x03", 3);
	/* Empty is a value: present, nothing held. */
	ck_assert_int_eq(dec("a1 08 40"), PS_CBOR_OK);
	ck_assert_uint_eq(props.present, PS_P_INIT);
	ck_assert_uint_eq(props.init_len, 0);
	ck_assert_ptr_null(props.init);
	ck_assert_int_eq(dec("a1 08 43 000000"), PS_CBOR_OK);
	ck_assert_mem_eq(props.init, "\0\0\0", 3);
	refused("a1 08 63 616263", "initialize");
	refused("a1 08 00", "initialize");
}
END_TEST

START_TEST(prop_volatile)
{
	ck_assert_int_eq(dec("a1 " KEY_VOLATILE " f5"), PS_CBOR_OK);
	ck_assert_uint_eq(props.present, PS_P_VOLATILE);
	ck_assert_int_eq(props.volatile_, 1);
	ck_assert_int_eq(dec("a1 " KEY_VOLATILE " f4"), PS_CBOR_OK);
	ck_assert_uint_eq(props.present, PS_P_VOLATILE);
	ck_assert_int_eq(props.volatile_, 0);
	refused("a1 " KEY_VOLATILE " 01", "volatile");
	refused("a1 " KEY_VOLATILE " f6", "volatile");
	refused("a1 " KEY_VOLATILE " 64 74727565", "volatile");
	/* libcbor 0.8's cbor_is_bool() aborts on floats: found by fuzzing. */
	refused("a1 " KEY_VOLATILE " f9 3c00", "volatile");
	refused("a1 " KEY_VOLATILE " fb 0100000000000000", "volatile");
	refused("a1 " KEY_VOLATILE " f7", "volatile");
}
END_TEST

START_TEST(unknown_key)
{
	refused("a1 09 00", "unknown property");
	refused("a1 17 00", "unknown property");
	refused("a1 20 00", "unknown property");		/* -1 */
	refused("a1 3a00010001 f5", "unknown property");	/* -65538 */
	refused("a1 3a0000ffff f5", "unknown property");	/* -65536 */
	refused("a1 1b ffffffffffffffff 00", "unknown property");
	refused("a1 3b ffffffffffffffff 00", "unknown property");
	/* Known keys with other widths are the same keys. */
	ck_assert_int_eq(dec("a1 1b 0000000000000000 61 61"), PS_CBOR_OK);
	ck_assert_str_eq(props.name, "a");
	refused("a1 61 30 61 61", "integers");
	refused("a1 f4 00", "integers");
	refused("a1 c1 00 00", "integers");
	/* An unknown key also drops what was decoded before it. */
	refused("a2 00 61 61 09 00", "unknown property");
}
END_TEST

START_TEST(duplicate_key)
{
	refused("a2 00 61 61 00 61 62", "property given twice");
	refused("a2 03 00 19 0003 01", "property given twice");
	refused("bf 08 40 08 40 ff", "property given twice");
}
END_TEST

START_TEST(not_a_map)
{
	refused("80", "not a map");
	refused("00", "not a map");
	refused("61 61", "not a map");
	refused("c1 a0", "not a map");
	refused("82 00 61 61", "not a map");
}
END_TEST

START_TEST(wrong_types)
{
	static const struct {
		const char *hex, *what;
	} bad[] = {
		{ "a1 00 1a 00000001", "topic-name" },
		{ "a1 00 a0", "topic-name" },
		{ "a1 01 41 61", "topic-data" },
		{ "a1 01 f5", "topic-data" },
		{ "a1 02 00", "resource-type" },
		{ "a1 02 81 61 61", "resource-type" },
		{ "a1 03 40", "topic-content-format" },
		{ "a1 03 c1 00", "topic-content-format" },
		{ "a1 04 40", "topic-type" },
		{ "a1 05 00", "expiration-date" },
		{ "a1 05 f9 3e00", "expiration-date" },
		{ "a1 06 61 31", "max-subscribers" },
		{ "a1 06 f5", "max-subscribers" },
		{ "a1 07 f9 3c00", "observer-check" },
		{ "a1 07 20", "observer-check" },
		{ "a1 08 80", "initialize" },
		{ "a1 08 f6", "initialize" },
		{ "a1 " KEY_VOLATILE " 00", "volatile" },
		{ "a1 " KEY_VOLATILE " f7", "volatile" },
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		refused(bad[i].hex, bad[i].what);
}
END_TEST

/*
 * Text that is not UTF-8 is malformed (libcbor 0.8's cbor_load() agrees);
 * UTF-8 that is no good for a name is ESHAPE.
 */
START_TEST(text_rules)
{
	static const char *const bad_utf8[] = {
		"62 c0af",		/* overlong '/' */
		"62 c180",
		"63 e080af",		/* overlong, 3 bytes */
		"64 f08080af",		/* overlong, 4 bytes */
		"63 eda080",		/* surrogate U+D800 */
		"63 edbfbf",		/* surrogate U+DFFF */
		"64 f4908080",		/* U+110000 */
		"64 f5808080",
		"61 80",		/* lone continuation */
		"61 c3",		/* cut sequence */
		"63 61c361",
		"62 c3c3",
		"61 ff",
		"7f 61 c3 61 b6 ff",	/* split over two chunks */
	};
	static const char *const bad_name[] = {
		"60",			/* empty */
		"7f ff",
		"63 610162",		/* C0 control */
		"61 1f",
		"61 7f",		/* DEL */
		"63 610062",		/* NUL */
		"61 09",		/* tab */
		"7f 61 61 61 0a ff",
	};
	static const char *const key[] = { "00", "01", "02", "04" };
	char hex[64];

	for (size_t i = 0; i < sizeof(bad_utf8) / sizeof(*bad_utf8); i++) {
		ck_assert_msg(check(bad_utf8[i]) == PS_CBOR_EMALFORMED,
		    "not EMALFORMED: %s", bad_utf8[i]);
		snprintf(hex, sizeof(hex), "a1 00 %s", bad_utf8[i]);
		ck_assert_msg(dec(hex) == PS_CBOR_EMALFORMED,
		    "not EMALFORMED: %s", hex);
		assert_cleared();
	}
	for (size_t k = 0; k < sizeof(key) / sizeof(*key); k++)
		for (size_t i = 0; i < sizeof(bad_name) / sizeof(*bad_name);
		    i++) {
			snprintf(hex, sizeof(hex), "a1 %s %s", key[k],
			    bad_name[i]);
			ck_assert_msg(dec(hex) == PS_CBOR_ESHAPE,
			    "not ESHAPE: %s", hex);
			assert_cleared();
		}
	/* The edges that are allowed. */
	ck_assert_int_eq(dec("a1 00 62 c280"), PS_CBOR_OK);	/* U+0080 */
	ck_assert_int_eq(dec("a1 00 63 ed9fbf"), PS_CBOR_OK);	/* U+D7FF */
	ck_assert_int_eq(dec("a1 00 63 ee8080"), PS_CBOR_OK);	/* U+E000 */
	ck_assert_int_eq(dec("a1 00 64 f48fbfbf"), PS_CBOR_OK); /* U+10FFFF */
	ck_assert_int_eq(dec("a1 00 61 7e"), PS_CBOR_OK);
	ck_assert_int_eq(dec("a1 00 61 20"), PS_CBOR_OK);
	/* Control characters are for names only: any UTF-8 passes the check. */
	ck_assert_int_eq(check("63 610062"), PS_CBOR_OK);
}
END_TEST

/* Indefinite strings and maps are accepted; chunks are joined. */
START_TEST(indefinite_items)
{
	ck_assert_int_eq(dec("a1 00 7f 62 6162 61 63 ff"), PS_CBOR_OK);
	ck_assert_str_eq(props.name, "abc");
	ck_assert_int_eq(dec("a1 00 7f 60 61 61 60 ff"), PS_CBOR_OK);
	ck_assert_str_eq(props.name, "a");
	ck_assert_int_eq(dec("a1 08 5f 41 01 42 0203 40 ff"), PS_CBOR_OK);
	ck_assert_uint_eq(props.init_len, 3);
	ck_assert_mem_eq(props.init, "\x01\x02\x03", 3);
	ck_assert_int_eq(dec("a1 08 5f ff"), PS_CBOR_OK);
	ck_assert_uint_eq(props.present, PS_P_INIT);
	ck_assert_uint_eq(props.init_len, 0);
	ck_assert_int_eq(dec("bf 00 61 61 03 00 ff"), PS_CBOR_OK);
	ck_assert_uint_eq(props.present, PS_P_NAME | PS_P_CF);
	refused("a1 00 7f ff", "topic-name");
	/* A code point split over two chunks: each must be valid alone. */
	ck_assert_int_eq(dec("a1 00 7f 61 c3 61 b6 ff"), PS_CBOR_EMALFORMED);
	assert_cleared();
}
END_TEST

START_TEST(error_leaves_out_cleared)
{
	props.cf = 7;
	props.present = PS_P_CF;
	ck_assert_int_eq(dec("a4 00 61 61 08 41 01 02 61 62 03 1a 00010000"),
	    PS_CBOR_ESHAPE);
	ck_assert_ptr_nonnull(strstr(why, "topic-content-format"));
	assert_cleared();
	ck_assert_int_eq(dec("a3 00 61 61"), PS_CBOR_ELIMIT);
	ck_assert_str_eq(why, ps_cbor_status_text(PS_CBOR_ELIMIT));
	assert_cleared();
	ck_assert_int_eq(dec("a1 00 61 61"), PS_CBOR_OK);
	ck_assert_ptr_null(why);
}
END_TEST

/*
 * libcbor 0.8's cbor_load() allocates, and zeroes, a declared array
 * count before reading the items: 2 GiB of resident memory for these 5
 * bytes. Nothing may get that far.
 */
START_TEST(regression_9a0fffffff)
{
	struct rusage	ru;
	long		before;
	uint32_t	mask = 1;

	ck_assert_int_eq(getrusage(RUSAGE_SELF, &ru), 0);
	before = ru.ru_maxrss;
	ck_assert_int_eq(check("9a 0fffffff"), PS_CBOR_ELIMIT);
	ck_assert_int_eq(dec("9a 0fffffff"), PS_CBOR_ELIMIT);
	assert_cleared();
	ck_assert_int_eq(keys("9a 0fffffff", &mask), PS_CBOR_ELIMIT);
	ck_assert_uint_eq(mask, 0);
	ck_assert_int_eq(getrusage(RUSAGE_SELF, &ru), 0);
	ck_assert_int_lt(ru.ru_maxrss - before, 64 * 1024);	/* KiB */
}
END_TEST

START_TEST(map_of_2_32_pairs)
{
	ck_assert_int_eq(check("bb 0000000100000000"), PS_CBOR_ELIMIT);
	ck_assert_int_eq(dec("bb 0000000100000000"), PS_CBOR_ELIMIT);
	ck_assert_int_eq(check("bb ffffffffffffffff"), PS_CBOR_ELIMIT);
	ck_assert_int_eq(check("9b ffffffffffffffff"), PS_CBOR_ELIMIT);
	/* Counts just beyond what the bytes left could hold. */
	ck_assert_int_eq(check("83 00 00"), PS_CBOR_ELIMIT);
	ck_assert_int_eq(check("a2 00 00 00"), PS_CBOR_ELIMIT);
	ck_assert_int_eq(check("82 00 00"), PS_CBOR_OK);
	ck_assert_int_eq(check("a2 00 00 00 00"), PS_CBOR_OK);
}
END_TEST

START_TEST(string_of_4_gib)
{
	ck_assert_int_ne(check("5a ffffffff"), PS_CBOR_OK);
	ck_assert_int_eq(check("5a ffffffff"), PS_CBOR_EMALFORMED);
	ck_assert_int_eq(dec("a1 08 5a ffffffff 00"), PS_CBOR_EMALFORMED);
	ck_assert_int_eq(check("5b ffffffffffffffff"), PS_CBOR_EMALFORMED);
	ck_assert_int_eq(check("7a ffffffff 61"), PS_CBOR_EMALFORMED);
	ck_assert_int_eq(check("5f 5a ffffffff ff"), PS_CBOR_EMALFORMED);
}
END_TEST

START_TEST(nesting_depth)
{
	/* Eight levels: arrays, maps, tags, indefinite items alike. */
	ck_assert_int_eq(check("81818181 81818181 00"), PS_CBOR_OK);
	ck_assert_int_eq(check("81818181 81818181 81 00"), PS_CBOR_ELIMIT);
	ck_assert_int_eq(check("81818181 81818181 80"), PS_CBOR_ELIMIT);
	ck_assert_int_eq(check("a100 a100 a100 a100 a100 a100 a100 a100 00"),
	    PS_CBOR_OK);
	ck_assert_int_eq(check("a100 a100 a100 a100 a100 a100 a100 a100 a0"),
	    PS_CBOR_ELIMIT);
	ck_assert_int_eq(check("c1c1c1c1 c1c1c1c1 00"), PS_CBOR_OK);
	ck_assert_int_eq(check("c1c1c1c1 c1c1c1c1 c1 00"), PS_CBOR_ELIMIT);
	ck_assert_int_eq(check("9f9f9f9f 9f9f9f9f ffffffff ffffffff"),
	    PS_CBOR_OK);
	ck_assert_int_eq(check("9f9f9f9f 9f9f9f9f 9f ff ffffffff ffffffff"),
	    PS_CBOR_ELIMIT);
	ck_assert_int_eq(check("81818181 818181 5f 41 00 ff"), PS_CBOR_OK);
	ck_assert_int_eq(check("81818181 81818181 5f ff"), PS_CBOR_ELIMIT);
	/* Levels close: depth is not a count of containers. */
	ck_assert_int_eq(check("82 81818181 818181 00 81818181 818181 00"),
	    PS_CBOR_OK);
	ck_assert_int_eq(dec("a1 00 81818181 81818181 00"), PS_CBOR_ELIMIT);
}
END_TEST

START_TEST(item_count)
{
	size_t i;

	in[0] = 0x9f;
	for (i = 1; i < PS_CBOR_ITEMS_MAX; i++)
		in[i] = 0x00;
	in[i++] = 0xff;
	ck_assert_int_eq(ps_cbor_check(in, i), PS_CBOR_OK);
	in[i - 1] = 0x00;
	in[i++] = 0xff;
	ck_assert_int_eq(ps_cbor_check(in, i), PS_CBOR_ELIMIT);
	/* Definite counts are refused from the head alone. */
	in[0] = 0x99;
	in[1] = (PS_CBOR_ITEMS_MAX - 1) >> 8;
	in[2] = (PS_CBOR_ITEMS_MAX - 1) & 0xff;
	memset(in + 3, 0, PS_CBOR_ITEMS_MAX - 1);
	ck_assert_int_eq(ps_cbor_check(in, 3 + PS_CBOR_ITEMS_MAX - 1),
	    PS_CBOR_OK);
	in[1] = PS_CBOR_ITEMS_MAX >> 8;
	in[2] = PS_CBOR_ITEMS_MAX & 0xff;
	ck_assert_int_eq(ps_cbor_check(in, 3 + 2 * PS_CBOR_ITEMS_MAX),
	    PS_CBOR_ELIMIT);
	ck_assert_int_eq(check("9f 5f 41 00 41 00 ff ff"), PS_CBOR_OK);
}
END_TEST

START_TEST(indefinite_array_too_many_items)
{
	size_t i = 0;
	uint32_t mask;

	in[i++] = 0x9f;
	for (int k = 0; k < 2000; k++)
		in[i++] = 0x01;
	in[i++] = 0xff;
	inlen = i;
	ck_assert_int_eq(ps_cbor_check(in, inlen), PS_CBOR_ELIMIT);
	ck_assert_int_eq(ps_cbor_decode_keys(in, inlen, &mask, &why),
	    PS_CBOR_ELIMIT);
	in[0] = 0xbf;		/* as a map of 1000 pairs */
	ck_assert_int_eq(dec_in(), PS_CBOR_ELIMIT);
}
END_TEST

START_TEST(trailing_bytes)
{
	ck_assert_int_eq(check("00 00"), PS_CBOR_EMALFORMED);
	ck_assert_int_eq(check("a0 ff"), PS_CBOR_EMALFORMED);
	ck_assert_int_eq(dec("a1 00 61 61 00"), PS_CBOR_EMALFORMED);
	assert_cleared();
	ck_assert_int_eq(dec("a0 a0"), PS_CBOR_EMALFORMED);
}
END_TEST

START_TEST(truncated)
{
	static const char full[] = "aa 00 61 74 01 62 2f64 02 61 72 03 18 3c "
	    "04 61 78 05 c1 1a 6553f100 06 18 64 07 1a 00015180 08 42 0102 "
	    KEY_VOLATILE " f5";
	size_t n;

	ck_assert_int_eq(check("19 01"), PS_CBOR_EMALFORMED);
	ck_assert_int_eq(check("a1 00 63 6162"), PS_CBOR_EMALFORMED);
	ck_assert_int_eq(check("82 81 00"), PS_CBOR_EMALFORMED);
	ck_assert_int_eq(check("bf 00 00"), PS_CBOR_EMALFORMED);
	ck_assert_int_eq(check("9f"), PS_CBOR_EMALFORMED);
	ck_assert_int_eq(check("c1"), PS_CBOR_EMALFORMED);
	ck_assert_int_eq(check("5f 41 00"), PS_CBOR_EMALFORMED);
	ck_assert_int_eq(check("fb 0000"), PS_CBOR_EMALFORMED);
	/* Every prefix of a good document fails, none is OK. */
	ck_assert_int_eq(dec(full), PS_CBOR_OK);
	n = inlen;
	for (size_t cut = 0; cut < n; cut++) {
		enum ps_cbor_status st;

		inlen = cut;
		st = dec_in();
		ck_assert_msg(st == PS_CBOR_EMALFORMED || st == PS_CBOR_ELIMIT,
		    "prefix of %zu bytes: %d", cut, st);
		assert_cleared();
	}
}
END_TEST

START_TEST(empty_input)
{
	uint32_t mask = 5;

	ck_assert_int_eq(ps_cbor_check(NULL, 0), PS_CBOR_EMALFORMED);
	ck_assert_int_eq(ps_cbor_decode_props((const uint8_t *)"", 0, &props,
	    &why), PS_CBOR_EMALFORMED);
	ck_assert_ptr_nonnull(why);
	assert_cleared();
	ck_assert_int_eq(ps_cbor_decode_keys(NULL, 0, &mask, NULL),
	    PS_CBOR_EMALFORMED);
	ck_assert_uint_eq(mask, 0);
}
END_TEST

START_TEST(not_well_formed)
{
	static const char *const bad[] = {
		"ff",			/* break outside anything */
		"81 ff",		/* break in a definite array */
		"c1 ff",		/* break as a tag's item */
		"bf 00 ff",		/* key without value */
		"5f 61 61 ff",		/* text chunk in a byte string */
		"7f 41 61 ff",
		"5f 5f ff ff",		/* nested indefinite string */
		"5f 00 ff",
		"1c", "3f", "5c", "7d", "9e", "be", "fc",	/* reserved */
		"df 00",
		/* Well-formed, but libcbor 0.8 refuses them. */
		"f8 20",		/* simple value 32 */
		"c6 00",		/* tags 6..20 */
		"d4 00",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(*bad); i++)
		ck_assert_msg(check(bad[i]) == PS_CBOR_EMALFORMED,
		    "not EMALFORMED: %s", bad[i]);
	ck_assert_int_eq(check("f7"), PS_CBOR_OK);
	ck_assert_int_eq(check("d5 00"), PS_CBOR_OK);
	ck_assert_int_eq(check("db ffffffffffffffff 00"), PS_CBOR_OK);
}
END_TEST

static void
fill_full(struct ps_props *p)
{
	memset(p, 0, sizeof(*p));
	p->present = PS_P_ALL;
	p->name = strdup("t");
	p->data_uri = strdup("/d");
	p->rt = strdup("r");
	p->cf = 60;
	p->type = strdup("x");
	p->expires = 1700000000;
	p->max_subs = 100;
	p->obs_check = 86400;
	p->init = malloc(2);
	p->init[0] = 1;
	p->init[1] = 2;
	p->init_len = 2;
	p->volatile_ = 1;
	ck_assert(p->name && p->data_uri && p->rt && p->type && p->init);
}

static void
assert_same(const struct ps_props *a, const struct ps_props *b)
{
	ck_assert_uint_eq(a->present, b->present);
	ck_assert_str_eq(a->name, b->name);
	ck_assert_str_eq(a->data_uri, b->data_uri);
	ck_assert_str_eq(a->rt, b->rt);
	ck_assert_uint_eq(a->cf, b->cf);
	ck_assert_str_eq(a->type, b->type);
	ck_assert_int_eq(a->expires, b->expires);
	ck_assert_uint_eq(a->max_subs, b->max_subs);
	ck_assert_uint_eq(a->obs_check, b->obs_check);
	ck_assert_uint_eq(a->init_len, b->init_len);
	ck_assert_mem_eq(a->init, b->init, a->init_len);
	ck_assert_int_eq(a->volatile_, b->volatile_);
}

/* Encodes p with mask; the bytes must be want. */
static void
encode_is(const struct ps_props *p, uint32_t mask, const char *want)
{
	uint8_t	*out;
	size_t	 len;

	ck_assert_int_eq(ps_cbor_encode_props(p, mask, &out, &len),
	    PS_CBOR_OK);
	unhex(want);
	ck_assert_uint_eq(len, inlen);
	ck_assert_mem_eq(out, in, len);
	free(out);
}

START_TEST(round_trip_full)
{
	struct ps_props full;

	fill_full(&full);
	/* Shortest integers, keys in order, the private key last. */
	encode_is(&full, PS_P_ALL, "aa 00 61 74 01 62 2f64 02 61 72 "
	    "03 18 3c 04 61 78 05 c1 1a 6553f100 06 18 64 07 1a 00015180 "
	    "08 42 0102 " KEY_VOLATILE " f5");
	ck_assert_int_eq(dec_in(), PS_CBOR_OK);
	assert_same(&full, &props);
	full.expires = -100;
	full.volatile_ = 0;
	encode_is(&full, PS_P_EXPIRES | PS_P_VOLATILE,
	    "a2 05 c1 38 63 " KEY_VOLATILE " f4");
	ps_props_clear(&full);
}
END_TEST

START_TEST(round_trip_partial)
{
	struct ps_props p;

	fill_full(&p);
	p.present &= ~PS_P_CF;
	/* Asked but absent: not written. */
	encode_is(&p, PS_P_NAME | PS_P_CF | PS_P_VOLATILE,
	    "a2 00 61 74 " KEY_VOLATILE " f5");
	ck_assert_int_eq(dec_in(), PS_CBOR_OK);
	ck_assert_uint_eq(props.present, PS_P_NAME | PS_P_VOLATILE);
	ck_assert_str_eq(props.name, "t");
	ck_assert_ptr_null(props.type);
	encode_is(&p, 0, "a0");
	ck_assert_int_eq(dec_in(), PS_CBOR_OK);
	ck_assert_uint_eq(props.present, 0);
	encode_is(&p, PS_P_INIT, "a1 08 42 0102");
	ps_props_clear(&p);
}
END_TEST

START_TEST(round_trip_extremes)
{
	static const int64_t times[] = { INT64_MIN, -65537, -1, 0, 23, 24,
	    65536, INT64_MAX };
	struct ps_props p;
	uint8_t		*out;
	size_t		 len;

	memset(&p, 0, sizeof(p));
	p.present = PS_P_EXPIRES | PS_P_CF | PS_P_MAX_SUBS | PS_P_INIT;
	p.cf = 65535;
	p.max_subs = UINT32_MAX;
	for (size_t i = 0; i < sizeof(times) / sizeof(*times); i++) {
		p.expires = times[i];
		ck_assert_int_eq(ps_cbor_encode_props(&p, PS_P_ALL, &out,
		    &len), PS_CBOR_OK);
		ck_assert_int_eq(ps_cbor_decode_props(out, len, &props, &why),
		    PS_CBOR_OK);
		free(out);
		ck_assert_uint_eq(props.present, p.present);
		ck_assert_int_eq(props.expires, times[i]);
		ck_assert_uint_eq(props.cf, 65535);
		ck_assert_uint_eq(props.max_subs, UINT32_MAX);
		ck_assert_uint_eq(props.init_len, 0);
		ps_props_clear(&props);
	}
	encode_is(&p, PS_P_EXPIRES, "a1 05 c1 1b 7fffffffffffffff");
	p.expires = INT64_MIN;
	encode_is(&p, PS_P_EXPIRES, "a1 05 c1 3b 7fffffffffffffff");
}
END_TEST

START_TEST(fetch_keys)
{
	uint32_t mask;

	ck_assert_int_eq(keys("83 00 03 " KEY_VOLATILE, &mask), PS_CBOR_OK);
	ck_assert_uint_eq(mask, PS_P_NAME | PS_P_CF | PS_P_VOLATILE);
	ck_assert_ptr_null(why);
	ck_assert_int_eq(keys("89 00 01 02 03 04 05 06 07 08", &mask),
	    PS_CBOR_OK);
	ck_assert_uint_eq(mask, PS_P_ALL & ~PS_P_VOLATILE);
	/* Unknown keys cannot be present: ignored. */
	ck_assert_int_eq(keys("85 09 20 3b ffffffffffffffff 1b "
	    "ffffffffffffffff 07", &mask), PS_CBOR_OK);
	ck_assert_uint_eq(mask, PS_P_OBS_CHECK);
	ck_assert_int_eq(keys("82 05 05", &mask), PS_CBOR_OK);
	ck_assert_uint_eq(mask, PS_P_EXPIRES);
	ck_assert_int_eq(keys("80", &mask), PS_CBOR_OK);
	ck_assert_uint_eq(mask, 0);
	ck_assert_int_eq(keys("9f 00 08 ff", &mask), PS_CBOR_OK);
	ck_assert_uint_eq(mask, PS_P_NAME | PS_P_INIT);
	ck_assert_int_eq(keys("a1 00 00", &mask), PS_CBOR_ESHAPE);
	ck_assert_str_eq(why, "not an array");
	ck_assert_uint_eq(mask, 0);
	ck_assert_int_eq(keys("00", &mask), PS_CBOR_ESHAPE);
	ck_assert_int_eq(keys("82 00 61 61", &mask), PS_CBOR_ESHAPE);
	ck_assert_uint_eq(mask, 0);
	ck_assert_int_eq(keys("82 00 81 01", &mask), PS_CBOR_ESHAPE);
	ck_assert_int_eq(keys("81 c1 00", &mask), PS_CBOR_ESHAPE);
	ck_assert_int_eq(keys("81 f9 0000", &mask), PS_CBOR_ESHAPE);
	ck_assert_int_eq(keys("82 00", &mask), PS_CBOR_ELIMIT);
	ck_assert_int_eq(keys("9f 00", &mask), PS_CBOR_EMALFORMED);
	ck_assert_int_eq(keys("80 00", &mask), PS_CBOR_EMALFORMED);
}
END_TEST

START_TEST(props_copy_is_deep)
{
	struct ps_props a, b;

	fill_full(&a);
	ck_assert_int_eq(ps_props_copy(&b, &a), 0);
	assert_same(&a, &b);
	ck_assert_ptr_ne(a.name, b.name);
	ck_assert_ptr_ne(a.type, b.type);
	ck_assert_ptr_ne(a.init, b.init);
	ps_props_clear(&a);
	ck_assert_uint_eq(a.present, 0);
	ck_assert_ptr_null(a.name);
	ck_assert_str_eq(b.name, "t");
	ck_assert_mem_eq(b.init, "\x01\x02", 2);
	/* Absent strings stay NULL in the copy. */
	memset(&a, 0, sizeof(a));
	a.present = PS_P_CF;
	a.cf = 42;
	ps_props_clear(&b);
	ck_assert_int_eq(ps_props_copy(&b, &a), 0);
	ck_assert_ptr_null(b.name);
	ck_assert_ptr_null(b.init);
	ck_assert_uint_eq(b.cf, 42);
	ps_props_clear(&b);
}
END_TEST

START_TEST(status_texts)
{
	static const enum ps_cbor_status all[] = { PS_CBOR_OK,
	    PS_CBOR_EMALFORMED, PS_CBOR_ELIMIT, PS_CBOR_ESHAPE,
	    PS_CBOR_ENOMEM };

	for (size_t i = 0; i < sizeof(all) / sizeof(*all); i++)
		for (size_t j = 0; j < i; j++)
			ck_assert_str_ne(ps_cbor_status_text(all[i]),
			    ps_cbor_status_text(all[j]));
	ck_assert_str_eq(ps_cbor_status_text(PS_CBOR_OK), "ok");
	ck_assert_ptr_nonnull(ps_cbor_status_text((enum ps_cbor_status)7));
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("ps_cbor");
	TCase	*tc = tcase_create("ps_cbor");

	tcase_add_checked_fixture(tc, NULL, teardown);
	tcase_add_test(tc, prop_topic_name);
	tcase_add_test(tc, prop_topic_data);
	tcase_add_test(tc, prop_resource_type);
	tcase_add_test(tc, prop_content_format);
	tcase_add_test(tc, prop_topic_type);
	tcase_add_test(tc, prop_expires_int);
	tcase_add_test(tc, prop_expires_negative);
	tcase_add_test(tc, prop_expires_float);
	tcase_add_test(tc, prop_expires_refused);
	tcase_add_test(tc, prop_max_subscribers);
	tcase_add_test(tc, prop_observer_check);
	tcase_add_test(tc, prop_initialize);
	tcase_add_test(tc, prop_volatile);
	tcase_add_test(tc, unknown_key);
	tcase_add_test(tc, duplicate_key);
	tcase_add_test(tc, not_a_map);
	tcase_add_test(tc, wrong_types);
	tcase_add_test(tc, text_rules);
	tcase_add_test(tc, indefinite_items);
	tcase_add_test(tc, error_leaves_out_cleared);
	tcase_add_test(tc, regression_9a0fffffff);
	tcase_add_test(tc, map_of_2_32_pairs);
	tcase_add_test(tc, string_of_4_gib);
	tcase_add_test(tc, nesting_depth);
	tcase_add_test(tc, item_count);
	tcase_add_test(tc, indefinite_array_too_many_items);
	tcase_add_test(tc, trailing_bytes);
	tcase_add_test(tc, truncated);
	tcase_add_test(tc, empty_input);
	tcase_add_test(tc, not_well_formed);
	tcase_add_test(tc, round_trip_full);
	tcase_add_test(tc, round_trip_partial);
	tcase_add_test(tc, round_trip_extremes);
	tcase_add_test(tc, fetch_keys);
	tcase_add_test(tc, props_copy_is_deep);
	tcase_add_test(tc, status_texts);
	suite_add_tcase(s, tc);
	return test_run(s);
}
