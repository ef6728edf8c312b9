/* Fan-out's membership announcements: who is told what when members come and go. */
#include "chat/fanout_internal.h"
#include "core/log.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
void fanout_announce_to_member(struct fanout *fanout, const char *user_id,
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
void fanout_membership_announce(struct fanout *fanout, struct conversation *conv,
                                struct fanout_event *event)
{
    for (size_t i = 0; i < conv->member_count; i++)
        fanout_announce_to_member(fanout, conv->members[i], conv->id);
    for (size_t i = 0; i < event->before_count; i++)
        if (!fanout_ids_contain(conv->members, conv->member_count, event->before[i]))
            announce_removed(fanout, event->before[i], conv->id);
    json_t *removed = json_object_get(event->body, "removed");
    for (size_t i = 0; i < json_array_size(removed); i++) {
        const char *id = json_string_value(json_array_get(removed, i));
        if (ids_is_uuid(id) && !fanout_ids_contain(conv->members, conv->member_count, id) &&
            !fanout_ids_contain(event->before, event->before_count, id))
            announce_removed(fanout, id, conv->id);
    }
}
