/* Principals: names derived from credentials, never from addresses. */
#include "ac_config.h"

#include <string.h>

#include "common.h"
#include "principal.h"

START_TEST(psk_principal)
{
	struct principal *p = principal_new_psk((const uint8_t *)"alice", 5);

	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(p->kind, PRINCIPAL_PSK);
	ck_assert_str_eq(p->name, "psk:alice");
	principal_free(p);
	ck_assert_ptr_null(principal_new_psk((const uint8_t *)"a b", 3));
	ck_assert_ptr_null(principal_new_psk((const uint8_t *)"a\0b", 3));
	ck_assert_ptr_null(principal_new_psk((const uint8_t *)"", 0));
}
END_TEST

START_TEST(x509_principal_is_sha256_of_der)
{
	/* sha256("abc"), the FIPS 180-2 test vector. */
	struct principal *p = principal_new_x509((const uint8_t *)"abc", 3,
	    "device-1");

	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(p->kind, PRINCIPAL_X509);
	ck_assert_str_eq(p->name, "x509:ba7816bf8f01cfea414140de5dae2223"
	    "b00361a396177a9cb410ff61f20015ad");
	ck_assert_str_eq(p->cn, "device-1");
	principal_free(p);
	ck_assert_ptr_null(principal_new_x509(NULL, 0, "x"));
}
END_TEST

START_TEST(anon_is_static)
{
	const struct principal *a = principal_anon();

	ck_assert_int_eq(a->kind, PRINCIPAL_ANON);
	ck_assert_str_eq(a->name, "anon");
	principal_free((struct principal *)a);	/* must be a no-op */
	ck_assert_str_eq(principal_anon()->name, "anon");
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("principal");
	TCase	*tc = tcase_create("principal");

	tcase_add_test(tc, psk_principal);
	tcase_add_test(tc, x509_principal_is_sha256_of_der);
	tcase_add_test(tc, anon_is_static);
	suite_add_tcase(s, tc);
	return test_run(s);
}
