/*
 * iface: the interface table fed with rtnetlink messages built in memory
 * (links, addresses, malformed input, caps), and one live watch on the
 * host's own rtnetlink socket.
 */
#include "ac_config.h"

#include <sys/socket.h>

#include <arpa/inet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>

#include "common.h"
#include "iface.h"

#define UP_RUNNING	(IFF_UP | IFF_RUNNING | IFF_MULTICAST)

struct msg {
	union {
		struct nlmsghdr	nh;
		unsigned char	b[4096];
	} u;
};

static struct nlmsghdr *
msg_start(struct msg *m, uint16_t type, const void *hdr, size_t hdrlen)
{
	memset(m, 0, sizeof(*m));
	m->u.nh.nlmsg_type = type;
	m->u.nh.nlmsg_len = NLMSG_LENGTH(hdrlen);
	memcpy(NLMSG_DATA(&m->u.nh), hdr, hdrlen);
	return &m->u.nh;
}

/* Appends an attribute; returns it so that a test can spoil it. */
static struct rtattr *
msg_attr(struct msg *m, unsigned short type, const void *data, size_t len)
{
	size_t		 off = NLMSG_ALIGN(m->u.nh.nlmsg_len);
	struct rtattr	*rta = (struct rtattr *)(m->u.b + off);

	ck_assert_uint_le(off + RTA_SPACE(len), sizeof(m->u.b));
	rta->rta_type = type;
	rta->rta_len = (unsigned short)RTA_LENGTH(len);
	memcpy(RTA_DATA(rta), data, len);
	m->u.nh.nlmsg_len = (uint32_t)(off + RTA_SPACE(len));
	return rta;
}

static struct nlmsghdr *
link_msg(struct msg *m, uint16_t type, int ifindex, unsigned flags,
    const char *name, unsigned mtu)
{
	struct ifinfomsg ifi;

	memset(&ifi, 0, sizeof(ifi));
	ifi.ifi_family = AF_UNSPEC;
	ifi.ifi_index = ifindex;
	ifi.ifi_flags = flags;
	msg_start(m, type, &ifi, sizeof(ifi));
	if (name != NULL)
		msg_attr(m, IFLA_IFNAME, name, strlen(name) + 1);
	if (mtu != 0) {
		uint32_t v = mtu;

		msg_attr(m, IFLA_MTU, &v, sizeof(v));
	}
	return &m->u.nh;
}

static int
family_of(const char *text)
{
	return strchr(text, ':') != NULL ? AF_INET6 : AF_INET;
}

/* Without IFA_FLAGS; flags must then fit ifa_flags' 8 bits. */
static struct nlmsghdr *
addr_msg_short(struct msg *m, uint16_t type, unsigned ifindex,
    const char *text, unsigned prefixlen, unsigned flags)
{
	struct ifaddrmsg	ifa;
	unsigned char		a[16];
	int			family = family_of(text);

	ck_assert_int_eq(inet_pton(family, text, a), 1);
	memset(&ifa, 0, sizeof(ifa));
	ifa.ifa_family = (unsigned char)family;
	ifa.ifa_prefixlen = (unsigned char)prefixlen;
	ifa.ifa_flags = (unsigned char)flags;
	ifa.ifa_index = ifindex;
	msg_start(m, type, &ifa, sizeof(ifa));
	msg_attr(m, IFA_ADDRESS, a, family == AF_INET6 ? 16 : 4);
	return &m->u.nh;
}

static struct nlmsghdr *
addr_msg(struct msg *m, uint16_t type, unsigned ifindex, const char *text,
    unsigned prefixlen, unsigned flags)
{
	uint32_t v = flags;

	addr_msg_short(m, type, ifindex, text, prefixlen, flags & 0xff);
	msg_attr(m, IFA_FLAGS, &v, sizeof(v));
	return &m->u.nh;
}

static int
add_link(struct iface_table *t, int ifindex, const char *name)
{
	struct msg m;

	return iface_table_apply(t, link_msg(&m, RTM_NEWLINK, ifindex,
	    UP_RUNNING, name, 1280));
}

static int
add_addr(struct iface_table *t, unsigned ifindex, const char *text,
    unsigned flags)
{
	struct msg m;

	return iface_table_apply(t, addr_msg(&m, RTM_NEWADDR, ifindex, text,
	    64, flags));
}

static int
addr_is(const struct iface_addr *a, const char *text)
{
	unsigned char	b[16] = { 0 };
	int		family = family_of(text);

	ck_assert_int_eq(inet_pton(family, text, b), 1);
	return a != NULL && a->family == family &&
	    memcmp(a->addr, b, sizeof(b)) == 0;
}

START_TEST(links)
{
	struct iface_table	*t = iface_table_new();
	const struct iface	*ifc;

	ck_assert_ptr_nonnull(t);
	ck_assert_uint_eq(iface_count(t), 0);
	ck_assert_int_eq(add_link(t, 3, "wpan0"), 1);
	ck_assert_uint_eq(iface_table_generation(t), 1);
	ifc = iface_by_index(t, 3);
	ck_assert_ptr_nonnull(ifc);
	ck_assert_str_eq(ifc->name, "wpan0");
	ck_assert_uint_eq(ifc->mtu, 1280);
	ck_assert_uint_eq(ifc->flags, UP_RUNNING);
	ck_assert_int_eq(iface_is_up(ifc), 1);
	ck_assert_ptr_eq(iface_by_name(t, "wpan0"), ifc);
	/* The same again is no change, and no new generation. */
	ck_assert_int_eq(add_link(t, 3, "wpan0"), 0);
	ck_assert_uint_eq(iface_table_generation(t), 1);
	/* Kept by ifindex. */
	ck_assert_int_eq(add_link(t, 1, "lo"), 1);
	ck_assert_uint_eq(iface_count(t), 2);
	ck_assert_uint_eq(iface_at(t, 0)->ifindex, 1);
	ck_assert_uint_eq(iface_at(t, 1)->ifindex, 3);
	ck_assert_ptr_null(iface_at(t, 2));
	ck_assert_ptr_null(iface_by_name(t, "eth0"));
	ck_assert_ptr_null(iface_by_name(t, NULL));
	ck_assert_ptr_null(iface_by_index(t, 2));
	ck_assert_uint_eq(iface_table_generation(t), 2);
	iface_table_free(t);
}
END_TEST

START_TEST(link_changes)
{
	struct iface_table	*t = iface_table_new();
	const struct iface	*ifc;
	struct msg		 m;
	struct ifinfomsg	*ifi;

	ck_assert_int_eq(add_link(t, 3, "wpan0"), 1);
	/* Rename. */
	ck_assert_int_eq(add_link(t, 3, "lowpan0"), 1);
	ck_assert_ptr_null(iface_by_name(t, "wpan0"));
	ifc = iface_by_name(t, "lowpan0");
	ck_assert_ptr_nonnull(ifc);
	ck_assert_uint_eq(ifc->ifindex, 3);
	/* Down, with neither name nor MTU: those stay. */
	ck_assert_int_eq(iface_table_apply(t, link_msg(&m, RTM_NEWLINK, 3,
	    IFF_MULTICAST, NULL, 0)), 1);
	ifc = iface_by_index(t, 3);
	ck_assert_int_eq(iface_is_up(ifc), 0);
	ck_assert_str_eq(ifc->name, "lowpan0");
	ck_assert_uint_eq(ifc->mtu, 1280);
	/* Up but no carrier is not up. */
	ck_assert_int_eq(iface_table_apply(t, link_msg(&m, RTM_NEWLINK, 3,
	    IFF_UP | IFF_MULTICAST, NULL, 1500)), 1);
	ck_assert_int_eq(iface_is_up(iface_by_index(t, 3)), 0);
	ck_assert_uint_eq(iface_by_index(t, 3)->mtu, 1500);
	ck_assert_int_eq(iface_is_up(NULL), 0);
	/* A link first seen without a name cannot be kept. */
	ck_assert_int_eq(iface_table_apply(t, link_msg(&m, RTM_NEWLINK, 9,
	    UP_RUNNING, NULL, 0)), -1);
	ck_assert_ptr_null(iface_by_index(t, 9));
	/* A port leaving a bridge is AF_BRIDGE RTM_DELLINK: the link stays. */
	link_msg(&m, RTM_DELLINK, 3, 0, "lowpan0", 0);
	ifi = NLMSG_DATA(&m.u.nh);
	ifi->ifi_family = AF_BRIDGE;
	ck_assert_int_eq(iface_table_apply(t, &m.u.nh), 0);
	ck_assert_ptr_nonnull(iface_by_index(t, 3));
	/* Other message types are none of the table's business. */
	link_msg(&m, RTM_NEWROUTE, 3, 0, NULL, 0);
	ck_assert_int_eq(iface_table_apply(t, &m.u.nh), 0);
	/* Delete. */
	ck_assert_int_eq(iface_table_apply(t, link_msg(&m, RTM_DELLINK, 3,
	    0, "lowpan0", 0)), 1);
	ck_assert_ptr_null(iface_by_index(t, 3));
	ck_assert_ptr_null(iface_by_name(t, "lowpan0"));
	ck_assert_uint_eq(iface_count(t), 0);
	ck_assert_int_eq(iface_table_apply(t, link_msg(&m, RTM_DELLINK, 3,
	    0, "lowpan0", 0)), 0);
	iface_table_free(t);
}
END_TEST

START_TEST(addresses)
{
	struct iface_table	*t = iface_table_new();
	const struct iface	*ifc;
	struct msg		 m;

	ck_assert_int_eq(add_link(t, 5, "wpan0"), 1);
	ck_assert_int_eq(add_addr(t, 5, "fe80::1", IFA_F_PERMANENT), 1);
	ifc = iface_by_index(t, 5);
	ck_assert_uint_eq(ifc->naddrs, 1);
	ck_assert_int_eq(ifc->addrs[0].scope, IFACE_SCOPE_LINK);
	ck_assert_uint_eq(ifc->addrs[0].prefixlen, 64);
	ck_assert_uint_eq(ifc->addrs[0].flags, IFA_F_PERMANENT);
	ck_assert_ptr_null(iface_routable6(ifc));
	/* ULA under DAD, then done. */
	ck_assert_int_eq(add_addr(t, 5, "fd00::1", IFA_F_TENTATIVE), 1);
	ifc = iface_by_index(t, 5);
	ck_assert_int_eq(ifc->addrs[1].scope, IFACE_SCOPE_ULA);
	ck_assert_ptr_null(iface_routable6(ifc));
	ck_assert_int_eq(add_addr(t, 5, "fd00::1", 0), 1);
	ck_assert_int_eq(add_addr(t, 5, "fd00::1", 0), 0);
	ifc = iface_by_index(t, 5);
	ck_assert_uint_eq(ifc->naddrs, 2);
	ck_assert(addr_is(iface_routable6(ifc), "fd00::1"));
	/* Global wins over ULA. */
	ck_assert_int_eq(add_addr(t, 5, "2001:db8::1", 0), 1);
	ifc = iface_by_index(t, 5);
	ck_assert_int_eq(ifc->addrs[2].scope, IFACE_SCOPE_GLOBAL);
	ck_assert(addr_is(iface_routable6(ifc), "2001:db8::1"));
	/* IPv4 is kept, but is never the routable IPv6 address. */
	ck_assert_int_eq(iface_table_apply(t, addr_msg(&m, RTM_NEWADDR, 5,
	    "192.0.2.1", 24, 0)), 1);
	ifc = iface_by_index(t, 5);
	ck_assert_uint_eq(ifc->naddrs, 4);
	ck_assert(addr_is(&ifc->addrs[3], "192.0.2.1"));
	ck_assert_uint_eq(ifc->addrs[3].prefixlen, 24);
	ck_assert(addr_is(iface_routable6(ifc), "2001:db8::1"));
	/* Delete. */
	ck_assert_int_eq(iface_table_apply(t, addr_msg(&m, RTM_DELADDR, 5,
	    "2001:db8::1", 64, 0)), 1);
	ck_assert_int_eq(iface_table_apply(t, addr_msg(&m, RTM_DELADDR, 5,
	    "2001:db8::1", 64, 0)), 0);
	ifc = iface_by_index(t, 5);
	ck_assert_uint_eq(ifc->naddrs, 3);
	ck_assert(addr_is(iface_routable6(ifc), "fd00::1"));
	/* For a link we do not know: nothing. */
	ck_assert_int_eq(add_addr(t, 99, "2001:db8::2", 0), 0);
	/* A link goes with its addresses (ASan sees them freed). */
	ck_assert_int_eq(iface_table_apply(t, link_msg(&m, RTM_DELLINK, 5,
	    0, "wpan0", 0)), 1);
	ck_assert_uint_eq(iface_count(t), 0);
	ck_assert_uint_eq(iface_table_generation(t), 8);
	iface_table_free(t);
}
END_TEST

START_TEST(address_details)
{
	struct iface_table	*t = iface_table_new();
	const struct iface	*ifc;
	struct msg		 m;
	struct ifaddrmsg	*ifa;
	unsigned char		 local[16], peer[16];

	ck_assert_int_eq(add_link(t, 2, "tun0"), 1);
	/* Without IFA_FLAGS, ifa_flags counts. */
	ck_assert_int_eq(iface_table_apply(t, addr_msg_short(&m, RTM_NEWADDR,
	    2, "2001:db8::5", 64, IFA_F_DEPRECATED)), 1);
	ifc = iface_by_index(t, 2);
	ck_assert_uint_eq(ifc->addrs[0].flags, IFA_F_DEPRECATED);
	/* IFA_FLAGS overrides it (and holds bits past the eighth). */
	ck_assert_int_eq(add_addr(t, 2, "2001:db8::5",
	    IFA_F_DEPRECATED | IFA_F_NOPREFIXROUTE), 1);
	ifc = iface_by_index(t, 2);
	ck_assert_uint_eq(ifc->addrs[0].flags,
	    IFA_F_DEPRECATED | IFA_F_NOPREFIXROUTE);
	/* Point-to-point: IFA_LOCAL is ours, IFA_ADDRESS the peer's. */
	ck_assert_int_eq(inet_pton(AF_INET6, "2001:db8::a", local), 1);
	ck_assert_int_eq(inet_pton(AF_INET6, "2001:db8::b", peer), 1);
	addr_msg_short(&m, RTM_NEWADDR, 2, "2001:db8::b", 128, 0);
	msg_attr(&m, IFA_LOCAL, local, sizeof(local));
	ck_assert_int_eq(iface_table_apply(t, &m.u.nh), 1);
	ifc = iface_by_index(t, 2);
	ck_assert(addr_is(&ifc->addrs[1], "2001:db8::a"));
	/* Families other than IPv4 and IPv6 are ignored. */
	addr_msg_short(&m, RTM_NEWADDR, 2, "2001:db8::c", 64, 0);
	ifa = NLMSG_DATA(&m.u.nh);
	ifa->ifa_family = AF_PACKET;
	ck_assert_int_eq(iface_table_apply(t, &m.u.nh), 0);
	ck_assert_uint_eq(iface_by_index(t, 2)->naddrs, 2);
	iface_table_free(t);
}
END_TEST

START_TEST(scopes)
{
	static const struct {
		const char		*addr;
		enum iface_scope	 scope;
	} cases[] = {
		{ "::1", IFACE_SCOPE_HOST },
		{ "fe80::1", IFACE_SCOPE_LINK },
		{ "febf::1", IFACE_SCOPE_LINK },
		{ "fec0::1", IFACE_SCOPE_GLOBAL },	/* old site-local */
		{ "fc00::1", IFACE_SCOPE_ULA },
		{ "fdde:ad00:beef::1", IFACE_SCOPE_ULA },
		{ "2001:db8::1", IFACE_SCOPE_GLOBAL },
		{ "127.0.0.1", IFACE_SCOPE_HOST },
		{ "169.254.7.7", IFACE_SCOPE_LINK },
		{ "192.0.2.1", IFACE_SCOPE_GLOBAL },
	};
	struct iface_table	*t = iface_table_new();

	ck_assert_int_eq(add_link(t, 1, "lo"), 1);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct iface	*ifc;
		struct msg		 m;

		ck_assert_int_eq(iface_table_apply(t, addr_msg(&m,
		    RTM_NEWADDR, 1, cases[i].addr,
		    family_of(cases[i].addr) == AF_INET ? 8 : 64, 0)), 1);
		ifc = iface_by_index(t, 1);
		ck_assert_msg(ifc->addrs[i].scope == cases[i].scope,
		    "%s: scope %d", cases[i].addr, (int)ifc->addrs[i].scope);
	}
	iface_table_free(t);
}
END_TEST

START_TEST(routable_order)
{
	struct iface_table	*t = iface_table_new();
	struct msg		 m;

	ck_assert_ptr_null(iface_routable6(NULL));
	ck_assert_int_eq(add_link(t, 7, "wpan0"), 1);
	/* Nothing usable: link-local, host, under DAD, DAD failed, IPv4. */
	ck_assert_int_eq(add_addr(t, 7, "fe80::7", 0), 1);
	ck_assert_int_eq(add_addr(t, 7, "::1", 0), 1);
	ck_assert_int_eq(add_addr(t, 7, "2001:db8::70", IFA_F_TENTATIVE), 1);
	ck_assert_int_eq(add_addr(t, 7, "2001:db8::71",
	    IFA_F_DADFAILED | IFA_F_TENTATIVE), 1);
	ck_assert_int_eq(iface_table_apply(t, addr_msg(&m, RTM_NEWADDR, 7,
	    "192.0.2.7", 24, 0)), 1);
	ck_assert_ptr_null(iface_routable6(iface_by_index(t, 7)));
	/* Deprecated is better than nothing. */
	ck_assert_int_eq(add_addr(t, 7, "fd00::d", IFA_F_DEPRECATED), 1);
	ck_assert(addr_is(iface_routable6(iface_by_index(t, 7)), "fd00::d"));
	ck_assert_int_eq(add_addr(t, 7, "2001:db8::d", IFA_F_DEPRECATED), 1);
	ck_assert(addr_is(iface_routable6(iface_by_index(t, 7)),
	    "2001:db8::d"));
	/* Optimistic may be used, ranked with deprecated: order decides. */
	ck_assert_int_eq(add_addr(t, 7, "2001:db8::0e",
	    IFA_F_TENTATIVE | IFA_F_OPTIMISTIC), 1);
	ck_assert(addr_is(iface_routable6(iface_by_index(t, 7)),
	    "2001:db8::d"));
	/* A preferred ULA beats a deprecated global. */
	ck_assert_int_eq(add_addr(t, 7, "fd00::1", 0), 1);
	ck_assert(addr_is(iface_routable6(iface_by_index(t, 7)), "fd00::1"));
	/* A preferred global beats the ULA, even a temporary one... */
	ck_assert_int_eq(add_addr(t, 7, "2001:db8::7e", IFA_F_TEMPORARY), 1);
	ck_assert(addr_is(iface_routable6(iface_by_index(t, 7)),
	    "2001:db8::7e"));
	/* ...and a stable global beats the temporary. */
	ck_assert_int_eq(add_addr(t, 7, "2001:db8::1", IFA_F_PERMANENT), 1);
	ck_assert(addr_is(iface_routable6(iface_by_index(t, 7)),
	    "2001:db8::1"));
	/* It going deprecated hands over to the temporary one. */
	ck_assert_int_eq(add_addr(t, 7, "2001:db8::1",
	    IFA_F_PERMANENT | IFA_F_DEPRECATED), 1);
	ck_assert(addr_is(iface_routable6(iface_by_index(t, 7)),
	    "2001:db8::7e"));
	iface_table_free(t);
}
END_TEST

/* Each must be refused without touching the table. */
static void
assert_malformed(struct iface_table *t, const struct nlmsghdr *nh)
{
	uint64_t	gen = iface_table_generation(t);
	size_t		n = iface_count(t);

	ck_assert_int_eq(iface_table_apply(t, nh), -1);
	ck_assert_uint_eq(iface_table_generation(t), gen);
	ck_assert_uint_eq(iface_count(t), n);
}

START_TEST(malformed_links)
{
	struct iface_table	*t = iface_table_new();
	struct msg		 m;
	struct rtattr		*rta;
	uint16_t		 mtu16 = 1280;
	char			 name[IFNAMSIZ + 4];

	ck_assert_int_eq(add_link(t, 1, "lo"), 1);
	/* Shorter than a netlink header, or than an ifinfomsg. */
	link_msg(&m, RTM_NEWLINK, 4, UP_RUNNING, "wpan0", 0);
	m.u.nh.nlmsg_len = 8;
	assert_malformed(t, &m.u.nh);
	m.u.nh.nlmsg_len = NLMSG_LENGTH(4);
	assert_malformed(t, &m.u.nh);
	/* The message ends within an attribute. */
	link_msg(&m, RTM_NEWLINK, 4, UP_RUNNING, "wpan0", 1280);
	m.u.nh.nlmsg_len -= 2;
	assert_malformed(t, &m.u.nh);
	/* An attribute claims more than the message holds. */
	link_msg(&m, RTM_NEWLINK, 4, UP_RUNNING, NULL, 0);
	rta = msg_attr(&m, IFLA_IFNAME, "wpan0", 6);
	rta->rta_len = 200;
	assert_malformed(t, &m.u.nh);
	/* Or less than its own header. */
	rta->rta_len = 2;
	assert_malformed(t, &m.u.nh);
	/* Names: too long, unterminated, empty. */
	memset(name, 'x', sizeof(name));
	name[IFNAMSIZ] = '\0';
	assert_malformed(t, link_msg(&m, RTM_NEWLINK, 4, 0, name, 0));
	link_msg(&m, RTM_NEWLINK, 4, 0, NULL, 0);
	msg_attr(&m, IFLA_IFNAME, name, IFNAMSIZ - 1);
	assert_malformed(t, &m.u.nh);
	assert_malformed(t, link_msg(&m, RTM_NEWLINK, 4, 0, "", 0));
	/* The longest name that fits is fine. */
	name[IFNAMSIZ - 1] = '\0';
	ck_assert_int_eq(iface_table_apply(t, link_msg(&m, RTM_NEWLINK, 4, 0,
	    name, 0)), 1);
	ck_assert_ptr_nonnull(iface_by_name(t, name));
	/* A rename to a bad name leaves the old one. */
	assert_malformed(t, link_msg(&m, RTM_NEWLINK, 4, 0, "", 0));
	ck_assert_ptr_nonnull(iface_by_name(t, name));
	/* An MTU of the wrong size. */
	link_msg(&m, RTM_NEWLINK, 4, 0, "wpan0", 0);
	msg_attr(&m, IFLA_MTU, &mtu16, sizeof(mtu16));
	assert_malformed(t, &m.u.nh);
	ck_assert_str_eq(iface_by_index(t, 4)->name, name);
	/* No such index. */
	assert_malformed(t, link_msg(&m, RTM_NEWLINK, 0, 0, "wpan0", 0));
	assert_malformed(t, link_msg(&m, RTM_DELLINK, -3, 0, "wpan0", 0));
	iface_table_free(t);
}
END_TEST

START_TEST(malformed_addresses)
{
	struct iface_table	*t = iface_table_new();
	struct msg		 m;
	unsigned char		 a[16] = { 0x20, 0x01, 0x0d, 0xb8 };
	uint16_t		 flags16 = 0;

	ck_assert_int_eq(add_link(t, 5, "wpan0"), 1);
	ck_assert_int_eq(add_addr(t, 5, "fd00::1", 0), 1);
	/* Shorter than an ifaddrmsg. */
	addr_msg(&m, RTM_NEWADDR, 5, "2001:db8::1", 64, 0);
	m.u.nh.nlmsg_len = NLMSG_LENGTH(4);
	assert_malformed(t, &m.u.nh);
	/* An IPv6 address of 8 bytes, an IPv4 one of 16. */
	addr_msg_short(&m, RTM_NEWADDR, 5, "2001:db8::1", 64, 0);
	m.u.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
	msg_attr(&m, IFA_ADDRESS, a, 8);
	assert_malformed(t, &m.u.nh);
	addr_msg_short(&m, RTM_NEWADDR, 5, "192.0.2.1", 24, 0);
	m.u.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
	msg_attr(&m, IFA_ADDRESS, a, 16);
	assert_malformed(t, &m.u.nh);
	/* No address at all. */
	addr_msg_short(&m, RTM_NEWADDR, 5, "2001:db8::1", 64, 0);
	m.u.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifaddrmsg));
	assert_malformed(t, &m.u.nh);
	/* A prefix longer than the address, index 0. */
	assert_malformed(t, addr_msg(&m, RTM_NEWADDR, 5, "2001:db8::1",
	    129, 0));
	assert_malformed(t, addr_msg(&m, RTM_NEWADDR, 5, "192.0.2.1", 33, 0));
	assert_malformed(t, addr_msg(&m, RTM_NEWADDR, 0, "2001:db8::1",
	    64, 0));
	/* IFA_FLAGS of the wrong size. */
	addr_msg_short(&m, RTM_NEWADDR, 5, "2001:db8::1", 64, 0);
	msg_attr(&m, IFA_FLAGS, &flags16, sizeof(flags16));
	assert_malformed(t, &m.u.nh);
	/* Ends within the IFA_FLAGS attribute. */
	addr_msg(&m, RTM_DELADDR, 5, "fd00::1", 64, 0);
	m.u.nh.nlmsg_len -= 1;
	assert_malformed(t, &m.u.nh);
	ck_assert_uint_eq(iface_by_index(t, 5)->naddrs, 1);
	iface_table_free(t);
}
END_TEST

START_TEST(caps)
{
	struct iface_table	*t = iface_table_new();
	const struct iface	*ifc;
	struct msg		 m;
	char			 name[IFNAMSIZ], text[64];

	for (int i = 1; i <= IFACE_MAX; i++) {
		snprintf(name, sizeof(name), "if%d", i);
		ck_assert_int_eq(add_link(t, i, name), 1);
	}
	ck_assert_uint_eq(iface_count(t), IFACE_MAX);
	ck_assert_int_eq(add_link(t, IFACE_MAX + 1, "over"), 0);
	ck_assert_int_eq(add_link(t, IFACE_MAX + 2, "over2"), 0);
	ck_assert_ptr_null(iface_by_index(t, IFACE_MAX + 1));
	/* Those in the table still change; room made is room to use. */
	ck_assert_int_eq(add_link(t, 1, "first"), 1);
	ck_assert_int_eq(iface_table_apply(t, link_msg(&m, RTM_DELLINK, 2,
	    0, "if2", 0)), 1);
	ck_assert_int_eq(add_link(t, IFACE_MAX + 1, "over"), 1);
	ck_assert_uint_eq(iface_count(t), IFACE_MAX);
	for (int i = 0; i < IFACE_ADDRS_MAX; i++) {
		snprintf(text, sizeof(text), "2001:db8::%x", i + 1);
		ck_assert_int_eq(add_addr(t, 1, text, 0), 1);
	}
	ck_assert_int_eq(add_addr(t, 1, "2001:db8::ffff", 0), 0);
	ifc = iface_by_index(t, 1);
	ck_assert_uint_eq(ifc->naddrs, IFACE_ADDRS_MAX);
	ck_assert_int_eq(add_addr(t, 1, "2001:db8::1", IFA_F_DEPRECATED), 1);
	ck_assert_int_eq(iface_table_apply(t, addr_msg(&m, RTM_DELADDR, 1,
	    "2001:db8::2", 64, 0)), 1);
	ck_assert_int_eq(add_addr(t, 1, "2001:db8::ffff", 0), 1);
	ck_assert_uint_eq(iface_by_index(t, 1)->naddrs, IFACE_ADDRS_MAX);
	/* Other links have their own allowance. */
	ck_assert_int_eq(add_addr(t, 3, "2001:db8::ffff", 0), 1);
	iface_table_free(t);
}
END_TEST

static void
on_change(void *arg, const struct iface_table *t)
{
	int *calls = arg;

	(void)t;
	(*calls)++;
}

START_TEST(live)
{
	struct event_base	*base = event_base_new();
	struct iface_watch	*w;
	const struct iface_table *t;
	const struct iface	*lo;
	int			 calls = 0;

	ck_assert_ptr_nonnull(base);
	w = iface_watch_new(base, on_change, &calls);
	ck_assert_ptr_nonnull(w);
	t = iface_watch_table(w);
	ck_assert_uint_eq(iface_count(t), 0);
	/* The dump is two round trips to the kernel: give it 3 s. */
	for (int i = 0; i < 300 && calls == 0; i++) {
		usleep(10000);
		ck_assert_int_ne(event_base_loop(base, EVLOOP_NONBLOCK), -1);
	}
	ck_assert_int_eq(calls, 1);
	ck_assert_ptr_eq(iface_watch_table(w), t);
	ck_assert_uint_eq(iface_table_generation(t), 1);
	lo = iface_by_name(t, "lo");
	ck_assert_ptr_nonnull(lo);
	ck_assert_uint_eq(lo->ifindex, 1);
	ck_assert_ptr_eq(iface_by_index(t, 1), lo);
	ck_assert(lo->flags & IFF_LOOPBACK);
	for (size_t i = 0; i < lo->naddrs; i++)
		ck_assert_int_eq(lo->addrs[i].scope, IFACE_SCOPE_HOST);
	ck_assert_ptr_null(iface_routable6(lo));
	iface_watch_free(w);
	event_base_free(base);
}
END_TEST

int
main(void)
{
	Suite	*s = suite_create("iface");
	TCase	*tc = tcase_create("iface");

	tcase_add_test(tc, links);
	tcase_add_test(tc, link_changes);
	tcase_add_test(tc, addresses);
	tcase_add_test(tc, address_details);
	tcase_add_test(tc, scopes);
	tcase_add_test(tc, routable_order);
	tcase_add_test(tc, malformed_links);
	tcase_add_test(tc, malformed_addresses);
	tcase_add_test(tc, caps);
	tcase_add_test(tc, live);
	suite_add_tcase(s, tc);
	return test_run(s);
}
