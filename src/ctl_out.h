/*
 * ctl_out: what corehubctl prints. Aligned text tables whose cells are
 * made safe for a terminal (whatever the daemon sent, no control byte
 * reaches it), and a streaming JSON writer that escapes every string and
 * turns bytes that are not UTF-8 into U+FFFD, so that its output always
 * parses.
 */
#ifndef COREHUB_CTL_OUT_H
#define COREHUB_CTL_OUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define CTL_TABLE_COLS	8

struct ctl_table {
	size_t	  ncols;
	size_t	  nrows;	/* the header included */
	size_t	  cap;
	char	**cells;	/* nrows * ncols, owned */
	size_t	  width[CTL_TABLE_COLS];
	int	  failed;	/* out of memory: nothing is printed */
};

/* headers: ncols names (at most CTL_TABLE_COLS), or NULL for none. */
void	ctl_table_init(struct ctl_table *t, size_t ncols,
	    const char *const *headers);
/* ncols cells; NULL or "" shows as "-". */
void	ctl_table_add(struct ctl_table *t, const char *const *cells);
/* -1 when a row could not be kept. */
int	ctl_table_print(const struct ctl_table *t, FILE *out);
void	ctl_table_free(struct ctl_table *t);

/*
 * A copy of len bytes of s fit for a terminal line: valid UTF-8 stays,
 * control characters and invalid bytes become \xNN. NULL when out of
 * memory.
 */
char	*ctl_printable(const char *s, size_t len);
/* Whether s is UTF-8 with no control character but tab and newline. */
int	ctl_is_text(const uint8_t *s, size_t len);

#define CTL_JSON_DEPTH	16

struct ctl_json {
	FILE	*out;
	size_t	 depth;
	int	 first[CTL_JSON_DEPTH];	/* the level is still empty */
	int	 after_key;
	size_t	 beyond;		/* levels open past the depth */
	int	 overflow;		/* nested deeper than allowed */
};

void	ctl_json_init(struct ctl_json *j, FILE *out);
void	ctl_json_begin_object(struct ctl_json *j);
void	ctl_json_end_object(struct ctl_json *j);
void	ctl_json_begin_array(struct ctl_json *j);
void	ctl_json_end_array(struct ctl_json *j);
void	ctl_json_key(struct ctl_json *j, const char *key);
void	ctl_json_string(struct ctl_json *j, const char *s);
void	ctl_json_string_n(struct ctl_json *j, const char *s, size_t len);
void	ctl_json_int(struct ctl_json *j, int64_t v);
void	ctl_json_uint(struct ctl_json *j, uint64_t v);
/* Not finite: null, as JSON has no such numbers. */
void	ctl_json_double(struct ctl_json *j, double v);
void	ctl_json_bool(struct ctl_json *j, int v);
void	ctl_json_null(struct ctl_json *j);
/* A newline after the top-level value; -1 if anything went wrong. */
int	ctl_json_finish(struct ctl_json *j);

#endif
