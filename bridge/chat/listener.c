/* The LISTEN connection (see listener.h). One libpq connection, not in pipeline mode, watched by
 * a uv_poll, through named states:
 *   WAITING (backoff timer) -> CONNECTING (PQconnectPoll) -> SUBSCRIBING (LISTEN sent)
 *   -> LISTENING (notifications flow) -> lost: WAITING
 * The connect, the socket watch and the backoff (the pool's: 250 ms doubling to 8 s) are
 * core/pg_conn's; a streak of failures is logged once. */
#include "chat/listener.h"
#include "core/log.h"
#include "core/pg_conn.h"

#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

enum listener_state { LISTENER_WAITING, LISTENER_CONNECTING, LISTENER_SUBSCRIBING,
                      LISTENER_LISTENING, LISTENER_CLOSED };

struct listener {
    uv_loop_t *loop;
    char *conninfo;
    char *channel;
    struct listener_handlers handlers;
    enum listener_state state;
    PGconn *pg;
    struct pg_watch watch;
    uv_timer_t timer;
    struct pg_backoff backoff;
    unsigned failures;
    int ever_ready;
    int open_handles;  /* the timer, and a poll while one is closing */
};

static void listener_start(struct listener *listener);

static void listener_handle_closed(uv_handle_t *handle)
{
    struct listener *listener = handle->data;
    if (handle->type == UV_POLL)
        free(handle);
    if (--listener->open_handles > 0 || listener->state != LISTENER_CLOSED)
        return;
    free(listener->conninfo);
    free(listener->channel);
    free(listener);
}

static void listener_on_poll(uv_poll_t *handle, int status, int events);

static int listener_watch(struct listener *listener, int events)
{
    return pg_watch(&listener->watch, listener->loop, listener->pg, events);
}

static void listener_teardown(struct listener *listener)
{
    pg_unwatch(&listener->watch);
    if (listener->pg)
        PQfinish(listener->pg);
    listener->pg = NULL;
}

static void listener_on_timer(uv_timer_t *timer)
{
    struct listener *listener = timer->data;
    if (listener->state == LISTENER_WAITING)
        listener_start(listener);
}

/* A failed attempt or a lost connection: drop it and try again after the backoff. */
static void listener_retry(struct listener *listener, const char *event, const char *reason)
{
    char text[500];
    if (listener->state == LISTENER_LISTENING)
        pg_backoff_reset(&listener->backoff);
    if (listener->state == LISTENER_LISTENING || listener->failures++ == 0 ||
        log_enabled(LOG_DEBUG))
        log_warn(event, "channel=%s retry_ms=%u reason=%s", listener->channel,
                 pg_backoff_peek(&listener->backoff), pg_conn_reason(text, sizeof(text), reason));
    listener_teardown(listener);
    listener->state = LISTENER_WAITING;
    uv_timer_start(&listener->timer, listener_on_timer, pg_backoff_take(&listener->backoff), 0);
}

static void listener_flush(struct listener *listener)
{
    int pending = PQflush(listener->pg);
    if (pending < 0) {
        listener_retry(listener, "listener_lost", PQerrorMessage(listener->pg));
        return;
    }
    if (listener_watch(listener, pending ? UV_READABLE | UV_WRITABLE : UV_READABLE) != 0)
        listener_retry(listener, "listener_lost", "cannot watch the socket");
}

static void listener_subscribe(struct listener *listener)
{
    char *channel = PQescapeIdentifier(listener->pg, listener->channel, strlen(listener->channel));
    char sql[128];
    int fits = channel && (size_t)snprintf(sql, sizeof(sql), "LISTEN %s", channel) < sizeof(sql);
    PQfreemem(channel);
    if (!fits || PQsetnonblocking(listener->pg, 1) != 0 || !PQsendQuery(listener->pg, sql)) {
        listener_retry(listener, "listener_connect_failed", PQerrorMessage(listener->pg));
        return;
    }
    listener->state = LISTENER_SUBSCRIBING;
    listener_flush(listener);
}

static void listener_continue_connect(struct listener *listener)
{
    int events = 0;
    int step = pg_conn_poll(listener->pg, &events);
    if (step > 0)
        listener_subscribe(listener);
    else if (step < 0)
        listener_retry(listener, "listener_connect_failed", PQerrorMessage(listener->pg));
    else if (listener_watch(listener, events) != 0)
        listener_retry(listener, "listener_connect_failed", "cannot watch the socket");
}

static void listener_start(struct listener *listener)
{
    listener->pg = pg_conn_start(listener->conninfo, "pgchat-listener", PG_NAME_ALWAYS);
    if (!listener->pg || PQstatus(listener->pg) == CONNECTION_BAD) {
        listener_retry(listener, "listener_connect_failed",
                       listener->pg ? PQerrorMessage(listener->pg) : "out of memory");
        return;
    }
    listener->state = LISTENER_CONNECTING;
    if (listener_watch(listener, UV_WRITABLE) != 0)
        listener_retry(listener, "listener_connect_failed", "cannot watch the socket");
}

/* The LISTEN's own results: a command status, then NULL, and LISTEN is in effect. */
static int listener_take_results(struct listener *listener)
{
    while (listener->state == LISTENER_SUBSCRIBING && !PQisBusy(listener->pg)) {
        PGresult *res = PQgetResult(listener->pg);
        if (!res) {
            listener->state = LISTENER_LISTENING;
            log_info("listener_ready", "channel=%s after_failures=%u", listener->channel,
                     listener->failures);
            listener->failures = 0;
            pg_backoff_reset(&listener->backoff);
            int reconnected = listener->ever_ready;
            listener->ever_ready = 1;
            listener->handlers.on_ready(listener->handlers.data, reconnected);
            return 0;
        }
        int ok = PQresultStatus(res) == PGRES_COMMAND_OK;
        PQclear(res);
        if (!ok) {
            listener_retry(listener, "listener_connect_failed", PQerrorMessage(listener->pg));
            return -1;
        }
    }
    return 0;
}

static void listener_read(struct listener *listener)
{
    if (!PQconsumeInput(listener->pg)) {
        listener_retry(listener, "listener_lost", PQerrorMessage(listener->pg));
        return;
    }
    if (listener_take_results(listener) != 0)
        return;
    PGnotify *notify;
    while (listener->pg && (notify = PQnotifies(listener->pg))) {
        listener->handlers.on_event(listener->handlers.data, notify->extra, strlen(notify->extra));
        PQfreemem(notify);
    }
    if (listener->pg && PQstatus(listener->pg) == CONNECTION_BAD)
        listener_retry(listener, "listener_lost", PQerrorMessage(listener->pg));
}

static void listener_on_poll(uv_poll_t *handle, int status, int events)
{
    struct listener *listener = handle->data;
    if (status < 0) {
        listener_retry(listener, listener->state == LISTENER_CONNECTING ? "listener_connect_failed"
                                                                        : "listener_lost",
                       uv_strerror(status));
        return;
    }
    if (listener->state == LISTENER_CONNECTING) {
        listener_continue_connect(listener);
        return;
    }
    if (events & UV_WRITABLE) {
        listener_flush(listener);
        if (listener->state == LISTENER_WAITING)
            return;
    }
    if (events & UV_READABLE)
        listener_read(listener);
}

struct listener *listener_new(uv_loop_t *loop, const char *conninfo, const char *channel,
                              const struct listener_handlers *handlers)
{
    struct listener *listener = calloc(1, sizeof(*listener));
    if (!listener)
        return NULL;
    listener->conninfo = strdup(conninfo);
    listener->channel = strdup(channel);
    if (!listener->conninfo || !listener->channel) {
        free(listener->conninfo);
        free(listener->channel);
        free(listener);
        return NULL;
    }
    listener->loop = loop;
    listener->handlers = *handlers;
    listener->watch = (struct pg_watch){.on_poll = listener_on_poll, .data = listener,
                                        .on_closed = listener_handle_closed,
                                        .closed_data = listener,
                                        .open_handles = &listener->open_handles};
    uv_timer_init(loop, &listener->timer);
    listener->timer.data = listener;
    listener->open_handles = 1;
    listener_start(listener);
    return listener;
}

int listener_ready(const struct listener *listener)
{
    return listener->state == LISTENER_LISTENING;
}

void listener_close(struct listener *listener)
{
    if (!listener)
        return;
    listener_teardown(listener);
    listener->state = LISTENER_CLOSED;
    uv_timer_stop(&listener->timer);
    uv_close((uv_handle_t *)&listener->timer, listener_handle_closed);
}
