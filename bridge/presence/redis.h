/* redis: the bridge's link to Redis on its libuv loop (hiredis async and its libuv adapter).
 * Two connections: one for commands and Lua scripts, one for pub/sub (hiredis cannot mix them).
 * The link is "up" once both are connected, every registered script is loaded and every
 * registered channel is subscribed; a lost connection tears both down and they are re-made with
 * capped backoff (1, 2, 4 ... 32 s), each attempt logged once, scripts reloaded and channels
 * re-subscribed. Nothing here blocks the loop, but for resolving a host name: use an address.
 *
 * Order of use: redis_new, then redis_script / redis_subscribe / redis_on_state (registration is
 * closed once started), then redis_start. */
#ifndef BRIDGE_REDIS_H
#define BRIDGE_REDIS_H

#include <hiredis/hiredis.h>
#include <stddef.h>
#include <uv.h>

#define REDIS_MAX_SCRIPTS 8
#define REDIS_MAX_CHANNELS 8
#define REDIS_MAX_LISTENERS 4
#define REDIS_BACKOFF_MAX_S 32

struct redis;

/* A command's answer; reply is NULL when the link was lost (or closed) first: the command may or
 * may not have run. reply is hiredis's and valid only during the call. */
typedef void (*redis_reply_fn)(void *data, redisReply *reply);
/* A message on a subscribed channel; payload is not terminated by a NUL. */
typedef void (*redis_message_fn)(void *data, const char *payload, size_t length);
/* The link went up (1) or down (0). */
typedef void (*redis_state_fn)(void *data, int up);

/* A link to url (redis://[:password@]host[:port][/db]); name tags its log lines (copied).
 * NULL when the URL cannot be parsed (logged) or out of memory. Nothing connects before
 * redis_start. */
struct redis *redis_new(uv_loop_t *loop, const char *url, const char *name);

/* Registers a Lua script, loaded on every connection. Returns its id for redis_eval, or -1 when
 * the table is full or the link already started. source must outlive the link. */
int redis_script(struct redis *redis, const char *source);
/* Subscribes to channel (copied) on every connection; on_message runs for each message.
 * Returns 0, or -1 when the table is full, the name too long or the link already started. */
int redis_subscribe(struct redis *redis, const char *channel, redis_message_fn on_message,
                    void *data);
/* Adds a listener of up/down changes. Returns 0 or -1 when full or started. */
int redis_on_state(struct redis *redis, redis_state_fn on_state, void *data);

/* Connects (in the background). Returns 0, or -1 if it was started before. */
int redis_start(struct redis *redis);

/* Whether the link is up now. */
int redis_is_up(const struct redis *redis);

/* Sends a command (argv/lengths copied by hiredis). Returns 0 when sent: callback runs exactly
 * once, later, with the reply or NULL. Returns -1 when the link is down: callback never runs.
 * callback may be NULL (fire and forget). */
int redis_command(struct redis *redis, redis_reply_fn callback, void *data, int argc,
                  const char **argv, const size_t *lengths);
/* Runs script `script` (EVALSHA) with the keys then the args, as redis_command. A script Redis
 * lost (SCRIPT FLUSH) answers an error and makes the link reconnect, which reloads it. */
int redis_eval(struct redis *redis, int script, redis_reply_fn callback, void *data, int nkeys,
               const char **keys, int nargs, const char **args, const size_t *arg_lengths);
/* Publishes payload on channel, fire and forget. 0, or -1 when down. */
int redis_publish(struct redis *redis, const char *channel, const char *payload, size_t length);

/* Drops both connections: commands in flight get their callback with NULL now, listeners are not
 * told. The link frees itself once its handles are closed (let the loop run). */
void redis_close(struct redis *redis);

#endif
