/* The REST face (see rest.h): the route table, matching a request to it, one SQL call per
 * request, and the answer. A request waiting for the database is a rest_call; if the client
 * leaves or the request times out first, the call is detached and freed when the database
 * answers. */
#include "http/rest.h"
#include "http/credential_guard.h"
#include "core/log.h"
#include "core/metrics.h"
#include "http/rest_params.h"
#include "http/rest_routes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <uv.h>

#define REST_TIMEOUT_MS 30000
#define REST_MAX_SEGMENTS 8

#define TOKEN {FROM_TOKEN, "token", TYPE_TEXT, 1, NULL}
#define PATH(name, type) {FROM_PATH, name, type, 1, NULL}
#define BODY(name, type) {FROM_BODY, name, type, 1, NULL}
#define BODY_OPTIONAL(name, type, fallback) {FROM_BODY, name, type, 0, fallback}
#define QUERY(name, type) {FROM_QUERY, name, type, 1, NULL}
#define QUERY_OPTIONAL(name, type, fallback) {FROM_QUERY, name, type, 0, fallback}

/* The REST contract (docs/rest.md). Parameters are in the SQL function's argument order. Where a
 * route shares method and path with a later one, the one with when_query comes first. */
static const struct rest_route rest_routes[] = {
    {HTTP_POST, "/api/auth/register", NULL, "register", 1, 201,
     {BODY("username", TYPE_TEXT), BODY("email", TYPE_TEXT), BODY("password", TYPE_TEXT),
      BODY_OPTIONAL("displayName", TYPE_TEXT, NULL)}},
    {HTTP_POST, "/api/auth/login", NULL, "login", 1, 200,
     {BODY("login|username|email", TYPE_TEXT), BODY("password", TYPE_TEXT)}},
    {HTTP_POST, "/api/auth/logout", NULL, "logout", 0, 204, {TOKEN}},
    {HTTP_POST, "/api/auth/logout-all", NULL, "logout_everywhere", 0, 200, {TOKEN}},
    {HTTP_GET, "/api/auth/sessions", NULL, "sessions", 0, 200, {TOKEN}},
    {HTTP_POST, "/api/auth/password", NULL, "change_password", 1, 200,
     {TOKEN, BODY("currentPassword", TYPE_TEXT), BODY("newPassword", TYPE_TEXT)}},
    {HTTP_GET, "/api/me", NULL, "me", 0, 200, {TOKEN}},
    {HTTP_PATCH, "/api/me", NULL, "update_profile", 0, 200,
     {TOKEN, {FROM_BODY_WHOLE, "body", TYPE_OBJECT, 1, NULL}}},
    {HTTP_PUT, "/api/me/privacy", NULL, "set_privacy", 0, 200,
     {TOKEN, {FROM_BODY_WHOLE, "body", TYPE_OBJECT, 1, NULL}}},
    {HTTP_GET, "/api/users/search", NULL, "search_users", 0, 200,
     {TOKEN, QUERY("q", TYPE_TEXT), QUERY_OPTIONAL("limit", TYPE_INT, "20")}},
    {HTTP_GET, "/api/messages/search", NULL, "search_messages", 0, 200,
     {TOKEN, QUERY("q", TYPE_TEXT), QUERY_OPTIONAL("conversationId", TYPE_UUID, NULL),
      QUERY_OPTIONAL("cursor", TYPE_CURSOR, NULL), QUERY_OPTIONAL("limit", TYPE_INT, "20")}},
    {HTTP_GET, "/api/contacts", NULL, "contacts", 0, 200, {TOKEN}},
    {HTTP_POST, "/api/contacts", NULL, "add_contact", 0, 201, {TOKEN, BODY("userId", TYPE_UUID)}},
    {HTTP_DELETE, "/api/contacts/:userId", NULL, "remove_contact", 0, 204,
     {TOKEN, PATH("userId", TYPE_UUID)}},
    {HTTP_GET, "/api/blocks", NULL, "blocked_users", 0, 200, {TOKEN}},
    {HTTP_POST, "/api/blocks", NULL, "block_user", 0, 201, {TOKEN, BODY("userId", TYPE_UUID)}},
    {HTTP_DELETE, "/api/blocks/:userId", NULL, "unblock_user", 0, 204,
     {TOKEN, PATH("userId", TYPE_UUID)}},
    /* with a cursor or a limit, a page {conversations, nextCursor}; without, the whole list
     * (as json text, which is sent on as it is) */
    {HTTP_GET, "/api/conversations", "before", "conversation_page", 0, 200,
     {TOKEN, QUERY("before", TYPE_CURSOR), QUERY_OPTIONAL("limit", TYPE_INT, "50")}},
    {HTTP_GET, "/api/conversations", "limit", "conversation_page", 0, 200,
     {TOKEN, QUERY_OPTIONAL("before", TYPE_CURSOR, NULL), QUERY("limit", TYPE_INT)}},
    {HTTP_GET, "/api/conversations", NULL, "conversations_json", 0, 200, {TOKEN}},
    {HTTP_POST, "/api/conversations", NULL, "create_conversation", 0, 201,
     {TOKEN, BODY("participantIds", TYPE_UUID_ARRAY), BODY_OPTIONAL("isGroup", TYPE_BOOL, "false"),
      BODY_OPTIONAL("name", TYPE_TEXT, NULL)}},
    /* before /:id, which would take "archived" for an id */
    {HTTP_GET, "/api/conversations/archived", NULL, "archived_conversations", 0, 200, {TOKEN}},
    {HTTP_GET, "/api/conversations/:id", NULL, "conversation", 0, 200,
     {TOKEN, PATH("id", TYPE_UUID)}},
    {HTTP_POST, "/api/conversations/:id/participants", NULL, "add_participants", 0, 200,
     {TOKEN, PATH("id", TYPE_UUID), BODY("userIds", TYPE_UUID_ARRAY)}},
    {HTTP_DELETE, "/api/conversations/:id/participants/:userId", NULL, "remove_participant", 0, 200,
     {TOKEN, PATH("id", TYPE_UUID), PATH("userId", TYPE_UUID)}},
    {HTTP_PATCH, "/api/conversations/:id/participants/:userId", NULL, "set_participant_role", 0,
     200, {TOKEN, PATH("id", TYPE_UUID), PATH("userId", TYPE_UUID), BODY("role", TYPE_TEXT)}},
    {HTTP_PATCH, "/api/conversations/:id/state", NULL, "set_conversation_state", 0, 200,
     {TOKEN, PATH("id", TYPE_UUID), {FROM_BODY_WHOLE, "body", TYPE_OBJECT, 1, NULL}}},
    {HTTP_POST, "/api/conversations/:id/leave", NULL, "leave_conversation", 0, 204,
     {TOKEN, PATH("id", TYPE_UUID)}},
    {HTTP_GET, "/api/conversations/:id/messages", "after", "messages_after", 0, 200,
     {TOKEN, PATH("id", TYPE_UUID), QUERY("after", TYPE_INT),
      QUERY_OPTIONAL("limit", TYPE_INT, "100")}},
    {HTTP_GET, "/api/conversations/:id/messages", NULL, "messages", 0, 200,
     {TOKEN, PATH("id", TYPE_UUID), QUERY_OPTIONAL("before", TYPE_INT, NULL),
      QUERY_OPTIONAL("limit", TYPE_INT, "50")}},
    {HTTP_POST, "/api/conversations/:id/messages", NULL, "send_message", 0, 201,
     {TOKEN, PATH("id", TYPE_UUID), BODY("content", TYPE_TEXT),
      BODY_OPTIONAL("clientId", TYPE_TEXT, NULL), BODY_OPTIONAL("replyTo", TYPE_UUID, NULL),
      BODY_OPTIONAL("attachments", TYPE_UUID_ARRAY, NULL)}},
    {HTTP_POST, "/api/conversations/:id/read", NULL, "mark_read", 0, 200,
     {TOKEN, PATH("id", TYPE_UUID), BODY("seq", TYPE_INT)}},
    {HTTP_POST, "/api/conversations/:id/delivered", NULL, "mark_delivered", 0, 200,
     {TOKEN, PATH("id", TYPE_UUID), BODY("seq", TYPE_INT)}},
    {HTTP_PATCH, "/api/messages/:id", NULL, "edit_message", 0, 200,
     {TOKEN, PATH("id", TYPE_UUID), BODY("content", TYPE_TEXT)}},
    {HTTP_DELETE, "/api/messages/:id", NULL, "delete_message", 0, 200,
     {TOKEN, PATH("id", TYPE_UUID)}},
    {HTTP_POST, "/api/messages/:id/forward", NULL, "forward_message", 0, 200,
     {TOKEN, PATH("id", TYPE_UUID), BODY("conversationIds", TYPE_UUID_ARRAY),
      BODY_OPTIONAL("clientId", TYPE_TEXT, NULL)}},
    {HTTP_GET, "/api/messages/:id/info", NULL, "message_info", 0, 200,
     {TOKEN, PATH("id", TYPE_UUID)}},
    {HTTP_POST, "/api/messages/:id/hide", NULL, "hide_message", 0, 200,
     {TOKEN, PATH("id", TYPE_UUID)}},
    {HTTP_PUT, "/api/messages/:id/reaction", NULL, "react", 0, 200,
     {TOKEN, PATH("id", TYPE_UUID), BODY("emoji", TYPE_TEXT)}},
    /* no body: the emoji is null, which removes the caller's reaction */
    {HTTP_DELETE, "/api/messages/:id/reaction", NULL, "react", 0, 200,
     {TOKEN, PATH("id", TYPE_UUID), BODY_OPTIONAL("emoji", TYPE_TEXT, NULL)}},
};

#define REST_ROUTE_COUNT ((int)(sizeof(rest_routes) / sizeof(rest_routes[0])))

static const char *const rest_method_names[] = {"GET", "POST", "PUT", "PATCH", "DELETE",
                                                "OPTIONS", "HEAD", "OTHER"};

struct rest {
    const struct config *config;
    struct db_pool *pool;
    struct db_pool *slow_pool;
    struct credential_guard *guard; /* in front of the slow routes */
    int first_statement;            /* route i's statement is first_statement + i */
    size_t pending;
    int draining;
};

/* One request waiting for the database. req is NULL once the client left or the request timed
 * out: the call is then freed when the database answers. */
struct rest_call {
    struct rest *rest;
    http_request *req;
    const struct rest_route *route;
    uint64_t started;
    struct rest_args args; /* kept while the credential guard decides */
    char *login;           /* the login route's name, counted by the guard */
};

/* ---- statements ---- */

static char rest_sql[REST_ROUTE_COUNT][128];
static char rest_names[REST_ROUTE_COUNT][64];

/* A statement is named after its function; a second route to the same function gets a suffix,
 * since a connection can't prepare one name twice. */
static const char *rest_statement_name(int i)
{
    for (int j = 0; j < i; j++) {
        if (strcmp(rest_routes[j].function, rest_routes[i].function) == 0) {
            snprintf(rest_names[i], sizeof(rest_names[i]), "%s_%d", rest_routes[i].function, i);
            return rest_names[i];
        }
    }
    return rest_routes[i].function;
}

static int rest_param_count(const struct rest_route *route)
{
    int n = 0;
    while (n < DB_MAX_PARAMS && route->params[n].source)
        n++;
    return n;
}

/* One statement per route, registered with the pools' catalog; the id of the first, or -1. */
static int rest_register_statements(struct db_pool *pool)
{
    struct db_statement out[REST_ROUTE_COUNT];
    for (int i = 0; i < REST_ROUTE_COUNT; i++) {
        const struct rest_route *route = &rest_routes[i];
        int nparams = rest_param_count(route);
        /* the arguments stay untyped: PostgreSQL takes their types from the function */
        int used = snprintf(rest_sql[i], sizeof(rest_sql[i]), "SELECT chat.%s(", route->function);
        for (int p = 0; p < nparams; p++)
            used += snprintf(rest_sql[i] + used, sizeof(rest_sql[i]) - (size_t)used, "%s$%d",
                             p ? ", " : "", p + 1);
        snprintf(rest_sql[i] + used, sizeof(rest_sql[i]) - (size_t)used, ")::text");
        out[i] = (struct db_statement){rest_statement_name(i), rest_sql[i], nparams};
    }
    return db_pool_register(pool, out, REST_ROUTE_COUNT);
}

/* ---- answers ---- */

size_t rest_cors_headers(const struct config *config, const http_request *req, http_header *out,
                         size_t room)
{
    const char *origin = http_request_header(req, "origin");
    if (room < 3 || !config_origin_allowed(config, origin))
        return 0;
    out[0] = (http_header){"Access-Control-Allow-Origin", origin};
    out[1] = (http_header){"Vary", "Origin"};
    out[2] = (http_header){NULL, NULL};
    return 2;
}

/* Sends a JSON answer with the CORS headers, no caching, and the extra headers. */
static void rest_respond_json(const struct config *config, http_request *req, int status,
                              const char *body, size_t length, const http_header *extra)
{
    http_header headers[8];
    size_t n = rest_cors_headers(config, req, headers, 6);
    headers[n++] = (http_header){"Cache-Control", "no-store"};
    for (const http_header *h = extra; h && h->name && n < 7; h++)
        headers[n++] = *h;
    headers[n] = (http_header){NULL, NULL};
    if (status == 204)
        http_respond(req, status, NULL, headers, NULL, 0);
    else
        http_respond(req, status, "application/json; charset=utf-8", headers, body, length);
}

void rest_respond_error(const struct config *config, http_request *req,
                        const struct error_kind *kind, const char *message,
                        const http_header *extra)
{
    size_t length = 0;
    char *body = errors_body(kind, message, &length);
    if (!body) {
        static const char fallback[] = "{\"error\":{\"code\":\"internal\",\"message\":\"out of memory\"}}";
        rest_respond_json(config, req, 500, fallback, sizeof(fallback) - 1, extra);
        return;
    }
    rest_respond_json(config, req, kind->status, body, length, extra);
    free(body);
}

static void rest_log(http_request *req, int status, uint64_t started)
{
    char path[300];
    double ms = (double)(uv_hrtime() - started) / 1e6;
    log_event(status >= 500 ? LOG_WARN : LOG_INFO, "http_request",
              "method=%s path=%s status=%d ms=%.2f peer=%s",
              rest_method_names[http_request_method(req)],
              log_quote(path, sizeof(path), http_request_path(req)), status, ms,
              http_request_peer(req));
}

static void rest_fail(struct rest *rest, http_request *req, const struct error_kind *kind,
                      const char *message, const http_header *extra, uint64_t started)
{
    rest_log(req, kind->status, started);
    rest_respond_error(rest->config, req, kind, message, extra);
}

/* ---- the database's answer ---- */

static void rest_call_free(struct rest_call *call)
{
    call->rest->pending--;
    rest_args_free(&call->args);
    free(call->login);
    free(call);
}

static void rest_on_result(void *data, const struct db_result *result)
{
    struct rest_call *call = data;
    http_request *req = call->req;
    if (!req) { /* the client left or the request timed out: nobody to answer */
        rest_call_free(call);
        return;
    }
    struct rest *rest = call->rest;
    const struct rest_route *route = call->route;
    if (result->status == DB_OK) {
        rest_log(req, route->status, call->started);
        const char *body = result->value ? result->value : "null";
        size_t length = result->value ? result->length : 4;
        rest_respond_json(rest->config, req, route->status, body, length, NULL);
    } else {
        const struct error_kind *kind = errors_from_db(result, route->function);
        rest_fail(rest, req, kind, kind == &ERROR_UNAVAILABLE ? NULL : result->message, NULL,
                  call->started);
    }
    rest_call_free(call);
}

static void rest_on_gone(http_request *req, void *data)
{
    (void)req;
    struct rest_call *call = data;
    call->req = NULL;
}

static void rest_on_timeout(http_request *req, void *data)
{
    struct rest_call *call = data;
    call->req = NULL;
    rest_fail(call->rest, req, &ERROR_UNAVAILABLE, NULL, NULL, call->started);
}

/* ---- matching ---- */

/* Splits "/api/a/b" into segments, in place in buffer. Returns the count, or -1 if too many. */
static int rest_split(char *buffer, char **segments)
{
    int n = 0;
    char *save = NULL;
    for (char *part = strtok_r(buffer, "/", &save); part; part = strtok_r(NULL, "/", &save)) {
        if (n == REST_MAX_SEGMENTS)
            return -1;
        segments[n++] = part;
    }
    return n;
}

/* Whether path matches pattern; the :name segments' values go to values, in order. */
static int rest_match(const char *pattern, char **segments, int count, const char **values)
{
    char buffer[128];
    char *parts[REST_MAX_SEGMENTS];
    snprintf(buffer, sizeof(buffer), "%s", pattern);
    int n = rest_split(buffer, parts);
    if (n != count)
        return 0;
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (parts[i][0] == ':')
            values[v++] = segments[i];
        else if (strcmp(parts[i], segments[i]) != 0)
            return 0;
    }
    return 1;
}

static void rest_preflight(struct rest *rest, http_request *req, uint64_t started)
{
    http_header headers[8];
    size_t n = rest_cors_headers(rest->config, req, headers, 4);
    if (n == 0) {
        rest_fail(rest, req, &ERROR_FORBIDDEN, "this origin is not allowed", NULL, started);
        return;
    }
    headers[n++] = (http_header){"Access-Control-Allow-Methods", "GET, POST, PATCH, DELETE, OPTIONS"};
    headers[n++] = (http_header){"Access-Control-Allow-Headers", "Authorization, Content-Type"};
    headers[n++] = (http_header){"Access-Control-Max-Age", "600"};
    headers[n] = (http_header){NULL, NULL};
    rest_log(req, 204, started);
    http_respond(req, 204, NULL, headers, NULL, 0);
}

/* 404 when no pattern matches the path, 405 (with Allow) when only the method is wrong. */
static void rest_refuse_unmatched(struct rest *rest, http_request *req, char **segments, int count,
                                  uint64_t started)
{
    char allow[64] = "";
    const char *values[REST_MAX_SEGMENTS];
    for (int i = 0; i < REST_ROUTE_COUNT; i++) {
        const char *name = rest_method_names[rest_routes[i].method];
        if (rest_match(rest_routes[i].pattern, segments, count, values) && !strstr(allow, name)) {
            size_t used = strlen(allow);
            snprintf(allow + used, sizeof(allow) - used, "%s%s", used ? ", " : "", name);
        }
    }
    if (!allow[0]) {
        rest_fail(rest, req, &ERROR_NOT_FOUND, "no such route", NULL, started);
        return;
    }
    http_header extra[] = {{"Allow", allow}, {NULL, NULL}};
    rest_fail(rest, req, &ERROR_METHOD_NOT_ALLOWED, "method not allowed on this route", extra,
              started);
}

/* The call goes to the database; a refusal to queue it is answered at once. */
static void rest_call_database(struct rest_call *call)
{
    struct rest *rest = call->rest;
    struct db_pool *pool = call->route->slow ? rest->slow_pool : rest->pool;
    int statement = rest->first_statement + (int)(call->route - rest_routes);
    if (db_query(pool, statement, call->args.values, rest_on_result, call) != 0) {
        if (call->req)
            rest_fail(rest, call->req, &ERROR_UNAVAILABLE, NULL, NULL, call->started);
        rest_call_free(call);
    }
}

static void rest_on_guarded(void *data, unsigned retry_after_s)
{
    struct rest_call *call = data;
    if (!call->req) { /* the client left or timed out meanwhile */
        rest_call_free(call);
        return;
    }
    if (retry_after_s) {
        metrics_count(METRICS_REFUSED_CREDENTIALS, 1);
        char seconds[16], message[96];
        snprintf(seconds, sizeof(seconds), "%u", retry_after_s);
        snprintf(message, sizeof(message), "too many attempts; try again in %u seconds",
                 retry_after_s);
        http_header extra[] = {{"Retry-After", seconds}, {NULL, NULL}};
        rest_fail(call->rest, call->req, &ERROR_RATE_LIMITED, message, extra, call->started);
        rest_call_free(call);
        return;
    }
    rest_call_database(call);
}

static void rest_on_request(http_request *req, void *data)
{
    struct rest *rest = data;
    uint64_t started = uv_hrtime();
    http_method method = http_request_method(req);
    if (method == HTTP_OPTIONS) {
        rest_preflight(rest, req, started);
        return;
    }
    char buffer[512];
    char *segments[REST_MAX_SEGMENTS];
    const char *path = http_request_path(req);
    int count = strlen(path) < sizeof(buffer) ? rest_split(strcpy(buffer, path), segments) : -1;
    if (count < 0) {
        rest_fail(rest, req, &ERROR_NOT_FOUND, "no such route", NULL, started);
        return;
    }
    const struct rest_route *route = NULL;
    const char *values[REST_MAX_SEGMENTS];
    for (int i = 0; i < REST_ROUTE_COUNT && !route; i++) {
        const struct rest_route *candidate = &rest_routes[i];
        if (candidate->method == method && rest_match(candidate->pattern, segments, count, values) &&
            (!candidate->when_query || http_request_query(req, candidate->when_query)))
            route = candidate;
    }
    if (!route) {
        rest_refuse_unmatched(rest, req, segments, count, started);
        return;
    }
    if (rest->draining) {
        rest_fail(rest, req, &ERROR_UNAVAILABLE, NULL, NULL, started);
        return;
    }
    struct rest_args args;
    const struct error_kind *kind;
    char message[256];
    if (rest_args_build(&args, route, req, values, &kind, message, sizeof(message))) {
        rest_args_free(&args);
        rest_fail(rest, req, kind, message, NULL, started);
        return;
    }
    struct rest_call *call = calloc(1, sizeof(*call));
    if (!call) {
        rest_args_free(&args);
        rest_fail(rest, req, &ERROR_INTERNAL, NULL, NULL, started);
        return;
    }
    *call = (struct rest_call){rest, req, route, started, args, NULL};
    if (http_request_set_timeout(req, REST_TIMEOUT_MS, rest_on_timeout, call) != 0) {
        rest_args_free(&call->args);
        free(call);
        rest_fail(rest, req, &ERROR_UNAVAILABLE, NULL, NULL, started);
        return;
    }
    rest->pending++;
    http_request_on_gone(req, rest_on_gone, call); /* nothing calls back before this */
    if (!route->slow) {
        rest_call_database(call);
        return;
    }
    /* a password check: the credential guard first (counts per address and per login name) */
    if (strcmp(route->function, "login") == 0 && call->args.values[0])
        call->login = strdup(call->args.values[0]);
    char forwarded[64];
    const char *address = http_request_client(req, rest->config->trust_proxy, forwarded,
                                              sizeof(forwarded));
    credential_guard_before(rest->guard, route->function, address, call->login, rest_on_guarded,
                            call);
}

/* ---- lifetime ---- */

struct rest *rest_new(const struct config *config, struct db_pool *pool, struct db_pool *slow_pool,
                      struct rate_limit *limits)
{
    int first_statement = rest_register_statements(pool);
    if (first_statement < 0)
        return NULL;
    struct rest *rest = calloc(1, sizeof(*rest));
    if (!rest)
        return NULL;
    rest->first_statement = first_statement;
    rest->guard = credential_guard_new(config, limits);
    if (!rest->guard) {
        free(rest);
        return NULL;
    }
    rest->config = config;
    rest->pool = pool;
    rest->slow_pool = slow_pool;
    return rest;
}

void rest_free(struct rest *rest)
{
    if (rest)
        credential_guard_free(rest->guard);
    free(rest);
}

/* A request http_server refuses before reading it whole (413 too large, 400 bad chunked framing
 * or two framings, 501 a transfer coding other than chunked): the JSON error of the API. */
static void rest_on_refused(http_request *req, int status, void *data)
{
    struct rest *rest = data;
    static const struct error_kind not_implemented = {501, "not_implemented",
                                                      "only the chunked transfer coding is accepted"};
    static const struct error_kind bad_framing = {400, "bad_request", "malformed request body framing"};
    const struct error_kind *kind = status == 413   ? &ERROR_PAYLOAD_TOO_LARGE
                                    : status == 501 ? &not_implemented
                                                    : &bad_framing;
    rest_respond_error(rest->config, req, kind, kind->generic, NULL);
}

int rest_attach(struct rest *rest, http_server *server)
{
    http_route route = {
        .prefix = "/api/",
        .max_body = rest->config->max_body,
        .on_request = rest_on_request,
        .on_refused = rest_on_refused,
        .data = rest,
    };
    return http_server_add_route(server, &route);
}

void rest_drain(struct rest *rest) { rest->draining = 1; }

size_t rest_pending(const struct rest *rest) { return rest->pending; }
