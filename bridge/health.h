/* GET /health: the database's and Redis's state, for load balancers and operators. The database
 * is checked by a real round trip through the pool; Redis by a PING every few seconds from a
 * hiredis connection on the loop, re-made when lost. 200 when the database answers (Redis down
 * only degrades: chat goes on without presence), 503 when it does not. */
#ifndef BRIDGE_HEALTH_H
#define BRIDGE_HEALTH_H

#include <uv.h>

#include "config.h"
#include "db.h"
#include "http_server.h"

struct health;

/* statement is the pool's index of a statement returning 'ok'. NULL when out of memory. */
struct health *health_new(uv_loop_t *loop, const struct config *config, struct db_pool *pool,
                          int statement);
/* Registers "/health" on server. Returns 0 or -1. */
int health_attach(struct health *health, http_server *server);
/* "ok", "down" or "unconfigured". */
const char *health_redis_state(const struct health *health);
/* Disconnects Redis and stops the timer; frees itself once its handles are closed. */
void health_close(struct health *health);

/* The statement health_new wants in the pool's array. */
#define HEALTH_STATEMENT {"health", "SELECT 'ok'::text", 0}

#endif
