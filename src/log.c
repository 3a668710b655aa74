#include "ac_config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>

#include "log.h"

#define LOG_BURST	50	/* library messages let through at once */
#define LOG_RATE	10	/* and refilled per second afterwards */

static int		log_level = LOG_INFO;
static enum log_target	log_target = LOG_TARGET_STDERR;
static char		log_filter[256];
static double		log_tokens = LOG_BURST;
static struct timespec	log_last;
static unsigned long	log_dropped;

static const char *const level_names[] = {
	"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug"
};

void
log_init(int level, enum log_target target)
{
	log_set_level(level);
	log_set_target(target);
}

void
log_set_level(int level)
{
	if (level < LOG_ERR)
		level = LOG_ERR;
	if (level > LOG_DEBUG)
		level = LOG_DEBUG;
	log_level = level;
}

int
log_get_level(void)
{
	return log_level;
}

void
log_set_target(enum log_target target)
{
	if (target == log_target)
		return;
	if (log_target == LOG_TARGET_SYSLOG)
		closelog();
	log_target = target;
	if (target == LOG_TARGET_SYSLOG)
		openlog("corehubd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_set_debug_filter(const char *tokens)
{
	snprintf(log_filter, sizeof(log_filter), "%s", tokens ? tokens : "");
}

int
log_level_from_name(const char *name)
{
	for (size_t i = LOG_ERR; i < sizeof(level_names) / sizeof(*level_names);
	    i++)
		if (strcasecmp(name, level_names[i]) == 0)
			return (int)i;
	if (strcasecmp(name, "error") == 0)
		return LOG_ERR;
	if (strcasecmp(name, "warn") == 0)
		return LOG_WARNING;
	return -1;
}

const char *
log_level_name(int level)
{
	if (level < 0 || level > LOG_DEBUG)
		return "?";
	return level_names[level];
}

static int
token_wanted(const char *token)
{
	const char	*p = log_filter;
	size_t		 n = strlen(token);

	if (*p == '\0')
		return 1;
	while (*p != '\0') {
		size_t len = strcspn(p, ",");

		if (len == n && strncmp(p, token, n) == 0)
			return 1;
		p += len;
		if (*p == ',')
			p++;
	}
	return 0;
}

static void
log_emit(int level, const char *token, const char *msg)
{
	if (log_target == LOG_TARGET_SYSLOG) {
		syslog(level, "%s: %s", token, msg);
		return;
	}
	/* sd-daemon(3): journald turns the <N> prefix into a priority. */
	fprintf(stderr, "<%d>%s: %s\n", level, token, msg);
	fflush(stderr);
}

static void __attribute__((format(printf, 4, 0)))
log_vlog(int level, const char *token, int with_errno, const char *fmt,
    va_list ap)
{
	char	buf[1024];
	int	saved = errno;
	int	n;

	if (level > log_level)
		return;
	if (level == LOG_DEBUG && !token_wanted(token))
		return;
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (with_errno && n >= 0 && (size_t)n < sizeof(buf))
		snprintf(buf + n, sizeof(buf) - (size_t)n, ": %s",
		    strerror(saved));
	log_emit(level, token, buf);
	errno = saved;
}

#define LOG_FN(name, level, with_errno)					\
void									\
name(const char *token, const char *fmt, ...)				\
{									\
	va_list ap;							\
									\
	va_start(ap, fmt);						\
	log_vlog(level, token, with_errno, fmt, ap);			\
	va_end(ap);							\
}

LOG_FN(log_warn, LOG_WARNING, 1)
LOG_FN(log_warnx, LOG_WARNING, 0)
LOG_FN(log_err, LOG_ERR, 0)
LOG_FN(log_notice, LOG_NOTICE, 0)
LOG_FN(log_info, LOG_INFO, 0)
LOG_FN(log_debug, LOG_DEBUG, 0)

void
fatalx(const char *token, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vlog(LOG_CRIT, token, 0, fmt, ap);
	va_end(ap);
	exit(1);
}

static void
bucket_refill(void)
{
	struct timespec	now;
	double		elapsed;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if (log_last.tv_sec == 0 && log_last.tv_nsec == 0)
		log_last = now;
	elapsed = (double)(now.tv_sec - log_last.tv_sec) +
	    (double)(now.tv_nsec - log_last.tv_nsec) / 1e9;
	log_last = now;
	log_tokens += elapsed * LOG_RATE;
	if (log_tokens > LOG_BURST)
		log_tokens = LOG_BURST;
}

void
log_limited(const char *token, int level, const char *msg)
{
	char	buf[1024];
	size_t	len;

	if (level > log_level)
		return;
	if (level == LOG_DEBUG && !token_wanted(token))
		return;
	bucket_refill();
	if (log_tokens < 1) {
		log_dropped++;
		return;
	}
	log_tokens -= 1;
	if (log_dropped > 0) {
		snprintf(buf, sizeof(buf), "%lu messages suppressed",
		    log_dropped);
		log_emit(LOG_NOTICE, token, buf);
		log_dropped = 0;
	}
	/* Library messages end with a newline of their own. */
	len = strcspn(msg, "\n");
	snprintf(buf, sizeof(buf), "%.*s", (int)len, msg);
	log_emit(level, token, buf);
}

void
log_limitedf(const char *token, int level, const char *fmt, ...)
{
	char	buf[1024];
	va_list	ap;

	if (level > log_level)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	log_limited(token, level, buf);
}

const char *
log_escape(const char *s, size_t len, char *buf, size_t bufsz)
{
	size_t o = 0;

	if (bufsz == 0)
		return "";
	for (size_t i = 0; i < len && o + 5 < bufsz; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"')
			buf[o++] = (char)c;
		else
			o += (size_t)snprintf(buf + o, bufsz - o, "\\x%02x", c);
	}
	buf[o] = '\0';
	return buf;
}
