/* listener: the bridge's one LISTEN connection (channel chat). It connects without blocking the
 * loop, LISTENs, and hands each notification's payload to its owner; when the connection is lost
 * it reconnects with capped backoff, LISTENs again and says so (on_ready), so the owner can catch
 * up on what was committed while nobody listened. */
#ifndef BRIDGE_LISTENER_H
#define BRIDGE_LISTENER_H

#include <stddef.h>
#include <uv.h>

struct listener;

struct listener_handlers {
    /* One NOTIFY payload (valid during the call only). */
    void (*on_event)(void *data, const char *payload, size_t length);
    /* LISTEN is in effect again: after the first connect and after every reconnect. */
    void (*on_ready)(void *data, int reconnected);
    void *data;
};

/* Starts connecting at once to conninfo on `channel`. NULL when out of memory. */
struct listener *listener_new(uv_loop_t *loop, const char *conninfo, const char *channel,
                              const struct listener_handlers *handlers);
/* Whether LISTEN is in effect now. */
int listener_ready(const struct listener *listener);
/* Closes the connection; the listener frees itself once its handles are closed (run the loop). */
void listener_close(struct listener *listener);

#endif
