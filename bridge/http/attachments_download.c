/* GET /api/attachments/:id and /api/attachments/:id/thumbnail, for those the database lets read
 * them (404 for anyone else, as everywhere). The file is streamed in reads of at most 256 KiB,
 * two asked for ahead of what the socket has taken (written in their order whichever comes back
 * first), so a download holds at most two pieces in memory. A single Range (bytes=a-b, a-, -n)
 * is answered 206, one that can't be met 416; the content never changes under an id, hence the
 * id as ETag and immutable caching. */
#include "http/attachments.h"
#include "core/log.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Reads asked for ahead of the socket: two keep the database busy while a piece is written. */
#define DOWNLOAD_AHEAD 2

struct download_slot {
    uint8_t *bytes;
    size_t len;
    uint64_t index;
    int ready;
};

struct download {
    struct attachments *att;
    http_request *req;         /* NULL once gone or done */
    char *token;
    char id[37];
    uint64_t size, from, to;   /* the bytes [from, to) to send */
    uint64_t at;               /* bytes given to the socket, from `from` */
    uint64_t next;             /* the next byte to ask for */
    uint64_t issued, written, drained; /* pieces asked for, given to the socket, taken by it */
    struct download_slot slots[DOWNLOAD_AHEAD];
    int in_flight;             /* database calls outstanding */
    int failed;                /* cut short: the connection is closing, on_gone follows */
    int head;                  /* HEAD: headers only */
};

static void download_free(struct download *dl)
{
    for (int i = 0; i < DOWNLOAD_AHEAD; i++)
        free(dl->slots[i].bytes);
    dl->att->downloads--;
    free(dl->token);
    free(dl);
}

static void download_on_gone(http_request *req, void *data)
{
    (void)req;
    struct download *dl = data;
    dl->req = NULL;
    if (!dl->in_flight)
        download_free(dl);
}

/* ---- the thumbnail: small, answered whole ---- */

static const char *thumbnail_type(const uint8_t *b, size_t len)
{
    if (len >= 3 && b[0] == 0xff && b[1] == 0xd8 && b[2] == 0xff)
        return "image/jpeg";
    if (len >= 8 && memcmp(b, "\x89PNG", 4) == 0)
        return "image/png";
    return "image/webp";
}

static void download_on_thumbnail(void *data, const struct db_result *result)
{
    struct download *dl = data;
    dl->in_flight = 0;
    http_request *req = dl->req;
    if (!req) {
        download_free(dl);
        return;
    }
    http_request_on_gone(req, NULL, NULL);
    if (result->status != DB_OK || !result->value) {
        attachments_fail_db(dl->att, req, result);
        download_free(dl);
        return;
    }
    uint8_t *bytes = malloc(result->length / 2 + 1);
    long len = bytes ? attachments_unhex(result->value, result->length, bytes) : -1;
    if (len < 0) {
        attachments_fail(dl->att, req, 500, "unexpected answer");
    } else {
        char etag[48];
        snprintf(etag, sizeof etag, "\"%s-t\"", dl->id);
        http_header headers[] = {{"ETag", etag},
                                 {"Cache-Control", "private, max-age=31536000, immutable"},
                                 {"X-Content-Type-Options", "nosniff"},
                                 {NULL, NULL}};
        http_respond(req, 200, thumbnail_type(bytes, (size_t)len), headers, bytes,
                     dl->head ? 0 : (size_t)len);
    }
    free(bytes);
    download_free(dl);
}

/* ---- the file ---- */

/* A read answered out of turn (the pool runs reads on several connections) waits in its slot. */
struct download_piece {
    struct download *dl;
    uint64_t index;            /* its place in the file's pieces, counted from the first */
};

static void download_issue(struct download *dl);

/* Gives the socket every piece that is next in turn. */
static int download_write_ready(struct download *dl)
{
    for (;;) {
        struct download_slot *slot = &dl->slots[dl->written % DOWNLOAD_AHEAD];
        if (!slot->ready || slot->index != dl->written)
            return 0;
        if (http_stream_write(dl->req, slot->bytes, slot->len) != 0)
            return -1;
        dl->at += slot->len;
        free(slot->bytes);
        slot->bytes = NULL;
        slot->ready = 0;
        dl->written++;
        if (dl->at >= dl->to)
            return 1;
    }
}

static void download_on_piece(void *data, const struct db_result *result)
{
    struct download_piece *piece = data;
    struct download *dl = piece->dl;
    uint64_t index = piece->index;
    free(piece);
    dl->in_flight--;
    if (!dl->req) {
        if (!dl->in_flight)
            download_free(dl);
        return;
    }
    if (dl->failed)
        return;
    struct download_slot *slot = &dl->slots[index % DOWNLOAD_AHEAD];
    long len = -1;
    if (result->status == DB_OK && result->value) {
        slot->bytes = malloc(result->length / 2 + 1);
        len = slot->bytes ? attachments_unhex(result->value, result->length, slot->bytes) : -1;
    }
    if (len <= 0) {
        /* the headers are gone already: all that is left is to cut the answer short */
        log_warn("attachment_read_failed", "id=%s sqlstate=%s", dl->id,
                 result->sqlstate ? result->sqlstate : "-");
        free(slot->bytes);
        slot->bytes = NULL;
        dl->failed = 1;
        http_request_close(dl->req);
        return;
    }
    slot->len = (size_t)len;
    slot->index = index;
    slot->ready = 1;
    int done = download_write_ready(dl);
    if (done < 0) {
        dl->failed = 1;
        http_request_close(dl->req);
    } else if (done > 0) {     /* the last piece is given: the server finishes without us */
        http_request_on_gone(dl->req, NULL, NULL);
        dl->req = NULL;
        if (!dl->in_flight)
            download_free(dl);
    }
}

/* Keeps up to DOWNLOAD_AHEAD pieces asked for beyond what the socket has taken. */
static void download_issue(struct download *dl)
{
    while (dl->req && !dl->failed && dl->next < dl->to && dl->issued - dl->drained < DOWNLOAD_AHEAD) {
        /* pieces end on chunk boundaries, so each read touches one chunk */
        uint64_t end = (dl->next / ATTACHMENTS_CHUNK + 1) * ATTACHMENTS_CHUNK;
        if (end > dl->to)
            end = dl->to;
        struct download_piece *piece = malloc(sizeof *piece);
        if (!piece) {
            dl->failed = 1;
            http_request_close(dl->req);
            return;
        }
        *piece = (struct download_piece){dl, dl->issued};
        char offset[32], length[16];
        snprintf(offset, sizeof offset, "%llu", (unsigned long long)dl->next);
        snprintf(length, sizeof length, "%llu", (unsigned long long)(end - dl->next));
        const char *values[] = {dl->token, dl->id, offset, length};
        if (attachments_query(dl->att, ATTACHMENTS_SQL_READ, values, download_on_piece, piece) != 0) {
            free(piece);
            dl->failed = 1;
            http_request_close(dl->req);
            return;
        }
        dl->in_flight++;
        dl->issued++;
        dl->next = end;
    }
}

/* The socket took everything given: the pieces written so far are off our hands. */
static void download_on_drained(http_request *req, void *data)
{
    (void)req;
    struct download *dl = data;
    dl->drained = dl->written;
    download_issue(dl);
}

/* Parses a single byte range against size into [from, to). 0: no (usable) Range, serve all;
 * 1: a range; -1: unsatisfiable. */
static int parse_range(const char *header, uint64_t size, uint64_t *from, uint64_t *to)
{
    if (!header || strncmp(header, "bytes=", 6) != 0 || strchr(header, ','))
        return 0;
    const char *spec = header + 6;
    char *end;
    if (*spec == '-') {        /* the last n bytes */
        unsigned long long n = strtoull(spec + 1, &end, 10);
        if (*end || end == spec + 1)
            return 0;
        if (n == 0)
            return -1;
        *from = n >= size ? 0 : size - n;
        *to = size;
        return 1;
    }
    unsigned long long a = strtoull(spec, &end, 10);
    if (end == spec || *end != '-')
        return 0;
    const char *second = end + 1;
    unsigned long long b = size ? size - 1 : 0;
    if (*second) {
        b = strtoull(second, &end, 10);
        if (*end || end == second)
            return 0;
        if (b < a)
            return 0;          /* syntactically invalid: ignored (RFC 9110 14.1.1) */
    }
    if (a >= size)
        return -1;
    if (b >= size)
        b = size - 1;
    *from = a;
    *to = b + 1;
    return 1;
}

/* A file name for Content-Disposition: an ASCII fallback (anything else becomes _) and the
 * exact name percent-encoded as filename* (RFC 6266). */
static void disposition(const char *name, const char *type, char *out, size_t size)
{
    char ascii[256], encoded[800];
    size_t a = 0, e = 0;
    for (const unsigned char *c = (const unsigned char *)name; *c && a < sizeof ascii - 1; c++)
        ascii[a++] = (*c >= 0x20 && *c < 0x7f && *c != '"' && *c != '\\' && *c != ';') ? (char)*c : '_';
    ascii[a] = '\0';
    static const char digits[] = "0123456789ABCDEF";
    for (const unsigned char *c = (const unsigned char *)name; *c && e < sizeof encoded - 4; c++) {
        if ((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
            strchr("-._~", *c)) {
            encoded[e++] = (char)*c;
        } else {
            encoded[e++] = '%';
            encoded[e++] = digits[*c >> 4];
            encoded[e++] = digits[*c & 15];
        }
    }
    encoded[e] = '\0';
    /* pictures, sound and video show in the page; anything else is saved, never rendered here */
    int inline_ok = strncmp(type, "image/", 6) == 0 || strncmp(type, "audio/", 6) == 0 ||
                    strncmp(type, "video/", 6) == 0;
    snprintf(out, size, "%s; filename=\"%s\"; filename*=UTF-8''%s",
             inline_ok ? "inline" : "attachment", ascii, encoded);
}

static void download_on_info(void *data, const struct db_result *result)
{
    struct download *dl = data;
    dl->in_flight = 0;
    http_request *req = dl->req;
    if (!req) {
        download_free(dl);
        return;
    }
    if (result->status != DB_OK || !result->value) {
        http_request_on_gone(req, NULL, NULL);
        attachments_fail_db(dl->att, req, result);
        download_free(dl);
        return;
    }
    json_t *info = json_loadb(result->value, result->length, 0, NULL);
    json_int_t size = json_integer_value(json_object_get(info, "size"));
    const char *type = json_string_value(json_object_get(info, "type"));
    const char *name = json_string_value(json_object_get(info, "name"));
    if (!info || size <= 0 || !type || !name) {
        json_decref(info);
        http_request_on_gone(req, NULL, NULL);
        attachments_fail(dl->att, req, 500, "unexpected answer");
        download_free(dl);
        return;
    }
    dl->size = (uint64_t)size;
    char etag[48], content_disposition[1200], content_range[96];
    snprintf(etag, sizeof etag, "\"%s\"", dl->id);
    disposition(name, type, content_disposition, sizeof content_disposition);
    const char *if_none_match = http_request_header(req, "if-none-match");
    http_header headers[10] = {
        {"ETag", etag},
        {"Cache-Control", "private, max-age=31536000, immutable"},
        {"X-Content-Type-Options", "nosniff"},
        {"Content-Disposition", content_disposition},
        {"Content-Security-Policy", "default-src 'none'; media-src 'self'; img-src 'self'; sandbox"},
        {"Accept-Ranges", "bytes"},
    };
    int n = 6;
    if (if_none_match && strstr(if_none_match, etag)) {
        headers[n] = (http_header){NULL, NULL};
        http_request_on_gone(req, NULL, NULL);
        http_respond(req, 304, NULL, headers, NULL, 0);
        json_decref(info);
        download_free(dl);
        return;
    }
    int ranged = parse_range(http_request_header(req, "range"), dl->size, &dl->from, &dl->to);
    if (ranged < 0) {
        snprintf(content_range, sizeof content_range, "bytes */%llu", (unsigned long long)dl->size);
        json_decref(info);
        http_request_on_gone(req, NULL, NULL);
        char body[] = "{\"error\":{\"code\":\"range_not_satisfiable\",\"message\":\"the range is outside the file\"}}";
        http_header refused[] = {{"Content-Range", content_range}, {"Cache-Control", "no-store"},
                                 {NULL, NULL}};
        http_respond(req, 416, "application/json; charset=utf-8", refused, body, sizeof body - 1);
        download_free(dl);
        return;
    }
    if (!ranged) {
        dl->from = 0;
        dl->to = dl->size;
    } else {
        snprintf(content_range, sizeof content_range, "bytes %llu-%llu/%llu",
                 (unsigned long long)dl->from, (unsigned long long)(dl->to - 1),
                 (unsigned long long)dl->size);
        headers[n++] = (http_header){"Content-Range", content_range};
    }
    headers[n] = (http_header){NULL, NULL};
    dl->at = dl->from;
    dl->next = dl->from;
    char content_type[128];
    snprintf(content_type, sizeof content_type, "%s", type);
    json_decref(info);
    if (dl->head) {
        http_request_on_gone(req, NULL, NULL);
        http_respond(req, ranged ? 206 : 200, content_type, headers, NULL, 0);
        download_free(dl);
        return;
    }
    if (http_respond_stream(req, ranged ? 206 : 200, content_type, headers, dl->to - dl->from,
                            download_on_drained, dl) != 0) {
        /* the connection is closed: on_gone frees the download */
        return;
    }
}

void attachments_download(struct attachments *att, http_request *req, const char *id, int thumbnail)
{
    const char *token = attachments_token(att, req);
    if (!token)
        return;
    struct download *dl = calloc(1, sizeof *dl);
    if (!dl || !(dl->token = strdup(token))) {
        free(dl);
        attachments_fail(att, req, 500, "out of memory");
        return;
    }
    att->downloads++;
    dl->att = att;
    dl->req = req;
    dl->head = http_request_method(req) == HTTP_HEAD;
    memcpy(dl->id, id, sizeof dl->id);
    http_request_on_gone(req, download_on_gone, dl);
    const char *values[] = {dl->token, dl->id};
    dl->in_flight = 1;
    if (attachments_query(att, thumbnail ? ATTACHMENTS_SQL_THUMBNAIL : ATTACHMENTS_SQL_INFO, values,
                          thumbnail ? download_on_thumbnail : download_on_info, dl) != 0) {
        dl->in_flight = 0;
        http_request_on_gone(req, NULL, NULL);
        attachments_fail(att, req, 503, "the database is unavailable");
        download_free(dl);
    }
}
