/* Turns one HTTP request into the text arguments of its SQL call, checking each against the
 * route's declared source and JSON type, so that a bad request never reaches the database. */
#ifndef BRIDGE_REST_PARAMS_H
#define BRIDGE_REST_PARAMS_H

#include <stddef.h>

#include "core/errors.h"
#include "http/rest_routes.h"

#define REST_MAX_ARRAY 1000   /* ids in one array argument */
#define REST_MAX_TOKEN 4096

struct rest_args {
    const char *values[DB_MAX_PARAMS]; /* NULL: SQL NULL */
    char *owned[DB_MAX_PARAMS];        /* what rest_args_free frees */
    void *body;                        /* the parsed JSON body (json_t), if any */
};

/* Fills args for route from req; path_values holds the :name segments in pattern order.
 * Returns 0, or -1 with *kind and message (a sentence for the client) set. Either way the
 * caller calls rest_args_free. */
int rest_args_build(struct rest_args *args, const struct rest_route *route, http_request *req,
                    const char *const *path_values, const struct error_kind **kind,
                    char *message, size_t size);
void rest_args_free(struct rest_args *args);

/* Whether text is valid UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF). */
int rest_valid_utf8(const char *text, size_t length);

#endif
