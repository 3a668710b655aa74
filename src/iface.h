/*
 * iface: the host's network interfaces as mesh support needs them. Owns a
 * table of links (index, name, IFF_* flags, MTU) and their IPv4 and IPv6
 * addresses (prefix length, scope, IFA_F_* flags), kept current from
 * rtnetlink, since mesh interfaces come and go while the daemon runs. Tells
 * one consumer, once per batch of kernel messages, that something changed.
 */
#ifndef COREHUB_IFACE_H
#define COREHUB_IFACE_H

#include <net/if.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct nlmsghdr;

/*
 * Beyond these, links and addresses are ignored (logged once); a watch
 * dumps again once room is made, to pick up what was left out.
 */
#define IFACE_MAX	1024
#define IFACE_ADDRS_MAX	64

/* Derived from the address itself: the kernel's scope lumps ULA in global. */
enum iface_scope {
	IFACE_SCOPE_HOST = 0,	/* ::1, 127/8 */
	IFACE_SCOPE_LINK,	/* fe80::/10, 169.254/16 */
	IFACE_SCOPE_ULA,	/* fc00::/7 */
	IFACE_SCOPE_GLOBAL
};

struct iface_addr {
	int		 family;	/* AF_INET or AF_INET6 */
	unsigned char	 addr[16];	/* 4 bytes used for AF_INET */
	unsigned	 prefixlen;
	enum iface_scope scope;
	unsigned	 flags;		/* IFA_F_* */
};

struct iface {
	unsigned		 ifindex;
	char			 name[IFNAMSIZ];
	unsigned		 flags;		/* IFF_* */
	unsigned		 mtu;		/* 0: not reported */
	struct iface_addr	*addrs;
	size_t			 naddrs;
};

/*
 * Ordered by ifindex. Pointers into a table stay valid until it next
 * changes: under a watch, until the change callback returns.
 */
struct iface_table;

struct iface_table	*iface_table_new(void);
void			 iface_table_free(struct iface_table *t);
/*
 * Applies one message (RTM_NEWLINK, DELLINK, NEWADDR, DELADDR; others are
 * ignored): 1 if the table changed, 0 if not, -1 if malformed. nlmsg_len
 * bounds the message: the caller has checked it with NLMSG_OK.
 */
int			 iface_table_apply(struct iface_table *t,
			    const struct nlmsghdr *nh);
/* Grows by at least one each time the table's contents change. */
uint64_t		 iface_table_generation(const struct iface_table *t);
size_t			 iface_count(const struct iface_table *t);
const struct iface	*iface_at(const struct iface_table *t, size_t i);
const struct iface	*iface_by_index(const struct iface_table *t,
			    unsigned ifindex);
const struct iface	*iface_by_name(const struct iface_table *t,
			    const char *name);
/* Administratively up and with a carrier (IFF_UP and IFF_RUNNING). */
int			 iface_is_up(const struct iface *ifc);
/*
 * The IPv6 address to answer multicast from (RFC 9176 4.1): ULA or global,
 * not tentative (unless optimistic), not DAD-failed; preferred over
 * deprecated, then global over ULA, then stable over temporary. NULL if
 * there is none.
 */
const struct iface_addr	*iface_routable6(const struct iface *ifc);

/* The rtnetlink socket and its event. */
struct iface_watch;

typedef void (*iface_changed_cb)(void *arg, const struct iface_table *t);

/*
 * Opens the socket and starts the initial dump; the table fills in from
 * the event loop, and changed (may be NULL) runs once it is complete and
 * then after every batch of messages that changed it. changed may free the
 * watch. NULL if the socket cannot be opened.
 */
struct iface_watch	*iface_watch_new(struct event_base *base,
			    iface_changed_cb changed, void *arg);
void			 iface_watch_free(struct iface_watch *w);
/* The same table for the watch's lifetime; empty until the first dump. */
const struct iface_table *iface_watch_table(const struct iface_watch *w);

#endif
