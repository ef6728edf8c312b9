/* typing: "who is typing where", across bridges through Redis pub/sub (docs/presence.md).
 *
 * A start or stop is published on the "pgchat:typing" channel and every bridge (this one too,
 * through its own subscription) keeps the state in a small table and calls back; the chat layer
 * turns the callback into `user_typing` / `user_stop_typing` for the conversation's members it
 * holds. Every bridge expires a typing state by itself TYPING_EXPIRE_MS after its last start, so
 * it ends even when its sender's bridge dies. Without Redis (or with none configured) typing is
 * delivered on this bridge only, so chat still works. */
#ifndef BRIDGE_TYPING_H
#define BRIDGE_TYPING_H

#include <stddef.h>
#include <uv.h>

#include "presence/redis.h"

#define TYPING_CHANNEL "pgchat:typing"
#define TYPING_EXPIRE_MS 5000
#define TYPING_REPUBLISH_MS 2000 /* a repeated start from here is published at most this often */
#define TYPING_MAX_ACTIVE 20000  /* typing states one bridge keeps */
#define TYPING_USERNAME_MAX 64   /* bytes */

struct typing;

struct typing_event {
    const char *conversation_id;
    const char *user_id;
    const char *username; /* "" on a stop */
    int typing;           /* 1: started (or still typing), 0: stopped or expired */
};

typedef void (*typing_fn)(void *data, const struct typing_event *event);

/* redis may be NULL (no Redis configured): typing is then local. When given, it registers its
 * channel on it (call before redis_start). bridge_id is copied. NULL when out of memory or the
 * link is full. */
struct typing *typing_new(uv_loop_t *loop, struct redis *redis, const char *bridge_id,
                          typing_fn on_event, void *data);

/* user_id (uuid) types in conversation_id (uuid); the caller has checked membership.
 * Returns 0, or -1 for bad ids, a username too long or not UTF-8, or a full table. */
int typing_start(struct typing *typing, const char *conversation_id, const char *user_id,
                 const char *username);
/* Stops it (a no-op if it was not typing there). 0 or -1 for bad ids. */
int typing_stop(struct typing *typing, const char *conversation_id, const char *user_id);
/* The user's last device on this bridge went: stops everything it was typing from here. */
void typing_user_gone(struct typing *typing, const char *user_id);

/* Typing states held now. */
size_t typing_active(const struct typing *typing);

/* Stops the timer, drops the states without calling back; frees itself once closed. */
void typing_close(struct typing *typing);

#endif
