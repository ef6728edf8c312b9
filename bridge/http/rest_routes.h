/* The REST route table's types, shared by rest.c (which serves it) and rest_params.c (which
 * turns a request into the SQL call's arguments). */
#ifndef BRIDGE_REST_ROUTES_H
#define BRIDGE_REST_ROUTES_H

#include "core/db.h"
#include "protocol/http_server.h"

enum rest_source {
    FROM_NONE = 0,  /* ends a parameter list */
    FROM_TOKEN,     /* Authorization: Bearer <token> */
    FROM_PATH,      /* a :name segment of the pattern */
    FROM_QUERY,     /* ?name=value */
    FROM_BODY,      /* a key of the JSON object body; "a|b" accepts either key */
    FROM_BODY_WHOLE /* the whole JSON object body, as jsonb */
};

/* TYPE_CURSOR: a list position as the API wrote it (a nextCursor), opaque to clients */
enum rest_type { TYPE_TEXT, TYPE_UUID, TYPE_INT, TYPE_BOOL, TYPE_UUID_ARRAY, TYPE_OBJECT, TYPE_CURSOR };

struct rest_param {
    enum rest_source source;
    const char *name;
    enum rest_type type;
    int required;
    const char *fallback; /* sent when absent: the SQL default, which a NULL would not get */
};

struct rest_route {
    http_method method;
    const char *pattern;    /* "/api/conversations/:id/messages" */
    const char *when_query; /* NULL, or the route applies only when this query parameter is set */
    const char *function;   /* in schema chat */
    int slow;               /* hashes a password: runs on the slow pool */
    int status;             /* on success; 204 sends no body */
    struct rest_param params[DB_MAX_PARAMS];
};

#endif
