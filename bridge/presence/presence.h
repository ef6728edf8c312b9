/* presence: who is online, shared by every bridge through Redis (docs/presence.md).
 *
 * Each bridge has an id and keeps, in memory, how many devices (sockets) each user has on it;
 * Redis mirrors that as one hash per bridge plus a global count per user, changed only by Lua
 * scripts so every transition online <-> offline happens once, atomically, and is published on
 * the "pgchat:presence" channel. A heartbeat renews the bridge's lease; any bridge reaps a bridge
 * whose lease ran out (it crashed), taking its users offline everywhere within 15 s. When the
 * last device of a user goes, the time is kept in Redis and written to users.last_seen_at.
 * Without Redis, presence is unavailable; when Redis returns (even empty, after a restart) the
 * bridge re-registers its users from memory and presence rebuilds itself.
 *
 * The chat layer wires it: presence_connected / presence_disconnected on each authenticated
 * socket, presence_users_online for `user_online`, and the change callback for `presence`. */
#ifndef BRIDGE_PRESENCE_H
#define BRIDGE_PRESENCE_H

#include <jansson.h>
#include <stddef.h>
#include <uv.h>

#include "core/db.h"
#include "presence/redis.h"

#define PRESENCE_CHANNEL "pgchat:presence"
#define PRESENCE_HEARTBEAT_MS 2000
#define PRESENCE_LEASE_MS 8000 /* a bridge silent this long is reaped by the others */
#define PRESENCE_BRIDGE_ID_MAX 64
#define PRESENCE_MAX_USERS 200000 /* distinct users on one bridge */
#define PRESENCE_MAX_AUDIENCE 10000
#define PRESENCE_AUDIENCE_IN_FLIGHT 16 /* audience look-ups at once; the rest wait, coalesced */
#define PRESENCE_MAX_QUEUED 200000     /* users with a change waiting */

struct presence;

/* A user came online or went offline (on any bridge). */
struct presence_change {
    const char *user_id;
    int online;
    const char *last_seen; /* offline: ISO 8601 UTC with milliseconds; online: NULL */
};

/* audience: the ids (JSON array of strings, borrowed) of the users allowed to see the change,
 * from chat.presence_audience; the chat layer emits `presence` to those it holds sockets of.
 * Called only when this bridge holds at least one user. */
typedef void (*presence_change_fn)(void *data, const struct presence_change *change,
                                   json_t *audience);

enum presence_status {
    PRESENCE_OK,
    PRESENCE_UNAVAILABLE, /* Redis is down (or was lost on the way), or presence is closing */
    PRESENCE_ERROR,       /* the database refused or is unreachable */
};

/* user_ids: JSON array (borrowed) when PRESENCE_OK, else NULL. */
typedef void (*presence_online_fn)(void *data, enum presence_status status, json_t *user_ids);

/* Writes a fresh bridge id (host, pid and random bits) into out. */
void presence_default_bridge_id(char *out, size_t size);

/* A presence on redis (registers its scripts, channel and listener: call before redis_start)
 * and pool (registers its statements: call before the loop runs). bridge_id:
 * 1 to 64 of [A-Za-z0-9._-], copied. NULL on a bad id (logged) or out of memory. */
struct presence *presence_new(uv_loop_t *loop, struct redis *redis, struct db_pool *pool,
                              const char *bridge_id,
                              presence_change_fn on_change, void *data);

/* A device (socket) of user_id (a uuid) joined / left this bridge. Each connected must be
 * matched by one disconnected. connected returns 0; disconnected returns how many devices of
 * the user are left here (0: the last one went). Both return -1 for a bad id, an unknown user on
 * disconnect, or past PRESENCE_MAX_USERS (nothing changed). Never blocks; Redis is told in the
 * background. */
int presence_connected(struct presence *presence, const char *user_id);
int presence_disconnected(struct presence *presence, const char *user_id);

/* The online users among user_id's audience. Returns 0: callback runs exactly once, later.
 * Returns -1 when presence is unavailable now or user_id is bad: callback never runs. */
int presence_users_online(struct presence *presence, const char *user_id,
                          presence_online_fn callback, void *data);

/* Changes published while this bridge was cut off from Redis never reached it. So after it
 * registers again (not the first time), on_refresh is called for each user it holds with the
 * ids (JSON array, borrowed) of that user's audience online now: the chat layer sends them as
 * `users_online`. A few look-ups at a time. */
typedef void (*presence_refresh_fn)(void *data, const char *user_id, json_t *online_ids);
void presence_on_refresh(struct presence *presence, presence_refresh_fn on_refresh, void *data);

/* Whether Redis is up and this bridge is registered in it. */
int presence_available(const struct presence *presence);
/* How many devices this bridge holds (for logs and tests). */
size_t presence_local_devices(const struct presence *presence);

/* {userId, online, lastSeen} as the `presence` event carries it; NULL when out of memory. */
json_t *presence_change_json(const struct presence_change *change);

/* The bridge is stopping (SIGTERM): takes its users' devices off in Redis now, so they go
 * offline everywhere at once, and never registers again. Connects and disconnects after this
 * stay local. */
void presence_leave(struct presence *presence);

/* Stops the heartbeat; no change callback runs after this. Frees itself once its calls in flight
 * are answered (close the redis link and the pool to hurry them). */
void presence_close(struct presence *presence);


#endif
