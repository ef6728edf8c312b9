/* pgchat-bridge: one process, one libuv loop, shared by the HTTP server (libwebsockets), the
 * PostgreSQL pools, the LISTEN connection and Redis. REST lives under /api/, Socket.IO (the chat
 * namespace) under /socket.io/. SIGTERM (or SIGINT) drains: new API requests and socket events
 * get 503 / unavailable, the ones in flight finish, then everything is closed and the process
 * exits 0. */
#include "chat/chat.h"
#include "chat/chat_presence.h"
#include "chat/chat_sql.h"
#include "core/config.h"
#include "core/db.h"
#include "chat/fanout.h"
#include "http/attachments.h"
#include "http/health.h"
#include "protocol/http_server.h"
#include "chat/listener.h"
#include "core/log.h"
#include "core/metrics.h"
#include "http/metrics_route.h"
#include "core/queue_budget.h"
#include "http/rate_limit.h"
#include "http/rest.h"
#include "protocol/sio_server.h"
#include "http/static.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#define MAIN_DRAIN_TICK_MS 50
#define MAIN_FILE_POOL_SIZE 4   /* connections for attachments (uploads and downloads) */
#define MAIN_WRITE_GRACE_MS 200 /* lets the last answers reach their sockets */

struct bridge {
    uv_loop_t loop;
    struct config config;
    struct db_catalog statements; /* both pools prepare them; each module adds its own */
    struct db_pool *pool;
    struct db_pool *slow_pool;
    struct db_pool *file_pool;
    struct attachments attachments;
    http_server *server;
    struct queue_budget *budget; /* outgoing bytes of every socket and answer */
    sio_server *io;
    struct chat_sql chat_sql;
    struct fanout *fanout;
    struct chat *chat;
    struct chat_presence *presence; /* presence and typing through Redis */
    struct listener *listener;
    struct rest *rest;
    struct rate_limit *limits; /* counted in Redis once presence's link exists */
    struct health *health;
    struct static_files *files;
    uv_signal_t sigterm;
    uv_signal_t sigint;
    uv_timer_t drain_timer;
    uint64_t drain_deadline;
    uint64_t idle_since;
    int draining;
    int signals_started;
};

static size_t bridge_pending(const struct bridge *bridge)
{
    return rest_pending(bridge->rest) + chat_pending(bridge->chat) +
           db_pool_pending(bridge->pool) + db_pool_pending(bridge->slow_pool) +
           (bridge->file_pool ? db_pool_pending(bridge->file_pool) : 0);
}

/* The one teardown, after a drain or a failed start (any module may be missing then): every
 * module is told to close, then the loop runs until their handles are closed, and
 * bridge_free_remains frees what outlives the loop. Those that free themselves once their calls
 * in flight end (pools, health, presence) are forgotten here. */
static void bridge_close_everything(struct bridge *bridge)
{
    if (bridge->signals_started) {
        uv_timer_stop(&bridge->drain_timer);
        uv_close((uv_handle_t *)&bridge->drain_timer, NULL);
        uv_close((uv_handle_t *)&bridge->sigterm, NULL);
        uv_close((uv_handle_t *)&bridge->sigint, NULL);
    }
    metrics_forget_gauges();
    listener_close(bridge->listener);
    bridge->listener = NULL;
    if (bridge->fanout)
        fanout_close(bridge->fanout);
    chat_close(bridge->chat);
    sio_server_free(bridge->io); /* every socket is told, before the connections close */
    bridge->io = NULL;
    if (bridge->health)
        health_watch_redis(bridge->health, NULL, NULL); /* the link goes with presence */
    if (bridge->limits)
        rate_limit_use_redis(bridge->limits, NULL);
    chat_presence_close(bridge->presence);
    bridge->presence = NULL;
    if (bridge->server)
        http_server_free(bridge->server);
    if (bridge->pool)
        db_pool_close(bridge->pool);
    if (bridge->slow_pool)
        db_pool_close(bridge->slow_pool);
    attachments_stop(&bridge->attachments);
    if (bridge->file_pool)
        db_pool_close(bridge->file_pool);
    bridge->pool = bridge->slow_pool = bridge->file_pool = NULL;
    if (bridge->health)
        health_close(bridge->health);
    bridge->health = NULL;
}

/* What the loop leaves once it has stopped. */
static void bridge_free_remains(struct bridge *bridge)
{
    if (bridge->server) { /* lws completes a foreign loop's teardown on the second call */
        http_server_free(bridge->server);
        uv_run(&bridge->loop, UV_RUN_DEFAULT);
    }
    chat_free(bridge->chat);
    fanout_free(bridge->fanout);
    rest_free(bridge->rest);
    rate_limit_free(bridge->limits);
    static_free(bridge->files);
    queue_budget_free(bridge->budget);
}

/* ---- what /metrics reads from the modules ---- */

static double read_sockets(const void *data) { return (double)chat_sockets(data); }
static double read_sessions(const void *data) { return (double)sio_server_session_count(data); }
static double read_packets(const void *data) { return (double)sio_server_packets_sent(data); }
static double read_pool(const void *data) { return (double)db_pool_pending(data); }
static double read_rest(const void *data) { return (double)rest_pending(data); }
static double read_chat(const void *data) { return (double)chat_pending(data); }
static double read_redis(const void *data) { return chat_presence_redis_up(data); }
static double read_slow(const void *data) { return (double)http_server_slow_readers(data); }
static double read_connections(const void *data) { return (double)http_server_connections(data); }
static double read_queued(const void *data) { return (double)queue_budget_total(data); }
static double read_budget(const void *data) { return (double)queue_budget_limit(data); }
static double read_refused_connections(const void *data)
{
    return (double)http_server_refused_connections(data);
}
static double read_refused_address_connections(const void *data)
{
    return (double)http_server_refused_address_connections(data);
}
static double read_refused_sessions(const void *data)
{
    return (double)eio_server_refused_sessions(sio_server_engine(data));
}
static double read_refused_address_sessions(const void *data)
{
    return (double)eio_server_refused_address_sessions(sio_server_engine(data));
}
static double read_refused_pre_connect(const void *data)
{
    return (double)sio_server_refused_pre_connect(data);
}
static double read_refused_budget(const void *data)
{
    return (double)(queue_budget_dropped(data) + queue_budget_refused(data));
}

/* Refusals that bound memory, by reason (docs/operations.md says which to alert on): one series
 * per reason, each line alike in shape, as the metric's labels are data. */
static void bridge_register_refusals(struct bridge *bridge)
{
    static const char help[] = "Connections, sessions and answers refused or dropped to keep memory bounded, by reason.";
    metrics_counter_read_labeled("pgchat_refused_total", "reason=\"connection_cap\"", help,
                                 read_refused_connections, bridge->server);
    metrics_counter_read_labeled("pgchat_refused_total", "reason=\"address_connection_cap\"", help,
                                 read_refused_address_connections, bridge->server);
    metrics_counter_read_labeled("pgchat_refused_total", "reason=\"session_cap\"", help,
                                 read_refused_sessions, bridge->io);
    metrics_counter_read_labeled("pgchat_refused_total", "reason=\"address_session_cap\"", help,
                                 read_refused_address_sessions, bridge->io);
    metrics_counter_read_labeled("pgchat_refused_total", "reason=\"pre_connect\"", help,
                                 read_refused_pre_connect, bridge->io);
    metrics_counter_read_labeled("pgchat_refused_total", "reason=\"budget\"", help,
                                 read_refused_budget, bridge->budget);
}

static void bridge_register_metrics(struct bridge *bridge)
{
    metrics_gauge("pgchat_sockets", "Authenticated sockets of the chat namespace.", read_sockets,
                  bridge->chat);
    metrics_gauge("pgchat_engine_sessions", "Engine.IO sessions open (before and after CONNECT).",
                  read_sessions, bridge->io);
    metrics_counter_read("pgchat_socket_packets_sent_total", "Socket.IO packets sent: events and acks.",
                         read_packets, bridge->io);
    metrics_gauge("pgchat_db_calls_pending", "Calls waiting for or running on the main pool.",
                  read_pool, bridge->pool);
    metrics_gauge("pgchat_db_slow_calls_pending", "Calls waiting for or running on the pool that hashes passwords.",
                  read_pool, bridge->slow_pool);
    metrics_gauge("pgchat_http_requests_pending", "REST requests waiting for the database.", read_rest,
                  bridge->rest);
    metrics_gauge("pgchat_socket_calls_pending", "Socket events waiting for the database.", read_chat,
                  bridge->chat);
    metrics_counter_read("pgchat_dropped_slow_readers_total",
                         "Websockets dropped because their outgoing queue filled up.", read_slow,
                         bridge->server);
    metrics_gauge("pgchat_connections", "HTTP and websocket connections open.", read_connections,
                  bridge->server);
    metrics_gauge("pgchat_queued_bytes",
                  "Bytes waiting for slow readers: websocket queues, polling buffers, answers being written.",
                  read_queued, bridge->budget);
    metrics_gauge("pgchat_queue_budget_bytes", "The budget of pgchat_queued_bytes (0: none).",
                  read_budget, bridge->budget);
    bridge_register_refusals(bridge);
    if (bridge->config.redis_url)
        metrics_gauge("pgchat_redis_up", "1 while the Redis link is up (presence, typing, shared limits).",
                      read_redis, bridge->presence);
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
    http_server_drain(bridge->server); /* every answer now closes its connection, and says so */
    rest_drain(bridge->rest);
    chat_drain(bridge->chat);
    chat_presence_drain(bridge->presence);
    bridge->drain_deadline = uv_now(&bridge->loop) + (uint64_t)bridge->config.drain_seconds * 1000;
    uv_timer_start(&bridge->drain_timer, bridge_on_drain_tick, 0, MAIN_DRAIN_TICK_MS);
}

static void bridge_on_notify(void *data, const char *payload, size_t length)
{
    struct bridge *bridge = data;
    if (!chat_notify(bridge->chat, payload, length))
        fanout_event(bridge->fanout, payload, length);
}

static void bridge_on_listening(void *data, int reconnected)
{
    struct bridge *bridge = data;
    (void)reconnected; /* the first time too: cheap, and nothing is known yet */
    fanout_resync(bridge->fanout);
}

/* The CORS origin Engine.IO answers with: it takes "*" or one exact origin. */
static const char *bridge_socket_origin(const struct config *config)
{
    for (int i = 0; i < config->origin_count; i++)
        if (strcmp(config->origins[i], "*") == 0)
            return "*";
    if (config->origin_count > 1)
        log_warn("bridge_socket_cors", "reason=\"Socket.IO answers only the first of %d origins\"",
                 config->origin_count);
    return config->origin_count ? config->origins[0] : NULL;
}

/* Socket.IO at /socket.io/ with the chat namespace, fan-out, and the LISTEN connection. */
static int bridge_start_realtime(struct bridge *bridge)
{
    const struct config *config = &bridge->config;
    sio_config io_config;
    sio_config_defaults(&io_config);
    io_config.engine.max_payload = config->max_body;
    io_config.engine.ping_interval_ms = (uint64_t)config->ping_interval_ms;
    io_config.engine.ping_timeout_ms = (uint64_t)config->ping_timeout_ms;
    io_config.engine.cors_origin = bridge_socket_origin(config);
    io_config.engine.max_sessions = (size_t)config->max_sessions;
    io_config.engine.max_address_sessions = (size_t)config->max_address_sessions;
    io_config.engine.trust_proxy = config->trust_proxy;
    io_config.engine.budget = bridge->budget;
    io_config.connect_timeout_ms = (uint64_t)config->connect_timeout_ms;
    io_config.max_pre_connect_bytes = config->pre_connect_bytes;
    bridge->io = sio_server_new(&bridge->loop, &io_config);
    if (!bridge->io)
        return -1;
    http_route route = sio_server_route(bridge->io);
    if (http_server_add_route(bridge->server, &route) != 0)
        return -1;
    if (chat_sql_init(&bridge->chat_sql, bridge->pool) != 0)
        return -1;
    bridge->fanout = fanout_new(&bridge->loop, &bridge->chat_sql);
    struct chat_limits limits = {config->send_batches, config->socket_event_rate,
                                 config->max_user_sockets, config->max_socket_calls};
    bridge->chat = bridge->fanout ? chat_new(&bridge->loop, bridge->io, &bridge->chat_sql, bridge->fanout,
                                             &limits) : NULL;
    if (!bridge->chat)
        return -1;
    bridge->presence = chat_presence_new(&bridge->loop, config->redis_url,
                                         getenv("PGCHAT_BRIDGE_ID"), bridge->pool, bridge->fanout);
    if (!bridge->presence)
        return -1;
    chat_set_presence(bridge->chat, bridge->presence);
    if (config->redis_url)
        health_watch_redis(bridge->health, chat_presence_redis_up, bridge->presence);
    rate_limit_use_redis(bridge->limits, chat_presence_redis(bridge->presence));
    bridge_register_metrics(bridge);
    struct listener_handlers handlers = {bridge_on_notify, bridge_on_listening, bridge};
    bridge->listener = listener_new(&bridge->loop, config->database_url, "chat", &handlers);
    return bridge->listener ? 0 : -1;
}

static int bridge_start(struct bridge *bridge)
{
    struct config *config = &bridge->config;
    bridge->pool = db_pool_new(&bridge->loop, "main", config->database_url, config->pool_size,
                               &bridge->statements);
    bridge->slow_pool = db_pool_new(&bridge->loop, "slow", config->database_url,
                                    config->slow_pool_size, &bridge->statements);
    /* files go through a pool of their own: a 16 MiB upload never waits behind messages, nor
     * makes them wait */
    bridge->file_pool = db_pool_new(&bridge->loop, "files", config->database_url,
                                    MAIN_FILE_POOL_SIZE, &bridge->statements);
    bridge->budget = queue_budget_new(&bridge->loop, config->queue_budget);
    if (!bridge->budget)
        return -1;
    http_server_config server_config = {
        .max_connections = (unsigned)config->max_connections,
        /* behind a proxy every connection comes from it: the sessions are capped per client */
        .max_address_connections = config->trust_proxy ? 0 : (unsigned)config->max_address_connections,
        .budget = bridge->budget,
        .host = config->listen,
        .port = config->port,
        .max_ws_message = config->max_body,
        .ws_queue_messages = 1024,
        .ws_queue_bytes = 4 * 1024 * 1024,
        .keepalive_idle_s = (unsigned)config->keepalive_seconds,
    };
    bridge->server = http_server_new(&bridge->loop, &server_config);
    bridge->limits = rate_limit_new();
    bridge->rest = bridge->limits && bridge->pool ? rest_new(config, bridge->pool, bridge->slow_pool, bridge->limits) : NULL;
    bridge->health = bridge->pool ? health_new(config, bridge->pool) : NULL;
    bridge->files = static_new(config);
    if (!bridge->pool || !bridge->slow_pool || !bridge->server || !bridge->rest ||
        !bridge->health || !bridge->files)
        return -1;
    if (rest_attach(bridge->rest, bridge->server) || health_attach(bridge->health, bridge->server) ||
        metrics_attach(bridge->server, config) ||
        static_attach(bridge->files, bridge->server) || !bridge->file_pool ||
        attachments_start(&bridge->attachments, &bridge->loop, bridge->server, config,
                          bridge->file_pool))
        return -1;
    return bridge_start_realtime(bridge);
}

static void bridge_start_signals(struct bridge *bridge)
{
    uv_signal_init(&bridge->loop, &bridge->sigterm);
    uv_signal_init(&bridge->loop, &bridge->sigint);
    uv_timer_init(&bridge->loop, &bridge->drain_timer);
    bridge->sigterm.data = bridge->sigint.data = bridge->drain_timer.data = bridge;
    uv_signal_start(&bridge->sigterm, bridge_on_signal, SIGTERM);
    uv_signal_start(&bridge->sigint, bridge_on_signal, SIGINT);
    bridge->signals_started = 1;
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
        bridge_close_everything(&bridge); /* the loop below closes what started */
    } else {
        bridge_start_signals(&bridge);
        log_info("bridge_started", "port=%d pool_size=%d slow_pool_size=%d cors_origins=%d",
                 bridge.config.port, bridge.config.pool_size, bridge.config.slow_pool_size,
                 bridge.config.origin_count);
    }
    uv_run(&bridge.loop, UV_RUN_DEFAULT);
    bridge_free_remains(&bridge);
    if (uv_loop_close(&bridge.loop) != 0)
        log_warn("bridge_loop_busy", "reason=\"handles left open at exit\"");
    config_free(&bridge.config);
    log_info("bridge_stopped", "status=%d", status);
    return status;
}
