/*
 * ps_props: the configuration of one topic, as draft-ietf-core-coap-pubsub-21
 * section 3.2 lists it (CBOR keys 0..8), plus corehub's own properties in
 * the private-use key range. Plain data: ps_cbor.c reads and writes it,
 * ps_topic.c applies the rules of creation and update to it.
 */
#ifndef COREHUB_PS_PROPS_H
#define COREHUB_PS_PROPS_H

#include <stddef.h>
#include <stdint.h>

/* CBOR keys of the draft. */
#define PS_KEY_NAME		0	/* topic-name, tstr */
#define PS_KEY_DATA		1	/* topic-data, tstr (URI reference) */
#define PS_KEY_RT		2	/* resource-type, tstr */
#define PS_KEY_CF		3	/* topic-content-format, uint */
#define PS_KEY_TYPE		4	/* topic-type, tstr */
#define PS_KEY_EXPIRES		5	/* expiration-date, #6.1(int / float) */
#define PS_KEY_MAX_SUBS		6	/* max-subscribers, uint */
#define PS_KEY_OBS_CHECK	7	/* observer-check, uint > 0 */
#define PS_KEY_INIT		8	/* initialize, bstr */
/* corehub's own, in the private-use range (< -65536) of the registry. */
#define PS_KEY_VOLATILE		(-65537)	/* bool: memory only */

/* Bits of ps_props.present, one per property. */
#define PS_P_NAME	(1u << 0)
#define PS_P_DATA	(1u << 1)
#define PS_P_RT		(1u << 2)
#define PS_P_CF		(1u << 3)
#define PS_P_TYPE	(1u << 4)
#define PS_P_EXPIRES	(1u << 5)
#define PS_P_MAX_SUBS	(1u << 6)
#define PS_P_OBS_CHECK	(1u << 7)
#define PS_P_INIT	(1u << 8)
#define PS_P_VOLATILE	(1u << 9)
#define PS_P_ALL	((1u << 10) - 1)

/* Bounds on what a client may give, checked while decoding. */
#define PS_NAME_MAX	255	/* topic-name, topic-type, resource-type */
#define PS_URI_MAX	255	/* topic-data */

struct ps_props {
	uint32_t	 present;	/* PS_P_* */
	char		*name;
	char		*data_uri;
	char		*rt;
	uint32_t	 cf;		/* 0..65535 */
	char		*type;
	int64_t		 expires;	/* seconds since the epoch */
	uint32_t	 max_subs;
	uint32_t	 obs_check;	/* seconds, > 0 */
	uint8_t		*init;
	size_t		 init_len;
	int		 volatile_;
};

/* Frees what p holds and clears it. */
void	ps_props_clear(struct ps_props *p);
/* Deep copy of src; -1 when out of memory (dst is then cleared). */
int	ps_props_copy(struct ps_props *dst, const struct ps_props *src);

#endif
