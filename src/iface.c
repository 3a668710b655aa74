#include "ac_config.h"

#include <sys/socket.h>
#include <sys/types.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <event2/event.h>

#include "iface.h"
#include "log.h"

/*
 * The kernel sizes a dump chunk to the reader's buffer up to 32 KiB, and
 * notifications carry no VF or stats-heavy extras, so 32 KiB holds any
 * datagram; a larger one is caught by MSG_TRUNC and handled as an overrun.
 */
#define IFACE_BUF_SIZE		32768
#define IFACE_READS_MAX		64	/* datagrams per wakeup: no starving */
#define IFACE_RCVBUF		(1 << 20)
#define IFACE_SYNC_TIMEOUT_S	5	/* a dump whose end got lost */
#define IFACE_RETRY_S		1

#define IFACE_WARNED_LINKS	0x1
#define IFACE_WARNED_ADDRS	0x2

struct iface_table {
	struct iface	*ifs;		/* sorted by ifindex */
	size_t		 n, cap;
	uint64_t	 gen;
	unsigned	 warned;	/* caps already logged */
	int		 dropped;	/* something was left out */
	int		 stale;		/* and room made since: dump again */
};

/* What a link message says; name NULL when it has none. */
struct link_msg {
	unsigned	 ifindex;
	unsigned	 flags;
	int		 has_mtu;
	uint32_t	 mtu;
	const char	*name;
};

struct addr_msg {
	unsigned		 ifindex;
	struct iface_addr	 a;
};

struct iface_table *
iface_table_new(void)
{
	return calloc(1, sizeof(struct iface_table));
}

void
iface_table_free(struct iface_table *t)
{
	if (t == NULL)
		return;
	for (size_t i = 0; i < t->n; i++)
		free(t->ifs[i].addrs);
	free(t->ifs);
	free(t);
}

uint64_t
iface_table_generation(const struct iface_table *t)
{
	return t->gen;
}

size_t
iface_count(const struct iface_table *t)
{
	return t->n;
}

const struct iface *
iface_at(const struct iface_table *t, size_t i)
{
	return i < t->n ? &t->ifs[i] : NULL;
}

/* Where ifindex is, or would go; *found tells which. */
static size_t
table_pos(const struct iface_table *t, unsigned ifindex, int *found)
{
	size_t lo = 0, hi = t->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (t->ifs[mid].ifindex < ifindex)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < t->n && t->ifs[lo].ifindex == ifindex;
	return lo;
}

const struct iface *
iface_by_index(const struct iface_table *t, unsigned ifindex)
{
	int	found;
	size_t	pos = table_pos(t, ifindex, &found);

	return found ? &t->ifs[pos] : NULL;
}

const struct iface *
iface_by_name(const struct iface_table *t, const char *name)
{
	if (name == NULL)
		return NULL;
	for (size_t i = 0; i < t->n; i++)
		if (strcmp(t->ifs[i].name, name) == 0)
			return &t->ifs[i];
	return NULL;
}

int
iface_is_up(const struct iface *ifc)
{
	return ifc != NULL &&
	    (ifc->flags & (IFF_UP | IFF_RUNNING)) == (IFF_UP | IFF_RUNNING);
}

/*
 * Higher is better, 0 unusable. Optimistic addresses (RFC 4429) may be a
 * source but rank with deprecated ones; a stable address is one a client
 * can keep using, a temporary one is not.
 */
static int
addr_rank(const struct iface_addr *a)
{
	int rank = 1;

	if (a->family != AF_INET6 || (a->scope != IFACE_SCOPE_ULA &&
	    a->scope != IFACE_SCOPE_GLOBAL) || (a->flags & IFA_F_DADFAILED))
		return 0;
	if ((a->flags & IFA_F_TENTATIVE) && !(a->flags & IFA_F_OPTIMISTIC))
		return 0;
	if (!(a->flags & (IFA_F_DEPRECATED | IFA_F_TENTATIVE)))
		rank += 4;
	if (a->scope == IFACE_SCOPE_GLOBAL)
		rank += 2;
	if (!(a->flags & IFA_F_TEMPORARY))
		rank += 1;
	return rank;
}

const struct iface_addr *
iface_routable6(const struct iface *ifc)
{
	const struct iface_addr	*best = NULL;
	int			 best_rank = 0;

	if (ifc == NULL)
		return NULL;
	for (size_t i = 0; i < ifc->naddrs; i++) {
		int rank = addr_rank(&ifc->addrs[i]);

		if (rank > best_rank) {
			best = &ifc->addrs[i];
			best_rank = rank;
		}
	}
	return best;
}

/*
 * Indexes the attributes of types up to max; -1 when one overruns the
 * message or bytes are left over that are no attribute.
 */
static int
attrs_parse(const struct nlmsghdr *nh, size_t hdrlen,
    const struct rtattr **tb, unsigned max)
{
	const struct rtattr	*rta;
	int			 len;

	memset(tb, 0, (max + 1) * sizeof(*tb));
	if (nh->nlmsg_len > INT_MAX)
		return -1;
	len = (int)nh->nlmsg_len - (int)NLMSG_SPACE(hdrlen);
	rta = (const struct rtattr *)((const char *)nh + NLMSG_SPACE(hdrlen));
	for (; RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
		unsigned type = rta->rta_type & NLA_TYPE_MASK;

		if (type <= max)
			tb[type] = rta;
	}
	return len > 0 ? -1 : 0;
}

static int
attr_u32(const struct rtattr *rta, uint32_t *v)
{
	if (RTA_PAYLOAD(rta) != sizeof(*v))
		return -1;
	memcpy(v, RTA_DATA(rta), sizeof(*v));
	return 0;
}

/* The name if it is terminated and fits IFNAMSIZ, else NULL. */
static const char *
attr_ifname(const struct rtattr *rta)
{
	const char	*s = RTA_DATA(rta);
	size_t		 len = RTA_PAYLOAD(rta);
	const char	*nul = memchr(s, '\0', len < IFNAMSIZ ? len : IFNAMSIZ);

	return nul != NULL && nul != s ? s : NULL;
}

/* 1 parsed, 0 not ours (a bridge port's view, say), -1 malformed. */
static int
link_parse(const struct nlmsghdr *nh, struct link_msg *lm)
{
	const struct ifinfomsg	*ifi = NLMSG_DATA(nh);
	const struct rtattr	*tb[IFLA_MTU + 1];

	if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifi)))
		return -1;
	/* AF_BRIDGE RTM_DELLINK means "left the bridge", not "gone". */
	if (ifi->ifi_family != AF_UNSPEC)
		return 0;
	if (attrs_parse(nh, sizeof(*ifi), tb, IFLA_MTU) == -1 ||
	    ifi->ifi_index <= 0)
		return -1;
	memset(lm, 0, sizeof(*lm));
	lm->ifindex = (unsigned)ifi->ifi_index;
	lm->flags = ifi->ifi_flags;
	if (tb[IFLA_MTU] != NULL) {
		if (attr_u32(tb[IFLA_MTU], &lm->mtu) == -1)
			return -1;
		lm->has_mtu = 1;
	}
	if (tb[IFLA_IFNAME] != NULL &&
	    (lm->name = attr_ifname(tb[IFLA_IFNAME])) == NULL)
		return -1;
	return 1;
}

/* 1 inserted, 0 ignored (cap, memory), -1 malformed. */
static int
table_insert(struct iface_table *t, size_t pos, unsigned ifindex,
    const char *name)
{
	struct iface *ifs;

	if (name == NULL)
		return -1;	/* nothing to know a new link by */
	if (t->n >= IFACE_MAX) {
		if (!(t->warned & IFACE_WARNED_LINKS))
			log_warnx("iface", "more than %d interfaces: %s and "
			    "later ones ignored", IFACE_MAX, name);
		t->warned |= IFACE_WARNED_LINKS;
		t->dropped = 1;
		return 0;
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 8;

		if ((ifs = reallocarray(t->ifs, cap, sizeof(*ifs))) == NULL) {
			log_warnx("iface", "out of memory: %s ignored", name);
			t->dropped = t->stale = 1;
			return 0;
		}
		t->ifs = ifs;
		t->cap = cap;
	}
	memmove(&t->ifs[pos + 1], &t->ifs[pos],
	    (t->n - pos) * sizeof(*t->ifs));
	memset(&t->ifs[pos], 0, sizeof(*t->ifs));
	t->ifs[pos].ifindex = ifindex;
	t->n++;
	return 1;
}

static void
table_remove(struct iface_table *t, size_t pos)
{
	free(t->ifs[pos].addrs);
	memmove(&t->ifs[pos], &t->ifs[pos + 1],
	    (t->n - pos - 1) * sizeof(*t->ifs));
	t->n--;
}

static int
link_update(struct iface *ifc, const struct link_msg *lm)
{
	int changed = ifc->flags != lm->flags;

	ifc->flags = lm->flags;
	if (lm->has_mtu && ifc->mtu != lm->mtu) {
		ifc->mtu = lm->mtu;
		changed = 1;
	}
	if (lm->name != NULL && strcmp(ifc->name, lm->name) != 0) {
		memcpy(ifc->name, lm->name, strlen(lm->name) + 1);
		changed = 1;
	}
	return changed;
}

static int
link_apply(struct iface_table *t, const struct nlmsghdr *nh)
{
	struct link_msg	lm;
	size_t		pos;
	int		r, found;

	if ((r = link_parse(nh, &lm)) != 1)
		return r;
	pos = table_pos(t, lm.ifindex, &found);
	if (nh->nlmsg_type == RTM_DELLINK) {
		if (found)
			table_remove(t, pos);
		return found;
	}
	if (!found && (r = table_insert(t, pos, lm.ifindex, lm.name)) != 1)
		return r;
	return link_update(&t->ifs[pos], &lm) || !found;
}

/* Taken from the address: the kernel's scope lumps ULA in with global. */
static enum iface_scope
addr_scope(int family, const unsigned char *a)
{
	static const unsigned char loopback6[16] = { [15] = 1 };

	if (family == AF_INET) {
		if (a[0] == 127)
			return IFACE_SCOPE_HOST;
		return a[0] == 169 && a[1] == 254 ? IFACE_SCOPE_LINK :
		    IFACE_SCOPE_GLOBAL;
	}
	if (memcmp(a, loopback6, sizeof(loopback6)) == 0)
		return IFACE_SCOPE_HOST;
	if (a[0] == 0xfe && (a[1] & 0xc0) == 0x80)
		return IFACE_SCOPE_LINK;
	if ((a[0] & 0xfe) == 0xfc)
		return IFACE_SCOPE_ULA;
	return IFACE_SCOPE_GLOBAL;
}

/* 1 parsed, 0 a family we do not keep, -1 malformed. */
static int
addr_parse(const struct nlmsghdr *nh, struct addr_msg *am)
{
	const struct ifaddrmsg	*ifa = NLMSG_DATA(nh);
	const struct rtattr	*tb[IFA_FLAGS + 1], *rta;
	size_t			 alen;
	uint32_t		 flags;

	if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*ifa)))
		return -1;
	if (ifa->ifa_family == AF_INET)
		alen = 4;
	else if (ifa->ifa_family == AF_INET6)
		alen = 16;
	else
		return 0;
	if (attrs_parse(nh, sizeof(*ifa), tb, IFA_FLAGS) == -1 ||
	    ifa->ifa_index == 0 || ifa->ifa_prefixlen > alen * 8)
		return -1;
	/* On a point-to-point link IFA_ADDRESS is the peer, IFA_LOCAL us. */
	rta = tb[IFA_LOCAL] != NULL ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (rta == NULL || RTA_PAYLOAD(rta) != alen)
		return -1;
	memset(am, 0, sizeof(*am));
	am->ifindex = ifa->ifa_index;
	am->a.family = ifa->ifa_family;
	memcpy(am->a.addr, RTA_DATA(rta), alen);
	am->a.prefixlen = ifa->ifa_prefixlen;
	am->a.scope = addr_scope(am->a.family, am->a.addr);
	/* ifa_flags has room for 8 bits only; IFA_FLAGS carries them all. */
	am->a.flags = ifa->ifa_flags;
	if (tb[IFA_FLAGS] != NULL) {
		if (attr_u32(tb[IFA_FLAGS], &flags) == -1)
			return -1;
		am->a.flags = flags;
	}
	return 1;
}

/* The index of a in ifc, or ifc->naddrs. */
static size_t
addr_find(const struct iface *ifc, const struct iface_addr *a)
{
	size_t i;

	for (i = 0; i < ifc->naddrs; i++) {
		const struct iface_addr *b = &ifc->addrs[i];

		if (b->family == a->family && b->prefixlen == a->prefixlen &&
		    memcmp(b->addr, a->addr, sizeof(b->addr)) == 0)
			break;
	}
	return i;
}

static int
addr_append(struct iface_table *t, struct iface *ifc,
    const struct iface_addr *a)
{
	struct iface_addr *addrs;

	if (ifc->naddrs >= IFACE_ADDRS_MAX) {
		if (!(t->warned & IFACE_WARNED_ADDRS))
			log_warnx("iface", "%s: more than %d addresses: later "
			    "ones ignored", ifc->name, IFACE_ADDRS_MAX);
		t->warned |= IFACE_WARNED_ADDRS;
		t->dropped = 1;
		return 0;
	}
	addrs = reallocarray(ifc->addrs, ifc->naddrs + 1, sizeof(*addrs));
	if (addrs == NULL) {
		log_warnx("iface", "%s: out of memory: address ignored",
		    ifc->name);
		t->dropped = t->stale = 1;
		return 0;
	}
	addrs[ifc->naddrs++] = *a;
	ifc->addrs = addrs;
	return 1;
}

static void
addr_remove(struct iface *ifc, size_t i)
{
	memmove(&ifc->addrs[i], &ifc->addrs[i + 1],
	    (ifc->naddrs - i - 1) * sizeof(*ifc->addrs));
	if (--ifc->naddrs == 0) {
		free(ifc->addrs);
		ifc->addrs = NULL;
	}
}

static int
addr_apply(struct iface_table *t, const struct nlmsghdr *nh)
{
	struct addr_msg	 am;
	struct iface	*ifc;
	size_t		 pos, i;
	int		 r, found;

	if ((r = addr_parse(nh, &am)) != 1)
		return r;
	pos = table_pos(t, am.ifindex, &found);
	if (!found)
		return 0;	/* a link over the cap, or already gone */
	ifc = &t->ifs[pos];
	i = addr_find(ifc, &am.a);
	if (nh->nlmsg_type == RTM_DELADDR) {
		if (i == ifc->naddrs)
			return 0;
		addr_remove(ifc, i);
		return 1;
	}
	if (i == ifc->naddrs)
		return addr_append(t, ifc, &am.a);
	if (ifc->addrs[i].flags == am.a.flags)
		return 0;
	ifc->addrs[i].flags = am.a.flags;
	return 1;
}

int
iface_table_apply(struct iface_table *t, const struct nlmsghdr *nh)
{
	int r;

	if (nh->nlmsg_len < NLMSG_HDRLEN)
		return -1;
	switch (nh->nlmsg_type) {
	case RTM_NEWLINK:
	case RTM_DELLINK:
		r = link_apply(t, nh);
		break;
	case RTM_NEWADDR:
	case RTM_DELADDR:
		r = addr_apply(t, nh);
		break;
	default:
		return 0;
	}
	if (r != 1)
		return r;
	t->gen++;
	/* What the cap kept out, and which could now fit, is unknown. */
	if (t->dropped && (nh->nlmsg_type == RTM_DELLINK ||
	    nh->nlmsg_type == RTM_DELADDR))
		t->stale = 1;
	return 1;
}

/* Addresses are compared as sets: a dump may list them in another order. */
static int
iface_eq(const struct iface *a, const struct iface *b)
{
	if (a->ifindex != b->ifindex || a->flags != b->flags ||
	    a->mtu != b->mtu || a->naddrs != b->naddrs ||
	    strcmp(a->name, b->name) != 0)
		return 0;
	for (size_t i = 0; i < a->naddrs; i++) {
		size_t j = addr_find(b, &a->addrs[i]);

		if (j == b->naddrs || b->addrs[j].flags != a->addrs[i].flags)
			return 0;
	}
	return 1;
}

static int
table_eq(const struct iface_table *a, const struct iface_table *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++)
		if (!iface_eq(&a->ifs[i], &b->ifs[i]))
			return 0;
	return 1;
}

enum watch_phase {
	WATCH_IDLE = 0,
	WATCH_LINKS,		/* RTM_GETLINK dump in flight */
	WATCH_ADDRS		/* then RTM_GETADDR: one dump at a time */
};

struct iface_watch {
	int			 fd;
	uint32_t		 portid;
	uint32_t		 seq;		/* of the dump in flight */
	enum watch_phase	 phase;
	int			 resync;	/* messages lost: dump again */
	int			 synced;	/* a dump has completed */
	struct event		*ev;
	struct event		*timer;		/* retry, or dump watchdog */
	struct iface_table	*table;
	struct iface_table	*pending;	/* being dumped into */
	iface_changed_cb	 changed;
	void			*arg;
	union {
		struct nlmsghdr	 nh;
		unsigned char	 bytes[IFACE_BUF_SIZE];
	}			 buf;
};

static void	watch_sync_start(struct iface_watch *w);

const struct iface_table *
iface_watch_table(const struct iface_watch *w)
{
	return w->table;
}

/* Drops the dump in progress and tries again a little later. */
static void
watch_sync_fail(struct iface_watch *w)
{
	struct timeval tv = { IFACE_RETRY_S, 0 };

	iface_table_free(w->pending);
	w->pending = NULL;
	w->phase = WATCH_IDLE;
	if (evtimer_add(w->timer, &tv) == -1)
		log_warnx("iface", "cannot schedule a new dump");
}

static int
watch_request(struct iface_watch *w, uint16_t type)
{
	union {
		struct nlmsghdr	nh;
		unsigned char	b[NLMSG_SPACE(sizeof(struct ifinfomsg))];
	}			req;
	struct sockaddr_nl	kernel;
	size_t			plen = type == RTM_GETLINK ?
				    sizeof(struct ifinfomsg) :
				    sizeof(struct ifaddrmsg);

	/* Zero is AF_UNSPEC in either header: every family. */
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(plen);
	req.nh.nlmsg_type = type;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	req.nh.nlmsg_seq = ++w->seq;
	memset(&kernel, 0, sizeof(kernel));
	kernel.nl_family = AF_NETLINK;
	if (sendto(w->fd, &req, req.nh.nlmsg_len, 0,
	    (struct sockaddr *)&kernel, sizeof(kernel)) == -1) {
		log_warn("iface", "rtnetlink dump request");
		return -1;
	}
	return 0;
}

/* A full dump into a fresh table, so that what vanished unseen goes. */
static void
watch_sync_start(struct iface_watch *w)
{
	struct timeval	tv = { IFACE_SYNC_TIMEOUT_S, 0 };
	unsigned	warned = w->table->warned;

	/* The caps are logged once, not once per dump. */
	if (w->pending != NULL)
		warned |= w->pending->warned;
	iface_table_free(w->pending);
	w->resync = 0;
	w->phase = WATCH_LINKS;
	if ((w->pending = iface_table_new()) == NULL ||
	    watch_request(w, RTM_GETLINK) == -1) {
		watch_sync_fail(w);
		return;
	}
	w->pending->warned = warned;
	if (evtimer_add(w->timer, &tv) == -1)
		log_warnx("iface", "cannot arm the dump watchdog");
}

/* Puts the dumped table in place: 1 if the consumer should hear of it. */
static int
watch_sync_finish(struct iface_watch *w)
{
	struct iface_table	tmp;
	uint64_t		gen = w->table->gen;
	int			changed;

	changed = !w->synced || !table_eq(w->table, w->pending);
	evtimer_del(w->timer);
	/* Contents move, the pointer stays: consumers may keep it. */
	tmp = *w->table;
	*w->table = *w->pending;
	*w->pending = tmp;
	iface_table_free(w->pending);
	w->pending = NULL;
	w->table->gen = gen + (changed ? 1 : 0);
	w->phase = WATCH_IDLE;
	w->synced = 1;
	log_debug("iface", "dump complete: %zu interfaces", w->table->n);
	return changed;
}

static int
watch_dump_done(struct iface_watch *w, const struct nlmsghdr *nh)
{
	int err = 0;

	if (nh->nlmsg_len >= NLMSG_LENGTH(sizeof(err)))
		memcpy(&err, NLMSG_DATA(nh), sizeof(err));
	if (err < 0) {
		log_warnx("iface", "rtnetlink dump failed: %s",
		    strerror(-err));
		watch_sync_fail(w);
		return 0;
	}
	if (w->resync) {
		watch_sync_start(w);
		return 0;
	}
	if (w->phase == WATCH_LINKS) {
		w->phase = WATCH_ADDRS;
		if (watch_request(w, RTM_GETADDR) == -1)
			watch_sync_fail(w);
		return 0;
	}
	return watch_sync_finish(w);
}

static void
watch_error(struct iface_watch *w, const struct nlmsghdr *nh)
{
	struct nlmsgerr e;

	if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(e.error)))
		return;
	memcpy(&e.error, NLMSG_DATA(nh), sizeof(e.error));
	if (e.error == 0)
		return;
	log_warnx("iface", "rtnetlink dump refused: %s",
	    strerror(e.error < 0 ? -e.error : e.error));
	watch_sync_fail(w);
}

/* One message: 1 if the live table changed. */
static int
watch_msg(struct iface_watch *w, const struct nlmsghdr *nh)
{
	struct iface_table	*t;
	int			 ours, r;

	t = w->phase != WATCH_IDLE ? w->pending : w->table;
	ours = w->phase != WATCH_IDLE && nh->nlmsg_pid == w->portid &&
	    nh->nlmsg_seq == w->seq;
	/* Entries shifted under the dump's cursor may have been skipped. */
	if (ours && (nh->nlmsg_flags & NLM_F_DUMP_INTR) && !w->resync) {
		log_debug("iface", "dump interrupted by a change");
		w->resync = 1;
	}
	if (nh->nlmsg_type == NLMSG_DONE)
		return ours ? watch_dump_done(w, nh) : 0;
	if (nh->nlmsg_type == NLMSG_ERROR) {
		if (ours)
			watch_error(w, nh);
		return 0;
	}
	/* During a dump, notifications go to the new table, in order. */
	if ((r = iface_table_apply(t, nh)) == -1)
		log_limitedf("iface", LOG_WARNING, "malformed rtnetlink "
		    "message (type %u) ignored", nh->nlmsg_type);
	return r == 1 && t == w->table;
}

/*
 * NLMSG_OK wants len unsigned to compare it with nlmsg_len, but
 * NLMSG_NEXT can take it below zero after an unpadded last message.
 */
static int
watch_msg_ok(const struct nlmsghdr *nh, int len)
{
	return len > 0 && NLMSG_OK(nh, (unsigned)len);
}

static int
watch_batch(struct iface_watch *w, size_t n)
{
	const struct nlmsghdr	*nh = &w->buf.nh;
	int			 len = (int)n, changed = 0;

	for (; watch_msg_ok(nh, len); nh = NLMSG_NEXT(nh, len))
		changed |= watch_msg(w, nh);
	if (len > 0)
		log_limitedf("iface", LOG_WARNING, "%d stray bytes after "
		    "rtnetlink messages", len);
	return changed;
}

/* Kernel messages were lost: only a new dump makes the table right. */
static void
watch_overrun(struct iface_watch *w)
{
	log_limitedf("iface", LOG_NOTICE, "rtnetlink overrun: dumping the "
	    "interfaces again");
	if (w->phase != WATCH_IDLE)
		w->resync = 1;
	else
		watch_sync_start(w);
}

/* One datagram: its length, 0 when no more, -1 when skipped. */
static ssize_t
watch_recv(struct iface_watch *w)
{
	struct sockaddr_nl	sa;
	struct iovec		iov = { w->buf.bytes, sizeof(w->buf) };
	struct msghdr		msg;
	ssize_t			n;

	memset(&msg, 0, sizeof(msg));
	msg.msg_name = &sa;
	msg.msg_namelen = sizeof(sa);
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	if ((n = recvmsg(w->fd, &msg, 0)) == -1) {
		if (errno == EINTR)
			return -1;
		if (errno == ENOBUFS) {
			watch_overrun(w);
			return -1;
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			log_warn("iface", "rtnetlink receive");
		return 0;
	}
	if (msg.msg_flags & MSG_TRUNC) {
		watch_overrun(w);
		return -1;
	}
	/* Any local process may unicast to us: only the kernel is heard. */
	if (msg.msg_namelen != sizeof(sa) || sa.nl_pid != 0)
		return -1;
	return n;
}

/* Debounced: a burst of deletions costs one dump. */
static void
watch_check_stale(struct iface_watch *w)
{
	struct timeval tv = { IFACE_RETRY_S, 0 };

	if (w->phase != WATCH_IDLE || !w->table->stale ||
	    evtimer_pending(w->timer, NULL))
		return;
	log_debug("iface", "room under the caps: dumping again");
	if (evtimer_add(w->timer, &tv) == -1)
		log_warnx("iface", "cannot schedule a new dump");
}

static void
watch_read(evutil_socket_t fd, short what, void *arg)
{
	struct iface_watch	*w = arg;
	ssize_t			 n = -1;
	int			 changed = 0;

	(void)fd;
	(void)what;
	for (int i = 0; i < IFACE_READS_MAX && n != 0; i++)
		if ((n = watch_recv(w)) > 0)
			changed |= watch_batch(w, (size_t)n);
	watch_check_stale(w);
	/* Last thing: the consumer may free the watch. */
	if (changed && w->changed != NULL)
		w->changed(w->arg, w->table);
}

static void
watch_timer(evutil_socket_t fd, short what, void *arg)
{
	struct iface_watch *w = arg;

	(void)fd;
	(void)what;
	if (w->phase != WATCH_IDLE)
		log_warnx("iface", "rtnetlink dump never completed: again");
	watch_sync_start(w);
}

static int
watch_open(struct iface_watch *w)
{
	struct sockaddr_nl	sa;
	socklen_t		len = sizeof(sa);
	int			rcvbuf = IFACE_RCVBUF;

	w->fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    NETLINK_ROUTE);
	if (w->fd == -1) {
		log_warn("iface", "rtnetlink socket");
		return -1;
	}
	/* Best effort: capped by rmem_max, and an overrun is survived. */
	if (setsockopt(w->fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
	    sizeof(rcvbuf)) == -1)
		log_debug("iface", "SO_RCVBUF: %s", strerror(errno));
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	sa.nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR | RTMGRP_IPV6_IFADDR;
	if (bind(w->fd, (struct sockaddr *)&sa, sizeof(sa)) == -1 ||
	    getsockname(w->fd, (struct sockaddr *)&sa, &len) == -1) {
		log_warn("iface", "rtnetlink bind");
		return -1;
	}
	w->portid = sa.nl_pid;
	return 0;
}

struct iface_watch *
iface_watch_new(struct event_base *base, iface_changed_cb changed,
    void *arg)
{
	struct iface_watch *w;

	if ((w = calloc(1, sizeof(*w))) == NULL) {
		log_err("iface", "out of memory");
		return NULL;
	}
	w->fd = -1;
	w->changed = changed;
	w->arg = arg;
	if ((w->table = iface_table_new()) == NULL || watch_open(w) == -1)
		goto fail;
	w->ev = event_new(base, w->fd, EV_READ | EV_PERSIST, watch_read, w);
	w->timer = evtimer_new(base, watch_timer, w);
	if (w->ev == NULL || w->timer == NULL || event_add(w->ev, NULL) == -1)
		goto fail;
	watch_sync_start(w);
	return w;
fail:
	log_err("iface", "cannot watch the network interfaces");
	iface_watch_free(w);
	return NULL;
}

void
iface_watch_free(struct iface_watch *w)
{
	if (w == NULL)
		return;
	if (w->ev != NULL)
		event_free(w->ev);
	if (w->timer != NULL)
		event_free(w->timer);
	if (w->fd != -1)
		close(w->fd);
	iface_table_free(w->table);
	iface_table_free(w->pending);
	free(w);
}
