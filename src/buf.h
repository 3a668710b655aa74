/*
 * buf: a growable byte buffer with a hard cap, for building responses and
 * serialised link-format without ever growing past what the caller allows.
 */
#ifndef COREHUB_BUF_H
#define COREHUB_BUF_H

#include <stddef.h>

struct buf {
	char	*data;		/* NUL-terminated while len < cap */
	size_t	 len;
	size_t	 cap;
	size_t	 max;		/* 0: unbounded */
	int	 overflow;	/* a write did not fit under max */
};

void	buf_init(struct buf *b, size_t max);
void	buf_free(struct buf *b);
void	buf_reset(struct buf *b);
/* Return 0, or -1 when out of memory or over max (then overflow is set). */
int	buf_add(struct buf *b, const void *p, size_t n);
int	buf_addstr(struct buf *b, const char *s);
int	buf_addc(struct buf *b, char c);
int	buf_printf(struct buf *b, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
/* Hands the NUL-terminated data to the caller and empties the buffer. */
char	*buf_release(struct buf *b);

#endif
