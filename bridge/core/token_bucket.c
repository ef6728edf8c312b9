/* token_bucket (see token_bucket.h). */
#include "core/token_bucket.h"

void token_bucket_init(struct token_bucket *bucket, uint32_t burst, uint64_t now_ms)
{
    bucket->updated_ms = now_ms;
    bucket->tokens_milli = burst * 1000u;
}

int token_bucket_take(struct token_bucket *bucket, uint32_t rate, uint32_t burst, uint64_t now_ms,
                      uint64_t *retry_ms)
{
    uint64_t full = (uint64_t)burst * 1000u;
    if (now_ms > bucket->updated_ms) {
        /* rate tokens a second is rate thousandths a millisecond */
        uint64_t gained = (now_ms - bucket->updated_ms) * rate;
        uint64_t tokens = bucket->tokens_milli + gained;
        bucket->tokens_milli = (uint32_t)(tokens > full ? full : tokens);
        bucket->updated_ms = now_ms;
    }
    if (bucket->tokens_milli >= 1000u) {
        bucket->tokens_milli -= 1000u;
        return 1;
    }
    if (retry_ms)
        *retry_ms = rate ? (1000u - bucket->tokens_milli + rate - 1) / rate : UINT64_MAX;
    return 0;
}
