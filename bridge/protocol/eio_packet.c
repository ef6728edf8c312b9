/* eio_packet: decoding and encoding Engine.IO v4 packets and polling payloads. */
#include "protocol/eio_packet.h"

#include <stdlib.h>
#include <string.h>

#include "protocol/eio_base64.h"

int eio_buf_append(eio_buf *buf, const void *bytes, size_t len)
{
    if (buf->len + len > buf->cap) {
        size_t cap = buf->cap ? buf->cap : 256;
        while (cap < buf->len + len)
            cap *= 2;
        uint8_t *grown = realloc(buf->data, cap);
        if (!grown)
            return -1;
        buf->data = grown;
        buf->cap = cap;
    }
    if (len)
        memcpy(buf->data + buf->len, bytes, len);
    buf->len += len;
    return 0;
}

void eio_buf_free(eio_buf *buf)
{
    free(buf->data);
    buf->data = NULL;
    buf->len = buf->cap = 0;
}

int eio_packet_decode(const uint8_t *frame, size_t len, int binary, eio_packet *out)
{
    if (binary) {
        *out = (eio_packet){EIO_MESSAGE, 1, frame, len};
        return 0;
    }
    if (len == 0 || frame[0] < '0' || frame[0] > '6')
        return -1;
    *out = (eio_packet){(eio_packet_type)(frame[0] - '0'), 0, frame + 1, len - 1};
    return 0;
}

/* One record of a polling body: text packet, or 'b' + base64. Validates only when out is NULL. */
static int decode_record(const uint8_t *rec, size_t len, eio_packet *out, uint8_t **scratch)
{
    if (len > 0 && rec[0] == 'b') {
        long n = eio_base64_decode((const char *)rec + 1, len - 1, NULL);
        if (n < 0)
            return -1;
        if (!out)
            return 0;
        *scratch = malloc(n ? (size_t)n : 1);
        if (!*scratch)
            return -3;
        eio_base64_decode((const char *)rec + 1, len - 1, *scratch);
        *out = (eio_packet){EIO_MESSAGE, 1, *scratch, (size_t)n};
        return 0;
    }
    eio_packet ignored;
    return eio_packet_decode(rec, len, 0, out ? out : &ignored);
}

int eio_payload_decode(const uint8_t *body, size_t len, size_t max_packets,
                       int (*on_packet)(const eio_packet *, void *), void *data)
{
    size_t count = 0;
    for (int deliver = 0; deliver < 2; deliver++) {
        size_t at = 0;
        count = 0;
        for (;;) {
            const uint8_t *sep = memchr(body + at, EIO_RECORD_SEPARATOR, len - at);
            size_t rec_len = sep ? (size_t)(sep - (body + at)) : len - at;
            if (!deliver) {
                if (++count > max_packets || decode_record(body + at, rec_len, NULL, NULL))
                    return -1;
            } else {
                eio_packet packet;
                uint8_t *scratch = NULL;
                int rc = decode_record(body + at, rec_len, &packet, &scratch);
                if (rc == -3)
                    return -3;
                int stop = rc == 0 ? on_packet(&packet, data) : 0;
                free(scratch);
                count++;
                if (stop)
                    return -2;
            }
            if (!sep)
                break;
            at += rec_len + 1;
        }
    }
    return (int)count;
}

size_t eio_payload_cost(size_t len, int binary)
{
    return 1 + (binary ? 1 + eio_base64_encoded_len(len) : 1 + len);
}

int eio_payload_append(eio_buf *body, eio_packet_type type, const uint8_t *data, size_t len,
                       int binary)
{
    size_t start = body->len;
    size_t need = eio_payload_cost(len, binary);
    if (body->len + need > body->cap) {
        /* grow once, so a failure leaves the body as it was */
        size_t cap = body->cap ? body->cap : 256;
        while (cap < body->len + need)
            cap *= 2;
        uint8_t *grown = realloc(body->data, cap);
        if (!grown)
            return -1;
        body->data = grown;
        body->cap = cap;
    }
    uint8_t *p = body->data + start;
    if (start)
        *p++ = EIO_RECORD_SEPARATOR;
    if (binary) {
        *p++ = 'b';
        eio_base64_encode(data, len, (char *)p);
        p += eio_base64_encoded_len(len);
    } else {
        *p++ = (uint8_t)('0' + type);
        if (len)
            memcpy(p, data, len);
        p += len;
    }
    body->len = (size_t)(p - body->data);
    return 0;
}
