#include "ac_config.h"

#include <sys/file.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "log.h"
#include "store.h"

struct store {
	sqlite3	*db;
	int	 lockfd;
	char	*path;
};

/*
 * Migrations from version N-1 to N, in order. A migration runs in the same
 * transaction as the user_version bump, so a crash leaves the old schema.
 */
static const char *const migrations[STORE_SCHEMA_VERSION] = {
	/* 1: the meta table for facts about the database itself. */
	"CREATE TABLE meta (key TEXT PRIMARY KEY NOT NULL, value TEXT);"
	"INSERT INTO meta (key, value) VALUES ('created_by', 'corehubd "
	PACKAGE_VERSION "');",
};

static int
exec(struct store *s, const char *sql)
{
	char *err = NULL;

	if (sqlite3_exec(s->db, sql, NULL, NULL, &err) != SQLITE_OK) {
		log_err("store", "%s: %s", s->path, err ? err :
		    sqlite3_errmsg(s->db));
		sqlite3_free(err);
		return -1;
	}
	return 0;
}

static int
pragma_int(struct store *s, const char *sql, int *out)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK)
		return sqlite3_errcode(s->db);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		*out = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? SQLITE_OK : rc;
}

static enum store_status
check_integrity(struct store *s)
{
	sqlite3_stmt		*st;
	const unsigned char	*res = NULL;
	int			 rc;

	rc = sqlite3_prepare_v2(s->db, "PRAGMA quick_check(1)", -1, &st,
	    NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
		res = sqlite3_column_text(st, 0);
	if (res != NULL && strcmp((const char *)res, "ok") == 0) {
		sqlite3_finalize(st);
		return STORE_OK;
	}
	log_err("store", "%s: the database is corrupt (%s); move it aside "
	    "or restore a backup", s->path,
	    res ? (const char *)res : sqlite3_errmsg(s->db));
	sqlite3_finalize(st);
	return STORE_CORRUPT;
}

static enum store_status
migrate(struct store *s)
{
	int version = 0;

	if (pragma_int(s, "PRAGMA user_version", &version) != SQLITE_OK) {
		log_err("store", "%s: %s", s->path, sqlite3_errmsg(s->db));
		return STORE_CORRUPT;
	}
	if (version > STORE_SCHEMA_VERSION) {
		log_err("store", "%s: schema version %d is newer than this "
		    "corehubd understands (%d)", s->path, version,
		    STORE_SCHEMA_VERSION);
		return STORE_TOO_NEW;
	}
	for (; version < STORE_SCHEMA_VERSION; version++) {
		char bump[64];

		snprintf(bump, sizeof(bump), "PRAGMA user_version = %d;",
		    version + 1);
		if (exec(s, "BEGIN IMMEDIATE;") == -1)
			return STORE_ERROR;
		if (exec(s, migrations[version]) == -1 || exec(s, bump) == -1) {
			exec(s, "ROLLBACK;");
			return STORE_ERROR;
		}
		if (exec(s, "COMMIT;") == -1)
			return STORE_ERROR;
		log_info("store", "%s: schema upgraded to version %d",
		    s->path, version + 1);
	}
	return STORE_OK;
}

/* One daemon per database: a second would corrupt the in-memory view. */
static enum store_status
take_lock(struct store *s)
{
	char path[4096];

	if ((size_t)snprintf(path, sizeof(path), "%s.lock", s->path) >=
	    sizeof(path)) {
		log_err("store", "%s: path too long", s->path);
		return STORE_ERROR;
	}
	s->lockfd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (s->lockfd == -1) {
		log_err("store", "%s: %s", path, strerror(errno));
		return STORE_ERROR;
	}
	if (flock(s->lockfd, LOCK_EX | LOCK_NB) == -1) {
		log_err("store", "%s: in use by another corehubd", s->path);
		return STORE_LOCKED;
	}
	return STORE_OK;
}

static enum store_status
configure(struct store *s)
{
	int rc;

	sqlite3_busy_timeout(s->db, 2000);
	/* The first read tells a non-database file from a database. */
	rc = sqlite3_exec(s->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
	if (rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT) {
		log_err("store", "%s: not a corehub database or corrupt: %s",
		    s->path, sqlite3_errmsg(s->db));
		return STORE_CORRUPT;
	}
	if (rc != SQLITE_OK) {
		log_err("store", "%s: %s", s->path, sqlite3_errmsg(s->db));
		return STORE_ERROR;
	}
	if (exec(s, "PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;"
	    "PRAGMA journal_size_limit=67108864;") == -1)
		return STORE_ERROR;
	return STORE_OK;
}

enum store_status
store_open(const char *path, struct store **out)
{
	struct store		*s;
	enum store_status	 st;

	*out = NULL;
	if ((s = calloc(1, sizeof(*s))) == NULL ||
	    (s->path = strdup(path)) == NULL) {
		free(s);
		log_err("store", "out of memory");
		return STORE_ERROR;
	}
	s->lockfd = -1;
	if ((st = take_lock(s)) != STORE_OK)
		goto fail;
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		log_err("store", "%s: %s", path, s->db ?
		    sqlite3_errmsg(s->db) : "out of memory");
		st = STORE_ERROR;
		goto fail;
	}
	if ((st = configure(s)) != STORE_OK ||
	    (st = check_integrity(s)) != STORE_OK ||
	    (st = migrate(s)) != STORE_OK)
		goto fail;
	*out = s;
	return STORE_OK;
fail:
	store_close(s);
	return st;
}

int
store_schema_version(struct store *s)
{
	int v = -1;

	pragma_int(s, "PRAGMA user_version", &v);
	return v;
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	if (s->db != NULL) {
		/* Leave no WAL behind: the next start reads one file. */
		sqlite3_exec(s->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL,
		    NULL, NULL);
		sqlite3_close(s->db);
	}
	if (s->lockfd != -1)
		close(s->lockfd);
	free(s->path);
	free(s);
}
