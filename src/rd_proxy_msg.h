/*
 * rd_proxy_msg: the messages of the RD proxy. Owns which options pass the
 * proxy (hop-by-hop ones stay, unknown unsafe ones are refused), how a
 * device's answer is kept (its options in a compact form), the keys its
 * copies are found by, and the client's answer made from a kept one: cut
 * into blocks that fit the client's messages, with one ETag.
 */
#ifndef COREHUB_RD_PROXY_MSG_H
#define COREHUB_RD_PROXY_MSG_H

#include <stddef.h>
#include <stdint.h>

#include <coap3/coap.h>

struct buf;

/* An answer as the client gets it, from a device or from a copy. */
struct rd_proxy_answer {
	unsigned int	 code;
	const uint8_t	*opts;		/* as rd_proxy_msg_keep() keeps them */
	size_t		 optlen;
	const uint8_t	*body;
	size_t		 len;
};

/* Whether the proxy handles the option itself instead of passing it. */
int		 rd_proxy_msg_hop(coap_option_num_t num);
/* Unsafe to forward and unknown: a 5.02 (RFC 7252 5.7.1). */
int		 rd_proxy_msg_unknown_unsafe(coap_option_num_t num);
/* Appends rcvd's options but the hop ones to opts; -1 when full. */
int		 rd_proxy_msg_keep(struct buf *opts, const coap_pdu_t *rcvd);
/* A kept option's value as a number (Max-Age of 4 bytes at most), or dflt. */
uint64_t	 rd_proxy_msg_kept(const uint8_t *opts, size_t optlen,
		    unsigned int num, uint64_t dflt);
/*
 * The key of a GET's answer in the cache, from its Uri-Path, Uri-Query
 * and Accept; NULL (not cached) for another method or any other option,
 * which could change the answer (ETag validation, conditions).
 */
char		*rd_proxy_msg_cache_key(const coap_pdu_t *req);
/*
 * The key of an answer's later blocks: the client's address, and the
 * request's method and options but the hop ones, so that only the client
 * that asked, for the same request, is served from that copy.
 */
char		*rd_proxy_msg_block_key(const coap_session_t *ses,
		    const coap_pdu_t *req);
/*
 * The answer to req: code and options (Max-Age max_age unless -1), the
 * block the client asked for, sized to what the options leave of its
 * messages, every block with the body's ETag (one made when the device
 * gave none); 4.02 past the end, 5.02 when the options leave no room.
 */
void		 rd_proxy_msg_respond(coap_session_t *ses,
		    const coap_pdu_t *req, coap_pdu_t *resp,
		    const struct rd_proxy_answer *an, long max_age);

#endif
