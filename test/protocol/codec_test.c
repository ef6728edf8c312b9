/* Unit tests of the Engine.IO and Socket.IO codecs: every packet type, the spec's examples, and
 * every malformed form the documents imply. Prints TAP, then "# pass N" / "# fail N". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/eio_base64.h"
#include "protocol/eio_packet.h"
#include "protocol/sio_packet.h"

static int test_count, failures;

static void ok(int cond, const char *name)
{
    test_count++;
    if (!cond)
        failures++;
    printf("%s %d - %s\n", cond ? "ok" : "not ok", test_count, name);
}

/* ---------- base64 ---------- */

static void test_base64(void)
{
    const uint8_t bytes[] = {1, 2, 3, 4};
    char out[16];
    eio_base64_encode(bytes, 4, out);
    ok(eio_base64_encoded_len(4) == 8 && memcmp(out, "AQIDBA==", 8) == 0, "base64 encodes 01020304");
    uint8_t back[8];
    ok(eio_base64_decode("AQIDBA==", 8, back) == 4 && memcmp(back, bytes, 4) == 0, "base64 decodes AQIDBA==");
    ok(eio_base64_decode("", 0, back) == 0, "base64 decodes the empty string");
    ok(eio_base64_decode("AQID", 4, back) == 3, "base64 decodes without padding when none is due");
    ok(eio_base64_decode("AQIDBA=", 7, NULL) == -1, "base64 refuses a length not a multiple of 4");
    ok(eio_base64_decode("AQ=DBA==", 8, NULL) == -1, "base64 refuses padding in the middle");
    ok(eio_base64_decode("AQI*BA==", 8, NULL) == -1, "base64 refuses a character outside the alphabet");
    ok(eio_base64_decode("AQIDBB==", 8, NULL) == -1, "base64 refuses non-zero unused bits");
    ok(eio_base64_decode("====", 4, NULL) == -1, "base64 refuses padding only");
    for (size_t n = 0; n < 40; n++) {
        uint8_t in[40], dec[40];
        char enc[64];
        for (size_t i = 0; i < n; i++)
            in[i] = (uint8_t)(i * 37 + n);
        eio_base64_encode(in, n, enc);
        if (eio_base64_decode(enc, eio_base64_encoded_len(n), dec) != (long)n || memcmp(in, dec, n)) {
            ok(0, "base64 round trips 0..39 bytes");
            return;
        }
    }
    ok(1, "base64 round trips 0..39 bytes");
}

/* ---------- Engine.IO ---------- */

static void test_eio_frames(void)
{
    eio_packet p;
    const char *types = "0123456";
    for (int t = 0; t < 7; t++) {
        char frame[8] = {types[t], 'x', 0};
        int rc = eio_packet_decode((const uint8_t *)frame, 2, 0, &p);
        if (rc || p.type != (eio_packet_type)t || p.len != 1 || p.data[0] != 'x') {
            ok(0, "eio decodes every packet type 0..6 with data");
            return;
        }
    }
    ok(1, "eio decodes every packet type 0..6 with data");
    ok(eio_packet_decode((const uint8_t *)"2probe", 6, 0, &p) == 0 && p.type == EIO_PING && p.len == 5, "eio decodes 2probe as a ping with data");
    ok(eio_packet_decode((const uint8_t *)"", 0, 0, &p) == -1, "eio refuses an empty text frame");
    ok(eio_packet_decode((const uint8_t *)"7", 1, 0, &p) == -1, "eio refuses type 7");
    ok(eio_packet_decode((const uint8_t *)"abc", 3, 0, &p) == -1, "eio refuses a non-digit type");
    ok(eio_packet_decode((const uint8_t *)"\x01\x02", 2, 1, &p) == 0 && p.type == EIO_MESSAGE && p.binary && p.len == 2, "eio takes a binary frame as a binary message");
    ok(eio_packet_decode((const uint8_t *)"", 0, 1, &p) == 0 && p.binary && p.len == 0, "eio takes an empty binary frame");
}

typedef struct collected {
    int count;
    char text[256];
} collected;

static int collect(const eio_packet *p, void *data)
{
    collected *c = data;
    size_t at = strlen(c->text);
    snprintf(c->text + at, sizeof c->text - at, "%s%d%s:%.*s", c->count ? "|" : "", p->type,
             p->binary ? "b" : "", (int)p->len, (const char *)p->data);
    c->count++;
    return 0;
}

static int decode_body(const char *body, collected *c)
{
    memset(c, 0, sizeof *c);
    return eio_payload_decode((const uint8_t *)body, strlen(body), 100, collect, c);
}

static void test_eio_payloads(void)
{
    collected c;
    ok(decode_body("4hello", &c) == 1 && strcmp(c.text, "4:hello") == 0, "payload with one packet");
    ok(decode_body("4hello\x1e" "2\x1e" "4world", &c) == 3 && strcmp(c.text, "4:hello|2:|4:world") == 0, "payload with three packets (spec example)");
    ok(decode_body("4hello\x1e" "bAQIDBA==", &c) == 2 && c.count == 2 && strncmp(c.text, "4:hello|4b:", 11) == 0, "payload with a base64 binary packet");
    ok(decode_body("", &c) == -1 && c.count == 0, "empty payload is invalid");
    ok(decode_body("abc", &c) == -1 && c.count == 0, "payload 'abc' is invalid");
    ok(decode_body("4good\x1e" "x", &c) == -1 && c.count == 0, "one bad packet refuses the whole payload, delivering nothing");
    ok(decode_body("4good\x1e", &c) == -1 && c.count == 0, "a trailing separator is an empty, invalid packet");
    ok(decode_body("4a\x1e" "b!!!!", &c) == -1 && c.count == 0, "bad base64 refuses the payload");
    ok(decode_body("b", &c) == 1 && strcmp(c.text, "4b:") == 0, "'b' alone is an empty binary message");
    memset(&c, 0, sizeof c);
    ok(eio_payload_decode((const uint8_t *)"6\x1e" "6\x1e" "6", 5, 2, collect, &c) == -1 && c.count == 0, "more packets than allowed refuse the payload");

    eio_buf body = {0};
    const uint8_t bin[] = {1, 2, 3, 4};
    int rc = eio_payload_append(&body, EIO_MESSAGE, (const uint8_t *)"hello", 5, 0);
    rc |= eio_payload_append(&body, EIO_MESSAGE, bin, 4, 1);
    rc |= eio_payload_append(&body, EIO_PING, NULL, 0, 0);
    ok(rc == 0 && body.len == 18 && memcmp(body.data, "4hello\x1e" "bAQIDBA==\x1e" "2", 18) == 0, "payload encodes text, base64 binary and a bare packet");
    eio_buf_free(&body);
}

/* ---------- Socket.IO ---------- */

static int decodes(const char *text, sio_packet *p)
{
    const char *error;
    return sio_packet_decode(text, strlen(text), 10, p, &error);
}

static char *dump(const json_t *data)
{
    return json_dumps(data, JSON_COMPACT | JSON_ENCODE_ANY);
}

static void expect_packet(const char *text, sio_packet_type type, const char *nsp, long long id,
                          size_t attachments, const char *json, const char *name)
{
    sio_packet p;
    int rc = decodes(text, &p);
    char *got = p.data ? dump(p.data) : NULL;
    int good = rc == 0 && p.type == type && strcmp(p.nsp, nsp) == 0 && p.id == id &&
               p.attachments == attachments &&
               ((!json && !got) || (json && got && strcmp(json, got) == 0));
    ok(good, name);
    free(got);
    sio_packet_clear(&p);
}

static void expect_invalid(const char *text, const char *name)
{
    sio_packet p;
    ok(decodes(text, &p) == -1 && p.data == NULL, name);
}

static void test_sio_decode(void)
{
    expect_packet("0", SIO_CONNECT, "/", -1, 0, NULL, "CONNECT to /");
    expect_packet("0/admin,", SIO_CONNECT, "/admin", -1, 0, NULL, "CONNECT to /admin");
    expect_packet("0/admin", SIO_CONNECT, "/admin", -1, 0, NULL, "CONNECT to /admin without the comma");
    expect_packet("0{\"token\":\"123\"}", SIO_CONNECT, "/", -1, 0, "{\"token\":\"123\"}", "CONNECT with auth");
    expect_packet("0/admin,{\"token\":\"123\"}", SIO_CONNECT, "/admin", -1, 0, "{\"token\":\"123\"}", "CONNECT to /admin with auth");
    expect_packet("1", SIO_DISCONNECT, "/", -1, 0, NULL, "DISCONNECT");
    expect_packet("1/admin,", SIO_DISCONNECT, "/admin", -1, 0, NULL, "DISCONNECT from /admin");
    expect_packet("2[\"foo\"]", SIO_EVENT, "/", -1, 0, "[\"foo\"]", "EVENT");
    expect_packet("2/admin,[\"bar\"]", SIO_EVENT, "/admin", -1, 0, "[\"bar\"]", "EVENT on /admin");
    expect_packet("212[\"foo\"]", SIO_EVENT, "/", 12, 0, "[\"foo\"]", "EVENT with ack id 12");
    expect_packet("3/admin,13[\"bar\"]", SIO_ACK, "/admin", 13, 0, "[\"bar\"]", "ACK on /admin with id 13");
    expect_packet("3/admin,13[]", SIO_ACK, "/admin", 13, 0, "[]", "ACK with an empty array");
    expect_packet("4{\"message\":\"Not authorized\"}", SIO_CONNECT_ERROR, "/", -1, 0, "{\"message\":\"Not authorized\"}", "CONNECT_ERROR with an object");
    expect_packet("4\"Not authorized\"", SIO_CONNECT_ERROR, "/", -1, 0, "\"Not authorized\"", "CONNECT_ERROR with a string");
    expect_packet("51-[\"baz\",{\"_placeholder\":true,\"num\":0}]", SIO_BINARY_EVENT, "/", -1, 1, "[\"baz\",{\"_placeholder\":true,\"num\":0}]", "BINARY_EVENT with one attachment");
    expect_packet("52-/admin,[\"baz\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]", SIO_BINARY_EVENT, "/admin", -1, 2, "[\"baz\",{\"_placeholder\":true,\"num\":0},{\"_placeholder\":true,\"num\":1}]", "BINARY_EVENT with two attachments on /admin");
    expect_packet("61-15[\"bar\",{\"_placeholder\":true,\"num\":0}]", SIO_BINARY_ACK, "/", 15, 1, "[\"bar\",{\"_placeholder\":true,\"num\":0}]", "BINARY_ACK with id 15");
    expect_packet("2[\"a\",{\"b\":[1,2.5,null,true,\"\\u00e9\"]}]", SIO_EVENT, "/", -1, 0, "[\"a\",{\"b\":[1,2.5,null,true,\"\xc3\xa9\"]}]", "EVENT with nested JSON");

    expect_invalid("", "an empty packet");
    expect_invalid("7", "type 7");
    expect_invalid("abc", "a non-digit type");
    expect_invalid("2{}", "EVENT with an object payload");
    expect_invalid("2[]", "EVENT with an empty array");
    expect_invalid("2", "EVENT without payload");
    expect_invalid("2[1]", "EVENT whose name is a number");
    expect_invalid("2[\"connect\"]", "EVENT with a reserved name");
    expect_invalid("2[\"disconnect\",1]", "EVENT named disconnect");
    expect_invalid("2abc[\"message\"]", "EVENT with a bad ack id");
    expect_invalid("2[\"a\"", "EVENT with broken JSON");
    expect_invalid("2[\"a\"]x", "EVENT with trailing garbage");
    expect_invalid("3", "ACK without payload");
    expect_invalid("3{}", "ACK with an object");
    expect_invalid("0[]", "CONNECT with an array");
    expect_invalid("0\"x\"", "CONNECT with a string");
    expect_invalid("1{}", "DISCONNECT with a payload");
    expect_invalid("4[]", "CONNECT_ERROR with an array");
    expect_invalid("5[\"a\"]", "BINARY_EVENT without the attachment count");
    expect_invalid("5x-[\"a\"]", "BINARY_EVENT with a bad attachment count");
    expect_invalid("511-[\"a\"]", "BINARY_EVENT over the attachment limit (10)");
    expect_invalid("51-[\"a\",{\"_placeholder\":true,\"num\":1}]", "a placeholder out of range");
    expect_invalid("51-[\"a\",{\"_placeholder\":true,\"num\":\"0\"}]", "a placeholder with a string num");
    expect_invalid("51-[\"a\",{\"_placeholder\":true,\"num\":-1}]", "a negative placeholder");
    expect_invalid("21234567890123456[\"a\"]", "an ack id of 16 digits");
    expect_invalid("05[\"a\"]", "CONNECT with an ack id");

    char nsp[300] = "0/";
    memset(nsp + 2, 'n', 200);
    nsp[202] = 0;
    expect_invalid(nsp, "a namespace over 128 characters");
}

static void expect_encoded(sio_packet_type type, const char *nsp, long long id, size_t att,
                           const char *json, const char *want, const char *name)
{
    json_t *data = json ? json_loads(json, JSON_DECODE_ANY, NULL) : NULL;
    size_t len;
    char *got = sio_packet_encode(type, nsp, id, att, data, &len);
    ok(got && strcmp(got, want) == 0 && len == strlen(want), name);
    free(got);
    json_decref(data);
}

static void test_sio_encode(void)
{
    expect_encoded(SIO_CONNECT, "/", -1, 0, NULL, "0", "encodes CONNECT /");
    expect_encoded(SIO_CONNECT, "/admin", -1, 0, "{\"sid\":\"oSO0OpakMV_3jnilAAAA\"}", "0/admin,{\"sid\":\"oSO0OpakMV_3jnilAAAA\"}", "encodes CONNECT /admin with sid");
    expect_encoded(SIO_CONNECT_ERROR, "/", -1, 0, "{\"message\":\"Not authorized\"}", "4{\"message\":\"Not authorized\"}", "encodes CONNECT_ERROR");
    expect_encoded(SIO_EVENT, "/", -1, 0, "[\"foo\"]", "2[\"foo\"]", "encodes EVENT");
    expect_encoded(SIO_EVENT, "/admin", -1, 0, "[\"bar\"]", "2/admin,[\"bar\"]", "encodes EVENT on /admin");
    expect_encoded(SIO_BINARY_EVENT, "/", -1, 1, "[\"baz\",{\"_placeholder\":true,\"num\":0}]", "51-[\"baz\",{\"_placeholder\":true,\"num\":0}]", "encodes BINARY_EVENT");
    expect_encoded(SIO_EVENT, "/", 12, 0, "[\"foo\"]", "212[\"foo\"]", "encodes EVENT with ack id");
    expect_encoded(SIO_ACK, "/admin", 13, 0, "[\"bar\"]", "3/admin,13[\"bar\"]", "encodes ACK on /admin");
    expect_encoded(SIO_BINARY_ACK, "/", 15, 1, "[\"bar\",{\"_placeholder\":true,\"num\":0}]", "61-15[\"bar\",{\"_placeholder\":true,\"num\":0}]", "encodes BINARY_ACK");
    expect_encoded(SIO_DISCONNECT, "/admin", -1, 0, NULL, "1/admin,", "encodes DISCONNECT /admin");
}

int main(void)
{
    test_base64();
    test_eio_frames();
    test_eio_payloads();
    test_sio_decode();
    test_sio_encode();
    printf("1..%d\n# pass %d\n# fail %d\n", test_count, test_count - failures, failures);
    return failures ? 1 : 0;
}
