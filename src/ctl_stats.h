/*
 * ctl_stats: corehubctl's view of the daemon's own admin resources: the
 * statistics, decoded from CBOR and printed as a table or JSON with
 * integers kept exact, and a reload of the configuration.
 */
#ifndef COREHUB_CTL_STATS_H
#define COREHUB_CTL_STATS_H

#include "ctl.h"

/* stats: the daemon's statistics. */
int	ctl_stats_show(struct ctl *x, struct ctl_args *a);
/* reload: asks the daemon to reload its configuration. */
int	ctl_stats_reload(struct ctl *x, struct ctl_args *a);

#endif
