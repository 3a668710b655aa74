/* Fuzz target for the configuration parser: never crash, never leak. */
#include "ac_config.h"

#include <stdint.h>
#include <stdio.h>

#include "config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static FILE	*devnull;
	struct config	*c;

	if (devnull == NULL && (devnull = fopen("/dev/null", "w")) == NULL)
		return 0;
	c = config_parse((const char *)data, size, "fuzz.conf", devnull);
	if (c != NULL)
		config_print(c, devnull);
	config_free(c);
	return 0;
}
