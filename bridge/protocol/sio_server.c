/* sio_server: Socket.IO v5 over eio_server.
 *
 * Each Engine.IO session carries one sio_client, which holds the sockets it opened (one per
 * namespace) and reassembles binary packets (a text packet announcing N attachments, then N
 * binary messages). Packets are checked as the reference server checks them; anything out of
 * place closes the whole connection. Sockets are reference counted so the layer above may keep
 * one across asynchronous work. */
#include "protocol/sio_server.h"

#include <stdlib.h>
#include <string.h>

#include "core/eio_map.h"
#include "protocol/sio_packet.h"

typedef enum { SOCKET_PENDING, SOCKET_CONNECTED, SOCKET_GONE } socket_state;

typedef struct sio_client sio_client;
typedef struct sio_room sio_room;

typedef struct pending_ack {
    struct pending_ack *next;
    int64_t id;
    sio_ack_fn fn;
    void *data;
} pending_ack;

struct sio_room {
    char *name;
    sio_socket **members;
    size_t count, cap;
};

struct sio_namespace {
    sio_server *server;
    char *name;
    sio_handlers handlers;
    sio_socket *sockets;            /* connected ones, a doubly linked list */
    eio_map *rooms;
    struct sio_namespace *next;
};

struct sio_socket {
    int refs;
    socket_state state;
    sio_client *client;             /* NULL once gone */
    sio_namespace *nsp;
    char id[21];
    sio_socket *next_in_client;
    sio_socket *prev_in_nsp, *next_in_nsp;
    sio_room **rooms;
    size_t room_count;
    pending_ack *acks;
    size_t ack_count;
    size_t held;                    /* references taken by sio_socket_hold */
    int64_t next_ack_id;
    void *data;
};

struct sio_client {
    sio_server *server;
    eio_socket *eio;
    sio_socket *sockets;
    uv_timer_t *connect_timer;
    int ever_connected;
    int busy;                       /* inside engine_message: freeing waits until it returns */
    int dead;
    /* a binary packet being reassembled */
    sio_packet partial;
    int has_partial;
    uint8_t **bin_data;
    size_t *bin_len;
    size_t bin_count, bin_bytes;
};

struct sio_server {
    uv_loop_t *loop;
    sio_config config;
    eio_server *engine;
    sio_namespace *namespaces;
    uint64_t packets_sent; /* for the operator (metrics) */
    uint64_t refused_pre_connect;
};

/* ---------- sockets ---------- */

void sio_socket_ref(sio_socket *s) { s->refs++; }

void sio_socket_hold(sio_socket *s)
{
    s->held++;
    s->refs++;
}

void sio_socket_release(sio_socket *s)
{
    s->held--;
    sio_socket_unref(s);
}

size_t sio_socket_held(const sio_socket *s) { return s->held; }

static void room_remove_member(sio_room *room, sio_socket *s)
{
    for (size_t i = 0; i < room->count; i++) {
        if (room->members[i] == s) {
            room->members[i] = room->members[--room->count];
            return;
        }
    }
}

static void room_free(sio_room *room)
{
    free(room->name);
    free(room->members);
    free(room);
}

void sio_socket_leave(sio_socket *s, const char *name)
{
    for (size_t i = 0; i < s->room_count; i++) {
        sio_room *room = s->rooms[i];
        if (strcmp(room->name, name) != 0)
            continue;
        room_remove_member(room, s);
        s->rooms[i] = s->rooms[--s->room_count];
        if (room->count == 0) {
            eio_map_remove(s->nsp->rooms, room->name);
            room_free(room);
        }
        return;
    }
}

static void leave_all(sio_socket *s)
{
    while (s->room_count)
        sio_socket_leave(s, s->rooms[s->room_count - 1]->name);
    free(s->rooms);
    s->rooms = NULL;
}

void sio_socket_unref(sio_socket *s)
{
    if (--s->refs > 0)
        return;
    free(s->rooms);
    free(s);
}

static void fail_acks(sio_socket *s)
{
    while (s->acks) {
        pending_ack *a = s->acks;
        s->acks = a->next;
        a->fn(s, NULL, NULL, 0, a->data);
        free(a);
    }
    s->ack_count = 0;
}

/* Removes a socket from its client and namespace; tells the owner if it was connected. */
static void socket_gone(sio_socket *s, const char *reason)
{
    if (s->state == SOCKET_GONE)
        return;
    socket_state was = s->state;
    s->state = SOCKET_GONE;
    sio_client *client = s->client;
    for (sio_socket **link = &client->sockets; *link; link = &(*link)->next_in_client) {
        if (*link == s) {
            *link = s->next_in_client;
            break;
        }
    }
    s->client = NULL;
    if (was == SOCKET_CONNECTED) {
        sio_namespace *nsp = s->nsp;
        if (s->prev_in_nsp)
            s->prev_in_nsp->next_in_nsp = s->next_in_nsp;
        else
            nsp->sockets = s->next_in_nsp;
        if (s->next_in_nsp)
            s->next_in_nsp->prev_in_nsp = s->prev_in_nsp;
        leave_all(s);
        fail_acks(s);
        if (nsp->handlers.on_disconnect)
            nsp->handlers.on_disconnect(s, reason, nsp->handlers.data);
    }
    sio_socket_unref(s);            /* the client's reference */
}

int sio_socket_connected(const sio_socket *s) { return s->state == SOCKET_CONNECTED; }
const char *sio_socket_id(const sio_socket *s) { return s->id; }
const char *sio_socket_namespace(const sio_socket *s) { return s->nsp->name; }
const char *sio_socket_transport(const sio_socket *s)
{
    return s->client ? eio_socket_transport(s->client->eio) : NULL;
}
void sio_socket_set_data(sio_socket *s, void *data) { s->data = data; }
void *sio_socket_data(const sio_socket *s) { return s->data; }

/* ---------- sending ---------- */

/* Sends an encoded packet and its attachments to one client. -1 if it failed (the transport
 * closes itself on a full buffer). */
static int client_send(sio_client *client, const char *text, size_t len, const sio_binary *bins,
                       size_t bin_count)
{
    if (eio_socket_send(client->eio, text, len, 0))
        return -1;
    client->server->packets_sent++;
    for (size_t i = 0; i < bin_count; i++)
        if (eio_socket_send(client->eio, bins[i].data, bins[i].len, 1))
            return -1;
    return 0;
}

/* [event, ...args] as the payload of an EVENT. NULL on a bad argument or out of memory. */
static json_t *event_payload(const char *event, json_t *args)
{
    if (!event || (args && !json_is_array(args)))
        return NULL;
    json_t *payload = json_array();
    if (!payload || json_array_append_new(payload, json_string(event)) ||
        (args && json_array_extend(payload, args))) {
        json_decref(payload);
        return NULL;
    }
    return payload;
}

static char *encode_event(const char *nsp, const char *event, json_t *args, size_t bin_count,
                          int64_t id, size_t *len)
{
    json_t *payload = event_payload(event, args);
    if (!payload || sio_placeholders_check(payload, bin_count)) {
        json_decref(payload);
        return NULL;
    }
    char *text = sio_packet_encode(bin_count ? SIO_BINARY_EVENT : SIO_EVENT, nsp, id, bin_count,
                                   payload, len);
    json_decref(payload);
    return text;
}

static int emit_packet(sio_socket *s, const char *event, json_t *args, const sio_binary *bins,
                       size_t bin_count, int64_t id)
{
    if (s->state != SOCKET_CONNECTED)
        return -1;
    size_t len;
    char *text = encode_event(s->nsp->name, event, args, bin_count, id, &len);
    if (!text)
        return -1;
    int rc = client_send(s->client, text, len, bins, bin_count);
    free(text);
    return rc;
}

int sio_socket_emit(sio_socket *s, const char *event, json_t *args, const sio_binary *bins,
                    size_t bin_count)
{
    return emit_packet(s, event, args, bins, bin_count, -1);
}

struct sio_frame {
    eio_frame *eio;
    char *nsp;
};

sio_frame *sio_frame_new(const char *nsp, const char *event, json_t *args)
{
    size_t len;
    char *text = encode_event(nsp, event, args, 0, -1, &len);
    sio_frame *frame = text ? calloc(1, sizeof(*frame)) : NULL;
    if (frame) {
        frame->eio = eio_frame_new(text, len);
        frame->nsp = strdup(nsp);
    }
    free(text);
    if (frame && (!frame->eio || !frame->nsp)) {
        sio_frame_free(frame);
        frame = NULL;
    }
    return frame;
}

int sio_frame_send(sio_socket *s, const sio_frame *frame)
{
    if (s->state != SOCKET_CONNECTED || strcmp(s->nsp->name, frame->nsp) != 0)
        return -1;
    s->client->server->packets_sent++;
    return eio_socket_send_frame(s->client->eio, frame->eio);
}

void sio_frame_free(sio_frame *frame)
{
    if (!frame)
        return;
    eio_frame_free(frame->eio);
    free(frame->nsp);
    free(frame);
}

int sio_socket_emit_with_ack(sio_socket *s, const char *event, json_t *args,
                             const sio_binary *bins, size_t bin_count, sio_ack_fn on_ack,
                             void *data)
{
    if (s->state != SOCKET_CONNECTED || !on_ack ||
        s->ack_count >= s->client->server->config.max_pending_acks)
        return -1;
    pending_ack *a = malloc(sizeof *a);
    if (!a)
        return -1;
    a->id = s->next_ack_id++;
    if (s->next_ack_id > SIO_MAX_ACK_ID)
        s->next_ack_id = 0;
    a->fn = on_ack;
    a->data = data;
    /* registered before sending: a send failure may end the socket, which then answers NULL */
    a->next = s->acks;
    s->acks = a;
    s->ack_count++;
    int rc = emit_packet(s, event, args, bins, bin_count, a->id);
    if (rc && s->state == SOCKET_CONNECTED) {   /* never sent: forget it quietly */
        s->acks = a->next;
        s->ack_count--;
        free(a);
    }
    return rc;
}

int sio_socket_ack(sio_socket *s, int64_t ack_id, json_t *args, const sio_binary *bins,
                   size_t bin_count)
{
    if (s->state != SOCKET_CONNECTED || ack_id < 0 || (args && !json_is_array(args)))
        return -1;
    json_t *empty = args ? NULL : json_array();
    json_t *payload = args ? args : empty;
    if (!payload || sio_placeholders_check(payload, bin_count)) {
        json_decref(empty);
        return -1;
    }
    size_t len;
    char *text = sio_packet_encode(bin_count ? SIO_BINARY_ACK : SIO_ACK, s->nsp->name, ack_id,
                                   bin_count, payload, &len);
    json_decref(empty);
    if (!text)
        return -1;
    int rc = client_send(s->client, text, len, bins, bin_count);
    free(text);
    return rc;
}

static int send_control(sio_socket *s, sio_packet_type type, json_t *data)
{
    size_t len;
    char *text = sio_packet_encode(type, s->nsp->name, -1, 0, data, &len);
    if (!text)
        return -1;
    int rc = eio_socket_send(s->client->eio, text, len, 0);
    free(text);
    return rc;
}

int sio_socket_accept(sio_socket *s)
{
    if (s->state != SOCKET_PENDING || !s->client)
        return -1;
    json_t *payload = json_pack("{ss}", "sid", s->id);
    if (!payload)
        return -1;
    sio_client *client = s->client;
    s->state = SOCKET_CONNECTED;
    sio_namespace *nsp = s->nsp;
    s->next_in_nsp = nsp->sockets;
    if (nsp->sockets)
        nsp->sockets->prev_in_nsp = s;
    nsp->sockets = s;
    if (!client->ever_connected) /* known now: the usual bounds */
        eio_socket_limit_messages(client->eio, 0);
    client->ever_connected = 1;
    int rc = send_control(s, SIO_CONNECT, payload);
    json_decref(payload);
    return rc;
}

int sio_socket_refuse(sio_socket *s, const char *message, json_t *data)
{
    if (s->state != SOCKET_PENDING || !s->client)
        return -1;
    json_t *payload = json_pack("{ss}", "message", message ? message : "Not authorized");
    if (!payload || (data && json_object_set(payload, "data", data))) {
        json_decref(payload);
        return -1;
    }
    int rc = send_control(s, SIO_CONNECT_ERROR, payload);
    json_decref(payload);
    socket_gone(s, "connect refused");
    return rc;
}

void sio_socket_disconnect(sio_socket *s, int close_transport)
{
    if (s->state != SOCKET_CONNECTED)
        return;
    eio_socket *eio = s->client->eio;   /* the session outlives this call; the client may not */
    send_control(s, SIO_DISCONNECT, NULL);
    socket_gone(s, "server namespace disconnect");
    if (close_transport)
        eio_socket_close(eio, "forced server close");
}

/* ---------- rooms ---------- */

int sio_socket_join(sio_socket *s, const char *name)
{
    if (s->state != SOCKET_CONNECTED || !name)
        return -1;
    for (size_t i = 0; i < s->room_count; i++)
        if (strcmp(s->rooms[i]->name, name) == 0)
            return 0;
    if (s->room_count >= s->client->server->config.max_rooms_per_socket)
        return -1;
    sio_room **rooms = realloc(s->rooms, (s->room_count + 1) * sizeof *rooms);
    if (!rooms)
        return -1;
    s->rooms = rooms;
    sio_room *room = eio_map_get(s->nsp->rooms, name);
    int created = 0;
    if (!room) {
        room = calloc(1, sizeof *room);
        if (!room || !(room->name = strdup(name)) || eio_map_put(s->nsp->rooms, room->name, room)) {
            if (room)
                room_free(room);
            return -1;
        }
        created = 1;
    }
    if (room->count == room->cap) {
        size_t cap = room->cap ? room->cap * 2 : 4;
        sio_socket **members = realloc(room->members, cap * sizeof *members);
        if (!members) {
            if (created) {
                eio_map_remove(s->nsp->rooms, room->name);
                room_free(room);
            }
            return -1;
        }
        room->members = members;
        room->cap = cap;
    }
    room->members[room->count++] = s;
    s->rooms[s->room_count++] = room;
    return 0;
}

int sio_namespace_emit(sio_namespace *nsp, const char *room_name, const char *event,
                       json_t *args, const sio_binary *bins, size_t bin_count)
{
    size_t count = 0;
    if (room_name) {
        sio_room *room = eio_map_get(nsp->rooms, room_name);
        count = room ? room->count : 0;
    } else {
        for (sio_socket *s = nsp->sockets; s; s = s->next_in_nsp)
            count++;
    }
    if (count == 0)
        return 0;
    size_t len;
    char *text = encode_event(nsp->name, event, args, bin_count, -1, &len);
    sio_socket **targets = malloc(count * sizeof *targets);
    if (!text || !targets) {
        free(text);
        free(targets);
        return -1;
    }
    /* a snapshot with references: a send may end a socket (slow reader) mid-way */
    size_t n = 0;
    if (room_name) {
        sio_room *room = eio_map_get(nsp->rooms, room_name);
        for (size_t i = 0; i < room->count; i++)
            targets[n++] = room->members[i];
    } else {
        for (sio_socket *s = nsp->sockets; s; s = s->next_in_nsp)
            targets[n++] = s;
    }
    for (size_t i = 0; i < n; i++)
        sio_socket_ref(targets[i]);
    int sent = 0;
    for (size_t i = 0; i < n; i++) {
        if (targets[i]->state == SOCKET_CONNECTED &&
            client_send(targets[i]->client, text, len, bins, bin_count) == 0)
            sent++;
        sio_socket_unref(targets[i]);
    }
    free(targets);
    free(text);
    return sent;
}

/* ---------- clients: packets in ---------- */

static sio_namespace *find_namespace(sio_server *server, const char *name)
{
    for (sio_namespace *nsp = server->namespaces; nsp; nsp = nsp->next)
        if (strcmp(nsp->name, name) == 0)
            return nsp;
    return NULL;
}

static sio_socket *client_socket(sio_client *client, const char *nsp)
{
    for (sio_socket *s = client->sockets; s; s = s->next_in_client)
        if (strcmp(s->nsp->name, nsp) == 0)
            return s;
    return NULL;
}

static void client_close(sio_client *client, const char *reason)
{
    eio_socket_close(client->eio, reason);
}

static void handle_connect(sio_client *client, sio_packet *p)
{
    sio_server *server = client->server;
    sio_namespace *nsp = find_namespace(server, p->nsp);
    if (!nsp) {
        json_t *error = json_pack("{ss}", "message", "Invalid namespace");
        size_t len;
        char *text = error ? sio_packet_encode(SIO_CONNECT_ERROR, p->nsp, -1, 0, error, &len) : NULL;
        if (text)
            eio_socket_send(client->eio, text, len, 0);
        free(text);
        json_decref(error);
        return;
    }
    sio_socket *s = calloc(1, sizeof *s);
    if (!s) {
        client_close(client, "out of memory");
        return;
    }
    s->refs = 1;
    s->state = SOCKET_PENDING;
    s->client = client;
    s->nsp = nsp;
    eio_random_id(s->id, 20);
    s->next_in_client = client->sockets;
    client->sockets = s;
    json_t *auth = p->data ? json_incref(p->data) : json_object();
    sio_socket_ref(s);              /* the handler may end it; keep it readable until done */
    if (nsp->handlers.on_connect)
        nsp->handlers.on_connect(s, auth, nsp->handlers.data);
    else
        sio_socket_accept(s);
    json_decref(auth);
    sio_socket_unref(s);
}

static void handle_event(sio_socket *s, sio_packet *p, const sio_binary *bins, size_t bin_count)
{
    sio_namespace *nsp = s->nsp;
    if (!nsp->handlers.on_event)
        return;
    const char *event = json_string_value(json_array_get(p->data, 0));
    json_t *args = json_array();
    if (!args)
        return;
    for (size_t i = 1; i < json_array_size(p->data); i++)
        json_array_append(args, json_array_get(p->data, i));
    sio_socket_ref(s);
    nsp->handlers.on_event(s, event, args, bins, bin_count, p->id, nsp->handlers.data);
    sio_socket_unref(s);
    json_decref(args);
}

static void handle_ack(sio_socket *s, sio_packet *p, const sio_binary *bins, size_t bin_count)
{
    for (pending_ack **link = &s->acks; *link; link = &(*link)->next) {
        pending_ack *a = *link;
        if (a->id != p->id)
            continue;
        *link = a->next;
        s->ack_count--;
        sio_socket_ref(s);
        a->fn(s, p->data, bins, bin_count, a->data);
        sio_socket_unref(s);
        free(a);
        return;
    }
}

/* A whole packet (with its attachments, if any). */
static void client_dispatch(sio_client *client, sio_packet *p, const sio_binary *bins,
                            size_t bin_count)
{
    sio_socket *s = client_socket(client, p->nsp);
    if (p->type == SIO_CONNECT) {
        if (s)
            client_close(client, "invalid state");
        else
            handle_connect(client, p);
        return;
    }
    if (!s || s->state != SOCKET_CONNECTED || p->type == SIO_CONNECT_ERROR) {
        client_close(client, "invalid state");
        return;
    }
    switch (p->type) {
    case SIO_EVENT:
    case SIO_BINARY_EVENT:
        handle_event(s, p, bins, bin_count);
        break;
    case SIO_ACK:
    case SIO_BINARY_ACK:
        handle_ack(s, p, bins, bin_count);
        break;
    case SIO_DISCONNECT:
        socket_gone(s, "client namespace disconnect");
        break;
    default:
        break;
    }
}

static void partial_clear(sio_client *client)
{
    for (size_t i = 0; i < client->bin_count; i++)
        free(client->bin_data[i]);
    free(client->bin_data);
    free(client->bin_len);
    client->bin_data = NULL;
    client->bin_len = NULL;
    client->bin_count = client->bin_bytes = 0;
    sio_packet_clear(&client->partial);
    client->has_partial = 0;
}

/* All attachments are in: dispatch, owning the pieces locally (the dispatch may end the client). */
static void partial_complete(sio_client *client)
{
    sio_binary bins[64] = {{0}};
    size_t n = client->bin_count;
    uint8_t **data = client->bin_data;
    size_t *lens = client->bin_len;
    sio_packet packet = client->partial;
    client->partial.data = NULL;
    client->bin_data = NULL;
    client->bin_len = NULL;
    client->bin_count = client->bin_bytes = 0;
    client->has_partial = 0;
    for (size_t i = 0; i < n; i++)
        bins[i] = (sio_binary){data[i], lens[i]};
    client_dispatch(client, &packet, bins, n);
    sio_packet_clear(&packet);
    for (size_t i = 0; i < n; i++)
        free(data[i]);
    free(data);
    free(lens);
}

static void on_binary(sio_client *client, const uint8_t *msg, size_t len)
{
    const sio_config *c = &client->server->config;
    if (!client->has_partial || client->bin_bytes + len > c->max_attachment_bytes) {
        client_close(client, "parse error");
        return;
    }
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy) {
        client_close(client, "out of memory");
        return;
    }
    if (len)
        memcpy(copy, msg, len);
    client->bin_data[client->bin_count] = copy;
    client->bin_len[client->bin_count] = len;
    client->bin_count++;
    client->bin_bytes += len;
    if (client->bin_count == client->partial.attachments)
        partial_complete(client);
}

static void on_text(sio_client *client, const uint8_t *msg, size_t len)
{
    if (client->has_partial) {        /* attachments were due first */
        client_close(client, "parse error");
        return;
    }
    const char *error;
    sio_packet p;
    size_t max_attachments = client->server->config.max_attachments;
    if (max_attachments > 64)
        max_attachments = 64;
    if (sio_packet_decode((const char *)msg, len, max_attachments, &p, &error)) {
        client_close(client, "parse error");
        return;
    }
    if ((p.type == SIO_BINARY_EVENT || p.type == SIO_BINARY_ACK) && p.attachments > 0) {
        if (!client->ever_connected) { /* no packet before CONNECT may carry any */
            sio_packet_clear(&p);
            client->server->refused_pre_connect++;
            client_close(client, "parse error");
            return;
        }
        client->bin_data = calloc(p.attachments, sizeof *client->bin_data);
        client->bin_len = calloc(p.attachments, sizeof *client->bin_len);
        if (!client->bin_data || !client->bin_len) {
            sio_packet_clear(&p);
            partial_clear(client);
            client_close(client, "out of memory");
            return;
        }
        client->partial = p;
        client->has_partial = 1;
        return;
    }
    client_dispatch(client, &p, NULL, 0);
    sio_packet_clear(&p);
}

/* ---------- Engine.IO callbacks ---------- */

static void timer_free(uv_handle_t *handle) { free(handle); }

static void connect_timeout(uv_timer_t *timer)
{
    sio_client *client = timer->data;
    client->connect_timer = NULL;
    uv_close((uv_handle_t *)timer, timer_free);
    if (!client->ever_connected) {
        client->server->refused_pre_connect++;
        client_close(client, "connect timeout");
    }
}

static void engine_open(eio_socket *eio, const http_request *req, void *data)
{
    (void)req;
    sio_server *server = data;
    sio_client *client = calloc(1, sizeof *client);
    if (!client) {
        eio_socket_close(eio, "out of memory");
        return;
    }
    client->server = server;
    client->eio = eio;
    eio_socket_set_data(eio, client);
    eio_socket_limit_messages(eio, server->config.max_pre_connect_bytes);
    client->connect_timer = malloc(sizeof *client->connect_timer);
    if (client->connect_timer) {
        uv_timer_init(server->loop, client->connect_timer);
        client->connect_timer->data = client;
        uv_timer_start(client->connect_timer, connect_timeout, server->config.connect_timeout_ms, 0);
    }
}

static void engine_message(eio_socket *eio, const uint8_t *msg, size_t len, int binary,
                           void *data)
{
    (void)data;
    sio_client *client = eio_socket_data(eio);
    if (!client)
        return;
    client->busy++;
    if (binary)
        on_binary(client, msg, len);
    else
        on_text(client, msg, len);
    if (--client->busy == 0 && client->dead)
        free(client);
}

static void engine_close(eio_socket *eio, const char *reason, void *data)
{
    (void)data;
    sio_client *client = eio_socket_data(eio);
    if (!client)
        return;
    eio_socket_set_data(eio, NULL);
    while (client->sockets)
        socket_gone(client->sockets, reason);
    partial_clear(client);
    if (client->connect_timer) {
        uv_timer_stop(client->connect_timer);
        uv_close((uv_handle_t *)client->connect_timer, timer_free);
        client->connect_timer = NULL;
    }
    client->dead = 1;
    if (!client->busy)
        free(client);
}

/* ---------- the server ---------- */

/* Socket.IO's defaults on Engine.IO's; like eio_config_defaults, alike in shape to the bridge's
 * settings in core/config.c, which main.c copies over them. */
void sio_config_defaults(sio_config *config)
{
    memset(config, 0, sizeof *config);
    eio_config_defaults(&config->engine);
    config->engine.path = "/socket.io/";
    config->connect_timeout_ms = 45000;
    config->max_pre_connect_bytes = 64 * 1024;
    config->max_attachments = 10;
    config->max_attachment_bytes = 1000000;
    config->max_rooms_per_socket = 1000;
    config->max_pending_acks = 1000;
}

sio_server *sio_server_new(uv_loop_t *loop, const sio_config *config)
{
    sio_server *server = calloc(1, sizeof *server);
    if (!server)
        return NULL;
    server->loop = loop;
    server->config = *config;
    eio_config engine = config->engine;
    engine.on_open = engine_open;
    engine.on_message = engine_message;
    engine.on_close = engine_close;
    engine.data = server;
    server->engine = eio_server_new(loop, &engine);
    if (!server->engine) {
        free(server);
        return NULL;
    }
    return server;
}

http_route sio_server_route(sio_server *server) { return eio_server_route(server->engine); }

void sio_server_free(sio_server *server)
{
    if (!server)
        return;
    eio_server_free(server->engine);  /* ends every client, and so every socket */
    sio_namespace *nsp = server->namespaces;
    while (nsp) {
        sio_namespace *next = nsp->next;
        sio_room *room;
        while ((room = eio_map_any(nsp->rooms))) {
            eio_map_remove(nsp->rooms, room->name);
            room_free(room);
        }
        eio_map_free(nsp->rooms);
        free(nsp->name);
        free(nsp);
        nsp = next;
    }
    free(server);
}

sio_namespace *sio_server_namespace(sio_server *server, const char *name,
                                    const sio_handlers *handlers)
{
    if (!name || name[0] != '/' || strlen(name) > SIO_MAX_NAMESPACE ||
        find_namespace(server, name))
        return NULL;
    sio_namespace *nsp = calloc(1, sizeof *nsp);
    if (!nsp)
        return NULL;
    nsp->server = server;
    nsp->name = strdup(name);
    nsp->rooms = eio_map_new();
    if (!nsp->name || !nsp->rooms) {
        free(nsp->name);
        eio_map_free(nsp->rooms);
        free(nsp);
        return NULL;
    }
    if (handlers)
        nsp->handlers = *handlers;
    nsp->next = server->namespaces;
    server->namespaces = nsp;
    return nsp;
}

uint64_t sio_server_packets_sent(const sio_server *server) { return server->packets_sent; }
uint64_t sio_server_refused_pre_connect(const sio_server *server)
{
    return server->refused_pre_connect;
}
eio_server *sio_server_engine(const sio_server *server) { return server->engine; }

size_t sio_server_session_count(const sio_server *server)
{
    return eio_server_session_count(server->engine);
}
