#include "ac_config.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ps_topic.h"

int
ps_registry_init(struct ps_registry *r, const char *data_prefix,
    const struct ps_limits *lim)
{
	memset(r, 0, sizeof(*r));
	r->next_id = 1;
	r->lim = *lim;
	return (r->data_prefix = strdup(data_prefix)) == NULL ? -1 : 0;
}

static void
topic_free(struct ps_topic *t)
{
	ps_props_clear(&t->props);
	free(t->value);
	free(t->owner);
	free(t);
}

void
ps_registry_clear(struct ps_registry *r,
    void (*gone)(struct ps_topic *, void *), void *arg)
{
	struct ps_topic *t, *tmp;

	HASH_ITER(hh_id, r->by_id, t, tmp) {
		if (gone != NULL)
			gone(t, arg);
		ps_topic_remove(r, t);
	}
	free(r->data_prefix);
	free(r->legacy_prefix);
	r->data_prefix = r->legacy_prefix = NULL;
	tally_clear(&r->owners);
}

struct ps_topic *
ps_topic_find(const struct ps_registry *r, uint64_t id)
{
	struct ps_topic *t;

	HASH_FIND(hh_id, r->by_id, &id, sizeof(id), t);
	return t;
}

struct ps_topic *
ps_topic_find_name(const struct ps_registry *r, const char *name)
{
	struct ps_topic *t;

	HASH_FIND(hh_name, r->by_name, name, strlen(name), t);
	return t;
}

struct ps_topic *
ps_topic_find_data(const struct ps_registry *r, const char *path)
{
	struct ps_topic *t;

	HASH_FIND(hh_data, r->by_data, path, strlen(path), t);
	return t;
}

int
ps_registry_set_legacy(struct ps_registry *r, const char *prefix)
{
	free(r->legacy_prefix);
	r->legacy_prefix = NULL;
	return prefix && (r->legacy_prefix = strdup(prefix)) == NULL ? -1 : 0;
}

static int
under(const char *p, const char *prefix)
{
	size_t n = prefix ? strlen(prefix) : 0;

	return prefix != NULL && strncmp(p, prefix, n) == 0 && p[n] == '/' &&
	    p[n + 1] != '\0';
}

/* A data path a client chose: under a data prefix, plain segments. */
static int
all_digits(const char *s)
{
	if (*s == '\0')
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

static int
data_path_ok(const struct ps_registry *r, const char *p)
{
	/* <data-prefix>/<number> is what the broker gives out itself. */
	if (under(p, r->data_prefix) &&
	    all_digits(p + strlen(r->data_prefix) + 1))
		return 0;
	if (under(p, r->data_prefix))
		p += strlen(r->data_prefix);
	else if (under(p, r->legacy_prefix))
		p += strlen(r->legacy_prefix);
	else
		return 0;
	p++;
	for (; *p; p++) {
		if (*p == '/' && (p[1] == '/' || p[1] == '\0'))
			return 0;
		/* No dot segments: the path must name itself. */
		if (p[-1] == '/' && p[0] == '.' && (p[1] == '/' ||
		    p[1] == '\0' || (p[1] == '.' && (p[2] == '/' ||
		    p[2] == '\0'))))
			return 0;
		if (*p != '/' && *p != '-' && *p != '_' && *p != '.' &&
		    !(*p >= '0' && *p <= '9') && !(*p >= 'a' && *p <= 'z') &&
		    !(*p >= 'A' && *p <= 'Z'))
			return 0;
	}
	return 1;
}

static void
set_defaults(struct ps_props *p)
{
	if (!(p->present & PS_P_OBS_CHECK)) {
		p->obs_check = PS_OBS_CHECK_DEFAULT;
		p->present |= PS_P_OBS_CHECK;
	}
}

/* What every configuration must satisfy, at creation and update. */
static enum ps_result
check_common(const struct ps_registry *r, struct ps_props *p,
    int64_t now_wall, const char **why)
{
	if ((p->present & PS_P_INIT) && !(p->present & PS_P_CF)) {
		*why = "initialize needs topic-content-format";
		return PS_EINVAL;
	}
	if ((p->present & PS_P_INIT) && r->lim.max_value &&
	    p->init_len > r->lim.max_value) {
		*why = "initialize is too large";
		return PS_EINVAL;
	}
	if ((p->present & PS_P_EXPIRES) && p->expires <= now_wall) {
		*why = "expiration-date is in the past";
		return PS_EINVAL;
	}
	/* A hint the broker may lower (draft section 3.2). */
	if (r->lim.max_subs && (!(p->present & PS_P_MAX_SUBS) ||
	    p->max_subs > r->lim.max_subs)) {
		p->max_subs = r->lim.max_subs;
		p->present |= PS_P_MAX_SUBS;
	}
	set_defaults(p);
	return PS_OK;
}

enum ps_result
ps_topic_prepare(const struct ps_registry *r, const struct ps_props *in,
    uint64_t id, int64_t now_wall, struct ps_props *out, const char **why)
{
	char		path[PS_URI_MAX + 32];
	enum ps_result	res;

	memset(out, 0, sizeof(*out));
	if ((in->present & (PS_P_NAME | PS_P_RT)) != (PS_P_NAME | PS_P_RT)) {
		*why = "topic-name and resource-type are required";
		return PS_EINVAL;
	}
	if (ps_topic_find_name(r, in->name) != NULL) {
		*why = "topic-name is in use";
		return PS_EINVAL;
	}
	if ((in->present & PS_P_DATA) && (!data_path_ok(r, in->data_uri) ||
	    ps_topic_find_data(r, in->data_uri) != NULL)) {
		*why = "topic-data must be a free path under the data path";
		return PS_EINVAL;
	}
	if (r->count >= r->lim.max_topics) {
		*why = "too many topics";
		return PS_EFULL;
	}
	if (ps_props_copy(out, in) == -1)
		return PS_EFAIL;
	if (!(out->present & PS_P_DATA)) {
		snprintf(path, sizeof(path), "%s/%" PRIu64, r->data_prefix,
		    id);
		if ((out->data_uri = strdup(path)) == NULL) {
			ps_props_clear(out);
			return PS_EFAIL;
		}
		out->present |= PS_P_DATA;
	}
	if ((res = check_common(r, out, now_wall, why)) != PS_OK)
		ps_props_clear(out);
	return res;
}

static uint64_t
deadline_of(const struct ps_props *p, uint64_t now_ms, int64_t now_wall)
{
	if (!(p->present & PS_P_EXPIRES))
		return 0;
	if (p->expires <= now_wall)
		return now_ms ? now_ms : 1;
	/* Far enough is forever: a century keeps the sum from wrapping. */
	if (p->expires - now_wall > PS_EXPIRES_MAX_S)
		return now_ms + (uint64_t)PS_EXPIRES_MAX_S * 1000;
	return now_ms + (uint64_t)(p->expires - now_wall) * 1000;
}

void
ps_topic_set_deadline(struct ps_registry *r, struct ps_topic *t,
    uint64_t deadline)
{
	uint64_t old = t->deadline;

	if (old == 0 && deadline != 0) {
		t->tprev = NULL;
		t->tnext = r->timed;
		if (r->timed != NULL)
			r->timed->tprev = t;
		r->timed = t;
	} else if (old != 0 && deadline == 0) {
		if (t->tprev != NULL)
			t->tprev->tnext = t->tnext;
		else
			r->timed = t->tnext;
		if (t->tnext != NULL)
			t->tnext->tprev = t->tprev;
		t->tprev = t->tnext = NULL;
	}
	t->deadline = deadline;
	/* The cache stays right unless the earliest one moved later. */
	if (!r->next_valid)
		return;
	if (deadline != 0 && deadline < r->next)
		r->next = deadline;
	else if (old != 0 && old == r->next && deadline != old)
		r->next_valid = 0;
}

struct ps_topic *
ps_topic_insert(struct ps_registry *r, uint64_t id, struct ps_props *props,
    uint64_t now_ms, int64_t now_wall)
{
	struct ps_topic *t;

	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->id = id;
	t->value_cf = -1;
	if ((props->present & PS_P_INIT) &&
	    ps_topic_set_value(t, props->init, props->init_len,
	    (int)props->cf) == -1) {
		free(t);
		return NULL;
	}
	t->props = *props;
	memset(props, 0, sizeof(*props));
	ps_topic_set_deadline(r, t, deadline_of(&t->props, now_ms, now_wall));
	HASH_ADD(hh_id, r->by_id, id, sizeof(t->id), t);
	HASH_ADD_KEYPTR(hh_name, r->by_name, t->props.name,
	    strlen(t->props.name), t);
	HASH_ADD_KEYPTR(hh_data, r->by_data, t->props.data_uri,
	    strlen(t->props.data_uri), t);
	r->count++;
	if (id >= r->next_id)
		r->next_id = id + 1;
	return t;
}

/* memcmp() may not be given NULL, even for no bytes. */
static int
same_bytes(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

static int
same_str(const char *a, const char *b)
{
	return strcmp(a, b) == 0;
}

enum ps_result
ps_topic_updated(const struct ps_registry *r, const struct ps_topic *t,
    const struct ps_props *in, int partial, int64_t now_wall,
    struct ps_props *out, const char **why)
{
	const struct ps_props	*cur = &t->props;
	enum ps_result		 res;
	uint32_t		 keep;

	memset(out, 0, sizeof(*out));
	if (((in->present & PS_P_NAME) && !same_str(in->name, cur->name)) ||
	    ((in->present & PS_P_DATA) &&
	    !same_str(in->data_uri, cur->data_uri)) ||
	    ((in->present & PS_P_RT) && !same_str(in->rt, cur->rt))) {
		*why = "topic-name, topic-data and resource-type cannot change";
		return PS_EINVAL;
	}
	if ((in->present & PS_P_INIT) && (!(cur->present & PS_P_INIT) ||
	    !same_bytes(in->init, in->init_len, cur->init, cur->init_len))) {
		*why = "initialize applies at creation only";
		return PS_EINVAL;
	}
	/* Start from what stays: everything (iPATCH) or the fixed part. */
	keep = partial ? PS_P_ALL : PS_P_NAME | PS_P_DATA | PS_P_RT | PS_P_INIT;
	if (ps_props_copy(out, cur) == -1)
		return PS_EFAIL;
	out->present &= keep;
	if (!partial && r->lim.max_subs == 0)
		out->max_subs = 0;
	if (in->present & PS_P_CF)
		out->cf = in->cf;
	if (in->present & PS_P_TYPE) {
		free(out->type);
		if ((out->type = strdup(in->type)) == NULL) {
			ps_props_clear(out);
			return PS_EFAIL;
		}
	}
	if (in->present & PS_P_EXPIRES)
		out->expires = in->expires;
	if (in->present & PS_P_MAX_SUBS)
		out->max_subs = in->max_subs;
	if (in->present & PS_P_OBS_CHECK)
		out->obs_check = in->obs_check;
	if (in->present & PS_P_VOLATILE)
		out->volatile_ = in->volatile_;
	out->present |= in->present & (PS_P_CF | PS_P_TYPE | PS_P_EXPIRES |
	    PS_P_MAX_SUBS | PS_P_OBS_CHECK | PS_P_VOLATILE);
	if ((res = check_common(r, out, now_wall, why)) != PS_OK)
		ps_props_clear(out);
	return res;
}

void
ps_topic_reconfigure(struct ps_registry *r, struct ps_topic *t,
    struct ps_props *p, uint64_t now_ms, int64_t now_wall)
{
	/* name and data are immutable and key the tables: t keeps its own. */
	free(p->name);
	free(p->data_uri);
	p->name = t->props.name;
	p->data_uri = t->props.data_uri;
	t->props.name = t->props.data_uri = NULL;
	ps_props_clear(&t->props);
	t->props = *p;
	memset(p, 0, sizeof(*p));
	if (t->lifetime == 0)
		ps_topic_set_deadline(r, t, deadline_of(&t->props, now_ms,
		    now_wall));
}

void
ps_topic_remove(struct ps_registry *r, struct ps_topic *t)
{
	ps_topic_set_deadline(r, t, 0);
	(void)tally_add(&r->owners, t->owner, -1);
	HASH_DELETE(hh_id, r->by_id, t);
	HASH_DELETE(hh_name, r->by_name, t);
	HASH_DELETE(hh_data, r->by_data, t);
	r->count--;
	topic_free(t);
}

enum ps_result
ps_topic_check_publish(const struct ps_topic *t, int cf, size_t len,
    const struct ps_limits *lim)
{
	if ((t->props.present & PS_P_CF) && cf != (int)t->props.cf)
		return PS_ECF;
	if (lim->max_value && len > lim->max_value)
		return PS_ETOOLARGE;
	return PS_OK;
}

enum ps_result
ps_topic_take_token(struct ps_topic *t, const struct ps_limits *lim,
    uint64_t now_ms, uint32_t *retry_s)
{
	return bucket_take(&t->rate, lim->rate, now_ms, retry_s) == 0 ?
	    PS_OK : PS_ERATE;
}

int
ps_topic_set_value(struct ps_topic *t, const uint8_t *v, size_t len, int cf)
{
	uint8_t *copy = malloc(len ? len : 1);

	if (copy == NULL)
		return -1;
	if (len)
		memcpy(copy, v, len);
	free(t->value);
	t->value = copy;
	t->value_len = len;
	t->value_cf = cf;
	t->full = 1;
	t->version++;
	return 0;
}

void
ps_topic_clear_value(struct ps_topic *t)
{
	free(t->value);
	t->value = NULL;
	t->value_len = 0;
	t->value_cf = -1;
	t->full = 0;
}

void
ps_topic_set_lifetime(struct ps_registry *r, struct ps_topic *t,
    uint32_t lifetime, uint64_t now_ms, int64_t now_wall)
{
	t->lifetime = lifetime;
	if (lifetime == 0) {
		t->props.present &= ~PS_P_EXPIRES;
		ps_topic_set_deadline(r, t, 0);
		return;
	}
	t->props.expires = now_wall + lifetime;
	t->props.present |= PS_P_EXPIRES;
	ps_topic_set_deadline(r, t, now_ms + (uint64_t)lifetime * 1000);
}

static int
str_eq(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

int
ps_topic_matches(const struct ps_topic *t, const struct ps_props *f)
{
	const struct ps_props *p = &t->props;

	if ((f->present & p->present) != f->present)
		return 0;
	return (!(f->present & PS_P_NAME) || str_eq(f->name, p->name)) &&
	    (!(f->present & PS_P_DATA) || str_eq(f->data_uri, p->data_uri)) &&
	    (!(f->present & PS_P_RT) || str_eq(f->rt, p->rt)) &&
	    (!(f->present & PS_P_CF) || f->cf == p->cf) &&
	    (!(f->present & PS_P_TYPE) || str_eq(f->type, p->type)) &&
	    (!(f->present & PS_P_EXPIRES) || f->expires == p->expires) &&
	    (!(f->present & PS_P_MAX_SUBS) || f->max_subs == p->max_subs) &&
	    (!(f->present & PS_P_OBS_CHECK) ||
	    f->obs_check == p->obs_check) &&
	    (!(f->present & PS_P_INIT) ||
	    same_bytes(f->init, f->init_len, p->init, p->init_len)) &&
	    (!(f->present & PS_P_VOLATILE) ||
	    !f->volatile_ == !p->volatile_);
}

uint64_t
ps_registry_next_deadline(const struct ps_registry *cr)
{
	struct ps_registry	*r = (struct ps_registry *)(uintptr_t)cr;
	const struct ps_topic	*t;
	uint64_t		 next = 0;

	if (r->next_valid)
		return r->next;
	for (t = r->timed; t != NULL; t = t->tnext)
		if (next == 0 || t->deadline < next)
			next = t->deadline;
	r->next = next;
	r->next_valid = next != 0;
	return next;
}

size_t
ps_registry_due(const struct ps_registry *r, uint64_t now_ms,
    struct ps_topic **out, size_t max)
{
	struct ps_topic	*t;
	size_t		 n = 0;

	for (t = r->timed; t != NULL && n < max; t = t->tnext)
		if (t->deadline <= now_ms)
			out[n++] = t;
	return n;
}

const char *
ps_result_text(enum ps_result r)
{
	switch (r) {
	case PS_OK:
	case PS_CREATED:
		return "ok";
	case PS_ENOTFOUND:
		return "no such topic";
	case PS_EINVAL:
		return "invalid request";
	case PS_ECF:
		return "not the topic's content format";
	case PS_ETOOLARGE:
		return "value too large";
	case PS_ERATE:
		return "publishing too fast";
	case PS_EFULL:
		return "too many topics";
	case PS_EBUSY:
		return "storage busy";
	case PS_EFAIL:
		return "internal error";
	}
	return "?";
}

unsigned int
ps_result_code(enum ps_result r)
{
	switch (r) {
	case PS_OK:
		return 204;
	case PS_CREATED:
		return 201;
	case PS_ENOTFOUND:
		return 404;
	case PS_EINVAL:
		return 400;
	case PS_ECF:
		return 415;
	case PS_ETOOLARGE:
		return 413;
	case PS_ERATE:
		return 429;
	case PS_EFULL:
	case PS_EBUSY:
		return 503;
	case PS_EFAIL:
		return 500;
	}
	return 500;
}
