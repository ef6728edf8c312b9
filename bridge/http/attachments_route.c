/* The attachments route (see attachments.h): its statements, the dispatch by method and path,
 * errors in the REST shape, the hex coding of bytea, and the expiry timer. */
#include "http/attachments.h"
#include "core/errors.h"
#include "core/log.h"
#include "http/rest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define ATTACHMENTS_EXPIRY_MS (5 * 60 * 1000)
#define ATTACHMENTS_MAX_TOKEN 4096

/* bytea crosses as hex text both ways: bound as text, answered by encode(..., 'hex') */
static const struct db_statement attachments_sql[ATTACHMENTS_SQL_COUNT] = {
    {"att_begin", "SELECT chat.begin_attachment($1, $2, $3::int8, $4::bytea)::text", 4},
    {"att_append", "SELECT chat.append_attachment($1, $2::uuid, $3::int4, $4::bytea)::text", 4},
    {"att_finish", "SELECT chat.finish_attachment($1, $2::uuid)::text", 2},
    {"att_discard", "SELECT chat.discard_attachment($1, $2::uuid)::text", 2},
    {"att_info", "SELECT chat.attachment($1, $2::uuid)::text", 2},
    {"att_read", "SELECT encode(chat.read_attachment($1, $2::uuid, $3::int8, $4::int4), 'hex')", 4},
    {"att_thumbnail", "SELECT encode(chat.attachment_thumbnail($1, $2::uuid), 'hex')", 2},
    {"att_expire", "SELECT chat.expire_attachments()::text", 0},
};

int attachments_query(struct attachments *att, enum attachments_sql sql, const char *const *values,
                      db_callback callback, void *data)
{
    return db_query(att->pool, att->base + (int)sql, values, callback, data);
}

/* Statuses REST has no kind for: the same error shape, with their own code. */
static void attachments_respond_own(http_request *req, int status, const char *code,
                                    const char *message)
{
    char body[256];
    int n = snprintf(body, sizeof body, "{\"error\":{\"code\":\"%s\",\"message\":\"%s\"}}", code,
                     message);
    http_header headers[] = {{"Cache-Control", "no-store"}, {NULL, NULL}};
    http_respond(req, status, "application/json; charset=utf-8", headers, body, (size_t)n);
}

/* The refusal of kind, or for HEAD its status alone (a HEAD answer has no body). */
static void attachments_refuse(struct attachments *att, http_request *req,
                               const struct error_kind *kind, const char *message)
{
    if (http_request_method(req) == HTTP_HEAD) {
        http_header headers[] = {{"Cache-Control", "no-store"}, {NULL, NULL}};
        http_respond(req, kind->status, NULL, headers, NULL, 0);
        return;
    }
    rest_respond_error(att->config, req, kind, message, NULL);
}

void attachments_fail(struct attachments *att, http_request *req, int status, const char *message)
{
    if (status == 411) {
        attachments_respond_own(req, 411, "length_required", message);
        return;
    }
    const struct error_kind *kind = status == 401   ? &ERROR_UNAUTHORIZED
                                    : status == 404 ? &ERROR_NOT_FOUND
                                    : status == 405 ? &ERROR_METHOD_NOT_ALLOWED
                                    : status == 413 ? &ERROR_PAYLOAD_TOO_LARGE
                                    : status == 503 ? &ERROR_UNAVAILABLE
                                    : status >= 500 ? &ERROR_INTERNAL
                                                    : &ERROR_BAD_REQUEST;
    attachments_refuse(att, req, kind, message);
}

void attachments_fail_db(struct attachments *att, http_request *req, const struct db_result *result)
{
    if (result->status == DB_UNAVAILABLE) {
        attachments_refuse(att, req, &ERROR_UNAVAILABLE, NULL);
        return;
    }
    const struct error_kind *kind = errors_from_sqlstate(result->sqlstate);
    if (!errors_message_public(kind)) {
        char message[600];
        log_error("db_error", "function=attachments sqlstate=%s message=%s", result->sqlstate,
                  log_quote(message, sizeof message, result->message));
    }
    attachments_refuse(att, req, kind, result->message);
}

const char *attachments_token(struct attachments *att, http_request *req)
{
    const char *header = http_request_header(req, "authorization");
    if (!header || strncasecmp(header, "Bearer ", 7) != 0) {
        attachments_fail(att, req, 401, "an Authorization: Bearer token is required");
        return NULL;
    }
    const char *token = header + 7;
    while (*token == ' ')
        token++;
    if (!*token || strlen(token) > ATTACHMENTS_MAX_TOKEN) {
        attachments_fail(att, req, 401, "the bearer token is malformed");
        return NULL;
    }
    return token;
}

void attachments_hex(const uint8_t *bytes, size_t len, char *out)
{
    static const char digits[] = "0123456789abcdef";
    out[0] = '\\';
    out[1] = 'x';
    for (size_t i = 0; i < len; i++) {
        out[2 + 2 * i] = digits[bytes[i] >> 4];
        out[3 + 2 * i] = digits[bytes[i] & 15];
    }
    out[2 + 2 * len] = '\0';
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

long attachments_unhex(const char *hex, size_t len, uint8_t *out)
{
    if (len >= 2 && hex[0] == '\\' && hex[1] == 'x') {
        hex += 2;
        len -= 2;
    }
    if (len % 2)
        return -1;
    for (size_t i = 0; i < len / 2; i++) {
        int high = hex_digit(hex[2 * i]), low = hex_digit(hex[2 * i + 1]);
        if (high < 0 || low < 0)
            return -1;
        out[i] = (uint8_t)(high << 4 | low);
    }
    return (long)(len / 2);
}

/* A canonical uuid (36 characters, hex and dashes); the database checks the rest. */
static int attachments_is_uuid(const char *text, size_t len)
{
    if (len != 36)
        return 0;
    for (size_t i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (text[i] != '-')
                return 0;
        } else if (hex_digit(text[i]) < 0) {
            return 0;
        }
    }
    return 1;
}

static void attachments_preflight(struct attachments *att, http_request *req)
{
    http_header headers[8];
    size_t n = rest_cors_headers(att->config, req, headers, 4);
    if (n == 0) {
        rest_respond_error(att->config, req, &ERROR_FORBIDDEN, "this origin is not allowed", NULL);
        return;
    }
    headers[n++] = (http_header){"Access-Control-Allow-Methods", "GET, POST, OPTIONS"};
    headers[n++] = (http_header){"Access-Control-Allow-Headers", "Authorization, Content-Type, Range"};
    headers[n++] = (http_header){"Access-Control-Max-Age", "600"};
    headers[n] = (http_header){NULL, NULL};
    http_respond(req, 204, NULL, headers, NULL, 0);
}

/* /api/attachments (POST), /api/attachments/:id (GET), /api/attachments/:id/thumbnail (GET) */
static void attachments_on_request(http_request *req, void *data)
{
    struct attachments *att = data;
    const char *path = http_request_path(req);
    http_method method = http_request_method(req);
    size_t prefix = strlen("/api/attachments");
    const char *rest = path + prefix;
    if (method == HTTP_OPTIONS) {
        attachments_preflight(att, req);
        return;
    }
    if (strcmp(rest, "") == 0 || strcmp(rest, "/") == 0) {
        if (method != HTTP_POST) {
            attachments_fail(att, req, 405, "method not allowed on this route");
            return;
        }
        attachments_upload(att, req);
        return;
    }
    if (rest[0] != '/') {
        attachments_fail(att, req, 404, "no such route");
        return;
    }
    rest++;
    const char *slash = strchr(rest, '/');
    size_t id_len = slash ? (size_t)(slash - rest) : strlen(rest);
    int thumbnail = slash && strcmp(slash, "/thumbnail") == 0;
    if (!attachments_is_uuid(rest, id_len) || (slash && !thumbnail)) {
        attachments_fail(att, req, 404, "no such route");
        return;
    }
    if (method != HTTP_GET && method != HTTP_HEAD) {
        attachments_fail(att, req, 405, "method not allowed on this route");
        return;
    }
    char id[37];
    memcpy(id, rest, 36);
    id[36] = '\0';
    attachments_download(att, req, id, thumbnail);
}

static void attachments_on_refused(http_request *req, int status, void *data)
{
    struct attachments *att = data;
    attachments_fail(att, req, status,
                     status == 413 ? "the file is too large" : "a Content-Length is required");
}

static void attachments_on_expired(void *data, const struct db_result *result)
{
    (void)data;
    if (result->status == DB_OK && result->value && strcmp(result->value, "0") != 0)
        log_info("attachments_expired", "count=%s", result->value);
}

static void attachments_on_expiry_tick(uv_timer_t *timer)
{
    struct attachments *att = timer->data;
    attachments_query(att, ATTACHMENTS_SQL_EXPIRE, NULL, attachments_on_expired, att);
}

int attachments_start(struct attachments *att, uv_loop_t *loop, http_server *server,
                      const struct config *config, struct db_pool *pool)
{
    att->config = config;
    att->pool = pool;
    att->base = db_pool_register(pool, attachments_sql, ATTACHMENTS_SQL_COUNT);
    if (att->base < 0)
        return -1;
    http_route route = {
        .prefix = "/api/attachments",
        .max_body = ATTACHMENTS_MAX_BODY,
        .on_request = attachments_on_request,
        .on_refused = attachments_on_refused,
        .data = att,
        .stream_body = 1,
    };
    if (http_server_add_route(server, &route) != 0)
        return -1;
    uv_timer_init(loop, &att->expiry);
    att->expiry.data = att;
    uv_timer_start(&att->expiry, attachments_on_expiry_tick, ATTACHMENTS_EXPIRY_MS,
                   ATTACHMENTS_EXPIRY_MS);
    uv_unref((uv_handle_t *)&att->expiry);
    return 0;
}

void attachments_stop(struct attachments *att)
{
    if (att->pool) {
        uv_timer_stop(&att->expiry);
        uv_close((uv_handle_t *)&att->expiry, NULL);
        att->pool = NULL;
    }
}
