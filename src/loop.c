#include "ac_config.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <event2/event.h>

#include "log.h"
#include "loop.h"

#define LOOP_CONTEXTS_MAX	64

struct loop_coap {
	struct loop	*loop;
	coap_context_t	*ctx;
	struct event	*ev_fd;
	struct event	*ev_timer;
	uint64_t	 armed_ms;	/* when ev_timer was last computed */
};

struct loop {
	struct event_base	*base;
	struct loop_hooks	 hooks;
	struct event		*ev_sig[3];
	struct loop_coap	 coap[LOOP_CONTEXTS_MAX];
	size_t			 ncoap;
};

static void
loop_libevent_log(int severity, const char *msg)
{
	int level = LOG_DEBUG;

	if (severity == EVENT_LOG_WARN)
		level = LOG_WARNING;
	else if (severity == EVENT_LOG_ERR)
		level = LOG_ERR;
	else if (severity == EVENT_LOG_MSG)
		level = LOG_INFO;
	log_limited("libevent", level, msg);
}

static void
loop_signal(evutil_socket_t sig, short what, void *arg)
{
	struct loop *l = arg;

	switch (sig) {
	case SIGHUP:
		log_info("loop", "SIGHUP: reloading");
		if (l->hooks.reload != NULL)
			l->hooks.reload(l->hooks.arg);
		break;
	default:
		log_info("loop", "%s: shutting down",
		    sig == SIGTERM ? "SIGTERM" : "SIGINT");
		event_base_loopbreak(l->base);
		break;
	}
}

struct loop *
loop_new(const struct loop_hooks *hooks)
{
	struct loop	*l;
	const int	 sigs[3] = { SIGTERM, SIGINT, SIGHUP };

	event_set_log_callback(loop_libevent_log);
	if ((l = calloc(1, sizeof(*l))) == NULL)
		return NULL;
	if (hooks != NULL)
		l->hooks = *hooks;
	if ((l->base = event_base_new()) == NULL ||
	    event_base_priority_init(l->base, LOOP_PRIOS) == -1)
		goto fail;
	for (size_t i = 0; i < 3; i++) {
		l->ev_sig[i] = evsignal_new(l->base, sigs[i], loop_signal, l);
		if (l->ev_sig[i] == NULL ||
		    event_priority_set(l->ev_sig[i], LOOP_PRIO_HIGH) == -1 ||
		    event_add(l->ev_sig[i], NULL) == -1)
			goto fail;
	}
	signal(SIGPIPE, SIG_IGN);
	return l;
fail:
	log_err("loop", "cannot set up the event loop");
	loop_free(l);
	return NULL;
}

void
loop_free(struct loop *l)
{
	if (l == NULL)
		return;
	for (size_t i = 0; i < l->ncoap; i++) {
		if (l->coap[i].ev_fd)
			event_free(l->coap[i].ev_fd);
		if (l->coap[i].ev_timer)
			event_free(l->coap[i].ev_timer);
	}
	for (size_t i = 0; i < 3; i++)
		if (l->ev_sig[i])
			event_free(l->ev_sig[i]);
	if (l->base)
		event_base_free(l->base);
	free(l);
}

struct event_base *
loop_base(struct loop *l)
{
	return l->base;
}

/* How often the safety-net timer is recomputed under load, at most. */
#define LOOP_REARM_MS	100

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void
loop_coap_run(evutil_socket_t fd, short what, void *arg)
{
	struct loop_coap	*lc = arg;
	coap_tick_t		 now;
	unsigned int		 next_ms;
	struct timeval		 tv;
	uint64_t		 t;

	if (coap_io_process(lc->ctx, COAP_IO_NO_WAIT) < 0)
		log_warnx("loop", "coap_io_process failed");
	/*
	 * libcoap's own timerfd normally wakes the descriptor; this timer is
	 * the safety net for a context whose timerfd could not be created.
	 * Computing it walks every session, so under load it is refreshed
	 * at most every LOOP_REARM_MS, not after every batch of packets.
	 */
	t = mono_ms();
	if (what != EV_TIMEOUT && evtimer_pending(lc->ev_timer, NULL) &&
	    t - lc->armed_ms < LOOP_REARM_MS)
		return;
	lc->armed_ms = t;
	coap_ticks(&now);
	next_ms = coap_io_prepare_epoll(lc->ctx, now);
	if (next_ms == 0 || next_ms > 1000)
		next_ms = 1000;	/* nothing due: look again in a second */
	tv.tv_sec = next_ms / 1000;
	tv.tv_usec = (suseconds_t)(next_ms % 1000) * 1000;
	evtimer_add(lc->ev_timer, &tv);
}

int
loop_coap_attach(struct loop *l, coap_context_t *ctx)
{
	struct loop_coap	*lc;
	int			 fd;

	if (l->ncoap == LOOP_CONTEXTS_MAX) {
		log_err("loop", "too many CoAP contexts");
		return -1;
	}
	if ((fd = coap_context_get_coap_fd(ctx)) == -1) {
		log_err("loop", "libcoap was built without epoll support");
		return -1;
	}
	lc = &l->coap[l->ncoap];
	lc->loop = l;
	lc->ctx = ctx;
	/* Level-triggered: a pass handles a batch and the fd stays ready. */
	lc->ev_fd = event_new(l->base, fd, EV_READ | EV_PERSIST,
	    loop_coap_run, lc);
	lc->ev_timer = evtimer_new(l->base, loop_coap_run, lc);
	l->ncoap++;
	if (lc->ev_fd == NULL || lc->ev_timer == NULL ||
	    event_priority_set(lc->ev_fd, LOOP_PRIO_HIGH) == -1 ||
	    event_priority_set(lc->ev_timer, LOOP_PRIO_HIGH) == -1 ||
	    event_add(lc->ev_fd, NULL) == -1) {
		log_err("loop", "cannot watch the libcoap descriptor");
		return -1;
	}
	return 0;
}

int
loop_run(struct loop *l)
{
	if (event_base_dispatch(l->base) == -1) {
		log_err("loop", "event loop failed");
		return -1;
	}
	return 0;
}

void
loop_stop(struct loop *l)
{
	event_base_loopbreak(l->base);
}

static long
elapsed_ms(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - since->tv_sec) * 1000 +
	    (now.tv_nsec - since->tv_nsec) / 1000000;
}

void
loop_drain(struct loop *l, unsigned int timeout_ms)
{
	struct timespec	start;
	int		busy = 1;

	clock_gettime(CLOCK_MONOTONIC, &start);
	while (busy && elapsed_ms(&start) < (long)timeout_ms) {
		busy = 0;
		for (size_t i = 0; i < l->ncoap; i++) {
			if (coap_can_exit(l->coap[i].ctx))
				continue;
			busy = 1;
			/* Bounded wait on this context only: no busy loop. */
			coap_io_process(l->coap[i].ctx, 50);
		}
	}
	if (busy)
		log_info("loop", "shutdown: gave up waiting for peers");
}

/*
 * Idle work: fn runs when the loop has nothing more urgent to do (the idle
 * event has the lowest priority, so a burst of requests is served first),
 * and at the latest max_delay_us after it was armed.
 */
struct loop_idle {
	struct event	*idle, *deadline;
	struct timeval	 max_delay;
	void		(*fn)(void *);
	void		*arg;
};

static void
loop_idle_run(evutil_socket_t fd, short what, void *arg)
{
	struct loop_idle *li = arg;

	(void)fd;
	(void)what;
	event_del(li->idle);
	evtimer_del(li->deadline);
	li->fn(li->arg);
}

struct loop_idle *
loop_idle_new(struct loop *l, unsigned int max_delay_us, void (*fn)(void *),
    void *arg)
{
	struct loop_idle *li;

	if ((li = calloc(1, sizeof(*li))) == NULL)
		return NULL;
	li->fn = fn;
	li->arg = arg;
	li->max_delay.tv_sec = max_delay_us / 1000000;
	li->max_delay.tv_usec = max_delay_us % 1000000;
	if ((li->idle = evtimer_new(l->base, loop_idle_run, li)) == NULL ||
	    (li->deadline = evtimer_new(l->base, loop_idle_run, li)) == NULL ||
	    event_priority_set(li->idle, LOOP_PRIO_IDLE) == -1 ||
	    event_priority_set(li->deadline, LOOP_PRIO_HIGH) == -1) {
		loop_idle_free(li);
		return NULL;
	}
	return li;
}

void
loop_idle_arm(struct loop_idle *li)
{
	event_active(li->idle, EV_TIMEOUT, 0);
	evtimer_add(li->deadline, &li->max_delay);
}

void
loop_idle_free(struct loop_idle *li)
{
	if (li == NULL)
		return;
	if (li->idle)
		event_free(li->idle);
	if (li->deadline)
		event_free(li->deadline);
	free(li);
}
