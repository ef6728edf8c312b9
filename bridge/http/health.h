/* GET /health: the database's and Redis's state, for load balancers and operators. The database
 * is checked by a real round trip through the pool; Redis is as the bridge's own Redis link says
 * (redis.c, which authenticates and PINGs it). 200 when the database answers (Redis down only
 * degrades: chat goes on without presence), 503 when it does not. */
#ifndef BRIDGE_HEALTH_H
#define BRIDGE_HEALTH_H

#include "core/config.h"
#include "core/db.h"
#include "protocol/http_server.h"

struct health;

/* Registers its round-trip statement with pool. NULL when out of memory. */
struct health *health_new(const struct config *config, struct db_pool *pool);
/* How Redis is now: 1 up, 0 down. Until one is given, Redis is "unconfigured". */
typedef int (*health_redis_probe)(const void *data);
void health_watch_redis(struct health *health, health_redis_probe probe, const void *data);
/* Registers "/health" on server. Returns 0 or -1. */
int health_attach(struct health *health, http_server *server);
/* "ok", "down" or "unconfigured". */
const char *health_redis_state(const struct health *health);
/* Frees itself now, or when the last database call it waits for has answered. */
void health_close(struct health *health);

#endif
