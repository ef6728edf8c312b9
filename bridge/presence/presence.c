/* presence: per-bridge device counts in memory, mirrored to Redis by Lua scripts (see
 * presence.h and docs/presence.md). The local map is the truth for this bridge: whenever Redis
 * answers that the bridge is not registered (restarted, or reaped after a stall), the whole map
 * is written back by the restore script, which is idempotent. */
#include "presence/presence.h"
#include "core/eio_map.h"
#include "core/ids.h"
#include "core/log.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#define PRESENCE_KEY_ONLINE "{pgchat}:online"       /* hash user -> devices on all bridges */
#define PRESENCE_KEY_BRIDGES "{pgchat}:bridges"     /* zset bridge id -> lease end (ms) */
#define PRESENCE_KEY_BRIDGE "{pgchat}:bridge:"      /* + id: hash user -> devices there */
#define PRESENCE_KEY_LAST_SEEN "{pgchat}:last_seen" /* hash user -> ms */
#define PRESENCE_PAYLOAD_MAX 256

/* Every script: KEYS = online, bridges, this bridge's hash, last_seen; ARGV[1] = bridge id,
 * ARGV[2] = lease in ms. adjust() is the only place a user's global count changes, so an
 * online/offline transition is published exactly once. Times come from Redis's clock, so
 * bridges with skewed clocks agree. */
#define PRESENCE_LUA_PRELUDE                                                                     \
    "local function now_ms() local t = redis.call('TIME') "                                      \
    "return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) end\n"                     \
    "local function adjust(user, delta, at, gone)\n"                                             \
    "  local n = redis.call('HINCRBY', KEYS[1], user, delta)\n"                                  \
    "  local before = n - delta\n"                                                               \
    "  if n <= 0 then\n"                                                                         \
    "    redis.call('HDEL', KEYS[1], user)\n"                                                    \
    "    if before > 0 then\n"                                                                   \
    "      redis.call('HSET', KEYS[4], user, at)\n"                                              \
    "      redis.call('PUBLISH', '" PRESENCE_CHANNEL "', "                                       \
    "'{\"u\":\"' .. user .. '\",\"o\":0,\"s\":' .. string.format('%d', at) .. '}')\n"            \
    "      gone[#gone + 1] = user\n"                                                             \
    "      gone[#gone + 1] = at\n"                                                               \
    "    end\n"                                                                                  \
    "  elseif before <= 0 then\n"                                                                \
    "    redis.call('PUBLISH', '" PRESENCE_CHANNEL "', '{\"u\":\"' .. user .. '\",\"o\":1}')\n"  \
    "  end\n"                                                                                    \
    "  return n\n"                                                                               \
    "end\n"                                                                                      \
    "local function registered() return redis.call('ZSCORE', KEYS[2], ARGV[1]) end\n"

/* ARGV[3] = user. -> {1, global count, 0} or {-1, 0, 0} when the bridge is not registered. */
static const char presence_lua_connect[] = PRESENCE_LUA_PRELUDE
    "if not registered() then return {-1, 0, 0} end\n"
    "redis.call('HINCRBY', KEYS[3], ARGV[3], 1)\n"
    "return {1, adjust(ARGV[3], 1, 0, {}), 0}\n";

/* ARGV[3] = user. -> {1, global count, last seen when it reached 0}, {-1, 0, 0} unregistered,
 * {-2, 0, 0} when this bridge had no device of the user in Redis. */
static const char presence_lua_disconnect[] = PRESENCE_LUA_PRELUDE
    "if not registered() then return {-1, 0, 0} end\n"
    "local mine = tonumber(redis.call('HGET', KEYS[3], ARGV[3]) or '0')\n"
    "if mine <= 0 then return {-2, 0, 0} end\n"
    "if mine == 1 then redis.call('HDEL', KEYS[3], ARGV[3])\n"
    "else redis.call('HINCRBY', KEYS[3], ARGV[3], -1) end\n"
    "local gone = {}\n"
    "local now = now_ms()\n"
    "local n = adjust(ARGV[3], -1, now, gone)\n"
    "return {1, n, #gone > 0 and now or 0}\n";

/* Renews the lease. -> 1, or 0 when the bridge is not registered (the caller restores). */
static const char presence_lua_heartbeat[] = PRESENCE_LUA_PRELUDE
    "if not registered() then return 0 end\n"
    "redis.call('ZADD', KEYS[2], now_ms() + tonumber(ARGV[2]), ARGV[1])\n"
    "return 1\n";

/* Reaps up to 16 bridges whose lease ended: their users' devices are taken off, last seen at the
 * lease's start. ARGV[3] = the key prefix of bridge hashes. -> {user, last seen, ...} offline. */
static const char presence_lua_reap[] = PRESENCE_LUA_PRELUDE
    "local gone = {}\n"
    "local dead = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now_ms(), 'LIMIT', 0, 16)\n"
    "for _, id in ipairs(dead) do\n"
    "  local seen = tonumber(redis.call('ZSCORE', KEYS[2], id)) - tonumber(ARGV[2])\n"
    "  redis.call('ZREM', KEYS[2], id)\n"
    "  local key = ARGV[3] .. id\n"
    "  local users = redis.call('HGETALL', key)\n"
    "  for i = 1, #users, 2 do adjust(users[i], -tonumber(users[i + 1]), seen, gone) end\n"
    "  redis.call('DEL', key)\n"
    "end\n"
    "return gone\n";

/* Writes this bridge's whole map (ARGV[3..] = user, devices, ...) over what Redis holds for it,
 * adjusting global counts by the difference, and registers the bridge. -> offline list. */
static const char presence_lua_restore[] = PRESENCE_LUA_PRELUDE
    "local now = now_ms()\n"
    "local old = redis.call('HGETALL', KEYS[3])\n"
    "local before = {}\n"
    "for i = 1, #old, 2 do before[old[i]] = tonumber(old[i + 1]) end\n"
    "redis.call('DEL', KEYS[3])\n"
    "local gone = {}\n"
    "for i = 3, #ARGV, 2 do\n"
    "  local user, count = ARGV[i], tonumber(ARGV[i + 1])\n"
    "  redis.call('HSET', KEYS[3], user, count)\n"
    "  local delta = count - (before[user] or 0)\n"
    "  before[user] = nil\n"
    "  if delta ~= 0 then adjust(user, delta, now, gone) end\n"
    "end\n"
    "for user, count in pairs(before) do adjust(user, -count, now, gone) end\n"
    "redis.call('ZADD', KEYS[2], now + tonumber(ARGV[2]), ARGV[1])\n"
    "return gone\n";

/* The bridge is stopping: all its devices come off now, rather than when its lease runs out. */
static const char presence_lua_leave[] = PRESENCE_LUA_PRELUDE
    "local now = now_ms()\n"
    "local old = redis.call('HGETALL', KEYS[3])\n"
    "local gone = {}\n"
    "for i = 1, #old, 2 do adjust(old[i], -tonumber(old[i + 1]), now, gone) end\n"
    "redis.call('DEL', KEYS[3])\n"
    "redis.call('ZREM', KEYS[2], ARGV[1])\n"
    "return gone\n";

enum presence_script { SCRIPT_CONNECT, SCRIPT_DISCONNECT, SCRIPT_HEARTBEAT, SCRIPT_REAP,
                       SCRIPT_RESTORE, SCRIPT_LEAVE, SCRIPT_COUNT };

/* In the map by id and in a list, for the restore to walk. */
struct presence_user {
    struct presence_user *prev, *next;
    int devices;
    char id[IDS_UUID_LEN + 1]; /* the map's key */
};

struct presence {
    uv_loop_t *loop;
    struct redis *redis;
    struct db_pool *pool;
    int statement_audience;
    int statement_visible;
    int statement_last_seen;
    int scripts[SCRIPT_COUNT];
    char bridge_id[PRESENCE_BRIDGE_ID_MAX + 1];
    char bridge_key[sizeof(PRESENCE_KEY_BRIDGE) + PRESENCE_BRIDGE_ID_MAX];
    char lease[16];
    eio_map *users;
    struct presence_user *first;
    eio_map *queued;      /* user -> its change waiting for an audience look-up */
    struct presence_delivery *queue_head, *queue_tail;
    int in_flight;        /* audience look-ups running */
    size_t devices;
    int registered;       /* Redis is up and answered our restore */
    int leaving;          /* presence_leave was called: never register again */
    unsigned epoch;       /* restores sent: a reply saying "unregistered" older than one is moot */
    int restoring;
    presence_change_fn on_change;
    void *data;
    presence_refresh_fn on_refresh;
    void *refresh_data;
    int ever_registered;
    char (*refresh_ids)[IDS_UUID_LEN + 1]; /* after an outage: users held here to tell who is online */
    size_t refresh_count, refresh_next;
    int refresh_in_flight;
    uv_timer_t heartbeat;
    size_t pending;       /* calls in flight that point back here */
    int closing;
    int timer_closed;
};

/* A connect or disconnect script in flight. */
struct presence_op {
    struct presence *presence;
    unsigned epoch;
    char user[IDS_UUID_LEN + 1];
};

/* A change waiting for its audience from the database. */
struct presence_delivery {
    struct presence *presence;
    struct presence_delivery *next; /* in the queue */
    char user[IDS_UUID_LEN + 1];
    int online;
    char last_seen[40];
};

/* A users_online question: audience from the database, then HMGET in Redis. */
struct presence_query {
    struct presence *presence;
    presence_online_fn callback;
    void *data;
    json_t *audience;
};

static const char *const presence_keys[4] = {PRESENCE_KEY_ONLINE, PRESENCE_KEY_BRIDGES, NULL,
                                             PRESENCE_KEY_LAST_SEEN};

/* ---- small helpers ---- */

static int presence_valid_bridge_id(const char *id)
{
    size_t length = strlen(id);
    if (length == 0 || length > PRESENCE_BRIDGE_ID_MAX)
        return 0;
    for (size_t i = 0; i < length; i++)
        if (!isalnum((unsigned char)id[i]) && !strchr("._-", id[i]))
            return 0;
    return 1;
}

static void presence_format_time(long long ms, char *out, size_t size)
{
    if (ms < 0)
        ms = 0;
    time_t seconds = (time_t)(ms / 1000);
    struct tm tm;
    char date[24] = "1970-01-01T00:00:00";
    if (gmtime_r(&seconds, &tm))
        strftime(date, sizeof(date), "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, size, "%s.%03uZ", date, (unsigned)(ms % 1000));
}

static long long presence_now_ms(void)
{
    struct timeval now;
    gettimeofday(&now, NULL);
    return (long long)now.tv_sec * 1000 + now.tv_usec / 1000;
}

static long long presence_reply_integer(const redisReply *reply)
{
    if (reply->type == REDIS_REPLY_INTEGER)
        return reply->integer;
    if (reply->type == REDIS_REPLY_STRING)
        return strtoll(reply->str, NULL, 10);
    return 0;
}

static void presence_maybe_free(struct presence *presence)
{
    if (presence->closing && presence->pending == 0 && presence->timer_closed) {
        eio_map_free(presence->users);
        eio_map_free(presence->queued);
        free(presence);
    }
}

static void presence_done(struct presence *presence)
{
    presence->pending--;
    presence_maybe_free(presence);
}

static int presence_eval(struct presence *presence, enum presence_script script,
                         redis_reply_fn callback, void *data, int nargs, const char **args)
{
    const char *keys[4] = {presence_keys[0], presence_keys[1], presence->bridge_key,
                           presence_keys[3]};
    if (redis_eval(presence->redis, presence->scripts[script], callback, data, 4, keys, nargs,
                   args, NULL) != 0)
        return -1;
    presence->pending++;
    return 0;
}

/* ---- last seen in PostgreSQL ---- */

static void presence_on_last_seen_written(void *data, const struct db_result *result)
{
    (void)data;
    if (result->status != DB_OK)
        log_warn("presence_last_seen_failed", "reason=\"%s\"",
                 result->status == DB_ERROR ? "refused" : "database unavailable");
}

/* Fire and forget: the value stays in Redis whatever happens here. */
static void presence_write_last_seen(struct presence *presence, const char *user, long long ms)
{
    char at[24];
    snprintf(at, sizeof(at), "%lld", ms);
    const char *values[] = {user, at};
    if (db_query(presence->pool, presence->statement_last_seen, values,
                 presence_on_last_seen_written, NULL) != 0)
        log_warn("presence_last_seen_failed", "user=%s reason=\"database unavailable\"", user);
}

/* {user, ms, user, ms ...} from the reap and restore scripts. */
static void presence_write_gone(struct presence *presence, const redisReply *reply)
{
    if (reply->type != REDIS_REPLY_ARRAY)
        return;
    for (size_t i = 0; i + 1 < reply->elements; i += 2) {
        char user[IDS_UUID_LEN + 1];
        if (reply->element[i]->type == REDIS_REPLY_STRING &&
            ids_normalize_uuid(reply->element[i]->str, user))
            presence_write_last_seen(presence, user, presence_reply_integer(reply->element[i + 1]));
    }
}

/* ---- restore, heartbeat, reap ---- */

/* ---- refreshing this bridge's users after an outage ---- */

static void presence_refresh_pump(struct presence *presence);

struct presence_refresh {
    struct presence *presence;
    char user[IDS_UUID_LEN + 1];
};

static void presence_on_refreshed(void *data, enum presence_status status, json_t *user_ids)
{
    struct presence_refresh *refresh = data;
    struct presence *presence = refresh->presence;
    presence->refresh_in_flight--;
    if (status == PRESENCE_OK && !presence->closing && eio_map_get(presence->users, refresh->user))
        presence->on_refresh(presence->refresh_data, refresh->user, user_ids);
    free(refresh);
    presence_refresh_pump(presence);
}

/* A few users_online look-ups at a time, like the audience look-ups. */
static void presence_refresh_pump(struct presence *presence)
{
    while (!presence->closing && presence->refresh_ids &&
           presence->refresh_in_flight < PRESENCE_AUDIENCE_IN_FLIGHT &&
           presence->refresh_next < presence->refresh_count) {
        struct presence_refresh *refresh = malloc(sizeof(*refresh));
        if (!refresh)
            break;
        refresh->presence = presence;
        memcpy(refresh->user, presence->refresh_ids[presence->refresh_next++], 37);
        if (presence_users_online(presence, refresh->user, presence_on_refreshed, refresh) != 0) {
            free(refresh);
            break; /* unavailable again: the next registration starts over */
        }
        presence->refresh_in_flight++;
    }
    if (presence->refresh_ids && presence->refresh_next >= presence->refresh_count &&
        presence->refresh_in_flight == 0) {
        free(presence->refresh_ids);
        presence->refresh_ids = NULL;
    }
}

/* Changes published while this bridge was cut off from Redis never reached it: tell each user
 * held here who is online now. */
static void presence_refresh_all(struct presence *presence)
{
    if (!presence->on_refresh || presence->refresh_in_flight > 0)
        return;
    free(presence->refresh_ids);
    presence->refresh_ids = NULL;
    size_t users = eio_map_count(presence->users);
    if (users == 0 || !(presence->refresh_ids = calloc(users, sizeof(*presence->refresh_ids))))
        return;
    size_t n = 0;
    for (struct presence_user *user = presence->first; user && n < users; user = user->next)
        memcpy(presence->refresh_ids[n++], user->id, 37);
    presence->refresh_count = n;
    presence->refresh_next = 0;
    log_info("presence_refreshing", "bridge=%s users=%zu", presence->bridge_id, n);
    presence_refresh_pump(presence);
}

static void presence_on_restored(void *data, redisReply *reply)
{
    struct presence *presence = data;
    presence->restoring = 0;
    if (!presence->closing && reply && reply->type == REDIS_REPLY_ARRAY) {
        int was_registered = presence->registered;
        if (!was_registered)
            log_info("presence_registered", "bridge=%s users=%zu devices=%zu", presence->bridge_id,
                     eio_map_count(presence->users), presence->devices);
        presence->registered = 1;
        presence_write_gone(presence, reply);
        if (!was_registered && presence->ever_registered)
            presence_refresh_all(presence);
        presence->ever_registered = 1;
    } else if (reply && reply->type == REDIS_REPLY_ERROR) {
        char reason[160];
        log_error("presence_restore_failed", "bridge=%s reason=%s", presence->bridge_id,
                  log_quote(reason, sizeof(reason), reply->str));
    }
    presence_done(presence);
}

static void presence_restore(struct presence *presence)
{
    if (presence->closing || presence->leaving || !redis_is_up(presence->redis))
        return;
    size_t users = eio_map_count(presence->users);
    const char **args = calloc(2 + users * 2, sizeof(*args));
    char (*counts)[12] = calloc(users ? users : 1, sizeof(*counts));
    if (!args || !counts) {
        free(args);
        free(counts);
        log_error("presence_restore_failed", "bridge=%s reason=\"out of memory\"", presence->bridge_id);
        return;
    }
    args[0] = presence->bridge_id;
    args[1] = presence->lease;
    size_t n = 0;
    for (struct presence_user *user = presence->first; user && n < users; user = user->next, n++) {
        snprintf(counts[n], sizeof(counts[n]), "%d", user->devices);
        args[2 + 2 * n] = user->id;
        args[3 + 2 * n] = counts[n];
    }
    presence->epoch++;
    if (presence_eval(presence, SCRIPT_RESTORE, presence_on_restored, presence, (int)(2 + 2 * n),
                      args) == 0)
        presence->restoring = 1;
    free(args);
    free(counts);
}

static void presence_on_heartbeat(void *data, redisReply *reply)
{
    struct presence *presence = data;
    if (!presence->closing && reply && reply->type == REDIS_REPLY_INTEGER && reply->integer == 0 &&
        !presence->restoring) {
        log_warn("presence_unregistered", "bridge=%s reason=\"lease lost or Redis restarted\"",
                 presence->bridge_id);
        presence->registered = 0;
        presence_restore(presence);
    }
    presence_done(presence);
}

static void presence_on_reaped(void *data, redisReply *reply)
{
    struct presence *presence = data;
    if (reply && reply->type == REDIS_REPLY_ARRAY && reply->elements > 0) {
        log_info("presence_reaped", "bridge=%s offline=%zu", presence->bridge_id, reply->elements / 2);
        presence_write_gone(presence, reply);
    }
    presence_done(presence);
}

static void presence_on_tick(uv_timer_t *timer)
{
    struct presence *presence = timer->data;
    if (!redis_is_up(presence->redis))
        return;
    if (!presence->registered) {
        if (!presence->restoring)
            presence_restore(presence);
        return;
    }
    const char *args[] = {presence->bridge_id, presence->lease, PRESENCE_KEY_BRIDGE};
    presence_eval(presence, SCRIPT_HEARTBEAT, presence_on_heartbeat, presence, 2, args);
    presence_eval(presence, SCRIPT_REAP, presence_on_reaped, presence, 3, args);
}

static void presence_on_left(void *data, redisReply *reply)
{
    struct presence *presence = data;
    if (reply && reply->type == REDIS_REPLY_ARRAY) {
        log_info("presence_left", "bridge=%s offline=%zu", presence->bridge_id, reply->elements / 2);
        presence_write_gone(presence, reply);
    }
    presence_done(presence);
}

void presence_leave(struct presence *presence)
{
    if (presence->closing || presence->leaving)
        return;
    presence->leaving = 1;
    if (!presence->registered)
        return;
    presence->registered = 0;
    const char *args[] = {presence->bridge_id, presence->lease};
    presence_eval(presence, SCRIPT_LEAVE, presence_on_left, presence, 2, args);
}

static void presence_on_redis_state(void *data, int up)
{
    struct presence *presence = data;
    presence->registered = 0;
    presence->restoring = 0;
    if (up)
        presence_restore(presence);
}

/* ---- changes from the channel ---- */

static void presence_pump(struct presence *presence);

static void presence_on_audience(void *data, const struct db_result *result)
{
    struct presence_delivery *delivery = data;
    struct presence *presence = delivery->presence;
    json_t *audiences = NULL;
    if (result->status == DB_OK && result->value)
        audiences = json_loadb(result->value, result->length, 0, NULL);
    /* chat.presence_audiences: who may be told when the user went offline, and who only that */
    json_t *seeing = json_object_get(audiences, "lastSeen");
    json_t *others = json_object_get(audiences, "presenceOnly");
    if (!presence->closing && json_is_array(seeing) && json_is_array(others)) {
        struct presence_change change = {delivery->user, delivery->online,
                                         delivery->online ? NULL : delivery->last_seen};
        if (json_array_size(seeing) > 0)
            presence->on_change(presence->data, &change, seeing);
        change.last_seen = NULL;
        if (json_array_size(others) > 0)
            presence->on_change(presence->data, &change, others);
    } else if (!presence->closing) {
        log_warn("presence_audience_failed", "user=%s", delivery->user);
    }
    json_decref(audiences);
    free(delivery);
    presence->in_flight--;
    presence_pump(presence);
    presence_done(presence);
}

/* Starts audience look-ups from the queue, a few at a time, so a burst (a reaped bridge, a
 * rebuild after a Redis restart) never floods the pool that chat messages use. */
static void presence_pump(struct presence *presence)
{
    while (!presence->closing && presence->in_flight < PRESENCE_AUDIENCE_IN_FLIGHT &&
           presence->queue_head) {
        struct presence_delivery *delivery = presence->queue_head;
        presence->queue_head = delivery->next;
        if (!presence->queue_head)
            presence->queue_tail = NULL;
        eio_map_remove(presence->queued, delivery->user);
        const char *values[] = {delivery->user};
        if (db_query(presence->pool, presence->statement_audience, values, presence_on_audience,
                     delivery) != 0) {
            log_warn("presence_audience_failed", "user=%s reason=\"database unavailable\"",
                     delivery->user);
            free(delivery);
            continue;
        }
        presence->in_flight++;
        presence->pending++;
    }
}

static void presence_on_message(void *data, const char *payload, size_t length)
{
    struct presence *presence = data;
    if (presence->closing || length > PRESENCE_PAYLOAD_MAX)
        return;
    json_t *message = json_loadb(payload, length, 0, NULL);
    json_t *online = json_object_get(message, "o");
    json_t *seen = json_object_get(message, "s");
    char user[IDS_UUID_LEN + 1];
    if (!json_is_integer(online) ||
        !ids_normalize_uuid(json_string_value(json_object_get(message, "u")), user) ||
        (!json_integer_value(online) && !json_is_integer(seen))) {
        log_warn("presence_message_invalid", "length=%zu", length);
        json_decref(message);
        return;
    }
    /* a bridge with nobody on it has no one to tell */
    if (eio_map_count(presence->users) == 0) {
        json_decref(message);
        return;
    }
    /* a change still waiting for its turn is overwritten: only the latest state matters */
    struct presence_delivery *delivery = eio_map_get(presence->queued, user);
    if (!delivery) {
        if (eio_map_count(presence->queued) >= PRESENCE_MAX_QUEUED ||
            !(delivery = calloc(1, sizeof(*delivery)))) {
            log_warn("presence_change_dropped", "user=%s reason=\"queue full\"", user);
            json_decref(message);
            return;
        }
        memcpy(delivery->user, user, sizeof(user));
        delivery->presence = presence;
        if (eio_map_put(presence->queued, delivery->user, delivery) != 0) {
            free(delivery);
            json_decref(message);
            return;
        }
        if (presence->queue_tail)
            presence->queue_tail->next = delivery;
        else
            presence->queue_head = delivery;
        presence->queue_tail = delivery;
    }
    delivery->online = json_integer_value(online) != 0;
    delivery->last_seen[0] = '\0';
    if (!delivery->online)
        presence_format_time(json_integer_value(seen), delivery->last_seen,
                             sizeof(delivery->last_seen));
    json_decref(message);
    presence_pump(presence);
}

/* ---- connect and disconnect ---- */

static void presence_on_op(void *data, redisReply *reply, int disconnect)
{
    struct presence_op *op = data;
    struct presence *presence = op->presence;
    if (!presence->closing && reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == 3) {
        long long status = presence_reply_integer(reply->element[0]);
        long long seen = presence_reply_integer(reply->element[2]);
        if (status == -1 && op->epoch == presence->epoch && !presence->restoring) {
            presence->registered = 0;
            presence_restore(presence);
        }
        if (disconnect && status == 1 && seen > 0)
            presence_write_last_seen(presence, op->user, seen);
        else if (disconnect && status == -1 && !eio_map_get(presence->users, op->user))
            presence_write_last_seen(presence, op->user, presence_now_ms());
    }
    free(op);
    presence_done(presence);
}

static void presence_on_connect_done(void *data, redisReply *reply)
{
    presence_on_op(data, reply, 0);
}

static void presence_on_disconnect_done(void *data, redisReply *reply)
{
    presence_on_op(data, reply, 1);
}

static void presence_tell_redis(struct presence *presence, const char *user, int disconnect)
{
    if (!presence->registered)
        return; /* the restore that registers us carries the map as it is then */
    struct presence_op *op = malloc(sizeof(*op));
    if (!op)
        return;
    op->presence = presence;
    op->epoch = presence->epoch;
    memcpy(op->user, user, sizeof(op->user));
    const char *args[] = {presence->bridge_id, presence->lease, user};
    if (presence_eval(presence, disconnect ? SCRIPT_DISCONNECT : SCRIPT_CONNECT,
                      disconnect ? presence_on_disconnect_done : presence_on_connect_done, op, 3,
                      args) != 0)
        free(op);
}

static void presence_forget(struct presence *presence, struct presence_user *user)
{
    eio_map_remove(presence->users, user->id);
    if (user->prev)
        user->prev->next = user->next;
    else
        presence->first = user->next;
    if (user->next)
        user->next->prev = user->prev;
    free(user);
}

int presence_connected(struct presence *presence, const char *user_id)
{
    char id[IDS_UUID_LEN + 1];
    if (presence->closing || !ids_normalize_uuid(user_id, id))
        return -1;
    struct presence_user *user = eio_map_get(presence->users, id);
    if (!user) {
        if (eio_map_count(presence->users) >= PRESENCE_MAX_USERS)
            return -1;
        user = calloc(1, sizeof(*user));
        if (!user)
            return -1;
        memcpy(user->id, id, sizeof(user->id));
        if (eio_map_put(presence->users, user->id, user) != 0) {
            free(user);
            return -1;
        }
        user->next = presence->first;
        if (presence->first)
            presence->first->prev = user;
        presence->first = user;
    }
    user->devices++;
    presence->devices++;
    presence_tell_redis(presence, id, 0);
    return 0;
}

int presence_disconnected(struct presence *presence, const char *user_id)
{
    char id[IDS_UUID_LEN + 1];
    if (presence->closing || !ids_normalize_uuid(user_id, id))
        return -1;
    struct presence_user *user = eio_map_get(presence->users, id);
    if (!user)
        return -1;
    presence->devices--;
    int left = --user->devices;
    if (left == 0) {
        presence_forget(presence, user);
        /* without Redis nobody else can say when this user was last seen: say it now */
        if (!presence->registered)
            presence_write_last_seen(presence, id, presence_now_ms());
    }
    presence_tell_redis(presence, id, 1);
    return left;
}

/* ---- users_online ---- */

static void presence_finish_query(struct presence_query *query, enum presence_status status,
                                  json_t *ids)
{
    struct presence *presence = query->presence;
    query->callback(query->data, status, ids);
    json_decref(query->audience);
    free(query);
    presence_done(presence);
}

static void presence_on_counts(void *data, redisReply *reply)
{
    struct presence_query *query = data;
    if (!reply || reply->type != REDIS_REPLY_ARRAY ||
        reply->elements != json_array_size(query->audience)) {
        presence_finish_query(query, PRESENCE_UNAVAILABLE, NULL);
        return;
    }
    json_t *ids = json_array();
    for (size_t i = 0; ids && i < reply->elements; i++)
        if (presence_reply_integer(reply->element[i]) > 0)
            json_array_append(ids, json_array_get(query->audience, i));
    presence_finish_query(query, ids ? PRESENCE_OK : PRESENCE_ERROR, ids);
    json_decref(ids);
}

static void presence_on_query_audience(void *data, const struct db_result *result)
{
    struct presence_query *query = data;
    struct presence *presence = query->presence;
    if (result->status == DB_OK && result->value)
        query->audience = json_loadb(result->value, result->length, 0, NULL);
    if (!json_is_array(query->audience)) {
        presence_finish_query(query, PRESENCE_ERROR, NULL);
        return;
    }
    size_t count = json_array_size(query->audience);
    if (count > PRESENCE_MAX_AUDIENCE) { /* bounded: the first ones are answered */
        log_warn("presence_audience_truncated", "size=%zu", count);
        while (json_array_size(query->audience) > PRESENCE_MAX_AUDIENCE)
            json_array_remove(query->audience, json_array_size(query->audience) - 1);
        count = PRESENCE_MAX_AUDIENCE;
    }
    if (count == 0) {
        json_t *none = json_array();
        presence_finish_query(query, none ? PRESENCE_OK : PRESENCE_ERROR, none);
        json_decref(none);
        return;
    }
    const char **argv = malloc((count + 2) * sizeof(*argv));
    int sent = -1;
    if (argv) {
        argv[0] = "HMGET";
        argv[1] = PRESENCE_KEY_ONLINE;
        for (size_t i = 0; i < count; i++) {
            const char *id = json_string_value(json_array_get(query->audience, i));
            argv[2 + i] = id ? id : "";
        }
        sent = redis_command(presence->redis, presence_on_counts, query, (int)count + 2, argv, NULL);
    }
    free(argv);
    if (sent != 0)
        presence_finish_query(query, PRESENCE_UNAVAILABLE, NULL);
}

int presence_users_online(struct presence *presence, const char *user_id,
                          presence_online_fn callback, void *data)
{
    char id[IDS_UUID_LEN + 1];
    if (!presence_available(presence) || !ids_normalize_uuid(user_id, id) || !callback)
        return -1;
    struct presence_query *query = calloc(1, sizeof(*query));
    if (!query)
        return -1;
    *query = (struct presence_query){presence, callback, data, NULL};
    const char *values[] = {id};
    /* users_online: whose presence the caller may see (not who may see the caller's) */
    if (db_query(presence->pool, presence->statement_visible, values, presence_on_query_audience,
                 query) != 0) {
        free(query);
        return -1;
    }
    presence->pending++;
    return 0;
}

/* ---- lifetime and small queries ---- */

static const struct db_statement presence_statements[] = {
    {"presence_audience", "SELECT chat.presence_audiences($1::uuid)::text", 1},
    {"presence_set_last_seen",
     "SELECT chat.set_last_seen($1::uuid, to_timestamp($2::bigint / 1000.0))::text", 2},
    {"presence_visible", "SELECT chat.presence_visible($1::uuid)::text", 1},
};

void presence_default_bridge_id(char *out, size_t size)
{
    char host[65] = "bridge";
    gethostname(host, sizeof(host) - 1);
    host[sizeof(host) - 1] = '\0';
    for (char *c = host; *c; c++)
        if (!isalnum((unsigned char)*c) && *c != '-' && *c != '.')
            *c = '-';
    host[32] = '\0';
    unsigned random_bits = 0;
    if (getrandom(&random_bits, sizeof(random_bits), 0) != sizeof(random_bits))
        random_bits = (unsigned)presence_now_ms();
    snprintf(out, size, "%s-%d-%08x", host[0] ? host : "bridge", (int)getpid(), random_bits);
}

struct presence *presence_new(uv_loop_t *loop, struct redis *redis, struct db_pool *pool,
                              const char *bridge_id,
                              presence_change_fn on_change, void *data)
{
    if (!bridge_id || !presence_valid_bridge_id(bridge_id) || !on_change) {
        log_error("config_invalid", "setting=bridge_id reason=\"1 to 64 of A-Z a-z 0-9 . _ -\"");
        return NULL;
    }
    int first_statement = db_pool_register(pool, presence_statements, 3);
    if (first_statement < 0)
        return NULL;
    struct presence *presence = calloc(1, sizeof(*presence));
    if (!presence)
        return NULL;
    presence->users = eio_map_new();
    presence->queued = eio_map_new();
    if (!presence->users || !presence->queued) {
        eio_map_free(presence->users);
        eio_map_free(presence->queued);
        free(presence);
        return NULL;
    }
    presence->loop = loop;
    presence->redis = redis;
    presence->pool = pool;
    presence->statement_audience = first_statement;
    presence->statement_last_seen = first_statement + 1;
    presence->statement_visible = first_statement + 2;
    presence->on_change = on_change;
    presence->data = data;
    snprintf(presence->bridge_id, sizeof(presence->bridge_id), "%s", bridge_id);
    snprintf(presence->bridge_key, sizeof(presence->bridge_key), "%s%s", PRESENCE_KEY_BRIDGE,
             bridge_id);
    snprintf(presence->lease, sizeof(presence->lease), "%d", PRESENCE_LEASE_MS);
    static const char *const sources[SCRIPT_COUNT] = {
        presence_lua_connect, presence_lua_disconnect, presence_lua_heartbeat, presence_lua_reap,
        presence_lua_restore, presence_lua_leave};
    int failed = 0;
    for (int i = 0; i < SCRIPT_COUNT; i++)
        failed |= (presence->scripts[i] = redis_script(redis, sources[i])) < 0;
    failed |= redis_subscribe(redis, PRESENCE_CHANNEL, presence_on_message, presence);
    failed |= redis_on_state(redis, presence_on_redis_state, presence);
    if (failed) {
        log_error("presence_start_failed", "reason=\"the redis link is full or started\"");
        eio_map_free(presence->users);
        eio_map_free(presence->queued);
        free(presence);
        return NULL;
    }
    uv_timer_init(loop, &presence->heartbeat);
    presence->heartbeat.data = presence;
    uv_timer_start(&presence->heartbeat, presence_on_tick, PRESENCE_HEARTBEAT_MS,
                   PRESENCE_HEARTBEAT_MS);
    return presence;
}

void presence_on_refresh(struct presence *presence, presence_refresh_fn on_refresh, void *data)
{
    presence->on_refresh = on_refresh;
    presence->refresh_data = data;
}

int presence_available(const struct presence *presence)
{
    return !presence->closing && presence->registered && redis_is_up(presence->redis);
}

size_t presence_local_devices(const struct presence *presence)
{
    return presence->devices;
}

json_t *presence_change_json(const struct presence_change *change)
{
    return json_pack("{s:s, s:b, s:s?}", "userId", change->user_id, "online", change->online,
                     "lastSeen", change->last_seen);
}

static void presence_on_timer_closed(uv_handle_t *handle)
{
    struct presence *presence = handle->data;
    presence->timer_closed = 1;
    presence_maybe_free(presence);
}

void presence_close(struct presence *presence)
{
    if (!presence || presence->closing)
        return;
    presence->closing = 1;
    free(presence->refresh_ids);
    presence->refresh_ids = NULL;
    while (presence->first)
        presence_forget(presence, presence->first);
    while (presence->queue_head) {
        struct presence_delivery *delivery = presence->queue_head;
        presence->queue_head = delivery->next;
        eio_map_remove(presence->queued, delivery->user);
        free(delivery);
    }
    presence->queue_tail = NULL;
    uv_timer_stop(&presence->heartbeat);
    uv_close((uv_handle_t *)&presence->heartbeat, presence_on_timer_closed);
}
