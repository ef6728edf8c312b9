/* sio_packet: decoding and encoding Socket.IO v5 packets (text part). */
#include "protocol/sio_packet.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const reserved_events[] = {
    "connect", "connect_error", "disconnect", "disconnecting", "newListener", "removeListener",
};

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* The payload shape each packet type allows, as the reference parser checks it. */
static int payload_valid(sio_packet_type type, const json_t *data)
{
    switch (type) {
    case SIO_CONNECT:
        return json_is_object(data);
    case SIO_DISCONNECT:
        return 0;                       /* takes no payload at all */
    case SIO_CONNECT_ERROR:
        return json_is_string(data) || json_is_object(data);
    case SIO_EVENT:
    case SIO_BINARY_EVENT: {
        if (!json_is_array(data) || json_array_size(data) == 0)
            return 0;
        const json_t *name = json_array_get(data, 0);
        if (!json_is_string(name))
            return 0;
        for (size_t i = 0; i < sizeof reserved_events / sizeof reserved_events[0]; i++)
            if (strcmp(json_string_value(name), reserved_events[i]) == 0)
                return 0;
        return 1;
    }
    case SIO_ACK:
    case SIO_BINARY_ACK:
        return json_is_array(data);
    }
    return 0;
}

void sio_packet_clear(sio_packet *packet)
{
    json_decref(packet->data);
    packet->data = NULL;
}

static int fail(sio_packet *out, const char **error, const char *why)
{
    sio_packet_clear(out);
    *error = why;
    return -1;
}

int sio_packet_decode(const char *text, size_t len, size_t max_attachments, sio_packet *out,
                      const char **error)
{
    memset(out, 0, sizeof *out);
    out->id = -1;
    strcpy(out->nsp, "/");
    size_t i = 0;
    if (len == 0 || text[0] < '0' || text[0] > '6')
        return fail(out, error, "unknown packet type");
    out->type = (sio_packet_type)(text[i++] - '0');

    if (out->type == SIO_BINARY_EVENT || out->type == SIO_BINARY_ACK) {
        size_t start = i, count = 0;
        while (i < len && is_digit(text[i]) && i - start < 6)
            count = count * 10 + (size_t)(text[i++] - '0');
        if (i == start || i >= len || text[i] != '-')
            return fail(out, error, "illegal attachments");
        if (count > max_attachments)
            return fail(out, error, "too many attachments");
        out->attachments = count;
        i++;
    }

    if (i < len && text[i] == '/') {
        size_t start = i;
        while (i < len && text[i] != ',')
            i++;
        size_t nsp_len = i - start;
        if (nsp_len > SIO_MAX_NAMESPACE)
            return fail(out, error, "namespace too long");
        memcpy(out->nsp, text + start, nsp_len);
        out->nsp[nsp_len] = '\0';
        if (memchr(out->nsp, '\0', nsp_len))
            return fail(out, error, "invalid namespace");
        if (i < len)
            i++;                        /* the comma */
    }

    if (i < len && is_digit(text[i])) {
        size_t start = i;
        int64_t id = 0;
        while (i < len && is_digit(text[i])) {
            if (i - start >= 15)
                return fail(out, error, "ack id too large");
            id = id * 10 + (text[i++] - '0');
        }
        out->id = id;
    }

    if (i < len) {
        json_error_t jerr;
        out->data = json_loadb(text + i, len - i, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
        if (!out->data)
            return fail(out, error, "invalid payload");
        if (!payload_valid(out->type, out->data))
            return fail(out, error, "invalid payload");
        if (sio_placeholders_check(out->data, out->attachments))
            return fail(out, error, "illegal attachments");
    } else if (out->type == SIO_EVENT || out->type == SIO_BINARY_EVENT ||
               out->type == SIO_ACK || out->type == SIO_BINARY_ACK) {
        return fail(out, error, "invalid payload");   /* these need their array */
    }
    if (out->id >= 0 && out->type != SIO_EVENT && out->type != SIO_BINARY_EVENT &&
        out->type != SIO_ACK && out->type != SIO_BINARY_ACK)
        return fail(out, error, "unexpected ack id");
    return 0;
}

static int is_placeholder(const json_t *value)
{
    return json_is_object(value) && json_is_true(json_object_get(value, "_placeholder"));
}

int sio_placeholders_check(const json_t *data, size_t attachments)
{
    if (is_placeholder(data)) {
        const json_t *num = json_object_get(data, "num");
        if (!json_is_integer(num) || json_integer_value(num) < 0 ||
            (size_t)json_integer_value(num) >= attachments)
            return -1;
        return 0;
    }
    if (json_is_array(data)) {
        size_t i;
        const json_t *item;
        json_array_foreach(data, i, item)
            if (sio_placeholders_check(item, attachments))
                return -1;
    } else if (json_is_object(data)) {
        const char *key;
        const json_t *item;
        json_object_foreach((json_t *)data, key, item)
            if (sio_placeholders_check(item, attachments))
                return -1;
    }
    return 0;
}

char *sio_packet_encode(sio_packet_type type, const char *nsp, int64_t id, size_t attachments,
                        const json_t *data, size_t *len)
{
    char head[SIO_MAX_NAMESPACE + 64];
    int n = snprintf(head, sizeof head, "%d", (int)type);
    if (type == SIO_BINARY_EVENT || type == SIO_BINARY_ACK)
        n += snprintf(head + n, sizeof head - (size_t)n, "%zu-", attachments);
    if (nsp && strcmp(nsp, "/") != 0)
        n += snprintf(head + n, sizeof head - (size_t)n, "%.*s,", SIO_MAX_NAMESPACE, nsp);
    if (id >= 0)
        n += snprintf(head + n, sizeof head - (size_t)n, "%lld", (long long)id);
    char *json = data ? json_dumps(data, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    if (data && !json)
        return NULL;
    size_t json_len = json ? strlen(json) : 0;
    char *out = malloc((size_t)n + json_len + 1);
    if (out) {
        memcpy(out, head, (size_t)n);
        if (json_len)
            memcpy(out + n, json, json_len);
        out[(size_t)n + json_len] = '\0';
        *len = (size_t)n + json_len;
    }
    free(json);
    return out;
}
