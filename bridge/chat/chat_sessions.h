/* chat_sessions: the sockets of the chat namespace by the session their token names, so a socket
 * ends when its session does: at once when the database says the session ended (logout, log out
 * everywhere, a password change, a deleted user, a rotated secret: the sessions_ended NOTIFY),
 * and at the token's expiry (a sweep once a second). Before closing, the socket is told why with
 * `session_ended {reason}`, so the client goes back to its login instead of reconnecting. */
#ifndef BRIDGE_CHAT_SESSIONS_H
#define BRIDGE_CHAT_SESSIONS_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "protocol/sio_server.h"

#define CHAT_SESSION_ID_LEN 36

/* One socket's entry, embedded in the caller's per-socket state. */
struct chat_session {
    sio_socket *socket;
    char id[CHAT_SESSION_ID_LEN + 1];
    char user_id[CHAT_SESSION_ID_LEN + 1];
    uint64_t expires_at; /* uv_now milliseconds */
    struct chat_session *prev, *next;
};

struct chat_sessions;

/* NULL when out of memory. */
struct chat_sessions *chat_sessions_new(uv_loop_t *loop);
/* Stops the sweep; chat_sessions_free after the loop has run (the timer's close). */
void chat_sessions_close(struct chat_sessions *sessions);
void chat_sessions_free(struct chat_sessions *sessions);

/* Tracks session (filled by the caller but for prev/next) until chat_sessions_remove.
 * expires_in: seconds the token has left, as the database counted them. */
void chat_sessions_add(struct chat_sessions *sessions, struct chat_session *session,
                       int64_t expires_in);
void chat_sessions_remove(struct chat_sessions *sessions, struct chat_session *session);

/* Whether payload (a NOTIFY of channel chat) is a sessions_ended event; if so, its sockets are
 * ended. A forged one can only make clients log in again: their tokens still verify. */
int chat_sessions_event(struct chat_sessions *sessions, const char *payload, size_t length);

#endif
