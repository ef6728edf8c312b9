/* Fan-out (see fanout.h). Each conversation the bridge has heard of is an entry with its cached
 * members and its event stream. The stream is pumped by one function, conversation_pump, which
 * takes the head event and either sends it, drops it (a seq already sent), or waits for one
 * database call (members, or a message from the table) whose answer pumps again. So a
 * conversation's events go out one at a time, in order, and a stalled one (database down) is
 * retried by a timer. */
#include "chat/fanout.h"
#include "core/eio_map.h"
#include "core/log.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FANOUT_MAX_CONVERSATIONS 50000 /* cached entries; the least recently used idle go first */
#define FANOUT_MAX_QUEUED 4096         /* events waiting per conversation; beyond, dropped */
#define FANOUT_MAX_MEMBERS 10000       /* a members answer longer than this is refused */
#define FANOUT_RETRY_MS 1000           /* a stalled conversation is pumped again after this */
#define FANOUT_TARGETS_ON_STACK 64
#define DOORBELL_MAX_RANGE 1000        /* seqs in one range of a doorbell; longer is refused */
#define DOORBELL_FETCH_MAX 1000        /* messages asked for in one chat.event_messages call */
#define DOORBELL_MAX_RUNG 100000       /* ranges heard in one loop turn; beyond, fetched as gaps */

typedef char fanout_id[IDS_UUID_LEN + 1];

struct fanout_user {
    fanout_id id; /* the map's key */
    struct fanout_socket *sockets;
};

/* the message kinds first: each names a seq (event_parse tests kind <= EVENT_REACTIONS) */
enum event_kind {
    EVENT_CREATED,
    EVENT_UPDATED,
    EVENT_DELETED,
    EVENT_REACTIONS,
    EVENT_RECEIPT,
    EVENT_MEMBERSHIP
};

struct fanout_event {
    struct fanout_event *next;
    enum event_kind kind;
    int64_t seq;
    json_t *body;          /* message, receipt or membership payload; NULL: a message by reference */
    int awaiting;          /* a message a doorbell fetch in flight will fill */
    int gap_checked;       /* the seq after the last sent is missing: fetch this one itself */
    int reloaded;          /* membership: members were reloaded for it */
    fanout_id *before;     /* membership: the members before it */
    size_t before_count;
};

enum members_state { MEMBERS_NONE, MEMBERS_LOADING, MEMBERS_LOADED };

struct fanout_waiter {
    struct fanout_waiter *next;
    fanout_id user_id;
    fanout_check_fn done;
    void *data;
};

struct conversation {
    fanout_id id; /* the map's key */
    enum members_state members_state;
    int members_stale;     /* a reload was asked for while one was in flight */
    fanout_id *members;
    int64_t *joined_seqs;  /* beside members: each sees only messages with a greater seq */
    int quiet;             /* a direct chat with a block: no typing is relayed (1.6) */
    size_t member_count;
    struct fanout_waiter *waiters;
    int64_t last_seq;      /* the last message_created sent out; -1 while unknown */
    int fetching;          /* an event_message call is in flight */
    int catching_up;       /* after a listener reconnect: fetch last_seq + 1 until none */
    int stalled;           /* the database was unavailable: the retry timer pumps again */
    int pumping;
    struct fanout_event *head, *tail;
    size_t queued;
    struct conversation *newer, *older;
};

/* A doorbell's range waiting for (or in) a batched fetch. */
struct doorbell_range {
    fanout_id conversation_id;
    int64_t first, last;
};

struct fanout {
    uv_loop_t *loop;
    const struct chat_sql *sql;
    eio_map *users;
    eio_map *conversations;
    struct conversation *newest, *oldest;
    size_t stalled;
    uv_timer_t retry_timer;
    int closing;
    struct doorbell_range *ranges; /* waiting for the next doorbell fetch */
    size_t range_count, range_room;
    struct doorbell_range *rung;   /* doorbells heard this loop turn, rung in the check phase */
    size_t rung_count, rung_room;
    uv_check_t doorbell_check;
    int doorbell_fetching;         /* one fetch in flight at a time, so they come back in order */
};

static void conversation_pump(struct fanout *fanout, struct conversation *conv);
static void fanout_on_retry(uv_timer_t *timer);

/* ---- small helpers ---- */

void fanout_room_name(char *out, size_t size, const char *conversation_id)
{
    snprintf(out, size, "conversation:%s", conversation_id);
}

static int ids_contain(const fanout_id *ids, size_t count, const char *id)
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

/* ---- sending ---- */

/* Adds the sockets of user_id to targets (each referenced), growing a heap array when the stack
 * one is full. Returns the new count; on allocation failure the user is skipped. */
static size_t targets_add(struct fanout *fanout, const char *user_id, sio_socket ***targets,
                          size_t count, size_t *room, sio_socket **stack)
{
    struct fanout_user *user = eio_map_get(fanout->users, user_id);
    for (struct fanout_socket *s = user ? user->sockets : NULL; s; s = s->next) {
        if (count == *room) {
            size_t bigger = *room * 2;
            sio_socket **grown = *targets == stack ? malloc(bigger * sizeof(*grown))
                                                   : realloc(*targets, bigger * sizeof(*grown));
            if (!grown)
                return count;
            if (*targets == stack)
                memcpy(grown, stack, count * sizeof(*grown));
            *targets = grown;
            *room = bigger;
        }
        sio_socket_ref(s->socket);
        (*targets)[count++] = s->socket;
    }
    return count;
}

/* Emits event [body] to every socket of the given users but `except`, and but those whose joined
 * seq (when given) is at or past `seq`: a member added to a group gets no event of a message from
 * before. The sockets are gathered (referenced) first, since an emit may disconnect a slow
 * reader and so change the lists. */
static void emit_to_users(struct fanout *fanout, const fanout_id *users, const int64_t *joined,
                          int64_t seq, size_t user_count, const char *except, const char *event,
                          json_t *body)
{
    sio_socket *stack[FANOUT_TARGETS_ON_STACK];
    sio_socket **targets = stack;
    size_t room = FANOUT_TARGETS_ON_STACK, count = 0;
    for (size_t i = 0; i < user_count; i++)
        if ((!except || strcmp(users[i], except) != 0) && (!joined || joined[i] < seq))
            count = targets_add(fanout, users[i], &targets, count, &room, stack);
    if (count == 0)
        return;
    /* encoded once, however many sockets it goes to */
    json_t *args = json_pack("[O]", body);
    sio_frame *frame = args ? sio_frame_new(sio_socket_namespace(targets[0]), event, args) : NULL;
    json_decref(args);
    for (size_t i = 0; i < count; i++) {
        if (frame)
            sio_frame_send(targets[i], frame);
        sio_socket_unref(targets[i]);
    }
    sio_frame_free(frame);
    if (targets != stack)
        free(targets);
}

void fanout_emit_user(struct fanout *fanout, const char *user_id, const char *event, json_t *body)
{
    fanout_id one;
    snprintf(one, sizeof(one), "%s", user_id);
    emit_to_users(fanout, &one, NULL, 0, 1, NULL, event, body);
}

void fanout_typing(struct fanout *fanout, const char *user_id, const char *username,
                   const char *conversation_id, int typing)
{
    struct conversation *conv = eio_map_get(fanout->conversations, conversation_id);
    if (!conv || conv->members_state != MEMBERS_LOADED || conv->quiet)
        return;
    json_t *body = typing ? json_pack("{s:s,s:s,s:s}", "userId", user_id, "username", username,
                                      "conversationId", conversation_id)
                          : json_pack("{s:s,s:s}", "userId", user_id, "conversationId",
                                      conversation_id);
    if (!body)
        return;
    emit_to_users(fanout, conv->members, NULL, 0, conv->member_count, user_id,
                  typing ? "user_typing" : "user_stop_typing", body);
    json_decref(body);
}

/* ---- the conversation cache ---- */

static void lru_unlink(struct fanout *fanout, struct conversation *conv)
{
    if (conv->newer)
        conv->newer->older = conv->older;
    else
        fanout->newest = conv->older;
    if (conv->older)
        conv->older->newer = conv->newer;
    else
        fanout->oldest = conv->newer;
    conv->newer = conv->older = NULL;
}

static void lru_push(struct fanout *fanout, struct conversation *conv)
{
    conv->older = fanout->newest;
    conv->newer = NULL;
    if (fanout->newest)
        fanout->newest->newer = conv;
    fanout->newest = conv;
    if (!fanout->oldest)
        fanout->oldest = conv;
}

static void event_free(struct fanout_event *event)
{
    json_decref(event->body);
    free(event->before);
    free(event);
}

static void conversation_free(struct conversation *conv)
{
    while (conv->head) {
        struct fanout_event *next = conv->head->next;
        event_free(conv->head);
        conv->head = next;
    }
    free(conv->members);
    free(conv->joined_seqs);
    free(conv);
}

static int conversation_idle(const struct conversation *conv)
{
    return conv->members_state != MEMBERS_LOADING && !conv->fetching && !conv->head &&
           !conv->waiters && !conv->pumping && !conv->catching_up && !conv->stalled;
}

/* Makes room by dropping the least recently used idle entries. */
static void conversations_trim(struct fanout *fanout)
{
    struct conversation *conv = fanout->oldest;
    while (conv && eio_map_count(fanout->conversations) >= FANOUT_MAX_CONVERSATIONS) {
        struct conversation *newer = conv->newer;
        if (conversation_idle(conv)) {
            lru_unlink(fanout, conv);
            eio_map_remove(fanout->conversations, conv->id);
            conversation_free(conv);
        }
        conv = newer;
    }
}

/* The entry of a conversation (made when new), now the most recently used. NULL when out of
 * memory or the id is not a uuid. */
static struct conversation *conversation_get(struct fanout *fanout, const char *id)
{
    struct conversation *conv = eio_map_get(fanout->conversations, id);
    if (conv) {
        lru_unlink(fanout, conv);
        lru_push(fanout, conv);
        return conv;
    }
    if (!ids_is_uuid(id))
        return NULL;
    conversations_trim(fanout);
    conv = calloc(1, sizeof(*conv));
    if (!conv)
        return NULL;
    snprintf(conv->id, sizeof(conv->id), "%s", id);
    conv->last_seq = -1;
    if (eio_map_put(fanout->conversations, conv->id, conv) != 0) {
        free(conv);
        return NULL;
    }
    lru_push(fanout, conv);
    return conv;
}

static void conversation_stall(struct fanout *fanout, struct conversation *conv)
{
    if (conv->stalled || fanout->closing)
        return;
    conv->stalled = 1;
    if (fanout->stalled++ == 0)
        uv_timer_start(&fanout->retry_timer, fanout_on_retry, FANOUT_RETRY_MS, 0);
}

/* ---- members ---- */

/* [[userId, joinedSeq], ...] (chat.members_joined); a bare "userId" joined at 0. A third
 * element true (1.6) marks a direct chat with a block: *quiet. */
static int members_parse(const struct db_result *result, fanout_id **out, int64_t **joined,
                         size_t *count, int *quiet)
{
    *quiet = 0;
    json_t *list = chat_sql_result_json(result);
    *out = NULL;
    *joined = NULL;
    *count = 0;
    if (json_is_null(list)) { /* no such conversation: no members */
        json_decref(list);
        return 0;
    }
    size_t n = json_array_size(list);
    if (!json_is_array(list) || n > FANOUT_MAX_MEMBERS) {
        json_decref(list);
        return -1;
    }
    fanout_id *ids = n ? calloc(n, sizeof(*ids)) : NULL;
    int64_t *seqs = n ? calloc(n, sizeof(*seqs)) : NULL;
    if (n && (!ids || !seqs)) {
        free(ids);
        free(seqs);
        json_decref(list);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        json_t *member = json_array_get(list, i);
        json_t *seq = json_array_get(member, 1);
        const char *id = json_string_value(json_is_array(member) ? json_array_get(member, 0) : member);
        if (!ids_is_uuid(id) || (json_is_array(member) && !json_is_integer(seq))) {
            free(ids);
            free(seqs);
            json_decref(list);
            return -1;
        }
        snprintf(ids[i], sizeof(ids[i]), "%s", id);
        seqs[i] = json_is_integer(seq) ? json_integer_value(seq) : 0;
        if (json_is_true(json_array_get(member, 2)))
            *quiet = 1;
    }
    json_decref(list);
    *out = ids;
    *joined = seqs;
    *count = n;
    return 0;
}

struct members_call {
    struct fanout *fanout;
    struct conversation *conv;
};

static void members_load(struct fanout *fanout, struct conversation *conv);

/* Answers the waiters from the loaded list (or with why it could not be loaded). */
static void waiters_answer(struct conversation *conv, const struct error_kind *failure)
{
    struct fanout_waiter *list = conv->waiters;
    conv->waiters = NULL;
    while (list) {
        struct fanout_waiter *next = list->next;
        const struct error_kind *refusal = failure;
        if (!refusal && !ids_contain(conv->members, conv->member_count, list->user_id))
            refusal = &ERROR_NOT_FOUND;
        list->done(list->data, refusal);
        free(list);
        list = next;
    }
}

static void members_on_result(void *data, const struct db_result *result)
{
    struct members_call *call = data;
    struct fanout *fanout = call->fanout;
    struct conversation *conv = call->conv;
    free(call);
    fanout_id *ids = NULL;
    int64_t *joined = NULL;
    size_t count = 0;
    int quiet = 0;
    int parsed =
        result->status == DB_OK ? members_parse(result, &ids, &joined, &count, &quiet) : -1;
    if (parsed != 0) {
        if (result->status == DB_OK)
            log_error("fanout_bad_members", "conversation=%s", conv->id);
        else if (result->status == DB_ERROR)
            errors_log_db(result, "members");
        conv->members_state = MEMBERS_NONE;
        conv->members_stale = 0;
        waiters_answer(conv, &ERROR_UNAVAILABLE);
        if (conv->head || conv->catching_up)
            conversation_stall(fanout, conv);
        return;
    }
    free(conv->members);
    free(conv->joined_seqs);
    conv->members = ids;
    conv->joined_seqs = joined;
    conv->member_count = count;
    conv->quiet = quiet;
    conv->members_state = MEMBERS_LOADED;
    if (conv->members_stale) { /* asked to reload meanwhile: this answer may predate a change */
        conv->members_stale = 0;
        members_load(fanout, conv);
        return;
    }
    conv->pumping++;
    waiters_answer(conv, NULL);
    conv->pumping--;
    conversation_pump(fanout, conv);
}

static void members_load(struct fanout *fanout, struct conversation *conv)
{
    struct members_call *call = malloc(sizeof(*call));
    const char *values[] = {conv->id};
    if (call) {
        *call = (struct members_call){fanout, conv};
        if (chat_sql_query(fanout->sql, CHAT_SQL_MEMBERS, values, members_on_result, call) == 0) {
            conv->members_state = MEMBERS_LOADING;
            return;
        }
        free(call);
    }
    conv->members_state = MEMBERS_NONE;
    waiters_answer(conv, &ERROR_UNAVAILABLE);
    if (conv->head || conv->catching_up)
        conversation_stall(fanout, conv);
}

void fanout_check_member(struct fanout *fanout, const char *conversation_id, const char *user_id,
                         fanout_check_fn done, void *data)
{
    struct conversation *conv = conversation_get(fanout, conversation_id);
    if (!conv) {
        done(data, ids_is_uuid(conversation_id) ? &ERROR_INTERNAL : &ERROR_NOT_FOUND);
        return;
    }
    if (conv->members_state == MEMBERS_LOADED &&
        ids_contain(conv->members, conv->member_count, user_id)) {
        done(data, NULL);
        return;
    }
    struct fanout_waiter *waiter = malloc(sizeof(*waiter));
    if (!waiter) {
        done(data, &ERROR_INTERNAL);
        return;
    }
    *waiter = (struct fanout_waiter){conv->waiters, "", done, data};
    snprintf(waiter->user_id, sizeof(waiter->user_id), "%s", user_id);
    conv->waiters = waiter;
    /* a cached "no" is asked again: the member may have been added a moment ago */
    if (conv->members_state == MEMBERS_LOADING)
        return;
    members_load(fanout, conv);
}

/* ---- membership events ---- */

struct conversation_call {
    struct fanout *fanout;
    fanout_id user_id;
    fanout_id conversation_id;
};

/* What a user who is no longer a member is told: the conversation without them. */
static void announce_removed(struct fanout *fanout, const char *user_id,
                             const char *conversation_id)
{
    json_t *body = json_pack("{s:s,s:s,s:[],s:b}", "id", conversation_id, "conversationId",
                             conversation_id, "participants", "removed", 1);
    if (body)
        fanout_emit_user(fanout, user_id, "conversation_updated", body);
    json_decref(body);
    char room[64];
    fanout_room_name(room, sizeof(room), conversation_id);
    struct fanout_user *user = eio_map_get(fanout->users, user_id);
    for (struct fanout_socket *s = user ? user->sockets : NULL; s; s = s->next)
        sio_socket_leave(s->socket, room);
}

static void conversation_on_result(void *data, const struct db_result *result)
{
    struct conversation_call *call = data;
    if (result->status == DB_OK) {
        json_t *body = chat_sql_result_json(result);
        if (json_is_object(body))
            fanout_emit_user(call->fanout, call->user_id, "conversation_updated", body);
        json_decref(body);
    } else if (result->status == DB_ERROR && result->sqlstate &&
               strcmp(result->sqlstate, "P0002") == 0) {
        announce_removed(call->fanout, call->user_id, call->conversation_id); /* left meanwhile */
    } else {
        errors_log_db(result, "conversation");
        log_warn("fanout_conversation_failed", "conversation=%s user=%s", call->conversation_id,
                 call->user_id);
    }
    free(call);
}

/* conversation_updated for a member: the conversation as that user sees it (their role, unread
 * count), fetched with the token of one of their sockets. */
static void announce_to_member(struct fanout *fanout, const char *user_id,
                               const char *conversation_id)
{
    struct fanout_user *user = eio_map_get(fanout->users, user_id);
    if (!user)
        return;
    struct conversation_call *call = malloc(sizeof(*call));
    if (!call)
        return;
    call->fanout = fanout;
    snprintf(call->user_id, sizeof(call->user_id), "%s", user_id);
    snprintf(call->conversation_id, sizeof(call->conversation_id), "%s", conversation_id);
    const char *values[] = {user->sockets->token, conversation_id};
    if (chat_sql_query(fanout->sql, CHAT_SQL_CONVERSATION, values, conversation_on_result, call)) {
        log_warn("fanout_conversation_failed", "conversation=%s user=%s reason=unavailable",
                 conversation_id, user_id);
        free(call);
    }
}

/* After a membership event, with members reloaded: members (old and new) get the conversation,
 * users who left it are told they are out. */
static void membership_announce(struct fanout *fanout, struct conversation *conv,
                                struct fanout_event *event)
{
    for (size_t i = 0; i < conv->member_count; i++)
        announce_to_member(fanout, conv->members[i], conv->id);
    for (size_t i = 0; i < event->before_count; i++)
        if (!ids_contain(conv->members, conv->member_count, event->before[i]))
            announce_removed(fanout, event->before[i], conv->id);
    json_t *removed = json_object_get(event->body, "removed");
    for (size_t i = 0; i < json_array_size(removed); i++) {
        const char *id = json_string_value(json_array_get(removed, i));
        if (ids_is_uuid(id) && !ids_contain(conv->members, conv->member_count, id) &&
            !ids_contain(event->before, event->before_count, id))
            announce_removed(fanout, id, conv->id);
    }
}

/* ---- the event stream ---- */

struct fetch_call {
    struct fanout *fanout;
    struct conversation *conv;
    int64_t seq;
};

static void queue_pop(struct conversation *conv)
{
    struct fanout_event *event = conv->head;
    conv->head = event->next;
    if (!conv->head)
        conv->tail = NULL;
    conv->queued--;
    event_free(event);
}

static void queue_push_front(struct conversation *conv, struct fanout_event *event)
{
    event->next = conv->head;
    conv->head = event;
    if (!conv->tail)
        conv->tail = event;
    conv->queued++;
}

static void queue_push_back(struct conversation *conv, struct fanout_event *event)
{
    if (conv->tail)
        conv->tail->next = event;
    else
        conv->head = event;
    conv->tail = event;
    conv->queued++;
}

/* The table's answer for seq: fills a by-reference head, or puts a missed message first. */
static void fetch_found(struct conversation *conv, int64_t seq, json_t *message)
{
    struct fanout_event *head = conv->head;
    if (head && !head->body && head->seq == seq && head->kind != EVENT_RECEIPT &&
        head->kind != EVENT_MEMBERSHIP) {
        head->body = message;
        return;
    }
    struct fanout_event *event = calloc(1, sizeof(*event));
    if (!event) {
        json_decref(message);
        conv->catching_up = 0;
        return;
    }
    event->kind = EVENT_CREATED;
    event->seq = seq;
    event->body = message;
    queue_push_front(conv, event);
}

/* The table has no message at seq: the end of a catch-up, or a head that can't be had. */
static void fetch_missing(struct conversation *conv, int64_t seq)
{
    struct fanout_event *head = conv->head;
    if (head && !head->body && head->seq == seq) {
        log_warn("fanout_event_dropped", "conversation=%s seq=%" PRId64 " reason=not_found",
                 conv->id, seq);
        queue_pop(conv);
    } else if (head && head->kind == EVENT_CREATED && head->seq > seq) {
        /* seqs are gapless, so the head may be forged: its own fetch decides, and last_seq
         * moves only past a message that exists (else a forged doorbell naming seqs ahead
         * would make the real next ones look sent already) */
        head->gap_checked = 1;
    } else {
        conv->catching_up = 0;
    }
}

static void fetch_on_result(void *data, const struct db_result *result)
{
    struct fetch_call *call = data;
    struct fanout *fanout = call->fanout;
    struct conversation *conv = call->conv;
    int64_t seq = call->seq;
    free(call);
    conv->fetching = 0;
    if (result->status == DB_OK) {
        json_t *message = chat_sql_result_json(result);
        if (json_is_object(message)) {
            fetch_found(conv, seq, message);
        } else {
            json_decref(message);
            fetch_missing(conv, seq);
        }
    } else if (result->status == DB_ERROR && result->sqlstate &&
               strcmp(result->sqlstate, "P0002") == 0) {
        fetch_missing(conv, seq);
    } else if (result->status == DB_UNAVAILABLE) {
        conversation_stall(fanout, conv);
        return;
    } else {
        errors_log_db(result, "event_message");
        fetch_missing(conv, seq);
    }
    conversation_pump(fanout, conv);
}

static void fetch(struct fanout *fanout, struct conversation *conv, int64_t seq)
{
    struct fetch_call *call = malloc(sizeof(*call));
    char seq_text[24];
    snprintf(seq_text, sizeof(seq_text), "%" PRId64, seq);
    const char *values[] = {conv->id, seq_text};
    if (call) {
        *call = (struct fetch_call){fanout, conv, seq};
        if (chat_sql_query(fanout->sql, CHAT_SQL_EVENT_MESSAGE, values, fetch_on_result, call) ==
            0) {
            conv->fetching = 1;
            return;
        }
        free(call);
    }
    conversation_stall(fanout, conv);
}

static const char *event_name(enum event_kind kind)
{
    switch (kind) {
    case EVENT_CREATED: return "message_received";
    case EVENT_UPDATED: return "message_updated";
    case EVENT_DELETED: return "message_deleted";
    case EVENT_REACTIONS: return "message_reactions";
    case EVENT_RECEIPT: return "receipt";
    case EVENT_MEMBERSHIP: return "conversation_updated";
    }
    return "";
}

/* One step on the head event. Returns 1 to go on, 0 when waiting for the database. */
static int conversation_step(struct fanout *fanout, struct conversation *conv)
{
    struct fanout_event *event = conv->head;
    switch (event->kind) {
    case EVENT_CREATED:
        if (conv->last_seq >= 0 && event->seq <= conv->last_seq) {
            queue_pop(conv); /* sent already: a duplicate */
            return 1;
        }
        if (conv->last_seq >= 0 && event->seq > conv->last_seq + 1 && !event->gap_checked) {
            fetch(fanout, conv, conv->last_seq + 1); /* a gap: the missed ones come first */
            return 0;
        }
        if (!event->body) {
            if (!event->awaiting) /* else the doorbell fetch fills it */
                fetch(fanout, conv, event->seq);
            return 0;
        }
        conv->last_seq = event->seq;
        break;
    case EVENT_UPDATED:
    case EVENT_DELETED:
    case EVENT_REACTIONS:
        if (!event->body) {
            fetch(fanout, conv, event->seq);
            return 0;
        }
        break;
    case EVENT_RECEIPT:
        break;
    case EVENT_MEMBERSHIP:
        if (!event->reloaded) {
            event->reloaded = 1;
            event->before = conv->members;
            event->before_count = conv->member_count;
            conv->members = NULL;
            free(conv->joined_seqs);
            conv->joined_seqs = NULL;
            conv->member_count = 0;
            members_load(fanout, conv);
            return 0;
        }
        membership_announce(fanout, conv, event);
        queue_pop(conv);
        return 1;
    }
    /* a message's events go only to members who joined before it; receipts to all */
    emit_to_users(fanout, conv->members, event->kind == EVENT_RECEIPT ? NULL : conv->joined_seqs,
                  event->seq, conv->member_count, NULL, event_name(event->kind), event->body);
    queue_pop(conv);
    return 1;
}

static void conversation_pump(struct fanout *fanout, struct conversation *conv)
{
    if (conv->pumping)
        return;
    conv->pumping = 1;
    for (;;) {
        if (conv->members_state == MEMBERS_LOADING || conv->fetching || conv->stalled)
            break;
        if (conv->members_state == MEMBERS_NONE) {
            if (conv->head || conv->catching_up)
                members_load(fanout, conv);
            break;
        }
        if (!conv->head) {
            if (conv->catching_up && conv->last_seq >= 0)
                fetch(fanout, conv, conv->last_seq + 1);
            else
                conv->catching_up = 0;
            break;
        }
        if (!conversation_step(fanout, conv))
            break;
    }
    conv->pumping = 0;
}

static void fanout_on_retry(uv_timer_t *timer)
{
    struct fanout *fanout = timer->data;
    fanout->stalled = 0;
    for (struct conversation *conv = fanout->newest; conv;) {
        struct conversation *older = conv->older;
        if (conv->stalled) {
            conv->stalled = 0;
            conversation_pump(fanout, conv);
        }
        conv = older;
    }
}

/* ---- events from the listener ---- */

static int event_kind_of(const char *type, enum event_kind *kind)
{
    static const struct {
        const char *type;
        enum event_kind kind;
    } kinds[] = {
        {"message_created", EVENT_CREATED},         {"message_updated", EVENT_UPDATED},
        {"message_deleted", EVENT_DELETED},         {"receipt", EVENT_RECEIPT},
        {"conversation_created", EVENT_MEMBERSHIP}, {"membership_changed", EVENT_MEMBERSHIP},
        {"message_reactions", EVENT_REACTIONS},
    };
    for (size_t i = 0; type && i < sizeof(kinds) / sizeof(kinds[0]); i++) {
        if (strcmp(type, kinds[i].type) == 0) {
            *kind = kinds[i].kind;
            return 0;
        }
    }
    return -1;
}

/* Turns a payload into an event and the id of its conversation; NULL when malformed. */
static struct fanout_event *event_parse(json_t *root, const char **conversation_id)
{
    enum event_kind kind;
    if (event_kind_of(json_string_value(json_object_get(root, "type")), &kind) != 0)
        return NULL;
    json_t *body = root;
    json_t *holder = root;
    if (kind == EVENT_RECEIPT) {
        body = holder = json_object_get(root, "receipt");
    } else if (kind != EVENT_MEMBERSHIP) {
        /* never trusted inline: anyone who can NOTIFY could write it; fetched by seq */
        body = NULL;
    }
    *conversation_id = json_string_value(json_object_get(holder, "conversationId"));
    json_t *seq = json_object_get(root, "seq");
    if (!ids_is_uuid(*conversation_id) ||
        (kind <= EVENT_REACTIONS && (!json_is_integer(seq) || json_integer_value(seq) < 1)))
        return NULL;
    struct fanout_event *event = calloc(1, sizeof(*event));
    if (!event)
        return NULL;
    event->kind = kind;
    event->seq = kind <= EVENT_REACTIONS ? json_integer_value(seq) : 0;
    event->body = json_is_object(body) ? json_incref(body) : NULL;
    return event;
}

/* ---- one user's own events (1.6): to every device of that user on this bridge ---- */

struct blocks_call {
    struct fanout *fanout;
    fanout_id user_id;
};

static void blocks_on_result(void *data, const struct db_result *result)
{
    struct blocks_call *call = data;
    json_t *list = result->status == DB_OK ? chat_sql_result_json(result) : NULL;
    if (json_is_array(list)) {
        json_t *body = json_pack("{s:O}", "blocked", list);
        if (body)
            fanout_emit_user(call->fanout, call->user_id, "blocks_updated", body);
        json_decref(body);
    } else {
        if (result->status != DB_OK)
            errors_log_db(result, "blocked_users");
        log_warn("fanout_blocks_failed", "user=%s", call->user_id);
    }
    json_decref(list);
    free(call);
}

/* blocks_updated {blocked: [user]}: the list read afresh, with the token of one of the user's
 * sockets, so a forged notification can only make a bridge read what the user may read. */
static void announce_blocks(struct fanout *fanout, const char *user_id)
{
    struct fanout_user *user = eio_map_get(fanout->users, user_id);
    if (!user)
        return;
    struct blocks_call *call = malloc(sizeof(*call));
    if (!call)
        return;
    call->fanout = fanout;
    snprintf(call->user_id, sizeof(call->user_id), "%s", user_id);
    const char *values[] = {user->sockets->token};
    if (chat_sql_query(fanout->sql, CHAT_SQL_BLOCKED_USERS, values, blocks_on_result, call)) {
        log_warn("fanout_blocks_failed", "user=%s reason=unavailable", user_id);
        free(call);
    }
}

/* conversation_state, blocks_changed, message_hidden {type, userId, conversationId?, seq?}.
 * Returns 0 when the payload is not one of them. A chat's state goes out as conversation_updated
 * (the conversation as the user sees it, fetched); message_hidden carries ids only. */
static int user_event(struct fanout *fanout, const char *type, json_t *root)
{
    int state = strcmp(type, "conversation_state") == 0;
    int blocks = strcmp(type, "blocks_changed") == 0;
    int hidden = strcmp(type, "message_hidden") == 0;
    if (!state && !blocks && !hidden)
        return 0;
    const char *user_id = json_string_value(json_object_get(root, "userId"));
    const char *conversation_id = json_string_value(json_object_get(root, "conversationId"));
    json_t *seq = json_object_get(root, "seq");
    if (!ids_is_uuid(user_id) || (!blocks && !ids_is_uuid(conversation_id)) ||
        (hidden && (!json_is_integer(seq) || json_integer_value(seq) < 1))) {
        log_warn("fanout_bad_event", "type=%s", type);
        return 1;
    }
    if (!eio_map_get(fanout->users, user_id))
        return 1; /* none of the user's devices is here */
    if (state) {
        announce_to_member(fanout, user_id, conversation_id);
    } else if (blocks) {
        announce_blocks(fanout, user_id);
    } else {
        json_t *body = json_pack("{s:s,s:I}", "conversationId", conversation_id, "seq",
                                 json_integer_value(seq));
        if (body)
            fanout_emit_user(fanout, user_id, "message_hidden", body);
        json_decref(body);
    }
    return 1;
}

static void doorbell_handle(struct fanout *fanout, json_t *ranges);

void fanout_event(struct fanout *fanout, const char *payload, size_t length)
{
    json_t *root = json_loadb(payload, length, 0, NULL);
    const char *type = json_string_value(json_object_get(root, "type"));
    if (type && strcmp(type, "messages") == 0) {
        doorbell_handle(fanout, json_object_get(root, "ranges"));
        json_decref(root);
        return;
    }
    if (type && user_event(fanout, type, root)) {
        json_decref(root);
        return;
    }
    const char *conversation_id = NULL;
    struct fanout_event *event = json_is_object(root) ? event_parse(root, &conversation_id) : NULL;
    struct conversation *conv = event ? conversation_get(fanout, conversation_id) : NULL;
    if (!conv) {
        char text[200];
        log_warn("fanout_bad_event", "payload=%s",
                 log_quote(text, sizeof(text), root ? "(unusable)" : "(not json)"));
        if (event)
            event_free(event);
        json_decref(root);
        return;
    }
    json_decref(root);
    if (conv->queued >= FANOUT_MAX_QUEUED) {
        /* a dropped message is fetched again as a gap before the next one goes out */
        log_warn("fanout_event_dropped", "conversation=%s reason=queue_full", conv->id);
        event_free(event);
        return;
    }
    queue_push_back(conv, event);
    conversation_pump(fanout, conv);
}

static int has_members_here(const struct fanout *fanout, const struct conversation *conv)
{
    if (conv->members_state != MEMBERS_LOADED)
        return 0;
    for (size_t i = 0; i < conv->member_count; i++)
        if (eio_map_get(fanout->users, conv->members[i]))
            return 1;
    return 0;
}

/* ---- doorbells: a send's new seq ranges, whose messages are fetched in one call ---- */

struct doorbell_call {
    struct fanout *fanout;
    struct doorbell_range *ranges;
    size_t count;
};

static void doorbell_fetch(struct fanout *fanout);

/* Lets the pump fetch one by one (or find missing) what the batched fetch did not fill. */
static void doorbell_release(struct fanout *fanout, const struct doorbell_range *ranges,
                             size_t count)
{
    for (size_t i = 0; i < count; i++) {
        struct conversation *conv = eio_map_get(fanout->conversations, ranges[i].conversation_id);
        if (!conv)
            continue;
        for (struct fanout_event *event = conv->head; event; event = event->next)
            if (event->awaiting && event->seq >= ranges[i].first && event->seq <= ranges[i].last)
                event->awaiting = 0;
        conversation_pump(fanout, conv);
    }
}

/* Puts a fetched message into the placeholder waiting for it. */
static void doorbell_fill(struct fanout *fanout, json_t *message)
{
    struct conversation *conv = eio_map_get(
        fanout->conversations, json_string_value(json_object_get(message, "conversationId")));
    json_t *seq = json_object_get(message, "seq");
    if (!conv || !json_is_integer(seq))
        return;
    for (struct fanout_event *event = conv->head; event; event = event->next) {
        if (event->awaiting && !event->body && event->seq == json_integer_value(seq)) {
            event->body = json_incref(message);
            event->awaiting = 0;
            return;
        }
    }
}

static void doorbell_on_result(void *data, const struct db_result *result)
{
    struct doorbell_call *call = data;
    struct fanout *fanout = call->fanout;
    fanout->doorbell_fetching = 0;
    if (result->status == DB_OK) {
        json_t *messages = chat_sql_result_json(result);
        for (size_t i = 0; i < json_array_size(messages); i++)
            doorbell_fill(fanout, json_array_get(messages, i));
        json_decref(messages);
    } else if (result->status == DB_ERROR) {
        errors_log_db(result, "event_messages");
    }
    doorbell_release(fanout, call->ranges, call->count);
    free(call->ranges);
    free(call);
    doorbell_fetch(fanout);
}

/* Appends "id" or a number to a Postgres array literal being built. */
static void array_append(char *out, size_t *used, size_t size, const char *item)
{
    int n = snprintf(out + *used, size - *used, "%s%s", *used > 1 ? "," : "", item);
    if (n > 0 && (size_t)n < size - *used)
        *used += (size_t)n;
}

/* ranges[0..count) as the three array literals of chat.event_messages, "{id,...}", "{first,...}"
 * and "{last,...}", in one allocation that out[0] owns. -1 when out of memory. */
static int range_literals(const struct doorbell_range *ranges, size_t count, char *out[3])
{
    size_t size = count * (IDS_UUID_LEN + 24) + 3;
    char *buffer = malloc(3 * size);
    if (!buffer)
        return -1;
    size_t used[3] = {1, 1, 1};
    for (int k = 0; k < 3; k++) {
        out[k] = buffer + k * size;
        strcpy(out[k], "{");
    }
    for (size_t i = 0; i < count; i++) {
        char first[24], last[24];
        snprintf(first, sizeof(first), "%" PRId64, ranges[i].first);
        snprintf(last, sizeof(last), "%" PRId64, ranges[i].last);
        array_append(out[0], &used[0], size, ranges[i].conversation_id);
        array_append(out[1], &used[1], size, first);
        array_append(out[2], &used[2], size, last);
    }
    for (int k = 0; k < 3; k++)
        strcat(out[k], "}");
    return 0;
}

/* One chat.event_messages call for the ranges at the front (at most DOORBELL_FETCH_MAX
 * messages); one at a time, so the answers come back in the order the doorbells rang. What
 * cannot be asked is left to the pump, one by one. */
static void doorbell_fetch(struct fanout *fanout)
{
    if (fanout->doorbell_fetching || fanout->range_count == 0)
        return;
    size_t take = 0;
    int64_t total = 0;
    while (take < fanout->range_count) {
        int64_t n = fanout->ranges[take].last - fanout->ranges[take].first + 1;
        if (take > 0 && total + n > DOORBELL_FETCH_MAX)
            break;
        total += n;
        take++;
    }
    struct doorbell_call *call = malloc(sizeof(*call));
    struct doorbell_range *taken = malloc(take * sizeof(*taken));
    char *literals[3] = {NULL, NULL, NULL};
    int ready = call && taken && range_literals(fanout->ranges, take, literals) == 0;
    if (taken)
        memcpy(taken, fanout->ranges, take * sizeof(*taken));
    else
        doorbell_release(fanout, fanout->ranges, take);
    fanout->range_count -= take;
    memmove(fanout->ranges, fanout->ranges + take, fanout->range_count * sizeof(*taken));
    if (ready) {
        *call = (struct doorbell_call){fanout, taken, take};
        const char *values[] = {literals[0], literals[1], literals[2]};
        ready = chat_sql_query(fanout->sql, CHAT_SQL_EVENT_MESSAGES, values, doorbell_on_result,
                               call) == 0;
    }
    free(literals[0]);
    if (ready) {
        fanout->doorbell_fetching = 1;
        return;
    }
    if (taken)
        doorbell_release(fanout, taken, take);
    free(taken);
    free(call);
}

/* Appends a range to a growing array. 0, or -1 when out of memory. */
static int ranges_append(struct doorbell_range **ranges, size_t *count, size_t *room,
                         const char *id, int64_t first, int64_t last)
{
    if (*count == *room) {
        size_t bigger = *room ? *room * 2 : 64;
        struct doorbell_range *grown = realloc(*ranges, bigger * sizeof(*grown));
        if (!grown)
            return -1;
        *ranges = grown;
        *room = bigger;
    }
    struct doorbell_range *range = &(*ranges)[(*count)++];
    snprintf(range->conversation_id, sizeof(range->conversation_id), "%s", id);
    range->first = first;
    range->last = last;
    return 0;
}

static int doorbell_queue(struct fanout *fanout, const char *id, int64_t first, int64_t last)
{
    return ranges_append(&fanout->ranges, &fanout->range_count, &fanout->range_room, id, first,
                         last);
}

/* The highest seq of a new message queued in the conversation's stream, or 0. */
static int64_t queued_last_seq(const struct conversation *conv)
{
    int64_t last = 0;
    for (const struct fanout_event *event = conv->head; event; event = event->next)
        if (event->kind == EVENT_CREATED && event->seq > last)
            last = event->seq;
    return last;
}

void fanout_stored(struct fanout *fanout, json_t *message)
{
    const char *id = json_string_value(json_object_get(message, "conversationId"));
    json_t *seq = json_object_get(message, "seq");
    if (!ids_is_uuid(id) || !json_is_integer(seq))
        return;
    struct conversation *conv = conversation_get(fanout, id);
    if (!conv || (conv->last_seq >= 0 && json_integer_value(seq) <= conv->last_seq))
        return;
    for (struct fanout_event *event = conv->head; event; event = event->next) {
        if (event->kind == EVENT_CREATED && event->seq == json_integer_value(seq)) {
            if (!event->body) { /* its doorbell came first: no need to wait for the fetch */
                event->body = json_incref(message);
                event->awaiting = 0;
                conversation_pump(fanout, conv);
            }
            return;
        }
    }
    struct fanout_event *event = conv->queued < FANOUT_MAX_QUEUED ? calloc(1, sizeof(*event)) : NULL;
    if (!event)
        return; /* the doorbell brings it */
    event->kind = EVENT_CREATED;
    event->seq = json_integer_value(seq);
    event->body = json_incref(message);
    queue_push_back(conv, event);
    conversation_pump(fanout, conv);
}

/* A range of new messages: placeholders in the conversation's stream, in seq order, which the
 * batched fetch fills. A conversation none of whose members are here is not followed. */
static void doorbell_ring(struct fanout *fanout, const char *id, int64_t first, int64_t last)
{
    struct conversation *conv = conversation_get(fanout, id);
    if (!conv)
        return;
    if (conv->members_state == MEMBERS_LOADED && !conv->head && !has_members_here(fanout, conv)) {
        conv->last_seq = -1; /* unknown from now on: no gap to fill when someone comes */
        return;
    }
    if (conv->last_seq >= 0 && first <= conv->last_seq)
        first = conv->last_seq + 1; /* sent already */
    int64_t queued = queued_last_seq(conv);
    if (first <= queued)
        first = queued + 1; /* on its way already (stored here, or an earlier doorbell) */
    int64_t seq = first;
    for (; seq <= last && conv->queued < FANOUT_MAX_QUEUED; seq++) {
        struct fanout_event *event = calloc(1, sizeof(*event));
        if (!event)
            break;
        event->kind = EVENT_CREATED;
        event->seq = seq;
        event->awaiting = 1;
        queue_push_back(conv, event);
    }
    if (seq <= last) /* what did not fit is fetched as a gap before the next message goes */
        log_warn("fanout_event_dropped", "conversation=%s reason=queue_full", conv->id);
    if (seq > first && doorbell_queue(fanout, conv->id, first, seq - 1) != 0) {
        struct doorbell_range range = {"", first, seq - 1};
        snprintf(range.conversation_id, sizeof(range.conversation_id), "%s", conv->id);
        doorbell_release(fanout, &range, 1);
    }
}

/* The doorbells heard in this loop turn, rung after every ready socket was read: the answers
 * of this bridge's own batches, read in the same turn, have then put their messages in the
 * streams already, and the doorbell finds nothing left to fetch. */
static void doorbell_on_check(uv_check_t *check)
{
    struct fanout *fanout = check->data;
    uv_check_stop(check);
    for (size_t i = 0; i < fanout->rung_count; i++)
        doorbell_ring(fanout, fanout->rung[i].conversation_id, fanout->rung[i].first,
                      fanout->rung[i].last);
    fanout->rung_count = 0;
    doorbell_fetch(fanout);
}

/* {"type":"messages","ranges":[[conversationId, first, last], ...]}. A forged one can only make
 * the bridge read real rows: what the fetch does not find is not sent. */
static void doorbell_handle(struct fanout *fanout, json_t *ranges)
{
    size_t index;
    json_t *range;
    if (!json_is_array(ranges)) {
        log_warn("fanout_bad_event", "payload=\"(unusable doorbell)\"");
        return;
    }
    json_array_foreach(ranges, index, range) {
        const char *id = json_string_value(json_array_get(range, 0));
        json_t *first = json_array_get(range, 1), *last = json_array_get(range, 2);
        if (json_array_size(range) != 3 || !ids_is_uuid(id) || !json_is_integer(first) ||
            !json_is_integer(last) || json_integer_value(first) < 1 ||
            json_integer_value(last) < json_integer_value(first) ||
            json_integer_value(last) - json_integer_value(first) >= DOORBELL_MAX_RANGE) {
            log_warn("fanout_bad_event", "payload=\"(unusable doorbell range)\"");
            continue;
        }
        if (fanout->closing || fanout->rung_count >= DOORBELL_MAX_RUNG ||
            ranges_append(&fanout->rung, &fanout->rung_count, &fanout->rung_room, id,
                          json_integer_value(first), json_integer_value(last)) != 0)
            log_warn("fanout_event_dropped", "conversation=%s reason=doorbells_full", id);
    }
    if (fanout->rung_count > 0 && !fanout->closing)
        uv_check_start(&fanout->doorbell_check, doorbell_on_check);
}

void fanout_resync(struct fanout *fanout)
{
    size_t catching_up = 0;
    for (struct conversation *conv = fanout->newest; conv;) {
        struct conversation *older = conv->older;
        if (has_members_here(fanout, conv) && conv->last_seq >= 0) {
            conv->catching_up = 1;
            catching_up++;
        }
        if (conv->members_state == MEMBERS_LOADED) {
            free(conv->members);
            free(conv->joined_seqs);
            conv->members = NULL;
            conv->joined_seqs = NULL;
            conv->member_count = 0;
            conv->members_state = MEMBERS_NONE;
        } else if (conv->members_state == MEMBERS_LOADING) {
            conv->members_stale = 1;
        }
        conversation_pump(fanout, conv);
        conv = older;
    }
    log_info("fanout_resync", "conversations=%zu catching_up=%zu",
             eio_map_count(fanout->conversations), catching_up);
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
        lru_unlink(fanout, conv);
        waiters_answer(conv, &ERROR_UNAVAILABLE); /* none are left in practice */
        conversation_free(conv);
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
