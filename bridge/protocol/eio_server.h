/* eio_server: the server side of Engine.IO v4 on http_server: handshake, the polling and
 * websocket transports, the upgrade with probe, heartbeats, CORS, and every bound (payload,
 * packets buffered per session, sessions per process). It carries opaque messages; what they
 * mean is the business of the layer above (Socket.IO, or the raw echo of the conformance server).
 * Wire it in with eio_server_route(): http_server_add_route(http, &route). */
#ifndef EIO_SERVER_H
#define EIO_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "protocol/http_server.h"
#include "core/queue_budget.h"

typedef struct eio_server eio_server;
typedef struct eio_socket eio_socket;

typedef struct eio_config {
    const char *path;              /* route prefix, e.g. "/socket.io/" */
    uint64_t ping_interval_ms;     /* 25000 by default in clients' expectations */
    uint64_t ping_timeout_ms;
    size_t max_payload;            /* bytes per polling body and per websocket message */
    size_t max_sessions;           /* handshakes beyond are answered 503 */
    size_t max_address_sessions;   /* sessions one client address may hold; beyond, 429 (0: no cap) */
    int trust_proxy;               /* the client address is X-Forwarded-For's last (behind a proxy) */
    struct queue_budget *budget;   /* polling buffers count in the process's outgoing budget */
    size_t max_payload_packets;    /* packets in one polling body; more end the session */
    size_t max_buffered_packets;   /* per session, waiting for a poll or a slow websocket; */
    size_t max_buffered_bytes;     /*   beyond either the session is closed (a slow reader) */
    const char *cors_origin;       /* "*", one exact origin, or NULL for no CORS headers */
    int allow_upgrades;            /* offer "websocket" to polling sessions */
    /* A session is open (handshake answered). The owner may send from here on. */
    void (*on_open)(eio_socket *socket, const http_request *req, void *data);
    /* One message packet (text or binary), valid during the call only. */
    void (*on_message)(eio_socket *socket, const uint8_t *msg, size_t len, int binary,
                       void *data);
    /* Exactly once per opened session, with why; the socket is freed after it returns. */
    void (*on_close)(eio_socket *socket, const char *reason, void *data);
    void *data;
} eio_config;

/* The defaults above (25000/20000 ms, 1e6 bytes, 50000 sessions, 256 packets a body, 1000
 * packets and 4 MiB buffered). */
void eio_config_defaults(eio_config *config);
/* NULL when out of memory. Copies the config (and path and origin strings). */
eio_server *eio_server_new(uv_loop_t *loop, const eio_config *config);
/* The http_server route serving this Engine.IO server (prefix = config path). */
http_route eio_server_route(eio_server *server);
/* Closes every session (on_close "server shutting down") and frees the server; the caller
 * then runs the loop so the timers can close. */
void eio_server_free(eio_server *server);
size_t eio_server_session_count(const eio_server *server);
/* For the operator: handshakes refused by max_sessions, and by max_address_sessions. */
uint64_t eio_server_refused_sessions(const eio_server *server);
uint64_t eio_server_refused_address_sessions(const eio_server *server);

/* Sends one message packet (copied). Returns 0, or -1 if the session is closing or its buffer is
 * full; a full buffer also closes the session ("slow reader"), as the owner is told. */
int eio_socket_send(eio_socket *socket, const void *msg, size_t len, int binary);
/* A text message made once and sent to many sessions (fan-out): websockets queue a reference
 * to one shared Engine.IO frame instead of a copy each; polling sessions buffer a copy. new:
 * NULL when out of memory; send: as eio_socket_send; free drops the maker's reference. */
typedef struct eio_frame eio_frame;
eio_frame *eio_frame_new(const void *msg, size_t len);
int eio_socket_send_frame(eio_socket *socket, eio_frame *frame);
void eio_frame_free(eio_frame *frame);
/* Closes the session after what is buffered is written (polling: within the ping timeout).
 * on_close follows, possibly later. */
void eio_socket_close(eio_socket *socket, const char *reason);
const char *eio_socket_sid(const eio_socket *socket);      /* 20 characters */
const char *eio_socket_transport(const eio_socket *socket); /* "polling" or "websocket" */
void eio_socket_set_data(eio_socket *socket, void *data);
/* The largest message (websocket) or body (polling POST) the client may send from now on; more
 * ends the session. 0: max_payload. The layer above lowers it until the client is known. */
void eio_socket_limit_messages(eio_socket *socket, size_t max);
void *eio_socket_data(const eio_socket *socket);

/* Random URL-safe identifiers (for sids): writes `len` characters and a NUL. */
void eio_random_id(char *out, size_t len);

#endif
