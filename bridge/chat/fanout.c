/* Fan-out (see fanout.h): the user registry (which sockets of which user this bridge holds) and
 * the module's lifetime. Each conversation the bridge has heard of is an entry with its cached
 * members and its event stream; the family of files:
 *   fanout_emit.c         an event to every socket of a list of users, encoded once
 *   fanout_members.c      the conversation cache and its LRU, each entry's members
 *   fanout_membership.c   who is told what when members come and go
 *   fanout_stream.c       the ordered stream per conversation, its pump, and payload parsing
 *   fanout_user_events.c  one user's own events, to every device of that user
 *   fanout_doorbell.c     the seq ranges of sends, fetched in one call per loop turn
 * The stream is pumped by one function, fanout_conversation_pump, which takes the head event and
 * either sends it, drops it (a seq already sent), or waits for one database call (members, or a
 * message from the table) whose answer pumps again. So a conversation's events go out one at a
 * time, in order, and a stalled one (database down) is retried by a timer. */
#include "chat/fanout_internal.h"
#include "core/log.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- small helpers ---- */

void fanout_room_name(char *out, size_t size, const char *conversation_id)
{
    snprintf(out, size, "conversation:%s", conversation_id);
}

int fanout_ids_contain(const fanout_id *ids, size_t count, const char *id)
{
    for (size_t i = 0; i < count; i++)
        if (strcmp(ids[i], id) == 0)
            return 1;
    return 0;
}

/* ---- users ---- */

int fanout_add(struct fanout *fanout, struct fanout_socket *socket)
{
    struct fanout_user *user = eio_map_get(fanout->users, socket->user_id);
    if (!user) {
        user = calloc(1, sizeof(*user));
        if (!user)
            return -1;
        memcpy(user->id, socket->user_id, sizeof(user->id));
        if (eio_map_put(fanout->users, user->id, user) != 0) {
            free(user);
            return -1;
        }
    }
    socket->prev = NULL;
    socket->next = user->sockets;
    if (user->sockets)
        user->sockets->prev = socket;
    user->sockets = socket;
    return 0;
}

void fanout_remove(struct fanout *fanout, struct fanout_socket *socket)
{
    struct fanout_user *user = eio_map_get(fanout->users, socket->user_id);
    if (!user)
        return;
    if (socket->prev)
        socket->prev->next = socket->next;
    else if (user->sockets == socket)
        user->sockets = socket->next;
    if (socket->next)
        socket->next->prev = socket->prev;
    socket->prev = socket->next = NULL;
    if (!user->sockets) {
        eio_map_remove(fanout->users, user->id);
        free(user);
    }
}

size_t fanout_user_count(const struct fanout *fanout) { return eio_map_count(fanout->users); }
                         
                         size_t fanout_user_sockets(const struct fanout *fanout, const char *user_id)
{
    const struct fanout_user *user = eio_map_get(fanout->users, user_id);
    size_t count = 0;
    for (const struct fanout_socket *s = user ? user->sockets : NULL; s; s = s->next)
        count++;
    return count;
}

/* ---- lifetime ---- */

struct fanout *fanout_new(uv_loop_t *loop, const struct chat_sql *sql)
{
    struct fanout *fanout = calloc(1, sizeof(*fanout));
    if (!fanout)
        return NULL;
    fanout->loop = loop;
    fanout->sql = sql;
    fanout->users = eio_map_new();
    fanout->conversations = eio_map_new();
    if (!fanout->users || !fanout->conversations) {
        eio_map_free(fanout->users);
        eio_map_free(fanout->conversations);
        free(fanout);
        return NULL;
    }
    uv_timer_init(loop, &fanout->retry_timer);
    fanout->retry_timer.data = fanout;
    uv_check_init(loop, &fanout->doorbell_check);
    fanout->doorbell_check.data = fanout;
    return fanout;
}

void fanout_close(struct fanout *fanout)
{
    fanout->closing = 1;
    uv_timer_stop(&fanout->retry_timer);
    uv_close((uv_handle_t *)&fanout->retry_timer, NULL);
    uv_check_stop(&fanout->doorbell_check);
    uv_close((uv_handle_t *)&fanout->doorbell_check, NULL);
}

void fanout_free(struct fanout *fanout)
{
    if (!fanout)
        return;
    struct conversation *conv;
    while ((conv = fanout->newest)) {
        fanout_lru_unlink(fanout, conv);
        fanout_waiters_answer(conv, &ERROR_UNAVAILABLE); /* none are left in practice */
        fanout_conversation_free(conv);
    }
    struct fanout_user *user;
    while ((user = eio_map_any(fanout->users))) {
        eio_map_remove(fanout->users, user->id);
        free(user);
    }
    eio_map_free(fanout->users);
    eio_map_free(fanout->conversations);
    free(fanout->ranges);
    free(fanout->rung);
    free(fanout);
}
