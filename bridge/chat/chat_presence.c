/* chat_presence: wires presence and typing (modules that know nothing of sockets) to fanout's
 * sockets (see chat_presence.h). */
#include "chat/chat_presence.h"
#include "chat/chat_sql.h"
#include "core/ids.h"
#include "core/log.h"
#include "presence/presence.h"
#include "presence/redis.h"
#include "presence/typing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct chat_presence {
    struct redis *redis;       /* NULL without Redis */
    struct presence *presence; /* NULL without Redis */
    struct typing *typing;
    struct fanout *fanout;
};

/* A typing event from some bridge, waiting for this bridge's member list of its conversation.
 * Holds nothing of chat_presence, so it may outlive it (fanout answers it when closing). */
struct chat_presence_typing {
    struct fanout *fanout;
    char conversation[IDS_UUID_LEN + 1];
    char user[IDS_UUID_LEN + 1];
    char username[TYPING_USERNAME_MAX + 1];
    int typing;
};

/* A user_online question; the socket is referenced meanwhile. */
struct chat_presence_question {
    sio_socket *socket;
    int64_t ack_id;
};

static void chat_presence_ack(sio_socket *socket, int64_t ack_id, json_t *value)
{
    json_t *args = value ? json_pack("[O]", value) : NULL;
    if (ack_id >= 0 && args)
        sio_socket_ack(socket, ack_id, args, NULL, 0);
    json_decref(args);
    json_decref(value);
}

/* ---- presence changes -> `presence` to the audience held here ---- */

static void chat_presence_on_change(void *data, const struct presence_change *change,
                                    json_t *audience)
{
    struct chat_presence *chat_presence = data;
    json_t *body = presence_change_json(change);
    if (!body)
        return;
    size_t i;
    json_t *id;
    json_array_foreach(audience, i, id) {
        const char *user = json_string_value(id);
        if (user)
            fanout_emit_user(chat_presence->fanout, user, "presence", body);
    }
    json_decref(body);
}

/* After an outage: what each user held here may have missed, as `users_online`. */
static void chat_presence_on_refresh(void *data, const char *user_id, json_t *online_ids)
{
    struct chat_presence *chat_presence = data;
    fanout_emit_user(chat_presence->fanout, user_id, "users_online", online_ids);
}

/* ---- typing from any bridge -> the conversation's members held here ---- */

static void chat_presence_on_member(void *data, const struct error_kind *refusal)
{
    struct chat_presence_typing *event = data;
    if (!refusal)
        fanout_typing(event->fanout, event->user, event->username, event->conversation,
                      event->typing);
    free(event);
}

static void chat_presence_on_typing(void *data, const struct typing_event *typing)
{
    struct chat_presence *chat_presence = data;
    struct chat_presence_typing *event = calloc(1, sizeof(*event));
    if (!event)
        return;
    event->fanout = chat_presence->fanout;
    snprintf(event->conversation, sizeof(event->conversation), "%s", typing->conversation_id);
    snprintf(event->user, sizeof(event->user), "%s", typing->user_id);
    snprintf(event->username, sizeof(event->username), "%s", typing->username);
    event->typing = typing->typing;
    /* loads the member list when this bridge has not cached it yet, and re-checks the sender */
    fanout_check_member(chat_presence->fanout, event->conversation, event->user,
                        chat_presence_on_member, event);
}

/* ---- the chat layer's calls ---- */

void chat_presence_connected(struct chat_presence *chat_presence, const struct fanout_socket *who)
{
    if (chat_presence->presence && presence_connected(chat_presence->presence, who->user_id) != 0)
        log_warn("presence_refused", "user=%s reason=\"too many users on this bridge\"",
                 who->user_id);
}

void chat_presence_disconnected(struct chat_presence *chat_presence,
                                const struct fanout_socket *who)
{
    int left = chat_presence->presence
                   ? presence_disconnected(chat_presence->presence, who->user_id)
                   : 0;
    if (left == 0)
        typing_user_gone(chat_presence->typing, who->user_id);
}

void chat_presence_typing(struct chat_presence *chat_presence, const struct fanout_socket *who,
                          const char *conversation_id, int typing)
{
    if (typing)
        typing_start(chat_presence->typing, conversation_id, who->user_id, who->username);
    else
        typing_stop(chat_presence->typing, conversation_id, who->user_id);
}

static void chat_presence_on_online(void *data, enum presence_status status, json_t *user_ids)
{
    struct chat_presence_question *question = data;
    if (status == PRESENCE_OK) {
        json_t *args = json_pack("[O]", user_ids);
        if (args)
            sio_socket_emit(question->socket, "users_online", args, NULL, 0);
        json_decref(args);
        chat_presence_ack(question->socket, question->ack_id, json_pack("{s:b}", "ok", 1));
    } else {
        /* Redis down, or the database could not say who the audience is */
        chat_presence_ack(question->socket, question->ack_id,
                          errors_json(&ERROR_UNAVAILABLE, NULL));
    }
    sio_socket_unref(question->socket);
    free(question);
}

void chat_presence_online(struct chat_presence *chat_presence, sio_socket *socket,
                          const struct fanout_socket *who, int64_t ack_id)
{
    struct chat_presence_question *question = malloc(sizeof(*question));
    if (!question || !chat_presence->presence ||
        presence_users_online(chat_presence->presence, who->user_id, chat_presence_on_online,
                              question) != 0) {
        free(question);
        chat_presence_ack(socket, ack_id, errors_json(&ERROR_UNAVAILABLE, NULL));
        return;
    }
    question->socket = socket;
    question->ack_id = ack_id;
    sio_socket_ref(socket);
}

/* ---- lifetime ---- */

struct chat_presence *chat_presence_new(uv_loop_t *loop, const char *redis_url,
                                        const char *bridge_id, struct db_pool *pool,
                                        struct fanout *fanout)
{
    struct chat_presence *chat_presence = calloc(1, sizeof(*chat_presence));
    if (!chat_presence)
        return NULL;
    chat_presence->fanout = fanout;
    char made_up[PRESENCE_BRIDGE_ID_MAX + 1];
    if (!bridge_id) {
        presence_default_bridge_id(made_up, sizeof(made_up));
        bridge_id = made_up;
    }
    if (redis_url) {
        chat_presence->redis = redis_new(loop, redis_url, "presence");
        chat_presence->presence =
            chat_presence->redis ? presence_new(loop, chat_presence->redis, pool,
                                                bridge_id, chat_presence_on_change, chat_presence)
                                 : NULL;
    }
    if (chat_presence->presence)
        presence_on_refresh(chat_presence->presence, chat_presence_on_refresh, chat_presence);
    chat_presence->typing = typing_new(loop, chat_presence->redis, bridge_id,
                                       chat_presence_on_typing, chat_presence);
    if ((redis_url && !chat_presence->presence) || !chat_presence->typing) {
        chat_presence_close(chat_presence);
        return NULL;
    }
    if (chat_presence->redis)
        redis_start(chat_presence->redis);
    log_info("presence_started", "bridge=%s redis=%s", bridge_id, redis_url ? "yes" : "no");
    return chat_presence;
}

void chat_presence_drain(struct chat_presence *chat_presence)
{
    if (chat_presence && chat_presence->presence)
        presence_leave(chat_presence->presence);
}

struct redis *chat_presence_redis(struct chat_presence *chat_presence)
{
    return chat_presence->redis;
}

int chat_presence_redis_up(const void *chat_presence)
{
    const struct chat_presence *self = chat_presence;
    return self->redis && redis_is_up(self->redis);
}

void chat_presence_close(struct chat_presence *chat_presence)
{
    if (!chat_presence)
        return;
    /* all three in this turn of the loop: the link's callbacks point into the other two */
    presence_close(chat_presence->presence);
    typing_close(chat_presence->typing);
    redis_close(chat_presence->redis);
    free(chat_presence);
}
