/* The one table from PostgreSQL's SQLSTATE to an HTTP status and a stable error code
 * (docs/rest.md lists it), the JSON error body every refusal of the bridge carries (REST answers
 * and socket acks alike), and the one log line of a database error the client is not shown. */
#ifndef BRIDGE_ERRORS_H
#define BRIDGE_ERRORS_H

#include <jansson.h>
#include <stddef.h>

#include "core/db.h"

struct error_kind {
    int status;         /* HTTP status */
    const char *code;   /* stable machine code: bad_request, unauthorized, ... */
    const char *generic; /* message shown when the database's own one must not be (5xx) */
};

extern const struct error_kind ERROR_BAD_REQUEST, ERROR_UNAUTHORIZED, ERROR_FORBIDDEN,
    ERROR_NOT_FOUND, ERROR_METHOD_NOT_ALLOWED, ERROR_CONFLICT, ERROR_PAYLOAD_TOO_LARGE,
    ERROR_RATE_LIMITED, ERROR_UNAVAILABLE, ERROR_INTERNAL;

/* The kind for a SQLSTATE (NULL or unknown: internal). Never NULL. */
const struct error_kind *errors_from_sqlstate(const char *sqlstate);

/* Whether the database's message may be shown to the client: true for 4xx refusals, whose
 * messages the extension writes for people; false for 5xx, whose detail goes to the log only. */
int errors_message_public(const struct error_kind *kind);

/* {"error": {"code", "message"}} for a kind; message NULL or not public (5xx): the generic one.
 * NULL only when out of memory. */
json_t *errors_json(const struct error_kind *kind, const char *message);
/* The same as a malloc'd compact text; NULL only when out of memory. */
char *errors_body(const struct error_kind *kind, const char *message, size_t *length);

/* Logs a database refusal whose message the client is not shown (5xx: db_error with `what`, the
 * function called, and the server's message and detail). Nothing for DB_OK, DB_UNAVAILABLE or a
 * 4xx refusal. */
void errors_log_db(const struct db_result *result, const char *what);
/* The kind for an answer that is not DB_OK (DB_UNAVAILABLE: unavailable), logged as above. */
const struct error_kind *errors_from_db(const struct db_result *result, const char *what);
/* errors_json of that kind with the server's message: the answer to a failed call. */
json_t *errors_db_json(const struct db_result *result, const char *what);

#endif
