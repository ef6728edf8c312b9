/* Group commit of sends (see send_batch.h). Sends wait in one queue; a uv_check handle, which
 * runs right after the loop has read every socket that was ready, cuts batches off the queue's
 * head while a batch slot is free. A batch is one call: its JSON array is the only parameter,
 * and its answer an array in the same order, one ack per send. */
#include "chat/send_batch.h"
#include "core/metrics.h"
#include "core/log.h"

#include <stdlib.h>
#include <string.h>

struct pending_send {
    struct pending_send *next;
    sio_socket *socket; /* referenced */
    int64_t ack_id;
    json_t *message;    /* {token, conversationId, content, clientId?, replyTo?} */
    size_t bytes;       /* roughly, its share of the batch's JSON */
};

struct send_batch {
    const struct chat_sql *sql;
    send_batch_stored_fn on_stored;
    void *on_stored_data;
    uv_check_t check;
    struct pending_send *head, *tail;
    size_t waiting;
    size_t waiting_bytes;
    size_t in_batches;  /* sends in batches in flight */
    int in_flight;      /* batches in flight */
    int max_in_flight;
    int closing;
    int handle_closed;
};

/* One call in flight: its sends, in the order of the array sent. */
struct batch_call {
    struct send_batch *batch;
    struct pending_send *sends;
    size_t count;
};

static void pending_free(struct pending_send *send)
{
    sio_socket_release(send->socket);
    json_decref(send->message);
    free(send);
}

static void ack(struct pending_send *send, json_t *value)
{
    if (send->ack_id >= 0 && value) {
        json_t *args = json_pack("[O]", value);
        if (args)
            sio_socket_ack(send->socket, send->ack_id, args, NULL, 0);
        json_decref(args);
    }
    json_decref(value);
}

/* The answer to one send: {message: m} acks m; {error: {sqlstate, message}} acks the error. */
static json_t *answer_value(json_t *answer)
{
    json_t *message = json_object_get(answer, "message");
    if (json_is_object(message))
        return json_incref(message);
    json_t *error = json_object_get(answer, "error");
    const char *sqlstate = json_string_value(json_object_get(error, "sqlstate"));
    if (!sqlstate)
        return errors_json(&ERROR_INTERNAL, NULL);
    return errors_json(errors_from_sqlstate(sqlstate),
                          json_string_value(json_object_get(error, "message")));
}

static void schedule(struct send_batch *batch);

static void free_when_done(struct send_batch *batch)
{
    if (batch->closing && batch->handle_closed && batch->in_flight == 0)
        free(batch);
}

static void batch_on_result(void *data, const struct db_result *result)
{
    struct batch_call *call = data;
    struct send_batch *batch = call->batch;
    json_t *answers = result->status == DB_OK ? chat_sql_result_json(result) : NULL;
    json_t *failure = NULL;
    if (result->status != DB_OK) {
        failure = errors_db_json(result, "send_messages");
    } else if (!json_is_array(answers) || json_array_size(answers) != call->count) {
        log_error("send_batch_bad_answer", "sends=%zu", call->count);
        failure = errors_json(&ERROR_INTERNAL, NULL);
    }
    size_t i = 0;
    for (struct pending_send *send = call->sends; send; i++) {
        struct pending_send *next = send->next;
        ack(send, failure ? json_incref(failure) : answer_value(json_array_get(answers, i)));
        pending_free(send);
        send = next;
    }
    for (i = 0; !failure && batch->on_stored && i < call->count; i++) {
        json_t *answer = json_array_get(answers, i);
        json_t *message = json_object_get(answer, "message");
        if (json_is_object(message) && !json_is_true(json_object_get(answer, "resent")))
            batch->on_stored(batch->on_stored_data, message);
    }
    json_decref(failure);
    json_decref(answers);
    batch->in_flight--;
    batch->in_batches -= call->count;
    free(call);
    schedule(batch);
    free_when_done(batch);
}

/* Cuts the next batch off the queue (bounded in count and bytes) and sends it. */
static void batch_send(struct send_batch *batch)
{
    struct batch_call *call = calloc(1, sizeof(*call));
    json_t *array = json_array();
    char *text = NULL;
    size_t bytes = 0;
    if (!call || !array)
        goto failed;
    call->batch = batch;
    struct pending_send **last = &call->sends;
    while (batch->head && call->count < SEND_BATCH_MAX_MESSAGES &&
           (call->count == 0 || bytes + batch->head->bytes <= SEND_BATCH_MAX_BYTES)) {
        struct pending_send *send = batch->head;
        if (json_array_append(array, send->message) != 0)
            break;
        batch->head = send->next;
        if (!batch->head)
            batch->tail = NULL;
        batch->waiting--;
        batch->waiting_bytes -= send->bytes;
        send->next = NULL;
        *last = send;
        last = &send->next;
        call->count++;
        bytes += send->bytes;
    }
    if (call->count == 0)
        goto failed;
    text = json_dumps(array, JSON_COMPACT);
    json_decref(array);
    array = NULL;
    const char *values[] = {text};
    if (!text || chat_sql_query(batch->sql, CHAT_SQL_SEND_MESSAGES, values, batch_on_result,
                                call) != 0)
        goto failed;
    free(text);
    batch->in_flight++;
    batch->in_batches += call->count;
    metrics_send_batch(call->count);
    return;

failed:
    free(text);
    json_decref(array);
    /* the sends cut off, or the queue's head when nothing was (so the queue always moves):
     * unavailable, at once */
    struct pending_send *sends = call ? call->sends : NULL;
    if (!sends && batch->head) {
        sends = batch->head;
        batch->head = sends->next;
        if (!batch->head)
            batch->tail = NULL;
        batch->waiting--;
        batch->waiting_bytes -= sends->bytes;
        sends->next = NULL;
    }
    for (struct pending_send *send = sends; send;) {
        struct pending_send *next = send->next;
        ack(send, errors_json(&ERROR_UNAVAILABLE, NULL));
        pending_free(send);
        send = next;
    }
    free(call);
}

static void batch_on_check(uv_check_t *check)
{
    struct send_batch *batch = check->data;
    while (batch->head && batch->in_flight < batch->max_in_flight)
        batch_send(batch);
    if (!batch->head)
        uv_check_stop(check);
}

/* Runs the check after this loop turn's reads, if there is anything to send. */
static void schedule(struct send_batch *batch)
{
    if (batch->head && !batch->closing)
        uv_check_start(&batch->check, batch_on_check);
}

int send_batch_add(struct send_batch *batch, sio_socket *socket, int64_t ack_id, const char *token,
                   json_t *message)
{
    size_t bytes = 256 + strlen(token) + 2 * json_string_length(json_object_get(message, "content"));
    if (batch->closing || batch->waiting >= SEND_BATCH_MAX_WAITING ||
        batch->waiting_bytes + bytes > SEND_BATCH_MAX_WAITING_BYTES)
        return -1;
    /* alloc-or-refuse then fill, the shape of every "later" object (http_server's timers too) */
    struct pending_send *send = calloc(1, sizeof(*send));
    if (!send || json_object_set_new(message, "token", json_string(token)) != 0) {
        free(send);
        return -1;
    }
    send->socket = socket;
    send->ack_id = ack_id;
    send->message = message;
    send->bytes = bytes;
    batch->waiting_bytes += bytes;
    sio_socket_hold(socket); /* counted: chat bounds the calls a socket has in flight */
    if (batch->tail)
        batch->tail->next = send;
    else
        batch->head = send;
    batch->tail = send;
    batch->waiting++;
    schedule(batch);
    return 0;
}

size_t send_batch_pending(const struct send_batch *batch)
{
    return batch->waiting + batch->in_batches;
}

struct send_batch *send_batch_new(uv_loop_t *loop, const struct chat_sql *sql, int in_flight,
                                  send_batch_stored_fn on_stored, void *data)
{
    struct send_batch *batch = calloc(1, sizeof(*batch));
    if (!batch)
        return NULL;
    batch->sql = sql;
    batch->on_stored = on_stored;
    batch->on_stored_data = data;
    batch->max_in_flight = in_flight > 0 ? in_flight : 1;
    uv_check_init(loop, &batch->check);
    batch->check.data = batch;
    return batch;
}

static void batch_on_closed(uv_handle_t *handle)
{
    struct send_batch *batch = handle->data;
    batch->handle_closed = 1;
    free_when_done(batch);
}

void send_batch_close(struct send_batch *batch)
{
    batch->closing = 1;
    while (batch->head) {
        struct pending_send *send = batch->head;
        batch->head = send->next;
        ack(send, errors_json(&ERROR_UNAVAILABLE, NULL));
        pending_free(send);
    }
    batch->tail = NULL;
    batch->waiting = 0;
    batch->waiting_bytes = 0;
    uv_check_stop(&batch->check);
    uv_close((uv_handle_t *)&batch->check, batch_on_closed);
}
