/*
 * ctl_rd: corehubctl's resource directory commands, over the lookup
 * interfaces and the registration resources: endpoints, resources, show
 * and remove, printed as tables or JSON.
 */
#ifndef COREHUB_CTL_RD_H
#define COREHUB_CTL_RD_H

#include "ctl.h"

/* endpoints [filter ...]: the endpoint lookup. */
int	ctl_rd_endpoints(struct ctl *x, struct ctl_args *a);
/* resources [filter ...]: the resource lookup. */
int	ctl_rd_resources(struct ctl *x, struct ctl_args *a);
/* show ep [-d sector]: one registration and its resources. */
int	ctl_rd_show(struct ctl *x, struct ctl_args *a);
/* remove ep [-d sector]: deletes that registration. */
int	ctl_rd_remove(struct ctl *x, struct ctl_args *a);

#endif
