/* redis: two hiredis async connections on the loop, re-made with capped backoff (see redis.h).
 * State: DOWN (retry timer armed) -> CONNECTING (both contexts exist, handshake running) -> UP
 * (command context answered its PING after the script loads, every channel confirmed). Any
 * failure of either context tears both down and goes back to DOWN. */
#include "presence/redis.h"
#include "core/log.h"

#include <hiredis/adapters/libuv.h>
#include <hiredis/async.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REDIS_CHANNEL_MAX 128
#define REDIS_SHA_LENGTH 40
#define REDIS_WATCH_MS 2000
#define REDIS_WATCH_MISSES 3 /* PINGs unanswered before a connection counts as stuck */

struct redis_subscription {
    struct redis *redis;
    char channel[REDIS_CHANNEL_MAX];
    redis_message_fn on_message;
    void *data;
};

struct redis_listener {
    redis_state_fn on_state;
    void *data;
};

/* One command in flight: who to tell. Freed after its callback. */
struct redis_call {
    struct redis *redis;
    redis_reply_fn callback;
    void *data;
};

struct redis {
    uv_loop_t *loop;
    char name[32];
    char host[256];
    int port;
    char password[256];
    int db;
    const char *scripts[REDIS_MAX_SCRIPTS];
    char shas[REDIS_MAX_SCRIPTS][REDIS_SHA_LENGTH + 1];
    int script_count;
    struct redis_subscription subscriptions[REDIS_MAX_CHANNELS];
    int subscription_count;
    struct redis_listener listeners[REDIS_MAX_LISTENERS];
    int listener_count;
    redisAsyncContext *command;    /* NULL when down; hiredis frees it */
    redisAsyncContext *subscriber; /* the same, for SUBSCRIBE */
    int command_ready;             /* scripts loaded, PING answered */
    int channels_confirmed;
    int up;
    int started;
    int closing;
    unsigned attempt; /* failed connects since the last time up: the backoff exponent */
    uv_timer_t retry_timer;
    uv_timer_t watch_timer; /* PINGs the command connection: a stopped server keeps sockets open */
    int pings_unanswered;
    int timers_open;
};

/* ---- URL ---- */

/* redis://[[user]:password@]host[:port][/db]; no percent-decoding. */
static int redis_parse_url(struct redis *redis, const char *url)
{
    if (strncmp(url, "redis://", 8) != 0)
        return -1;
    const char *rest = url + 8;
    const char *at = strrchr(rest, '@');
    if (at) {
        const char *colon = memchr(rest, ':', (size_t)(at - rest));
        if (colon) {
            size_t length = (size_t)(at - colon - 1);
            if (length >= sizeof(redis->password))
                return -1;
            memcpy(redis->password, colon + 1, length);
            redis->password[length] = '\0';
        }
        rest = at + 1;
    }
    size_t host_length = strcspn(rest, ":/");
    if (host_length == 0 || host_length >= sizeof(redis->host))
        return -1;
    memcpy(redis->host, rest, host_length);
    redis->host[host_length] = '\0';
    rest += host_length;
    redis->port = 6379;
    char *end;
    if (*rest == ':') {
        long port = strtol(rest + 1, &end, 10);
        if (end == rest + 1 || port < 1 || port > 65535 || (*end && *end != '/'))
            return -1;
        redis->port = (int)port;
        rest = end;
    }
    if (*rest == '/' && rest[1]) {
        long db = strtol(rest + 1, &end, 10);
        if (end == rest + 1 || *end || db < 0 || db > 15)
            return -1;
        redis->db = (int)db;
    }
    return 0;
}

/* ---- state ---- */

static void redis_connect(struct redis *redis);

static void redis_tell(struct redis *redis, int up)
{
    if (redis->up == up)
        return;
    redis->up = up;
    if (up)
        log_info("redis_link_up", "link=%s host=%s port=%d", redis->name, redis->host, redis->port);
    else
        log_warn("redis_link_down", "link=%s host=%s port=%d", redis->name, redis->host,
                 redis->port);
    for (int i = 0; i < redis->listener_count; i++)
        redis->listeners[i].on_state(redis->listeners[i].data, up);
}

static void redis_on_retry(uv_timer_t *timer)
{
    redis_connect(timer->data);
}

static void redis_schedule_retry(struct redis *redis)
{
    if (redis->closing)
        return;
    unsigned exponent = redis->attempt < 5 ? redis->attempt : 5;
    unsigned delay = 1u << exponent; /* 1, 2, 4 ... 32 s */
    redis->attempt++;
    log_warn("redis_reconnecting", "link=%s attempt=%u in_s=%u", redis->name, redis->attempt, delay);
    uv_timer_start(&redis->retry_timer, redis_on_retry, (uint64_t)delay * 1000, 0);
}

/* Forgets both contexts first, so their callbacks (run by the frees below, or by hiredis after
 * the current callback) see they are stale. */
static void redis_teardown(struct redis *redis, const char *why)
{
    redisAsyncContext *command = redis->command;
    redisAsyncContext *subscriber = redis->subscriber;
    if (!command && !subscriber)
        return;
    redis->command = redis->subscriber = NULL;
    redis->command_ready = 0;
    redis->channels_confirmed = 0;
    if (!redis->closing)
        log_warn("redis_connection_lost", "link=%s reason=\"%s\"", redis->name, why);
    if (command)
        redisAsyncFree(command); /* deferred by hiredis when inside its own callback */
    if (subscriber)
        redisAsyncFree(subscriber);
    if (!redis->closing) {
        redis_tell(redis, 0);
        redis_schedule_retry(redis);
    }
}

static void redis_check_up(struct redis *redis)
{
    if (redis->command_ready && redis->channels_confirmed == redis->subscription_count) {
        redis->attempt = 0;
        redis->pings_unanswered = 0;
        redis_tell(redis, 1);
    }
}

static int redis_is_current(const struct redis *redis, const redisAsyncContext *context)
{
    return context && (context == redis->command || context == redis->subscriber);
}

/* ---- hiredis callbacks ---- */

static void redis_on_connect(const redisAsyncContext *context, int status)
{
    struct redis *redis = context->data;
    if (status == REDIS_OK || !redis_is_current(redis, context))
        return;
    /* hiredis frees this context after we return: forget it before the teardown frees the other */
    if (context == redis->command)
        redis->command = NULL;
    else
        redis->subscriber = NULL;
    if (redis->command || redis->subscriber)
        redis_teardown(redis, "cannot connect");
    else if (!redis->closing) {
        redis_tell(redis, 0);
        redis_schedule_retry(redis);
    }
}

static void redis_on_disconnect(const redisAsyncContext *context, int status)
{
    struct redis *redis = context->data;
    (void)status;
    if (!redis_is_current(redis, context))
        return;
    if (context == redis->command) /* being freed by hiredis already */
        redis->command = NULL;
    else
        redis->subscriber = NULL;
    redisAsyncContext *other = redis->command ? redis->command : redis->subscriber;
    if (other) {
        redis_teardown(redis, "connection lost");
        return;
    }
    redis->command_ready = redis->channels_confirmed = 0;
    if (!redis->closing) {
        log_warn("redis_connection_lost", "link=%s reason=\"connection lost\"", redis->name);
        redis_tell(redis, 0);
        redis_schedule_retry(redis);
    }
}

/* AUTH and SELECT: an error means the configuration is wrong; retrying with backoff is the
 * honest answer (a password may be fixed on the server side). */
static void redis_on_setup_reply(redisAsyncContext *context, void *reply, void *data)
{
    struct redis *redis = context->data;
    redisReply *answer = reply;
    (void)data;
    if (!answer || !redis_is_current(redis, context) || answer->type != REDIS_REPLY_ERROR)
        return;
    char reason[160];
    log_error("redis_refused", "link=%s reason=%s", redis->name,
              log_quote(reason, sizeof(reason), answer->str));
    redis_teardown(redis, "setup refused");
}

static void redis_on_script_loaded(redisAsyncContext *context, void *reply, void *data)
{
    struct redis *redis = context->data;
    redisReply *answer = reply;
    int index = (int)(intptr_t)data;
    if (!answer || context != redis->command)
        return;
    if (answer->type != REDIS_REPLY_STRING || answer->len != REDIS_SHA_LENGTH) {
        char reason[160];
        log_error("redis_script_refused", "link=%s script=%d reason=%s", redis->name, index,
                  log_quote(reason, sizeof(reason),
                            answer->type == REDIS_REPLY_ERROR ? answer->str : "unexpected reply"));
        redis_teardown(redis, "script not loaded");
        return;
    }
    memcpy(redis->shas[index], answer->str, REDIS_SHA_LENGTH + 1);
}

static void redis_on_ready_ping(redisAsyncContext *context, void *reply, void *data)
{
    struct redis *redis = context->data;
    (void)data;
    if (!reply || context != redis->command || ((redisReply *)reply)->type == REDIS_REPLY_ERROR)
        return;
    redis->command_ready = 1;
    redis_check_up(redis);
}

/* Subscribed channels: ["subscribe", channel, n] once, then ["message", channel, payload]. */
static void redis_on_channel(redisAsyncContext *context, void *reply, void *data)
{
    struct redis_subscription *subscription = data;
    struct redis *redis = subscription->redis;
    redisReply *answer = reply;
    if (!answer || context != redis->subscriber || answer->type != REDIS_REPLY_ARRAY ||
        answer->elements < 3 || answer->element[0]->type != REDIS_REPLY_STRING)
        return;
    const char *kind = answer->element[0]->str;
    if (strcmp(kind, "subscribe") == 0) {
        redis->channels_confirmed++;
        redis_check_up(redis);
    } else if (strcmp(kind, "message") == 0 && answer->element[2]->type == REDIS_REPLY_STRING) {
        subscription->on_message(subscription->data, answer->element[2]->str,
                                 answer->element[2]->len);
    }
}

static void redis_on_reply(redisAsyncContext *context, void *reply, void *data)
{
    struct redis_call *call = data;
    struct redis *redis = call->redis;
    redisReply *answer = reply;
    if (call->callback)
        call->callback(call->data, answer);
    free(call);
    if (answer && answer->type == REDIS_REPLY_ERROR && strncmp(answer->str, "NOSCRIPT", 8) == 0 &&
        context == redis->command)
        redis_teardown(redis, "scripts flushed on the server");
}

/* ---- watching a server that stopped answering ---- */

static void redis_on_watch_pong(redisAsyncContext *context, void *reply, void *data)
{
    struct redis *redis = context->data;
    (void)data;
    if (reply && context == redis->command)
        redis->pings_unanswered = 0;
}

static void redis_on_watch(uv_timer_t *timer)
{
    struct redis *redis = timer->data;
    if (!redis->command || !redis->up)
        return;
    if (redis->pings_unanswered >= REDIS_WATCH_MISSES) {
        redis_teardown(redis, "no answer to PING");
        return;
    }
    redis->pings_unanswered++;
    log_debug("redis_watch", "link=%s unanswered=%d", redis->name, redis->pings_unanswered);
    redisAsyncCommand(redis->command, redis_on_watch_pong, NULL, "PING");
}

/* ---- connecting ---- */

static redisAsyncContext *redis_open(struct redis *redis)
{
    redisAsyncContext *context = redisAsyncConnect(redis->host, redis->port);
    if (!context)
        return NULL;
    if (context->err) {
        char reason[160];
        log_debug("redis_connect_failed", "link=%s reason=%s", redis->name,
                 log_quote(reason, sizeof(reason), context->errstr));
        redisAsyncFree(context);
        return NULL;
    }
    context->data = redis;
    if (redisLibuvAttach(context, redis->loop) != REDIS_OK) {
        redisAsyncFree(context);
        return NULL;
    }
    redisAsyncSetConnectCallback(context, redis_on_connect);
    redisAsyncSetDisconnectCallback(context, redis_on_disconnect);
    if (redis->password[0])
        redisAsyncCommand(context, redis_on_setup_reply, NULL, "AUTH %s", redis->password);
    return context;
}

/* hiredis queues these before the socket is connected; they go out in order once it is. */
static void redis_connect(struct redis *redis)
{
    if (redis->closing || redis->command || redis->subscriber)
        return;
    redis->command = redis_open(redis);
    redis->subscriber = redis->command ? redis_open(redis) : NULL;
    if (!redis->command || !redis->subscriber) {
        if (redis->command)
            redis_teardown(redis, "cannot connect"); /* schedules the retry */
        else
            redis_schedule_retry(redis);
        return;
    }
    if (redis->db)
        redisAsyncCommand(redis->command, redis_on_setup_reply, NULL, "SELECT %d", redis->db);
    for (int i = 0; i < redis->script_count; i++)
        redisAsyncCommand(redis->command, redis_on_script_loaded, (void *)(intptr_t)i,
                          "SCRIPT LOAD %s", redis->scripts[i]);
    redisAsyncCommand(redis->command, redis_on_ready_ping, NULL, "PING");
    for (int i = 0; i < redis->subscription_count; i++)
        redisAsyncCommand(redis->subscriber, redis_on_channel, &redis->subscriptions[i],
                          "SUBSCRIBE %s", redis->subscriptions[i].channel);
}

/* ---- API ---- */

struct redis *redis_new(uv_loop_t *loop, const char *url, const char *name)
{
    struct redis *redis = calloc(1, sizeof(*redis));
    if (!redis)
        return NULL;
    if (!url || redis_parse_url(redis, url) != 0) {
        log_error("config_invalid", "setting=redis_url reason=\"expected redis://[:password@]host[:port][/db]\"");
        free(redis);
        return NULL;
    }
    redis->loop = loop;
    snprintf(redis->name, sizeof(redis->name), "%s", name);
    uv_timer_init(loop, &redis->retry_timer);
    uv_timer_init(loop, &redis->watch_timer);
    redis->retry_timer.data = redis->watch_timer.data = redis;
    redis->timers_open = 2;
    return redis;
}

int redis_script(struct redis *redis, const char *source)
{
    if (redis->started || redis->script_count == REDIS_MAX_SCRIPTS)
        return -1;
    redis->scripts[redis->script_count] = source;
    return redis->script_count++;
}

int redis_subscribe(struct redis *redis, const char *channel, redis_message_fn on_message,
                    void *data)
{
    if (redis->started || redis->subscription_count == REDIS_MAX_CHANNELS ||
        strlen(channel) >= REDIS_CHANNEL_MAX || !on_message)
        return -1;
    struct redis_subscription *subscription = &redis->subscriptions[redis->subscription_count++];
    subscription->redis = redis;
    memcpy(subscription->channel, channel, strlen(channel) + 1);
    subscription->on_message = on_message;
    subscription->data = data;
    return 0;
}

int redis_on_state(struct redis *redis, redis_state_fn on_state, void *data)
{
    if (redis->started || redis->listener_count == REDIS_MAX_LISTENERS || !on_state)
        return -1;
    redis->listeners[redis->listener_count++] = (struct redis_listener){on_state, data};
    return 0;
}

int redis_start(struct redis *redis)
{
    if (redis->started)
        return -1;
    redis->started = 1;
    uv_timer_start(&redis->watch_timer, redis_on_watch, REDIS_WATCH_MS, REDIS_WATCH_MS);
    redis_connect(redis);
    return 0;
}

int redis_is_up(const struct redis *redis)
{
    return redis->up && redis->command != NULL;
}

int redis_command(struct redis *redis, redis_reply_fn callback, void *data, int argc,
                  const char **argv, const size_t *lengths)
{
    if (!redis_is_up(redis))
        return -1;
    struct redis_call *call = malloc(sizeof(*call));
    if (!call)
        return -1;
    *call = (struct redis_call){redis, callback, data};
    if (redisAsyncCommandArgv(redis->command, redis_on_reply, call, argc, argv, lengths) != REDIS_OK) {
        free(call);
        return -1;
    }
    return 0;
}

int redis_eval(struct redis *redis, int script, redis_reply_fn callback, void *data, int nkeys,
               const char **keys, int nargs, const char **args, const size_t *arg_lengths)
{
    if (script < 0 || script >= redis->script_count || nkeys < 0 || nargs < 0 ||
        !redis_is_up(redis))
        return -1;
    int argc = 3 + nkeys + nargs;
    const char **argv = malloc((size_t)argc * sizeof(*argv));
    size_t *lengths = malloc((size_t)argc * sizeof(*lengths));
    char count[16];
    int status = -1;
    if (argv && lengths) {
        snprintf(count, sizeof(count), "%d", nkeys);
        argv[0] = "EVALSHA";
        argv[1] = redis->shas[script];
        argv[2] = count;
        for (int i = 0; i < 3; i++)
            lengths[i] = strlen(argv[i]);
        for (int i = 0; i < nkeys; i++) {
            argv[3 + i] = keys[i];
            lengths[3 + i] = strlen(keys[i]);
        }
        for (int i = 0; i < nargs; i++) {
            argv[3 + nkeys + i] = args[i];
            lengths[3 + nkeys + i] = arg_lengths ? arg_lengths[i] : strlen(args[i]);
        }
        status = redis_command(redis, callback, data, argc, argv, lengths);
    }
    free(argv);
    free(lengths);
    return status;
}

int redis_publish(struct redis *redis, const char *channel, const char *payload, size_t length)
{
    const char *argv[] = {"PUBLISH", channel, payload};
    size_t lengths[] = {7, strlen(channel), length};
    return redis_command(redis, NULL, NULL, 3, argv, lengths);
}

static void redis_on_closed(uv_handle_t *handle)
{
    struct redis *redis = handle->data;
    if (--redis->timers_open == 0)
        free(redis);
}

void redis_close(struct redis *redis)
{
    if (!redis)
        return;
    redis->closing = 1;
    redis_teardown(redis, "closing");
    uv_timer_stop(&redis->retry_timer);
    uv_timer_stop(&redis->watch_timer);
    uv_close((uv_handle_t *)&redis->retry_timer, redis_on_closed);
    uv_close((uv_handle_t *)&redis->watch_timer, redis_on_closed);
}
