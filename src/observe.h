/*
 * observe: RFC 7641 observations that corehub keeps itself. libcoap 4.3.1
 * notifies every observer of a resource whenever it is marked changed;
 * lookups need one observer notified only when its own filtered result
 * changes. Owns the observers (session, token, sequence numbers), the
 * notifications (confirmable, the first block of a large result with
 * Block2, as RFC 7959 section 3.4 has it), and their end: deregistration,
 * a reset or an unacknowledged notification, or the session's end.
 */
#ifndef COREHUB_OBSERVE_H
#define COREHUB_OBSERVE_H

#include <stddef.h>
#include <stdint.h>

#include <coap3/coap.h>

struct obs;
struct obs_set;

enum obs_request {
	OBS_NONE,		/* no Observe option */
	OBS_REGISTER,		/* Observe: 0 */
	OBS_DEREGISTER		/* Observe: 1 */
};

/* app is the service's state for one observer, freed with app_free. */
struct obs_set	*obs_set_new(size_t max, void (*app_free)(void *));
void		 obs_set_free(struct obs_set *set);
size_t		 obs_set_count(const struct obs_set *set);

enum obs_request obs_request_kind(const coap_pdu_t *req);
/*
 * Adds (or replaces, for the same session and token) an observer and puts
 * the Observe option in resp. Returns NULL when the set is full or memory
 * ran out: the request is then served without Observe. Takes app.
 */
struct obs	*obs_add(struct obs_set *set, coap_session_t *ses,
		    const coap_pdu_t *req, coap_pdu_t *resp, void *app);
void		 obs_remove_request(struct obs_set *set, coap_session_t *ses,
		    const coap_pdu_t *req);
void		*obs_app(const struct obs *o);
/* Calls fn for every observer; fn may notify but not remove. */
void		 obs_foreach(struct obs_set *set,
		    void (*fn)(struct obs *, void *), void *arg);
/*
 * Calls fn for every observer that has had no confirmable notification
 * for con_every_s seconds (RFC 7641 section 4.5: the server checks that
 * the client is still interested).
 */
void		 obs_foreach_due(struct obs_set *set, uint32_t con_every_s,
		    void (*fn)(struct obs *, void *), void *arg);
/*
 * Sends a notification. A code other than 2.05 ends the observation
 * (RFC 7641 section 3.2) after it is sent.
 */
int		 obs_notify(struct obs_set *set, struct obs *o,
		    unsigned int code, uint16_t cf, const uint8_t *data,
		    size_t len);

/*
 * The same, for a broker subscription: non-confirmable, with a
 * confirmable one at least every con_every_s seconds (the topic's
 * observer-check) and after a run of non-confirmable ones. 0: always
 * confirmable.
 */
int		 obs_notify_mode(struct obs_set *set, struct obs *o,
		    unsigned int code, uint16_t cf, const uint8_t *data,
		    size_t len, uint32_t con_every_s);
/*
 * A 2.05 notification carrying an ETag, for a resource that serves the
 * later blocks of a large one itself, tagged the same, so that the client
 * can tell they belong to the block it was notified with.
 */
#define OBS_ETAG_LEN	8
int		 obs_notify_etag(struct obs_set *set, struct obs *o,
		    uint16_t cf, const uint8_t *data, size_t len,
		    const uint8_t etag[OBS_ETAG_LEN]);
/* A new cap: the newest observers over it end with 4.04. */
void		 obs_set_max(struct obs_set *set, size_t max, uint16_t cf);
/* Ends every observation with a final code (4.04: the resource went). */
void		 obs_end_all(struct obs_set *set, unsigned int code);

/* The Block2 size exponent notifications use on ses (6: 1024 bytes). */
unsigned int	 obs_block_szx(const coap_session_t *ses);
/* From the listeners' libcoap callbacks. */
void		 observe_session_closed(coap_session_t *ses);
void		 observe_nack(coap_session_t *ses, const coap_pdu_t *sent);

#endif
