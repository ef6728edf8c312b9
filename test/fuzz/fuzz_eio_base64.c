/* libFuzzer target: eio_base64_decode; whatever decodes must encode back to the same text. */
#include <assert.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/eio_base64.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *out = malloc(size / 4 * 3 + 1);
    long n = eio_base64_decode((const char *)data, size, out);
    if (n >= 0) {
        char *text = malloc(eio_base64_encoded_len((size_t)n) + 1);
        eio_base64_encode(out, (size_t)n, text);
        assert(eio_base64_encoded_len((size_t)n) == size && memcmp(text, data, size) == 0);
        free(text);
    }
    free(out);
    return 0;
}
