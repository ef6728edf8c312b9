/* http_server: HTTP/1.1 requests and websockets on libwebsockets over a foreign libuv loop.
 * One lws protocol serves both: a connection carries one request at a time (keep-alive), or,
 * after an upgrade, one websocket. Requests are copied out of lws (path, query, headers, body)
 * so a route may answer them long after the callback that delivered them returned.
 * Persistence (RFC 9112 section 9): every answer says whether the connection stays open, and the
 * server then does what it said: "Connection: close" and a close, or keep-alive (HTTP/1.0 is
 * told so explicitly) until the idle timeout. */
#include "protocol/http_server.h"

#include <libwebsockets.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/address_count.h"
#include "protocol/http_chunked.h"

#define HTTP_MAX_ROUTES 16
#define HTTP_MAX_PATH 2048
#define HTTP_MAX_QUERY 4096
#define HTTP_MAX_HEADER 4096
/* The most one write is given, and lws's largest send (tx_packet_size): lws's default is the
 * receive buffer's size (half a KiB here), which made a 50 KB answer a hundred trips through the
 * event loop; lws keeps what the socket did not take and sends it when it can. */
#define HTTP_WRITE_CHUNK (256 * 1024)
#define HTTP_HEADER_SPACE 4096
#define HTTP_IDLE_DEFAULT_S 30
/* Queued websocket messages are written together, in sends of at most this many bytes: a batch's
 * answer gives each member's socket its ack and a delivery of every group message of the batch,
 * and they leave in one send() instead of one each. */
#define HTTP_WS_BATCH 16384

struct http_server {
    struct lws_context *context;
    uv_loop_t *loop;
    http_server_config config;
    http_route routes[HTTP_MAX_ROUTES];
    size_t route_count;
    struct lws_protocols protocols[2];
    unsigned connections;          /* open: counted from accept (attributed) to close */
    struct address_count *peers;   /* connections by peer address */
    char accepting[64];            /* the peer being accepted, from its filter to its instance */
    uint64_t slow_readers;         /* websockets whose queue filled up, for the operator */
    uint64_t refused_connections, refused_address_connections;
    int stopping, finalized;       /* see http_server_free */
    int draining;                  /* every answer from now on closes its connection */
    unsigned idle_s;               /* keep-alive idle timeout */
    unsigned char scratch[LWS_PRE + HTTP_WRITE_CHUNK];
    /* websockets given messages since the loop last polled: written by ws_flush_all just
     * before it polls again, so all a socket got in one loop turn leaves in one send */
    http_ws *dirty;
    uv_prepare_t flush;
    unsigned char ws_batch[HTTP_WS_BATCH];
};

struct http_request {
    struct lws *wsi;             /* NULL once the client has gone */
    http_server *server;
    const http_route *route;
    http_method method;
    char *path;
    char *query;                 /* "name=value\0name=value\0" */
    size_t query_len;
    char *headers;               /* "name\0value\0name\0value\0" */
    size_t headers_len;
    char peer[64];
    uint8_t *body;
    size_t body_len;
    size_t body_expected;
    int answered;
    int keep_alive;              /* the client lets the connection persist after the answer */
    int http10;                  /* an HTTP/1.0 client: persistence must be said explicitly */
    int close_after;             /* the server closes after the answer, whatever the client said */
    int chunked;                 /* the body comes in the chunked transfer coding */
    int dispatched;              /* handed to the route (once) */
    int body_ended;              /* lws reported the end of the body */
    http_chunked dechunk;
    /* the response, once answered */
    int status;
    char *content_type;
    char *extra_headers;         /* "name:\0value\0" pairs, as lws wants names */
    size_t extra_len;
    uint8_t *response;
    size_t response_len;
    size_t response_sent;
    struct queue_holder held;    /* the answer's bytes not yet written, in the process budget */
    int evicted;                 /* dropped for the budget: its connection is being closed */
    int headers_sent;
    uv_timer_t *timer;
    void (*on_timeout)(http_request *, void *);
    void *timeout_data;
    void (*on_gone)(http_request *, void *);
    void *gone_data;
    /* a streamed body (route stream_body) */
    int streaming;
    void (*on_body)(http_request *, const uint8_t *, size_t, int, void *);
    void *body_data;
    /* a streamed answer (http_respond_stream) */
    int stream;
    int stream_asked;            /* on_drained called, no piece given since */
    uint64_t stream_total, stream_written;
    void (*on_drained)(http_request *, void *);
    void *drained_data;
};

struct http_ws_frame {
    size_t refs;
    size_t len;
    struct queue_budget *budget; /* counted in it once, from its first queue until freed */
    unsigned char bytes[];       /* LWS_PRE of headroom, then the message */
};

typedef struct http_ws_message {
    struct http_ws_message *next;
    size_t len;
    int binary;
    http_ws_frame *frame;        /* a shared message (referenced), or NULL: bytes below */
    unsigned char bytes[];       /* LWS_PRE of headroom, then the message */
} http_ws_message;

struct http_ws {
    struct lws *wsi;
    http_server *server;
    const http_route *route;
    void *data;
    http_ws_message *head, *tail;
    size_t queued_messages, queued_bytes;
    struct queue_holder held;    /* queued_bytes, in the process budget */
    size_t max_message;          /* incoming, see http_ws_set_max_message */
    uint8_t *rx;                 /* a message being reassembled from fragments */
    size_t rx_len, rx_cap;
    int closing, close_code, opened;
    int peer_closed;             /* the client sent a close frame: lws answers it, we write no more */
    int dirty;                   /* on the server's dirty list */
    int overflowed;              /* its queue filled up once: counted as a slow reader */
    http_ws *dirty_prev, *dirty_next;
};

/* lws per-connection user data: whichever of the three is live. */
typedef struct http_conn {
    http_request *req;
    http_ws *ws;
    http_request *upgrade;       /* the upgrade request, from filter until established */
} http_conn;

static const struct {
    const char *name;
    enum lws_token_indexes token;
} captured_headers[] = {
    {"host", WSI_TOKEN_HOST},
    {"origin", WSI_TOKEN_ORIGIN},
    {"content-type", WSI_TOKEN_HTTP_CONTENT_TYPE},
    {"content-length", WSI_TOKEN_HTTP_CONTENT_LENGTH},
    {"authorization", WSI_TOKEN_HTTP_AUTHORIZATION},
    {"cookie", WSI_TOKEN_HTTP_COOKIE},
    {"user-agent", WSI_TOKEN_HTTP_USER_AGENT},
    {"accept", WSI_TOKEN_HTTP_ACCEPT},
    {"referer", WSI_TOKEN_HTTP_REFERER},
    {"x-forwarded-for", WSI_TOKEN_X_FORWARDED_FOR},
    {"access-control-request-headers", WSI_TOKEN_HTTP_AC_REQUEST_HEADERS},
    {"transfer-encoding", WSI_TOKEN_HTTP_TRANSFER_ENCODING},
    {"range", WSI_TOKEN_HTTP_RANGE},
    {"if-none-match", WSI_TOKEN_HTTP_IF_NONE_MATCH},
};

static const struct {
    enum lws_token_indexes token;
    http_method method;
} method_tokens[] = {
    {WSI_TOKEN_GET_URI, HTTP_GET},       {WSI_TOKEN_POST_URI, HTTP_POST},
    {WSI_TOKEN_PUT_URI, HTTP_PUT},       {WSI_TOKEN_PATCH_URI, HTTP_PATCH},
    {WSI_TOKEN_DELETE_URI, HTTP_DELETE}, {WSI_TOKEN_OPTIONS_URI, HTTP_OPTIONS},
    {WSI_TOKEN_HEAD_URI, HTTP_HEAD},
};

/* ---------- small helpers ---------- */

static void close_free(uv_handle_t *handle) { free(handle); }

static int append_pair(char **buf, size_t *len, const char *a, size_t alen, const char *b,
                       size_t blen)
{
    char *grown = realloc(*buf, *len + alen + blen + 2);
    if (!grown)
        return -1;
    memcpy(grown + *len, a, alen);
    grown[*len + alen] = '\0';
    memcpy(grown + *len + alen + 1, b, blen);
    grown[*len + alen + 1 + blen] = '\0';
    *buf = grown;
    *len += alen + blen + 2;
    return 0;
}

static const char *find_pair(const char *buf, size_t len, const char *name)
{
    size_t at = 0;
    while (at < len) {
        const char *key = buf + at;
        const char *value = key + strlen(key) + 1;
        if (strcmp(key, name) == 0)
            return value;
        at = (size_t)(value + strlen(value) + 1 - buf);
    }
    return NULL;
}

/* ---------- capturing a request out of lws ---------- */

static http_method detect_method(struct lws *wsi, enum lws_token_indexes *token)
{
    for (size_t i = 0; i < sizeof method_tokens / sizeof method_tokens[0]; i++) {
        if (lws_hdr_total_length(wsi, method_tokens[i].token) > 0) {
            *token = method_tokens[i].token;
            return method_tokens[i].method;
        }
    }
    *token = WSI_TOKEN_GET_URI;
    return HTTP_OTHER;
}

static int capture_query(http_request *req, struct lws *wsi)
{
    char fragment[HTTP_MAX_QUERY];
    for (int n = 0;; n++) {
        int flen = lws_hdr_fragment_length(wsi, WSI_TOKEN_HTTP_URI_ARGS, n);
        if (flen <= 0)
            return 0;
        if (flen >= (int)sizeof fragment)
            return -1;
        int got = lws_hdr_copy_fragment(wsi, fragment, sizeof fragment, WSI_TOKEN_HTTP_URI_ARGS, n);
        if (got < 0)
            return -1;
        char *eq = memchr(fragment, '=', (size_t)got);
        size_t name_len = eq ? (size_t)(eq - fragment) : (size_t)got;
        const char *value = eq ? eq + 1 : "";
        size_t value_len = eq ? (size_t)got - name_len - 1 : 0;
        if (append_pair(&req->query, &req->query_len, fragment, name_len, value, value_len))
            return -1;
    }
}

static int capture_headers(http_request *req, struct lws *wsi)
{
    char value[HTTP_MAX_HEADER];
    for (size_t i = 0; i < sizeof captured_headers / sizeof captured_headers[0]; i++) {
        int len = lws_hdr_total_length(wsi, captured_headers[i].token);
        if (len <= 0 || len >= (int)sizeof value)
            continue;
        if (lws_hdr_copy(wsi, value, sizeof value, captured_headers[i].token) < 0)
            continue;
        if (append_pair(&req->headers, &req->headers_len, captured_headers[i].name,
                        strlen(captured_headers[i].name), value, strlen(value)))
            return -1;
    }
    static const char custom[] = "access-control-request-method:";
    int len = lws_hdr_custom_length(wsi, custom, (int)strlen(custom));
    if (len > 0 && len < (int)sizeof value &&
        lws_hdr_custom_copy(wsi, value, sizeof value, custom, (int)strlen(custom)) >= 0) {
        if (append_pair(&req->headers, &req->headers_len, "access-control-request-method",
                        strlen("access-control-request-method"), value, strlen(value)))
            return -1;
    }
    return 0;
}

/* Whether a comma-separated header value lists `token` (case-insensitive, spaces trimmed). */
static int has_token(const char *list, const char *token)
{
    size_t want = strlen(token);
    for (const char *at = list; *at;) {
        while (*at == ' ' || *at == '\t' || *at == ',')
            at++;
        const char *end = at;
        while (*end && *end != ',')
            end++;
        const char *last = end;
        while (last > at && (last[-1] == ' ' || last[-1] == '\t'))
            last--;
        if ((size_t)(last - at) == want && strncasecmp(at, token, want) == 0)
            return 1;
        at = end;
    }
    return 0;
}

/* The client's wish (RFC 9112 section 9.3): HTTP/1.1 persists unless "close" is listed, HTTP/1.0
 * only with "keep-alive". lws 4.1 decides the same way but reads the Connection value whole, and
 * closes unless it matches exactly; so this never promises keep-alive where lws would close. */
static void capture_persistence(http_request *req, struct lws *wsi)
{
    char version[16] = "", connection[256] = "";
    int vlen = lws_hdr_total_length(wsi, WSI_TOKEN_HTTP);
    if (vlen > 0 && vlen < (int)sizeof version)
        lws_hdr_copy(wsi, version, sizeof version, WSI_TOKEN_HTTP);
    int clen = lws_hdr_total_length(wsi, WSI_TOKEN_CONNECTION);
    if (clen >= (int)sizeof connection) {
        req->keep_alive = 0;           /* a value too long to read: close, and say so */
        return;
    }
    if (clen > 0)
        lws_hdr_copy(wsi, connection, sizeof connection, WSI_TOKEN_CONNECTION);
    req->http10 = strcmp(version, "HTTP/1.1") != 0;
    if (req->http10)
        req->keep_alive = strcasecmp(connection, "keep-alive") == 0;
    else
        req->keep_alive = !has_token(connection, "close");
}

static const http_route *find_route(http_server *server, const char *path)
{
    const http_route *best = NULL;
    size_t best_len = 0;
    for (size_t i = 0; i < server->route_count; i++) {
        size_t len = strlen(server->routes[i].prefix);
        if (strncmp(path, server->routes[i].prefix, len) == 0 && (!best || len > best_len)) {
            best = &server->routes[i];
            best_len = len;
        }
    }
    return best;
}

static void request_free(http_request *req)
{
    if (!req)
        return;
    queue_budget_release(req->server->config.budget, &req->held, req->held.bytes);
    if (req->timer) {
        uv_close((uv_handle_t *)req->timer, close_free);
        req->timer = NULL;
    }
    free(req->path);
    free(req->query);
    free(req->headers);
    free(req->body);
    free(req->content_type);
    free(req->extra_headers);
    free(req->response);
    free(req);
}

/* Copies what the route will need out of the lws headers. NULL when out of memory or too big. */
static http_request *request_capture(http_server *server, struct lws *wsi)
{
    http_request *req = calloc(1, sizeof *req);
    if (!req)
        return NULL;
    req->wsi = wsi;
    req->server = server;
    enum lws_token_indexes token;
    req->method = detect_method(wsi, &token);
    int path_len = lws_hdr_total_length(wsi, token);
    if (path_len < 0 || path_len >= HTTP_MAX_PATH)
        goto fail;
    req->path = malloc((size_t)path_len + 1);
    if (!req->path || lws_hdr_copy(wsi, req->path, path_len + 1, token) < 0)
        goto fail;
    if (capture_query(req, wsi) || capture_headers(req, wsi))
        goto fail;
    req->body = malloc(1);
    if (!req->body)
        goto fail;
    req->body[0] = '\0';
    capture_persistence(req, wsi);
    lws_get_peer_simple(wsi, req->peer, sizeof req->peer);
    return req;
fail:
    request_free(req);
    return NULL;
}

/* ---------- answering ---------- */

static void timeout_fired(uv_timer_t *timer)
{
    http_request *req = timer->data;
    uv_close((uv_handle_t *)timer, close_free);
    req->timer = NULL;
    if (!req->answered && req->on_timeout)
        req->on_timeout(req, req->timeout_data);
}

static void stop_timer(http_request *req)
{
    if (req->timer) {
        uv_close((uv_handle_t *)req->timer, close_free);
        req->timer = NULL;
    }
}

/* Dropped for the outgoing budget: the answer's bytes go now, its connection closes on the next
 * loop turn (the client sees the answer cut short and may ask again). */
static void request_evict(struct queue_holder *holder)
{
    http_request *req = (http_request *)((char *)holder - offsetof(http_request, held));
    queue_budget_release(req->server->config.budget, holder, holder->bytes);
    free(req->response);
    req->response = NULL;
    req->response_len = req->response_sent = 0;
    req->evicted = 1;
    if (req->wsi)
        lws_set_timeout(req->wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
}

/* The answer given in place of one the outgoing budget can't hold. */
static const char busy_body[] =
    "{\"error\":{\"code\":\"unavailable\",\"message\":\"the server is busy, retry shortly\"}}";
static const http_header busy_headers[] = {{"Retry-After", "1"}, {NULL, NULL}};

int http_respond(http_request *req, int status, const char *content_type,
                 const http_header *headers, const void *body, size_t len)
{
    if (req->answered)
        return -1;
    req->answered = 1;
    stop_timer(req);
    /* answered before its streamed body was read: the rest can't be told from a next request */
    if (req->streaming && req->body_len < req->body_expected) {
        req->close_after = 1;
        if (req->wsi)
            lws_rx_flow_control(req->wsi, 1);
    }
    req->held.evict = request_evict;
    if (len && req->wsi && queue_budget_hold(req->server->config.budget, &req->held, len) != 0) {
        /* this answer would be the largest thing held for a reader: refused, and said so */
        status = 503;
        content_type = "application/json; charset=utf-8";
        headers = busy_headers;
        body = busy_body;
        len = sizeof busy_body - 1;
        req->close_after = 1;
        queue_budget_force(req->server->config.budget, &req->held, len);
    }
    req->status = status;
    int failed = 0;
    if (content_type && !(req->content_type = strdup(content_type)))
        failed = 1;
    for (const http_header *h = headers; h && h->name && !failed; h++) {
        char name[128];
        int n = snprintf(name, sizeof name, "%s:", h->name);
        if (n <= 0 || (size_t)n >= sizeof name ||
            append_pair(&req->extra_headers, &req->extra_len, name, (size_t)n, h->value,
                        strlen(h->value)))
            failed = 1;
    }
    if (!failed && len) {
        req->response = malloc(len);
        if (req->response)
            memcpy(req->response, body, len);
        else
            failed = 1;
    }
    req->response_len = failed ? 0 : len;
    if (!req->wsi) {                   /* the client left meanwhile: nobody to write to */
        request_free(req);
        return failed ? -1 : 0;
    }
    if (failed) {
        req->status = 500;
        req->close_after = 1;
    }
    lws_callback_on_writable(req->wsi);
    return failed ? -1 : 0;
}

/* Decides, once, whether the connection outlives this answer, and says so. */
static int add_persistence_headers(http_request *req, struct lws *wsi, unsigned char **p,
                                   unsigned char *end)
{
    if (!req->keep_alive || req->server->draining)
        req->close_after = 1;
    if (req->close_after)
        return lws_add_http_header_by_token(wsi, WSI_TOKEN_CONNECTION,
                                            (const unsigned char *)"close", 5, p, end);
    if (req->http10 &&
        lws_add_http_header_by_token(wsi, WSI_TOKEN_CONNECTION,
                                     (const unsigned char *)"keep-alive", 10, p, end))
        return -1;
    char hint[32];
    int n = snprintf(hint, sizeof hint, "timeout=%u", req->server->idle_s);
    return lws_add_http_header_by_name(wsi, (const unsigned char *)"keep-alive:",
                                       (const unsigned char *)hint, n, p, end);
}

/* A streamed answer after its headers: what was given, then a request for more. */
static int stream_write_more(http_request *req, struct lws *wsi)
{
    if (req->stream_written == req->stream_total)
        return 1;
    if (req->response_sent == req->response_len) {
        if (!req->stream_asked && req->on_drained) {
            req->stream_asked = 1;
            req->on_drained(req, req->drained_data); /* may give the next piece at once */
        }
        if (req->response_sent == req->response_len)
            return 0;                  /* http_stream_write asks for the next writable */
    }
    unsigned char *start = req->server->scratch + LWS_PRE;
    size_t chunk = req->response_len - req->response_sent;
    if (chunk > HTTP_WRITE_CHUNK)
        chunk = HTTP_WRITE_CHUNK;
    memcpy(start, req->response + req->response_sent, chunk);
    req->response_sent += chunk;
    req->stream_written += chunk;
    int final = req->stream_written == req->stream_total;
    if (lws_write(wsi, start, chunk, final ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) < (int)chunk)
        return -1;
    if (final)
        return 1;
    lws_callback_on_writable(wsi);
    return 0;
}

/* Writes the headers, then the body in chunks. Returns -1 to close, 1 when done, 0 for more. */
static int request_write(http_request *req, struct lws *wsi)
{
    http_server *server = req->server;
    if (req->evicted)
        return -1;
    unsigned char *start = server->scratch + LWS_PRE;
    unsigned char *end = server->scratch + sizeof server->scratch - 1;
    if (!req->headers_sent) {
        unsigned char *p = start;
        if (lws_add_http_common_headers(wsi, (unsigned)req->status, req->content_type,
                                        req->stream ? (lws_filepos_t)req->stream_total
                                                    : (lws_filepos_t)req->response_len,
                                        &p, end))
            return -1;
        size_t at = 0;
        while (at < req->extra_len) {
            const char *name = req->extra_headers + at;
            const char *value = name + strlen(name) + 1;
            if (lws_add_http_header_by_name(wsi, (const unsigned char *)name,
                                            (const unsigned char *)value, (int)strlen(value),
                                            &p, end))
                return -1;
            at = (size_t)(value + strlen(value) + 1 - req->extra_headers);
        }
        if (add_persistence_headers(req, wsi, &p, end))
            return -1;
        if (lws_finalize_write_http_header(wsi, start, &p, end))
            return -1;
        req->headers_sent = 1;
        if (req->stream)
            return stream_write_more(req, wsi);
        if (req->response_len == 0)
            return 1;
        /* the body follows in this callback: lws queues behind the headers what waits */
    }
    if (req->stream)
        return stream_write_more(req, wsi);
    size_t chunk = req->response_len - req->response_sent;
    if (chunk > HTTP_WRITE_CHUNK)
        chunk = HTTP_WRITE_CHUNK;
    memcpy(start, req->response + req->response_sent, chunk);
    req->response_sent += chunk;
    queue_budget_release(server->config.budget, &req->held, chunk); /* lws holds at most this */
    int final = req->response_sent == req->response_len;
    if (lws_write(wsi, start, chunk, final ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) < (int)chunk)
        return -1;
    if (final)
        return 1;
    lws_callback_on_writable(wsi);
    return 0;
}

/* ---------- websockets ---------- */

static void ws_dirty_unlink(http_ws *ws)
{
    if (!ws->dirty)
        return;
    if (ws->dirty_prev)
        ws->dirty_prev->dirty_next = ws->dirty_next;
    else
        ws->server->dirty = ws->dirty_next;
    if (ws->dirty_next)
        ws->dirty_next->dirty_prev = ws->dirty_prev;
    ws->dirty_prev = ws->dirty_next = NULL;
    ws->dirty = 0;
}

/* A message leaves the queue (written or dropped): its bytes leave the budget. */
static void ws_message_done(http_ws *ws, http_ws_message *m)
{
    struct queue_budget *budget = ws->server->config.budget;
    if (m->frame)
        queue_budget_release_shared(budget, &ws->held, m->len);
    else
        queue_budget_release(budget, &ws->held, m->len);
    http_ws_frame_unref(m->frame);
    free(m);
}

/* Frees what is queued, giving its bytes back to the budget. */
static void ws_queue_clear(http_ws *ws)
{
    http_ws_message *m = ws->head;
    while (m) {
        http_ws_message *next = m->next;
        ws_message_done(ws, m);
        m = next;
    }
    ws->head = ws->tail = NULL;
    ws->queued_messages = ws->queued_bytes = 0;
}

static void ws_free(http_ws *ws)
{
    ws_dirty_unlink(ws);
    ws_queue_clear(ws);
    free(ws->rx);
    free(ws);
}

/* Dropped for the outgoing budget: its queue goes now, the connection on the next loop turn
 * (its owner hears of it from on_ws_close, as of any close). */
static void ws_evict(struct queue_holder *holder)
{
    http_ws *ws = (http_ws *)((char *)holder - offsetof(http_ws, held));
    ws_queue_clear(ws);
    ws->closing = 1;
    ws->close_code = 1013; /* try again later */
    if (!ws->overflowed) {
        ws->overflowed = 1;
        ws->server->slow_readers++;
    }
    lws_set_timeout(ws->wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
}

static void ws_flush_all(uv_prepare_t *prepare);

/* Puts a message at the end of the queue (the caller checked the bounds). The socket is written
 * when the loop turn ends (ws_flush_all), with whatever else it is given meanwhile. */
static void ws_enqueue(http_ws *ws, http_ws_message *m)
{
    m->next = NULL;
    if (ws->tail)
        ws->tail->next = m;
    else
        ws->head = m;
    ws->tail = m;
    ws->queued_messages++;
    ws->queued_bytes += m->len;
    http_server *server = ws->server;
    if (ws->dirty)
        return;
    if (server->stopping) {            /* no flush any more: lws' own writable cycle */
        lws_callback_on_writable(ws->wsi);
        return;
    }
    ws->dirty = 1;
    ws->dirty_prev = NULL;
    ws->dirty_next = server->dirty;
    if (server->dirty)
        server->dirty->dirty_prev = ws;
    server->dirty = ws;
    uv_prepare_start(&server->flush, ws_flush_all);
}

/* Whether len more bytes (of a shared frame, or its own) can't be queued: the socket's own
 * bounds, then the process's budget (which they are counted in when they can). */
static int ws_queue_full(http_ws *ws, size_t len, http_ws_frame *frame)
{
    http_server *server = ws->server;
    struct queue_budget *budget = server->config.budget;
    if (ws->closing)
        return 1;
    if (ws->queued_messages < server->config.ws_queue_messages &&
        ws->queued_bytes + len <= server->config.ws_queue_bytes &&
        (frame ? queue_budget_hold_shared(budget, &ws->held, len, !frame->budget)
               : queue_budget_hold(budget, &ws->held, len)) == 0) {
        if (frame)
            frame->budget = budget;
        return 0;
    }
    if (!ws->overflowed) { /* the owner drops it now: a slow reader, counted once */
        ws->overflowed = 1;
        server->slow_readers++;
    }
    return 1;
}

http_ws_frame *http_ws_frame_new(const void *head, size_t head_len, const void *body,
                                 size_t body_len)
{
    http_ws_frame *frame = malloc(sizeof *frame + LWS_PRE + head_len + body_len);
    if (!frame)
        return NULL;
    frame->refs = 1;
    frame->len = head_len + body_len;
    frame->budget = NULL;
    if (head_len)
        memcpy(frame->bytes + LWS_PRE, head, head_len);
    if (body_len)
        memcpy(frame->bytes + LWS_PRE + head_len, body, body_len);
    return frame;
}

void http_ws_frame_unref(http_ws_frame *frame)
{
    if (!frame || --frame->refs > 0)
        return;
    queue_budget_uncharge(frame->budget, frame->len);
    free(frame);
}

/* lws_write puts the frame header in the headroom before the message: for a shared frame each
 * write puts the same header there (server frames are not masked), one write at a time. */
int http_ws_send_frame(http_ws *ws, http_ws_frame *frame)
{
    if (ws_queue_full(ws, frame->len, frame))
        return -1;
    http_ws_message *m = calloc(1, sizeof *m);
    if (!m) { /* the frame stays counted until it is freed */
        queue_budget_release_shared(ws->server->config.budget, &ws->held, frame->len);
        return -1;
    }
    m->len = frame->len;
    m->frame = frame;
    frame->refs++;
    ws_enqueue(ws, m);
    return 0;
}

int http_ws_send2(http_ws *ws, const void *head, size_t head_len, const void *body,
                  size_t body_len, int binary)
{
    size_t len = head_len + body_len;
    if (ws_queue_full(ws, len, NULL))
        return -1;
    http_ws_message *m = malloc(sizeof *m + LWS_PRE + len);
    if (!m) {
        queue_budget_release(ws->server->config.budget, &ws->held, len);
        return -1;
    }
    m->len = len;
    m->binary = binary;
    m->frame = NULL;
    if (head_len)
        memcpy(m->bytes + LWS_PRE, head, head_len);
    if (body_len)
        memcpy(m->bytes + LWS_PRE + head_len, body, body_len);
    ws_enqueue(ws, m);
    return 0;
}

int http_ws_send(http_ws *ws, const void *msg, size_t len, int binary)
{
    return http_ws_send2(ws, NULL, 0, msg, len, binary);
}

void http_ws_close(http_ws *ws, int code)
{
    if (ws->closing)
        return;
    ws->closing = 1;
    ws->close_code = code;
    lws_callback_on_writable(ws->wsi);
}

void http_ws_set_data(http_ws *ws, void *data) { ws->data = data; }
void http_ws_set_max_message(http_ws *ws, size_t max)
{
    ws->max_message = max ? max : ws->server->config.max_ws_message;
}
void *http_ws_data(const http_ws *ws) { return ws->data; }
size_t http_ws_queued_bytes(const http_ws *ws) { return ws->queued_bytes; }

/* The websocket header of a final, unmasked server frame (RFC 6455 5.2): 2, 4 or 10 bytes. */
static size_t ws_frame_header(unsigned char *out, size_t len, int binary)
{
    out[0] = 0x80 | (binary ? 0x2 : 0x1);
    if (len < 126) {
        out[1] = (unsigned char)len;
        return 2;
    }
    if (len <= 0xffff) {
        out[1] = 126;
        out[2] = (unsigned char)(len >> 8);
        out[3] = (unsigned char)len;
        return 4;
    }
    out[1] = 127;
    for (int i = 0; i < 8; i++)
        out[2 + i] = (unsigned char)((uint64_t)len >> (56 - 8 * i));
    return 10;
}

static http_ws_message *ws_pop(http_ws *ws)
{
    http_ws_message *m = ws->head;
    ws->head = m->next;
    if (!ws->head)
        ws->tail = NULL;
    ws->queued_messages--;
    ws->queued_bytes -= m->len;
    return m;
}


/* One send for the messages at the head of the queue: as many whole frames as fit in the
 * batch buffer, each framed here and the lot written raw (lws adds nothing to a raw write; no
 * extension such as permessage-deflate is offered, so frames need no other treatment). A first
 * message too big for the buffer goes alone, framed by lws in its headroom. Returns the result
 * of lws_write (< 0: the connection is broken). */
static int ws_write_some(http_ws *ws)
{
    unsigned char *batch = ws->server->ws_batch;
    size_t used = 0;
    while (ws->head && used + 10 + ws->head->len <= HTTP_WS_BATCH) {
        http_ws_message *m = ws_pop(ws);
        const unsigned char *bytes = (m->frame ? m->frame->bytes : m->bytes) + LWS_PRE;
        used += ws_frame_header(batch + used, m->len, m->binary);
        memcpy(batch + used, bytes, m->len);
        used += m->len;
        ws_message_done(ws, m);
    }
    if (used)
        return lws_write(ws->wsi, batch, used, LWS_WRITE_RAW);
    http_ws_message *m = ws_pop(ws);
    unsigned char *bytes = m->frame ? m->frame->bytes : m->bytes;
    int n = lws_write(ws->wsi, bytes + LWS_PRE, m->len,
                      m->binary ? LWS_WRITE_BINARY : LWS_WRITE_TEXT);
    ws_message_done(ws, m);
    return n;
}

/* Writes what is queued while lws holds nothing back for the socket: when the kernel takes only
 * part of a send, lws keeps the rest and asks for a writable callback, so at most one batch
 * waits in lws beyond the bounded queue. Returns -1 when the connection is broken. */
static int ws_write_queued(http_ws *ws)
{
    if (ws->peer_closed)
        return 0;
    while (ws->head && !lws_partial_buffered(ws->wsi))
        if (ws_write_some(ws) < 0)
            return -1;
    if (ws->head || ws->closing)
        lws_callback_on_writable(ws->wsi);
    return 0;
}

/* The writable callback: the queue, then the close once it is empty. */
static int ws_write(http_ws *ws)
{
    if (!ws->head && ws->closing) {
        lws_close_reason(ws->wsi, (enum lws_close_status)ws->close_code, NULL, 0);
        return -1;
    }
    return ws_write_queued(ws);
}

/* The prepare phase, just before the loop polls: every socket given messages in this turn is
 * written now, without waiting for a writable event (a socket is writable unless lws holds
 * data back for it, which ws_write_queued checks). A broken one is closed by lws shortly. */
static void ws_flush_all(uv_prepare_t *prepare)
{
    http_server *server = prepare->data;
    uv_prepare_stop(prepare);
    while (server->dirty) {
        http_ws *ws = server->dirty;
        ws_dirty_unlink(ws);
        if (ws_write_queued(ws) < 0)
            lws_set_timeout(ws->wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
    }
}

/* Gathers fragments into one message, bounded by max_ws_message. Returns -1 to close. */
static int ws_receive(http_ws *ws, struct lws *wsi, const uint8_t *in, size_t len)
{
    size_t limit = ws->max_message;
    int whole = lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0;
    if (ws->rx_len + len > limit) {
        lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, NULL, 0);
        return -1;
    }
    if (whole && ws->rx_len == 0) {    /* the common case: no copy */
        if (!ws->closing)
            ws->route->on_ws_message(ws, in, len, lws_frame_is_binary(wsi), ws->route->data);
        return 0;
    }
    if (ws->rx_len + len > ws->rx_cap) {
        size_t cap = ws->rx_cap ? ws->rx_cap * 2 : 4096;
        while (cap < ws->rx_len + len)
            cap *= 2;
        if (cap > limit)
            cap = limit;
        uint8_t *grown = realloc(ws->rx, cap);
        if (!grown)
            return -1;
        ws->rx = grown;
        ws->rx_cap = cap;
    }
    memcpy(ws->rx + ws->rx_len, in, len);
    ws->rx_len += len;
    if (!whole)
        return 0;
    if (!ws->closing)
        ws->route->on_ws_message(ws, ws->rx, ws->rx_len, lws_frame_is_binary(wsi),
                                 ws->route->data);
    free(ws->rx);                      /* idle sockets keep no buffer */
    ws->rx = NULL;
    ws->rx_len = ws->rx_cap = 0;
    return 0;
}

/* ---------- the lws callback ---------- */

static void request_gone(http_conn *conn)
{
    http_request *req = conn->req;
    conn->req = NULL;
    if (!req)
        return;
    req->wsi = NULL;
    if ((!req->answered || req->stream) && req->on_gone) {
        void (*on_gone)(http_request *, void *) = req->on_gone;
        req->on_gone = NULL;
        on_gone(req, req->gone_data);
        request_free(req);
    } else if (req->answered) {
        request_free(req);
    }
    /* unanswered and no gone callback: the route still holds it; http_respond frees it */
}

static int request_dispatch(http_request *req)
{
    /* a held request must not be killed by lws' content timeout */
    lws_set_timeout(req->wsi, NO_PENDING_TIMEOUT, 0);
    req->dispatched = 1;
    req->route->on_request(req, req->route->data);
    return 0;
}

/* A request refused before its route sees it: the route answers in its own format if it can. */
static void request_refuse(http_request *req, int status, const char *text)
{
    req->close_after = 1;
    if (req->route->on_refused)
        req->route->on_refused(req, status, req->route->data);
    else
        http_respond(req, status, "text/plain", NULL, text, strlen(text));
}

/* "chunked" alone: other codings (gzip, ...) are not decoded here. */
static int is_chunked(const char *te)
{
    while (*te == ' ' || *te == '\t')
        te++;
    size_t len = strlen(te);
    while (len && (te[len - 1] == ' ' || te[len - 1] == '\t'))
        len--;
    return len == 7 && strncasecmp(te, "chunked", 7) == 0;
}

static int on_http(http_server *server, http_conn *conn, struct lws *wsi)
{
    http_request *req = request_capture(server, wsi);
    if (!req)
        return -1;
    conn->req = req;
    req->route = find_route(server, req->path);
    const char *te = http_request_header(req, "transfer-encoding");
    const char *cl = http_request_header(req, "content-length");
    if (!req->route) {
        /* a body would follow unread: the connection can't be reused */
        req->close_after = te || (cl && strcmp(cl, "0") != 0);
        http_respond(req, 404, "text/plain", NULL, "not found", 9);
        return 0;
    }
    if (req->route->stream_body) {
        char *endp;
        unsigned long long n = cl ? strtoull(cl, &endp, 10) : 0;
        if (te || (cl && *endp)) {     /* no Content-Length: no body */
            request_refuse(req, 411, "a Content-Length is required");
            return 0;
        }
        if (n > req->route->max_body) {
            request_refuse(req, 413, "payload too large");
            return 0;
        }
        req->body_expected = (size_t)n;
        req->streaming = 1;
        return request_dispatch(req);
    }
    if (te) {
        /* both framings at once is how requests are smuggled (RFC 9112 section 6.3): refuse */
        if (cl) {
            request_refuse(req, 400, "both Transfer-Encoding and Content-Length");
            return 0;
        }
        if (!is_chunked(te)) {
            request_refuse(req, 501, "unsupported transfer coding");
            return 0;
        }
        /* lws 4.1 doesn't decode chunked request bodies: it hands over the raw bytes, and keeps
         * doing so past the body's end, so nothing after it can be read as a request. The body
         * is decoded here, and the connection closes after the answer (which says so). */
        req->chunked = 1;
        req->close_after = 1;
        http_chunked_init(&req->dechunk, req->route->max_body);
        return 0;                      /* wait for LWS_CALLBACK_HTTP_BODY */
    }
    if (cl) {
        char *endp;
        unsigned long long n = strtoull(cl, &endp, 10);
        if (*endp || n > req->route->max_body) {
            request_refuse(req, 413, "payload too large");
            return 0;
        }
        req->body_expected = (size_t)n;
    }
    if (req->body_expected == 0)
        return request_dispatch(req);
    return 0;                          /* wait for LWS_CALLBACK_HTTP_BODY */
}

static int body_append(const uint8_t *in, size_t len, void *arg)
{
    http_request *req = arg;
    uint8_t *grown = realloc(req->body, req->body_len + len + 1);
    if (!grown)
        return -1;
    req->body = grown;
    memcpy(req->body + req->body_len, in, len);
    req->body_len += len;
    req->body[req->body_len] = '\0';
    return 0;
}

/* A chunked body: decoded as it comes, within the route's max_body; the request is dispatched
 * on the last chunk. Bad framing is 400, too much 413; either closes the connection. */
static int on_chunked_body(http_request *req, const uint8_t *in, size_t len)
{
    size_t used;
    switch (http_chunked_feed(&req->dechunk, in, len, &used, body_append, req)) {
    case HTTP_CHUNKED_MORE:
        return 0;
    case HTTP_CHUNKED_DONE:
        return request_dispatch(req);
    case HTTP_CHUNKED_BAD:
        request_refuse(req, 400, "malformed chunked body");
        return 0;
    case HTTP_CHUNKED_TOO_LARGE:
        request_refuse(req, 413, "payload too large");
        return 0;
    default:
        return -1;                     /* out of memory */
    }
}

/* A streamed body's bytes go to the route as they come; after the answer they are dropped. */
static int on_streamed_body(http_request *req, const uint8_t *in, size_t len)
{
    if (req->body_len + len > req->body_expected)
        return -1;
    req->body_len += len;
    if (!req->answered && req->on_body)
        req->on_body(req, in, len, 0, req->body_data);
    return 0;
}

static int on_http_body(http_conn *conn, const uint8_t *in, size_t len)
{
    http_request *req = conn->req;
    if (req && req->streaming && len)
        return on_streamed_body(req, in, len);
    if (!req || req->answered || req->dispatched || len == 0)
        return 0;                      /* e.g. bytes after a chunked body: the connection closes */
    if (req->chunked)
        return on_chunked_body(req, in, len);
    if (req->body_len + len > req->body_expected)
        return -1;
    return body_append(in, len, req);
}

static int on_ws_filter(http_server *server, http_conn *conn, struct lws *wsi)
{
    http_request *req = request_capture(server, wsi);
    if (!req)
        return -1;
    req->route = find_route(server, req->path);
    if (!req->route || !req->route->on_ws_open || !req->route->on_ws_message ||
        !req->route->on_ws_close) {
        request_free(req);
        return -1;
    }
    conn->upgrade = req;
    return 0;
}

static int on_ws_established(http_server *server, http_conn *conn, struct lws *wsi)
{
    http_request *req = conn->upgrade;
    conn->upgrade = NULL;
    if (!req)
        return -1;
    http_ws *ws = calloc(1, sizeof *ws);
    if (!ws) {
        request_free(req);
        return -1;
    }
    ws->wsi = wsi;
    ws->server = server;
    ws->route = req->route;
    ws->held.evict = ws_evict;
    ws->max_message = server->config.max_ws_message;
    conn->ws = ws;
    int refused = req->route->on_ws_open(ws, req, req->route->data);
    request_free(req);
    if (refused) {
        conn->ws = NULL;
        ws_free(ws);
        lws_close_reason(wsi, LWS_CLOSE_STATUS_POLICY_VIOLATION, NULL, 0);
        return -1;
    }
    ws->opened = 1;
    return 0;
}

static void on_ws_closed(http_conn *conn)
{
    http_ws *ws = conn->ws;
    conn->ws = NULL;
    if (!ws)
        return;
    if (ws->opened)
        ws->route->on_ws_close(ws, ws->route->data);
    ws_free(ws);
}

/* ---------- connections: caps at accept ---------- */

/* A new connection, before lws gives it anything: closed at once past a cap (the client sees a
 * reset; it costs the server nothing but the accept). */
static int on_accept(http_server *server, const struct lws_filter_network_conn_args *accept)
{
    if (!server || !accept)
        return 0;
    server->accepting[0] = '\0';
    if (server->config.max_connections && server->connections >= server->config.max_connections) {
        server->refused_connections++;
        return -1;
    }
    lws_get_peer_simple_fd(accept->accept_fd, server->accepting, sizeof server->accepting);
    if (server->config.max_address_connections &&
        address_count_of(server->peers, server->accepting) >= server->config.max_address_connections) {
        server->refused_address_connections++;
        return -1;
    }
    return 0;
}

/* The connection accepted just now (in the same turn as its filter) is counted to its peer; the
 * entry rides on the wsi until it is destroyed. */
static int on_accepted(http_server *server, struct lws *wsi)
{
    if (!server || lws_get_opaque_user_data(wsi))
        return 0;
    struct address_entry *entry = address_count_take(server->peers, server->accepting, 0);
    if (!entry)
        return -1;
    lws_set_opaque_user_data(wsi, entry);
    server->connections++;
    return 0;
}

static void on_connection_closed(http_server *server, struct lws *wsi)
{
    struct address_entry *entry = lws_get_opaque_user_data(wsi);
    if (!entry)
        return;
    lws_set_opaque_user_data(wsi, NULL);
    address_count_release(server->peers, entry);
    server->connections--;
}

/* lws 4.1 stays in its body state until the answer is written; when the next request is already
 * buffered behind the body (pipelining), it reports the body's end again and again in a busy
 * loop, and never lets the answer be written. So the answer, if the route gave it yet, is written
 * at once with "Connection: close", and the connection is closed: the requests pipelined behind
 * a body are lost (RFC 9112 section 9.3.2: clients retry them), the server never spins. */
static int body_end_repeated(http_request *req, struct lws *wsi)
{
    if (req->answered && !req->headers_sent) {
        req->close_after = 1;
        while (request_write(req, wsi) == 0 && !lws_send_pipe_choked(wsi))
            ;
    }
    return -1;
}

static int http_callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                         size_t len)
{
    http_conn *conn = user;
    struct lws_context *context = lws_get_context(wsi);
    http_server *server = context ? lws_context_user(context) : NULL;
    switch (reason) {
    case LWS_CALLBACK_HTTP:
        if (conn->req)                 /* pipelined while the last is unanswered: refuse */
            return -1;
        return on_http(server, conn, wsi);
    case LWS_CALLBACK_HTTP_BODY:
        return on_http_body(conn, in, len);
    case LWS_CALLBACK_HTTP_BODY_COMPLETION: {
        http_request *req = conn->req;
        /* a chunked body ends where its decoder says, not here */
        if (!req || req->chunked)
            return 0;
        if (req->body_ended)
            return body_end_repeated(req, wsi);
        req->body_ended = 1;
        if (req->streaming) {
            if (req->body_len != req->body_expected)
                return -1;
            if (!req->answered && req->on_body)
                req->on_body(req, NULL, 0, 1, req->body_data);
            return 0;
        }
        /* dispatched without a body by on_http (lws may still report an empty one), or refused
         * before the body (413, 404) */
        if (req->dispatched || req->answered)
            return 0;
        if (req->body_len != req->body_expected)
            return -1;
        return request_dispatch(req);
    }
    case LWS_CALLBACK_HTTP_WRITEABLE: {
        http_request *req = conn->req;
        if (!req || !req->answered)
            return 0;
        int done = request_write(req, wsi);
        if (done == 0)
            return 0;
        int close_after = req->close_after || done < 0;
        conn->req = NULL;
        request_free(req);
        if (close_after)
            return -1;
        return lws_http_transaction_completed(wsi) ? -1 : 0;
    }
    case LWS_CALLBACK_CLOSED_HTTP:
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL: /* lws frees `user` after this one */
        if (conn)
            request_gone(conn);
        return 0;
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        return on_ws_filter(server, conn, wsi);
    case LWS_CALLBACK_ESTABLISHED:
        return on_ws_established(server, conn, wsi);
    case LWS_CALLBACK_RECEIVE:
        if (!conn->ws)
            return -1;
        return ws_receive(conn->ws, wsi, in, len);
    case LWS_CALLBACK_SERVER_WRITEABLE:
        if (!conn->ws)
            return -1;
        return ws_write(conn->ws);
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        if (conn->ws)                  /* no data frame may follow the close lws sends back */
            conn->ws->peer_closed = 1;
        return 0;
    case LWS_CALLBACK_CLOSED:
        on_ws_closed(conn);
        return 0;
    case LWS_CALLBACK_FILTER_NETWORK_CONNECTION: /* user: the accept's arguments, not a conn */
        return on_accept(server, user);
    case LWS_CALLBACK_SERVER_NEW_CLIENT_INSTANTIATED:
        return on_accepted(server, wsi);
    case LWS_CALLBACK_WSI_DESTROY:
        if (server)
            on_connection_closed(server, wsi);
        if (conn) {                    /* whatever is left when the connection ends */
            request_gone(conn);
            on_ws_closed(conn);
            if (conn->upgrade) {
                request_free(conn->upgrade);
                conn->upgrade = NULL;
            }
        }
        return 0;
    default:
        return 0;
    }
}

/* ---------- public ---------- */

static void http_server_release(struct lws_vhost *vhost, void *arg);

http_server *http_server_new(uv_loop_t *loop, const http_server_config *config)
{
    http_server *server = calloc(1, sizeof *server);
    if (!server)
        return NULL;
    server->loop = loop;
    server->config = *config;
    server->peers = address_count_new();
    if (!server->peers) {
        free(server);
        return NULL;
    }
    server->protocols[0] = (struct lws_protocols){
        .name = "http",
        .callback = http_callback,
        .per_session_data_size = sizeof(http_conn),
        /* lws gives every websocket a receive buffer this big: small keeps idle sockets cheap
         * (512 holds a usual Socket.IO event; 1024 cost half a KiB more per socket), and a
         * bigger message arrives in fragments that ws_receive joins */
        .rx_buffer_size = 512,
        .tx_packet_size = HTTP_WRITE_CHUNK,
    };
    lws_set_log_level(LLL_ERR, NULL);
    void *foreign_loops[1] = {loop};
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = config->port;
    info.iface = config->host;
    info.protocols = server->protocols;
    info.options = LWS_SERVER_OPTION_LIBUV | LWS_SERVER_OPTION_VALIDATE_UTF8;
    if (config->host && strchr(config->host, '.'))  /* an IPv4 address binds only on v4 */
        info.options |= LWS_SERVER_OPTION_DISABLE_IPV6;
    info.foreign_loops = foreign_loops;
    info.user = server;
    info.finalize = http_server_release;
    info.finalize_arg = server;
    info.pt_serv_buf_size = 8192;
    info.timeout_secs = 30;
    server->idle_s = config->keepalive_idle_s ? config->keepalive_idle_s : HTTP_IDLE_DEFAULT_S;
    info.keepalive_timeout = (int)server->idle_s;
    server->context = lws_create_context(&info);
    if (!server->context) {
        fprintf(stderr, "level=error module=http msg=\"cannot listen\" port=%d\n", config->port);
        address_count_free(server->peers);
        free(server);
        return NULL;
    }
    uv_prepare_init(loop, &server->flush);
    server->flush.data = server;
    return server;
}

void http_server_drain(http_server *server) { server->draining = 1; }

int http_server_add_route(http_server *server, const http_route *route)
{
    if (server->route_count >= HTTP_MAX_ROUTES || !route->on_request || !route->prefix)
        return -1;
    char *prefix = strdup(route->prefix);
    if (!prefix)
        return -1;
    server->routes[server->route_count] = *route;
    server->routes[server->route_count].prefix = prefix;
    server->route_count++;
    return 0;
}

/* lws calls this when the vhost goes, after its last connection. With a foreign loop that is
 * later than the first lws_context_destroy, and lws' callbacks reach the server until then;
 * so the server is only marked here, and freed by the http_server_free call that follows. */
static void http_server_release(struct lws_vhost *vhost, void *arg)
{
    (void)vhost;
    http_server *server = arg;
    server->finalized = 1;
}

void http_server_free(http_server *server)
{
    if (!server)
        return;
    /* lws 4.1 with a foreign loop tears down in two calls: the first closes every connection
     * (the loop must then run), the second completes and calls http_server_release */
    int first = !server->stopping;
    if (first) {
        ws_flush_all(&server->flush); /* what sockets were given last goes out before they close */
        server->stopping = 1;
        uv_close((uv_handle_t *)&server->flush, NULL);
    }
    lws_context_destroy(server->context);
    if (first)
        return;
    if (!server->finalized)
        return;                    /* lws still busy: nothing more is safe to free */
    for (size_t i = 0; i < server->route_count; i++)
        free((char *)server->routes[i].prefix);
    address_count_free(server->peers);
    free(server);
}

http_method http_request_method(const http_request *req) { return req->method; }
const char *http_request_path(const http_request *req) { return req->path; }
const char *http_request_peer(const http_request *req) { return req->peer; }

const char *http_request_query(const http_request *req, const char *name)
{
    return find_pair(req->query, req->query_len, name);
}

const char *http_request_header(const http_request *req, const char *name)
{
    return find_pair(req->headers, req->headers_len, name);
}

const uint8_t *http_request_body(const http_request *req, size_t *len)
{
    *len = req->body_len;
    return req->body;
}

void http_request_on_body(http_request *req,
                          void (*on_body)(http_request *, const uint8_t *, size_t, int, void *),
                          void *data)
{
    req->on_body = on_body;
    req->body_data = data;
}

void http_request_pause_body(http_request *req, int paused)
{
    if (req->wsi)
        lws_rx_flow_control(req->wsi, paused ? 0 : 1);
}

size_t http_request_body_length(const http_request *req)
{
    return req->body_expected;
}

int http_respond_stream(http_request *req, int status, const char *content_type,
                        const http_header *headers, uint64_t content_length,
                        void (*on_drained)(http_request *, void *), void *data)
{
    req->stream = 1;
    req->stream_total = content_length;
    req->on_drained = on_drained;
    req->drained_data = data;
    return http_respond(req, status, content_type, headers, NULL, 0);
}

int http_stream_write(http_request *req, const void *bytes, size_t len)
{
    if (!req->stream || req->stream_written + (req->response_len - req->response_sent) + len >
                            req->stream_total)
        return -1;
    size_t left = req->response_len - req->response_sent;
    uint8_t *grown = malloc(left + len ? left + len : 1);
    if (!grown)
        return -1;
    if (left)
        memcpy(grown, req->response + req->response_sent, left);
    memcpy(grown + left, bytes, len);
    free(req->response);
    req->response = grown;
    req->response_len = left + len;
    req->response_sent = 0;
    req->stream_asked = 0;
    if (req->wsi)
        lws_callback_on_writable(req->wsi);
    return 0;
}

void http_request_close(http_request *req)
{
    if (req->wsi)
        lws_set_timeout(req->wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
}

void http_request_on_gone(http_request *req, void (*on_gone)(http_request *, void *), void *data)
{
    req->on_gone = on_gone;
    req->gone_data = data;
}

int http_request_set_timeout(http_request *req, uint64_t ms,
                             void (*on_timeout)(http_request *, void *), void *data)
{
    if (!req->timer) { /* made on first use (alike in shape to send_batch's pending sends) */
        uv_timer_t *timer = malloc(sizeof *timer);
        if (!timer || uv_timer_init(req->server->loop, timer)) {
            free(timer);
            return -1;
        }
        req->timer = timer;
        timer->data = req;
    }
    req->on_timeout = on_timeout;
    req->timeout_data = data;
    uv_timer_start(req->timer, timeout_fired, ms, 0);
    return 0;
}

uint64_t http_server_slow_readers(const http_server *server) { return server->slow_readers; }
unsigned http_server_connections(const http_server *server) { return server->connections; }
uint64_t http_server_refused_connections(const http_server *server)
{
    return server->refused_connections;
}
uint64_t http_server_refused_address_connections(const http_server *server)
{
    return server->refused_address_connections;
}

const char *http_request_client(const http_request *req, int trust_proxy, char *out, size_t size)
{
    const char *forwarded = trust_proxy ? http_request_header(req, "x-forwarded-for") : NULL;
    if (!forwarded || !*forwarded)
        return req->peer;
    const char *last = strrchr(forwarded, ',');
    last = last ? last + 1 : forwarded;
    while (*last == ' ' || *last == '\t')
        last++;
    size_t length = strcspn(last, " \t");
    if (length == 0 || length >= size)
        return req->peer;
    memcpy(out, last, length);
    out[length] = '\0';
    return out;
}
