/* SQLSTATE to HTTP, as one table (see errors.h). */
#include "core/errors.h"
#include "core/log.h"

#include <string.h>

const struct error_kind ERROR_BAD_REQUEST = {400, "bad_request", "bad request"};
const struct error_kind ERROR_UNAUTHORIZED = {401, "unauthorized", "not authenticated"};
const struct error_kind ERROR_FORBIDDEN = {403, "forbidden", "not allowed"};
const struct error_kind ERROR_NOT_FOUND = {404, "not_found", "not found"};
const struct error_kind ERROR_METHOD_NOT_ALLOWED = {405, "method_not_allowed", "method not allowed"};
const struct error_kind ERROR_CONFLICT = {409, "conflict", "conflict"};
const struct error_kind ERROR_PAYLOAD_TOO_LARGE = {413, "payload_too_large", "payload too large"};
const struct error_kind ERROR_RATE_LIMITED = {429, "rate_limited", "too many requests, slow down"};
const struct error_kind ERROR_UNAVAILABLE = {503, "unavailable", "the database is unavailable, retry shortly"};
const struct error_kind ERROR_INTERNAL = {500, "internal", "internal error"};

/* A class ("08") or a full code ("28000"); the first match wins, so full codes come first. */
static const struct {
    const char *sqlstate;
    const struct error_kind *kind;
} errors_map[] = {
    {"22023", &ERROR_BAD_REQUEST},       /* invalid_parameter_value */
    {"22001", &ERROR_BAD_REQUEST},       /* string_data_right_truncation */
    {"23514", &ERROR_BAD_REQUEST},       /* check_violation */
    {"22P02", &ERROR_BAD_REQUEST},       /* invalid_text_representation (a bad uuid) */
    {"22003", &ERROR_BAD_REQUEST},       /* numeric_value_out_of_range */
    {"22021", &ERROR_BAD_REQUEST},       /* character_not_in_repertoire (bad UTF-8) */
    {"28000", &ERROR_UNAUTHORIZED},      /* invalid_authorization_specification */
    {"42501", &ERROR_FORBIDDEN},         /* insufficient_privilege */
    {"P0002", &ERROR_NOT_FOUND},         /* no_data_found */
    {"23505", &ERROR_CONFLICT},          /* unique_violation */
    {"54000", &ERROR_PAYLOAD_TOO_LARGE}, /* program_limit_exceeded */
    {"53300", &ERROR_UNAVAILABLE},       /* too_many_connections */
    {"57P01", &ERROR_UNAVAILABLE},       /* admin_shutdown */
    {"57P02", &ERROR_UNAVAILABLE},       /* crash_shutdown */
    {"57P03", &ERROR_UNAVAILABLE},       /* cannot_connect_now (starting up) */
    {"08", &ERROR_UNAVAILABLE},          /* connection exceptions */
};

const struct error_kind *errors_from_sqlstate(const char *sqlstate)
{
    if (!sqlstate)
        return &ERROR_INTERNAL;
    for (size_t i = 0; i < sizeof(errors_map) / sizeof(errors_map[0]); i++) {
        const char *code = errors_map[i].sqlstate;
        if (strncmp(sqlstate, code, strlen(code)) == 0)
            return errors_map[i].kind;
    }
    return &ERROR_INTERNAL;
}

int errors_message_public(const struct error_kind *kind) { return kind->status < 500; }

json_t *errors_json(const struct error_kind *kind, const char *message)
{
    if (!message || !errors_message_public(kind))
        message = kind->generic;
    json_t *body = json_pack("{s:{s:s,s:s}}", "error", "code", kind->code, "message", message);
    if (!body) /* a message that is not valid UTF-8: fall back to the generic one */
        body = json_pack("{s:{s:s,s:s}}", "error", "code", kind->code, "message", kind->generic);
    return body;
}

char *errors_body(const struct error_kind *kind, const char *message, size_t *length)
{
    json_t *body = errors_json(kind, message);
    char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);
    if (text && length)
        *length = strlen(text);
    return text;
}

void errors_log_db(const struct db_result *result, const char *what)
{
    if (result->status != DB_ERROR || errors_message_public(errors_from_sqlstate(result->sqlstate)))
        return;
    char message[600], detail[600];
    log_error("db_error", "function=%s sqlstate=%s message=%s detail=%s", what,
              result->sqlstate ? result->sqlstate : "none",
              log_quote(message, sizeof(message), result->message),
              log_quote(detail, sizeof(detail), result->detail));
}

const struct error_kind *errors_from_db(const struct db_result *result, const char *what)
{
    if (result->status == DB_UNAVAILABLE)
        return &ERROR_UNAVAILABLE;
    errors_log_db(result, what);
    return errors_from_sqlstate(result->sqlstate);
}

json_t *errors_db_json(const struct db_result *result, const char *what)
{
    const struct error_kind *kind = errors_from_db(result, what);
    return errors_json(kind, kind == &ERROR_UNAVAILABLE ? NULL : result->message);
}
