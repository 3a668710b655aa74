/*
 * ps_topic: the broker's topics in memory, shared by both front ends.
 * Owns the tables by id, by topic-name and by topic-data path, the rules
 * of draft-ietf-core-coap-pubsub-21 for creating and changing a topic's
 * configuration (required and immutable properties, defaults), the
 * half-created / fully-created state and the last value, FETCH matching,
 * lifetimes and the publish rate. Pure: no CoAP, no SQL, no clock of its
 * own (callers pass monotonic ms and wall-clock seconds).
 */
#ifndef COREHUB_PS_TOPIC_H
#define COREHUB_PS_TOPIC_H

#include <stddef.h>
#include <stdint.h>

#include <uthash.h>

#include "ps_props.h"
#include "tally.h"

#define PS_OBS_CHECK_DEFAULT	86400	/* RFC 7641 section 4.5 */
#define PS_RT_DATA		"core.ps.data"
#define PS_EXPIRES_MAX_S	(100LL * 366 * 86400)	/* timers never wrap */

struct ps_topic {
	uint64_t	 id;		/* config at <ps-path>/<id> */
	struct ps_props	 props;		/* data_uri is always set */
	int		 full;		/* FULLY CREATED: has a value */
	uint8_t		*value;
	size_t		 value_len;
	int		 value_cf;	/* -1: none given */
	uint64_t	 version;	/* of the value: its ETag */
	uint32_t	 lifetime;	/* legacy Max-Age lifetime, 0: none */
	char		*owner;		/* principal that created it, or NULL */
	uint64_t	 deadline;	/* monotonic ms of expiry, 0: none */
	struct bucket	 rate;		/* publishes per second */
	void		*app;		/* the front ends' state (observers) */
	struct ps_topic	*tprev, *tnext;	/* topics with a deadline */
	UT_hash_handle	 hh_id, hh_name, hh_data;
};

struct ps_limits {
	uint32_t	 max_topics;
	uint32_t	 max_subs;	/* per topic; 0: no cap */
	uint32_t	 rate;		/* publishes per second per topic, 0: off */
	size_t		 max_value;	/* bytes */
};

struct ps_registry {
	struct ps_topic	*by_id, *by_name, *by_data;
	size_t		 count;
	uint64_t	 next_id;
	char		*data_prefix;	/* "/ps/data": where data paths go */
	char		*legacy_prefix;	/* "/pubsub", or NULL: legacy paths */
	struct ps_limits lim;
	/*
	 * Topics with a deadline are few next to all, and publishes renew
	 * legacy lifetimes often: a list of them, and the earliest cached.
	 */
	struct ps_topic	*timed;
	uint64_t	 next;
	int		 next_valid;
	struct tally	 owners;	/* topics by owner (ps.c counts) */
};

enum ps_result {
	PS_OK = 0,
	PS_CREATED,		/* 2.01 */
	PS_ENOTFOUND,		/* 4.04 */
	PS_EINVAL,		/* 4.00 */
	PS_ECF,			/* 4.15: not the topic's content format */
	PS_ETOOLARGE,		/* 4.13 */
	PS_ERATE,		/* 4.29 + Max-Age */
	PS_EFULL,		/* 5.03: at the topic cap */
	PS_EBUSY,		/* 5.03: the store is busy or full */
	PS_EFAIL		/* 5.00 */
};

int		 ps_registry_init(struct ps_registry *r, const char *data_prefix,
		    const struct ps_limits *lim);
/* Lets data paths lie under the legacy front end's path too. */
int		 ps_registry_set_legacy(struct ps_registry *r,
		    const char *prefix);
/* Calls gone() for every topic before it is freed, when not NULL. */
void		 ps_registry_clear(struct ps_registry *r,
		    void (*gone)(struct ps_topic *, void *), void *arg);
struct ps_topic	*ps_topic_find(const struct ps_registry *r, uint64_t id);
struct ps_topic	*ps_topic_find_name(const struct ps_registry *r,
		    const char *name);
struct ps_topic	*ps_topic_find_data(const struct ps_registry *r,
		    const char *path);

/*
 * Checks a creation request (props as decoded) and completes it into
 * out: the data path when not given, the defaults. *why says what is
 * wrong on PS_EINVAL. Does not insert.
 */
enum ps_result	 ps_topic_prepare(const struct ps_registry *r,
		    const struct ps_props *in, uint64_t id, int64_t now_wall,
		    struct ps_props *out, const char **why);
/*
 * Inserts a topic with props (taken) and the id given; fully created with
 * the initialize value when there is one. NULL when out of memory.
 */
struct ps_topic	*ps_topic_insert(struct ps_registry *r, uint64_t id,
		    struct ps_props *props, uint64_t now_ms, int64_t now_wall);
/*
 * The configuration after an update: full (POST, optional properties not
 * given go back to their defaults) or partial (iPATCH). Immutable ones
 * may be repeated, not changed.
 */
enum ps_result	 ps_topic_updated(const struct ps_registry *r,
		    const struct ps_topic *t, const struct ps_props *in,
		    int partial, int64_t now_wall, struct ps_props *out,
		    const char **why);
/* Swaps in a new configuration (taken) and recomputes the deadline. */
void		 ps_topic_reconfigure(struct ps_registry *r, struct ps_topic *t,
		    struct ps_props *p, uint64_t now_ms, int64_t now_wall);
/* Moves t's deadline (0: none). */
void		 ps_topic_set_deadline(struct ps_registry *r, struct ps_topic *t,
		    uint64_t deadline);
void		 ps_topic_remove(struct ps_registry *r, struct ps_topic *t);

/* Whether a publish of len bytes in format cf (-1: none) may be taken. */
enum ps_result	 ps_topic_check_publish(const struct ps_topic *t, int cf,
		    size_t len, const struct ps_limits *lim);
/*
 * Takes a token of the publish rate; PS_ERATE with *retry_s set when
 * there is none.
 */
enum ps_result	 ps_topic_take_token(struct ps_topic *t,
		    const struct ps_limits *lim, uint64_t now_ms,
		    uint32_t *retry_s);
/* Stores the value (copied); -1 when out of memory. */
int		 ps_topic_set_value(struct ps_topic *t, const uint8_t *v,
		    size_t len, int cf);
/* Back to half created. */
void		 ps_topic_clear_value(struct ps_topic *t);
/* Legacy lifetimes: the topic expires lifetime s after now. */
void		 ps_topic_set_lifetime(struct ps_registry *r, struct ps_topic *t,
		    uint32_t lifetime, uint64_t now_ms, int64_t now_wall);

/* Whether t has every property of filter, with the same value. */
int		 ps_topic_matches(const struct ps_topic *t,
		    const struct ps_props *filter);
/* The earliest deadline (0: none), and the topics due at now_ms. */
uint64_t	 ps_registry_next_deadline(const struct ps_registry *r);
size_t		 ps_registry_due(const struct ps_registry *r, uint64_t now_ms,
		    struct ps_topic **out, size_t max);

const char	*ps_result_text(enum ps_result r);
unsigned int	 ps_result_code(enum ps_result r);

#endif
