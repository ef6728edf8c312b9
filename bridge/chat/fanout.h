/* fanout: who on this bridge hears of a conversation's events. Sockets by user (every device
 * of a user), members by conversation (cached, filled with chat.members, reloaded on membership
 * events), and per conversation an ordered stream of the listener's events: messages go out in
 * seq order, a gap is filled from the table (chat.event_message), duplicates are dropped by seq,
 * and after the listener reconnects each conversation with members here catches up by seq.
 * It knows nothing of packet framing: it emits through sio_server. */
#ifndef BRIDGE_FANOUT_H
#define BRIDGE_FANOUT_H

#include <jansson.h>
#include <stddef.h>
#include <uv.h>

#include "chat/chat_sql.h"
#include "core/errors.h"
#include "core/ids.h"
#include "protocol/sio_server.h"


struct fanout;

/* One authenticated socket. chat.c allocates it when the CONNECT is accepted and frees it after
 * fanout_remove; fan-out only links it under its user. */
struct fanout_socket {
    sio_socket *socket;
    char user_id[IDS_UUID_LEN + 1];
    char *username;
    char *token;                 /* the user's token, for calls made on the user's behalf */
    struct fanout_socket *prev, *next; /* the same user's other sockets */
};

/* NULL when out of memory. sql must outlive it. */
struct fanout *fanout_new(uv_loop_t *loop, const struct chat_sql *sql);
/* Stops the retry timer (the bridge is stopping): calls that fail from now on are not retried. */
void fanout_close(struct fanout *fanout);
/* Frees everything; call after fanout_close, once the pools are closed and the loop has run. */
void fanout_free(struct fanout *fanout);

/* Registers / unregisters a socket under its user (socket->user_id). add: 0 or -1 (no memory). */
int fanout_add(struct fanout *fanout, struct fanout_socket *socket);
void fanout_remove(struct fanout *fanout, struct fanout_socket *socket);
size_t fanout_user_count(const struct fanout *fanout);
/* How many sockets of user_id this bridge holds. */
size_t fanout_user_sockets(const struct fanout *fanout, const char *user_id);

/* One NOTIFY payload of channel chat (docs/events.md). Bad payloads are logged and dropped. */
void fanout_event(struct fanout *fanout, const char *payload, size_t length);
/* A message this bridge has just stored (and acked): queued for the members here as if its
 * doorbell had been fetched, so it goes out without waiting for the doorbell; the doorbell
 * then finds it sent. Borrowed. */
void fanout_stored(struct fanout *fanout, json_t *message);
/* The listener (re)connected and LISTENs again: member lists may be stale and events may have
 * been missed, so reload members and catch up by seq every conversation with members here. */
void fanout_resync(struct fanout *fanout);

/* Whether user_id is a member of conversation_id, from the cache (a refusal is re-checked
 * against the database, so a member just added is never refused). done is called exactly once,
 * possibly before this returns, with NULL (a member) or why not (not_found, unavailable). */
typedef void (*fanout_check_fn)(void *data, const struct error_kind *refusal);
void fanout_check_member(struct fanout *fanout, const char *conversation_id, const char *user_id,
                         fanout_check_fn done, void *data);

/* Emits event [body] (body borrowed) to every socket of user_id on this bridge. */
void fanout_emit_user(struct fanout *fanout, const char *user_id, const char *event, json_t *body);

/* user_typing / user_stop_typing of user_id (named username) to the other members' sockets on
 * this bridge. The caller has checked membership. Sockets here and typing heard through Redis
 * from any bridge both go out through this. */
void fanout_typing(struct fanout *fanout, const char *user_id, const char *username,
                   const char *conversation_id, int typing);

/* The Socket.IO room of a conversation's open chats (join_conversation). */
void fanout_room_name(char *out, size_t size, const char *conversation_id);


#endif
