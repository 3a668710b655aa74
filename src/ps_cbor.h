/*
 * ps_cbor: the broker's CBOR codec, over libcbor. Owns the rule that no
 * declared size is trusted: every input is first walked without
 * allocating (libcbor's streaming decoder), and refused if a container
 * declares more items than the bytes left could hold, if it nests too
 * deep, or if a string is longer than allowed. Only then is it decoded.
 * Decodes and encodes topic configurations (application/core-pubsub+cbor)
 * and the key arrays of a topic FETCH (application/cbor).
 */
#ifndef COREHUB_PS_CBOR_H
#define COREHUB_PS_CBOR_H

#include <stddef.h>
#include <stdint.h>

#include "ps_props.h"

#define PS_CBOR_DEPTH_MAX	8	/* nesting of arrays, maps and tags */
#define PS_CBOR_ITEMS_MAX	1024	/* data items in one input */

enum ps_cbor_status {
	PS_CBOR_OK = 0,
	PS_CBOR_EMALFORMED = -1,	/* not well-formed, or trailing bytes */
	PS_CBOR_ELIMIT = -2,		/* a count, depth or length too big */
	PS_CBOR_ESHAPE = -3,		/* well-formed, but not what is asked */
	PS_CBOR_ENOMEM = -4
};

/*
 * Checks that data is exactly one well-formed CBOR item within the limits
 * above, with every declared count and length possible in the bytes that
 * follow it. Allocates nothing.
 */
enum ps_cbor_status ps_cbor_check(const uint8_t *data, size_t len);

/*
 * A topic configuration: a map with integer keys. Unknown keys, a key
 * given twice, and values of the wrong type or range are ESHAPE, with
 * *why (when not NULL) set to a static text naming the property.
 * out is cleared first and owns what it gets.
 */
enum ps_cbor_status ps_cbor_decode_props(const uint8_t *data, size_t len,
		    struct ps_props *out, const char **why);
/*
 * The properties of p whose PS_P_* bit is in mask and in p->present,
 * as a map in key order. *out is malloc'd.
 */
enum ps_cbor_status ps_cbor_encode_props(const struct ps_props *p,
		    uint32_t mask, uint8_t **out, size_t *len);
/*
 * A FETCH on a topic: an array of property keys. *mask gets their PS_P_*
 * bits; keys the broker does not know are ignored (they cannot be
 * present), anything else than an array of integers is ESHAPE.
 */
enum ps_cbor_status ps_cbor_decode_keys(const uint8_t *data, size_t len,
		    uint32_t *mask, const char **why);

const char	*ps_cbor_status_text(enum ps_cbor_status s);

#endif
