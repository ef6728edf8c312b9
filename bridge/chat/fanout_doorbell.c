/* Fan-out's doorbells: the seq ranges a send names, whose messages are fetched in one
 * chat.event_messages call per loop turn, in order. */
#include "chat/fanout_internal.h"
#include "core/log.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
        fanout_conversation_pump(fanout, conv);
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
    struct conversation *conv = fanout_conversation_get(fanout, id);
    if (!conv || (conv->last_seq >= 0 && json_integer_value(seq) <= conv->last_seq))
        return;
    for (struct fanout_event *event = conv->head; event; event = event->next) {
        if (event->kind == EVENT_CREATED && event->seq == json_integer_value(seq)) {
            if (!event->body) { /* its doorbell came first: no need to wait for the fetch */
                event->body = json_incref(message);
                event->awaiting = 0;
                fanout_conversation_pump(fanout, conv);
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
    fanout_queue_push_back(conv, event);
    fanout_conversation_pump(fanout, conv);
}

/* A range of new messages: placeholders in the conversation's stream, in seq order, which the
 * batched fetch fills. A conversation none of whose members are here is not followed. */
static void doorbell_ring(struct fanout *fanout, const char *id, int64_t first, int64_t last)
{
    struct conversation *conv = fanout_conversation_get(fanout, id);
    if (!conv)
        return;
    if (conv->members_state == MEMBERS_LOADED && !conv->head && !fanout_has_members_here(fanout, conv)) {
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
        fanout_queue_push_back(conv, event);
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
void fanout_doorbell_handle(struct fanout *fanout, json_t *ranges)
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
        if (fanout_has_members_here(fanout, conv) && conv->last_seq >= 0) {
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
        fanout_conversation_pump(fanout, conv);
        conv = older;
    }
    log_info("fanout_resync", "conversations=%zu catching_up=%zu",
             eio_map_count(fanout->conversations), catching_up);
}
