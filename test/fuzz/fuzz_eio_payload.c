/* libFuzzer target: a polling body through eio_payload_decode; every packet delivered is
 * re-encoded, and decoding that again must give the same packets. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/eio_packet.h"

static int reencode(const eio_packet *p, void *data)
{
    eio_buf *out = data;
    assert(eio_payload_append(out, p->type, p->data, p->len, p->binary) == 0);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    eio_buf first = {0}, second = {0};
    int n = eio_payload_decode(data, size, 1000, reencode, &first);
    if (n > 0) {
        int m = eio_payload_decode(first.data, first.len, 1000, reencode, &second);
        assert(m == n);
        assert(first.len == second.len && memcmp(first.data, second.data, first.len) == 0);
    } else {
        assert(first.len == 0);   /* a refused body delivered nothing */
    }
    eio_buf_free(&first);
    eio_buf_free(&second);
    return 0;
}
