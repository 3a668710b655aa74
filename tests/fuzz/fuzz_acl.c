/*
 * Fuzz target for the ACL parser and matcher: whatever parses must print,
 * and answer questions about a few principals without crashing or leaking.
 */
#include "ac_config.h"

#include <stdint.h>
#include <stdio.h>

#include "acl.h"
#include "principal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const objects[] = {
	"rd:/node1", "rd:sec/node1", "rd:/alice", "rd:/device-1", "stats",
	"ps:sensors/a/b", "ps:home/psk:alice/t", "ps:dev*", "ps:", "rd:",
	/* Parenthesised: one long object, not two (clang -Wstring-concat). */
	("ps:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/"
	    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"),
};

static const unsigned int actions[] = {
	ACL_REGISTER, ACL_LOOKUP, ACL_PUBLISH, ACL_SUBSCRIBE, ACL_STATS,
	ACL_ADMIN, 0, ACL_PUBLISH | ACL_CREATE
};

static void
ask(const struct acl *acl, const struct principal *p)
{
	struct acl_quota q;

	for (size_t i = 0; i < sizeof(objects) / sizeof(objects[0]); i++)
		for (size_t j = 0; j < sizeof(actions) / sizeof(actions[0]);
		    j++)
			acl_allowed(acl, p, objects[i], actions[j]);
	acl_quota(acl, p, &q);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE		*devnull;
	static struct principal	*who[3];
	struct acl		*acl;

	if (devnull == NULL && (devnull = fopen("/dev/null", "w")) == NULL)
		return 0;
	if (who[0] == NULL) {
		who[0] = principal_new_psk((const uint8_t *)"alice", 5);
		who[1] = principal_new_x509((const uint8_t *)"abc", 3,
		    "device-1");
		who[2] = principal_new_x509((const uint8_t *)"xyz", 3, NULL);
		if (who[0] == NULL || who[1] == NULL || who[2] == NULL)
			return 0;
	}
	acl = acl_parse((const char *)data, size, "fuzz.acl", devnull);
	if (acl != NULL) {
		acl_print(acl, devnull);
		ask(acl, principal_anon());
		for (size_t i = 0; i < 3; i++)
			ask(acl, who[i]);
	}
	acl_free(acl);
	return 0;
}
