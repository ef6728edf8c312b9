/* GET /health and the Redis watch behind it (see health.h). */
#include "health.h"
#include "log.h"
#include "rest.h"

#include <hiredis/adapters/libuv.h>
#include <hiredis/async.h>
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEALTH_PING_MS 2000
#define HEALTH_DB_TIMEOUT_MS 3000

enum health_redis { HEALTH_REDIS_UNCONFIGURED, HEALTH_REDIS_DOWN, HEALTH_REDIS_UP };

struct health {
    uv_loop_t *loop;
    const struct config *config;
    struct db_pool *pool;
    int statement;
    char redis_host[256];
    int redis_port;
    redisAsyncContext *redis; /* NULL when not connected; hiredis frees it on disconnect */
    int redis_connected;
    int pings_unanswered;
    enum health_redis redis_state;
    uv_timer_t timer;
    int closing;
    size_t pending; /* health calls waiting for the database */
};

/* One GET /health waiting for the database; req is NULL once the client left or timed out. */
struct health_call {
    struct health *health;
    http_request *req;
};

static const char *const health_redis_names[] = {"unconfigured", "down", "ok"};

const char *health_redis_state(const struct health *health)
{
    return health_redis_names[health->redis_state];
}

/* ---- Redis ---- */

/* redis://[user:password@]host[:port][/db]; only host and port are used here. */
static int health_parse_redis_url(struct health *health, const char *url)
{
    const char *rest = url + strlen("redis://");
    const char *at = strchr(rest, '@');
    if (at)
        rest = at + 1;
    size_t host_len = strcspn(rest, ":/");
    if (host_len == 0 || host_len >= sizeof(health->redis_host))
        return -1;
    memcpy(health->redis_host, rest, host_len);
    health->redis_host[host_len] = '\0';
    health->redis_port = 6379;
    if (rest[host_len] == ':') {
        char *end;
        long port = strtol(rest + host_len + 1, &end, 10);
        if (port < 1 || port > 65535 || (*end && *end != '/'))
            return -1;
        health->redis_port = (int)port;
    }
    return 0;
}

static void health_redis_set(struct health *health, enum health_redis state, const char *why)
{
    if (health->redis_state == state)
        return;
    health->redis_state = state;
    if (state == HEALTH_REDIS_UP)
        log_info("redis_up", "host=%s port=%d", health->redis_host, health->redis_port);
    else
        log_warn("redis_down", "host=%s port=%d reason=\"%s\"", health->redis_host,
                 health->redis_port, why);
}

static void health_on_redis_connect(const redisAsyncContext *context, int status)
{
    struct health *health = context->data;
    if (status != REDIS_OK) { /* hiredis frees the context after this */
        health->redis = NULL;
        health_redis_set(health, HEALTH_REDIS_DOWN, "cannot connect");
        return;
    }
    health->redis_connected = 1;
    health->pings_unanswered = 0;
    health_redis_set(health, HEALTH_REDIS_UP, "");
}

static void health_on_redis_disconnect(const redisAsyncContext *context, int status)
{
    struct health *health = context->data;
    (void)status;
    health->redis = NULL;
    health->redis_connected = 0;
    if (!health->closing)
        health_redis_set(health, HEALTH_REDIS_DOWN, "connection lost");
}

static void health_on_pong(redisAsyncContext *context, void *reply, void *data)
{
    (void)context;
    struct health *health = data;
    redisReply *answer = reply;
    if (answer && answer->type != REDIS_REPLY_ERROR) {
        health->pings_unanswered = 0;
        health_redis_set(health, HEALTH_REDIS_UP, "");
    }
}

static void health_redis_connect(struct health *health)
{
    redisAsyncContext *context = redisAsyncConnect(health->redis_host, health->redis_port);
    if (!context)
        return;
    if (context->err) {
        health_redis_set(health, HEALTH_REDIS_DOWN, "cannot connect");
        redisAsyncFree(context);
        return;
    }
    context->data = health;
    if (redisLibuvAttach(context, health->loop) != REDIS_OK) {
        redisAsyncFree(context);
        return;
    }
    redisAsyncSetConnectCallback(context, health_on_redis_connect);
    redisAsyncSetDisconnectCallback(context, health_on_redis_disconnect);
    health->redis = context;
}

static void health_on_timer(uv_timer_t *timer)
{
    struct health *health = timer->data;
    if (!health->redis) {
        health_redis_connect(health);
        return;
    }
    if (!health->redis_connected)
        return;
    /* two pings unanswered: the server is stuck even if the socket is open */
    if (health->pings_unanswered >= 2)
        health_redis_set(health, HEALTH_REDIS_DOWN, "no answer to PING");
    health->pings_unanswered++;
    redisAsyncCommand(health->redis, health_on_pong, health, "PING");
}

/* ---- GET /health ---- */

static void health_respond(struct health *health, http_request *req, int database_ok)
{
    const char *redis = health_redis_state(health);
    const char *status = !database_ok ? "down" : health->redis_state == HEALTH_REDIS_DOWN ? "degraded" : "ok";
    char body[160];
    int length = snprintf(body, sizeof(body), "{\"status\":\"%s\",\"database\":\"%s\",\"redis\":\"%s\"}",
                          status, database_ok ? "ok" : "down", redis);
    http_header headers[6];
    size_t n = rest_cors_headers(health->config, req, headers, 4);
    headers[n++] = (http_header){"Cache-Control", "no-store"};
    headers[n] = (http_header){NULL, NULL};
    http_respond(req, database_ok ? 200 : 503, "application/json; charset=utf-8", headers, body,
                 (size_t)length);
}

static void health_on_db(void *data, const struct db_result *result)
{
    struct health_call *call = data;
    call->health->pending--;
    if (call->req)
        health_respond(call->health, call->req, result->status == DB_OK);
    free(call);
}

static void health_on_gone(http_request *req, void *data)
{
    (void)req;
    ((struct health_call *)data)->req = NULL;
}

static void health_on_timeout(http_request *req, void *data)
{
    struct health_call *call = data;
    call->req = NULL;
    health_respond(call->health, req, 0);
}

static void health_on_request(http_request *req, void *data)
{
    struct health *health = data;
    if (strcmp(http_request_path(req), "/health") != 0) {
        rest_respond_error(health->config, req, &ERROR_NOT_FOUND, "no such route", NULL);
        return;
    }
    http_method method = http_request_method(req);
    if (method != HTTP_GET && method != HTTP_HEAD) {
        http_header allow[] = {{"Allow", "GET"}, {NULL, NULL}};
        rest_respond_error(health->config, req, &ERROR_METHOD_NOT_ALLOWED,
                           "method not allowed on this route", allow);
        return;
    }
    struct health_call *call = malloc(sizeof(*call));
    if (!call) {
        health_respond(health, req, 0);
        return;
    }
    *call = (struct health_call){health, req};
    if (health->closing || http_request_set_timeout(req, HEALTH_DB_TIMEOUT_MS, health_on_timeout, call) ||
        db_query(health->pool, health->statement, NULL, health_on_db, call)) {
        free(call);
        health_respond(health, req, 0);
        return;
    }
    health->pending++;
    http_request_on_gone(req, health_on_gone, call);
}

/* ---- lifetime ---- */

struct health *health_new(uv_loop_t *loop, const struct config *config, struct db_pool *pool,
                          int statement)
{
    struct health *health = calloc(1, sizeof(*health));
    if (!health)
        return NULL;
    health->loop = loop;
    health->config = config;
    health->pool = pool;
    health->statement = statement;
    health->redis_state = HEALTH_REDIS_UNCONFIGURED;
    if (config->redis_url && health_parse_redis_url(health, config->redis_url) != 0) {
        log_error("config_invalid", "setting=redis_url reason=\"cannot parse host and port\"");
        free(health);
        return NULL;
    }
    uv_timer_init(loop, &health->timer);
    health->timer.data = health;
    if (config->redis_url) {
        health->redis_state = HEALTH_REDIS_DOWN;
        health_redis_connect(health);
        uv_timer_start(&health->timer, health_on_timer, HEALTH_PING_MS, HEALTH_PING_MS);
    }
    return health;
}

int health_attach(struct health *health, http_server *server)
{
    http_route route = {
        .prefix = "/health",
        .max_body = 0,
        .on_request = health_on_request,
        .data = health,
    };
    return http_server_add_route(server, &route);
}

static void health_on_closed(uv_handle_t *handle)
{
    free(handle->data);
}

void health_close(struct health *health)
{
    health->closing = 1;
    if (health->redis) {
        redisAsyncContext *context = health->redis;
        health->redis = NULL;
        redisAsyncFree(context); /* pending PINGs get a NULL reply; the adapter closes its poll */
    }
    uv_timer_stop(&health->timer);
    uv_close((uv_handle_t *)&health->timer, health_on_closed);
}
