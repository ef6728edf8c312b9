/* token_bucket: a rate limit in two numbers. A bucket holds up to `burst` tokens and gains `rate`
 * per second; each event takes one, and an event that finds it empty is refused. Small enough to
 * sit in every socket's state. */
#ifndef BRIDGE_TOKEN_BUCKET_H
#define BRIDGE_TOKEN_BUCKET_H

#include <stdint.h>

struct token_bucket {
    uint64_t updated_ms; /* when tokens was last brought up to date */
    uint32_t tokens_milli; /* thousandths of a token, so slow rates refill smoothly */
};

/* A full bucket at now_ms. */
void token_bucket_init(struct token_bucket *bucket, uint32_t burst, uint64_t now_ms);

/* Takes one token at now_ms: 1 when there was one, 0 when the event must be refused; then
 * *retry_ms (if not NULL) says when the next token comes. */
int token_bucket_take(struct token_bucket *bucket, uint32_t rate, uint32_t burst, uint64_t now_ms,
                      uint64_t *retry_ms);

#endif
