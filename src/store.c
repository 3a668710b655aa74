#include "ac_config.h"

#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "buf.h"
#include "linkformat.h"
#include "log.h"
#include "rd_registry.h"
#include "store.h"

struct store {
	sqlite3		*db;
	int		 lockfd;
	char		*path;
	sqlite3_stmt	*rd_save, *rd_delete;
	sqlite3_stmt	*ps_save, *ps_value, *ps_delete;
	int		 fail_writes;
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
	/* 2: Resource Directory registrations. */
	"CREATE TABLE rd_reg ("
	" id INTEGER PRIMARY KEY,"
	" ep TEXT NOT NULL,"
	" d TEXT,"			/* NULL: no sector */
	" lt INTEGER NOT NULL,"
	" base TEXT,"			/* explicit base */
	" con TEXT,"			/* base from the request source */
	" params TEXT NOT NULL,"	/* <>;name=value... */
	" links TEXT NOT NULL,"		/* link-format as registered */
	" owner TEXT,"
	" expires INTEGER NOT NULL);",	/* wall-clock seconds */
	/* 3: broker topics, their configuration and last value. */
	"CREATE TABLE ps_topic ("
	" id INTEGER PRIMARY KEY,"
	" config BLOB NOT NULL,"	/* application/core-pubsub+cbor */
	" lifetime INTEGER NOT NULL,"	/* legacy Max-Age, 0: none */
	" full INTEGER NOT NULL DEFAULT 0,"
	" value BLOB,"
	" value_cf INTEGER);",		/* NULL: none given */
	/* 4: who created a topic (first come, first remembered). */
	"ALTER TABLE ps_topic ADD COLUMN owner TEXT;",
	/* 5: the link a link-local or mesh-local base belongs to. */
	"ALTER TABLE rd_reg ADD COLUMN link TEXT;",
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
	/*
	 * corehubd already holds the database alone (take_lock), so SQLite
	 * need not lock the file around every transaction; set before WAL,
	 * this also spares the shared-memory index.
	 */
	if (exec(s, "PRAGMA locking_mode=EXCLUSIVE") == -1)
		return STORE_ERROR;
	/*
	 * Small pages for a new database: every commit writes whole pages to
	 * the WAL, and a registration's row is a few hundred bytes.
	 */
	if (exec(s, "PRAGMA page_size=1024") == -1)
		return STORE_ERROR;
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
	    "PRAGMA journal_size_limit=67108864;"
	    /* Checkpoint every 16 MB of WAL, not every 1 MB: a checkpoint
	     * fsyncs the database, and with small pages 1 MB comes quickly. */
	    "PRAGMA wal_autocheckpoint=16384;") == -1)
		return STORE_ERROR;
	return STORE_OK;
}

static enum store_status
prepare(struct store *s)
{
	if (sqlite3_prepare_v3(s->db, "INSERT OR REPLACE INTO rd_reg (id, "
	    "ep, d, lt, base, con, params, links, owner, expires, link) "
	    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", -1, SQLITE_PREPARE_PERSISTENT,
	    &s->rd_save, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(s->db, "DELETE FROM rd_reg WHERE id = ?", -1,
	    SQLITE_PREPARE_PERSISTENT, &s->rd_delete, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(s->db, "INSERT INTO ps_topic (id, config, "
	    "lifetime, owner) VALUES (?, ?, ?, ?) ON CONFLICT (id) DO UPDATE "
	    "SET config = excluded.config, lifetime = excluded.lifetime", -1,
	    SQLITE_PREPARE_PERSISTENT, &s->ps_save, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(s->db, "UPDATE ps_topic SET full = ?, "
	    "value = ?, value_cf = ? WHERE id = ?", -1,
	    SQLITE_PREPARE_PERSISTENT, &s->ps_value, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v3(s->db, "DELETE FROM ps_topic WHERE id = ?", -1,
	    SQLITE_PREPARE_PERSISTENT, &s->ps_delete, NULL) != SQLITE_OK) {
		log_err("store", "%s: %s", s->path, sqlite3_errmsg(s->db));
		return STORE_ERROR;
	}
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
	    (st = migrate(s)) != STORE_OK ||
	    (st = prepare(s)) != STORE_OK)
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
	sqlite3_finalize(s->rd_save);
	sqlite3_finalize(s->rd_delete);
	sqlite3_finalize(s->ps_save);
	sqlite3_finalize(s->ps_value);
	sqlite3_finalize(s->ps_delete);
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

int
store_set_sync(struct store *s, int full)
{
	return exec(s, full ? "PRAGMA synchronous=FULL" :
	    "PRAGMA synchronous=NORMAL");
}

static enum store_write
exec_write(struct store *s, const char *sql)
{
	int rc = s->fail_writes ? SQLITE_FULL :
	    sqlite3_exec(s->db, sql, NULL, NULL, NULL);

	if (rc == SQLITE_OK)
		return STORE_WRITE_OK;
	log_err("store", "%s: %s failed: %s", s->path, sql,
	    sqlite3_errstr(rc));
	return rc == SQLITE_BUSY || rc == SQLITE_LOCKED || rc == SQLITE_FULL ?
	    STORE_WRITE_BUSY : STORE_WRITE_FAILED;
}

enum store_write
store_begin(struct store *s)
{
	return exec_write(s, "BEGIN IMMEDIATE");
}

enum store_write
store_commit(struct store *s)
{
	return exec_write(s, "COMMIT");
}

void
store_rollback(struct store *s)
{
	/* Harmless when SQLite already rolled the transaction back. */
	if (!sqlite3_get_autocommit(s->db))
		sqlite3_exec(s->db, "ROLLBACK", NULL, NULL, NULL);
}

void
store_fail_writes(struct store *s, int on)
{
	s->fail_writes = on;
}

/* Runs a bound write statement; the statement is reset either way. */
static enum store_write
run_write(struct store *s, sqlite3_stmt *st)
{
	int rc = s->fail_writes ? SQLITE_FULL : sqlite3_step(st);

	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	if (rc == SQLITE_DONE)
		return STORE_WRITE_OK;
	log_err("store", "%s: write failed: %s", s->path, rc == SQLITE_FULL &&
	    s->fail_writes ? "disk full (test)" : sqlite3_errstr(rc));
	if (rc == SQLITE_BUSY || rc == SQLITE_LOCKED || rc == SQLITE_FULL)
		return STORE_WRITE_BUSY;
	return STORE_WRITE_FAILED;
}

static int
text_or_null(sqlite3_stmt *st, int col, const char *v)
{
	return v ? sqlite3_bind_text(st, col, v, -1, SQLITE_STATIC) :
	    sqlite3_bind_null(st, col);
}

/* Extra attributes are kept as the parameters of one empty link. */
static int
params_text(const struct rd_content *c, struct buf *b)
{
	if (lf_write_target(b, "") == -1)
		return -1;
	for (size_t i = 0; i < c->nparams; i++)
		if (lf_write_attr(b, c->params[i].name, c->params[i].value,
		    1) == -1)
			return -1;
	return 0;
}

enum store_write
store_rd_save(struct store *s, uint64_t id, const char *ep, const char *d,
    const struct rd_content *c, const struct lf_doc *links, int64_t expires)
{
	sqlite3_stmt		*st = s->rd_save;
	struct buf		 pb, lb;
	enum store_write	 rc = STORE_WRITE_FAILED;

	buf_init(&pb, 0);
	buf_init(&lb, 0);
	if (params_text(c, &pb) == -1 || lf_write_doc(&lb, links) == -1)
		goto done;
	if (sqlite3_bind_int64(st, 1, (sqlite3_int64)id) != SQLITE_OK ||
	    text_or_null(st, 2, ep) != SQLITE_OK ||
	    text_or_null(st, 3, d) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 4, c->lt) != SQLITE_OK ||
	    text_or_null(st, 5, c->base) != SQLITE_OK ||
	    text_or_null(st, 6, c->con) != SQLITE_OK ||
	    text_or_null(st, 7, pb.data) != SQLITE_OK ||
	    text_or_null(st, 8, lb.data ? lb.data : "") != SQLITE_OK ||
	    text_or_null(st, 9, c->owner) != SQLITE_OK ||
	    sqlite3_bind_int64(st, 10, expires) != SQLITE_OK ||
	    text_or_null(st, 11, c->link) != SQLITE_OK) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		goto done;
	}
	rc = run_write(s, st);
done:
	buf_free(&pb);
	buf_free(&lb);
	return rc;
}

enum store_write
store_rd_delete(struct store *s, uint64_t id)
{
	if (sqlite3_bind_int64(s->rd_delete, 1, (sqlite3_int64)id) !=
	    SQLITE_OK)
		return STORE_WRITE_FAILED;
	return run_write(s, s->rd_delete);
}

static char *
col_dup(sqlite3_stmt *st, int col)
{
	const unsigned char *t = sqlite3_column_text(st, col);

	return t ? strdup((const char *)t) : NULL;
}

/* Rows were written by store_rd_save; anything else is skipped. */
static int
row_content(sqlite3_stmt *st, struct rd_content *c)
{
	static const struct lf_limits	 lim = { 65536, 256, 65536 };
	const char			*params, *links;
	struct lf_doc			 pd;
	sqlite3_int64			 lt = sqlite3_column_int64(st, 3);

	memset(c, 0, sizeof(*c));
	params = (const char *)sqlite3_column_text(st, 6);
	links = (const char *)sqlite3_column_text(st, 7);
	if (lt < 1 || lt > RD_LT_MAX || params == NULL || links == NULL)
		return -1;
	c->lt = (uint32_t)lt;
	if ((sqlite3_column_type(st, 4) != SQLITE_NULL &&
	    (c->base = col_dup(st, 4)) == NULL) ||
	    (sqlite3_column_type(st, 5) != SQLITE_NULL &&
	    (c->con = col_dup(st, 5)) == NULL) ||
	    (sqlite3_column_type(st, 8) != SQLITE_NULL &&
	    (c->owner = col_dup(st, 8)) == NULL) ||
	    (sqlite3_column_type(st, 10) != SQLITE_NULL &&
	    (c->link = col_dup(st, 10)) == NULL) ||
	    lf_parse(links, strlen(links), &lim, &c->links, NULL) != LF_OK ||
	    lf_parse(params, strlen(params), &lim, &pd, NULL) != LF_OK)
		goto fail;
	if (pd.nlinks == 1) {
		struct lf_link *l = &pd.links[0];

		/* The attributes move over as parameters. */
		c->params = (struct rd_param *)calloc(l->nattrs + 1,
		    sizeof(*c->params));
		if (c->params == NULL) {
			lf_doc_free(&pd);
			goto fail;
		}
		for (size_t i = 0; i < l->nattrs; i++) {
			c->params[i].name = l->attrs[i].name;
			c->params[i].value = l->attrs[i].value;
			l->attrs[i].name = l->attrs[i].value = NULL;
		}
		c->nparams = l->nattrs;
	}
	lf_doc_free(&pd);
	return 0;
fail:
	rd_content_free(c);
	return -1;
}

int
store_rd_load(struct store *s, int (*fn)(void *, uint64_t, const char *,
    const char *, struct rd_content *, int64_t), void *arg)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (sqlite3_prepare_v2(s->db, "SELECT id, ep, d, lt, base, con, "
	    "params, links, owner, expires, link FROM rd_reg ORDER BY id", -1,
	    &st,
	    NULL) != SQLITE_OK) {
		log_err("store", "%s: %s", s->path, sqlite3_errmsg(s->db));
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct rd_content	 c;
		uint64_t		 id = (uint64_t)sqlite3_column_int64(st,
					     0);
		const char		*ep = (const char *)
					     sqlite3_column_text(st, 1);
		const char		*d = (const char *)
					     sqlite3_column_text(st, 2);

		if (ep == NULL || row_content(st, &c) == -1) {
			log_warnx("store", "%s: registration %llu cannot be "
			    "read back; skipped", s->path,
			    (unsigned long long)id);
			continue;
		}
		if (fn(arg, id, ep, d, &c, sqlite3_column_int64(st, 9)) ==
		    -1) {
			rd_content_free(&c);
			sqlite3_finalize(st);
			return -1;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		log_err("store", "%s: %s", s->path, sqlite3_errstr(rc));
		return -1;
	}
	return 0;
}

enum store_write
store_ps_save(struct store *s, uint64_t id, const uint8_t *config,
    size_t len, uint32_t lifetime, const char *owner)
{
	sqlite3_stmt *st = s->ps_save;

	if (sqlite3_bind_int64(st, 1, (sqlite3_int64)id) != SQLITE_OK ||
	    sqlite3_bind_blob64(st, 2, config, len, SQLITE_STATIC) !=
	    SQLITE_OK ||
	    sqlite3_bind_int64(st, 3, lifetime) != SQLITE_OK ||
	    text_or_null(st, 4, owner) != SQLITE_OK) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		return STORE_WRITE_FAILED;
	}
	return run_write(s, st);
}

enum store_write
store_ps_value(struct store *s, uint64_t id, int full, const uint8_t *value,
    size_t len, int cf)
{
	sqlite3_stmt	*st = s->ps_value;
	int		 rc;

	rc = sqlite3_bind_int(st, 1, full != 0);
	if (rc == SQLITE_OK)
		rc = full ? sqlite3_bind_blob64(st, 2, len ? (const void *)value : (const void *)"", len,
		    SQLITE_STATIC) : sqlite3_bind_null(st, 2);
	if (rc == SQLITE_OK)
		rc = full && cf >= 0 ? sqlite3_bind_int(st, 3, cf) :
		    sqlite3_bind_null(st, 3);
	if (rc == SQLITE_OK)
		rc = sqlite3_bind_int64(st, 4, (sqlite3_int64)id);
	if (rc != SQLITE_OK) {
		sqlite3_reset(st);
		sqlite3_clear_bindings(st);
		return STORE_WRITE_FAILED;
	}
	return run_write(s, st);
}

enum store_write
store_ps_delete(struct store *s, uint64_t id)
{
	if (sqlite3_bind_int64(s->ps_delete, 1, (sqlite3_int64)id) !=
	    SQLITE_OK)
		return STORE_WRITE_FAILED;
	return run_write(s, s->ps_delete);
}

int
store_ps_load(struct store *s, int (*fn)(void *, const struct store_ps_row *),
    void *arg)
{
	sqlite3_stmt	*st;
	int		 rc;

	if (sqlite3_prepare_v2(s->db, "SELECT id, config, lifetime, full, "
	    "value, value_cf, owner FROM ps_topic ORDER BY id", -1, &st,
	    NULL) !=
	    SQLITE_OK) {
		log_err("store", "%s: %s", s->path, sqlite3_errmsg(s->db));
		return -1;
	}
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		struct store_ps_row row;

		row.id = (uint64_t)sqlite3_column_int64(st, 0);
		row.config = sqlite3_column_blob(st, 1);
		row.config_len = (size_t)sqlite3_column_bytes(st, 1);
		row.lifetime = (uint32_t)sqlite3_column_int64(st, 2);
		row.full = sqlite3_column_int(st, 3);
		row.value = sqlite3_column_blob(st, 4);
		row.value_len = (size_t)sqlite3_column_bytes(st, 4);
		row.value_cf = sqlite3_column_type(st, 5) == SQLITE_NULL ? -1 :
		    sqlite3_column_int(st, 5);
		row.owner = (const char *)sqlite3_column_text(st, 6);
		if (fn(arg, &row) == -1) {
			sqlite3_finalize(st);
			return -1;
		}
	}
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		log_err("store", "%s: %s", s->path, sqlite3_errstr(rc));
		return -1;
	}
	return 0;
}

uint64_t
store_size(void *arg)
{
	static const char *const suffixes[] = { "", "-wal", "-shm" };
	struct store	*s = arg;
	struct stat	 sb;
	char		 path[PATH_MAX];
	uint64_t	 total = 0;

	for (size_t i = 0; i < 3; i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s%s", s->path,
		    suffixes[i]) < sizeof(path) && stat(path, &sb) == 0)
			total += (uint64_t)sb.st_size;
	}
	return total;
}
