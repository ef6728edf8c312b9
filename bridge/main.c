/* pgchat-bridge: one process, one libuv loop, shared by the HTTP server (libwebsockets), the
 * PostgreSQL pools and Redis. SIGTERM (or SIGINT) drains: new API requests get 503, the ones in
 * flight finish, then everything is closed and the process exits 0. */
#include "config.h"
#include "db.h"
#include "health.h"
#include "http_server.h"
#include "log.h"
#include "rest.h"
#include "static.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <uv.h>

#define MAIN_DRAIN_TICK_MS 50
#define MAIN_WRITE_GRACE_MS 200 /* lets the last answers reach their sockets */

struct bridge {
    uv_loop_t loop;
    struct config config;
    struct db_statement statements[DB_MAX_STATEMENTS];
    struct db_pool *pool;
    struct db_pool *slow_pool;
    http_server *server;
    struct rest *rest;
    struct health *health;
    struct static_files *files;
    uv_signal_t sigterm;
    uv_signal_t sigint;
    uv_timer_t drain_timer;
    uint64_t drain_deadline;
    uint64_t idle_since;
    int draining;
};

static size_t bridge_pending(const struct bridge *bridge)
{
    return rest_pending(bridge->rest) + db_pool_pending(bridge->pool) +
           db_pool_pending(bridge->slow_pool);
}

static void bridge_close_everything(struct bridge *bridge)
{
    uv_timer_stop(&bridge->drain_timer);
    uv_close((uv_handle_t *)&bridge->drain_timer, NULL);
    uv_close((uv_handle_t *)&bridge->sigterm, NULL);
    uv_close((uv_handle_t *)&bridge->sigint, NULL);
    http_server_free(bridge->server);
    bridge->server = NULL;
    db_pool_close(bridge->pool);
    db_pool_close(bridge->slow_pool);
    health_close(bridge->health);
}

static void bridge_on_drain_tick(uv_timer_t *timer)
{
    struct bridge *bridge = timer->data;
    uint64_t now = uv_now(&bridge->loop);
    size_t pending = bridge_pending(bridge);
    if (pending > 0 && now < bridge->drain_deadline) {
        bridge->idle_since = 0;
        return;
    }
    if (pending == 0 && !bridge->idle_since)
        bridge->idle_since = now;
    if (pending == 0 && now - bridge->idle_since < MAIN_WRITE_GRACE_MS)
        return;
    log_info("bridge_stopping", "abandoned=%zu", pending);
    bridge_close_everything(bridge);
}

static void bridge_on_signal(uv_signal_t *signal, int signum)
{
    struct bridge *bridge = signal->data;
    if (bridge->draining)
        return;
    bridge->draining = 1;
    log_info("bridge_draining", "signal=%d pending=%zu", signum, bridge_pending(bridge));
    rest_drain(bridge->rest);
    bridge->drain_deadline = uv_now(&bridge->loop) + (uint64_t)bridge->config.drain_seconds * 1000;
    uv_timer_start(&bridge->drain_timer, bridge_on_drain_tick, 0, MAIN_DRAIN_TICK_MS);
}

static int bridge_start(struct bridge *bridge)
{
    struct config *config = &bridge->config;
    int count = rest_statements(bridge->statements, DB_MAX_STATEMENTS - 1);
    if (count < 0)
        return -1;
    int health_statement = count;
    bridge->statements[count++] = (struct db_statement)HEALTH_STATEMENT;

    bridge->pool = db_pool_new(&bridge->loop, "main", config->database_url, config->pool_size,
                               bridge->statements, count);
    bridge->slow_pool = db_pool_new(&bridge->loop, "slow", config->database_url,
                                    config->slow_pool_size, bridge->statements, count);
    http_server_config server_config = {
        .host = config->listen,
        .port = config->port,
        .max_ws_message = config->max_body,
        .ws_queue_messages = 1024,
        .ws_queue_bytes = 4 * 1024 * 1024,
    };
    bridge->server = http_server_new(&bridge->loop, &server_config);
    bridge->rest = rest_new(config, bridge->pool, bridge->slow_pool);
    bridge->health = health_new(&bridge->loop, config, bridge->pool, health_statement);
    bridge->files = static_new(config);
    if (!bridge->pool || !bridge->slow_pool || !bridge->server || !bridge->rest ||
        !bridge->health || !bridge->files)
        return -1;
    if (rest_attach(bridge->rest, bridge->server) || health_attach(bridge->health, bridge->server) ||
        static_attach(bridge->files, bridge->server))
        return -1;

    uv_signal_init(&bridge->loop, &bridge->sigterm);
    uv_signal_init(&bridge->loop, &bridge->sigint);
    uv_timer_init(&bridge->loop, &bridge->drain_timer);
    bridge->sigterm.data = bridge->sigint.data = bridge->drain_timer.data = bridge;
    uv_signal_start(&bridge->sigterm, bridge_on_signal, SIGTERM);
    uv_signal_start(&bridge->sigint, bridge_on_signal, SIGINT);
    return 0;
}

int main(int argc, char **argv)
{
    static struct bridge bridge;
    int loaded = config_load(&bridge.config, argc, argv);
    if (loaded != 0) {
        config_free(&bridge.config);
        return loaded > 0 ? 0 : 2;
    }
    signal(SIGPIPE, SIG_IGN);
    uv_loop_init(&bridge.loop);
    int status = 0;
    if (bridge_start(&bridge) != 0) {
        log_error("bridge_start_failed", "port=%d", bridge.config.port);
        status = 1;
        /* unwind what started, then let the loop close it */
        if (bridge.server)
            http_server_free(bridge.server);
        if (bridge.pool)
            db_pool_close(bridge.pool);
        if (bridge.slow_pool)
            db_pool_close(bridge.slow_pool);
        if (bridge.health)
            health_close(bridge.health);
    } else {
        log_info("bridge_started", "port=%d pool_size=%d slow_pool_size=%d cors_origins=%d",
                 bridge.config.port, bridge.config.pool_size, bridge.config.slow_pool_size,
                 bridge.config.origin_count);
    }
    uv_run(&bridge.loop, UV_RUN_DEFAULT);
    rest_free(bridge.rest);
    static_free(bridge.files);
    if (uv_loop_close(&bridge.loop) != 0)
        log_warn("bridge_loop_busy", "reason=\"handles left open at exit\"");
    config_free(&bridge.config);
    log_info("bridge_stopped", "status=%d", status);
    return status;
}
