/* libFuzzer target: a chunked request body through http_chunked_feed, split where the first
 * byte says (so partial feeds are exercised too), checking the decoder never consumes more than
 * it was given, never emits more than the limit, and emits data only from its input. */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol/http_chunked.h"

typedef struct seen {
    const uint8_t *start, *end;
    size_t total;
} seen;

static int check(const uint8_t *data, size_t len, void *arg)
{
    seen *s = arg;
    assert(data >= s->start && data + len <= s->end);
    s->total += len;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    size_t split = data[0];
    const uint8_t *in = data + 1;
    size_t len = size - 1, limit = 1000, at = 0;
    if (split > len)
        split = len;
    http_chunked c;
    http_chunked_init(&c, limit);
    seen s = {in, in + len, 0};
    http_chunked_result r = HTTP_CHUNKED_MORE;
    size_t pieces[2] = {split, len - split};
    for (int i = 0; i < 2 && r == HTTP_CHUNKED_MORE; i++) {
        size_t used = 0;
        r = http_chunked_feed(&c, in + at, pieces[i], &used, check, &s);
        assert(used <= pieces[i]);
        assert(r != HTTP_CHUNKED_MORE || used == pieces[i]);
        at += used;
    }
    assert(s.total <= limit);
    return 0;
}
