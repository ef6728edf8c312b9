/* Arguments of a REST call from its token, path, query and JSON body (see rest_params.h). */
#include "http/rest_params.h"
#include "core/ids.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

int rest_valid_utf8(const char *text, size_t length)
{
    const unsigned char *p = (const unsigned char *)text, *end = p + length;
    while (p < end) {
        unsigned char c = *p;
        size_t need;
        unsigned min;
        unsigned code;
        if (c < 0x80) {
            p++;
            continue;
        } else if ((c & 0xe0) == 0xc0) {
            need = 1, min = 0x80, code = c & 0x1f;
        } else if ((c & 0xf0) == 0xe0) {
            need = 2, min = 0x800, code = c & 0x0f;
        } else if ((c & 0xf8) == 0xf0) {
            need = 3, min = 0x10000, code = c & 0x07;
        } else {
            return 0;
        }
        if ((size_t)(end - p) <= need)
            return 0;
        for (size_t i = 1; i <= need; i++) {
            if ((p[i] & 0xc0) != 0x80)
                return 0;
            code = (code << 6) | (p[i] & 0x3f);
        }
        if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff))
            return 0;
        p += need + 1;
    }
    return 1;
}

/* A cursor as the extension writes nextCursor: "<microseconds>_<uuid>" (the conversation list)
 * or "<microseconds>_<uuid>_<seq>" (search results). The extension checks it again; this spares
 * the database what is plainly not one. */
static int rest_is_cursor(const char *text)
{
    char uuid[IDS_UUID_LEN + 1];
    size_t digits = strspn(text, "0123456789");
    if (digits == 0 || digits > 18 || text[digits] != '_')
        return 0;
    text += digits + 1;
    if (strlen(text) == 36)
        return ids_is_uuid(text);
    if (strlen(text) < 38 || text[36] != '_')
        return 0;
    memcpy(uuid, text, 36);
    uuid[36] = '\0';
    digits = strspn(text + 37, "0123456789");
    return ids_is_uuid(uuid) && digits > 0 && digits <= 18 && text[37 + digits] == '\0';
}

/* A whole number written plainly: what a seq or a limit in a query string may be. */
static int rest_is_integer_text(const char *text)
{
    const char *p = text + (text[0] == '-');
    size_t digits = strspn(p, "0123456789");
    return digits > 0 && digits <= 18 && p[digits] == '\0';
}

static const char *rest_type_name(enum rest_type type)
{
    switch (type) {
    case TYPE_TEXT: return "a string";
    case TYPE_UUID: return "a UUID string";
    case TYPE_INT: return "an integer";
    case TYPE_BOOL: return "true or false";
    case TYPE_UUID_ARRAY: return "an array of UUID strings";
    case TYPE_OBJECT: return "an object";
    case TYPE_CURSOR: return "the nextCursor of a previous page";
    }
    return "a value";
}

/* A text value from the path or the query string. */
static int rest_text_value(struct rest_args *args, int i, const struct rest_param *param,
                           const char *text, char *message, size_t size)
{
    if (!rest_valid_utf8(text, strlen(text))) {
        snprintf(message, size, "%s is not valid UTF-8", param->name);
        return -1;
    }
    int ok = param->type == TYPE_TEXT || (param->type == TYPE_UUID && ids_is_uuid(text)) ||
             (param->type == TYPE_INT && rest_is_integer_text(text)) ||
             (param->type == TYPE_CURSOR && rest_is_cursor(text));
    if (!ok) {
        snprintf(message, size, "%s must be %s", param->name, rest_type_name(param->type));
        return -1;
    }
    args->values[i] = text;
    return 0;
}

static char *rest_uuid_array(const json_t *array)
{
    size_t count = json_array_size(array);
    if (count > REST_MAX_ARRAY)
        return NULL;
    char *out = malloc(count * 37 + 3);
    if (!out)
        return NULL;
    size_t used = 0;
    out[used++] = '{';
    for (size_t i = 0; i < count; i++) {
        const char *id = json_string_value(json_array_get(array, i));
        if (!id || !ids_is_uuid(id)) {
            free(out);
            return NULL;
        }
        if (i)
            out[used++] = ',';
        memcpy(out + used, id, 36);
        used += 36;
    }
    out[used++] = '}';
    out[used] = '\0';
    return out;
}

/* A value from the JSON body, converted to the text PostgreSQL parses. */
static int rest_json_value(struct rest_args *args, int i, const struct rest_param *param,
                           const json_t *value, char *message, size_t size)
{
    char number[32];
    switch (param->type) {
    case TYPE_TEXT:
        if (!json_is_string(value))
            break;
        args->values[i] = json_string_value(value);
        return 0;
    case TYPE_UUID:
        if (!json_is_string(value) || !ids_is_uuid(json_string_value(value)))
            break;
        args->values[i] = json_string_value(value);
        return 0;
    case TYPE_INT:
        if (!json_is_integer(value))
            break;
        snprintf(number, sizeof(number), "%" JSON_INTEGER_FORMAT, json_integer_value(value));
        args->owned[i] = strdup(number);
        args->values[i] = args->owned[i];
        return args->owned[i] ? 0 : -1;
    case TYPE_BOOL:
        if (!json_is_boolean(value))
            break;
        args->values[i] = json_is_true(value) ? "true" : "false";
        return 0;
    case TYPE_UUID_ARRAY:
        if (!json_is_array(value) || !(args->owned[i] = rest_uuid_array(value)))
            break;
        args->values[i] = args->owned[i];
        return 0;
    case TYPE_CURSOR: /* only ever in a query string */
        break;
    case TYPE_OBJECT:
        if (!json_is_object(value) || !(args->owned[i] = json_dumps(value, JSON_COMPACT)))
            break;
        args->values[i] = args->owned[i];
        return 0;
    }
    if (param->type == TYPE_UUID_ARRAY)
        snprintf(message, size, "%s must be %s (at most %d)", param->name,
                 rest_type_name(param->type), REST_MAX_ARRAY);
    else
        snprintf(message, size, "%s must be %s", param->name, rest_type_name(param->type));
    return -1;
}

/* The first of the "a|b" keys present in body with a non-null value, or NULL. */
static const json_t *rest_body_lookup(const json_t *body, const char *names)
{
    char key[64];
    while (*names) {
        size_t len = strcspn(names, "|");
        if (len < sizeof(key)) {
            memcpy(key, names, len);
            key[len] = '\0';
            const json_t *value = json_object_get(body, key);
            if (value && !json_is_null(value))
                return value;
        }
        names += len + (names[len] == '|');
    }
    return NULL;
}

/* Whether the route reads a body: 2 when a body parameter is required, 1 when all of them are
 * optional (the body may then be left out: DELETE /api/messages/:id/reaction), 0 when none. */
static int rest_route_has_body(const struct rest_route *route)
{
    int reads = 0;
    for (int i = 0; i < DB_MAX_PARAMS && route->params[i].source; i++) {
        if (route->params[i].source == FROM_BODY || route->params[i].source == FROM_BODY_WHOLE)
            reads = route->params[i].required ? 2 : (reads ? reads : 1);
        if (reads == 2)
            break;
    }
    return reads;
}

static int rest_parse_body(struct rest_args *args, http_request *req, char *message, size_t size)
{
    size_t length;
    const uint8_t *text = http_request_body(req, &length);
    json_error_t error;
    /* jansson refuses invalid UTF-8 and \u0000 in strings, as PostgreSQL's text would */
    json_t *body = json_loadb((const char *)text, length, JSON_REJECT_DUPLICATES, &error);
    if (!body) {
        if (length == 0)
            snprintf(message, size, "a JSON object body is required");
        else
            snprintf(message, size, "malformed JSON body: %s", error.text);
        return -1;
    }
    args->body = body;
    if (!json_is_object(body)) {
        snprintf(message, size, "the body must be a JSON object");
        return -1;
    }
    return 0;
}

static int rest_token(struct rest_args *args, int i, http_request *req, char *message, size_t size)
{
    const char *header = http_request_header(req, "authorization");
    if (!header || strncasecmp(header, "Bearer ", 7) != 0) {
        snprintf(message, size, "an Authorization: Bearer token is required");
        return -1;
    }
    const char *token = header + 7;
    while (*token == ' ')
        token++;
    if (!*token || strlen(token) > REST_MAX_TOKEN || !rest_valid_utf8(token, strlen(token))) {
        snprintf(message, size, "the bearer token is malformed");
        return -1;
    }
    args->values[i] = token;
    return 0;
}

int rest_args_build(struct rest_args *args, const struct rest_route *route, http_request *req,
                    const char *const *path_values, const struct error_kind **kind,
                    char *message, size_t size)
{
    memset(args, 0, sizeof(*args));
    *kind = &ERROR_BAD_REQUEST;
    /* the token first: an anonymous caller learns nothing about the rest of its request */
    for (int i = 0; i < DB_MAX_PARAMS && route->params[i].source; i++) {
        if (route->params[i].source == FROM_TOKEN && rest_token(args, i, req, message, size)) {
            *kind = &ERROR_UNAUTHORIZED;
            return -1;
        }
    }
    int reads = rest_route_has_body(route);
    size_t body_length = 0;
    http_request_body(req, &body_length);
    if (reads && (reads == 2 || body_length > 0) && rest_parse_body(args, req, message, size))
        return -1;
    int path_index = 0;
    for (int i = 0; i < DB_MAX_PARAMS && route->params[i].source; i++) {
        const struct rest_param *param = &route->params[i];
        const char *text = NULL;
        const json_t *value = NULL;
        switch (param->source) {
        case FROM_NONE:
        case FROM_TOKEN:
            continue;
        case FROM_PATH:
            if (rest_text_value(args, i, param, path_values[path_index++], message, size))
                return -1;
            continue;
        case FROM_QUERY:
            text = http_request_query(req, param->name);
            if (text && text[0] && rest_text_value(args, i, param, text, message, size))
                return -1;
            break;
        case FROM_BODY:
            value = rest_body_lookup(args->body, param->name);
            if (value && rest_json_value(args, i, param, value, message, size))
                return -1;
            break;
        case FROM_BODY_WHOLE:
            if (rest_json_value(args, i, param, args->body, message, size))
                return -1;
            continue;
        }
        if (args->values[i])
            continue;
        if (param->required) {
            snprintf(message, size, "%s is required", param->name);
            return -1;
        }
        args->values[i] = param->fallback; /* NULL when the SQL default is NULL */
    }
    return 0;
}

void rest_args_free(struct rest_args *args)
{
    for (int i = 0; i < DB_MAX_PARAMS; i++)
        free(args->owned[i]);
    json_decref((json_t *)args->body);
    memset(args, 0, sizeof(*args));
}
