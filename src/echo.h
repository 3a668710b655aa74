/*
 * echo: amplification limits on plain UDP (RFC 9175 section 2.4, RFC 7252
 * section 11.3). Owns the Echo values (a timestamp and a MAC over it and
 * the peer's address, under a secret drawn at start, so that nothing is
 * kept per unverified peer), and the sessions that echoed one. Until a
 * peer has, it gets no response larger than three times its request, and
 * no Observe or simple registration is accepted from it: a 4.01 with an
 * Echo option answers instead.
 */
#ifndef COREHUB_ECHO_H
#define COREHUB_ECHO_H

#include <stddef.h>

#include <coap3/coap.h>

#define ECHO_OPTION	252	/* RFC 9175 */
#define ECHO_FRESH_S	60	/* how long an Echo value is good */

int		 echo_init(void);
/*
 * Whether the session is known not to be a spoofed address: it is not
 * plain UDP with echo on, it echoed before, or req carries a fresh Echo
 * value (which marks it from then on).
 */
int		 echo_verified(coap_session_t *ses, const coap_pdu_t *req);
/*
 * Whether a response of about len bytes may go to ses for req; when not,
 * resp is set to 4.01 with a fresh Echo value and 0 returned.
 */
int		 echo_check(coap_session_t *ses, const coap_pdu_t *req,
		    coap_pdu_t *resp, size_t len);
/* For what must come from a verified peer whatever its size. */
int		 echo_require(coap_session_t *ses, const coap_pdu_t *req,
		    coap_pdu_t *resp);
void		 echo_session_closed(coap_session_t *ses);

#endif
