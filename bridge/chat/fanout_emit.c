/* Fan-out's emitting: an event to every socket of a list of users held on this bridge, encoded
 * once (see fanout.h). */
#include "chat/fanout_internal.h"
#include "core/log.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
void fanout_emit_to_users(struct fanout *fanout, const fanout_id *users, const int64_t *joined,
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
    fanout_emit_to_users(fanout, &one, NULL, 0, 1, NULL, event, body);
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
    fanout_emit_to_users(fanout, conv->members, NULL, 0, conv->member_count, user_id,
                  typing ? "user_typing" : "user_stop_typing", body);
    json_decref(body);
}
