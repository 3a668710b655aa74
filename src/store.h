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

#define STORE_SCHEMA_VERSION	1

/* Opens (creating if needed) and checks the database at path. */
enum store_status store_open(const char *path, struct store **out);
int		store_schema_version(struct store *s);
void		store_close(struct store *s);

#endif
