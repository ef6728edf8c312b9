/* chat: the Socket.IO namespace "/" of the bridge. CONNECT carries {token}, checked with
 * chat.authenticate (refused with CONNECT_ERROR otherwise); each client event is one call of the
 * SQL API on the user's behalf, answered through its ack with the result or {error: {code,
 * message}} (the REST error table); fan-out of what others do is fanout's business. */
#ifndef BRIDGE_CHAT_H
#define BRIDGE_CHAT_H

#include <stddef.h>
#include <uv.h>

#include "chat/chat_sql.h"
#include "chat/fanout.h"
#include "protocol/sio_server.h"

struct chat;

/* How much the namespace allows. */
struct chat_limits {
    int send_batches;     /* batches of sends in flight at once */
    int event_rate;       /* events a socket may send a second, in bursts of twice that */
    int max_user_sockets; /* sockets one user may hold on this bridge; past it CONNECT is refused */
    int max_socket_calls; /* events of one socket waiting for the database; past it rate_limited */
};

/* The namespace "/" on io, calling the database through sql (pool and statement table), with
 * fanout for sockets by user. All must outlive it. NULL when out of memory or "/" is taken. */
struct chat *chat_new(uv_loop_t *loop, sio_server *io, const struct chat_sql *sql,
                      struct fanout *fanout, const struct chat_limits *limits);
/* Answers the sends still waiting for a batch unavailable (the bridge is stopping); call before
 * the pools close. chat_free after the loop has run. */
void chat_close(struct chat *chat);
void chat_free(struct chat *chat);
/* Presence and typing through Redis (chat_presence.h); until set, typing stays on this bridge
 * and user_online answers unavailable. */
struct chat_presence;
void chat_set_presence(struct chat *chat, struct chat_presence *presence);

/* A NOTIFY of channel chat that is the chat namespace's own business (sessions_ended: the
 * sockets of ended sessions are closed): 1 when it was, else 0 (fanout's). */
int chat_notify(struct chat *chat, const char *payload, size_t length);

/* From now on events are refused with unavailable (the process is stopping). */
void chat_drain(struct chat *chat);
/* How many events wait for the database. */
size_t chat_pending(const struct chat *chat);
/* Authenticated sockets now. */
size_t chat_sockets(const struct chat *chat);

#endif
