/* The one table from PostgreSQL's SQLSTATE to an HTTP status and a stable error code
 * (docs/rest.md lists it), and the JSON error body every refusal of the bridge carries. */
#ifndef BRIDGE_ERRORS_H
#define BRIDGE_ERRORS_H

#include <stddef.h>

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

/* A malloc'd body {"error":{"code":...,"message":...}}; NULL only when out of memory. */
char *errors_body(const struct error_kind *kind, const char *message, size_t *length);

#endif
