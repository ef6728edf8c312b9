/* GET /health (see health.h). */
#include "http/health.h"
#include "core/log.h"
#include "http/rest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HEALTH_DB_TIMEOUT_MS 3000

struct health {
    const struct config *config;
    struct db_pool *pool;
    int statement;
    health_redis_probe redis_probe; /* NULL: no Redis configured */
    const void *redis_data;
    int closing;
    size_t pending; /* health calls waiting for the database: the struct lives until they end */
};

/* One GET /health waiting for the database; req is NULL once the client left or timed out. */
struct health_call {
    struct health *health;
    http_request *req;
};

void health_watch_redis(struct health *health, health_redis_probe probe, const void *data)
{
    health->redis_probe = probe;
    health->redis_data = data;
}

const char *health_redis_state(const struct health *health)
{
    if (!health->redis_probe)
        return "unconfigured";
    return health->redis_probe(health->redis_data) ? "ok" : "down";
}

/* ---- GET /health ---- */

static void health_respond(struct health *health, http_request *req, int database_ok)
{
    const char *redis = health_redis_state(health);
    const char *status = !database_ok ? "down" : strcmp(redis, "down") == 0 ? "degraded" : "ok";
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
    struct health *health = call->health;
    health->pending--;
    if (call->req)
        health_respond(health, call->req, result->status == DB_OK);
    free(call);
    if (health->closing && health->pending == 0)
        free(health);
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

struct health *health_new(const struct config *config, struct db_pool *pool)
{
    static const struct db_statement round_trip = {"health", "SELECT 'ok'::text", 0};
    int statement = db_pool_register(pool, &round_trip, 1);
    if (statement < 0)
        return NULL;
    struct health *health = calloc(1, sizeof(*health));
    if (!health)
        return NULL;
    health->config = config;
    health->pool = pool;
    health->statement = statement;
    return health;
}

int health_attach(struct health *health, http_server *server)
{
    /* one route of http_server's table, declared as data like /health, /metrics and / */
    http_route route = {
        .prefix = "/health",
        .max_body = 0,
        .on_request = health_on_request,
        .data = health,
    };
    return http_server_add_route(server, &route);
}

void health_close(struct health *health)
{
    health->closing = 1;
    health->redis_probe = NULL;
    if (health->pending == 0)
        free(health);
}
