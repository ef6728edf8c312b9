/* conformance_server: the protocol layer alone, configured like the reference servers of the
 * Engine.IO v4 and Socket.IO v5 test suites: Socket.IO at /socket.io/ (namespaces "/" and
 * "/custom"), raw Engine.IO echo at /engine.io/, pingInterval 300, pingTimeout 200,
 * maxPayload 1e6, connectTimeout 1000, CORS origin "*". One addition the suites don't send:
 * "emit-with-ack" is emitted back asking for an ack, and the answer emitted once more.
 *   conformance-server [--port N] [--host ADDR] [--ping-interval MS] [--ping-timeout MS]
 * The port also comes from PROTOCOL_PORT; the default is 3000. SIGINT/SIGTERM stop it cleanly. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/eio_server.h"
#include "protocol/http_server.h"
#include "protocol/sio_server.h"

typedef struct app {
    uv_loop_t *loop;
    http_server *http;
    eio_server *engine;
    sio_server *io;
    uv_signal_t sigint, sigterm;
} app;

/* ---------- raw Engine.IO: every message back as it came ---------- */

static void engine_echo(eio_socket *socket, const uint8_t *msg, size_t len, int binary, void *data)
{
    (void)data;
    eio_socket_send(socket, msg, len, binary);
}

/* ---------- Socket.IO ---------- */

/* Over a websocket, the suites read the CONNECT reply and the "auth" event as two separate socket
 * reads (their waitFor registers its listener only after the first message was handled), so a
 * second frame arriving in the same read is lost to them. The reference server writes the two in
 * different ticks; this one waits a few milliseconds after the CONNECT reply to do the same. Over
 * polling both go in one payload, in order, as the reference sends them. */
#define AUTH_DELAY_MS 5

typedef struct auth_later {
    uv_timer_t timer;
    sio_socket *socket;   /* referenced until the timer closes */
    json_t *args;
} auth_later;

static void auth_later_free(uv_handle_t *handle)
{
    auth_later *later = handle->data;
    sio_socket_unref(later->socket);
    json_decref(later->args);
    free(later);
}

static void auth_later_fire(uv_timer_t *timer)
{
    auth_later *later = timer->data;
    if (sio_socket_connected(later->socket))
        sio_socket_emit(later->socket, "auth", later->args, NULL, 0);
    uv_close((uv_handle_t *)timer, auth_later_free);
}

static void emit_auth(sio_socket *socket, json_t *auth, void *data)
{
    uv_loop_t *loop = data;
    if (sio_socket_accept(socket))
        return;
    const char *transport = sio_socket_transport(socket);
    if (!transport || strcmp(transport, "websocket") != 0) {
        json_t *args = json_pack("[O]", auth);
        if (args)
            sio_socket_emit(socket, "auth", args, NULL, 0);
        json_decref(args);
        return;
    }
    auth_later *later = calloc(1, sizeof *later);
    if (!later || !(later->args = json_pack("[O]", auth))) {
        free(later);
        return;
    }
    later->socket = socket;
    sio_socket_ref(socket);
    uv_timer_init(loop, &later->timer);
    later->timer.data = later;
    uv_timer_start(&later->timer, auth_later_fire, AUTH_DELAY_MS, 0);
}

/* Server-to-client acks (an event some suite variants use): the client's answer is emitted back. */
static void ack_came_back(sio_socket *socket, json_t *args, const sio_binary *bins,
                          size_t bin_count, void *data)
{
    (void)data;
    if (args)
        sio_socket_emit(socket, "emit-with-ack", args, bins, bin_count);
}

static void main_event(sio_socket *socket, const char *event, json_t *args,
                       const sio_binary *bins, size_t bin_count, int64_t ack_id, void *data)
{
    (void)data;
    if (strcmp(event, "message") == 0)
        sio_socket_emit(socket, "message-back", args, bins, bin_count);
    else if (strcmp(event, "message-with-ack") == 0 && ack_id >= 0)
        sio_socket_ack(socket, ack_id, args, bins, bin_count);
    else if (strcmp(event, "emit-with-ack") == 0)
        sio_socket_emit_with_ack(socket, "emit-with-ack", args, bins, bin_count, ack_came_back,
                                 NULL);
}

/* ---------- wiring ---------- */

/* Ends every session while the loop runs, then stops it: lws is destroyed outside the loop. */
static void stop(uv_signal_t *signal, int signum)
{
    (void)signum;
    app *a = signal->data;
    fprintf(stderr, "level=info module=conformance msg=stopping\n");
    http_server_drain(a->http);
    sio_server_free(a->io);
    eio_server_free(a->engine);
    a->io = NULL;
    a->engine = NULL;
    uv_stop(a->loop);
}

static void apply_timings(eio_config *engine, uint64_t interval, uint64_t timeout)
{
    engine->ping_interval_ms = interval;
    engine->ping_timeout_ms = timeout;
    engine->max_payload = 1000000;
    engine->cors_origin = "*";
}

static int parse_args(int argc, char **argv, int *port, const char **host, uint64_t *interval,
                      uint64_t *timeout)
{
    const char *env = getenv("PROTOCOL_PORT");
    if (env)
        *port = atoi(env);
    for (int i = 1; i < argc; i++) {
        const char *value = i + 1 < argc ? argv[i + 1] : NULL;
        if (!value)
            return -1;
        if (strcmp(argv[i], "--port") == 0)
            *port = atoi(value);
        else if (strcmp(argv[i], "--host") == 0)
            *host = value;
        else if (strcmp(argv[i], "--ping-interval") == 0)
            *interval = strtoull(value, NULL, 10);
        else if (strcmp(argv[i], "--ping-timeout") == 0)
            *timeout = strtoull(value, NULL, 10);
        else
            return -1;
        i++;
    }
    return *port > 0 && *port < 65536 && *interval > 0 && *timeout > 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
    int port = 3000;
    const char *host = NULL;
    uint64_t interval = 300, timeout = 200;
    if (parse_args(argc, argv, &port, &host, &interval, &timeout)) {
        fprintf(stderr, "usage: %s [--port N] [--host ADDR] [--ping-interval MS] "
                        "[--ping-timeout MS]\n", argv[0]);
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    app a = {.loop = uv_default_loop()};

    http_server_config http = {
        .host = host,
        .port = port,
        .max_ws_message = 1000000,
        .ws_queue_messages = 1000,
        .ws_queue_bytes = 8u << 20,
    };
    a.http = http_server_new(a.loop, &http);
    if (!a.http)
        return 1;

    eio_config raw;
    eio_config_defaults(&raw);
    apply_timings(&raw, interval, timeout);
    raw.path = "/engine.io/";
    raw.on_message = engine_echo;
    a.engine = eio_server_new(a.loop, &raw);

    sio_config io;
    sio_config_defaults(&io);
    apply_timings(&io.engine, interval, timeout);
    io.connect_timeout_ms = 1000;
    a.io = sio_server_new(a.loop, &io);
    if (!a.engine || !a.io)
        return 1;
    sio_handlers main_handlers = {.on_connect = emit_auth, .on_event = main_event,
                                  .data = a.loop};
    sio_handlers custom_handlers = {.on_connect = emit_auth, .data = a.loop};
    http_route engine_route = eio_server_route(a.engine);
    http_route io_route = sio_server_route(a.io);
    if (!sio_server_namespace(a.io, "/", &main_handlers) ||
        !sio_server_namespace(a.io, "/custom", &custom_handlers) ||
        http_server_add_route(a.http, &engine_route) || http_server_add_route(a.http, &io_route))
        return 1;

    uv_signal_init(a.loop, &a.sigint);
    uv_signal_init(a.loop, &a.sigterm);
    a.sigint.data = a.sigterm.data = &a;
    uv_signal_start(&a.sigint, stop, SIGINT);
    uv_signal_start(&a.sigterm, stop, SIGTERM);
    fprintf(stderr, "level=info module=conformance msg=listening port=%d\n", port);
    uv_run(a.loop, UV_RUN_DEFAULT);
    http_server_free(a.http);           /* first step: every connection closes */
    uv_close((uv_handle_t *)&a.sigint, NULL);
    uv_close((uv_handle_t *)&a.sigterm, NULL);
    uv_run(a.loop, UV_RUN_DEFAULT);     /* let lws and the timers close their handles */
    http_server_free(a.http);           /* second step: lws completes, the server is freed */
    uv_run(a.loop, UV_RUN_DEFAULT);
    uv_loop_close(a.loop);
    return 0;
}
