/* Attachments over HTTP: POST /api/attachments streams an upload into PostgreSQL in chunks (never
 * the whole file in memory), GET /api/attachments/:id streams it back to those who may read it
 * (Range, ETag, immutable caching), GET /api/attachments/:id/thumbnail gives the client-made
 * thumbnail. The database decides everything: limits, types, who may read (docs/attachments.md). */
#ifndef BRIDGE_ATTACHMENTS_H
#define BRIDGE_ATTACHMENTS_H

#include <stdint.h>
#include <uv.h>

#include "core/config.h"
#include "core/db.h"
#include "protocol/http_server.h"

/* The database's chunk size (chat.begin_attachment answers it too). */
#define ATTACHMENTS_CHUNK (256 * 1024)
/* The largest body the route accepts before the database is asked (which has its own limit). */
#define ATTACHMENTS_MAX_BODY ((size_t)1 << 30)
#define ATTACHMENTS_MAX_THUMBNAIL (64 * 1024)

enum attachments_sql {
    ATTACHMENTS_SQL_BEGIN,
    ATTACHMENTS_SQL_APPEND,
    ATTACHMENTS_SQL_FINISH,
    ATTACHMENTS_SQL_DISCARD,
    ATTACHMENTS_SQL_INFO,
    ATTACHMENTS_SQL_READ,
    ATTACHMENTS_SQL_THUMBNAIL,
    ATTACHMENTS_SQL_EXPIRE,
    ATTACHMENTS_SQL_COUNT
};

struct attachments {
    const struct config *config;
    struct db_pool *pool;  /* a pool of its own, so files never wait behind messages or delay them */
    int base;              /* the id of its first statement in the pools' catalog */
    uv_timer_t expiry;     /* calls chat.expire_attachments now and then */
    size_t uploads, downloads; /* in progress, for the log */
};

/* Starts: its statements registered with pool, the route on server, and the expiry timer on
 * loop. 0 or -1. */
int attachments_start(struct attachments *att, uv_loop_t *loop, http_server *server,
                      const struct config *config, struct db_pool *pool);
/* Stops the timer (its handle closes as the loop runs). */
void attachments_stop(struct attachments *att);

/* ---- shared by the upload and download halves ---- */
int attachments_query(struct attachments *att, enum attachments_sql sql, const char *const *values,
                      db_callback callback, void *data);
/* The bearer token of req, or NULL (the answer is then given: 401). */
const char *attachments_token(struct attachments *att, http_request *req);
/* Answers a database refusal (or unavailability) as REST does. */
void attachments_fail_db(struct attachments *att, http_request *req, const struct db_result *result);
void attachments_fail(struct attachments *att, http_request *req, int status, const char *message);

void attachments_upload(struct attachments *att, http_request *req);
void attachments_download(struct attachments *att, http_request *req, const char *id, int thumbnail);

/* Bytes to "\x<hex>" (a bytea literal) in out (room for 2 * len + 3). */
void attachments_hex(const uint8_t *bytes, size_t len, char *out);
/* Hex digits (an optional "\x" first) to bytes in out (room for len / 2); the count, or -1. */
long attachments_unhex(const char *hex, size_t len, uint8_t *out);

#endif
