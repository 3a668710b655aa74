/*
 * ps_rd: the broker in the daemon's own Resource Directory (draft
 * section 3.1 discovery through an RD), so that a lookup with
 * rt=core.ps.data finds every topic's data and rt=core.ps.coll the
 * collection. Owns the registrations that stand for the broker: one for
 * its entry points (ep "broker") and one per topic (ep "topic-<id>"), all
 * in the sector "corehub-ps", kept in step as topics come, change and go,
 * and reconciled with the topics at start.
 */
#ifndef COREHUB_PS_RD_H
#define COREHUB_PS_RD_H

struct config;
struct ps;
struct rd;
struct ps_rd;

#define PS_RD_SECTOR	"corehub-ps"

/* base: the absolute URI the links are relative to. */
struct ps_rd	*ps_rd_new(struct ps *ps, struct rd *rd, const char *base,
		    const struct config *c);
/* Registers what is missing and removes what no topic stands behind. */
int		 ps_rd_sync(struct ps_rd *pr);
void		 ps_rd_free(struct ps_rd *pr);
/*
 * The base a configuration gives: ps-rd-base, or with "auto" the first
 * listener's URI (a wildcard address made loopback); NULL when "off".
 */
char		*ps_rd_base(const struct config *c);

#endif
