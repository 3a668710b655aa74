/*
 * rd: the Resource Directory service. Owns the order in which a change is
 * made durable and then visible: every registration, update and removal
 * is committed to the store before the registry changes and before the
 * caller answers; a failed commit changes nothing. Also owns the limits,
 * lifetimes (on a monotonic clock passed in) and the restore at start.
 * No CoAP here: rd_coap.c adapts it.
 */
#ifndef COREHUB_RD_H
#define COREHUB_RD_H

#include <stdint.h>

#include "rd_registry.h"

struct batch;
struct store;
struct rd_request;

enum rd_result {
	RD_OK = 0,
	RD_CREATED,		/* a new registration: 2.01 */
	RD_ENOTFOUND,		/* 4.04 */
	RD_EINVAL,		/* 4.00 */
	RD_ETOOLARGE,		/* 4.13: more links than allowed */
	RD_EFORBIDDEN,		/* 4.03: another principal's registration */
	RD_EFULL,		/* 5.03 + Max-Age: at the global cap */
	RD_EBUSY,		/* 5.03 + Max-Age: the store is busy or full */
	RD_EFAIL		/* 5.00 */
};

struct rd_limits {
	uint32_t	max_registrations;
	uint32_t	max_links;	/* per registration */
	uint32_t	grace;		/* seconds an expired one stays */
};

struct rd {
	struct rd_registry	 reg;
	struct store		*store;
	struct rd_limits	 lim;
	/* Group commit: changes share the batch's transaction. */
	struct batch		*batch;
	int			 notify_pending;
	/* Called after every change, for Observe and statistics. */
	void			(*changed)(void *arg, const struct rd_reg *old,
				    const struct rd_reg *now);
	void			*changed_arg;
	uint64_t		 expirations;	/* lifetimes that ran out */
};

void		rd_init(struct rd *rd, struct store *store,
		    const struct rd_limits *lim);
void		rd_free(struct rd *rd);
/*
 * The directory's gauges for stats.c (a stats_source_fn); endpoints by
 * sector for the RD_STATS_SECTORS largest sectors only.
 */
#define RD_STATS_SECTORS	64
struct stats_sink;
void		rd_stats(void *rd, struct stats_sink *s);
/* Loads the stored registrations; those past lifetime and grace go. */
int		rd_restore(struct rd *rd, uint64_t now_ms, int64_t now_wall);

/*
 * Registers links (taken) under req. con is the base from the request
 * source (NULL when it cannot serve as one), owner the principal. An
 * active registration of the same (ep, d) by another principal is not
 * replaced (first come, first remembered: RFC 9176 section 7.5).
 */
enum rd_result	rd_register(struct rd *rd, const struct rd_request *req,
		    struct lf_doc *links, const char *con, const char *owner,
		    uint64_t now_ms, int64_t now_wall, uint64_t *id);
enum rd_result	rd_update(struct rd *rd, uint64_t id,
		    const struct rd_request *req, const char *con,
		    uint64_t now_ms, int64_t now_wall);
enum rd_result	rd_remove(struct rd *rd, uint64_t id);
/* RD_OK when owner may change reg (it registered it), else RD_EFORBIDDEN. */
enum rd_result	rd_check_owner(const struct rd_reg *reg, const char *owner);
/*
 * Group commit: each change is written into the batch's open transaction
 * and applied in memory at once; observers hear of it when the batch
 * ends. If the batch fails, memory is rebuilt from the store, so nothing
 * unacknowledged stays. Callers answer only once the batch is durable
 * (batch_after_commit). Returns -1 if the batch has no room for rd.
 */
int		rd_set_batch(struct rd *rd, struct batch *b);
int		rd_in_batch(const struct rd *rd);
/* Handles lifetimes due at now_ms; returns the next deadline. */
uint64_t	rd_expire(struct rd *rd, uint64_t now_ms);
const char	*rd_result_text(enum rd_result r);
/* The CoAP response code of a result, as 205 for 2.05. */
unsigned int	rd_result_code(enum rd_result r);

#endif
