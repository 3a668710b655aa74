#include "ac_config.h"

#include <sys/queue.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <uthash.h>

#include "rd_proxy_cache.h"

#define ENTRY_OVERHEAD	128	/* counted per entry besides its bytes */

struct item {
	struct rd_proxy_entry	 e;
	char			*hkey;		/* "<id>\n<key>" */
	size_t			 bytes;
	TAILQ_ENTRY(item)	 fifo;
	UT_hash_handle		 hh;
};

struct rd_proxy_cache {
	struct item		*items;
	TAILQ_HEAD(, item)	 fifo;		/* oldest first */
	size_t			 bytes, max;
};

struct rd_proxy_cache *
rd_proxy_cache_new(size_t max_bytes)
{
	struct rd_proxy_cache *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	TAILQ_INIT(&c->fifo);
	c->max = max_bytes;
	return c;
}

static void
item_del(struct rd_proxy_cache *c, struct item *it)
{
	HASH_DEL(c->items, it);
	TAILQ_REMOVE(&c->fifo, it, fifo);
	c->bytes -= it->bytes;
	free(it->hkey);
	free(it->e.key);
	free(it->e.opts);
	free(it->e.body);
	free(it);
}

static void
shrink_to(struct rd_proxy_cache *c, size_t max)
{
	struct item *it;

	while (c->bytes > max && (it = TAILQ_FIRST(&c->fifo)) != NULL)
		item_del(c, it);
}

void
rd_proxy_cache_free(struct rd_proxy_cache *c)
{
	if (c == NULL)
		return;
	shrink_to(c, 0);
	free(c);
}

void
rd_proxy_cache_set_max(struct rd_proxy_cache *c, size_t max)
{
	c->max = max;
	shrink_to(c, max);
}

static char *
hash_key(uint64_t id, const char *key)
{
	size_t	 n = strlen(key) + 24;
	char	*s = malloc(n);

	if (s != NULL)
		snprintf(s, n, "%" PRIu64 "\n%s", id, key);
	return s;
}

static struct item *
find(struct rd_proxy_cache *c, uint64_t id, const char *key)
{
	struct item	*it = NULL;
	char		*hk = hash_key(id, key);

	if (hk != NULL)
		HASH_FIND_STR(c->items, hk, it);
	free(hk);
	return it;
}

const struct rd_proxy_entry *
rd_proxy_cache_get(struct rd_proxy_cache *c, uint64_t id, const char *key,
    uint64_t now_ms)
{
	struct item *it = find(c, id, key);

	if (it == NULL)
		return NULL;
	if (now_ms >= it->e.expires_ms) {
		item_del(c, it);
		return NULL;
	}
	return &it->e;
}

static void *
dup_bytes(const void *p, size_t n)
{
	void *q = malloc(n ? n : 1);

	if (q != NULL && n > 0)
		memcpy(q, p, n);
	return q;
}

int
rd_proxy_cache_put(struct rd_proxy_cache *c, uint64_t id, const char *key,
    unsigned int code, const uint8_t *opts, size_t optlen,
    const uint8_t *body, size_t len, uint64_t expires_ms)
{
	struct item	*it, *old;
	size_t		 bytes = ENTRY_OVERHEAD + 2 * strlen(key) + optlen + len;

	if (bytes > c->max)
		return -1;
	if ((it = calloc(1, sizeof(*it))) == NULL)
		return -1;
	it->bytes = bytes;
	it->e.id = id;
	it->e.code = code;
	it->e.expires_ms = expires_ms;
	it->e.optlen = optlen;
	it->e.len = len;
	if ((it->hkey = hash_key(id, key)) == NULL ||
	    (it->e.key = strdup(key)) == NULL ||
	    (it->e.opts = dup_bytes(opts, optlen)) == NULL ||
	    (it->e.body = dup_bytes(body, len)) == NULL) {
		free(it->hkey);
		free(it->e.key);
		free(it->e.opts);
		free(it);
		return -1;
	}
	if ((old = find(c, id, key)) != NULL)
		item_del(c, old);
	shrink_to(c, c->max - bytes);
	HASH_ADD_KEYPTR(hh, c->items, it->hkey, strlen(it->hkey), it);
	TAILQ_INSERT_TAIL(&c->fifo, it, fifo);
	c->bytes += bytes;
	return 0;
}

void
rd_proxy_cache_drop(struct rd_proxy_cache *c, uint64_t id)
{
	struct item *it, *tmp;

	HASH_ITER(hh, c->items, it, tmp)
		if (it->e.id == id)
			item_del(c, it);
}

size_t
rd_proxy_cache_bytes(const struct rd_proxy_cache *c)
{
	return c->bytes;
}

size_t
rd_proxy_cache_count(const struct rd_proxy_cache *c)
{
	return HASH_COUNT(c->items);
}
