/* Module tests of bridge/redis, bridge/presence and bridge/typing, with no chat layer: several
 * "bridges" (a redis link + presence + typing each) in one process and one loop, against a real
 * redis-server and the real database. Prints TAP. Driven by test/redis/run.sh:
 *   presence_test REDIS_PORT CONNINFO USER1 USER2 USER3 CONVERSATION
 * USER1 and USER2 keep each other as contacts; USER3 knows nobody. CONVERSATION labels typing only. */
#include "core/db.h"
#include "core/log.h"
#include "presence/presence.h"
#include "presence/redis.h"
#include "presence/typing.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#define MAX_SEEN 64

struct seen_presence {
    char user[37];
    int online;
    char last_seen[40];
    int audience_has_u2;
};

struct seen_typing {
    char user[37];
    char conversation[37];
    char username[80];
    int typing;
    uint64_t at;
};

/* One simulated bridge. */
struct node {
    const char *name;
    char id[80];
    struct redis *redis;
    struct presence *presence;
    struct typing *typing;
    struct seen_presence presences[MAX_SEEN];
    int presence_count;
    struct seen_typing typings[MAX_SEEN];
    int typing_count;
    int refreshes;          /* on_refresh calls */
    int refresh_u2_sees_u1; /* one was for u2 and listed u1 */
};

static uv_loop_t loop;
static struct db_pool *pool;
static struct db_catalog statements;
static int statement_last_seen;
static char redis_url[64];
static const char *redis_port;
static const char *u1, *u2, *u3, *conversation;
static int test_number;
static int failures;

static void ok(int passed, const char *fmt, ...)
{
    va_list args;
    va_start(args, fmt);
    printf("%s %d - ", passed ? "ok" : "not ok", ++test_number);
    vprintf(fmt, args);
    printf("\n");
    fflush(stdout);
    va_end(args);
    failures += !passed;
}

/* ---- running the loop until something holds ---- */

static void on_tick(uv_timer_t *timer) { (void)timer; }

static int wait_until(int (*condition)(void *), void *arg, uint64_t timeout_ms)
{
    uv_timer_t tick;
    uv_timer_init(&loop, &tick);
    uv_timer_start(&tick, on_tick, 10, 10);
    uint64_t deadline = uv_now(&loop) + timeout_ms;
    int met;
    while (!(met = condition(arg)) && uv_now(&loop) < deadline)
        uv_run(&loop, UV_RUN_ONCE);
    uv_close((uv_handle_t *)&tick, NULL);
    uv_run(&loop, UV_RUN_NOWAIT);
    return met;
}

static int never(void *arg) { (void)arg; return 0; }

static void settle(uint64_t ms) { wait_until(never, NULL, ms); }

/* ---- nodes ---- */

static void on_change(void *data, const struct presence_change *change, json_t *audience)
{
    struct node *node = data;
    if (node->presence_count == MAX_SEEN)
        return;
    struct seen_presence *seen = &node->presences[node->presence_count++];
    snprintf(seen->user, sizeof(seen->user), "%s", change->user_id);
    seen->online = change->online;
    snprintf(seen->last_seen, sizeof(seen->last_seen), "%s", change->last_seen ? change->last_seen : "");
    size_t i;
    json_t *id;
    json_array_foreach(audience, i, id)
        if (strcmp(json_string_value(id), u2) == 0)
            seen->audience_has_u2 = 1;
}

static void on_refresh(void *data, const char *user_id, json_t *online_ids)
{
    struct node *node = data;
    node->refreshes++;
    size_t i;
    json_t *id;
    if (strcmp(user_id, u2) == 0)
        json_array_foreach(online_ids, i, id)
            if (strcmp(json_string_value(id), u1) == 0)
                node->refresh_u2_sees_u1 = 1;
}

static void on_typing(void *data, const struct typing_event *event)
{
    struct node *node = data;
    if (node->typing_count == MAX_SEEN)
        return;
    struct seen_typing *seen = &node->typings[node->typing_count++];
    snprintf(seen->user, sizeof(seen->user), "%s", event->user_id);
    snprintf(seen->conversation, sizeof(seen->conversation), "%s", event->conversation_id);
    snprintf(seen->username, sizeof(seen->username), "%s", event->username);
    seen->typing = event->typing;
    seen->at = uv_now(&loop);
}

static void node_start(struct node *node, const char *name)
{
    memset(node, 0, sizeof(*node));
    node->name = name;
    snprintf(node->id, sizeof(node->id), "test-%s-%d", name, (int)getpid());
    node->redis = redis_new(&loop, redis_url, name);
    node->presence = presence_new(&loop, node->redis, pool, node->id, on_change, node);
    presence_on_refresh(node->presence, on_refresh, node);
    node->typing = typing_new(&loop, node->redis, node->id, on_typing, node);
    redis_start(node->redis);
}

/* A crash: the link drops with no goodbye; the lease in Redis is left to run out. */
static void node_crash(struct node *node)
{
    redis_close(node->redis);
    presence_close(node->presence);
    typing_close(node->typing);
    node->redis = NULL;
}

static int refreshed(void *arg) { return ((struct node *)arg)->refreshes > 0; }

static int node_available(void *arg) { return presence_available(((struct node *)arg)->presence); }
static int node_unavailable(void *arg) { return !presence_available(((struct node *)arg)->presence); }

/* The last presence event a node saw about user, or NULL. */
static struct seen_presence *last_presence(struct node *node, const char *user)
{
    for (int i = node->presence_count - 1; i >= 0; i--)
        if (strcmp(node->presences[i].user, user) == 0)
            return &node->presences[i];
    return NULL;
}

struct expectation {
    struct node *node;
    const char *user;
    int online;
    int count_before;
};

static int saw_presence(void *arg)
{
    struct expectation *e = arg;
    for (int i = e->count_before; i < e->node->presence_count; i++)
        if (strcmp(e->node->presences[i].user, e->user) == 0 && e->node->presences[i].online == e->online)
            return 1;
    return 0;
}

static int saw_typing(void *arg)
{
    struct expectation *e = arg;
    for (int i = e->count_before; i < e->node->typing_count; i++)
        if (strcmp(e->node->typings[i].user, e->user) == 0 && e->node->typings[i].typing == e->online)
            return 1;
    return 0;
}

static int expect_presence(struct node *node, const char *user, int online, int count_before,
                           uint64_t timeout_ms)
{
    struct expectation e = {node, user, online, count_before};
    return wait_until(saw_presence, &e, timeout_ms);
}

static int expect_typing(struct node *node, const char *user, int typing, int count_before,
                         uint64_t timeout_ms)
{
    struct expectation e = {node, user, typing, count_before};
    return wait_until(saw_typing, &e, timeout_ms);
}

/* ---- users_online ---- */

struct online_answer {
    int done;
    enum presence_status status;
    char ids[8][37];
    int count;
};

static void on_online(void *data, enum presence_status status, json_t *ids)
{
    struct online_answer *answer = data;
    answer->done = 1;
    answer->status = status;
    size_t i;
    json_t *id;
    json_array_foreach(ids, i, id)
        if (answer->count < 8)
            snprintf(answer->ids[answer->count++], 37, "%s", json_string_value(id));
}

static int answered(void *arg) { return ((struct online_answer *)arg)->done; }

static int ask_online(struct node *node, const char *user, struct online_answer *answer)
{
    memset(answer, 0, sizeof(*answer));
    if (presence_users_online(node->presence, user, on_online, answer) != 0)
        return -1;
    return wait_until(answered, answer, 3000) ? 0 : -1;
}

static int answer_has(const struct online_answer *answer, const char *id)
{
    for (int i = 0; i < answer->count; i++)
        if (strcmp(answer->ids[i], id) == 0)
            return 1;
    return 0;
}

/* ---- the database ---- */

struct db_answer {
    int done;
    char value[64];
};

static void on_db(void *data, const struct db_result *result)
{
    struct db_answer *answer = data;
    answer->done = 1;
    snprintf(answer->value, sizeof(answer->value), "%s",
             result->status == DB_OK && result->value ? result->value : "(error)");
}

static int db_answered(void *arg) { return ((struct db_answer *)arg)->done; }

static const char *last_seen_in_db(const char *user, struct db_answer *answer)
{
    memset(answer, 0, sizeof(*answer));
    const char *values[] = {user};
    if (db_query(pool, statement_last_seen, values, on_db, answer) != 0 || !wait_until(db_answered, answer, 3000))
        return "(no answer)";
    return answer->value;
}

static int pool_ready(void *arg) { (void)arg; return db_pool_ready(pool) > 0; }

static void redis_admin(const char *command)
{
    char line[256];
    snprintf(line, sizeof(line), "redis-cli -p %s %s >/dev/null 2>&1", redis_port, command);
    if (system(line) != 0)
        fprintf(stderr, "# redis-cli %s failed\n", command);
}

/* ---- the tests ---- */

static void test_bad_input(struct node *a)
{
    size_t before = presence_local_devices(a->presence);
    ok(presence_connected(a->presence, "not-a-uuid") == -1 &&
           presence_connected(a->presence, NULL) == -1 &&
           presence_local_devices(a->presence) == before,
       "presence_connected refuses a malformed user id and changes nothing");
    ok(presence_disconnected(a->presence, u3) == -1 && presence_local_devices(a->presence) == before,
       "presence_disconnected of a user with no device here is refused");
    char long_name[80];
    memset(long_name, 'x', sizeof(long_name) - 1);
    long_name[sizeof(long_name) - 1] = '\0';
    ok(typing_start(a->typing, conversation, u1, long_name) == -1 &&
           typing_start(a->typing, conversation, u1, "bad\xff\xfe") == -1 &&
           typing_start(a->typing, "x", u1, "ann") == -1 && typing_active(a->typing) == 0,
       "typing_start refuses a long or non-UTF-8 name and a bad conversation id");
    struct online_answer answer;
    ok(presence_users_online(a->presence, "nope", on_online, &answer) == -1,
       "users_online refuses a malformed id");
    int presences = a->presence_count, typings = a->typing_count;
    redis_publish(a->redis, PRESENCE_CHANNEL, "{\"u\":\"x\",\"o\":1}", 15);
    redis_publish(a->redis, PRESENCE_CHANNEL, "not json", 8);
    redis_publish(a->redis, TYPING_CHANNEL, "{\"c\":1}", 7);
    settle(300);
    ok(a->presence_count == presences && a->typing_count == typings,
       "malformed messages on the channels are dropped");
}

static void test_presence(struct node *a, struct node *b)
{
    int before_b = b->presence_count;
    ok(presence_connected(b->presence, u2) == 0, "u2 connects on bridge b");
    int before = b->presence_count;
    ok(presence_connected(a->presence, u1) == 0, "u1 connects on bridge a");
    ok(expect_presence(b, u1, 1, before, 3000), "bridge b learns that u1 (on a) is online");
    struct seen_presence *seen = last_presence(b, u1);
    ok(seen && seen->audience_has_u2 && seen->last_seen[0] == '\0',
       "the change comes with u1's audience (u2 keeps u1 as a contact) and no last seen");
    (void)before_b;

    struct online_answer answer;
    ok(ask_online(b, u2, &answer) == 0 && answer.status == PRESENCE_OK && answer_has(&answer, u1),
       "users_online for u2 on bridge b lists u1");
    ok(ask_online(a, u3, &answer) == 0 && answer.status == PRESENCE_OK && answer.count == 0,
       "users_online for u3 (who knows nobody) is empty");

    before = b->presence_count;
    presence_connected(a->presence, u1); /* a second device */
    presence_connected(b->presence, u1); /* a third, on the other bridge */
    int left = presence_disconnected(a->presence, u1);
    ok(left == 1 && presence_disconnected(a->presence, u1) == 0,
       "presence_disconnected says how many devices are left on the bridge");
    settle(400);
    ok(!expect_presence(b, u1, 0, before, 10),
       "u1 stays online while a device remains (on another bridge)");
    presence_disconnected(b->presence, u1);
    ok(expect_presence(b, u1, 0, before, 3000), "u1 goes offline when the last device goes");
    seen = last_presence(b, u1);
    ok(seen && strlen(seen->last_seen) == 24 && seen->last_seen[23] == 'Z',
       "the offline event carries lastSeen in ISO 8601 (%s)", seen ? seen->last_seen : "none");
    struct db_answer db;
    settle(300);
    const char *stored = last_seen_in_db(u1, &db);
    ok(strncmp(stored, seen ? seen->last_seen : "?", 19) == 0,
       "users.last_seen_at is written (%s)", stored);
}

static void test_typing(struct node *a, struct node *b)
{
    int before = b->typing_count;
    ok(typing_start(a->typing, conversation, u1, "ann") == 0, "u1 starts typing on bridge a");
    ok(expect_typing(b, u1, 1, before, 3000), "bridge b hears u1 typing");
    struct seen_typing *t = &b->typings[b->typing_count - 1];
    ok(strcmp(t->username, "ann") == 0 && strcmp(t->conversation, conversation) == 0,
       "with the username and the conversation");
    before = b->typing_count;
    typing_stop(a->typing, conversation, u1);
    ok(expect_typing(b, u1, 0, before, 3000), "and the stop");

    before = b->typing_count;
    typing_start(a->typing, conversation, u1, "ann");
    settle(200);
    typing_stop(a->typing, conversation, u1);
    typing_start(a->typing, conversation, u1, "ann"); /* before the stop came back */
    settle(300);
    ok(b->typing_count == before + 3 && b->typings[b->typing_count - 1].typing == 1,
       "start, stop and start again at once: the last word is typing (%d events)",
       b->typing_count - before);
    typing_stop(a->typing, conversation, u1);
    settle(200);

    before = b->typing_count;
    typing_start(a->typing, conversation, u1, "ann");
    ok(expect_typing(b, u1, 1, before, 3000), "typing again");
    uint64_t started = uv_now(&loop);
    node_crash(a); /* the sender vanishes without a stop */
    ok(expect_typing(b, u1, 0, before, 8000), "a typing state whose sender vanished expires");
    uint64_t took = uv_now(&loop) - started;
    ok(took >= 4000 && took <= 6500, "after about 5 s (%llu ms)", (unsigned long long)took);
}

static void test_crash(struct node *b, struct node *c)
{
    node_start(c, "c");
    ok(wait_until(node_available, c, 5000), "bridge c registers");
    int before = b->presence_count;
    presence_connected(c->presence, u1);
    ok(expect_presence(b, u1, 1, before, 3000), "u1 online through bridge c");
    before = b->presence_count;
    uint64_t crashed = uv_now(&loop);
    node_crash(c);
    ok(expect_presence(b, u1, 0, before, 16000), "bridge c dies: bridge b sees u1 go offline");
    uint64_t took = uv_now(&loop) - crashed;
    ok(took <= 15000, "within 15 s (%llu ms)", (unsigned long long)took);
    struct online_answer answer;
    ok(ask_online(b, u2, &answer) == 0 && !answer_has(&answer, u1), "users_online no longer lists u1");
}

static void test_redis_outage(struct node *b, struct node *d)
{
    node_start(d, "d");
    ok(wait_until(node_available, d, 5000), "bridge d registers");
    int before = b->presence_count;
    presence_connected(d->presence, u1);
    ok(expect_presence(b, u1, 1, before, 3000), "u1 online through bridge d");

    ok(system("kill -STOP \"$(cat \"$PRESENCE_TEST_DIR/redis.pid\")\"") == 0,
       "redis-server is frozen (SIGSTOP): its sockets stay open, nothing answers");
    uint64_t frozen = uv_now(&loop);
    int gave_up = wait_until(node_unavailable, b, 12000);
    ok(gave_up, "the link gives up on it after 3 unanswered PINGs (%llu ms)",
       (unsigned long long)(uv_now(&loop) - frozen));
    ok(system("kill -CONT \"$(cat \"$PRESENCE_TEST_DIR/redis.pid\")\"") == 0 &&
           wait_until(node_available, b, 20000),
       "and comes back when it thaws");
    settle(500);

    b->refreshes = b->refresh_u2_sees_u1 = 0;
    redis_admin("shutdown nosave");
    ok(wait_until(node_unavailable, b, 3000), "redis-server stops: presence says it is unavailable");
    struct online_answer answer;
    ok(presence_users_online(b->presence, u2, on_online, &answer) == -1,
       "users_online is refused while Redis is down");
    int typings = b->typing_count;
    ok(typing_start(b->typing, conversation, u2, "bo") == 0 && expect_typing(b, u2, 1, typings, 500),
       "typing is still delivered on the bridge itself");
    ok(presence_connected(b->presence, u3) == 0 && presence_disconnected(b->presence, u3) == 0,
       "connects and disconnects go on without Redis");

    before = b->presence_count;
    char line[256];
    snprintf(line, sizeof(line),
             "redis-server --port %s --bind 127.0.0.1 --save '' --appendonly no --daemonize yes "
             "--pidfile \"$PRESENCE_TEST_DIR/redis.pid\" --logfile \"$PRESENCE_TEST_DIR/redis.log\"",
             redis_port);
    ok(system(line) == 0, "redis-server restarts (empty)");
    ok(wait_until(node_available, b, 40000) && wait_until(node_available, d, 40000),
       "both bridges reconnect and register again");
    ok(wait_until(refreshed, b, 3000), "bridge b refreshes the users it holds (users_online for u2)");
    ok(expect_presence(b, u1, 1, before, 3000) || b->refresh_u2_sees_u1,
       "presence rebuilds: u1 (on d) is online again for u2, by event or by the refresh");
    ok(ask_online(b, u2, &answer) == 0 && answer.status == PRESENCE_OK && answer_has(&answer, u1),
       "users_online lists u1 again");
    before = b->presence_count;
    presence_disconnected(d->presence, u1);
    ok(expect_presence(b, u1, 0, before, 3000), "and offline works after the restart");

    before = b->presence_count;
    presence_connected(d->presence, u1);
    ok(expect_presence(b, u1, 1, before, 3000), "u1 online on d once more");
    before = b->presence_count;
    uint64_t leaving = uv_now(&loop);
    presence_leave(d->presence);
    int left = expect_presence(b, u1, 0, before, 3000);
    ok(left && uv_now(&loop) - leaving < 1000,
       "a bridge that stops (presence_leave) takes its users offline at once (%llu ms)",
       (unsigned long long)(uv_now(&loop) - leaving));
    settle(2500);
    ok(!presence_available(d->presence) && presence_disconnected(d->presence, u1) == 0,
       "and does not register again");
}

int main(int argc, char **argv)
{
    if (argc != 7) {
        fprintf(stderr, "usage: presence_test REDIS_PORT CONNINFO USER1 USER2 USER3 CONVERSATION\n");
        return 2;
    }
    redis_port = argv[1];
    u1 = argv[3];
    u2 = argv[4];
    u3 = argv[5];
    conversation = argv[6];
    snprintf(redis_url, sizeof(redis_url), "redis://127.0.0.1:%s", redis_port);
    log_set_level_name(getenv("PRESENCE_TEST_LOG") ? getenv("PRESENCE_TEST_LOG") : "error");
    uv_loop_init(&loop);
    static const struct db_statement last_seen = {
        "test_last_seen",
        "SELECT to_char(last_seen_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS') FROM chat.users WHERE id = $1::uuid",
        1};
    pool = db_pool_new(&loop, "test", argv[2], 1, &statements);
    statement_last_seen = db_pool_register(pool, &last_seen, 1);
    ok(wait_until(pool_ready, NULL, 5000), "the database pool connects");

    static struct node a, b, c, d;
    node_start(&a, "a");
    node_start(&b, "b");
    ok(wait_until(node_available, &a, 5000) && wait_until(node_available, &b, 5000),
       "two bridges connect to Redis and register");
    test_bad_input(&a);
    test_presence(&a, &b);
    test_typing(&a, &b);
    test_crash(&b, &c);
    test_redis_outage(&b, &d);

    node_crash(&b);
    node_crash(&d);
    db_pool_close(pool);
    uv_run(&loop, UV_RUN_DEFAULT);
    ok(uv_loop_close(&loop) == 0, "every handle is closed at the end");
    printf("1..%d\n", test_number);
    return failures ? 1 : 0;
}
