/* rate_limit (see rate_limit.h). In Redis, one script counts and sets the window atomically; the
 * local table is a fixed array (a bound whatever keys clients make up) probed linearly, where a
 * full neighbourhood gives up the counter that ends soonest. */
#include "http/rate_limit.h"
#include "core/log.h"

#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

#define LOCAL_SLOTS 4096 /* a power of two */
#define LOCAL_PROBE 8
#define REDIS_PREFIX "{pgchat}:limit:"

/* KEYS[1] the counter, ARGV[1] how much to add, ARGV[2] the window in ms -> {count, ms left}.
 * Sent whole with EVAL, not registered with redis_script: the link is presence's and has started
 * by the time the limits are given it, and only logins and registrations count here. */
static const char count_script[] =
    "local n = tonumber(redis.call('GET', KEYS[1]) or '0') "
    "if tonumber(ARGV[1]) > 0 then "
    "  n = redis.call('INCRBY', KEYS[1], ARGV[1]) "
    "  if n == tonumber(ARGV[1]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end "
    "end "
    "return {n, redis.call('PTTL', KEYS[1])}";

struct local_counter {
    uint64_t hash;      /* 0: free */
    uint64_t ends_ms;
    unsigned count;
};

struct rate_limit {
    struct redis *redis;
    uint64_t seed;
    struct local_counter local[LOCAL_SLOTS];
};

static uint64_t now_ms(void)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000;
}

/* FNV-1a from a random seed: the table only bounds memory, so a client who made keys collide
 * could at worst share or reset counters while Redis is away. */
static uint64_t local_hash(const struct rate_limit *limits, const char *key)
{
    uint64_t h = limits->seed;
    for (; *key; key++)
        h = (h ^ (unsigned char)*key) * 1099511628211ULL;
    return h ? h : 1;
}

static void count_locally(struct rate_limit *limits, const char *key, unsigned add,
                          unsigned window_s, unsigned *count, unsigned *retry_after_s)
{
    uint64_t hash = local_hash(limits, key), now = now_ms();
    struct local_counter *slot = NULL, *unused = NULL, *soonest = NULL;
    for (unsigned i = 0; i < LOCAL_PROBE && !slot; i++) {
        struct local_counter *c = &limits->local[(hash + i) & (LOCAL_SLOTS - 1)];
        if (c->hash == hash)
            slot = c;
        else if (c->hash == 0 || c->ends_ms <= now)
            unused = unused ? unused : c;
        else if (!soonest || c->ends_ms < soonest->ends_ms)
            soonest = c;
    }
    struct local_counter *victim = unused ? unused : soonest;
    if (slot && slot->ends_ms <= now)
        *slot = (struct local_counter){0};
    if (!slot || slot->hash == 0) {
        slot = slot ? slot : victim;
        if (add == 0) {
            *count = 0;
            *retry_after_s = 0;
            return;
        }
        *slot = (struct local_counter){hash, now + (uint64_t)window_s * 1000, 0};
    }
    slot->count += add;
    *count = slot->count;
    *retry_after_s = (unsigned)((slot->ends_ms - now + 999) / 1000);
}

struct redis_count {
    struct rate_limit *limits;
    rate_limit_fn done;
    void *data;
    unsigned add, window_s;
    char key[RATE_LIMIT_MAX_KEY + 1];
};

static void on_redis_count(void *data, redisReply *reply)
{
    struct redis_count *pending = data;
    unsigned count, retry_after_s;
    if (reply && reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 &&
        reply->element[0]->type == REDIS_REPLY_INTEGER &&
        reply->element[1]->type == REDIS_REPLY_INTEGER) {
        long long n = reply->element[0]->integer, ms = reply->element[1]->integer;
        count = n < 0 ? 0 : (unsigned)n;
        retry_after_s = ms <= 0 ? 0 : (unsigned)((ms + 999) / 1000);
    } else {
        /* the link went away or the script failed: this hit is counted here instead */
        count_locally(pending->limits, pending->key, pending->add, pending->window_s, &count,
                      &retry_after_s);
    }
    pending->done(pending->data, count, retry_after_s);
    free(pending);
}

void rate_limit_count(struct rate_limit *limits, const char *key, unsigned add, unsigned window_s,
                      rate_limit_fn done, void *data)
{
    unsigned count, retry_after_s;
    struct redis_count *pending = limits->redis && redis_is_up(limits->redis)
                                      ? malloc(sizeof(*pending)) : NULL;
    if (pending) {
        *pending = (struct redis_count){limits, done, data, add, window_s, ""};
        snprintf(pending->key, sizeof(pending->key), "%s", key);
        char redis_key[sizeof(REDIS_PREFIX) + RATE_LIMIT_MAX_KEY], add_text[16], window_text[24];
        snprintf(redis_key, sizeof(redis_key), REDIS_PREFIX "%s", pending->key);
        snprintf(add_text, sizeof(add_text), "%u", add);
        snprintf(window_text, sizeof(window_text), "%llu", (unsigned long long)window_s * 1000);
        const char *argv[] = {"EVAL", count_script, "1", redis_key, add_text, window_text};
        size_t lengths[] = {4, sizeof(count_script) - 1, 1, strlen(redis_key), strlen(add_text),
                            strlen(window_text)};
        if (redis_command(limits->redis, on_redis_count, pending, 6, argv, lengths) == 0)
            return;
        free(pending);
    }
    char cut[RATE_LIMIT_MAX_KEY + 1];
    snprintf(cut, sizeof(cut), "%s", key);
    count_locally(limits, cut, add, window_s, &count, &retry_after_s);
    done(data, count, retry_after_s);
}

struct rate_limit *rate_limit_new(void)
{
    struct rate_limit *limits = calloc(1, sizeof(*limits));
    if (!limits)
        return NULL;
    if (getrandom(&limits->seed, sizeof(limits->seed), 0) != (ssize_t)sizeof(limits->seed))
        limits->seed = now_ms() ^ (uint64_t)(uintptr_t)limits;
    limits->seed ^= 1469598103934665603ULL;
    return limits;
}

void rate_limit_use_redis(struct rate_limit *limits, struct redis *redis) { limits->redis = redis; }

void rate_limit_free(struct rate_limit *limits) { free(limits); }
