/*
 * rd_proxy_cache: the RD proxy's cache of devices' answers to GET (RFC
 * 7252 section 5.6), so that the blocks of one answer come from one
 * copy, and a sleeping device's resource is still served while fresh.
 * Owns the entries (keyed by registration id and the request's cache
 * key), their freshness on the monotonic clock, and a byte budget that
 * evicts the oldest entries first. Pure.
 */
#ifndef COREHUB_RD_PROXY_CACHE_H
#define COREHUB_RD_PROXY_CACHE_H

#include <stddef.h>
#include <stdint.h>

struct rd_proxy_cache;

struct rd_proxy_entry {
	uint64_t	 id;		/* the registration */
	char		*key;
	uint64_t	 expires_ms;
	unsigned int	 code;		/* the CoAP code byte */
	uint8_t		*opts;		/* as rd_proxy_coap keeps them */
	size_t		 optlen;
	uint8_t		*body;
	size_t		 len;
};

/* max_bytes 0: nothing is cached. */
struct rd_proxy_cache *rd_proxy_cache_new(size_t max_bytes);
void		 rd_proxy_cache_free(struct rd_proxy_cache *c);
void		 rd_proxy_cache_set_max(struct rd_proxy_cache *c, size_t max);
/* The fresh entry for (id, key) at now_ms, or NULL (a stale one goes). */
const struct rd_proxy_entry *rd_proxy_cache_get(struct rd_proxy_cache *c,
		    uint64_t id, const char *key, uint64_t now_ms);
/*
 * Stores a copy, replacing (id, key)'s entry; older entries are evicted
 * to make room. -1 when it cannot be stored (too large, no memory).
 */
int		 rd_proxy_cache_put(struct rd_proxy_cache *c, uint64_t id,
		    const char *key, unsigned int code, const uint8_t *opts,
		    size_t optlen, const uint8_t *body, size_t len,
		    uint64_t expires_ms);
/* Every entry of registration id: a change went through the proxy. */
void		 rd_proxy_cache_drop(struct rd_proxy_cache *c, uint64_t id);
size_t		 rd_proxy_cache_bytes(const struct rd_proxy_cache *c);
size_t		 rd_proxy_cache_count(const struct rd_proxy_cache *c);

#endif
