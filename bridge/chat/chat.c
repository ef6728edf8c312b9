/* The chat namespace (see chat.h): authentication at CONNECT, then one table mapping each client
 * event to one SQL call (or to a small handler of its own), with the arguments it takes from the
 * event's object. Every answer goes back through the event's ack; a socket waiting for the
 * database is held by a reference, so a client that leaves meanwhile is harmless. */
#include "chat/chat.h"
#include "chat/chat_presence.h"
#include "chat/chat_sessions.h"
#include "core/ids.h"
#include "core/log.h"
#include "core/metrics.h"
#include "chat/send_batch.h"
#include "core/token_bucket.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHAT_MAX_TOKEN 8192             /* longer tokens are refused before any call */
#define CHAT_MAX_ARGS 4
#define CHAT_SYNC_MAX_CONVERSATIONS 100 /* per sync */
#define CHAT_SYNC_LIMIT "100"           /* messages per conversation per sync */
#define CHAT_SYNC_LIMIT_COUNT 100
#define CHAT_SYNC_BUDGET (512 * 1024)   /* bytes of messages per sync answer, roughly */

struct chat {
    uv_loop_t *loop;
    const struct chat_sql *sql;
    struct fanout *fanout;
    struct chat_presence *presence; /* NULL: typing local, no presence */
    struct send_batch *sends;       /* send_message, committed in batches */
    struct chat_sessions *sessions; /* sockets by session: ended with it, or at expiry */
    sio_namespace *nsp;
    size_t pending;
    size_t sockets;
    uint32_t event_rate;  /* events a socket may send a second (config socket_event_rate) */
    uint32_t event_burst; /* and at once: twice that */
    size_t max_user_sockets; /* sockets one user may hold on this bridge */
    size_t max_socket_calls; /* events of one socket waiting for an answer (sio_socket_held) */
    int draining;
    int closed;
};

/* A socket's state: who it is for fanout, and the session its token names. */
struct chat_socket {
    struct fanout_socket who; /* first: a fanout_socket pointer is a chat_socket pointer */
    struct chat_session session;
    struct token_bucket events; /* each client event takes one: a flood is refused, not queued */
};

enum chat_arg_type { ARG_UUID, ARG_TEXT, ARG_SEQ };

struct chat_arg {
    const char *key;
    enum chat_arg_type type;
    int required;
};

typedef void (*chat_handler)(struct chat *chat, sio_socket *socket, struct fanout_socket *who,
                             json_t *payload, int64_t ack_id);

/* A client event: either one SQL call, token first, then `args` in order, or a handler.
 * `bare`: the event may also carry its one argument as a bare value instead of an object, as the
 * original design's client sends `join_conversation` and `leave_conversation`. */
struct chat_event {
    const char *name;
    enum chat_sql_id sql;
    chat_handler handler;
    struct chat_arg args[CHAT_MAX_ARGS];
    int bare;
};

static void chat_join(struct chat *, sio_socket *, struct fanout_socket *, json_t *, int64_t);
static void chat_leave(struct chat *, sio_socket *, struct fanout_socket *, json_t *, int64_t);
static void chat_typing(struct chat *, sio_socket *, struct fanout_socket *, json_t *, int64_t);
static void chat_stop_typing(struct chat *, sio_socket *, struct fanout_socket *, json_t *,
                             int64_t);
static void chat_sync(struct chat *, sio_socket *, struct fanout_socket *, json_t *, int64_t);
static void chat_online(struct chat *, sio_socket *, struct fanout_socket *, json_t *, int64_t);
static void chat_send(struct chat *, sio_socket *, struct fanout_socket *, json_t *, int64_t);
static void chat_set_state(struct chat *, sio_socket *, struct fanout_socket *, json_t *,
                           int64_t);
static void chat_forward(struct chat *, sio_socket *, struct fanout_socket *, json_t *, int64_t);

#define CONVERSATION {"conversationId", ARG_UUID, 1}
#define MESSAGE {"messageId", ARG_UUID, 1}

/* The socket event contract (docs/realtime.md). send_message stays first: chat_send reads its
 * arguments from there. */
static const struct chat_event chat_events[] = {
    {"send_message", CHAT_SQL_COUNT, chat_send,
     {CONVERSATION, {"content", ARG_TEXT, 1}, {"clientId", ARG_TEXT, 0}, {"replyTo", ARG_UUID, 0}}},
    {"edit_message", CHAT_SQL_EDIT_MESSAGE, NULL, {MESSAGE, {"content", ARG_TEXT, 1}}},
    {"delete_message", CHAT_SQL_DELETE_MESSAGE, NULL, {MESSAGE}},
    {"hide_message", CHAT_SQL_HIDE_MESSAGE, NULL, {MESSAGE}},
    {"react", CHAT_SQL_REACT, NULL, {MESSAGE, {"emoji", ARG_TEXT, 0}}},
    {"forward_message", CHAT_SQL_COUNT, chat_forward, {MESSAGE}},
    {"message_info", CHAT_SQL_MESSAGE_INFO, NULL, {MESSAGE}},
    {"set_conversation_state", CHAT_SQL_COUNT, chat_set_state, {CONVERSATION}},
    {"mark_read", CHAT_SQL_MARK_READ, NULL, {CONVERSATION, {"seq", ARG_SEQ, 1}}},
    {"mark_delivered", CHAT_SQL_MARK_DELIVERED, NULL, {CONVERSATION, {"seq", ARG_SEQ, 1}}},
    {"join_conversation", CHAT_SQL_COUNT, chat_join, {CONVERSATION}, 1},
    {"leave_conversation", CHAT_SQL_COUNT, chat_leave, {CONVERSATION}, 1},
    {"typing", CHAT_SQL_COUNT, chat_typing, {CONVERSATION}},
    {"stop_typing", CHAT_SQL_COUNT, chat_stop_typing, {CONVERSATION}},
    {"sync", CHAT_SQL_COUNT, chat_sync, {{NULL, ARG_TEXT, 0}}},
    {"user_online", CHAT_SQL_COUNT, chat_online, {{NULL, ARG_TEXT, 0}}},
};

#define CHAT_EVENT_COUNT (sizeof(chat_events) / sizeof(chat_events[0]))

/* ---- acks ---- */

/* Answers ack_id with [value] and drops the reference to value. */
static void chat_ack(sio_socket *socket, int64_t ack_id, json_t *value)
{
    if (ack_id >= 0 && value) {
        json_t *args = json_pack("[O]", value);
        if (args)
            sio_socket_ack(socket, ack_id, args, NULL, 0);
        json_decref(args);
    }
    json_decref(value);
}

static void chat_ack_error(sio_socket *socket, int64_t ack_id, const struct error_kind *kind,
                           const char *message)
{
    chat_ack(socket, ack_id, errors_json(kind, message));
}

static void chat_ack_ok(sio_socket *socket, int64_t ack_id)
{
    chat_ack(socket, ack_id, json_pack("{s:b}", "ok", 1));
}

/* ---- arguments ---- */

/* The text of one argument into out (or NULL when absent and optional). Returns 0, or -1 with
 * message written when it is missing or of the wrong type. */
static int chat_arg_value(const struct chat_arg *arg, json_t *payload, const char **out,
                          char *number, size_t number_size, char *message, size_t message_size)
{
    json_t *value = json_object_get(payload, arg->key);
    *out = NULL;
    if (!value || json_is_null(value)) {
        if (!arg->required)
            return 0;
        snprintf(message, message_size, "%s is required", arg->key);
        return -1;
    }
    switch (arg->type) {
    case ARG_UUID:
        *out = json_string_value(value);
        if (ids_is_uuid(*out))
            return 0;
        snprintf(message, message_size, "%s must be a uuid", arg->key);
        return -1;
    case ARG_TEXT:
        *out = json_string_value(value);
        if (!*out) {
            snprintf(message, message_size, "%s must be a string", arg->key);
            return -1;
        }
        if (strlen(*out) != json_string_length(value)) {
            snprintf(message, message_size, "%s must not contain NUL characters", arg->key);
            return -1;
        }
        return 0;
    case ARG_SEQ:
        if (json_is_integer(value) && json_integer_value(value) >= 0) {
            snprintf(number, number_size, "%" JSON_INTEGER_FORMAT, json_integer_value(value));
            *out = number;
            return 0;
        }
        snprintf(message, message_size, "%s must be a whole number from 0", arg->key);
        return -1;
    }
    return -1;
}

/* ---- one SQL call per event ---- */

struct chat_call {
    struct chat *chat;
    sio_socket *socket; /* referenced */
    int64_t ack_id;
    const char *what;
};

static void chat_call_end(struct chat_call *call)
{
    call->chat->pending--;
    sio_socket_release(call->socket);
    free(call);
}

static void chat_on_result(void *data, const struct db_result *result)
{
    struct chat_call *call = data;
    if (result->status == DB_OK) {
        json_t *value = chat_sql_result_json(result);
        if (!value)
            value = errors_json(&ERROR_INTERNAL, NULL);
        chat_ack(call->socket, call->ack_id, value);
    } else {
        chat_ack(call->socket, call->ack_id, errors_db_json(result, call->what));
    }
    chat_call_end(call);
}

/* Queues statement with values; when the database can't take it, answers unavailable. */
static void chat_query(struct chat *chat, sio_socket *socket, int64_t ack_id, const char *what,
                       enum chat_sql_id statement, const char *const *values)
{
    struct chat_call *call = malloc(sizeof(*call));
    if (!call) {
        chat_ack_error(socket, ack_id, &ERROR_INTERNAL, NULL);
        return;
    }
    *call = (struct chat_call){chat, socket, ack_id, what};
    if (chat_sql_query(chat->sql, statement, values, chat_on_result, call) != 0) {
        free(call);
        chat_ack_error(socket, ack_id, &ERROR_UNAVAILABLE, NULL);
        return;
    }
    sio_socket_hold(socket);
    chat->pending++;
}

static void chat_plain_call(struct chat *chat, sio_socket *socket, struct fanout_socket *who,
                            const struct chat_event *event, json_t *payload, int64_t ack_id)
{
    const char *values[1 + CHAT_MAX_ARGS] = {who->token};
    char numbers[CHAT_MAX_ARGS][24];
    char message[128];
    for (int i = 0; i < CHAT_MAX_ARGS && event->args[i].key; i++) {
        if (chat_arg_value(&event->args[i], payload, &values[1 + i], numbers[i],
                           sizeof(numbers[i]), message, sizeof(message)) != 0) {
            chat_ack_error(socket, ack_id, &ERROR_BAD_REQUEST, message);
            return;
        }
    }
    chat_query(chat, socket, ack_id, event->name, event->sql, values);
}

/* ---- send_message: checked here, stored in a batch with the others of this moment ---- */

/* What this bridge stored goes to the members it holds at once; the doorbell then finds it sent. */
static void chat_on_stored(void *data, json_t *message)
{
    struct chat *chat = data;
    fanout_stored(chat->fanout, message);
}

static void chat_send(struct chat *chat, sio_socket *socket, struct fanout_socket *who,
                      json_t *payload, int64_t ack_id)
{
    const struct chat_event *event = &chat_events[0]; /* send_message */
    json_t *message = json_object();
    char message_text[128];
    if (!message) {
        chat_ack_error(socket, ack_id, &ERROR_INTERNAL, NULL);
        return;
    }
    for (int i = 0; i < CHAT_MAX_ARGS && event->args[i].key; i++) {
        const char *value;
        if (chat_arg_value(&event->args[i], payload, &value, NULL, 0, message_text,
                           sizeof(message_text)) != 0) {
            json_decref(message);
            chat_ack_error(socket, ack_id, &ERROR_BAD_REQUEST, message_text);
            return;
        }
        if (value && json_object_set_new(message, event->args[i].key, json_string(value)) != 0) {
            json_decref(message);
            chat_ack_error(socket, ack_id, &ERROR_INTERNAL, NULL);
            return;
        }
    }
    /* attachment ids go on as given; the database checks each (docs/attachments.md) */
    json_t *files = json_is_object(payload) ? json_object_get(payload, "attachments") : NULL;
    if (files && !json_is_null(files) &&
        (!json_is_array(files) || json_object_set(message, "attachments", files) != 0)) {
        json_decref(message);
        chat_ack_error(socket, ack_id, &ERROR_BAD_REQUEST, "attachments must be an array of uuids");
        return;
    }
    if (send_batch_add(chat->sends, socket, ack_id, who->token, message) != 0) {
        json_decref(message);
        chat_ack_error(socket, ack_id, &ERROR_UNAVAILABLE, NULL);
    }
}

/* ---- set_conversation_state: the event's mute, archived and pinned, as the changes object ---- */

static void chat_set_state(struct chat *chat, sio_socket *socket, struct fanout_socket *who,
                           json_t *payload, int64_t ack_id)
{
    static const struct chat_arg arg = CONVERSATION;
    static const char *const keys[] = {"mute", "archived", "pinned"};
    const char *conversation_id;
    char message[128];
    if (chat_arg_value(&arg, payload, &conversation_id, NULL, 0, message, sizeof(message)) != 0) {
        chat_ack_error(socket, ack_id, &ERROR_BAD_REQUEST, message);
        return;
    }
    /* only the three keys of the state go on; the extension checks their values */
    json_t *changes = json_object();
    for (size_t i = 0; changes && i < sizeof(keys) / sizeof(keys[0]); i++) {
        json_t *value = json_object_get(payload, keys[i]);
        if (value && json_object_set(changes, keys[i], value) != 0) {
            json_decref(changes);
            changes = NULL;
        }
    }
    char *text = changes ? json_dumps(changes, JSON_COMPACT) : NULL;
    json_decref(changes);
    if (!text) {
        chat_ack_error(socket, ack_id, &ERROR_INTERNAL, NULL);
        return;
    }
    const char *values[] = {who->token, conversation_id, text};
    chat_query(chat, socket, ack_id, "set_conversation_state", CHAT_SQL_SET_STATE, values);
    free(text);
}

/* ---- forward_message: the target ids as a uuid[] literal; the extension checks the rest ---- */

/* More than a forward may name (the extension's bound is 5): refused here, before any copy. */
#define CHAT_FORWARD_MAX_IDS 64

/* "{id,id,...}" of a JSON array of uuids into out (CHAT_FORWARD_MAX_IDS * 37 + 3 bytes); -1 when
 * it is not such an array. */
static int chat_uuid_array(json_t *array, char *out)
{
    size_t used = 0;
    if (!json_is_array(array) || json_array_size(array) > CHAT_FORWARD_MAX_IDS)
        return -1;
    out[used++] = '{';
    for (size_t i = 0; i < json_array_size(array); i++) {
        const char *id = json_string_value(json_array_get(array, i));
        if (!ids_is_uuid(id))
            return -1;
        if (i)
            out[used++] = ',';
        memcpy(out + used, id, IDS_UUID_LEN);
        used += IDS_UUID_LEN;
    }
    out[used++] = '}';
    out[used] = '\0';
    return 0;
}

static void chat_forward(struct chat *chat, sio_socket *socket, struct fanout_socket *who,
                         json_t *payload, int64_t ack_id)
{
    static const struct chat_arg message_arg = MESSAGE;
    static const struct chat_arg client_id_arg = {"clientId", ARG_TEXT, 0};
    char ids[CHAT_FORWARD_MAX_IDS * (IDS_UUID_LEN + 1) + 3];
    const char *message_id, *client_id;
    char message[128];
    if (chat_arg_value(&message_arg, payload, &message_id, NULL, 0, message, sizeof(message)) != 0 ||
        chat_arg_value(&client_id_arg, payload, &client_id, NULL, 0, message, sizeof(message)) != 0) {
        chat_ack_error(socket, ack_id, &ERROR_BAD_REQUEST, message);
        return;
    }
    if (chat_uuid_array(json_object_get(payload, "conversationIds"), ids) != 0) {
        snprintf(message, sizeof(message), "conversationIds must be an array of uuids (at most %d)",
                 CHAT_FORWARD_MAX_IDS);
        chat_ack_error(socket, ack_id, &ERROR_BAD_REQUEST, message);
        return;
    }
    const char *values[] = {who->token, message_id, ids, client_id};
    chat_query(chat, socket, ack_id, "forward_message", CHAT_SQL_FORWARD, values);
}

/* ---- rooms and typing: a membership check, then something on this bridge ---- */

struct chat_check {
    struct chat *chat;
    sio_socket *socket; /* referenced */
    int64_t ack_id;
    int action;         /* CHECK_JOIN, CHECK_TYPING, CHECK_STOP_TYPING */
    char conversation_id[IDS_UUID_LEN + 1];
};

enum { CHECK_JOIN, CHECK_TYPING, CHECK_STOP_TYPING };

static void chat_on_checked(void *data, const struct error_kind *refusal)
{
    struct chat_check *check = data;
    struct fanout_socket *who = sio_socket_data(check->socket);
    check->chat->pending--;
    if (!who || !sio_socket_connected(check->socket)) {
        /* the client left meanwhile */
    } else if (refusal) {
        chat_ack_error(check->socket, check->ack_id, refusal,
                       refusal == &ERROR_NOT_FOUND ? "conversation not found" : NULL);
    } else if (check->action == CHECK_JOIN) {
        char room[64];
        fanout_room_name(room, sizeof(room), check->conversation_id);
        if (sio_socket_join(check->socket, room) != 0)
            chat_ack_error(check->socket, check->ack_id, &ERROR_BAD_REQUEST,
                           "too many open conversations on this socket");
        else
            chat_ack_ok(check->socket, check->ack_id);
    } else {
        if (check->chat->presence) /* through Redis, to every bridge */
            chat_presence_typing(check->chat->presence, who, check->conversation_id,
                                 check->action == CHECK_TYPING);
        else
            fanout_typing(check->chat->fanout, who->user_id, who->username,
                          check->conversation_id, check->action == CHECK_TYPING);
        chat_ack_ok(check->socket, check->ack_id);
    }
    sio_socket_release(check->socket);
    free(check);
}

static void chat_check_then(struct chat *chat, sio_socket *socket, struct fanout_socket *who,
                            json_t *payload, int64_t ack_id, int action)
{
    static const struct chat_arg arg = CONVERSATION;
    const char *conversation_id;
    char message[128];
    if (chat_arg_value(&arg, payload, &conversation_id, NULL, 0, message, sizeof(message)) != 0) {
        chat_ack_error(socket, ack_id, &ERROR_BAD_REQUEST, message);
        return;
    }
    struct chat_check *check = malloc(sizeof(*check));
    if (!check) {
        chat_ack_error(socket, ack_id, &ERROR_INTERNAL, NULL);
        return;
    }
    *check = (struct chat_check){chat, socket, ack_id, action, ""};
    snprintf(check->conversation_id, sizeof(check->conversation_id), "%s", conversation_id);
    sio_socket_hold(socket);
    chat->pending++;
    fanout_check_member(chat->fanout, conversation_id, who->user_id, chat_on_checked, check);
}

static void chat_join(struct chat *chat, sio_socket *socket, struct fanout_socket *who,
                      json_t *payload, int64_t ack_id)
{
    chat_check_then(chat, socket, who, payload, ack_id, CHECK_JOIN);
}

static void chat_typing(struct chat *chat, sio_socket *socket, struct fanout_socket *who,
                        json_t *payload, int64_t ack_id)
{
    chat_check_then(chat, socket, who, payload, ack_id, CHECK_TYPING);
}

static void chat_stop_typing(struct chat *chat, sio_socket *socket, struct fanout_socket *who,
                             json_t *payload, int64_t ack_id)
{
    chat_check_then(chat, socket, who, payload, ack_id, CHECK_STOP_TYPING);
}

static void chat_leave(struct chat *chat, sio_socket *socket, struct fanout_socket *who,
                       json_t *payload, int64_t ack_id)
{
    (void)chat;
    (void)who;
    static const struct chat_arg arg = CONVERSATION;
    const char *conversation_id;
    char message[128], room[64];
    if (chat_arg_value(&arg, payload, &conversation_id, NULL, 0, message, sizeof(message)) != 0) {
        chat_ack_error(socket, ack_id, &ERROR_BAD_REQUEST, message);
        return;
    }
    fanout_room_name(room, sizeof(room), conversation_id);
    sio_socket_leave(socket, room);
    chat_ack_ok(socket, ack_id);
}

/* users_online [ids] of the caller's audience, or unavailable without Redis. */
static void chat_online(struct chat *chat, sio_socket *socket, struct fanout_socket *who,
                        json_t *payload, int64_t ack_id)
{
    (void)payload;
    if (chat->presence)
        chat_presence_online(chat->presence, socket, who, ack_id);
    else
        chat_ack_error(socket, ack_id, &ERROR_UNAVAILABLE, "presence is unavailable");
}

/* ---- sync: catch-up after a reconnect, several conversations in one ack ---- */

struct chat_sync {
    struct chat *chat;
    sio_socket *socket; /* referenced */
    int64_t ack_id;
    size_t remaining;   /* answers still to come, plus one while queuing */
    json_t *messages;
    size_t bytes;
    int more;
    json_t *failure;    /* the first refusal that fails the whole sync */
};

static void chat_sync_finish(struct chat_sync *sync)
{
    if (sync->failure) {
        chat_ack(sync->socket, sync->ack_id, sync->failure);
        sync->failure = NULL;
    } else {
        chat_ack(sync->socket, sync->ack_id,
                 json_pack("{s:O,s:b}", "messages", sync->messages, "hasMore", sync->more));
    }
    json_decref(sync->messages);
    sync->chat->pending--;
    sio_socket_release(sync->socket);
    free(sync);
}

/* Takes one conversation's messages, as a prefix when the answer's byte budget runs out. */
static void chat_sync_take(struct chat_sync *sync, const struct db_result *result)
{
    json_t *list = chat_sql_result_json(result);
    size_t count = json_array_size(list);
    if (count >= CHAT_SYNC_LIMIT_COUNT)
        sync->more = 1;
    for (size_t i = 0; i < count; i++) {
        json_t *message = json_array_get(list, i);
        size_t size = 400 + json_string_length(json_object_get(message, "content")) * 2;
        if (sync->bytes > 0 && sync->bytes + size > CHAT_SYNC_BUDGET) {
            sync->more = 1;
            break;
        }
        sync->bytes += size;
        json_array_append(sync->messages, message);
    }
    json_decref(list);
}

static void chat_sync_answer(struct chat_sync *sync, const struct db_result *result)
{
    if (result && result->status == DB_OK) {
        chat_sync_take(sync, result);
    } else if (!sync->failure) {
        const struct error_kind *kind =
            result && result->status == DB_ERROR ? errors_from_sqlstate(result->sqlstate)
                                                 : &ERROR_UNAVAILABLE;
        /* a conversation the user is no longer in is skipped; an expired token or a database
         * that is down fails the whole sync */
        if (kind == &ERROR_UNAUTHORIZED || kind->status >= 500)
            sync->failure = result ? errors_db_json(result, "messages_after")
                                   : errors_json(&ERROR_UNAVAILABLE, NULL);
    }
    if (--sync->remaining == 0)
        chat_sync_finish(sync);
}

static void chat_sync_on_result(void *data, const struct db_result *result)
{
    chat_sync_answer(data, result);
}

/* Checks {conversations: {uuid: seq}}; returns 0 or -1 with message written. */
static int chat_sync_check(json_t *conversations, char *message, size_t size)
{
    if (!json_is_object(conversations)) {
        snprintf(message, size, "conversations must be an object of conversationId: lastSeq");
        return -1;
    }
    if (json_object_size(conversations) > CHAT_SYNC_MAX_CONVERSATIONS) {
        snprintf(message, size, "at most %d conversations per sync", CHAT_SYNC_MAX_CONVERSATIONS);
        return -1;
    }
    const char *id;
    json_t *seq;
    json_object_foreach(conversations, id, seq) {
        if (!ids_is_uuid(id) || !json_is_integer(seq) || json_integer_value(seq) < 0) {
            snprintf(message, size, "each conversation must be a uuid with a whole number seq");
            return -1;
        }
    }
    return 0;
}

static void chat_sync(struct chat *chat, sio_socket *socket, struct fanout_socket *who,
                      json_t *payload, int64_t ack_id)
{
    json_t *conversations = json_object_get(payload, "conversations");
    char message[128];
    if (chat_sync_check(conversations, message, sizeof(message)) != 0) {
        chat_ack_error(socket, ack_id, &ERROR_BAD_REQUEST, message);
        return;
    }
    struct chat_sync *sync = calloc(1, sizeof(*sync));
    if (!sync || !(sync->messages = json_array())) {
        free(sync);
        chat_ack_error(socket, ack_id, &ERROR_INTERNAL, NULL);
        return;
    }
    sync->chat = chat;
    sync->socket = socket;
    sync->ack_id = ack_id;
    sync->remaining = json_object_size(conversations) + 1;
    sio_socket_hold(socket);
    chat->pending++;
    const char *id;
    json_t *seq;
    json_object_foreach(conversations, id, seq) {
        char after[24];
        snprintf(after, sizeof(after), "%" JSON_INTEGER_FORMAT, json_integer_value(seq));
        const char *values[] = {who->token, id, after, CHAT_SYNC_LIMIT};
        if (chat_sql_query(chat->sql, CHAT_SQL_MESSAGES_AFTER, values, chat_sync_on_result,
                           sync) != 0)
            chat_sync_answer(sync, NULL);
    }
    if (--sync->remaining == 0)
        chat_sync_finish(sync);
}

/* ---- the namespace's callbacks ---- */

static void chat_on_event(sio_socket *socket, const char *name, json_t *args,
                          const sio_binary *bins, size_t bin_count, int64_t ack_id, void *data)
{
    (void)bins;
    struct chat *chat = data;
    struct fanout_socket *who = sio_socket_data(socket);
    if (!who)
        return;
    if (bin_count > 0) {
        chat_ack_error(socket, ack_id, &ERROR_BAD_REQUEST, "binary payloads are not accepted");
        return;
    }
    const struct chat_event *event = NULL;
    for (size_t i = 0; i < CHAT_EVENT_COUNT && !event; i++)
        if (strcmp(chat_events[i].name, name) == 0)
            event = &chat_events[i];
    if (!event) {
        chat_ack_error(socket, ack_id, &ERROR_BAD_REQUEST, "unknown event");
        return;
    }
    if (chat->draining) {
        chat_ack_error(socket, ack_id, &ERROR_UNAVAILABLE, NULL);
        return;
    }
    struct chat_socket *state = (struct chat_socket *)who;
    metrics_count(METRICS_EVENTS_IN, 1);
    if (!token_bucket_take(&state->events, chat->event_rate, chat->event_burst, uv_now(chat->loop),
                           NULL)) {
        metrics_count(METRICS_REFUSED_RATE, 1);
        chat_ack_error(socket, ack_id, &ERROR_RATE_LIMITED, "too many events: slow down");
        return;
    }
    /* the rate bounds what a socket asks a second; this bounds what it has waiting at once, so
     * a slow database can't pile up one client's calls in the shared queue */
    if (sio_socket_held(socket) >= chat->max_socket_calls) {
        metrics_count(METRICS_REFUSED_CALLS, 1);
        chat_ack_error(socket, ack_id, &ERROR_RATE_LIMITED,
                       "too many calls waiting: wait for their answers");
        return;
    }
    json_t *payload = json_array_get(args, 0);
    json_t *wrapped = NULL;
    if (event->bare && json_is_string(payload))
        payload = wrapped = json_pack("{s:O}", event->args[0].key, payload);
    if (!json_is_object(payload) && event->handler != chat_online) {
        chat_ack_error(socket, ack_id, &ERROR_BAD_REQUEST, "the event takes one object");
        json_decref(wrapped);
        return;
    }
    log_debug("chat_event", "event=%s user=%s", event->name, who->user_id);
    if (event->handler)
        event->handler(chat, socket, who, payload, ack_id);
    else
        chat_plain_call(chat, socket, who, event, payload, ack_id);
    json_decref(wrapped);
}

struct chat_connect {
    struct chat *chat;
    sio_socket *socket; /* referenced */
    char *token;
};

static void chat_refuse(sio_socket *socket, const struct error_kind *kind, const char *message)
{
    json_t *data = json_pack("{s:s}", "code", kind->code);
    sio_socket_refuse(socket, message, data);
    json_decref(data);
}

static void chat_socket_free(struct chat_socket *socket)
{
    free(socket->who.username);
    free(socket->who.token);
    free(socket);
}

/* The authenticated user ({user, sessionId, expiresIn}): a chat_socket for it, the CONNECT
 * accepted, the socket registered with fanout and with the sessions. */
static void chat_welcome(struct chat_connect *connect, json_t *answer)
{
    json_t *user = json_object_get(answer, "user");
    const char *id = json_string_value(json_object_get(user, "id"));
    const char *username = json_string_value(json_object_get(user, "username"));
    const char *session_id = json_string_value(json_object_get(answer, "sessionId"));
    json_int_t expires_in = json_integer_value(json_object_get(answer, "expiresIn"));
    struct chat_socket *state = calloc(1, sizeof(*state));
    struct fanout_socket *who = state ? &state->who : NULL;
    if (!state || !ids_is_uuid(id) || !ids_is_uuid(session_id) || !username ||
        !(who->username = strdup(username))) {
        if (state)
            chat_socket_free(state);
        chat_refuse(connect->socket, &ERROR_INTERNAL, "internal error");
        return;
    }
    who->socket = connect->socket;
    who->token = connect->token;
    connect->token = NULL;
    snprintf(who->user_id, sizeof(who->user_id), "%s", id);
    state->session.socket = connect->socket;
    snprintf(state->session.id, sizeof(state->session.id), "%s", session_id);
    snprintf(state->session.user_id, sizeof(state->session.user_id), "%s", id);
    /* every socket may hold a full outgoing queue: one account can't open them without end */
    if (fanout_user_sockets(connect->chat->fanout, id) >= connect->chat->max_user_sockets) {
        chat_socket_free(state);
        metrics_count(METRICS_REFUSED_CAP, 1);
        chat_refuse(connect->socket, &ERROR_RATE_LIMITED, "too many connections for this user");
        return;
    }
    if (fanout_add(connect->chat->fanout, who) != 0) {
        chat_socket_free(state);
        chat_refuse(connect->socket, &ERROR_INTERNAL, "internal error");
        return;
    }
    sio_socket_set_data(connect->socket, who);
    if (sio_socket_accept(connect->socket) != 0) { /* the client left meanwhile */
        sio_socket_set_data(connect->socket, NULL);
        fanout_remove(connect->chat->fanout, who);
        chat_socket_free(state);
        return;
    }
    chat_sessions_add(connect->chat->sessions, &state->session, expires_in);
    token_bucket_init(&state->events, connect->chat->event_burst, uv_now(connect->chat->loop));
    connect->chat->sockets++;
    if (connect->chat->presence)
        chat_presence_connected(connect->chat->presence, who);
    log_info("chat_connected", "user=%s socket=%s", who->user_id, sio_socket_id(connect->socket));
}

static void chat_on_authenticated(void *data, const struct db_result *result)
{
    struct chat_connect *connect = data;
    connect->chat->pending--;
    if (result->status == DB_OK) {
        json_t *answer = chat_sql_result_json(result);
        chat_welcome(connect, answer);
        json_decref(answer);
    } else {
        json_t *error = errors_db_json(result, "session");
        const struct error_kind *kind = result->status == DB_ERROR
                                            ? errors_from_sqlstate(result->sqlstate)
                                            : &ERROR_UNAVAILABLE;
        chat_refuse(connect->socket, kind,
                    kind == &ERROR_UNAUTHORIZED ? "authentication failed: invalid or expired token"
                    : kind == &ERROR_UNAVAILABLE ? "service unavailable, retry shortly"
                                                 : "authentication failed: bad token");
        json_decref(error);
    }
    sio_socket_unref(connect->socket);
    free(connect->token);
    free(connect);
}

static void chat_on_connect(sio_socket *socket, json_t *auth, void *data)
{
    struct chat *chat = data;
    const char *token = json_string_value(json_object_get(auth, "token"));
    if (chat->draining) {
        chat_refuse(socket, &ERROR_UNAVAILABLE, "service unavailable, retry shortly");
        return;
    }
    if (!token || !token[0]) {
        chat_refuse(socket, &ERROR_UNAUTHORIZED, "authentication failed: missing token");
        return;
    }
    if (strlen(token) > CHAT_MAX_TOKEN) {
        chat_refuse(socket, &ERROR_UNAUTHORIZED, "authentication failed: invalid token");
        return;
    }
    struct chat_connect *connect = calloc(1, sizeof(*connect));
    if (!connect || !(connect->token = strdup(token))) {
        free(connect);
        chat_refuse(socket, &ERROR_INTERNAL, "internal error");
        return;
    }
    connect->chat = chat;
    connect->socket = socket;
    const char *values[] = {token};
    if (chat_sql_query(chat->sql, CHAT_SQL_SESSION, values, chat_on_authenticated,
                       connect) != 0) {
        free(connect->token);
        free(connect);
        chat_refuse(socket, &ERROR_UNAVAILABLE, "service unavailable, retry shortly");
        return;
    }
    sio_socket_ref(socket);
    chat->pending++;
}

static void chat_on_disconnect(sio_socket *socket, const char *reason, void *data)
{
    struct chat *chat = data;
    struct fanout_socket *who = sio_socket_data(socket);
    if (!who)
        return;
    char text[80];
    log_info("chat_disconnected", "user=%s socket=%s reason=%s", who->user_id,
             sio_socket_id(socket), log_quote(text, sizeof(text), reason));
    sio_socket_set_data(socket, NULL);
    if (chat->presence)
        chat_presence_disconnected(chat->presence, who);
    fanout_remove(chat->fanout, who);
    struct chat_socket *state = (struct chat_socket *)who;
    chat_sessions_remove(chat->sessions, &state->session);
    chat_socket_free(state);
    chat->sockets--;
}

/* ---- lifetime ---- */

struct chat *chat_new(uv_loop_t *loop, sio_server *io, const struct chat_sql *sql,
                      struct fanout *fanout, const struct chat_limits *limits)
{
    struct chat *chat = calloc(1, sizeof(*chat));
    if (!chat)
        return NULL;
    int send_batches = limits->send_batches, event_rate = limits->event_rate;
    chat->max_user_sockets = (size_t)limits->max_user_sockets;
    chat->max_socket_calls = (size_t)limits->max_socket_calls;
    chat->loop = loop;
    chat->event_rate = (uint32_t)event_rate;
    chat->event_burst = 2 * (uint32_t)event_rate;
    chat->sql = sql;
    chat->fanout = fanout;
    chat->sends = send_batch_new(loop, sql, send_batches, chat_on_stored, chat);
    chat->sessions = chat_sessions_new(loop);
    if (!chat->sends || !chat->sessions) {
        if (chat->sends)
            send_batch_close(chat->sends);
        chat_sessions_close(chat->sessions);
        chat_sessions_free(chat->sessions);
        free(chat);
        return NULL;
    }
    sio_handlers handlers = {
        .on_connect = chat_on_connect,
        .on_event = chat_on_event,
        .on_disconnect = chat_on_disconnect,
        .data = chat,
    };
    chat->nsp = sio_server_namespace(io, "/", &handlers);
    if (!chat->nsp) {
        send_batch_close(chat->sends);
        chat_sessions_close(chat->sessions);
        chat_sessions_free(chat->sessions);
        free(chat);
        return NULL;
    }
    return chat;
}

void chat_close(struct chat *chat)
{
    if (!chat || chat->closed)
        return;
    chat->closed = 1;
    send_batch_close(chat->sends);
    chat_sessions_close(chat->sessions);
}

void chat_free(struct chat *chat)
{
    if (chat)
        chat_sessions_free(chat->sessions);
    free(chat);
}

int chat_notify(struct chat *chat, const char *payload, size_t length)
{
    return chat_sessions_event(chat->sessions, payload, length);
}

void chat_set_presence(struct chat *chat, struct chat_presence *presence)
{
    chat->presence = presence;
}

void chat_drain(struct chat *chat) { chat->draining = 1; }

size_t chat_pending(const struct chat *chat)
{
    return chat->pending + send_batch_pending(chat->sends);
}

size_t chat_sockets(const struct chat *chat) { return chat->sockets; }
