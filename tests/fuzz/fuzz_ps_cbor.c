/*
 * Fuzz target for the pub-sub CBOR codec: whatever decodes must encode,
 * and decode again to the same properties, all of them or those of a
 * mask taken from the input. Failures must leave nothing behind.
 */
#include "ac_config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ps_cbor.h"
#include "ps_props.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* b, decoded from a encoded with mask, holds just that of a. */
static int
same(const struct ps_props *a, const struct ps_props *b, uint32_t mask)
{
	uint32_t m = a->present & mask;

	return b->present == m &&
	    (!(m & PS_P_NAME) || strcmp(a->name, b->name) == 0) &&
	    (!(m & PS_P_DATA) || strcmp(a->data_uri, b->data_uri) == 0) &&
	    (!(m & PS_P_RT) || strcmp(a->rt, b->rt) == 0) &&
	    (!(m & PS_P_CF) || a->cf == b->cf) &&
	    (!(m & PS_P_TYPE) || strcmp(a->type, b->type) == 0) &&
	    (!(m & PS_P_EXPIRES) || a->expires == b->expires) &&
	    (!(m & PS_P_MAX_SUBS) || a->max_subs == b->max_subs) &&
	    (!(m & PS_P_OBS_CHECK) || a->obs_check == b->obs_check) &&
	    (!(m & PS_P_INIT) || (a->init_len == b->init_len &&
	    (a->init_len == 0 ||
	    memcmp(a->init, b->init, a->init_len) == 0))) &&
	    (!(m & PS_P_VOLATILE) || a->volatile_ == b->volatile_);
}

static void
round_trip(const struct ps_props *p, uint32_t mask)
{
	struct ps_props	 got;
	uint8_t		*out;
	size_t		 len;

	if (ps_cbor_encode_props(p, mask, &out, &len) != PS_CBOR_OK)
		abort();
	if (ps_cbor_decode_props(out, len, &got, NULL) != PS_CBOR_OK ||
	    !same(p, &got, mask))
		abort();
	ps_props_clear(&got);
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ps_props		 p;
	const char		*why = NULL;
	uint32_t		 mask;
	enum ps_cbor_status	 st;

	st = ps_cbor_decode_keys(data, size, &mask, &why);
	if (st != PS_CBOR_OK && (why == NULL || mask != 0))
		abort();
	st = ps_cbor_decode_props(data, size, &p, &why);
	if (st != PS_CBOR_OK) {
		if (why == NULL || p.present != 0 || p.name != NULL)
			abort();
		return 0;
	}
	if (ps_cbor_check(data, size) != PS_CBOR_OK || (p.present & ~PS_P_ALL))
		abort();
	round_trip(&p, PS_P_ALL);
	/* A mask the fuzzer steers: what is asked and present, no more. */
	round_trip(&p, data[size - 1] | (uint32_t)data[0] << 8);
	ps_props_clear(&p);
	return 0;
}
