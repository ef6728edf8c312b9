/* The bridge's PostgreSQL pool: a few libpq connections in non-blocking pipeline mode, each
 * watched by a uv_poll on the bridge's loop, with statements prepared lazily per connection and
 * connections re-made with capped backoff when they are lost. Nothing here ever blocks the loop
 * (but for resolving a host name at connect; use an address or a unix socket directory). */
#ifndef BRIDGE_DB_H
#define BRIDGE_DB_H

#include <stddef.h>
#include <uv.h>

#define DB_MAX_STATEMENTS 96
#define DB_MAX_PARAMS 8

/* A statement the pool prepares on each connection on first use. Its id is its index in the
 * pool's catalog. The query must return one column (text) and one row. */
struct db_statement {
    const char *name;
    const char *sql;
    int nparams;
};

/* The statements of the process, which every pool prepares: each module adds its own (usually in
 * its _new) and keeps the id db_catalog_add returns, so no one else counts offsets. Add before the
 * loop runs; the catalog must outlive the pools. Zero-initialized is empty. */
struct db_catalog {
    struct db_statement statements[DB_MAX_STATEMENTS];
    int count;
};

/* Appends n statements (the strings must outlive the catalog). Returns the id of the first, or
 * -1 when they do not fit. The same names added again (a second instance of a module) get the
 * ids of the first time: a connection cannot prepare one name twice. */
int db_catalog_add(struct db_catalog *catalog, const struct db_statement *statements, int n);

enum db_status {
    DB_OK,          /* value holds the single column of the single row (or NULL) */
    DB_ERROR,       /* the server refused: sqlstate, message, detail, hint */
    DB_UNAVAILABLE, /* the connection was lost or none is up; the call may or may not have run */
};

/* Valid only during the callback. */
struct db_result {
    enum db_status status;
    const char *value;  /* DB_OK: the text of the first column, NULL for SQL NULL */
    size_t length;
    const char *sqlstate;
    const char *message;
    const char *detail;
    const char *hint;
};

typedef void (*db_callback)(void *data, const struct db_result *result);

struct db_pool;

/* A pool of size connections to conninfo, started at once (it connects in the background), that
 * prepares the statements of catalog. name tags its log lines. NULL when out of memory. */
struct db_pool *db_pool_new(uv_loop_t *loop, const char *name, const char *conninfo, int size,
                            struct db_catalog *catalog);
/* db_catalog_add to the pool's catalog (shared with any other pool made with it): how a module
 * registers its statements with the pool it is given. The id of the first, or -1. */
int db_pool_register(struct db_pool *pool, const struct db_statement *statements, int n);

/* Runs statement with the values (NULL for SQL NULL; copied, so the caller's may go at once).
 * Returns 0 when the call is queued: callback runs exactly once, later, from the loop.
 * Returns -1 when no connection is up or the queue is full: callback never runs. */
int db_query(struct db_pool *pool, int statement, const char *const *values, db_callback callback,
             void *data);

/* How many connections are ready now. */
int db_pool_ready(const struct db_pool *pool);
/* How many calls are queued or in flight. */
size_t db_pool_pending(const struct db_pool *pool);

/* Closes every connection; calls still pending get DB_UNAVAILABLE first. The pool frees itself
 * once its libuv handles are closed (let the loop run). */
void db_pool_close(struct db_pool *pool);

#endif
