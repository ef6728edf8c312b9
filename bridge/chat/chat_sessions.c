/* chat_sessions (see chat_sessions.h): one list of every session socket, walked when a session
 * ends or once a second for expiries. Both are rare or cheap next to the traffic: a walk is a few
 * comparisons per socket. */
#include "chat/chat_sessions.h"
#include "core/log.h"
#include "core/metrics.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define CHAT_SESSIONS_SWEEP_MS 1000

struct chat_sessions {
    uv_timer_t *sweep; /* its own allocation: it outlives chat_sessions_close until its close */
    struct chat_session *head;
    size_t count;
};

static void sweep_closed(uv_handle_t *handle) { free(handle); }

/* Tells the socket why, then ends it; the disconnect hook removes it from the list. */
static void session_end(sio_socket *socket, const char *reason)
{
    json_t *args = json_pack("[{s:s}]", "reason", reason);
    if (args)
        sio_socket_emit(socket, "session_ended", args, NULL, 0);
    json_decref(args);
    sio_socket_disconnect(socket, 1);
}

/* Ends every socket `match` selects. They are gathered (referenced) first: ending one unlinks it. */
typedef int (*session_match)(const struct chat_session *session, const void *data);

static size_t sessions_end(struct chat_sessions *sessions, session_match match, const void *data,
                           const char *reason)
{
    size_t count = 0;
    for (struct chat_session *s = sessions->head; s; s = s->next)
        count += match(s, data) != 0;
    if (count == 0)
        return 0;
    sio_socket **targets = malloc(count * sizeof(*targets));
    if (!targets) {
        log_error("sessions_end_failed", "reason=out_of_memory sockets=%zu", count);
        return 0;
    }
    size_t n = 0;
    for (struct chat_session *s = sessions->head; s && n < count; s = s->next)
        if (match(s, data)) {
            sio_socket_ref(s->socket);
            targets[n++] = s->socket;
        }
    for (size_t i = 0; i < n; i++) {
        session_end(targets[i], reason);
        sio_socket_unref(targets[i]);
    }
    free(targets);
    return n;
}

static int is_expired(const struct chat_session *session, const void *data)
{
    return session->expires_at <= *(const uint64_t *)data;
}

static void on_sweep(uv_timer_t *timer)
{
    struct chat_sessions *sessions = timer->data;
    uint64_t now = uv_now(timer->loop);
    size_t ended = sessions_end(sessions, is_expired, &now, "expired");
    metrics_count(METRICS_SESSIONS_EXPIRED, ended);
    if (ended)
        log_info("sessions_expired", "sockets=%zu", ended);
}

struct chat_sessions *chat_sessions_new(uv_loop_t *loop)
{
    struct chat_sessions *sessions = calloc(1, sizeof(*sessions));
    uv_timer_t *sweep = calloc(1, sizeof(*sweep));
    if (!sessions || !sweep || uv_timer_init(loop, sweep) != 0) {
        free(sessions);
        free(sweep);
        return NULL;
    }
    sweep->data = sessions;
    sessions->sweep = sweep;
    uv_timer_start(sweep, on_sweep, CHAT_SESSIONS_SWEEP_MS, CHAT_SESSIONS_SWEEP_MS);
    uv_unref((uv_handle_t *)sweep); /* never what keeps the loop alive */
    return sessions;
}

void chat_sessions_close(struct chat_sessions *sessions)
{
    if (sessions && sessions->sweep) {
        uv_close((uv_handle_t *)sessions->sweep, sweep_closed);
        sessions->sweep = NULL;
    }
}

void chat_sessions_free(struct chat_sessions *sessions) { free(sessions); }

void chat_sessions_add(struct chat_sessions *sessions, struct chat_session *session,
                       int64_t expires_in)
{
    uint64_t now = sessions->sweep ? uv_now(sessions->sweep->loop) : 0;
    session->expires_at = now + (uint64_t)(expires_in > 0 ? expires_in : 0) * 1000;
    session->prev = NULL;
    session->next = sessions->head;
    if (sessions->head)
        sessions->head->prev = session;
    sessions->head = session;
    sessions->count++;
}

void chat_sessions_remove(struct chat_sessions *sessions, struct chat_session *session)
{
    if (session->prev)
        session->prev->next = session->next;
    else if (sessions->head == session)
        sessions->head = session->next;
    else
        return; /* not in the list */
    if (session->next)
        session->next->prev = session->prev;
    session->prev = session->next = NULL;
    sessions->count--;
}

/* What a sessions_ended event names: one session, or all of a user's but one, or everyone's. */
struct ended {
    const char *user_id;    /* NULL: every user */
    const char *session_id; /* NULL: every session of the user */
    const char *except;     /* kept (a password change keeps the device that made it) */
};

static int is_ended(const struct chat_session *session, const void *data)
{
    const struct ended *ended = data;
    if (ended->user_id && strcmp(session->user_id, ended->user_id) != 0)
        return 0;
    if (ended->session_id)
        return strcmp(session->id, ended->session_id) == 0;
    return !ended->except || strcmp(session->id, ended->except) != 0;
}

int chat_sessions_event(struct chat_sessions *sessions, const char *payload, size_t length)
{
    /* cheap test first: almost every notification is a doorbell */
    static const char needle[] = "sessions_ended";
    if (!memmem(payload, length, needle, sizeof(needle) - 1))
        return 0;
    json_t *root = json_loadb(payload, length, 0, NULL);
    const char *type = json_string_value(json_object_get(root, "type"));
    if (!type || strcmp(type, needle) != 0) {
        json_decref(root);
        return 0;
    }
    struct ended ended = {
        .user_id = json_string_value(json_object_get(root, "userId")),
        .session_id = json_string_value(json_object_get(root, "sessionId")),
        .except = json_string_value(json_object_get(root, "except")),
    };
    if (!ended.session_id && !json_is_true(json_object_get(root, "all"))) {
        log_warn("sessions_bad_event", "reason=neither_session_nor_all");
        json_decref(root);
        return 1;
    }
    size_t count = sessions_end(sessions, is_ended, &ended, "ended");
    metrics_count(METRICS_SESSIONS_ENDED, count);
    log_info("sessions_ended", "user=%s session=%s sockets=%zu",
             ended.user_id ? ended.user_id : "*", ended.session_id ? ended.session_id : "*",
             count);
    json_decref(root);
    return 1;
}
