#include "ac_config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <uthash.h>

#include "coaputil.h"
#include "echo.h"
#include "listen.h"
#include "log.h"

#define ECHO_MAC_LEN	8
#define ECHO_LEN	(4 + ECHO_MAC_LEN)
#define ECHO_VERIFIED_MAX 65536	/* sessions remembered as verified */
#define ECHO_RESPONSE_OVERHEAD 24 /* header, token and options, roughly */
#define ECHO_BLOCK_MAX	1024	/* the largest block corehub sends */

struct verified {
	coap_session_t	*ses;
	UT_hash_handle	 hh;
};

static uint8_t		 secret[32];
static struct verified	*verified;
static size_t		 nverified;

int
echo_init(void)
{
	return RAND_bytes(secret, sizeof(secret)) == 1 ? 0 : -1;
}

static void
mac(uint32_t t, const coap_session_t *ses, uint8_t out[ECHO_MAC_LEN])
{
	const coap_address_t	*a = coap_session_get_addr_remote(ses);
	uint8_t			 md[EVP_MAX_MD_SIZE], in[4 + sizeof(a->addr)];
	unsigned int		 mdlen = 0;

	memset(in, 0, sizeof(in));
	in[0] = (uint8_t)(t >> 24);
	in[1] = (uint8_t)(t >> 16);
	in[2] = (uint8_t)(t >> 8);
	in[3] = (uint8_t)t;
	memcpy(in + 4, &a->addr, a->size < sizeof(a->addr) ? a->size :
	    sizeof(a->addr));
	HMAC(EVP_sha256(), secret, sizeof(secret), in, sizeof(in), md, &mdlen);
	memcpy(out, md, ECHO_MAC_LEN);
}

static int
fresh(const coap_session_t *ses, const uint8_t *v, size_t len)
{
	uint8_t		want[ECHO_MAC_LEN];
	uint32_t	t, now = (uint32_t)time(NULL);

	if (len != ECHO_LEN)
		return 0;
	t = (uint32_t)v[0] << 24 | (uint32_t)v[1] << 16 | (uint32_t)v[2] << 8 |
	    v[3];
	if (now - t > ECHO_FRESH_S)	/* also when t is in the future */
		return 0;
	mac(t, ses, want);
	return CRYPTO_memcmp(want, v + 4, ECHO_MAC_LEN) == 0;
}

static struct verified *
find(const coap_session_t *ses)
{
	struct verified *v;

	HASH_FIND_PTR(verified, &ses, v);
	return v;
}

static void
remember(coap_session_t *ses)
{
	struct verified *v;

	/* Past the cap a peer echoes again: costs it a round trip only. */
	if (nverified >= ECHO_VERIFIED_MAX ||
	    (v = calloc(1, sizeof(*v))) == NULL)
		return;
	v->ses = ses;
	HASH_ADD_PTR(verified, ses, v);
	nverified++;
}

int
echo_verified(coap_session_t *ses, const coap_pdu_t *req)
{
	coap_opt_iterator_t	 oi;
	coap_opt_t		*opt;

	if (!listen_session_needs_echo(ses) || find(ses) != NULL)
		return 1;
	if ((opt = coap_check_option(req, ECHO_OPTION, &oi)) == NULL ||
	    !fresh(ses, coap_opt_value(opt), coap_opt_length(opt)))
		return 0;
	remember(ses);
	return 1;
}

static void
challenge(coap_session_t *ses, coap_pdu_t *resp)
{
	uint8_t		v[ECHO_LEN];
	uint32_t	t = (uint32_t)time(NULL);

	v[0] = (uint8_t)(t >> 24);
	v[1] = (uint8_t)(t >> 16);
	v[2] = (uint8_t)(t >> 8);
	v[3] = (uint8_t)t;
	mac(t, ses, v + 4);
	coap_pdu_set_code(resp, COAP_RESPONSE_CODE(401));
	coap_add_option(resp, ECHO_OPTION, sizeof(v), v);
}

/* The request's size on the wire, from what libcoap parsed of it. */
static size_t
request_size(const coap_pdu_t *req)
{
	coap_opt_iterator_t	 oi;
	coap_opt_t		*opt;
	size_t			 n = 4 + coap_pdu_get_token(req).length, len;
	const uint8_t		*data;

	coap_option_iterator_init(req, &oi, COAP_OPT_ALL);
	while ((opt = coap_option_next(&oi)) != NULL) {
		len = coap_opt_length(opt);
		n += 1 + len + (len >= 13) + (len >= 269);
	}
	if (coap_get_data(req, &len, &data) && len > 0)
		n += 1 + len;
	return n;
}

int
echo_check(coap_session_t *ses, const coap_pdu_t *req, coap_pdu_t *resp,
    size_t len)
{
	/*
	 * A body larger than a block goes block by block (RFC 7959), and
	 * libcoap serves the later blocks without asking: only to a peer
	 * that is verified.
	 */
	if ((len <= ECHO_BLOCK_MAX &&
	    len + ECHO_RESPONSE_OVERHEAD <= 3 * request_size(req)) ||
	    echo_verified(ses, req))
		return 1;
	challenge(ses, resp);
	return 0;
}

int
echo_require(coap_session_t *ses, const coap_pdu_t *req, coap_pdu_t *resp)
{
	if (echo_verified(ses, req))
		return 1;
	challenge(ses, resp);
	return 0;
}

void
echo_session_closed(coap_session_t *ses)
{
	struct verified *v = find(ses);

	if (v == NULL)
		return;
	HASH_DEL(verified, v);
	nverified--;
	free(v);
}
