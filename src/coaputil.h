/*
 * coaputil: what every CoAP front end (directory, broker) needs of a
 * request and a response: options, the path, codes with a diagnostic,
 * a request body reassembled from Block1 blocks under a cap (libcoap's
 * single-body mode would size it from the client's Size1), and answers
 * held back until a group-commit batch is durable.
 */
#ifndef COREHUB_COAPUTIL_H
#define COREHUB_COAPUTIL_H

#include <stddef.h>
#include <stdint.h>

#include <coap3/coap.h>

#include "store.h"

struct batch;

#define CU_QUERY_MAX	32
#define CU_PATH_MAX	256
#define CU_MAX_AGE_BUSY	5	/* seconds a client waits for the store */

struct cu_query {
	const char	*opt[CU_QUERY_MAX];
	size_t		 len[CU_QUERY_MAX];
	size_t		 n;
};

/* Monotonic milliseconds, the clock of every lifetime. */
uint64_t	 cu_now_ms(void);
/* Uri-Query options, pointing into req; -1 when there are too many. */
int		 cu_queries(const coap_pdu_t *req, struct cu_query *q);
/* The value of a uint option, or -1 when absent. */
long		 cu_uint_option(const coap_pdu_t *req, coap_option_num_t num);
/* "/a/b": the Uri-Path options joined; -1 when longer than CU_PATH_MAX. */
int		 cu_path(const coap_pdu_t *req, char *out, size_t size);
/*
 * The key libcoap matches later Block2 requests by, for a response of the
 * unknown resource: its path and query, since every run-time path shares
 * that one resource. out points into buf.
 */
const coap_string_t *cu_block_key(const coap_pdu_t *req,
		    const coap_string_t *qs, char *buf, size_t size,
		    coap_string_t *out);
void		 cu_respond(coap_pdu_t *resp, unsigned int code,
		    const char *diag);
void		 cu_respond_max_age(coap_pdu_t *resp, unsigned int code,
		    unsigned int max_age, const char *diag);
void		 cu_add_uint_option(coap_pdu_t *pdu, coap_option_num_t num,
		    unsigned int v);
/* The release function of coap_add_data_large_response(): free(). */
void		 cu_free_payload(coap_session_t *ses, void *p);
/*
 * The block of a body (len bytes) that blk asks for (NULL: the first), at
 * most 1 << (szx + 4) bytes, with Block2 and, on the first, Size2 (RFC
 * 7959); a body that fits one block goes whole. Cut here rather than by
 * libcoap, whose copy of an earlier answer could serve the later blocks
 * of another body. The code and other options are set before, once
 * cu_block2_past_end() said no. Returns 0, or -1 when the data did not
 * fit.
 */
int		 cu_block2(coap_pdu_t *resp, const coap_block_t *blk,
		    unsigned int szx, const uint8_t *data, size_t len);
/* Whether blk asks for a block past the end of a body of len bytes. */
int		 cu_block2_past_end(const coap_block_t *blk, size_t len);
/* Location-Path options for "/a/b" followed by "/<id>" when id != 0. */
void		 cu_add_location(coap_pdu_t *resp, const char *path,
		    uint64_t id);

/*
 * A resource at path ("/a/b") on ctx, with userdata, an rt attribute
 * (quoted as given) and ct=40, added to ctx; the caller registers its
 * handlers. NULL (logged) when out of memory.
 */
coap_resource_t	*cu_resource(coap_context_t *ctx, const char *path,
		    const char *rt, void *userdata);
/* The same with the ct attribute given ("50 60"). */
coap_resource_t	*cu_resource_ct(coap_context_t *ctx, const char *path,
		    const char *rt, const char *ct, void *userdata);
/*
 * Registers h for method on r, through a trampoline that counts the
 * request and the code of the response it sets (stats.c): libcoap 4.3.1
 * has no hook on a server's responses. Every handler goes through it.
 */
void		 cu_register(coap_resource_t *r, coap_request_t method,
		    coap_method_handler_t h);
/*
 * The same for the statistics resource: counted, but without moving the
 * statistics' generation (their observers would hear of their own reads).
 */
void		 cu_register_quiet(coap_resource_t *r, coap_request_t method,
		    coap_method_handler_t h);
/*
 * A request with a Uri-Host may be meant for another host (the RD proxy):
 * fn is asked first, and takes it (returns 1, resp set or left empty for
 * a later answer) or leaves it to the resource's own handler.
 */
typedef int	(*cu_host_fn)(coap_resource_t *r, coap_session_t *ses,
		    const coap_pdu_t *req, const coap_string_t *qs,
		    coap_pdu_t *resp);
void		 cu_set_host_hook(cu_host_fn fn);
/* Forgets every registration: at exit, once the contexts are freed. */
void		 cu_register_reset(void);
/* The session ended: its remembered answers go (see cu_register). */
void		 cu_seen_session_closed(const coap_session_t *ses);

/* Request bodies in blocks, one in progress per session. */
struct cu_bodies;
struct cu_partial;

enum cu_body {
	CU_BODY_ERROR = -1,	/* the response is set */
	CU_BODY_MORE = 0,	/* a block was taken; 2.31 is set */
	CU_BODY_DONE = 1
};

struct cu_bodies *cu_bodies_new(size_t max);
void		 cu_bodies_free(struct cu_bodies *b);
void		 cu_bodies_set_max(struct cu_bodies *b, size_t max);
/*
 * The request body, whole. A body in several blocks is gathered per
 * session; *held is then the partial to release once the body is used.
 */
enum cu_body	 cu_body_get(struct cu_bodies *b, coap_session_t *ses,
		    const coap_pdu_t *req, coap_pdu_t *resp,
		    const uint8_t **data, size_t *len, struct cu_partial **held);
void		 cu_body_release(struct cu_partial *p);

/*
 * Answers a change: at once, or (group commit) once its batch is durable.
 * A held request leaves its response empty (libcoap sends an empty ACK to
 * a confirmable one) and fill() writes the separate response when the
 * batch ends. fill() gets the code, or 500 when the store failed; a busy
 * store is answered 5.03 with Max-Age here.
 */
typedef void	(*cu_fill_fn)(void *arg, coap_pdu_t *resp, unsigned int code,
		    uint64_t id);
void		 cu_answer(struct batch *b, coap_session_t *ses,
		    const coap_pdu_t *req, coap_pdu_t *resp, unsigned int code,
		    uint64_t id, cu_fill_fn fill, void *arg);
/*
 * Whether req repeats a request still held (a retransmission): it is
 * answered with the held one, so the handler leaves its response empty.
 */
int		 cu_held(const coap_session_t *ses, const coap_pdu_t *req);

#endif
