/* GET /metrics (see metrics_route.h): the text of metrics.c, for the operator only. */
#include "http/metrics_route.h"
#include "core/metrics.h"

#include <stdlib.h>
#include <string.h>

static const struct config *metrics_config;

/* Whether the two strings are equal, in time that depends only on their lengths. */
static int same_secret(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned char diff = (unsigned char)(la != lb);
    for (size_t i = 0; i < la && lb; i++)
        diff |= (unsigned char)(a[i] ^ b[i % lb]);
    return diff == 0;
}

static int metrics_allowed(http_request *req)
{
    const char *token = metrics_config->metrics_token;
    if (token && *token) {
        const char *auth = http_request_header(req, "authorization");
        return auth && strncmp(auth, "Bearer ", 7) == 0 && same_secret(auth + 7, token);
    }
    const char *peer = http_request_peer(req);
    return peer && (strcmp(peer, "127.0.0.1") == 0 || strcmp(peer, "::1") == 0 ||
                    strncmp(peer, "::ffff:127.0.0.1", 16) == 0);
}

static void metrics_on_request(http_request *req, void *data)
{
    (void)data;
    static const char forbidden[] = "{\"error\":{\"code\":\"forbidden\",\"message\":\"metrics are for the operator\"}}";
    static const char not_found[] = "{\"error\":{\"code\":\"not_found\",\"message\":\"no such route\"}}";
    http_header no_store[] = {{"Cache-Control", "no-store"}, {NULL, NULL}};
    if (strcmp(http_request_path(req), "/metrics") != 0) {
        http_respond(req, 404, "application/json; charset=utf-8", no_store, not_found,
                     sizeof(not_found) - 1);
        return;
    }
    if (!metrics_allowed(req)) {
        http_respond(req, 403, "application/json; charset=utf-8", no_store, forbidden,
                     sizeof(forbidden) - 1);
        return;
    }
    size_t length = 0;
    char *text = metrics_text(&length);
    if (!text) {
        http_respond(req, 500, "text/plain; charset=utf-8", no_store, "out of memory\n", 14);
        return;
    }
    http_respond(req, 200, "text/plain; version=0.0.4; charset=utf-8", no_store, text,
                 http_request_method(req) == HTTP_HEAD ? 0 : length);
    free(text);
}

int metrics_attach(http_server *server, const struct config *config)
{
    metrics_config = config;
    /* one route of http_server's table, declared as data like /health, /metrics and / */
    http_route route = {
        .prefix = "/metrics",
        .max_body = 0,
        .on_request = metrics_on_request,
        .data = NULL,
    };
    return http_server_add_route(server, &route);
}
