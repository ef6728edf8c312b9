/* http_chunked: a decoder for request bodies in the chunked transfer coding (RFC 9112 section
 * 7.1), fed whatever bytes the socket delivers, in pieces of any size. It is a small state
 * machine with bounded memory: a chunk-size line (with its extensions) and the trailer section
 * have fixed limits, and the sum of the announced chunk sizes may not pass `limit`, so an
 * oversized body is refused on its first chunk-size line, before its data arrives. Trailer
 * fields are read and ignored. Line ends must be CRLF. No allocation, no I/O. */
#ifndef HTTP_CHUNKED_H
#define HTTP_CHUNKED_H

#include <stddef.h>
#include <stdint.h>

#define HTTP_CHUNKED_MAX_LINE 256      /* one chunk-size line: hex digits and extensions */
#define HTTP_CHUNKED_MAX_TRAILER 4096  /* the whole trailer section */

typedef enum http_chunked_result {
    HTTP_CHUNKED_MORE = 0,       /* all input used, the body goes on */
    HTTP_CHUNKED_DONE = 1,       /* the body ended; *used tells where */
    HTTP_CHUNKED_BAD = -1,       /* malformed framing */
    HTTP_CHUNKED_TOO_LARGE = -2, /* the chunk sizes add up to more than the limit */
    HTTP_CHUNKED_SINK_FAILED = -3
} http_chunked_result;

typedef struct http_chunked {
    int state;
    size_t limit;      /* most body bytes accepted in all */
    size_t total;      /* sum of the chunk sizes read so far */
    size_t remaining;  /* data bytes left in the current chunk */
    size_t line;       /* bytes of the current size line, or of the trailer section */
    int digits;        /* hex digits seen on the current size line */
} http_chunked;

/* Receives decoded body bytes; a non-zero return stops decoding (HTTP_CHUNKED_SINK_FAILED). */
typedef int (*http_chunked_sink)(const uint8_t *data, size_t len, void *arg);

void http_chunked_init(http_chunked *c, size_t limit);
/* Decodes `len` bytes. *used: how many were consumed (all of them unless DONE or an error).
 * After DONE or an error, further calls return the same result and consume nothing. */
http_chunked_result http_chunked_feed(http_chunked *c, const uint8_t *in, size_t len,
                                      size_t *used, http_chunked_sink sink, void *arg);

#endif
