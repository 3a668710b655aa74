/*
 * store: the SQLite database, the only module that speaks SQL. Owns opening
 * (WAL, busy timeout, a single-instance lock), the integrity check at start,
 * the schema version and its migrations, and closing with a checkpoint.
 */
#ifndef COREHUB_STORE_H
#define COREHUB_STORE_H

struct store;

enum store_status {
	STORE_OK = 0,
	STORE_ERROR = -1,	/* I/O, permissions, out of memory */
	STORE_CORRUPT = -2,	/* fails quick_check or is not a database */
	STORE_LOCKED = -3,	/* another corehubd has it open */
	STORE_TOO_NEW = -4	/* written by a newer corehubd */
};

#define STORE_SCHEMA_VERSION	5

#include <stddef.h>
#include <stdint.h>

struct lf_doc;
struct rd_content;

/* Results of a write: what the caller maps onto 5.03 or 5.00. */
enum store_write {
	STORE_WRITE_OK = 0,
	STORE_WRITE_BUSY = -1,	/* locked or disk full: try again later */
	STORE_WRITE_FAILED = -2	/* I/O error, corruption, out of memory */
};

/* Opens (creating if needed) and checks the database at path. */
enum store_status store_open(const char *path, struct store **out);
int		store_schema_version(struct store *s);
/*
 * Durability of each commit: FULL survives power loss, NORMAL (WAL)
 * survives a crash of the process but may lose the last commits on power
 * loss, for several times the write rate. Returns 0 or -1.
 */
int		store_set_sync(struct store *s, int full);

/*
 * Registrations. A save is one committed row (insert or replace by id);
 * it returns only once SQLite has committed it.
 */
enum store_write store_rd_save(struct store *s, uint64_t id, const char *ep,
		    const char *d, const struct rd_content *c,
		    const struct lf_doc *links, int64_t expires);
enum store_write store_rd_delete(struct store *s, uint64_t id);
/*
 * Group commit: writes between store_begin() and store_commit() become
 * durable together. After any failed write or commit, store_rollback().
 */
enum store_write store_begin(struct store *s);
enum store_write store_commit(struct store *s);
void		store_rollback(struct store *s);
/*
 * Calls fn for every stored registration, with a content it hands over.
 * Rows that no longer parse are logged and skipped. Returns 0 or -1.
 */
int		store_rd_load(struct store *s,
		    int (*fn)(void *arg, uint64_t id, const char *ep,
		    const char *d, struct rd_content *c, int64_t expires),
		    void *arg);
/*
 * Broker topics: the configuration (CBOR, as the broker encodes it) with
 * the legacy lifetime, and separately the last value, so that a publish
 * rewrites only that.
 */
struct store_ps_row {
	uint64_t	 id;
	const void	*config;
	size_t		 config_len;
	uint32_t	 lifetime;
	int		 full;
	const void	*value;
	size_t		 value_len;
	int		 value_cf;	/* -1: none */
	const char	*owner;		/* NULL: none recorded */
};
enum store_write store_ps_save(struct store *s, uint64_t id,
		    const uint8_t *config, size_t len, uint32_t lifetime,
		    const char *owner);
enum store_write store_ps_value(struct store *s, uint64_t id, int full,
		    const uint8_t *value, size_t len, int cf);
enum store_write store_ps_delete(struct store *s, uint64_t id);
/* Calls fn for every stored topic; the row is valid during the call. */
int		store_ps_load(struct store *s,
		    int (*fn)(void *arg, const struct store_ps_row *row),
		    void *arg);
/* Test hook: make every later write fail as if the disk were full. */
void		store_fail_writes(struct store *s, int on);
void		store_close(struct store *s);
/* Bytes on disk: the database, its write-ahead log and shared memory. */
uint64_t	store_size(void *s);

#endif
