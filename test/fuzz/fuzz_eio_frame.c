/* libFuzzer target: one websocket frame through eio_packet_decode (first byte picks text or
 * binary), checking the decoded view stays inside the input. */
#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol/eio_packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    int binary = data[0] & 1;
    eio_packet p;
    if (eio_packet_decode(data + 1, size - 1, binary, &p) == 0) {
        assert(p.data >= data + 1 && p.data + p.len <= data + size);
        assert(p.type <= EIO_NOOP);
    }
    return 0;
}
