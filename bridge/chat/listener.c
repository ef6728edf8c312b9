/* The LISTEN connection (see listener.h). One libpq connection, not in pipeline mode, watched by
 * a uv_poll, through named states:
 *   WAITING (backoff timer) -> CONNECTING (PQconnectPoll) -> SUBSCRIBING (LISTEN sent)
 *   -> LISTENING (notifications flow) -> lost: WAITING
 * Backoff doubles from LISTENER_BACKOFF_FIRST_MS to LISTENER_BACKOFF_MAX_MS; a streak of failures
 * is logged once. */
#include "chat/listener.h"
#include "core/log.h"

#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

#define LISTENER_BACKOFF_FIRST_MS 250
#define LISTENER_BACKOFF_MAX_MS 8000

enum listener_state { LISTENER_WAITING, LISTENER_CONNECTING, LISTENER_SUBSCRIBING,
                      LISTENER_LISTENING, LISTENER_CLOSED };

struct listener {
    uv_loop_t *loop;
    char *conninfo;
    char *channel;
    struct listener_handlers handlers;
    enum listener_state state;
    PGconn *pg;
    uv_poll_t *poll;   /* NULL when not watching; freed by its close callback */
    int poll_fd;
    int poll_events;
    uv_timer_t timer;
    unsigned backoff_ms;
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

static void listener_unwatch(struct listener *listener)
{
    if (!listener->poll)
        return;
    uv_poll_stop(listener->poll);
    listener->poll->data = listener;
    uv_close((uv_handle_t *)listener->poll, listener_handle_closed);
    listener->poll = NULL;
    listener->poll_events = 0;
}

static void listener_on_poll(uv_poll_t *handle, int status, int events);

static int listener_watch(struct listener *listener, int events)
{
    int fd = PQsocket(listener->pg);
    if (fd < 0)
        return -1;
    if (listener->poll && listener->poll_fd != fd)
        listener_unwatch(listener);
    if (!listener->poll) {
        listener->poll = malloc(sizeof(*listener->poll));
        if (!listener->poll)
            return -1;
        if (uv_poll_init(listener->loop, listener->poll, fd) != 0) {
            free(listener->poll);
            listener->poll = NULL;
            return -1;
        }
        listener->open_handles++;
        listener->poll->data = listener;
        listener->poll_fd = fd;
        listener->poll_events = 0;
    }
    if (events != listener->poll_events) {
        if (uv_poll_start(listener->poll, events, listener_on_poll) != 0)
            return -1;
        listener->poll_events = events;
    }
    return 0;
}

static void listener_teardown(struct listener *listener)
{
    listener_unwatch(listener);
    if (listener->pg)
        PQfinish(listener->pg);
    listener->pg = NULL;
}

/* libpq's messages end with a newline; a log value must not. */
static const char *listener_reason(char *out, size_t size, const char *message)
{
    char copy[400];
    snprintf(copy, sizeof(copy), "%s", message ? message : "");
    for (char *p = copy; *p; p++)
        if (*p == '\n' || *p == '\t')
            *p = ' ';
    size_t len = strlen(copy);
    while (len && copy[len - 1] == ' ')
        copy[--len] = '\0';
    return log_quote(out, size, copy);
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
        listener->backoff_ms = LISTENER_BACKOFF_FIRST_MS;
    if (listener->state == LISTENER_LISTENING || listener->failures++ == 0 ||
        log_enabled(LOG_DEBUG))
        log_warn(event, "channel=%s retry_ms=%u reason=%s", listener->channel,
                 listener->backoff_ms, listener_reason(text, sizeof(text), reason));
    listener_teardown(listener);
    listener->state = LISTENER_WAITING;
    uv_timer_start(&listener->timer, listener_on_timer, listener->backoff_ms, 0);
    listener->backoff_ms *= 2;
    if (listener->backoff_ms > LISTENER_BACKOFF_MAX_MS)
        listener->backoff_ms = LISTENER_BACKOFF_MAX_MS;
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
    switch (PQconnectPoll(listener->pg)) {
    case PGRES_POLLING_READING:
        if (listener_watch(listener, UV_READABLE) != 0)
            listener_retry(listener, "listener_connect_failed", "cannot watch the socket");
        return;
    case PGRES_POLLING_WRITING:
        if (listener_watch(listener, UV_WRITABLE) != 0)
            listener_retry(listener, "listener_connect_failed", "cannot watch the socket");
        return;
    case PGRES_POLLING_OK:
        listener_subscribe(listener);
        return;
    default:
        listener_retry(listener, "listener_connect_failed", PQerrorMessage(listener->pg));
        return;
    }
}

static void listener_start(struct listener *listener)
{
    /* the conninfo (or URL) expanded, with a name DBAs see in pg_stat_activity */
    const char *keys[] = {"dbname", "application_name", NULL};
    const char *values[] = {listener->conninfo, "pgchat-listener", NULL};
    listener->pg = PQconnectStartParams(keys, values, 1);
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
            listener->backoff_ms = LISTENER_BACKOFF_FIRST_MS;
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
    listener->backoff_ms = LISTENER_BACKOFF_FIRST_MS;
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
