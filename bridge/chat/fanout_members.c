/* Fan-out's conversation cache (an LRU of at most FANOUT_MAX_CONVERSATIONS entries) and each
 * entry's members, loaded once and checked for join, typing and delivery (see fanout.h). */
#include "chat/fanout_internal.h"
#include "core/log.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the conversation cache ---- */

void fanout_lru_unlink(struct fanout *fanout, struct conversation *conv)
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

void fanout_event_free(struct fanout_event *event)
{
    json_decref(event->body);
    free(event->before);
    free(event);
}

void fanout_conversation_free(struct conversation *conv)
{
    while (conv->head) {
        struct fanout_event *next = conv->head->next;
        fanout_event_free(conv->head);
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
            fanout_lru_unlink(fanout, conv);
            eio_map_remove(fanout->conversations, conv->id);
            fanout_conversation_free(conv);
        }
        conv = newer;
    }
}

/* The entry of a conversation (made when new), now the most recently used. NULL when out of
 * memory or the id is not a uuid. */
struct conversation *fanout_conversation_get(struct fanout *fanout, const char *id)
{
    struct conversation *conv = eio_map_get(fanout->conversations, id);
    if (conv) {
        fanout_lru_unlink(fanout, conv);
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

void fanout_conversation_stall(struct fanout *fanout, struct conversation *conv)
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


/* Answers the waiters from the loaded list (or with why it could not be loaded). */
void fanout_waiters_answer(struct conversation *conv, const struct error_kind *failure)
{
    struct fanout_waiter *list = conv->waiters;
    conv->waiters = NULL;
    while (list) {
        struct fanout_waiter *next = list->next;
        const struct error_kind *refusal = failure;
        if (!refusal && !fanout_ids_contain(conv->members, conv->member_count, list->user_id))
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
        fanout_waiters_answer(conv, &ERROR_UNAVAILABLE);
        if (conv->head || conv->catching_up)
            fanout_conversation_stall(fanout, conv);
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
        fanout_members_load(fanout, conv);
        return;
    }
    conv->pumping++;
    fanout_waiters_answer(conv, NULL);
    conv->pumping--;
    fanout_conversation_pump(fanout, conv);
}

void fanout_members_load(struct fanout *fanout, struct conversation *conv)
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
    fanout_waiters_answer(conv, &ERROR_UNAVAILABLE);
    if (conv->head || conv->catching_up)
        fanout_conversation_stall(fanout, conv);
}

void fanout_check_member(struct fanout *fanout, const char *conversation_id, const char *user_id,
                         fanout_check_fn done, void *data)
{
    struct conversation *conv = fanout_conversation_get(fanout, conversation_id);
    if (!conv) {
        done(data, ids_is_uuid(conversation_id) ? &ERROR_INTERNAL : &ERROR_NOT_FOUND);
        return;
    }
    if (conv->members_state == MEMBERS_LOADED &&
        fanout_ids_contain(conv->members, conv->member_count, user_id)) {
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
    fanout_members_load(fanout, conv);
}
