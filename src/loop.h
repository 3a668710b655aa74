/*
 * loop: the one event loop. Owns the libevent base, the signal events
 * (SIGTERM/SIGINT stop, SIGHUP reloads, SIGPIPE ignored), and the bridge
 * that makes each libcoap context one event source: its epoll descriptor,
 * level-triggered, processed with COAP_IO_NO_WAIT, plus a safety-net timer
 * for libcoap's next deadline. One thread; nothing here sleeps.
 */
#ifndef COREHUB_LOOP_H
#define COREHUB_LOOP_H

#include <coap3/coap.h>

struct event_base;
struct loop;

/*
 * Event priorities: I/O, timers and signals run first; idle work (the
 * directory's group commit) only when nothing else is ready.
 */
#define LOOP_PRIO_HIGH	0
#define LOOP_PRIO_IDLE	1
#define LOOP_PRIOS	2

struct loop_hooks {
	void	(*reload)(void *arg);	/* SIGHUP */
	void	*arg;
};

struct loop	*loop_new(const struct loop_hooks *hooks);
void		 loop_free(struct loop *l);
struct event_base *loop_base(struct loop *l);
/* Makes ctx an event source; fails if libcoap was built without epoll. */
int		 loop_coap_attach(struct loop *l, coap_context_t *ctx);
/* Runs until SIGTERM/SIGINT or loop_stop(); returns 0 or -1. */
int		 loop_run(struct loop *l);
void		 loop_stop(struct loop *l);
/*
 * After the loop stops: lets libcoap finish what it owes peers (pending
 * confirmable messages, TLS close) until every context can exit or
 * timeout_ms passes.
 */
void		 loop_drain(struct loop *l, unsigned int timeout_ms);

/*
 * Idle work (group commit): fn runs once the loop has nothing more urgent
 * to do, and at the latest max_delay_us after loop_idle_arm().
 */
struct loop_idle;
struct loop_idle *loop_idle_new(struct loop *l, unsigned int max_delay_us,
		    void (*fn)(void *), void *arg);
void		 loop_idle_arm(struct loop_idle *li);
void		 loop_idle_free(struct loop_idle *li);

#endif
