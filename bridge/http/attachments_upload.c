/* POST /api/attachments?name=NAME[&thumbnail=N]: the body is N bytes of thumbnail (a small image
 * the client made), then the file. The file goes to PostgreSQL in chunks of 256 KiB, one append
 * in flight at a time; while it is in flight and the next chunk is full, the body is paused, so
 * an upload holds about two chunks in memory whatever its size. Any failure discards what was
 * stored; the answer is the finished attachment (201). */
#include "http/attachments.h"
#include "core/log.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* bytes lws may hand over after a pause, beyond a full chunk */
#define UPLOAD_SLACK (64 * 1024)

struct upload {
    struct attachments *att;
    http_request *req;         /* NULL once answered or gone */
    char *token;
    char *name;
    char id[40];
    uint8_t *thumbnail;
    size_t thumbnail_len, thumbnail_have;
    uint64_t file_size;
    uint8_t *fill;             /* the next chunk's bytes as they come */
    size_t fill_len;
    char *hex;                 /* the chunk in flight, as a bytea literal */
    int next_chunk;
    int in_flight;             /* a database call outstanding */
    int begun, begin_sent, finishing, body_done, paused, ended;
    uint64_t started;
};

static void upload_pump(struct upload *up);

static void upload_free(struct upload *up)
{
    up->att->uploads--;
    free(up->token);
    free(up->name);
    free(up->thumbnail);
    free(up->fill);
    free(up->hex);
    free(up);
}

static void upload_on_discarded(void *data, const struct db_result *result)
{
    (void)result;
    upload_free(data);
}

/* The request is over (answered or gone): once no call is in flight, what was stored of an
 * unfinished upload is discarded and the upload freed. */
static void upload_end(struct upload *up)
{
    up->ended = 1;
    if (up->req) {             /* gone without an answer being given: nothing calls back now */
        http_request_on_gone(up->req, NULL, NULL);
        http_request_on_body(up->req, NULL, NULL);
        up->req = NULL;
    }
    if (up->in_flight)
        return;
    if (up->begun && !up->finishing) {
        const char *values[] = {up->token, up->id};
        if (attachments_query(up->att, ATTACHMENTS_SQL_DISCARD, values, upload_on_discarded, up) == 0)
            return;
    }
    upload_free(up);
}

/* The request, which the answer about to be given hands back to the server (an answered
 * request calls neither on_body nor on_gone). */
static http_request *upload_answering(struct upload *up)
{
    http_request *req = up->req;
    up->req = NULL;
    return req;
}

static void upload_fail(struct upload *up, int status, const char *message)
{
    http_request *req = upload_answering(up);
    if (req)
        attachments_fail(up->att, req, status, message);
    up->finishing = 0;
    upload_end(up);
}

static void upload_fail_db(struct upload *up, const struct db_result *result)
{
    http_request *req = upload_answering(up);
    if (req)
        attachments_fail_db(up->att, req, result);
    up->finishing = 0;
    upload_end(up);
}

static void upload_on_gone(http_request *req, void *data)
{
    (void)req;
    struct upload *up = data;
    up->req = NULL;
    up->finishing = 0;
    upload_end(up);
}

static void upload_on_finished(void *data, const struct db_result *result)
{
    struct upload *up = data;
    up->in_flight = 0;
    if (result->status != DB_OK || !result->value) {
        upload_fail_db(up, result);
        return;
    }
    http_request *req = upload_answering(up);
    if (req) {
        http_header headers[] = {{"Cache-Control", "no-store"}, {NULL, NULL}};
        log_info("attachment_uploaded", "id=%s bytes=%llu ms=%.1f", up->id,
                 (unsigned long long)up->file_size, (double)(uv_hrtime() - up->started) / 1e6);
        http_respond(req, 201, "application/json; charset=utf-8", headers, result->value,
                     result->length);
    }
    up->begun = 0; /* finished: nothing to discard */
    upload_end(up);
}

static void upload_on_appended(void *data, const struct db_result *result)
{
    struct upload *up = data;
    up->in_flight = 0;
    free(up->hex);
    up->hex = NULL;
    if (up->ended) {
        upload_end(up);
        return;
    }
    if (result->status != DB_OK) {
        upload_fail_db(up, result);
        return;
    }
    upload_pump(up);
}

/* "id":"<uuid>" out of begin's answer */
static int upload_take_id(struct upload *up, const char *json)
{
    const char *at = strstr(json, "\"id\": \"");
    size_t skip = 7;
    if (!at) {
        at = strstr(json, "\"id\":\"");
        skip = 6;
    }
    if (!at || strlen(at + skip) < 36)
        return -1;
    memcpy(up->id, at + skip, 36);
    up->id[36] = '\0';
    return 0;
}

static void upload_on_begun(void *data, const struct db_result *result)
{
    struct upload *up = data;
    up->in_flight = 0;
    if (up->ended) {
        if (result->status == DB_OK && result->value && upload_take_id(up, result->value) == 0)
            up->begun = 1;
        upload_end(up);
        return;
    }
    if (result->status != DB_OK || !result->value) {
        upload_fail_db(up, result);
        return;
    }
    if (upload_take_id(up, result->value) != 0) {
        upload_fail(up, 500, "unexpected answer");
        return;
    }
    up->begun = 1;
    upload_pump(up);
}

static void upload_begin(struct upload *up)
{
    char size[32];
    snprintf(size, sizeof size, "%llu", (unsigned long long)up->file_size);
    char *thumbnail = NULL;
    if (up->thumbnail_len) {
        thumbnail = malloc(2 * up->thumbnail_len + 3);
        if (!thumbnail) {
            upload_fail(up, 500, "out of memory");
            return;
        }
        attachments_hex(up->thumbnail, up->thumbnail_len, thumbnail);
    }
    const char *values[] = {up->token, up->name, size, thumbnail};
    up->begin_sent = 1;
    up->in_flight = 1;
    int queued = attachments_query(up->att, ATTACHMENTS_SQL_BEGIN, values, upload_on_begun, up);
    free(thumbnail);
    if (queued != 0) {
        up->in_flight = 0;
        upload_fail(up, 503, "the database is unavailable");
    }
}

/* What to do next: begin, append a full (or the last) chunk, finish; pause or resume the body. */
static void upload_pump(struct upload *up)
{
    if (up->ended || !up->req)
        return;
    if (!up->begin_sent) {
        if (up->thumbnail_have == up->thumbnail_len)
            upload_begin(up);
        return;
    }
    int want_pause = up->fill_len >= ATTACHMENTS_CHUNK;
    if (up->begun && !up->in_flight) {
        size_t take = up->fill_len < ATTACHMENTS_CHUNK ? up->fill_len : ATTACHMENTS_CHUNK;
        if (take == ATTACHMENTS_CHUNK || (up->body_done && take > 0)) {
            up->hex = malloc(2 * take + 3);
            if (!up->hex) {
                upload_fail(up, 500, "out of memory");
                return;
            }
            attachments_hex(up->fill, take, up->hex);
            memmove(up->fill, up->fill + take, up->fill_len - take);
            up->fill_len -= take;
            char n[16];
            snprintf(n, sizeof n, "%d", up->next_chunk++);
            const char *values[] = {up->token, up->id, n, up->hex};
            up->in_flight = 1;
            if (attachments_query(up->att, ATTACHMENTS_SQL_APPEND, values, upload_on_appended, up) != 0) {
                up->in_flight = 0;
                upload_fail(up, 503, "the database is unavailable");
                return;
            }
            want_pause = up->fill_len >= ATTACHMENTS_CHUNK;
        } else if (up->body_done && up->fill_len == 0 && !up->finishing) {
            const char *values[] = {up->token, up->id};
            up->finishing = 1;
            up->in_flight = 1;
            if (attachments_query(up->att, ATTACHMENTS_SQL_FINISH, values, upload_on_finished, up) != 0) {
                up->in_flight = 0;
                upload_fail(up, 503, "the database is unavailable");
                return;
            }
        }
    }
    if (want_pause != up->paused) {
        up->paused = want_pause;
        http_request_pause_body(up->req, want_pause);
    }
}

static void upload_on_body(http_request *req, const uint8_t *bytes, size_t len, int last, void *data)
{
    (void)req;
    struct upload *up = data;
    if (up->ended)
        return;
    if (up->thumbnail_have < up->thumbnail_len && len) {
        size_t take = up->thumbnail_len - up->thumbnail_have;
        if (take > len)
            take = len;
        memcpy(up->thumbnail + up->thumbnail_have, bytes, take);
        up->thumbnail_have += take;
        bytes += take;
        len -= take;
    }
    if (len) {
        if (up->fill_len + len > ATTACHMENTS_CHUNK + UPLOAD_SLACK) {
            upload_fail(up, 500, "the upload outran its buffer");
            return;
        }
        memcpy(up->fill + up->fill_len, bytes, len);
        up->fill_len += len;
    }
    if (last)
        up->body_done = 1;
    upload_pump(up);
}

void attachments_upload(struct attachments *att, http_request *req)
{
    const char *token = attachments_token(att, req);
    if (!token)
        return;
    const char *name = http_request_query(req, "name");
    if (!name || !*name) {
        attachments_fail(att, req, 400, "name is required (?name=)");
        return;
    }
    const char *thumbnail = http_request_query(req, "thumbnail");
    unsigned long thumbnail_len = 0;
    if (thumbnail) {
        char *end;
        thumbnail_len = strtoul(thumbnail, &end, 10);
        if (*end || !*thumbnail || thumbnail_len > ATTACHMENTS_MAX_THUMBNAIL) {
            attachments_fail(att, req, 400, "thumbnail must be its size in bytes, at most 65536");
            return;
        }
    }
    size_t body = http_request_body_length(req);
    if (body <= thumbnail_len) {
        attachments_fail(att, req, 400, "the body must hold the thumbnail and at least one byte of file");
        return;
    }
    struct upload *up = calloc(1, sizeof *up);
    if (!up) {
        attachments_fail(att, req, 500, "out of memory");
        return;
    }
    att->uploads++;
    up->att = att;
    up->req = req;
    up->started = uv_hrtime();
    up->token = strdup(token);
    up->name = strdup(name);
    up->thumbnail_len = thumbnail_len;
    up->thumbnail = thumbnail_len ? malloc(thumbnail_len) : NULL;
    up->fill = malloc(ATTACHMENTS_CHUNK + UPLOAD_SLACK);
    up->file_size = body - thumbnail_len;
    if (!up->token || !up->name || (thumbnail_len && !up->thumbnail) || !up->fill) {
        upload_fail(up, 500, "out of memory");
        return;
    }
    http_request_on_gone(req, upload_on_gone, up);
    http_request_on_body(req, upload_on_body, up);
    upload_pump(up);
}
