/* send_batch: group commit of the socket send_message events. The sends that arrive while
 * earlier batches are in flight wait, and go together as one call of chat.send_messages (one
 * transaction, one commit, one doorbell); with a batch slot free, the sends of one loop turn go
 * at once, so a lone message at light load is never held back by a timer. Each sender is acked
 * with its own answer only after the batch has committed. */
#ifndef BRIDGE_SEND_BATCH_H
#define BRIDGE_SEND_BATCH_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "chat/chat_sql.h"
#include "protocol/sio_server.h"

#define SEND_BATCH_MAX_MESSAGES 500          /* per call (the extension takes up to 1,000) */
#define SEND_BATCH_MAX_BYTES (1024 * 1024)   /* of JSON per call, roughly */
#define SEND_BATCH_MAX_WAITING 20000         /* sends waiting for a batch; beyond, unavailable */
#define SEND_BATCH_MAX_WAITING_BYTES (32 * 1024 * 1024) /* and their JSON, roughly */

struct send_batch;

/* Told of each message a batch stored (not a resend), after its sender was acked: this bridge
 * delivers it to the members it holds without waiting for the doorbell. message is borrowed. */
typedef void (*send_batch_stored_fn)(void *data, json_t *message);

/* Batches of sql's CHAT_SQL_SEND_MESSAGES, at most in_flight at once. sql must outlive it.
 * NULL when out of memory. */
struct send_batch *send_batch_new(uv_loop_t *loop, const struct chat_sql *sql, int in_flight,
                                  send_batch_stored_fn on_stored, void *data);

/* Queues one send: message is {conversationId, content, clientId?, replyTo?} (checked by the
 * caller; taken over: the batch drops the reference), token the sender's. The ack ack_id of
 * socket gets the stored message or {error}. Returns 0, or -1 when the queue is full or memory
 * is out (nothing is taken over then; the caller answers). */
int send_batch_add(struct send_batch *batch, sio_socket *socket, int64_t ack_id, const char *token,
                   json_t *message);

/* Sends queued or in flight. */
size_t send_batch_pending(const struct send_batch *batch);

/* Answers every queued send unavailable and closes the loop handle. The batch frees itself once
 * the handle is closed and the batches in flight are answered (the pool answers them, at the
 * latest when it closes). */
void send_batch_close(struct send_batch *batch);

#endif
