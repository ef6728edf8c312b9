/* eio_server: Engine.IO v4 sessions over http_server.
 *
 * A session starts on polling (GET without sid) or on a websocket (no sid). A polling session
 * buffers outgoing packets until a GET takes them; it may then upgrade: a websocket with its sid
 * is a candidate, "2probe" -> "3probe" (and the held GET gets a noop), then "5" makes the websocket
 * the transport. One uv timer per session drives the heartbeat: pingInterval, send ping, then
 * pingTimeout for the pong. Sessions are freed only from that timer's close callback, so a
 * session closed inside a callback stays readable until the loop turns. */
#include "protocol/eio_server.h"

#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "core/address_count.h"
#include "core/eio_map.h"
#include "protocol/eio_packet.h"

typedef enum { TRANSPORT_POLLING, TRANSPORT_WEBSOCKET } transport_kind;
typedef enum { UPGRADE_NONE, UPGRADE_PROBING, UPGRADE_PROBED } upgrade_state;

enum { ERR_TRANSPORT = 0, ERR_SID = 1, ERR_METHOD = 2, ERR_BAD = 3, ERR_VERSION = 5 };
static const char *const error_messages[] = {
    "Transport unknown", "Session ID unknown", "Bad handshake method",
    "Bad request",       "Forbidden",          "Unsupported protocol version",
};

typedef struct eio_out {       /* one packet waiting for a poll (or for the upgrade to end) */
    struct eio_out *next;
    eio_packet_type type;
    int binary;
    size_t len;
    uint8_t data[];
} eio_out;

struct eio_server {
    uv_loop_t *loop;
    eio_config config;
    char *path;
    char *cors_origin;
    eio_map *sessions;
    struct address_count *addresses; /* sessions by client address */
    uint64_t refused_sessions, refused_address_sessions;
};

struct eio_socket {
    eio_server *server;
    char sid[21];
    transport_kind transport;
    upgrade_state upgrade;
    http_ws *ws;               /* the websocket transport */
    http_ws *probe_ws;         /* an upgrade candidate */
    http_request *poll;        /* a held GET */
    eio_out *head, *tail;
    size_t out_count, out_bytes;
    struct queue_holder held;  /* out_bytes, in the process's outgoing budget */
    struct address_entry *address; /* the client address it counts against */
    size_t max_message;        /* see eio_socket_limit_messages */
    uv_timer_t timer;
    int awaiting_pong;
    uint64_t pong_deadline;    /* loop time by which the pong is due, while awaiting_pong */
    int closing;               /* flushing before a server-side close */
    int closed;                /* on_close delivered; freed when the timer has closed */
    const char *close_reason;
    void *data;
};

/* ---------- small pieces ---------- */

void eio_random_id(char *out, size_t len)
{
    static const char chars[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char bytes[64];
    if (len > sizeof bytes)
        len = sizeof bytes;
    if (getrandom(bytes, len, 0) != (ssize_t)len) {
        for (size_t i = 0; i < len; i++)     /* never expected; still unique enough per run */
            bytes[i] = (unsigned char)rand();
    }
    for (size_t i = 0; i < len; i++)
        out[i] = chars[bytes[i] & 63];
    out[len] = '\0';
}

/* Engine.IO's defaults for any server of this layer; the bridge's own settings (core/config.c,
 * alike in shape) are copied over them by main.c. */
void eio_config_defaults(eio_config *config)
{
    memset(config, 0, sizeof *config);
    config->path = "/engine.io/";
    config->ping_interval_ms = 25000;
    config->ping_timeout_ms = 20000;
    config->max_payload = 1000000;
    config->max_sessions = 50000;
    /* a client has no reason to post more at once; each packet may become a database call */
    config->max_payload_packets = 256;
    config->max_buffered_packets = 1000;
    config->max_buffered_bytes = 4u << 20;
    config->allow_upgrades = 1;
}

/* CORS headers for a response; `out` needs room for 4 entries. */
static const http_header *cors_headers(eio_server *server, const http_request *req,
                                       http_header *out)
{
    size_t n = 0;
    const char *origin = http_request_header(req, "origin");
    if (server->cors_origin) {
        if (strcmp(server->cors_origin, "*") == 0) {
            out[n++] = (http_header){"Access-Control-Allow-Origin", "*"};
        } else if (origin && strcmp(origin, server->cors_origin) == 0) {
            out[n++] = (http_header){"Access-Control-Allow-Origin", server->cors_origin};
            out[n++] = (http_header){"Access-Control-Allow-Credentials", "true"};
            out[n++] = (http_header){"Vary", "Origin"};
        }
    }
    out[n] = (http_header){NULL, NULL};
    return out;
}

static void respond_error(eio_server *server, http_request *req, int status, int code)
{
    char body[96];
    int len = snprintf(body, sizeof body, "{\"code\":%d,\"message\":\"%s\"}", code,
                       error_messages[code]);
    http_header headers[4];
    http_respond(req, status, "application/json", cors_headers(server, req, headers), body,
                 (size_t)len);
}

static void respond_text(eio_server *server, http_request *req, const void *body, size_t len)
{
    http_header headers[4];
    http_respond(req, 200, "text/plain; charset=UTF-8", cors_headers(server, req, headers), body,
                 len);
}

/* ---------- session lifetime ---------- */

static void session_free(uv_handle_t *handle)
{
    eio_socket *s = handle->data;
    free(s);
}

static void queue_clear(eio_socket *s)
{
    eio_out *o = s->head;
    while (o) {
        eio_out *next = o->next;
        free(o);
        o = next;
    }
    s->head = s->tail = NULL;
    s->out_count = s->out_bytes = 0;
    queue_budget_release(s->server->config.budget, &s->held, s->held.bytes);
}

static void poll_gone(http_request *req, void *data);

/* Answers the held GET (if any) with one bare packet of `type`. */
static void poll_answer_with(eio_socket *s, eio_packet_type type)
{
    if (!s->poll)
        return;
    http_request *req = s->poll;
    s->poll = NULL;
    http_request_on_gone(req, NULL, NULL);
    char byte = (char)('0' + type);
    respond_text(s->server, req, &byte, 1);
}

static void detach_ws(http_ws **slot)
{
    if (!*slot)
        return;
    http_ws_set_data(*slot, NULL);
    http_ws_close(*slot, 1000);
    *slot = NULL;
}

/* Ends the session now: the held GET gets `final` (close or noop), websockets are closed, the
 * owner is told once. Safe to call twice. */
static void session_destroy(eio_socket *s, const char *reason, eio_packet_type final)
{
    if (s->closed)
        return;
    s->closed = 1;
    eio_server *server = s->server;
    eio_map_remove(server->sessions, s->sid);
    address_count_release(server->addresses, s->address);
    s->address = NULL;
    poll_answer_with(s, final);
    detach_ws(&s->ws);
    detach_ws(&s->probe_ws);
    queue_clear(s);
    uv_timer_stop(&s->timer);
    if (server->config.on_close)
        server->config.on_close(s, reason, server->config.data);
    uv_close((uv_handle_t *)&s->timer, session_free);
}

static void heartbeat_fired(uv_timer_t *timer);

static void heartbeat_restart(eio_socket *s)
{
    s->awaiting_pong = 0;
    uv_timer_start(&s->timer, heartbeat_fired, s->server->config.ping_interval_ms, 0);
}

static void session_evict(struct queue_holder *holder);

/* A new session for the client of req, or NULL with *status saying why: 503 when the process
 * holds max_sessions (or memory is out), 429 when the client's address holds its share. */
static eio_socket *session_new(eio_server *server, transport_kind transport,
                               const http_request *req, int *status)
{
    *status = 503;
    if (eio_map_count(server->sessions) >= server->config.max_sessions) {
        server->refused_sessions++;
        return NULL;
    }
    char forwarded[64];
    const char *client = http_request_client(req, server->config.trust_proxy, forwarded,
                                             sizeof forwarded);
    if (server->config.max_address_sessions &&
        address_count_of(server->addresses, client) >= server->config.max_address_sessions) {
        server->refused_address_sessions++;
        *status = 429;
        return NULL;
    }
    eio_socket *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->server = server;
    s->transport = transport;
    s->held.evict = session_evict;
    s->max_message = server->config.max_payload;
    do
        eio_random_id(s->sid, 20);
    while (eio_map_get(server->sessions, s->sid));
    if (!(s->address = address_count_take(server->addresses, client, 0)) ||
        eio_map_put(server->sessions, s->sid, s)) {
        address_count_release(server->addresses, s->address);
        free(s);
        return NULL;
    }
    uv_timer_init(server->loop, &s->timer);
    s->timer.data = s;
    heartbeat_restart(s);
    return s;
}

static int open_packet(eio_socket *s, char *out, size_t size)
{
    const eio_config *c = &s->server->config;
    int upgrades = c->allow_upgrades && s->transport == TRANSPORT_POLLING;
    return snprintf(out, size,
                    "0{\"sid\":\"%s\",\"upgrades\":[%s],\"pingInterval\":%llu,"
                    "\"pingTimeout\":%llu,\"maxPayload\":%zu}",
                    s->sid, upgrades ? "\"websocket\"" : "", (unsigned long long)c->ping_interval_ms,
                    (unsigned long long)c->ping_timeout_ms, c->max_payload);
}

/* ---------- sending ---------- */

/* Writes one packet on the websocket transport. Returns -1 when its queue is full. */
static int ws_write_packet(http_ws *ws, eio_packet_type type, const void *data, size_t len,
                           int binary)
{
    if (binary)
        return http_ws_send(ws, data, len, 1);
    char prefix = (char)('0' + type);
    return http_ws_send2(ws, &prefix, 1, data, len, 0);
}

/* The held GET takes as many buffered packets as fit in maxPayload (at least one). */
static void poll_flush(eio_socket *s)
{
    if (!s->poll || !s->head)
        return;
    eio_buf body = {0};
    size_t limit = s->server->config.max_payload;
    while (s->head) {
        eio_out *o = s->head;
        if (body.len && body.len + eio_payload_cost(o->len, o->binary) > limit)
            break;
        if (eio_payload_append(&body, o->type, o->data, o->len, o->binary))
            break;
        s->head = o->next;
        if (!s->head)
            s->tail = NULL;
        s->out_count--;
        s->out_bytes -= o->len;
        queue_budget_release(s->server->config.budget, &s->held, o->len);
        free(o);
    }
    http_request *req = s->poll;
    s->poll = NULL;
    http_request_on_gone(req, NULL, NULL);
    respond_text(s->server, req, body.data, body.len);
    eio_buf_free(&body);
    if (s->closing && !s->head)    /* the close packet went out: the session is over */
        session_destroy(s, s->close_reason, EIO_NOOP);
}

/* Buffers a packet for polling (or for after the upgrade). `force` ignores the bounds (for the
 * final close packet). Returns -1 when the bounds are exceeded or memory is out. */
static int queue_packet(eio_socket *s, eio_packet_type type, const void *data, size_t len,
                        int binary, int force)
{
    const eio_config *c = &s->server->config;
    if (!force && (s->out_count >= c->max_buffered_packets ||
                   s->out_bytes + len > c->max_buffered_bytes ||
                   queue_budget_hold(c->budget, &s->held, len) != 0))
        return -1;
    if (force)
        queue_budget_force(c->budget, &s->held, len);
    eio_out *o = malloc(sizeof *o + len);
    if (!o) {
        queue_budget_release(c->budget, &s->held, len);
        return -1;
    }
    o->next = NULL;
    o->type = type;
    o->binary = binary;
    o->len = len;
    if (len)
        memcpy(o->data, data, len);
    if (s->tail)
        s->tail->next = o;
    else
        s->head = o;
    s->tail = o;
    s->out_count++;
    s->out_bytes += len;
    if (s->upgrade != UPGRADE_PROBED)
        poll_flush(s);
    return 0;
}

static int send_packet(eio_socket *s, eio_packet_type type, const void *data, size_t len,
                       int binary)
{
    if (s->closed)
        return -1;
    int rc = s->transport == TRANSPORT_WEBSOCKET
                 ? ws_write_packet(s->ws, type, data, len, binary)
                 : queue_packet(s, type, data, len, binary, 0);
    if (rc)
        session_destroy(s, "slow reader", EIO_CLOSE);
    return rc;
}

int eio_socket_send(eio_socket *s, const void *msg, size_t len, int binary)
{
    if (s->closing)
        return -1;
    return send_packet(s, EIO_MESSAGE, msg, len, binary);
}

struct eio_frame {
    http_ws_frame *ws;  /* '4' + the message, made at the first websocket send */
    size_t len;
    char msg[];
};

eio_frame *eio_frame_new(const void *msg, size_t len)
{
    eio_frame *frame = malloc(sizeof *frame + len);
    if (!frame)
        return NULL;
    frame->ws = NULL;
    frame->len = len;
    memcpy(frame->msg, msg, len);
    return frame;
}

void eio_frame_free(eio_frame *frame)
{
    if (!frame)
        return;
    http_ws_frame_unref(frame->ws);
    free(frame);
}

int eio_socket_send_frame(eio_socket *s, eio_frame *frame)
{
    if (s->closing || s->closed)
        return -1;
    if (s->transport != TRANSPORT_WEBSOCKET)
        return send_packet(s, EIO_MESSAGE, frame->msg, frame->len, 0);
    char prefix = (char)('0' + EIO_MESSAGE);
    if (!frame->ws && !(frame->ws = http_ws_frame_new(&prefix, 1, frame->msg, frame->len)))
        return -1;
    if (http_ws_send_frame(s->ws, frame->ws) == 0)
        return 0;
    session_destroy(s, "slow reader", EIO_CLOSE);
    return -1;
}

void eio_socket_close(eio_socket *s, const char *reason)
{
    if (s->closed || s->closing)
        return;
    s->close_reason = reason;
    if (s->transport == TRANSPORT_WEBSOCKET) {
        ws_write_packet(s->ws, EIO_CLOSE, NULL, 0, 0);
        session_destroy(s, reason, EIO_NOOP);   /* the websocket closes after its queue */
        return;
    }
    /* polling: the next GET takes what is buffered and the close packet; give it a ping
     * timeout to come */
    s->closing = 1;
    queue_packet(s, EIO_CLOSE, NULL, 0, 0, 1);
    if (!s->closed)
        uv_timer_start(&s->timer, heartbeat_fired, s->server->config.ping_timeout_ms, 0);
}

const char *eio_socket_sid(const eio_socket *s) { return s->sid; }
const char *eio_socket_transport(const eio_socket *s)
{
    return s->transport == TRANSPORT_WEBSOCKET ? "websocket" : "polling";
}
void eio_socket_set_data(eio_socket *s, void *data) { s->data = data; }

void eio_socket_limit_messages(eio_socket *s, size_t max)
{
    s->max_message = max ? max : s->server->config.max_payload;
    if (s->ws)
        http_ws_set_max_message(s->ws, s->max_message);
    if (s->probe_ws)
        http_ws_set_max_message(s->probe_ws, s->max_message);
}

/* Dropped for the outgoing budget: its buffer goes now; the session ends on the next loop turn
 * (from its timer), as a slow reader. */
static void session_evict(struct queue_holder *holder)
{
    eio_socket *s = (eio_socket *)((char *)holder - offsetof(eio_socket, held));
    queue_clear(s);
    if (s->closed)
        return;
    s->closing = 1;
    s->close_reason = "slow reader";
    uv_timer_start(&s->timer, heartbeat_fired, 0, 0);
}
void *eio_socket_data(const eio_socket *s) { return s->data; }

/* ---------- receiving ---------- */

static void heartbeat_fired(uv_timer_t *timer)
{
    eio_socket *s = timer->data;
    if (s->closed)
        return;
    if (s->closing) {
        session_destroy(s, s->close_reason, EIO_CLOSE);
        return;
    }
    if (s->awaiting_pong) {
        session_destroy(s, "ping timeout", EIO_CLOSE);
        return;
    }
    s->awaiting_pong = 1;
    s->pong_deadline = uv_now(timer->loop) + s->server->config.ping_timeout_ms;
    uv_timer_start(&s->timer, heartbeat_fired, s->server->config.ping_timeout_ms, 0);
    send_packet(s, EIO_PING, NULL, 0, 0);
}

/* A packet from the client on the session's transport. */
static void handle_packet(eio_socket *s, const eio_packet *p)
{
    eio_server *server = s->server;
    switch (p->type) {
    case EIO_PONG:
        if (s->awaiting_pong && !s->closing)
            heartbeat_restart(s);
        break;
    case EIO_PING:                 /* not sent by v4 clients; answered anyway */
        send_packet(s, EIO_PONG, p->data, p->len, 0);
        break;
    case EIO_MESSAGE:
        if (!s->closing && server->config.on_message)
            server->config.on_message(s, p->data, p->len, p->binary, server->config.data);
        break;
    case EIO_CLOSE:
        session_destroy(s, "transport close", EIO_NOOP);
        break;
    default:                       /* open, upgrade, noop: nothing to do */
        break;
    }
}

static int payload_packet(const eio_packet *p, void *data)
{
    eio_socket *s = data;
    handle_packet(s, p);
    return s->closed;
}

static void poll_gone(http_request *req, void *data)
{
    eio_socket *s = data;
    (void)req;
    if (s->poll == req) {
        s->poll = NULL;
        session_destroy(s, "transport close", EIO_NOOP);
    }
}

static void handle_poll_get(eio_socket *s, http_request *req)
{
    if (s->poll) {                 /* a second GET at once breaks ordering: end the session */
        respond_error(s->server, req, 400, ERR_BAD);
        session_destroy(s, "transport error", EIO_CLOSE);
        return;
    }
    if (s->upgrade != UPGRADE_NONE && (s->upgrade == UPGRADE_PROBED || !s->head)) {
        char noop = '0' + EIO_NOOP;  /* upgrading: end polling cleanly, keep packets for ws */
        respond_text(s->server, req, &noop, 1);
        return;
    }
    s->poll = req;
    http_request_on_gone(req, poll_gone, s);
    poll_flush(s);
}

static void handle_poll_post(eio_socket *s, http_request *req)
{
    size_t len;
    const uint8_t *body = http_request_body(req, &len);
    if (len > s->max_message) {
        http_header headers[4];
        http_respond(req, 413, "text/plain", cors_headers(s->server, req, headers), "", 0);
        session_destroy(s, "transport error", EIO_CLOSE);
        return;
    }
    int rc = eio_payload_decode(body, len, s->server->config.max_payload_packets, payload_packet, s);
    if (rc == -1 || rc == -3) {
        respond_error(s->server, req, 400, ERR_BAD);
        session_destroy(s, "parse error", EIO_CLOSE);
        return;
    }
    respond_text(s->server, req, "ok", 2);
}

static void handle_handshake(eio_server *server, http_request *req)
{
    if (http_request_method(req) != HTTP_GET) {
        respond_error(server, req, 400, ERR_METHOD);
        return;
    }
    int status;
    eio_socket *s = session_new(server, TRANSPORT_POLLING, req, &status);
    if (!s) {
        http_header headers[5];
        cors_headers(server, req, headers);
        size_t n = 0;
        while (headers[n].name)
            n++;
        headers[n++] = (http_header){"Retry-After", status == 429 ? "10" : "1"};
        headers[n] = (http_header){NULL, NULL};
        const char *text = status == 429 ? "too many sessions from this address" : "busy";
        http_respond(req, status, "text/plain", headers, text, strlen(text));
        return;
    }
    char open[256];
    int len = open_packet(s, open, sizeof open);
    respond_text(server, req, open, (size_t)len);
    if (server->config.on_open)
        server->config.on_open(s, req, server->config.data);
}

/* Checks EIO and transport. Returns an error code, or -1 when fine. */
static int check_query(const http_request *req, const char *want_transport)
{
    const char *eio = http_request_query(req, "EIO");
    const char *transport = http_request_query(req, "transport");
    if (!eio || strcmp(eio, "4") != 0)
        return ERR_VERSION;
    if (!transport || (strcmp(transport, "polling") && strcmp(transport, "websocket")))
        return ERR_TRANSPORT;
    if (strcmp(transport, want_transport) != 0)
        return ERR_BAD;
    return -1;
}

static void route_request(http_request *req, void *data)
{
    eio_server *server = data;
    http_method method = http_request_method(req);
    if (method == HTTP_OPTIONS && server->cors_origin) {
        http_header headers[7];
        const http_header *cors = cors_headers(server, req, headers);
        size_t n = 0;
        while (cors[n].name)
            n++;
        const char *asked = http_request_header(req, "access-control-request-headers");
        headers[n++] = (http_header){"Access-Control-Allow-Methods", "GET,HEAD,PUT,PATCH,POST,DELETE"};
        if (asked)
            headers[n++] = (http_header){"Access-Control-Allow-Headers", asked};
        headers[n] = (http_header){NULL, NULL};
        http_respond(req, 204, NULL, headers, "", 0);
        return;
    }
    int err = check_query(req, "polling");
    if (err >= 0) {
        respond_error(server, req, 400, err);
        return;
    }
    const char *sid = http_request_query(req, "sid");
    if (!sid) {
        handle_handshake(server, req);
        return;
    }
    eio_socket *s = eio_map_get(server->sessions, sid);
    /* a request that comes after the pong deadline, in the loop turn before the timer runs,
     * finds the session ended, as it would a moment later */
    if (s && !s->closed && s->awaiting_pong && uv_now(s->timer.loop) >= s->pong_deadline)
        session_destroy(s, "ping timeout", EIO_CLOSE);
    if (!s || s->closed) {
        respond_error(server, req, 400, ERR_SID);
        return;
    }
    if (s->transport != TRANSPORT_POLLING) {   /* upgraded: polling is over for this sid */
        respond_error(server, req, 400, ERR_BAD);
        return;
    }
    if (method == HTTP_GET)
        handle_poll_get(s, req);
    else if (method == HTTP_POST)
        handle_poll_post(s, req);
    else
        respond_error(server, req, 400, ERR_METHOD);
}

/* ---------- websockets ---------- */

static int route_ws_open(http_ws *ws, const http_request *req, void *data)
{
    eio_server *server = data;
    if (check_query(req, "websocket") >= 0)
        return -1;
    const char *sid = http_request_query(req, "sid");
    if (sid) {                     /* an upgrade candidate for a polling session */
        eio_socket *s = eio_map_get(server->sessions, sid);
        if (!s || s->closed || s->closing || s->transport != TRANSPORT_POLLING ||
            s->upgrade != UPGRADE_NONE || !server->config.allow_upgrades)
            return -1;
        s->probe_ws = ws;
        s->upgrade = UPGRADE_PROBING;
        http_ws_set_data(ws, s);
        http_ws_set_max_message(ws, s->max_message);
        return 0;
    }
    int status;
    eio_socket *s = session_new(server, TRANSPORT_WEBSOCKET, req, &status);
    if (!s)
        return -1;
    s->ws = ws;
    http_ws_set_data(ws, s);
    char open[256];
    int len = open_packet(s, open, sizeof open);
    http_ws_send(ws, open, (size_t)len, 0);
    if (server->config.on_open)
        server->config.on_open(s, req, server->config.data);
    return 0;
}

/* Moves the session to the websocket: buffered packets follow in order. */
static void upgrade_complete(eio_socket *s)
{
    s->ws = s->probe_ws;
    s->probe_ws = NULL;
    s->transport = TRANSPORT_WEBSOCKET;
    s->upgrade = UPGRADE_NONE;
    poll_answer_with(s, EIO_NOOP);
    eio_out *o = s->head;
    s->head = s->tail = NULL;
    s->out_count = s->out_bytes = 0;
    queue_budget_release(s->server->config.budget, &s->held, s->held.bytes); /* the ws holds them now */
    int failed = 0;
    while (o) {
        eio_out *next = o->next;
        if (!failed && ws_write_packet(s->ws, o->type, o->data, o->len, o->binary))
            failed = 1;
        free(o);
        o = next;
    }
    if (failed)
        session_destroy(s, "slow reader", EIO_CLOSE);
}

static void probe_message(eio_socket *s, const eio_packet *p)
{
    if (p->type == EIO_PING && p->len == 5 && memcmp(p->data, "probe", 5) == 0 &&
        s->upgrade == UPGRADE_PROBING) {
        ws_write_packet(s->probe_ws, EIO_PONG, "probe", 5, 0);
        s->upgrade = UPGRADE_PROBED;
        poll_answer_with(s, EIO_NOOP);
    } else if (p->type == EIO_UPGRADE && s->upgrade == UPGRADE_PROBED) {
        upgrade_complete(s);
    } else {                       /* anything else aborts the upgrade; polling goes on */
        detach_ws(&s->probe_ws);
        s->upgrade = UPGRADE_NONE;
        poll_flush(s);
    }
}

static void route_ws_message(http_ws *ws, const uint8_t *msg, size_t len, int binary, void *data)
{
    (void)data;
    eio_socket *s = http_ws_data(ws);
    if (!s || s->closed)
        return;
    eio_packet p;
    if (len > s->server->config.max_payload || eio_packet_decode(msg, len, binary, &p)) {
        if (ws == s->probe_ws) {
            detach_ws(&s->probe_ws);
            s->upgrade = UPGRADE_NONE;
        } else {
            session_destroy(s, "parse error", EIO_CLOSE);
        }
        return;
    }
    if (ws == s->probe_ws)
        probe_message(s, &p);
    else
        handle_packet(s, &p);
}

static void route_ws_close(http_ws *ws, void *data)
{
    (void)data;
    eio_socket *s = http_ws_data(ws);
    if (!s)
        return;
    if (ws == s->probe_ws) {
        s->probe_ws = NULL;
        s->upgrade = UPGRADE_NONE;
        poll_flush(s);
    } else if (ws == s->ws) {
        s->ws = NULL;
        session_destroy(s, "transport close", EIO_NOOP);
    }
}

/* ---------- the server ---------- */

eio_server *eio_server_new(uv_loop_t *loop, const eio_config *config)
{
    eio_server *server = calloc(1, sizeof *server);
    if (!server)
        return NULL;
    server->loop = loop;
    server->config = *config;
    server->path = strdup(config->path ? config->path : "/engine.io/");
    server->cors_origin = config->cors_origin ? strdup(config->cors_origin) : NULL;
    server->sessions = eio_map_new();
    server->addresses = address_count_new();
    if (!server->path || !server->sessions || !server->addresses ||
        (config->cors_origin && !server->cors_origin)) {
        eio_server_free(server);
        return NULL;
    }
    server->config.path = server->path;
    server->config.cors_origin = server->cors_origin;
    return server;
}

http_route eio_server_route(eio_server *server)
{
    return (http_route){
        .prefix = server->path,
        .max_body = server->config.max_payload,
        .on_request = route_request,
        .on_ws_open = route_ws_open,
        .on_ws_message = route_ws_message,
        .on_ws_close = route_ws_close,
        .data = server,
    };
}

void eio_server_free(eio_server *server)
{
    if (!server)
        return;
    if (server->sessions) {
        eio_socket *s;
        while ((s = eio_map_any(server->sessions)))
            session_destroy(s, "server shutting down", EIO_CLOSE);
        eio_map_free(server->sessions);
    }
    address_count_free(server->addresses);
    free(server->path);
    free(server->cors_origin);
    free(server);
}

size_t eio_server_session_count(const eio_server *server)
{
    return eio_map_count(server->sessions);
}

uint64_t eio_server_refused_sessions(const eio_server *server) { return server->refused_sessions; }
uint64_t eio_server_refused_address_sessions(const eio_server *server)
{
    return server->refused_address_sessions;
}
