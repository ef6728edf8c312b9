/* eio_base64: encoding and strict decoding of base64 for Engine.IO polling payloads. */
#include "protocol/eio_base64.h"

static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t eio_base64_encoded_len(size_t n) { return (n + 2) / 3 * 4; }

void eio_base64_encode(const uint8_t *in, size_t n, char *out)
{
    size_t i = 0;
    for (; i + 2 < n; i += 3) {
        uint32_t v = (uint32_t)in[i] << 16 | (uint32_t)in[i + 1] << 8 | in[i + 2];
        *out++ = alphabet[v >> 18 & 63];
        *out++ = alphabet[v >> 12 & 63];
        *out++ = alphabet[v >> 6 & 63];
        *out++ = alphabet[v & 63];
    }
    if (i < n) {
        uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0);
        *out++ = alphabet[v >> 18 & 63];
        *out++ = alphabet[v >> 12 & 63];
        *out++ = i + 1 < n ? alphabet[v >> 6 & 63] : '=';
        *out++ = '=';
    }
}

static int value_of(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

long eio_base64_decode(const char *in, size_t n, uint8_t *out)
{
    if (n % 4)
        return -1;
    long len = 0;
    for (size_t i = 0; i < n; i += 4) {
        int last = i + 4 == n;
        int pad = 0;
        if (last && in[i + 3] == '=')
            pad = in[i + 2] == '=' ? 2 : 1;
        int v[4] = {0, 0, 0, 0};
        for (int k = 0; k < 4 - pad; k++) {
            v[k] = value_of(in[i + k]);
            if (v[k] < 0)
                return -1;
        }
        /* unused low bits must be zero, so every text has exactly one decoding */
        if ((pad == 1 && (v[2] & 3)) || (pad == 2 && (v[1] & 15)))
            return -1;
        uint32_t bits = (uint32_t)v[0] << 18 | (uint32_t)v[1] << 12 | (uint32_t)v[2] << 6 |
                        (uint32_t)v[3];
        if (out) {
            out[len] = (uint8_t)(bits >> 16);
            if (pad < 2)
                out[len + 1] = (uint8_t)(bits >> 8);
            if (pad < 1)
                out[len + 2] = (uint8_t)bits;
        }
        len += 3 - pad;
    }
    return len;
}
