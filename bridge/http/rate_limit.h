/* rate_limit: counters in fixed windows, shared by every bridge through Redis and kept in this
 * process while Redis is away. A key ("login:ip:10.0.0.7") counts hits for window_s seconds from
 * its first one, then starts again from zero. The policies that use it are elsewhere
 * (credential_guard.c); this only counts. */
#ifndef BRIDGE_RATE_LIMIT_H
#define BRIDGE_RATE_LIMIT_H

#include <stdint.h>

#include "presence/redis.h"

#define RATE_LIMIT_MAX_KEY 300 /* longer keys are cut: a limit per prefix is still a limit */

struct rate_limit;

/* NULL when out of memory. */
struct rate_limit *rate_limit_new(void);
/* Counts in Redis from now on while the link is up (NULL: locally only). redis must outlive
 * the use, or be unset first. */
void rate_limit_use_redis(struct rate_limit *limits, struct redis *redis);
void rate_limit_free(struct rate_limit *limits);

/* The count of key after adding `add` (0 only reads it), and the seconds until its window ends
 * (0 when nothing was counted). */
typedef void (*rate_limit_fn)(void *data, unsigned count, unsigned retry_after_s);

/* Counts; done runs exactly once, now (local count) or later (Redis's answer). */
void rate_limit_count(struct rate_limit *limits, const char *key, unsigned add, unsigned window_s,
                      rate_limit_fn done, void *data);

#endif
