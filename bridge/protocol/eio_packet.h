/* eio_packet: the Engine.IO v4 packet codec. A websocket frame holds one packet; a polling body
 * holds packets separated by \x1e, binary ones as 'b' + base64. Decoders point into the input
 * (no copies) and validate a whole payload before handing out any packet. */
#ifndef EIO_PACKET_H
#define EIO_PACKET_H

#include <stddef.h>
#include <stdint.h>

/* Engine.IO's packet types, numbered by its spec (Socket.IO's, alike in shape, sit in
 * sio_packet.h: two protocols, two tables). */
typedef enum eio_packet_type {
    EIO_OPEN = 0,
    EIO_CLOSE = 1,
    EIO_PING = 2,
    EIO_PONG = 3,
    EIO_MESSAGE = 4,
    EIO_UPGRADE = 5,
    EIO_NOOP = 6
} eio_packet_type;

#define EIO_RECORD_SEPARATOR 0x1e

typedef struct eio_packet {
    eio_packet_type type;
    int binary;            /* binary data (only MESSAGE packets can be binary) */
    const uint8_t *data;   /* the payload after the type; not NUL-terminated */
    size_t len;
} eio_packet;

/* A growable byte buffer; zero-initialise, then eio_buf_free. */
typedef struct eio_buf {
    uint8_t *data;
    size_t len, cap;
} eio_buf;

int eio_buf_append(eio_buf *buf, const void *bytes, size_t len); /* 0, or -1 out of memory */
void eio_buf_free(eio_buf *buf);

/* One websocket frame into *out. Returns 0, or -1 for an empty frame or an unknown type. */
int eio_packet_decode(const uint8_t *frame, size_t len, int binary, eio_packet *out);

/* A polling body: checks every packet first (at most max_packets of them); only if all are
 * valid, calls on_packet for each in order (binary data decoded into a temporary buffer).
 * Returns the number of packets, -1 if the body is invalid (nothing was delivered), -2 if
 * on_packet asked to stop by returning non-zero, -3 when out of memory. */
int eio_payload_decode(const uint8_t *body, size_t len, size_t max_packets,
                       int (*on_packet)(const eio_packet *packet, void *data), void *data);

/* Appends one packet to a polling body, with a separator first unless the body is empty.
 * Returns 0, or -1 when out of memory (the buffer is unchanged then). */
int eio_payload_append(eio_buf *body, eio_packet_type type, const uint8_t *data, size_t len,
                       int binary);
/* Bytes eio_payload_append would add for this packet to a non-empty body. */
size_t eio_payload_cost(size_t len, int binary);

#endif
