/* Unit tests of the chunked request-body decoder (bridge/http_chunked.c): good bodies fed whole
 * and byte by byte, extensions and trailers, every malformed framing, the size limit and its
 * overflow guard. Prints TAP, then "# pass N" / "# fail N". */
#include <stdio.h>
#include <string.h>

#include "protocol/http_chunked.h"

static int test_count, failures;

static void ok(int cond, const char *name)
{
    test_count++;
    if (!cond)
        failures++;
    printf("%s %d - %s\n", cond ? "ok" : "not ok", test_count, name);
}

typedef struct body {
    char bytes[512];
    size_t len;
    int fail_after;   /* the sink fails once this many bytes arrived (0: never) */
} body;

static int collect(const uint8_t *data, size_t len, void *arg)
{
    body *b = arg;
    if (b->len + len > sizeof b->bytes)
        return -1;
    memcpy(b->bytes + b->len, data, len);
    b->len += len;
    return b->fail_after && b->len >= (size_t)b->fail_after;
}

/* Feeds `text` in pieces of `step` bytes (0: all at once); returns the result, fills `b`. */
static http_chunked_result decode(const char *text, size_t limit, size_t step, body *b,
                                  size_t *consumed)
{
    http_chunked c;
    http_chunked_init(&c, limit);
    size_t len = strlen(text), at = 0;
    http_chunked_result r = HTTP_CHUNKED_MORE;
    while (at < len) {
        size_t piece = step && len - at > step ? step : len - at, used = 0;
        r = http_chunked_feed(&c, (const uint8_t *)text + at, piece, &used, collect, b);
        at += used;
        if (r != HTTP_CHUNKED_MORE)
            break;
    }
    if (consumed)
        *consumed = at;
    return r;
}

static void expect_body(const char *text, const char *want, const char *name)
{
    for (size_t step = 0; step <= 3; step++) {
        body b = {0};
        size_t used;
        http_chunked_result r = decode(text, 1000, step, &b, &used);
        if (r != HTTP_CHUNKED_DONE || b.len != strlen(want) || memcmp(b.bytes, want, b.len) ||
            used != strlen(text)) {
            ok(0, name);
            return;
        }
    }
    ok(1, name);
}

static void expect_result(const char *text, size_t limit, http_chunked_result want,
                          const char *name)
{
    for (size_t step = 0; step <= 1; step++) {
        body b = {0};
        if (decode(text, limit, step, &b, NULL) != want) {
            ok(0, name);
            return;
        }
    }
    ok(1, name);
}

static void test_good(void)
{
    expect_body("5\r\nhello\r\n0\r\n\r\n", "hello", "one chunk, whole or byte by byte");
    expect_body("3\r\nabc\r\n4\r\ndefg\r\n0\r\n\r\n", "abcdefg", "two chunks are joined");
    expect_body("0\r\n\r\n", "", "an empty body");
    expect_body("A\r\n0123456789\r\n0\r\n\r\n", "0123456789", "upper-case hex size");
    expect_body("a\r\n0123456789\r\n0\r\n\r\n", "0123456789", "lower-case hex size");
    expect_body("0005\r\nhello\r\n0\r\n\r\n", "hello", "leading zeros in a size");
    expect_body("5;name=value\r\nhello\r\n0;x\r\n\r\n", "hello", "chunk extensions are ignored");
    expect_body("5 ;a=\"b c\"\r\nhello\r\n0\r\n\r\n", "hello", "whitespace before an extension");
    expect_body("5\r\nhello\r\n0\r\nX-Sum: 1\r\nX-Other: 2\r\n\r\n", "hello",
                "trailer fields are read and ignored");
    expect_body("2\r\n\r\n\r\n0\r\n\r\n", "\r\n", "CRLF inside chunk data is data");

    body b = {0};
    size_t used;
    const char *text = "1\r\nx\r\n0\r\n\r\nGET / HTTP/1.1\r\n";
    ok(decode(text, 100, 0, &b, &used) == HTTP_CHUNKED_DONE && used == strlen("1\r\nx\r\n0\r\n\r\n"),
       "bytes after the body are not consumed");

    http_chunked c;
    http_chunked_init(&c, 100);
    http_chunked_feed(&c, (const uint8_t *)"0\r\n\r\n", 5, &used, NULL, NULL);
    ok(http_chunked_feed(&c, (const uint8_t *)"1", 1, &used, NULL, NULL) == HTTP_CHUNKED_DONE &&
           used == 0, "after the end, further input is refused untouched");
}

static void test_malformed(void)
{
    expect_result("\r\n\r\n", 100, HTTP_CHUNKED_BAD, "a size line without digits");
    expect_result("g\r\nx\r\n0\r\n\r\n", 100, HTTP_CHUNKED_BAD, "a size that is not hex");
    expect_result("-1\r\nx\r\n", 100, HTTP_CHUNKED_BAD, "a negative size");
    expect_result("0x5\r\nhello\r\n", 100, HTTP_CHUNKED_BAD, "a 0x prefix");
    expect_result("+5\r\nhello\r\n", 100, HTTP_CHUNKED_BAD, "a plus sign");
    expect_result(" 5\r\nhello\r\n", 100, HTTP_CHUNKED_BAD, "whitespace before the size");
    expect_result("5\nhello\r\n0\r\n\r\n", 100, HTTP_CHUNKED_BAD, "a bare LF after the size");
    expect_result("5\rhello\r\n", 100, HTTP_CHUNKED_BAD, "a CR not followed by LF");
    expect_result("5\r\nhelloX\r\n0\r\n\r\n", 100, HTTP_CHUNKED_BAD, "data longer than its size");
    expect_result("5\r\nhello\n0\r\n\r\n", 100, HTTP_CHUNKED_BAD, "a bare LF after the data");
    expect_result("5;a\x01\r\nhello\r\n", 100, HTTP_CHUNKED_BAD, "a control character in an extension");
    expect_result("0\r\nX: a\x01\r\n\r\n", 100, HTTP_CHUNKED_BAD, "a control character in a trailer");
    expect_result("0\r\n\r\r", 100, HTTP_CHUNKED_BAD, "a final CR not followed by LF");
    expect_result("5\r\nhel", 100, HTTP_CHUNKED_MORE, "a truncated body asks for more");

    char line[HTTP_CHUNKED_MAX_LINE + 16];
    memset(line, '0', sizeof line);
    memcpy(line + sizeof line - 3, "\r\n", 3);
    expect_result(line, 100, HTTP_CHUNKED_BAD, "a size line over the limit");

    static char trailer[HTTP_CHUNKED_MAX_TRAILER + 64];
    strcpy(trailer, "0\r\n");
    while (strlen(trailer) < HTTP_CHUNKED_MAX_TRAILER + 16)
        strcat(trailer, "X-Pad: aaaaaaaa\r\n");
    strcat(trailer, "\r\n");
    expect_result(trailer, 100, HTTP_CHUNKED_BAD, "a trailer section over the limit");
}

static void test_limits(void)
{
    expect_result("a\r\n0123456789\r\n0\r\n\r\n", 10, HTTP_CHUNKED_DONE, "a body of exactly the limit");
    expect_result("b\r\n", 10, HTTP_CHUNKED_TOO_LARGE, "one chunk over the limit, refused before its data");
    expect_result("5\r\nhello\r\n6\r\n", 10, HTTP_CHUNKED_TOO_LARGE, "chunks adding up over the limit");
    expect_result("ffffffffffffffffffffffff\r\n", (size_t)-1, HTTP_CHUNKED_TOO_LARGE,
                  "a size past 64 bits is refused, not wrapped");
    expect_result("1\r\nx\r\n0\r\n\r\n", 0, HTTP_CHUNKED_TOO_LARGE, "a limit of 0 refuses any data");
    expect_result("0\r\n\r\n", 0, HTTP_CHUNKED_DONE, "a limit of 0 takes an empty body");

    body b = {.fail_after = 3};
    ok(decode("5\r\nhello\r\n0\r\n\r\n", 100, 0, &b, NULL) == HTTP_CHUNKED_SINK_FAILED,
       "a failing sink stops the decoder");
}

int main(void)
{
    test_good();
    test_malformed();
    test_limits();
    printf("1..%d\n# pass %d\n# fail %d\n", test_count, test_count - failures, failures);
    return failures ? 1 : 0;
}
