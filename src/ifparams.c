#include "ac_config.h"

#include <net/if.h>
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

void
ifparams_session_new(coap_session_t *ses)
{
	const struct config_iface	*f;
	char				 name[IF_NAMESIZE];
	int				 idx = coap_session_get_ifindex(ses);

	if (conf == NULL || idx <= 0 ||
	    if_indextoname((unsigned)idx, name) == NULL)
		return;
	TAILQ_FOREACH(f, &conf->ifaces, entry)
		if (strcmp(f->name, name) == 0)
			break;
	if (f == NULL)
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
