/* sio_server: the server side of Socket.IO v5 on eio_server: namespaces, CONNECT with an auth
 * payload (accepted or refused now or later), events, acks both ways, binary attachments,
 * rooms, DISCONNECT and connectTimeout. It knows nothing of chat: the layer above registers
 * namespaces with callbacks and emits.
 *
 * Binary values: an event's arguments are a JSON array in which each binary value is the
 * placeholder {"_placeholder":true,"num":i}, standing for bins[i]. Emitting works the same way.
 *
 * Lifetime: a sio_socket is valid inside callbacks. Work that outlives a callback (a database
 * call, say) takes a reference with sio_socket_ref and drops it with sio_socket_unref; in
 * between, sio_socket_connected tells whether the client is still there, and every emit on a
 * disconnected socket is a harmless -1. */
#ifndef SIO_SERVER_H
#define SIO_SERVER_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "protocol/eio_server.h"
#include "protocol/http_server.h"

typedef struct sio_server sio_server;
typedef struct sio_namespace sio_namespace;
typedef struct sio_socket sio_socket;

typedef struct sio_binary {
    const uint8_t *data;
    size_t len;
} sio_binary;

typedef struct sio_handlers {
    /* A client asks to join the namespace. `auth` is its CONNECT payload ({} when none; borrowed,
     * take json_incref to keep it). Answer with sio_socket_accept or sio_socket_refuse, now or
     * later (holding a reference meanwhile). NULL: every client is accepted. */
    void (*on_connect)(sio_socket *socket, json_t *auth, void *data);
    /* An event. `args` excludes the event name (borrowed). ack_id >= 0 when the client waits for
     * an answer: give it with sio_socket_ack, now or later. */
    void (*on_event)(sio_socket *socket, const char *event, json_t *args, const sio_binary *bins,
                     size_t bin_count, int64_t ack_id, void *data);
    /* Once per accepted socket, whoever ended it; `reason` as the reference server names it
     * ("client namespace disconnect", "server namespace disconnect", "transport close",
     * "ping timeout", "parse error", ...). */
    void (*on_disconnect)(sio_socket *socket, const char *reason, void *data);
    void *data;
} sio_handlers;

/* An answer to an emit that asked for one; args NULL when the socket went away first. */
typedef void (*sio_ack_fn)(sio_socket *socket, json_t *args, const sio_binary *bins,
                           size_t bin_count, void *data);

typedef struct sio_config {
    eio_config engine;            /* path, timings, maxPayload, CORS, session bounds */
    uint64_t connect_timeout_ms;  /* a client joined to no namespace by then is closed */
    /* Until a client has joined a namespace it may send messages (and polling bodies) of at most
     * this many bytes, and no binary attachments: a stranger can't park memory. 0: maxPayload. */
    size_t max_pre_connect_bytes;
    size_t max_attachments;       /* binary attachments per packet */
    size_t max_attachment_bytes;  /* their total size per packet */
    size_t max_rooms_per_socket;
    size_t max_pending_acks;      /* server-to-client emits waiting for an ack, per socket */
} sio_config;

/* Engine defaults with path "/socket.io/", connectTimeout 45000 ms, 64 KiB before CONNECT, 10
 * attachments of 1e6 bytes in all, 1000 rooms and 1000 pending acks per socket. */
void sio_config_defaults(sio_config *config);
sio_server *sio_server_new(uv_loop_t *loop, const sio_config *config); /* NULL: out of memory */
http_route sio_server_route(sio_server *server);  /* for http_server_add_route */
/* Disconnects everyone ("server shutting down") and frees the server; run the loop after. */
void sio_server_free(sio_server *server);

/* Declares a namespace ("/" or "/name"); handlers are copied. NULL if out of memory or the
 * name is already taken. Clients asking for an undeclared one get CONNECT_ERROR. */
sio_namespace *sio_server_namespace(sio_server *server, const char *name,
                                    const sio_handlers *handlers);

/* Answers a pending CONNECT. accept: the client gets its socket id. refuse: it gets
 * CONNECT_ERROR {"message": message, "data": data?} and the socket is finished (no
 * on_disconnect). Both return 0, or -1 if the client is gone or it was answered before. */
/* For the operator: packets sent (events, acks, CONNECT answers) and Engine.IO sessions open. */
uint64_t sio_server_packets_sent(const sio_server *server);
size_t sio_server_session_count(const sio_server *server);
/* Clients closed before joining any namespace: too slow to CONNECT, or past the bounds above. */
uint64_t sio_server_refused_pre_connect(const sio_server *server);
/* The Engine.IO server below (for its own counters). */
eio_server *sio_server_engine(const sio_server *server);

int sio_socket_accept(sio_socket *socket);
int sio_socket_refuse(sio_socket *socket, const char *message, json_t *data);

/* Emits `event` with `args` (a JSON array or NULL; borrowed). Returns 0, or -1 if the socket is
 * not connected, the packet is invalid, or the client's buffer is full (which disconnects it). */
int sio_socket_emit(sio_socket *socket, const char *event, json_t *args, const sio_binary *bins,
                    size_t bin_count);
/* The same, asking the client for an ack: on_ack is called once, with the answer or NULL. */
int sio_socket_emit_with_ack(sio_socket *socket, const char *event, json_t *args,
                             const sio_binary *bins, size_t bin_count, sio_ack_fn on_ack,
                             void *data);
/* An event encoded once for many sockets of the namespace named nsp: fan-out encodes each event
 * once, however many sockets it goes to. new: NULL on a bad argument or out of memory. send: 0,
 * or -1 as sio_socket_emit (or when the socket is of another namespace). */
typedef struct sio_frame sio_frame;
sio_frame *sio_frame_new(const char *nsp, const char *event, json_t *args);
int sio_frame_send(sio_socket *socket, const sio_frame *frame);
void sio_frame_free(sio_frame *frame);

/* Answers the client's event `ack_id` with `args` (array or NULL for []). 0 or -1 as above. */
int sio_socket_ack(sio_socket *socket, int64_t ack_id, json_t *args, const sio_binary *bins,
                   size_t bin_count);
/* Ends this namespace's socket (the client is told); close_transport also ends the connection. */
void sio_socket_disconnect(sio_socket *socket, int close_transport);

/* Rooms: join and leave are idempotent; join returns -1 past max_rooms_per_socket or out of
 * memory. room NULL in sio_namespace_emit means every socket of the namespace. Returns how
 * many sockets were sent to. */
int sio_socket_join(sio_socket *socket, const char *room);
void sio_socket_leave(sio_socket *socket, const char *room);
int sio_namespace_emit(sio_namespace *nsp, const char *room, const char *event, json_t *args,
                       const sio_binary *bins, size_t bin_count);

const char *sio_socket_id(const sio_socket *socket);       /* 20 characters */
const char *sio_socket_namespace(const sio_socket *socket);
/* "websocket" or "polling": the Engine.IO transport the socket is on now; NULL once gone. */
const char *sio_socket_transport(const sio_socket *s);
int sio_socket_connected(const sio_socket *socket);
void sio_socket_ref(sio_socket *socket);
void sio_socket_unref(sio_socket *socket);                 /* frees at the last reference */
/* Work in flight on the socket's behalf (a database call, say): hold is a reference that is also
 * counted, release drops both, and held says how many are out, so the layer above can bound
 * them per socket. */
void sio_socket_hold(sio_socket *socket);
void sio_socket_release(sio_socket *socket);
size_t sio_socket_held(const sio_socket *socket);
void sio_socket_set_data(sio_socket *socket, void *data);
void *sio_socket_data(const sio_socket *socket);

#endif
