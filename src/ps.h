/*
 * ps: the publish/subscribe broker as a service. Owns the order in which a
 * change becomes durable and then visible: a topic's creation, change,
 * deletion and every publish (unless the topic is volatile) are written to
 * the store before memory changes, and subscribers hear of a value only
 * once its batch is committed. Also owns expiry and the restore at start.
 * No CoAP here: ps_coap.c and ps_legacy.c adapt it.
 */
#ifndef COREHUB_PS_H
#define COREHUB_PS_H

#include "ps_topic.h"

struct batch;
struct store;

/* What the front ends are told, for their subscribers and discovery. */
struct ps_events {
	void	(*created)(void *arg, struct ps_topic *t);
	void	(*published)(void *arg, struct ps_topic *t);
	/* Back to half created: subscriptions end with 4.04. */
	void	(*emptied)(void *arg, struct ps_topic *t);
	void	(*reconfigured)(void *arg, struct ps_topic *t);
	/* Called before the topic is freed: subscriptions end. */
	void	(*removing)(void *arg, struct ps_topic *t);
	/* Memory was rebuilt from the store after a failed batch. */
	void	(*reloaded)(void *arg);
	void	*arg;
};

#define PS_LISTENERS_MAX	4

struct ps {
	struct ps_registry	 reg;
	struct store		*store;
	struct batch		*batch;
	struct ps_events	 ev[PS_LISTENERS_MAX];
	size_t			 nev;
	int			 reloading;	/* removing: not a deletion */
	uint64_t		*pending;	/* ids published in the batch */
	size_t			 npending, cappending;
	uint64_t		 publications, expirations;
};

int		ps_init(struct ps *ps, struct store *store,
		    const char *data_prefix, const struct ps_limits *lim);
void		ps_free(struct ps *ps);
/* The broker's gauges for stats.c (a stats_source_fn). */
struct stats_sink;
void		ps_stats(void *ps, struct stats_sink *s);
/* Adds (or, by its arg, removes) a listener of events; -1 when full. */
int		ps_listen(struct ps *ps, const struct ps_events *ev);
void		ps_unlisten(struct ps *ps, void *arg);
/* Joins a batch (group commit); -1 if it has no room. */
int		ps_set_batch(struct ps *ps, struct batch *b);
int		ps_in_batch(const struct ps *ps);
/* Loads the stored topics; those past their expiration go. */
int		ps_restore(struct ps *ps, uint64_t now_ms, int64_t now_wall);

/* owner: the creating principal, remembered for later changes. */
enum ps_result	ps_create(struct ps *ps, const struct ps_props *in,
		    const char *owner, uint64_t now_ms, int64_t now_wall,
		    struct ps_topic **out, const char **why);
/* Whether owner may change t: it created it (or nobody is recorded). */
int		ps_is_owner(const struct ps_topic *t, const char *owner);
enum ps_result	ps_update(struct ps *ps, struct ps_topic *t,
		    const struct ps_props *in, int partial, uint64_t now_ms,
		    int64_t now_wall, const char **why);
enum ps_result	ps_delete(struct ps *ps, struct ps_topic *t);
/*
 * Publishes value (copied) in format cf (-1: none). PS_CREATED for the
 * first value of a half-created topic, PS_ERATE with *retry_s when the
 * topic's rate is exceeded.
 */
enum ps_result	ps_publish(struct ps *ps, struct ps_topic *t,
		    const uint8_t *value, size_t len, int cf, uint64_t now_ms,
		    uint32_t *retry_s);
/* DELETE on topic-data: back to half created. */
enum ps_result	ps_clear(struct ps *ps, struct ps_topic *t);
/* Legacy lifetimes (Max-Age): 0 for none. */
enum ps_result	ps_set_lifetime(struct ps *ps, struct ps_topic *t,
		    uint32_t lifetime, uint64_t now_ms, int64_t now_wall);
/* Deletes the topics due at now_ms; returns the next deadline (0: none). */
uint64_t	ps_expire(struct ps *ps, uint64_t now_ms);

#endif
