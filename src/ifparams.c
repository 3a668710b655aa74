#include "ac_config.h"

#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "ifparams.h"
#include "log.h"

static const struct config	*conf;

void
ifparams_set(const struct config *c)
{
	conf = c;
}

static coap_fixed_point_t
fixed(unsigned int thousandths)
{
	coap_fixed_point_t v = { (uint16_t)(thousandths / 1000),
	    (uint16_t)(thousandths % 1000) };

	return v;
}

static const struct config_iface *
find(int ifindex, char name[IF_NAMESIZE])
{
	const struct config_iface *f;

	if (conf == NULL || ifindex <= 0 ||
	    if_indextoname((unsigned)ifindex, name) == NULL)
		return NULL;
	TAILQ_FOREACH(f, &conf->ifaces, entry)
		if (strcmp(f->name, name) == 0)
			return f;
	return NULL;
}

void
ifparams_apply(coap_session_t *ses, int ifindex)
{
	const struct config_iface	*f;
	char				 name[IF_NAMESIZE];

	if ((f = find(ifindex, name)) == NULL)
		return;
	if (f->ack_timeout_ms)
		coap_session_set_ack_timeout(ses, fixed(f->ack_timeout_ms));
	if (f->ack_random_factor_pct)
		coap_session_set_ack_random_factor(ses,
		    fixed(f->ack_random_factor_pct * 10));
	if (f->max_retransmit >= 0)
		coap_session_set_max_retransmit(ses,
		    (uint16_t)f->max_retransmit);
	if (f->nstart)
		coap_session_set_nstart(ses, (uint16_t)f->nstart);
	log_debug("mcast", "session on %s: the interface's transmission "
	    "parameters", name);
}

void
ifparams_session_new(coap_session_t *ses)
{
	int ifindex = coap_session_get_ifindex(ses), szx;

	ifparams_apply(ses, ifindex);
	/*
	 * What corehub sends a client on a mesh interface (lookups, its
	 * /.well-known/core) goes in the interface's blocks even when the
	 * client asks for none: libcoap and corehub size blocks by the MTU,
	 * which leaves room for the header and options. Not for DTLS, whose
	 * handshake would be cut into records that small.
	 */
	if (coap_session_get_proto(ses) == COAP_PROTO_UDP &&
	    (szx = ifparams_block_szx(ifindex)) >= 0)
		coap_session_set_mtu(ses, (16u << szx) + 68);
}

static int
in_prefix(const struct in6_addr *a, const struct in6_addr *p, unsigned len)
{
	unsigned int	full = len / 8, rest = len % 8;

	return memcmp(a, p, full) == 0 && (rest == 0 ||
	    ((a->s6_addr[full] ^ p->s6_addr[full]) & (0xff << (8 - rest))) ==
	    0);
}

const char *
ifparams_link_of(const struct in6_addr *a, int arrival, char *name)
{
	const struct config_iface *f;

	if (IN6_IS_ADDR_LINKLOCAL(a))
		return arrival > 0 &&
		    if_indextoname((unsigned)arrival, name) != NULL ? name :
		    NULL;
	if (conf == NULL)
		return NULL;
	TAILQ_FOREACH(f, &conf->ifaces, entry) {
		for (size_t i = 0; i < f->nmesh; i++) {
			if (in_prefix(a, &f->mesh[i], f->mesh_len[i])) {
				snprintf(name, IF_NAMESIZE, "%s", f->name);
				return name;
			}
		}
	}
	return NULL;
}

int
ifparams_block_szx(int ifindex)
{
	const struct config_iface	*f;
	char				 name[IF_NAMESIZE];
	unsigned int			 size, szx = 0;

	if ((f = find(ifindex, name)) == NULL)
		return -1;
	size = f->block_size ? f->block_size : f->constrained ? 64 : 0;
	if (size == 0)
		return -1;
	while ((16u << szx) < size && szx < 6)
		szx++;
	return (int)szx;
}
