/* struct in6_pktinfo (RFC 3542) is behind _GNU_SOURCE in glibc. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "ac_config.h"

#include <sys/queue.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <openssl/rand.h>

#include "coaputil.h"
#include "config.h"
#include "iface.h"
#include "log.h"
#include "loop.h"
#include "mcast.h"
#include "rd_lookup.h"
#include "stats.h"
#include "tally.h"
#include "wellknown.h"

#ifndef IPV6_MULTICAST_ALL
#define IPV6_MULTICAST_ALL	29
#endif
#ifndef IP_MULTICAST_ALL
#define IP_MULTICAST_ALL	49
#endif

#define SOCKS_MAX	256	/* interfaces x groups */
#define PENDING_MAX	64	/* answers waiting for their leisure */
#define DGRAM_MAX	1152	/* RFC 7252 4.6 */
#define ANSWER_MAX	(DGRAM_MAX + 64)

struct msock {
	struct mcast	*m;
	int		 fd;
	struct event	*ev;
	unsigned	 ifindex;
	char		 ifname[IFNAMSIZ];
	struct in6_addr	 group;
	int		 alive;		/* still wanted at the last apply */
};

struct answer {
	TAILQ_ENTRY(answer)	 entry;
	struct mcast		*m;
	struct event		*ev;
	int			 fd;
	struct sockaddr_in6	 to;
	struct in6_pktinfo	 from;
	size_t			 len;
	uint8_t			 buf[ANSWER_MAX];
};

struct mcast {
	struct event_base	*base;
	coap_context_t		*ctx;
	uint16_t		 port;
	int			 anonymous;	/* the listener serves anon */
	const struct config	*conf;
	struct msock		 socks[SOCKS_MAX];
	size_t			 nsocks;
	struct tally		 rates;		/* answers by interface */
	TAILQ_HEAD(, answer)	 pending;
	size_t			 npending;
	const struct iface_table *table;	/* valid during apply */
};

static const char *const default_groups[] = {
	"ff02::fe", "ff05::fe", "ff02::fd", "ff05::fd",	/* RFC 9176, 7252 */
	"ff03::fe", "ff03::fd"				/* realm: the mesh */
};

size_t
mcast_default_groups(int constrained, const char **out, size_t max)
{
	size_t n = constrained ? 6 : 4;

	for (size_t i = 0; i < n && i < max; i++)
		out[i] = default_groups[i];
	return n < max ? n : max;
}

/*
 * libcoap's UDP sockets would receive every group any socket joined on an
 * interface (Linux's default IPV6_MULTICAST_ALL) and answer with errors;
 * libcoap 4.3.1 does not expose them, so they are found among our fds.
 */
static void
multicast_all_off(uint16_t port)
{
	DIR		*d;
	struct dirent	*de;
	int		 off = 0;

	if ((d = opendir("/proc/self/fd")) == NULL) {
		log_warn("mcast", "/proc/self/fd");
		return;
	}
	while ((de = readdir(d)) != NULL) {
		struct sockaddr_storage	ss;
		socklen_t		len = sizeof(ss), tlen;
		int			fd = atoi(de->d_name), type = 0;
		struct stat		sb;

		tlen = sizeof(type);
		if (fd <= 2 || fd == dirfd(d) || fstat(fd, &sb) == -1 ||
		    !S_ISSOCK(sb.st_mode) ||
		    getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tlen) == -1 ||
		    type != SOCK_DGRAM ||
		    getsockname(fd, (struct sockaddr *)&ss, &len) == -1)
			continue;
		/* A dual-stack socket gets IPv4 groups by IP_MULTICAST_ALL. */
		if (ss.ss_family == AF_INET6 &&
		    ntohs(((struct sockaddr_in6 *)&ss)->sin6_port) == port) {
			(void)setsockopt(fd, IPPROTO_IPV6, IPV6_MULTICAST_ALL,
			    &off, sizeof(off));
			(void)setsockopt(fd, IPPROTO_IP, IP_MULTICAST_ALL,
			    &off, sizeof(off));
		}
		else if (ss.ss_family == AF_INET &&
		    ntohs(((struct sockaddr_in *)&ss)->sin_port) == port)
			(void)setsockopt(fd, IPPROTO_IP, IP_MULTICAST_ALL,
			    &off, sizeof(off));
	}
	closedir(d);
}

static const struct config_iface *
iface_conf(const struct mcast *m, const char *name)
{
	const struct config_iface *f;

	TAILQ_FOREACH(f, &m->conf->ifaces, entry)
		if (strcmp(f->name, name) == 0)
			return f;
	return NULL;
}

static void
answer_free(struct answer *a)
{
	TAILQ_REMOVE(&a->m->pending, a, entry);
	a->m->npending--;
	if (a->ev != NULL)
		event_free(a->ev);
	free(a);
}

static void
on_leisure_over(evutil_socket_t fd, short what, void *arg)
{
	struct answer	*a = arg;
	struct iovec	 iov = { a->buf, a->len };
	char		 cbuf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	struct msghdr	 mh;
	struct cmsghdr	*cm;

	(void)fd;
	(void)what;
	memset(&mh, 0, sizeof(mh));
	memset(cbuf, 0, sizeof(cbuf));
	mh.msg_name = &a->to;
	mh.msg_namelen = sizeof(a->to);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = IPPROTO_IPV6;
	cm->cmsg_type = IPV6_PKTINFO;
	cm->cmsg_len = CMSG_LEN(sizeof(a->from));
	memcpy(CMSG_DATA(cm), &a->from, sizeof(a->from));
	if (sendmsg(a->fd, &mh, 0) == -1)
		log_limitedf("mcast", LOG_INFO, "a discovery answer was not "
		    "sent: %s", strerror(errno));
	else
		stats_response(COAP_RESPONSE_CODE(205), 0);
	answer_free(a);
}

static size_t
put_option(uint8_t *p, unsigned int delta, const uint8_t *v, size_t len)
{
	/* Deltas and lengths here stay below 13: one nibble each. */
	p[0] = (uint8_t)(delta << 4 | len);
	memcpy(p + 1, v, len);
	return 1 + len;
}

/*
 * A NON 2.05 with the request's token: Content-Format 40 and, for a
 * document larger than the interface's block, its first block (Block2,
 * Size2): the rest the client asks for by unicast, as RFC 7959 2.8 has it.
 */
static size_t
encode_answer(uint8_t *out, const uint8_t *tok, size_t tkl, const char *doc,
    size_t len, unsigned int szx)
{
	uint8_t		 v[2], mid[2];
	size_t		 n = 0;
	unsigned int	 block = 16u << szx;

	if (RAND_bytes(mid, sizeof(mid)) != 1)
		mid[0] = mid[1] = 0;
	out[n++] = (uint8_t)(0x50 | tkl);		/* v1, NON */
	out[n++] = COAP_RESPONSE_CODE(205);
	out[n++] = mid[0];
	out[n++] = mid[1];
	memcpy(out + n, tok, tkl);
	n += tkl;
	v[0] = COAP_MEDIATYPE_APPLICATION_LINK_FORMAT;
	n += put_option(out + n, COAP_OPTION_CONTENT_FORMAT, v, 1);
	if (len > block) {
		v[0] = (uint8_t)(1 << 3 | szx);
		n += put_option(out + n, COAP_OPTION_BLOCK2 -
		    COAP_OPTION_CONTENT_FORMAT, v, 1);
		/* WELLKNOWN_SIZE keeps len below 65536: two bytes at most. */
		v[0] = (uint8_t)(len >> 8);
		v[1] = (uint8_t)len;
		if (len < 256)
			n += put_option(out + n, COAP_OPTION_SIZE2 -
			    COAP_OPTION_BLOCK2, v + 1, 1);
		else
			n += put_option(out + n, COAP_OPTION_SIZE2 -
			    COAP_OPTION_BLOCK2, v, 2);
		len = block;
	}
	if (len > 0) {
		out[n++] = 0xff;
		memcpy(out + n, doc, len);
		n += len;
	}
	return n;
}

/* Whether req is a discovery this daemon answers: NON GET of the path. */
static int
is_discovery(const coap_pdu_t *req)
{
	struct cu_query	q;
	struct rd_query	rq;
	char		path[CU_PATH_MAX + 1];
	const char	*err;

	long accept = cu_uint_option(req, COAP_OPTION_ACCEPT);

	if (coap_pdu_get_type(req) != COAP_MESSAGE_NON ||
	    coap_pdu_get_code(req) != COAP_REQUEST_CODE_GET ||
	    (accept != -1 && accept != COAP_MEDIATYPE_APPLICATION_LINK_FORMAT) ||
	    cu_path(req, path, sizeof(path)) == -1 ||
	    strcmp(path, "/.well-known/core") != 0 ||
	    cu_queries(req, &q) == -1 || q.n > 1)
		return 0;
	/* A filter that cannot be read selects nothing: no answer. */
	if (q.n == 1) {
		if (rd_query_parse(q.opt, q.len, 1, &rq, &err) == -1)
			return 0;
		rd_query_free(&rq);
	}
	return 1;
}

/*
 * The block size exponent of an answer: the interface's block, the
 * client's if smaller, and at most three times the request (RFC 9175 2.4:
 * a forged source must not get much more than it sent; the rest comes by
 * unicast, where Echo applies).
 */
static unsigned int
answer_szx(const struct config_iface *f, const coap_pdu_t *req,
    size_t reqlen)
{
	unsigned int	block = f->block_size ? f->block_size :
			    f->constrained ? 64 : 1024, szx = 6;
	coap_block_t	blk;

	while (szx > 0 && ((16u << szx) > block || (16u << szx) > 3 * reqlen))
		szx--;
	if (coap_get_block(req, COAP_OPTION_BLOCK2, &blk) && blk.szx < szx)
		szx = blk.szx;
	return szx;
}

static void
schedule(struct mcast *m, struct msock *s, const struct sockaddr_in6 *from,
    const coap_pdu_t *req, size_t reqlen, const char *doc, size_t len,
    const struct config_iface *f)
{
	const struct iface	*ifc = iface_by_index(m->table, s->ifindex);
	const struct iface_addr	*src = ifc ? iface_routable6(ifc) : NULL;
	coap_bin_const_t	 tok = coap_pdu_get_token(req);
	struct answer		*a;
	struct timeval		 tv;
	uint32_t		 r = 0, retry;

	if (m->npending >= PENDING_MAX)
		return;
	if (tally_take(&m->rates, s->ifname, f->multicast_rate, cu_now_ms(),
	    &retry) == -1) {
		log_limitedf("mcast", LOG_NOTICE, "%s: multicast-rate reached; "
		    "discovery not answered", s->ifname);
		stats_limit_hit();
		return;
	}
	if ((a = calloc(1, sizeof(*a))) == NULL)
		return;
	a->m = m;
	a->fd = s->fd;
	a->to = *from;
	a->from.ipi6_ifindex = s->ifindex;
	if (src != NULL)
		memcpy(&a->from.ipi6_addr, src->addr, 16);
	a->len = encode_answer(a->buf, tok.s, tok.length, doc, len,
	    answer_szx(f, req, reqlen));
	(void)RAND_bytes((unsigned char *)&r, sizeof(r));
	r = f->leisure_ms ? r % (f->leisure_ms + 1) : 0;
	tv.tv_sec = r / 1000;
	tv.tv_usec = (r % 1000) * 1000;
	if ((a->ev = evtimer_new(m->base, on_leisure_over, a)) == NULL) {
		free(a);
		return;
	}
	TAILQ_INSERT_TAIL(&m->pending, a, entry);
	m->npending++;
	if (evtimer_add(a->ev, &tv) == -1)
		answer_free(a);
}

/* A source an answer may go to: not forged as local, any or a group. */
static int
source_ok(const struct sockaddr_in6 *from)
{
	const struct in6_addr *a = &from->sin6_addr;

	return from->sin6_port != 0 && !IN6_IS_ADDR_UNSPECIFIED(a) &&
	    !IN6_IS_ADDR_LOOPBACK(a) && !IN6_IS_ADDR_MULTICAST(a) &&
	    !IN6_IS_ADDR_V4MAPPED(a);
}

static void
handle(struct mcast *m, struct msock *s, const uint8_t *data, size_t len,
    const struct sockaddr_in6 *from)
{
	const struct config_iface	*f = iface_conf(m, s->ifname);
	coap_pdu_t			*req;
	char				*doc;
	size_t				 dlen = 0;

	/* Anonymous clients are what multicast has: not on such a listener. */
	if (f == NULL || !m->anonymous || !source_ok(from) || len < 4 ||
	    (data[0] >> 6) != 1)
		return;
	if ((req = coap_pdu_init(0, 0, 0, DGRAM_MAX)) == NULL)
		return;
	if (coap_pdu_parse(COAP_PROTO_UDP, data, len, req) && is_discovery(req)) {
		stats_request(COAP_REQUEST_GET, 0);
		doc = wellknown_document(m->ctx, req, &dlen);
		/* Nothing selected: silence (RFC 6690 4.1, RFC 7252 8.2). */
		if (doc != NULL && dlen > 0)
			schedule(m, s, from, req, len, doc, dlen, f);
		free(doc);
	}
	coap_delete_pdu(req);
}

static void
on_read(evutil_socket_t fd, short what, void *arg)
{
	struct msock		*s = arg;
	uint8_t			 data[DGRAM_MAX];
	char			 cbuf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	struct sockaddr_in6	 from;
	struct iovec		 iov = { data, sizeof(data) };
	struct msghdr		 mh;
	struct cmsghdr		*cm;
	ssize_t			 n;
	unsigned		 arrival = 0;

	(void)what;
	memset(&mh, 0, sizeof(mh));
	mh.msg_name = &from;
	mh.msg_namelen = sizeof(from);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	if ((n = recvmsg(fd, &mh, MSG_DONTWAIT)) <= 0 ||
	    (mh.msg_flags & (MSG_TRUNC | MSG_CTRUNC)))
		return;
	for (cm = CMSG_FIRSTHDR(&mh); cm; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == IPPROTO_IPV6 &&
		    cm->cmsg_type == IPV6_PKTINFO &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo)))
			arrival = ((struct in6_pktinfo *)CMSG_DATA(cm))->
			    ipi6_ifindex;
	/* Wider scopes reach every socket of the group: one answers. */
	if (arrival == s->ifindex)
		handle(s->m, s, data, (size_t)n, &from);
}

static void
sock_close(struct msock *s)
{
	struct ipv6_mreq	mr;
	char			g[INET6_ADDRSTRLEN];

	mr.ipv6mr_multiaddr = s->group;
	mr.ipv6mr_interface = s->ifindex;
	(void)setsockopt(s->fd, IPPROTO_IPV6, IPV6_LEAVE_GROUP, &mr,
	    sizeof(mr));
	log_info("mcast", "left %s on %s", inet_ntop(AF_INET6, &s->group, g,
	    sizeof(g)), s->ifname);
	if (s->ev != NULL)
		event_free(s->ev);
	close(s->fd);
	s->fd = -1;
}

/* A socket bound to the group on one interface, joined there. */
static int
sock_open(struct mcast *m, struct msock *s, const struct iface *ifc,
    const char *group)
{
	struct sockaddr_in6	sa;
	struct ipv6_mreq	mr;
	int			on = 1, off = 0;

	memset(s, 0, sizeof(*s));
	s->m = m;
	s->ifindex = ifc->ifindex;
	snprintf(s->ifname, sizeof(s->ifname), "%s", ifc->name);
	if (inet_pton(AF_INET6, group, &s->group) != 1)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin6_family = AF_INET6;
	sa.sin6_port = htons(m->port);
	sa.sin6_addr = s->group;
	sa.sin6_scope_id = ifc->ifindex;
	mr.ipv6mr_multiaddr = s->group;
	mr.ipv6mr_interface = ifc->ifindex;
	if ((s->fd = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1)
		return -1;
	/* Bound to the group, it shares the port with libcoap's socket. */
	if (setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) ==
	    -1 || setsockopt(s->fd, IPPROTO_IPV6, IPV6_MULTICAST_ALL, &off,
	    sizeof(off)) == -1 || setsockopt(s->fd, IPPROTO_IPV6,
	    IPV6_RECVPKTINFO, &on, sizeof(on)) == -1 ||
	    bind(s->fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    setsockopt(s->fd, IPPROTO_IPV6, IPV6_JOIN_GROUP, &mr,
	    sizeof(mr)) == -1 ||
	    (s->ev = event_new(m->base, s->fd, EV_READ | EV_PERSIST, on_read,
	    s)) == NULL || event_add(s->ev, NULL) == -1) {
		log_warn("mcast", "%s on %s", group, ifc->name);
		if (s->ev != NULL)
			event_free(s->ev);
		close(s->fd);
		s->fd = -1;
		return -1;
	}
	log_info("mcast", "joined %s on %s", group, ifc->name);
	return 0;
}

static struct msock *
sock_find(struct mcast *m, unsigned ifindex, const char *group)
{
	struct in6_addr g;

	if (inet_pton(AF_INET6, group, &g) != 1)
		return NULL;
	for (size_t i = 0; i < m->nsocks; i++)
		if (m->socks[i].fd != -1 && m->socks[i].ifindex == ifindex &&
		    memcmp(&m->socks[i].group, &g, sizeof(g)) == 0)
			return &m->socks[i];
	return NULL;
}

static void
want(struct mcast *m, const struct iface *ifc, const char *group)
{
	struct msock	*s = sock_find(m, ifc->ifindex, group);
	size_t		 i;

	if (s != NULL) {
		s->alive = 1;
		/* Renamed: the settings and the rate go by the new name. */
		snprintf(s->ifname, sizeof(s->ifname), "%s", ifc->name);
		return;
	}
	for (i = 0; i < m->nsocks && m->socks[i].fd != -1; i++)
		;
	if (i == SOCKS_MAX) {
		log_limitedf("mcast", LOG_WARNING, "more than %d groups on all "
		    "interfaces: %s on %s not joined", SOCKS_MAX, group,
		    ifc->name);
		return;
	}
	if (sock_open(m, &m->socks[i], ifc, group) == 0) {
		m->socks[i].alive = 1;
		if (i == m->nsocks)
			m->nsocks++;
	} else
		m->socks[i].fd = -1;
}

void
mcast_apply(struct mcast *m, const struct iface_table *t)
{
	const struct config_iface	*f;
	const struct iface		*ifc;
	const char			*groups[CONFIG_GROUPS_MAX];
	size_t				 n;

	m->table = t;
	for (size_t i = 0; i < m->nsocks; i++)
		m->socks[i].alive = 0;
	TAILQ_FOREACH(f, &m->conf->ifaces, entry) {
		if (!f->multicast || (ifc = iface_by_name(t, f->name)) == NULL ||
		    !iface_is_up(ifc) || !(ifc->flags & IFF_MULTICAST))
			continue;
		if (f->ngroups > 0) {
			n = f->ngroups;
			memcpy(groups, f->groups, n * sizeof(*groups));
		} else
			n = mcast_default_groups(f->constrained, groups,
			    CONFIG_GROUPS_MAX);
		for (size_t i = 0; i < n; i++)
			want(m, ifc, groups[i]);
	}
	/* Gone, down or no longer configured: leave. */
	for (size_t i = 0; i < m->nsocks; i++)
		if (m->socks[i].fd != -1 && !m->socks[i].alive)
			sock_close(&m->socks[i]);
	/* Answers wait in the sockets: drop those whose socket closed. */
	for (struct answer *a = TAILQ_FIRST(&m->pending), *next; a; a = next) {
		int open = 0;

		next = TAILQ_NEXT(a, entry);
		for (size_t i = 0; i < m->nsocks && !open; i++)
			open = m->socks[i].fd == a->fd;
		if (!open)
			answer_free(a);
	}
}

void
mcast_reconfigure(struct mcast *m, const struct config *c,
    const struct iface_table *t)
{
	m->conf = c;
	mcast_apply(m, t);
}

struct mcast *
mcast_new(struct event_base *base, coap_context_t *ctx, uint16_t port,
    int anonymous, const struct config *c)
{
	struct mcast *m;

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	m->base = base;
	m->ctx = ctx;
	m->port = port;
	m->anonymous = anonymous;
	m->conf = c;
	TAILQ_INIT(&m->pending);
	for (size_t i = 0; i < SOCKS_MAX; i++)
		m->socks[i].fd = -1;
	multicast_all_off(port);
	return m;
}

void
mcast_free(struct mcast *m)
{
	if (m == NULL)
		return;
	while (!TAILQ_EMPTY(&m->pending))
		answer_free(TAILQ_FIRST(&m->pending));
	for (size_t i = 0; i < m->nsocks; i++)
		if (m->socks[i].fd != -1)
			sock_close(&m->socks[i]);
	tally_clear(&m->rates);
	free(m);
}
