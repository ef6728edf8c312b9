/* pg_conn: the libpq-on-libuv plumbing shared by the pool (core/db.c) and the LISTEN connection
 * (chat/listener.c): a non-blocking connect that names itself in pg_stat_activity, the
 * PQconnectPoll step, a uv_poll that follows libpq's socket, a libpq message as one log value,
 * and the capped doubling backoff between attempts. Each owner keeps its own state machine on
 * top (the pool: pipeline mode and calls; the listener: LISTEN and notifications). */
#ifndef BRIDGE_PG_CONN_H
#define BRIDGE_PG_CONN_H

#include <libpq-fe.h>
#include <stddef.h>
#include <uv.h>

#define PG_BACKOFF_FIRST_MS 250
#define PG_BACKOFF_MAX_MS 8000

/* How a connection names itself in pg_stat_activity: over whatever the conninfo says (the
 * listener, which operators and tests find by its name), or only where the conninfo says nothing
 * (the pools: an operator's ?application_name= wins). */
enum pg_conn_naming { PG_NAME_ALWAYS, PG_NAME_FALLBACK };

/* Starts connecting to conninfo (a conninfo string or a URL) named application_name as naming
 * says. NULL when out of memory; otherwise check PQstatus for CONNECTION_BAD. Watch for writing
 * first (libpq's rule). */
PGconn *pg_conn_start(const char *conninfo, const char *application_name,
                      enum pg_conn_naming naming);

/* One PQconnectPoll step: 1 connected, 0 not yet (*events says what to watch), -1 failed
 * (PQerrorMessage says why). */
int pg_conn_poll(PGconn *pg, int *events);

/* message (libpq's, ending in a newline; NULL allowed) as one quoted log value in out. */
const char *pg_conn_reason(char *out, size_t size, const char *message);

/* The watch of one connection's socket: a malloc'd uv_poll, re-made when the socket changes.
 * While watching, the handle's data is `data` (given to on_poll); when it is closed, its data is
 * `closed_data` and on_closed runs, which must free() the handle (its type is UV_POLL) and
 * take one from *open_handles, the owner's count of handles to wait for. */
struct pg_watch {
    uv_poll_t *poll; /* NULL when not watching */
    int fd;
    int events;
    uv_poll_cb on_poll;
    void *data;
    uv_close_cb on_closed;
    void *closed_data;
    int *open_handles;
};

/* Watches pg's socket for events (UV_READABLE / UV_WRITABLE). Returns 0, or -1 on failure. */
int pg_watch(struct pg_watch *watch, uv_loop_t *loop, PGconn *pg, int events);
/* Stops watching; the handle closes in the background. */
void pg_unwatch(struct pg_watch *watch);

/* Capped doubling: PG_BACKOFF_FIRST_MS, twice that, ... up to PG_BACKOFF_MAX_MS. */
struct pg_backoff {
    unsigned next_ms; /* the wait before the next attempt; 0 until first used */
};
/* The wait to use now; the one after it doubles (capped). */
unsigned pg_backoff_take(struct pg_backoff *backoff);
/* Back to the first step (after a success, or a connection that was up and is lost). */
void pg_backoff_reset(struct pg_backoff *backoff);
/* The wait the next take returns (for logs). */
unsigned pg_backoff_peek(const struct pg_backoff *backoff);

#endif
