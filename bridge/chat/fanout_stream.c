/* Fan-out's ordered stream per conversation and its pump (see the top of fanout.c), and the
 * payloads of the listener's events parsed into it. */
#include "chat/fanout_internal.h"
#include "core/log.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
    fanout_event_free(event);
}

static void queue_push_front(struct conversation *conv, struct fanout_event *event)
{
    event->next = conv->head;
    conv->head = event;
    if (!conv->tail)
        conv->tail = event;
    conv->queued++;
}

void fanout_queue_push_back(struct conversation *conv, struct fanout_event *event)
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
        fanout_conversation_stall(fanout, conv);
        return;
    } else {
        errors_log_db(result, "event_message");
        fetch_missing(conv, seq);
    }
    fanout_conversation_pump(fanout, conv);
}

void fanout_fetch(struct fanout *fanout, struct conversation *conv, int64_t seq)
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
    fanout_conversation_stall(fanout, conv);
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
            fanout_fetch(fanout, conv, conv->last_seq + 1); /* a gap: the missed ones come first */
            return 0;
        }
        if (!event->body) {
            if (!event->awaiting) /* else the doorbell fetch fills it */
                fanout_fetch(fanout, conv, event->seq);
            return 0;
        }
        conv->last_seq = event->seq;
        break;
    case EVENT_UPDATED:
    case EVENT_DELETED:
    case EVENT_REACTIONS:
        if (!event->body) {
            fanout_fetch(fanout, conv, event->seq);
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
            fanout_members_load(fanout, conv);
            return 0;
        }
        fanout_membership_announce(fanout, conv, event);
        queue_pop(conv);
        return 1;
    }
    /* a message's events go only to members who joined before it; receipts to all */
    fanout_emit_to_users(fanout, conv->members, event->kind == EVENT_RECEIPT ? NULL : conv->joined_seqs,
                  event->seq, conv->member_count, NULL, event_name(event->kind), event->body);
    queue_pop(conv);
    return 1;
}

void fanout_conversation_pump(struct fanout *fanout, struct conversation *conv)
{
    if (conv->pumping)
        return;
    conv->pumping = 1;
    for (;;) {
        if (conv->members_state == MEMBERS_LOADING || conv->fetching || conv->stalled)
            break;
        if (conv->members_state == MEMBERS_NONE) {
            if (conv->head || conv->catching_up)
                fanout_members_load(fanout, conv);
            break;
        }
        if (!conv->head) {
            if (conv->catching_up && conv->last_seq >= 0)
                fanout_fetch(fanout, conv, conv->last_seq + 1);
            else
                conv->catching_up = 0;
            break;
        }
        if (!conversation_step(fanout, conv))
            break;
    }
    conv->pumping = 0;
}

void fanout_on_retry(uv_timer_t *timer)
{
    struct fanout *fanout = timer->data;
    fanout->stalled = 0;
    for (struct conversation *conv = fanout->newest; conv;) {
        struct conversation *older = conv->older;
        if (conv->stalled) {
            conv->stalled = 0;
            fanout_conversation_pump(fanout, conv);
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
struct fanout_event *fanout_event_parse(json_t *root, const char **conversation_id)
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
