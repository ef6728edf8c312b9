/* Fan-out of one user's own events (1.6): to every device of that user on this bridge. */
#include "chat/fanout_internal.h"
#include "core/log.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
        fanout_announce_to_member(fanout, user_id, conversation_id);
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


void fanout_event(struct fanout *fanout, const char *payload, size_t length)
{
    json_t *root = json_loadb(payload, length, 0, NULL);
    const char *type = json_string_value(json_object_get(root, "type"));
    if (type && strcmp(type, "messages") == 0) {
        fanout_doorbell_handle(fanout, json_object_get(root, "ranges"));
        json_decref(root);
        return;
    }
    if (type && user_event(fanout, type, root)) {
        json_decref(root);
        return;
    }
    const char *conversation_id = NULL;
    struct fanout_event *event = json_is_object(root) ? fanout_event_parse(root, &conversation_id) : NULL;
    struct conversation *conv = event ? fanout_conversation_get(fanout, conversation_id) : NULL;
    if (!conv) {
        char text[200];
        log_warn("fanout_bad_event", "payload=%s",
                 log_quote(text, sizeof(text), root ? "(unusable)" : "(not json)"));
        if (event)
            fanout_event_free(event);
        json_decref(root);
        return;
    }
    json_decref(root);
    if (conv->queued >= FANOUT_MAX_QUEUED) {
        /* a dropped message is fetched again as a gap before the next one goes out */
        log_warn("fanout_event_dropped", "conversation=%s reason=queue_full", conv->id);
        fanout_event_free(event);
        return;
    }
    fanout_queue_push_back(conv, event);
    fanout_conversation_pump(fanout, conv);
}

int fanout_has_members_here(const struct fanout *fanout, const struct conversation *conv)
{
    if (conv->members_state != MEMBERS_LOADED)
        return 0;
    for (size_t i = 0; i < conv->member_count; i++)
        if (eio_map_get(fanout->users, conv->members[i]))
            return 1;
    return 0;
}
