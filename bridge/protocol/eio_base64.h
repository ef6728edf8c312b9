/* eio_base64: the standard base64 alphabet with padding, as Engine.IO polling payloads carry
 * binary packets. Strict on input: a length that is a multiple of 4, padding only at the end. */
#ifndef EIO_BASE64_H
#define EIO_BASE64_H

#include <stddef.h>
#include <stdint.h>

/* Bytes needed to encode n bytes (no NUL). */
size_t eio_base64_encoded_len(size_t n);
/* Writes eio_base64_encoded_len(n) characters to out. */
void eio_base64_encode(const uint8_t *in, size_t n, char *out);
/* Decodes n characters into out (room for n / 4 * 3 bytes), or only validates when out is NULL.
 * Returns the decoded length, or -1 when the input is not valid base64 (out is then garbage). */
long eio_base64_decode(const char *in, size_t n, uint8_t *out);

#endif
