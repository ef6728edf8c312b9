/* The PostgreSQL pool (see db.h). Each connection goes through named states:
 *   WAITING (backoff timer) -> CONNECTING (PQconnectPoll) -> READY (pipeline mode) -> lost: WAITING
 * A call is sent as [Parse] Bind/Execute Sync, so each call is its own implicit transaction and
 * commits on its own; its results come back in order, and the call at the head of the
 * connection's in-flight list walks through the stages below as they arrive. */
#include "core/db.h"
#include "core/metrics.h"
#include "core/log.h"
#include "core/pg_conn.h"

#include <libpq-fe.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define DB_PIPELINE_DEPTH 64   /* calls in flight per connection */
#define DB_QUEUE_MAX 4096      /* calls waiting for a connection */

/* What the call at the head of a connection expects from PQgetResult next. */
enum db_stage {
    STAGE_PREPARE,     /* the Parse result */
    STAGE_PREPARE_END, /* the NULL that ends it */
    STAGE_QUERY,       /* the Execute result (tuples, error or pipeline aborted) */
    STAGE_QUERY_END,   /* the NULL that ends it */
    STAGE_SYNC,        /* PGRES_PIPELINE_SYNC: the call is over */
};

struct db_call {
    struct db_call *next;
    int statement;
    enum db_stage stage;
    db_callback callback;
    void *data;
    PGresult *result; /* the first error, or the query's tuples */
    uint64_t queued;  /* uv_hrtime when queued, for the latency metrics */
    const char *values[DB_MAX_PARAMS];
    char storage[];   /* the copied values */
};

enum db_conn_state { CONN_WAITING, CONN_CONNECTING, CONN_READY, CONN_CLOSED };

struct db_conn {
    struct db_pool *pool;
    int index;
    enum db_conn_state state;
    PGconn *pg;
    struct pg_watch watch;
    uv_timer_t timer;  /* backoff before the next attempt */
    /* statements prepared on this connection, one bit each */
    uint64_t prepared[(DB_MAX_STATEMENTS + 63) / 64];
    struct db_call *head, *tail;
    int depth;
    struct pg_backoff backoff;
    unsigned failures; /* consecutive failed attempts, to log a streak once */
};

struct db_pool {
    uv_loop_t *loop;
    char *name;
    char *conninfo;
    char application_name[64]; /* what pg_stat_activity shows: pgchat-pool-<name> */
    struct db_catalog *catalog; /* shared by the pools; the modules add to it */
    struct db_conn *conns;
    int size;
    struct db_call *queue_head, *queue_tail;
    size_t queued;
    size_t in_flight;
    uv_idle_t dispatcher; /* sends queued calls on the next loop turn, batched */
    int closing;
    int open_handles; /* the pool is freed when its last handle is closed */
};

static void conn_start(struct db_conn *conn);
static void conn_lost(struct db_conn *conn, const char *reason);
static void pool_dispatch(struct db_pool *pool);

static void db_notice(void *arg, const char *message)
{
    struct db_conn *conn = arg;
    char text[600];
    log_debug("db_notice", "pool=%s conn=%d message=%s", conn->pool->name, conn->index,
              pg_conn_reason(text, sizeof(text), message));
}

/* ---- completing calls ---- */

static void call_complete(struct db_call *call, enum db_status forced)
{
    struct db_result result = {.status = forced};
    PGresult *res = call->result;
    if (forced == DB_OK && res) {
        switch (PQresultStatus(res)) {
        case PGRES_TUPLES_OK:
            if (PQntuples(res) > 0 && PQnfields(res) > 0 && !PQgetisnull(res, 0, 0)) {
                result.value = PQgetvalue(res, 0, 0);
                result.length = (size_t)PQgetlength(res, 0, 0);
            }
            break;
        default:
            result.status = DB_ERROR;
            result.sqlstate = PQresultErrorField(res, PG_DIAG_SQLSTATE);
            result.message = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);
            result.detail = PQresultErrorField(res, PG_DIAG_MESSAGE_DETAIL);
            result.hint = PQresultErrorField(res, PG_DIAG_MESSAGE_HINT);
            /* an error libpq made up itself means the connection broke */
            if (!result.sqlstate)
                result.status = DB_UNAVAILABLE;
            break;
        }
    } else if (forced == DB_OK) {
        result.status = DB_UNAVAILABLE;
    }
    metrics_db_call(uv_hrtime() - call->queued);
    if (result.status != DB_OK)
        metrics_count(METRICS_DB_ERRORS, 1);
    call->callback(call->data, &result);
    PQclear(res);
    free(call);
}

/* Fails a detached list of calls; callbacks may queue new calls meanwhile. */
static void calls_fail(struct db_pool *pool, struct db_call *list)
{
    while (list) {
        struct db_call *next = list->next;
        pool->in_flight--;
        call_complete(list, DB_UNAVAILABLE);
        list = next;
    }
}

static void pool_fail_queue(struct db_pool *pool)
{
    struct db_call *list = pool->queue_head;
    pool->queue_head = pool->queue_tail = NULL;
    pool->queued = 0;
    while (list) {
        struct db_call *next = list->next;
        call_complete(list, DB_UNAVAILABLE);
        list = next;
    }
}

/* ---- handles ---- */

static void pool_handle_closed(uv_handle_t *handle)
{
    struct db_pool *pool = handle->data;
    if (handle->type == UV_POLL)
        free(handle);
    if (--pool->open_handles > 0 || !pool->closing)
        return;
    free(pool->conns);
    free(pool->name);
    free(pool->conninfo);
    free(pool);
}

static void conn_on_poll(uv_poll_t *handle, int status, int events);

static int conn_watch(struct db_conn *conn, int events)
{
    return pg_watch(&conn->watch, conn->pool->loop, conn->pg, events);
}

static void conn_teardown(struct db_conn *conn)
{
    pg_unwatch(&conn->watch);
    if (conn->pg)
        PQfinish(conn->pg);
    conn->pg = NULL;
    memset(conn->prepared, 0, sizeof conn->prepared);
}

/* ---- connecting ---- */

static void conn_on_timer(uv_timer_t *timer)
{
    struct db_conn *conn = timer->data;
    if (conn->state == CONN_WAITING)
        conn_start(conn);
}

/* Drops the connection and schedules the next attempt. */
static void conn_schedule_retry(struct db_conn *conn)
{
    struct db_pool *pool = conn->pool;
    conn_teardown(conn);
    conn->state = CONN_WAITING;
    uv_timer_start(&conn->timer, conn_on_timer, pg_backoff_take(&conn->backoff), 0);
    if (db_pool_ready(pool) == 0)
        pool_fail_queue(pool);
}

/* A failed attempt: logged once per streak (each one at debug level), then retried. */
static void conn_retry_later(struct db_conn *conn, const char *reason)
{
    char text[600];
    if (conn->failures++ == 0 || log_enabled(LOG_DEBUG))
        log_warn("db_connect_failed", "pool=%s conn=%d retry_ms=%u reason=%s", conn->pool->name,
                 conn->index, pg_backoff_peek(&conn->backoff), pg_conn_reason(text, sizeof(text), reason));
    conn_schedule_retry(conn);
}

static void conn_ready(struct db_conn *conn)
{
    struct db_pool *pool = conn->pool;
    if (PQsetnonblocking(conn->pg, 1) != 0 || PQenterPipelineMode(conn->pg) != 1) {
        conn_retry_later(conn, PQerrorMessage(conn->pg));
        return;
    }
    PQsetNoticeProcessor(conn->pg, db_notice, conn);
    if (conn_watch(conn, UV_READABLE) != 0) {
        conn_retry_later(conn, "cannot watch the socket");
        return;
    }
    conn->state = CONN_READY;
    memset(conn->prepared, 0, sizeof conn->prepared);
    pg_backoff_reset(&conn->backoff);
    log_info("db_connected", "pool=%s conn=%d after_failures=%u", pool->name, conn->index,
             conn->failures);
    conn->failures = 0;
    pool_dispatch(pool);
}

static void conn_continue_connect(struct db_conn *conn)
{
    int events = 0;
    int step = pg_conn_poll(conn->pg, &events);
    if (step > 0)
        conn_ready(conn);
    else if (step < 0)
        conn_retry_later(conn, PQerrorMessage(conn->pg));
    else if (conn_watch(conn, events) != 0)
        conn_retry_later(conn, "cannot watch the socket");
}

static void conn_start(struct db_conn *conn)
{
    conn->pg = pg_conn_start(conn->pool->conninfo, conn->pool->application_name,
                             PG_NAME_FALLBACK);
    if (!conn->pg) {
        conn_retry_later(conn, "out of memory");
        return;
    }
    if (PQstatus(conn->pg) == CONNECTION_BAD) {
        conn_retry_later(conn, PQerrorMessage(conn->pg));
        return;
    }
    conn->state = CONN_CONNECTING;
    /* libpq's rule: start as if PQconnectPoll had asked to wait for writing */
    if (conn_watch(conn, UV_WRITABLE) != 0)
        conn_retry_later(conn, "cannot watch the socket");
}

/* ---- a ready connection ---- */

static void conn_lost(struct db_conn *conn, const char *reason)
{
    struct db_pool *pool = conn->pool;
    char text[600];
    log_warn("db_connection_lost", "pool=%s conn=%d in_flight=%d reason=%s", pool->name,
             conn->index, conn->depth, pg_conn_reason(text, sizeof(text), reason));
    struct db_call *list = conn->head;
    conn->head = conn->tail = NULL;
    conn->depth = 0;
    pg_backoff_reset(&conn->backoff);
    conn_schedule_retry(conn);
    calls_fail(pool, list);
}

static void conn_flush(struct db_conn *conn)
{
    int pending = PQflush(conn->pg);
    if (pending < 0) {
        conn_lost(conn, PQerrorMessage(conn->pg));
        return;
    }
    if (conn_watch(conn, pending ? UV_READABLE | UV_WRITABLE : UV_READABLE) != 0)
        conn_lost(conn, "cannot watch the socket");
}

static void conn_send(struct db_conn *conn, struct db_call *call)
{
    const struct db_statement *statement = &conn->pool->catalog->statements[call->statement];
    uint64_t *word = &conn->prepared[call->statement / 64];
    uint64_t bit = UINT64_C(1) << (call->statement % 64);
    call->next = NULL;
    if (conn->tail)
        conn->tail->next = call;
    else
        conn->head = call;
    conn->tail = call;
    conn->depth++;
    conn->pool->in_flight++;

    call->stage = STAGE_QUERY;
    if (!(*word & bit)) {
        if (!PQsendPrepare(conn->pg, statement->name, statement->sql, statement->nparams, NULL)) {
            conn_lost(conn, PQerrorMessage(conn->pg));
            return;
        }
        *word |= bit;
        call->stage = STAGE_PREPARE;
    }
    if (!PQsendQueryPrepared(conn->pg, statement->name, statement->nparams, call->values, NULL,
                             NULL, 0) ||
        !PQpipelineSync(conn->pg)) {
        conn_lost(conn, PQerrorMessage(conn->pg));
        return;
    }
    conn_flush(conn);
}

/* Feeds one PQgetResult to the head call. Returns -1 when the stream made no sense (the
 * connection is then dropped), else 0. */
static int conn_take_result(struct db_conn *conn, PGresult *res)
{
    struct db_call *call = conn->head;
    switch (call->stage) {
    case STAGE_PREPARE:
        if (!res)
            return -1;
        if (PQresultStatus(res) != PGRES_COMMAND_OK) {
            conn->prepared[call->statement / 64] &= ~(UINT64_C(1) << (call->statement % 64));
            call->result = res;
        } else {
            PQclear(res);
        }
        call->stage = STAGE_PREPARE_END;
        return 0;
    case STAGE_PREPARE_END:
    case STAGE_QUERY_END:
        if (res) {
            PQclear(res);
            return -1;
        }
        call->stage = call->stage == STAGE_PREPARE_END ? STAGE_QUERY : STAGE_SYNC;
        return 0;
    case STAGE_QUERY:
        if (!res)
            return -1;
        if (call->result) /* keep the Parse error; this is its "pipeline aborted" echo */
            PQclear(res);
        else
            call->result = res;
        call->stage = STAGE_QUERY_END;
        return 0;
    case STAGE_SYNC:
        if (!res || PQresultStatus(res) != PGRES_PIPELINE_SYNC) {
            PQclear(res);
            return -1;
        }
        PQclear(res);
        conn->head = call->next;
        if (!conn->head)
            conn->tail = NULL;
        conn->depth--;
        conn->pool->in_flight--;
        call_complete(call, DB_OK);
        return 0;
    }
    return -1;
}

static void conn_read(struct db_conn *conn)
{
    if (!PQconsumeInput(conn->pg)) {
        conn_lost(conn, PQerrorMessage(conn->pg));
        return;
    }
    while (conn->state == CONN_READY && conn->head && !PQisBusy(conn->pg)) {
        if (conn_take_result(conn, PQgetResult(conn->pg)) != 0) {
            conn_lost(conn, PQstatus(conn->pg) == CONNECTION_BAD ? PQerrorMessage(conn->pg)
                                                                  : "unexpected result order");
            return;
        }
    }
    if (conn->state != CONN_READY)
        return;
    if (PQstatus(conn->pg) == CONNECTION_BAD) {
        conn_lost(conn, PQerrorMessage(conn->pg));
        return;
    }
    pool_dispatch(conn->pool);
}

static void conn_on_poll(uv_poll_t *handle, int status, int events)
{
    struct db_conn *conn = handle->data;
    if (status < 0) {
        if (conn->state == CONN_CONNECTING)
            conn_retry_later(conn, uv_strerror(status));
        else
            conn_lost(conn, uv_strerror(status));
        return;
    }
    if (conn->state == CONN_CONNECTING) {
        conn_continue_connect(conn);
        return;
    }
    if (conn->state != CONN_READY)
        return;
    if (events & UV_WRITABLE) {
        conn_flush(conn);
        if (conn->state != CONN_READY)
            return;
    }
    if (events & UV_READABLE)
        conn_read(conn);
}

/* ---- the pool ---- */

static void pool_dispatch(struct db_pool *pool)
{
    while (pool->queue_head) {
        struct db_conn *best = NULL;
        for (int i = 0; i < pool->size; i++) {
            struct db_conn *conn = &pool->conns[i];
            if (conn->state == CONN_READY && conn->depth < DB_PIPELINE_DEPTH &&
                (!best || conn->depth < best->depth))
                best = conn;
        }
        if (!best)
            return;
        struct db_call *call = pool->queue_head;
        pool->queue_head = call->next;
        if (!pool->queue_head)
            pool->queue_tail = NULL;
        pool->queued--;
        conn_send(best, call);
    }
}

int db_catalog_add(struct db_catalog *catalog, const struct db_statement *statements, int n)
{
    for (int first = 0; n > 0 && first + n <= catalog->count; first++) { /* added before */
        int same = 0;
        while (same < n && strcmp(catalog->statements[first + same].name, statements[same].name) == 0)
            same++;
        if (same == n)
            return first;
    }
    if (n < 0 || n > DB_MAX_STATEMENTS - catalog->count)
        return -1;
    int first = catalog->count;
    memcpy(catalog->statements + first, statements, (size_t)n * sizeof(*statements));
    catalog->count += n;
    return first;
}

int db_pool_register(struct db_pool *pool, const struct db_statement *statements, int n)
{
    return db_catalog_add(pool->catalog, statements, n);
}

struct db_pool *db_pool_new(uv_loop_t *loop, const char *name, const char *conninfo, int size,
                            struct db_catalog *catalog)
{
    if (size < 1 || !catalog)
        return NULL;
    struct db_pool *pool = calloc(1, sizeof(*pool));
    if (!pool)
        return NULL;
    pool->loop = loop;
    pool->name = strdup(name);
    pool->conninfo = strdup(conninfo);
    pool->conns = calloc((size_t)size, sizeof(*pool->conns));
    if (!pool->name || !pool->conninfo || !pool->conns) {
        free(pool->name);
        free(pool->conninfo);
        free(pool->conns);
        free(pool);
        return NULL;
    }
    pool->catalog = catalog;
    snprintf(pool->application_name, sizeof(pool->application_name), "pgchat-pool-%s", name);
    pool->size = size;
    for (int i = 0; i < size; i++) {
        struct db_conn *conn = &pool->conns[i];
        conn->pool = pool;
        conn->index = i;
        conn->watch = (struct pg_watch){.on_poll = conn_on_poll, .data = conn,
                                        .on_closed = pool_handle_closed, .closed_data = pool,
                                        .open_handles = &pool->open_handles};
        uv_timer_init(loop, &conn->timer);
        conn->timer.data = conn;
        pool->open_handles++;
    }
    for (int i = 0; i < size; i++)
        conn_start(&pool->conns[i]);
    uv_idle_init(loop, &pool->dispatcher);
    pool->dispatcher.data = pool;
    pool->open_handles++;
    return pool;
}

/* Dispatching from the loop, never from inside db_query, keeps db_query's promise that the
 * callback runs later: a send that fails at once fails its call from here. */
static void pool_on_idle(uv_idle_t *idle)
{
    struct db_pool *pool = idle->data;
    uv_idle_stop(idle);
    pool_dispatch(pool);
}

int db_query(struct db_pool *pool, int statement, const char *const *values, db_callback callback,
             void *data)
{
    if (pool->closing || statement < 0 || statement >= pool->catalog->count ||
        pool->queued >= DB_QUEUE_MAX || db_pool_ready(pool) == 0)
        return -1;
    int nparams = pool->catalog->statements[statement].nparams;
    size_t size = sizeof(struct db_call);
    for (int i = 0; i < nparams; i++)
        size += values[i] ? strlen(values[i]) + 1 : 0;
    struct db_call *call = calloc(1, size);
    if (!call)
        return -1;
    char *cursor = call->storage;
    for (int i = 0; i < nparams; i++) {
        if (!values[i])
            continue;
        size_t len = strlen(values[i]) + 1;
        memcpy(cursor, values[i], len);
        call->values[i] = cursor;
        cursor += len;
    }
    call->statement = statement;
    call->callback = callback;
    call->queued = uv_hrtime();
    call->data = data;
    if (pool->queue_tail)
        pool->queue_tail->next = call;
    else
        pool->queue_head = call;
    pool->queue_tail = call;
    pool->queued++;
    uv_idle_start(&pool->dispatcher, pool_on_idle);
    return 0;
}

int db_pool_ready(const struct db_pool *pool)
{
    int ready = 0;
    for (int i = 0; i < pool->size; i++)
        ready += pool->conns[i].state == CONN_READY;
    return ready;
}

size_t db_pool_pending(const struct db_pool *pool) { return pool->queued + pool->in_flight; }

void db_pool_close(struct db_pool *pool)
{
    pool->closing = 1;
    for (int i = 0; i < pool->size; i++) {
        struct db_conn *conn = &pool->conns[i];
        struct db_call *list = conn->head;
        conn->head = conn->tail = NULL;
        conn->depth = 0;
        conn->state = CONN_CLOSED;
        conn_teardown(conn);
        uv_timer_stop(&conn->timer);
        conn->timer.data = pool;
        uv_close((uv_handle_t *)&conn->timer, pool_handle_closed);
        calls_fail(pool, list);
    }
    uv_idle_stop(&pool->dispatcher);
    uv_close((uv_handle_t *)&pool->dispatcher, pool_handle_closed);
    pool_fail_queue(pool);
}
