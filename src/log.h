/*
 * log: the daemon's only way to say something. Owns the log level, the
 * target (stderr with <N> priority prefixes for journald, or syslog), the
 * -D debug token filter, and the rate limiter that keeps libraries from
 * flooding the journal. Every message carries a token naming the module.
 */
#ifndef COREHUB_LOG_H
#define COREHUB_LOG_H

#include <stdarg.h>

enum log_target {
	LOG_TARGET_STDERR = 0,
	LOG_TARGET_SYSLOG
};

/* Levels are syslog(3) priorities: LOG_ERR .. LOG_DEBUG. */
void	log_init(int level, enum log_target target);
void	log_set_level(int level);
int	log_get_level(void);
void	log_set_target(enum log_target target);
/* Comma-separated tokens; debug messages of other tokens are dropped. */
void	log_set_debug_filter(const char *tokens);
int	log_level_from_name(const char *name);
const char *log_level_name(int level);

void	log_warn(const char *token, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	log_warnx(const char *token, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	log_err(const char *token, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	log_notice(const char *token, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	log_info(const char *token, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	log_debug(const char *token, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Startup failures and broken invariants only: never for network input. */
void	fatalx(const char *token, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3), noreturn));

/*
 * Messages from libraries (libcoap, libevent) go through a token bucket so
 * that a flood of malformed packets costs one line per second, not one per
 * packet.
 */
void	log_limited(const char *token, int level, const char *msg);
/*
 * The same bucket for the daemon's own events that a client can repeat at
 * will (refusals, limits hit): logged, but never a flood.
 */
void	log_limitedf(const char *token, int level, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* Escapes a peer-supplied string (identities, names) for one log line. */
const char *log_escape(const char *s, size_t len, char *buf, size_t bufsz);

#endif
