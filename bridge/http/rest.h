/* The REST face of the bridge: one table maps method + path pattern to one function of the SQL
 * API, with where each argument comes from (token, path, query, JSON body) and the JSON type it
 * must have. Results pass through untouched; refusals become {"error":{code,message}}. */
#ifndef BRIDGE_REST_H
#define BRIDGE_REST_H

#include <stddef.h>

#include "core/config.h"
#include "core/db.h"
#include "core/errors.h"
#include "protocol/http_server.h"
#include "http/rate_limit.h"

struct rest;

/* The REST layer on two pools: pool for ordinary calls, slow_pool for the calls that hash a
 * password (register, login, change_password), which pass the credential guard first, counting
 * in limits. Registers a statement per route with the pools' catalog (they share one).
 * config, the pools and limits must outlive it. NULL when out of memory. */
struct rest *rest_new(const struct config *config, struct db_pool *pool, struct db_pool *slow_pool,
                      struct rate_limit *limits);
void rest_free(struct rest *rest);

/* Registers the "/api/" prefix on server. Returns 0 or -1. */
int rest_attach(struct rest *rest, http_server *server);

/* From now on new requests get 503 (the process is stopping); calls in flight still finish. */
void rest_drain(struct rest *rest);
/* How many requests wait for the database. */
size_t rest_pending(const struct rest *rest);

/* The CORS headers for req's Origin (none when it has none or it is not allowed), written to
 * out (room for `room` entries, the last one left as {NULL, NULL}). Returns how many. */
size_t rest_cors_headers(const struct config *config, const http_request *req, http_header *out,
                         size_t room);

/* Answers req with a JSON error of that kind and message, plus extra headers (may be NULL). */
void rest_respond_error(const struct config *config, http_request *req,
                        const struct error_kind *kind, const char *message,
                        const http_header *extra);

#endif
