/* Presence and typing through Redis across two bridges (two links, presences and typings in one
 * process and loop, as in test/redis), and Redis memory per connected user. Driven by
 * test/bench/presence_bench.sh:
 *   presence_bench REDIS_PORT CONNINFO USERS ROUNDS
 * Bridge a connects and disconnects USERS users ROUNDS times: each change runs a script in Redis
 * that publishes it; a third connection counts what arrives on the channel. Bridge b (holding
 * one user, so it looks up each change's audience in the database as a real bridge does,
 * coalescing changes of one user that wait) counts what it passes on to its chat layer. Then a
 * types in USERS conversations ROUNDS times and b counts. */
#include "core/db.h"
#include "core/log.h"
#include "presence/presence.h"
#include "presence/redis.h"
#include "presence/typing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <uv.h>

static uv_loop_t loop;
static long presence_seen, typing_seen, published_seen;
static long long used_memory;
static int memory_done;

/* data: the counter of the bridge that hears it; NULL for bridge a (uncounted). */
static void on_change(void *data, const struct presence_change *change, json_t *audience)
{
    (void)change, (void)audience;
    if (data)
        ++*(long *)data;
}

static void on_typing(void *data, const struct typing_event *event)
{
    if (data && event->typing)
        ++*(long *)data;
}

static void on_published(void *data, const char *payload, size_t length)
{
    (void)data, (void)payload, (void)length;
    published_seen++;
}

static void on_tick(uv_timer_t *timer) { (void)timer; }

/* Runs the loop until *counter stops moving for quiet_ms. */
static void wait_quiet(long *counter, uint64_t quiet_ms)
{
    long last = -1;
    uint64_t still_since = uv_now(&loop);
    uv_timer_t tick;
    uv_timer_init(&loop, &tick);
    uv_timer_start(&tick, on_tick, 10, 10);
    while (uv_now(&loop) - still_since < quiet_ms) {
        uv_run(&loop, UV_RUN_ONCE);
        if (*counter != last) {
            last = *counter;
            still_since = uv_now(&loop);
        }
    }
    uv_close((uv_handle_t *)&tick, NULL);
    uv_run(&loop, UV_RUN_NOWAIT);
}

static int wait_for(long *counter, long target, uint64_t timeout_ms)
{
    uv_timer_t tick;
    uv_timer_init(&loop, &tick);
    uv_timer_start(&tick, on_tick, 10, 10);
    uint64_t deadline = uv_now(&loop) + timeout_ms;
    while ((counter ? *counter < target : !target) && uv_now(&loop) < deadline)
        uv_run(&loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&tick, NULL);
    uv_run(&loop, UV_RUN_NOWAIT);
    return counter ? *counter >= target : 0;
}

static void random_uuid(char out[37])
{
    unsigned char bytes[16];
    if (getrandom(bytes, sizeof(bytes), 0) != sizeof(bytes))
        memset(bytes, 7, sizeof(bytes));
    snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-4%x%02x-a%x%02x-%02x%02x%02x%02x%02x%02x", bytes[0],
             bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6] & 15, bytes[7],
             bytes[8] & 15, bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14],
             bytes[15]);
}

static void on_memory(void *data, redisReply *reply)
{
    (void)data;
    memory_done = 1;
    if (!reply || reply->type != REDIS_REPLY_STRING)
        return;
    const char *field = strstr(reply->str, "used_memory:");
    used_memory = field ? atoll(field + strlen("used_memory:")) : -1;
}

static long long measure_memory(struct redis *redis)
{
    const char *argv[] = {"INFO", "memory"};
    memory_done = 0;
    used_memory = -1;
    redis_command(redis, on_memory, NULL, 2, argv, NULL);
    while (!memory_done)
        uv_run(&loop, UV_RUN_ONCE);
    return used_memory;
}

static double seconds_since(uint64_t start)
{
    return (double)(uv_hrtime() - start) / 1e9;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: presence_bench REDIS_PORT CONNINFO USERS ROUNDS\n");
        return 2;
    }
    int users = atoi(argv[3]), rounds = atoi(argv[4]);
    if (users < 1 || users > 100000 || rounds < 1 || rounds > 1000) {
        fprintf(stderr, "presence_bench: USERS 1..100000, ROUNDS 1..1000\n");
        return 2;
    }
    char url[64];
    snprintf(url, sizeof(url), "redis://127.0.0.1:%s", argv[1]);
    log_set_level_name("error");
    uv_loop_init(&loop);
    static struct db_catalog statements;
    struct db_pool *pool = db_pool_new(&loop, "bench", argv[2], 4, &statements);

    struct redis *redis_a = redis_new(&loop, url, "a"), *redis_b = redis_new(&loop, url, "b");
    struct presence *a = presence_new(&loop, redis_a, pool, "bench-a", on_change, NULL);
    struct presence *b = presence_new(&loop, redis_b, pool, "bench-b", on_change, &presence_seen);
    struct typing *typing_a = typing_new(&loop, redis_a, "bench-a", on_typing, NULL);
    struct typing *typing_b = typing_new(&loop, redis_b, "bench-b", on_typing, &typing_seen);
    (void)typing_b;
    struct redis *observer = redis_new(&loop, url, "observer");
    redis_subscribe(observer, PRESENCE_CHANNEL, on_published, NULL);
    redis_start(observer);
    redis_start(redis_a);
    redis_start(redis_b);
    while (!presence_available(a) || !presence_available(b) || db_pool_ready(pool) < 4 ||
           !redis_is_up(observer))
        uv_run(&loop, UV_RUN_ONCE);

    char (*ids)[37] = calloc((size_t)users, 37);
    for (int i = 0; i < users; i++)
        random_uuid(ids[i]);
    char watcher[37];
    random_uuid(watcher);
    presence_connected(b, watcher);
    wait_for(NULL, 0, 300);
    presence_seen = 0;

    /* memory: every user connected once on a */
    long long before = measure_memory(redis_a);
    for (int i = 0; i < users; i++)
        presence_connected(a, ids[i]);
    wait_quiet(&presence_seen, 500);
    long long after = measure_memory(redis_a);
    for (int i = 0; i < users; i++)
        presence_disconnected(a, ids[i]);
    wait_quiet(&presence_seen, 500);

    /* presence changes: on, off, ROUNDS times */
    presence_seen = published_seen = 0;
    uint64_t start = uv_hrtime();
    long expected = 2L * users * rounds;
    for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < users; i++)
            presence_connected(a, ids[i]);
        for (int i = 0; i < users; i++)
            presence_disconnected(a, ids[i]);
        uv_run(&loop, UV_RUN_NOWAIT);
    }
    int complete = wait_for(&published_seen, expected, 120000);
    double presence_seconds = seconds_since(start);
    wait_quiet(&presence_seen, 300);
    double delivered_seconds = seconds_since(start) - 0.3;

    /* typing: USERS conversations, ROUNDS starts each (stops follow, uncounted) */
    typing_seen = 0;
    start = uv_hrtime();
    long typing_expected = (long)users * rounds;
    for (int r = 0; r < rounds; r++) {
        for (int i = 0; i < users; i++) {
            typing_start(typing_a, ids[i], ids[(i + 1) % users], "bench");
            typing_stop(typing_a, ids[i], ids[(i + 1) % users]);
        }
        uv_run(&loop, UV_RUN_NOWAIT);
    }
    int typing_complete = wait_for(&typing_seen, typing_expected, 120000);
    double typing_seconds = seconds_since(start);

    printf("presence: %ld changes from bridge a published through Redis in %.2f s = %.0f "
           "changes/s%s\n",
           published_seen, presence_seconds, (double)published_seen / presence_seconds,
           complete ? "" : " (INCOMPLETE)");
    printf("presence: bridge b passed %ld of them (the rest coalesced per user) with their "
           "audience to its chat layer in %.2f s\n",
           presence_seen, delivered_seconds);
    printf("typing: %ld starts (and as many stops) from bridge a heard on bridge b in %.2f s = "
           "%.0f starts/s%s\n",
           typing_seen, typing_seconds, (double)typing_seen / typing_seconds,
           typing_complete ? "" : " (INCOMPLETE)");
    printf("redis memory: %lld bytes for %d connected users = %.0f bytes per user\n",
           after - before, users, (double)(after - before) / users);

    presence_close(a);
    presence_close(b);
    typing_close(typing_a);
    typing_close(typing_b);
    redis_close(redis_a);
    redis_close(redis_b);
    redis_close(observer);
    db_pool_close(pool);
    uv_run(&loop, UV_RUN_DEFAULT);
    uv_loop_close(&loop);
    free(ids);
    return complete && typing_complete ? 0 : 1;
}
