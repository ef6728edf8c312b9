/* The libpq-on-libuv plumbing of the pool and the listener (see pg_conn.h). */
#include "core/pg_conn.h"
#include "core/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

PGconn *pg_conn_start(const char *conninfo, const char *application_name,
                      enum pg_conn_naming naming)
{
    /* dbname with expand_dbname: the conninfo (or URL) expanded, then the name: a later keyword
     * overrides what the expansion set */
    const char *keys[] = {"dbname",
                          naming == PG_NAME_ALWAYS ? "application_name" : "fallback_application_name",
                          NULL};
    const char *values[] = {conninfo, application_name, NULL};
    return PQconnectStartParams(keys, values, 1);
}

int pg_conn_poll(PGconn *pg, int *events)
{
    switch (PQconnectPoll(pg)) {
    case PGRES_POLLING_READING:
        *events = UV_READABLE;
        return 0;
    case PGRES_POLLING_WRITING:
        *events = UV_WRITABLE;
        return 0;
    case PGRES_POLLING_OK:
        return 1;
    default:
        return -1;
    }
}

const char *pg_conn_reason(char *out, size_t size, const char *message)
{
    char copy[512];
    snprintf(copy, sizeof(copy), "%s", message ? message : "");
    for (char *p = copy; *p; p++)
        if (*p == '\n' || *p == '\t')
            *p = ' ';
    size_t len = strlen(copy);
    while (len && copy[len - 1] == ' ')
        copy[--len] = '\0';
    return log_quote(out, size, copy);
}

void pg_unwatch(struct pg_watch *watch)
{
    if (!watch->poll)
        return;
    uv_poll_stop(watch->poll);
    watch->poll->data = watch->closed_data;
    uv_close((uv_handle_t *)watch->poll, watch->on_closed);
    watch->poll = NULL;
    watch->events = 0;
}

int pg_watch(struct pg_watch *watch, uv_loop_t *loop, PGconn *pg, int events)
{
    int fd = PQsocket(pg);
    if (fd < 0)
        return -1;
    if (watch->poll && watch->fd != fd) /* libpq may change sockets while connecting */
        pg_unwatch(watch);
    if (!watch->poll) {
        watch->poll = malloc(sizeof(*watch->poll));
        if (!watch->poll)
            return -1;
        if (uv_poll_init(loop, watch->poll, fd) != 0) {
            free(watch->poll);
            watch->poll = NULL;
            return -1;
        }
        watch->poll->data = watch->data;
        watch->fd = fd;
        watch->events = 0;
        (*watch->open_handles)++;
    }
    if (events != watch->events) {
        if (uv_poll_start(watch->poll, events, watch->on_poll) != 0)
            return -1;
        watch->events = events;
    }
    return 0;
}

unsigned pg_backoff_peek(const struct pg_backoff *backoff)
{
    return backoff->next_ms ? backoff->next_ms : PG_BACKOFF_FIRST_MS;
}

unsigned pg_backoff_take(struct pg_backoff *backoff)
{
    unsigned now = pg_backoff_peek(backoff);
    backoff->next_ms = now * 2 > PG_BACKOFF_MAX_MS ? PG_BACKOFF_MAX_MS : now * 2;
    return now;
}

void pg_backoff_reset(struct pg_backoff *backoff)
{
    backoff->next_ms = PG_BACKOFF_FIRST_MS;
}
