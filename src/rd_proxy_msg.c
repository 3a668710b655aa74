#include "ac_config.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "coaputil.h"
#include "echo.h"
#include "observe.h"
#include "rd_proxy_msg.h"

int
rd_proxy_msg_hop(coap_option_num_t num)
{
	return num == COAP_OPTION_URI_HOST || num == COAP_OPTION_URI_PORT ||
	    num == COAP_OPTION_OBSERVE || num == ECHO_OPTION ||
	    num == COAP_OPTION_BLOCK1 || num == COAP_OPTION_BLOCK2 ||
	    num == COAP_OPTION_SIZE1 || num == COAP_OPTION_SIZE2 ||
	    num == COAP_OPTION_PROXY_URI || num == COAP_OPTION_PROXY_SCHEME ||
	    num == COAP_OPTION_RTAG || num == COAP_OPTION_NORESPONSE;
}

int
rd_proxy_msg_unknown_unsafe(coap_option_num_t num)
{
	static const coap_option_num_t known[] = {
		COAP_OPTION_IF_MATCH, COAP_OPTION_URI_HOST, COAP_OPTION_ETAG,
		COAP_OPTION_IF_NONE_MATCH, COAP_OPTION_OBSERVE,
		COAP_OPTION_URI_PORT, COAP_OPTION_LOCATION_PATH,
		COAP_OPTION_URI_PATH, COAP_OPTION_CONTENT_FORMAT,
		COAP_OPTION_MAXAGE, COAP_OPTION_URI_QUERY,
		COAP_OPTION_HOP_LIMIT, COAP_OPTION_ACCEPT,
		COAP_OPTION_LOCATION_QUERY, COAP_OPTION_BLOCK2,
		COAP_OPTION_BLOCK1, COAP_OPTION_SIZE2,
		COAP_OPTION_PROXY_URI, COAP_OPTION_PROXY_SCHEME,
		COAP_OPTION_SIZE1, ECHO_OPTION, COAP_OPTION_NORESPONSE,
		COAP_OPTION_RTAG
	};

	if (!(num & 2))
		return 0;
	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (known[i] == num)
			return 0;
	return 1;
}

int
rd_proxy_msg_keep(struct buf *opts, const coap_pdu_t *rcvd)
{
	coap_opt_iterator_t	 oi;
	coap_opt_t		*o;
	uint8_t			 hdr[4];

	coap_option_iterator_init(rcvd, &oi, COAP_OPT_ALL);
	while ((o = coap_option_next(&oi)) != NULL) {
		size_t len = coap_opt_length(o);

		if (rd_proxy_msg_hop(oi.number))
			continue;
		hdr[0] = oi.number >> 8;
		hdr[1] = oi.number & 0xff;
		hdr[2] = len >> 8;
		hdr[3] = len & 0xff;
		if (buf_add(opts, hdr, 4) == -1 ||
		    buf_add(opts, coap_opt_value(o), len) == -1)
			return -1;
	}
	return 0;
}

/*
 * Appends req's options but the hop ones, each as "|num:len:value"; only
 * Uri-Path, Uri-Query and Accept when strict. -1 for another option then,
 * a value with a NUL (keys are strings) or a key too long.
 */
static int
key_options(struct buf *b, const coap_pdu_t *req, int strict)
{
	coap_opt_iterator_t	 oi;
	coap_opt_t		*o;

	coap_option_iterator_init(req, &oi, COAP_OPT_ALL);
	while ((o = coap_option_next(&oi)) != NULL) {
		size_t len = coap_opt_length(o);

		if (rd_proxy_msg_hop(oi.number))
			continue;
		if ((strict && oi.number != COAP_OPTION_URI_PATH &&
		    oi.number != COAP_OPTION_URI_QUERY &&
		    oi.number != COAP_OPTION_ACCEPT) ||
		    memchr(coap_opt_value(o), '\0', len) != NULL ||
		    buf_printf(b, "|%u:%zu:", oi.number, len) == -1 ||
		    buf_add(b, coap_opt_value(o), len) == -1)
			return -1;
	}
	return 0;
}

char *
rd_proxy_msg_cache_key(const coap_pdu_t *req)
{
	struct buf b;

	if (coap_pdu_get_code(req) != COAP_REQUEST_CODE_GET)
		return NULL;
	buf_init(&b, CU_PATH_MAX + 512);
	if (key_options(&b, req, 1) == -1) {
		buf_free(&b);
		return NULL;
	}
	return buf_release(&b);
}

char *
rd_proxy_msg_block_key(const coap_session_t *ses, const coap_pdu_t *req)
{
	struct buf	 b;
	unsigned char	 addr[INET6_ADDRSTRLEN + 16] = "";

	(void)coap_print_addr(coap_session_get_addr_remote(ses), addr,
	    sizeof(addr) - 1);
	buf_init(&b, CU_PATH_MAX + 1024);
	if (buf_printf(&b, "%d %s %u", (int)coap_session_get_proto(ses),
	    (const char *)addr, (unsigned int)coap_pdu_get_code(req)) == -1 ||
	    key_options(&b, req, 0) == -1) {
		buf_free(&b);
		return NULL;
	}
	return buf_release(&b);
}

/* The kept option at *i, and *i past it; 0 at the end. */
static int
kept_next(const uint8_t *p, size_t optlen, size_t *i, unsigned int *num,
    const uint8_t **v, size_t *len)
{
	if (*i + 4 > optlen)
		return 0;
	*num = (unsigned int)(p[*i] << 8 | p[*i + 1]);
	*len = (size_t)(p[*i + 2] << 8 | p[*i + 3]);
	if (*len > optlen - *i - 4)
		return 0;
	*v = p + *i + 4;
	*i += 4 + *len;
	return 1;
}

/* The first kept option want, or NULL. */
static const uint8_t *
kept_find(const uint8_t *p, size_t optlen, unsigned int want, size_t *len)
{
	const uint8_t	*v;
	unsigned int	 num;
	size_t		 i = 0;

	while (kept_next(p, optlen, &i, &num, &v, len))
		if (num == want)
			return v;
	return NULL;
}

uint64_t
rd_proxy_msg_kept(const uint8_t *p, size_t optlen, unsigned int want,
    uint64_t dflt)
{
	size_t		 len;
	const uint8_t	*v = kept_find(p, optlen, want, &len);
	uint64_t	 n = 0;

	if (v == NULL || len > (want == COAP_OPTION_MAXAGE ? 4u : 8u))
		return dflt;
	for (size_t k = 0; k < len; k++)
		n = n << 8 | v[k];
	return n;
}

/* FNV-1a: an ETag for a body in blocks that came without one. */
static void
body_etag(const uint8_t *body, size_t len, uint8_t out[8])
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < len; i++)
		h = (h ^ body[i]) * 0x100000001b3ULL;
	for (int i = 7; i >= 0; i--, h >>= 8)
		out[i] = h & 0xff;
}

void
rd_proxy_msg_respond(coap_session_t *ses, const coap_pdu_t *req,
    coap_pdu_t *resp, const struct rd_proxy_answer *an, long max_age)
{
	const uint8_t	*v;
	coap_block_t	 blk;
	uint8_t		 etag[8];
	int		 have = coap_get_block(req, COAP_OPTION_BLOCK2, &blk);
	unsigned int	 szx = obs_block_szx(ses), num;
	size_t		 room = coap_session_max_pdu_size(ses), used, i, len;

	if (have && cu_block2_past_end(&blk, an->len)) {
		cu_respond(resp, 402, "no such block");
		return;
	}
	/*
	 * What the device's options leave of this client's messages for a
	 * block: header, token, each option with its longest header, the
	 * ETag, Max-Age, Block2 and Size2 corehub may add, the marker.
	 */
	used = 4 + 8 + an->optlen + 9 + 5 + 4 + 5 + 1;
	for (i = 0; kept_next(an->opts, an->optlen, &i, &num, &v, &len);)
		used++;
	if (room < used + 16) {
		cu_respond(resp, 502, "the device's answer has more options "
		    "than this client's messages hold");
		return;
	}
	while (szx > 0 && ((size_t)16 << szx) > room - used)
		szx--;
	coap_pdu_set_code(resp, an->code);
	for (i = 0; kept_next(an->opts, an->optlen, &i, &num, &v, &len);)
		if (!(num == COAP_OPTION_MAXAGE && max_age >= 0))
			(void)coap_add_option(resp, num, len, v);
	/* Added out of order: libcoap inserts them where they belong. */
	if (max_age >= 0)
		cu_add_uint_option(resp, COAP_OPTION_MAXAGE,
		    (unsigned int)max_age);
	if (an->len > ((size_t)1 << ((have && blk.szx < szx ? blk.szx : szx)
	    + 4)) && kept_find(an->opts, an->optlen, COAP_OPTION_ETAG,
	    &len) == NULL) {
		body_etag(an->body, an->len, etag);
		(void)coap_add_option(resp, COAP_OPTION_ETAG, sizeof(etag),
		    etag);
	}
	(void)cu_block2(resp, have ? &blk : NULL, szx, an->body, an->len);
}
