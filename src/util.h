/*
 * util: small helpers with no better home: bounded file reading and strict
 * number parsing. Nothing here knows about CoAP or the daemon's state.
 */
#ifndef COREHUB_UTIL_H
#define COREHUB_UTIL_H

#include <stddef.h>

/*
 * Reads a whole regular file of at most max bytes into a NUL-terminated
 * buffer. Returns 0, or -1 with errno set (EFBIG when over max).
 */
int	util_read_file(const char *path, size_t max, char **buf, size_t *len);

/* A NUL-terminated copy of n bytes of s (which need not be terminated). */
char	*util_strndup(const char *s, size_t n);

/* Parses a decimal integer in [min, max]; returns 0 or -1 on any junk. */
int	util_parse_ll(const char *s, long long min, long long max,
	    long long *out);

#endif
