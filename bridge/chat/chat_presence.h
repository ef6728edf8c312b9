/* chat_presence: presence and typing for the chat namespace, across bridges through Redis
 * (docs/presence.md). It owns the Redis link, presence and typing, and turns what they report
 * into Socket.IO events for the sockets fanout holds on this bridge: `presence` to a user's
 * audience, `user_typing` / `user_stop_typing` to a conversation's other members, `users_online`
 * to whoever asks. Without a Redis URL, presence is unavailable and typing stays local. */
#ifndef BRIDGE_CHAT_PRESENCE_H
#define BRIDGE_CHAT_PRESENCE_H

#include <stdint.h>
#include <uv.h>

#include "core/db.h"
#include "chat/fanout.h"
#include "protocol/sio_server.h"

struct chat_presence;


/* redis_url NULL: no Redis. bridge_id NULL: made up (host, pid, random). Presence registers its
 * statements with pool. fanout must outlive it. Connects at once.
 * NULL on a bad URL or id (logged) or out of memory. */
struct chat_presence *chat_presence_new(uv_loop_t *loop, const char *redis_url,
                                        const char *bridge_id, struct db_pool *pool,
                                        struct fanout *fanout);

/* An authenticated socket of `who` joined / left this bridge. */
void chat_presence_connected(struct chat_presence *chat_presence, const struct fanout_socket *who);
void chat_presence_disconnected(struct chat_presence *chat_presence,
                                const struct fanout_socket *who);
/* `who` (a member: the caller checked) starts (typing 1) or stops typing in conversation_id. */
void chat_presence_typing(struct chat_presence *chat_presence, const struct fanout_socket *who,
                          const char *conversation_id, int typing);
/* `user_online`: emits `users_online [ids]` to socket later and acks {ok: true}, or acks
 * {error: {code: "unavailable"}} when presence is unavailable. */
void chat_presence_online(struct chat_presence *chat_presence, sio_socket *socket,
                          const struct fanout_socket *who, int64_t ack_id);

/* Its Redis link (NULL without Redis), for others that share it (the rate limits). */
struct redis *chat_presence_redis(struct chat_presence *chat_presence);
/* Whether its Redis link is up (scripts loaded, PING answered); a health_redis_probe. */
int chat_presence_redis_up(const void *chat_presence);

/* The bridge is stopping: its users go offline everywhere now (not when its lease runs out). */
void chat_presence_drain(struct chat_presence *chat_presence);
/* Closes the link, presence and typing; frees itself as their handles close. NULL is fine. */
void chat_presence_close(struct chat_presence *chat_presence);

#endif
