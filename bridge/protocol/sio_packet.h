/* sio_packet: the Socket.IO v5 packet codec (the default parser's text format):
 *   <type>[<attachments>-][<namespace>,][<ack id>][JSON payload]
 * Binary attachments travel as the following Engine.IO binary messages; in the JSON they are
 * placeholders {"_placeholder":true,"num":N}. Decoding checks what the reference parser checks
 * (payload shape per type, reserved event names) and every bound. */
#ifndef SIO_PACKET_H
#define SIO_PACKET_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

/* Socket.IO's packet types, numbered by its spec (alike in shape to Engine.IO's table). */
typedef enum sio_packet_type {
    SIO_CONNECT = 0,
    SIO_DISCONNECT = 1,
    SIO_EVENT = 2,
    SIO_ACK = 3,
    SIO_CONNECT_ERROR = 4,
    SIO_BINARY_EVENT = 5,
    SIO_BINARY_ACK = 6
} sio_packet_type;

#define SIO_MAX_NAMESPACE 128
#define SIO_MAX_ACK_ID 999999999999999LL  /* 15 digits: exact as a JavaScript number */

typedef struct sio_packet {
    sio_packet_type type;
    char nsp[SIO_MAX_NAMESPACE + 1];
    int64_t id;              /* -1 when there is none */
    size_t attachments;      /* announced by binary packets */
    json_t *data;            /* owned; NULL when absent */
} sio_packet;

/* Decodes the text part of a packet into *out (cleared first). Returns 0, or -1 with a
 * human-readable reason in *error (a static string); *out then holds nothing. */
int sio_packet_decode(const char *text, size_t len, size_t max_attachments, sio_packet *out,
                      const char **error);
void sio_packet_clear(sio_packet *packet);   /* releases data; the packet may be reused */

/* Checks that every placeholder in `data` names an attachment below `attachments`.
 * Returns 0, or -1 when a placeholder is malformed or out of range. */
int sio_placeholders_check(const json_t *data, size_t attachments);

/* Encodes the text part. Returns a malloc'd string (length in *len) or NULL out of memory. */
char *sio_packet_encode(sio_packet_type type, const char *nsp, int64_t id, size_t attachments,
                        const json_t *data, size_t *len);

#endif
