/* libFuzzer target: sio_packet_decode; a packet that decodes is encoded and decoded again, and
 * must come back the same (type, namespace, ack id, attachments, payload). */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/sio_packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *error;
    sio_packet p, q;
    if (sio_packet_decode((const char *)data, size, 10, &p, &error))
        return 0;
    size_t len;
    char *text = sio_packet_encode(p.type, p.nsp, p.id, p.attachments, p.data, &len);
    assert(text);
    int rc = sio_packet_decode(text, len, 10, &q, &error);
    assert(rc == 0);
    assert(q.type == p.type && q.id == p.id && q.attachments == p.attachments);
    assert(strcmp(q.nsp, p.nsp) == 0 || (p.nsp[0] == '/' && p.nsp[1] == '\0'));
    assert((!p.data && !q.data) || json_equal(p.data, q.data));
    free(text);
    sio_packet_clear(&p);
    sio_packet_clear(&q);
    return 0;
}
