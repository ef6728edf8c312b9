/* http_server: a small HTTP/1.1 and websocket server on libwebsockets, run by the caller's libuv
 * loop. Requests are routed by path prefix and may be answered later (after a database reply, or
 * when data arrives for a long poll); websockets get a bounded, owned send queue. It knows nothing
 * of the protocols above it (Engine.IO, REST): those are routes. Single-threaded, like the loop. */
#ifndef HTTP_SERVER_H
#define HTTP_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "core/queue_budget.h"

typedef struct http_server http_server;
typedef struct http_request http_request;
typedef struct http_ws http_ws;

typedef enum http_method {
    HTTP_GET,
    HTTP_POST,
    HTTP_PUT,
    HTTP_PATCH,
    HTTP_DELETE,
    HTTP_OPTIONS,
    HTTP_HEAD,
    HTTP_OTHER
} http_method;

/* One extra response header; arrays of them end with a {NULL, NULL} entry. */
typedef struct http_header {
    const char *name;  /* e.g. "Access-Control-Allow-Origin", without the colon */
    const char *value;
} http_header;

/* A route: what to do with requests whose path starts with `prefix`. The longest matching prefix
 * wins, so "/socket.io/" -> Engine.IO and "/" -> REST and static files fit together. */
typedef struct http_route {
    const char *prefix;    /* copied; "/" catches every path no longer prefix claims */
    size_t max_body;       /* a longer request body is answered 413 and never reaches the route */
    /* Required. The route owns `req` until it calls http_respond (now or later). */
    void (*on_request)(http_request *req, void *data);
    /* NULL refuses websocket upgrades on this route. Called once the handshake is done; a
     * non-zero return closes the socket (on_ws_close is then not called). `req` gives the path,
     * query and headers of the upgrade request and is valid only during the call. */
    int (*on_ws_open)(http_ws *ws, const http_request *req, void *data);
    /* One whole message (fragments are reassembled, at most max_ws_message bytes). */
    void (*on_ws_message)(http_ws *ws, const uint8_t *msg, size_t len, int binary, void *data);
    /* Exactly once for every opened websocket, whoever closed it; `ws` is freed right after. */
    void (*on_ws_close)(http_ws *ws, void *data);
    /* Optional: answers a request the server refuses before the route sees it (413 body over
     * max_body, 400 malformed chunked body or both Content-Length and Transfer-Encoding, 501 a
     * transfer coding other than chunked) in the route's own format; it must call http_respond.
     * NULL: a plain-text answer. The connection closes after the answer either way. */
    void (*on_refused)(http_request *req, int status, void *data);
    void *data;            /* passed to every callback above */
    /* Non-zero: the body is streamed, not buffered. The request goes to on_request as soon as
     * its headers are in (a chunked body is refused with 411; 413 over max_body), and
     * the route takes its bytes with http_request_on_body, pausing them while it is busy. */
    int stream_body;
} http_route;

typedef struct http_server_config {
    const char *host;          /* interface to bind, e.g. "127.0.0.1"; NULL binds all */
    int port;                  /* TCP port */
    size_t max_ws_message;     /* larger incoming websocket messages close the socket (1009) */
    size_t ws_queue_messages;  /* per-websocket send queue bounds: http_ws_send fails beyond */
    size_t ws_queue_bytes;
    /* Connections are counted from accept to close, HTTP and websocket alike; past a cap a new
     * connection is closed at accept, before it costs anything. 0: no cap (the fd limit). */
    unsigned max_connections;          /* the whole process */
    unsigned max_address_connections;  /* one peer address (behind a proxy every peer is the
                                        * proxy: leave it 0 there) */
    struct queue_budget *budget;       /* outgoing bytes of the process (websocket queues and
                                        * answers being written); NULL: per-socket bounds only */
    unsigned keepalive_idle_s; /* an idle keep-alive connection closes after this; 0: 30 s */
} http_server_config;

/* Starts listening on `loop`. Returns NULL (and logs why) when the port can't be bound. */
http_server *http_server_new(uv_loop_t *loop, const http_server_config *config);
/* From now on every answer says "Connection: close" and its connection closes (shutdown). */
void http_server_drain(http_server *server);
/* Adds a route (copied). Returns 0, or -1 if the table is full or the route has no on_request. */
int http_server_add_route(http_server *server, const http_route *route);
/* Two calls, because lws 4.1 tears a foreign-loop context down in two steps. The first stops
 * listening and closes every connection: pending requests get their gone callback and open
 * websockets their on_ws_close as the loop runs on. Once uv_run has returned, the second call
 * completes lws' teardown and frees the server. (A single call is safe but leaks the server.) */
void http_server_free(http_server *server);

/* --- requests: valid from on_request until http_respond or the gone callback --- */
http_method http_request_method(const http_request *req);
/* The decoded path without the query, e.g. "/socket.io/". Never NULL. */
const char *http_request_path(const http_request *req);
/* The decoded value of query parameter `name` ("" when given without a value), or NULL. */
const char *http_request_query(const http_request *req, const char *name);
/* A request header by lower-case name, or NULL. Captured: host, origin, content-type,
 * content-length, authorization, cookie, user-agent, accept, referer, x-forwarded-for,
 * access-control-request-method, access-control-request-headers, range, if-none-match. */
const char *http_request_header(const http_request *req, const char *name);
/* The request body (NUL-terminated for convenience; *len excludes the NUL). Never NULL. */
const uint8_t *http_request_body(const http_request *req, size_t *len);
/* The peer's address as text, e.g. "127.0.0.1". Never NULL. */
const char *http_request_peer(const http_request *req);
/* The client's address: the peer, or with trust_proxy (the bridge is behind a reverse proxy) the
 * last address of X-Forwarded-For, the one that proxy added (those before it are the client's
 * word). Written to out when it comes from the header. Never NULL. */
const char *http_request_client(const http_request *req, int trust_proxy, char *out, size_t size);
/* For a stream_body route: on_body gets the body's bytes as they arrive (last set on the final
 * call, which has no bytes); bytes that arrive once the request is answered are dropped. */
void http_request_on_body(http_request *req,
                          void (*on_body)(http_request *req, const uint8_t *bytes, size_t len,
                                          int last, void *data),
                          void *data);
/* Stops (1) or resumes (0) reading the body: a paused client waits in TCP's window. A few
 * bytes lws has read already may still come while paused. */
void http_request_pause_body(http_request *req, int paused);
/* The declared Content-Length of a streamed body. */
size_t http_request_body_length(const http_request *req);

/* Asks to be told if the client goes away before the answer; `req` is freed once on_gone
 * returns, and must not be answered from it. Replaces an earlier setting. */
void http_request_on_gone(http_request *req, void (*on_gone)(http_request *req, void *data),
                          void *data);
/* Holds a request for at most `ms` milliseconds: then on_timeout is called, and it must answer.
 * Returns 0, or -1 on allocation failure (nothing changed). A later call replaces the timer. */
int http_request_set_timeout(http_request *req, uint64_t ms,
                             void (*on_timeout)(http_request *req, void *data), void *data);
/* Answers `req`: status, content type (NULL: none), extra headers ({NULL, NULL}-terminated, or
 * NULL) and a body that is copied. `req` belongs to the server afterwards. Returns 0, or -1 when
 * out of memory (the connection is then closed and the request freed). */
int http_respond(http_request *req, int status, const char *content_type,
                 const http_header *headers, const void *body, size_t len);

/* Answers with a body written piece by piece: the headers say content_length; on_drained is
 * called whenever what was given is written and more is wanted, and each http_stream_write
 * gives the next piece (copied) until content_length bytes were given. A client that goes away
 * meanwhile calls the on_gone set with http_request_on_gone (also after this answer), and `req`
 * is freed once it returns; after the last piece the route must forget `req` (and its on_gone).
 * Returns 0, or -1 (the connection is closed). */
int http_respond_stream(http_request *req, int status, const char *content_type,
                        const http_header *headers, uint64_t content_length,
                        void (*on_drained)(http_request *req, void *data), void *data);
int http_stream_write(http_request *req, const void *bytes, size_t len);
/* Closes the connection of a streamed answer that can't go on (on_gone follows). */
void http_request_close(http_request *req);

/* --- websockets: valid from on_ws_open until on_ws_close returns --- */
/* Queues one message (copied). Returns 0, or -1 if the socket is closing or the queue is full;
 * nothing is queued then, and the caller decides (usually: close a slow reader). */
int http_ws_send(http_ws *ws, const void *msg, size_t len, int binary);
/* The same for a message given in two parts (e.g. a type prefix and a body), sent as one. */
int http_ws_send2(http_ws *ws, const void *head, size_t head_len, const void *body,
                  size_t body_len, int binary);
/* A text message made once and queued on many websockets (fan-out): each queue holds a
 * reference instead of a copy, and the frame is freed when the last one has written it.
 * new: NULL when out of memory. send: 0, or -1 as http_ws_send (no reference taken then). */
typedef struct http_ws_frame http_ws_frame;
http_ws_frame *http_ws_frame_new(const void *head, size_t head_len, const void *body,
                                 size_t body_len);
int http_ws_send_frame(http_ws *ws, http_ws_frame *frame);
void http_ws_frame_unref(http_ws_frame *frame);
/* Closes after the queued messages are written, with a websocket close code (1000: normal).
 * on_ws_close follows later. Messages received meanwhile are dropped. */
void http_ws_close(http_ws *ws, int code);
void http_ws_set_data(http_ws *ws, void *data);  /* the owner's pointer for this socket */
/* The largest message this websocket may send (0: the server's max_ws_message): a longer one,
 * or fragments adding up to more, close it (1009). Lowered while a client has yet to prove who
 * it is, so it can't park big half messages. */
void http_ws_set_max_message(http_ws *ws, size_t max);
void *http_ws_data(const http_ws *ws);
size_t http_ws_queued_bytes(const http_ws *ws);

/* For the operator: websockets whose outgoing queue filled up (their owner drops them). */
uint64_t http_server_slow_readers(const http_server *server);
/* Connections open now, and those closed at accept by each cap. */
unsigned http_server_connections(const http_server *server);
uint64_t http_server_refused_connections(const http_server *server);
uint64_t http_server_refused_address_connections(const http_server *server);

#endif
