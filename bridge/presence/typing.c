/* typing: a table of typing states keyed "conversation/user", kept in a list ordered by deadline
 * (every refresh moves an entry to the tail, since all deadlines are now + TYPING_EXPIRE_MS), so
 * one timer armed for the head expires them. */
#include "presence/typing.h"
#include "core/eio_map.h"
#include "core/log.h"
#include "core/ids.h"
#include "presence/presence.h" /* PRESENCE_BRIDGE_ID_MAX: one bridge id for both */

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TYPING_PAYLOAD_MAX 512

struct typing_entry {
    struct typing_entry *prev, *next;
    uint64_t deadline;
    uint64_t published; /* when a start from this bridge was last published */
    char key[74];       /* conversation "/" user: the map's key */
    char conversation[IDS_UUID_LEN + 1];
    char user[IDS_UUID_LEN + 1];
    char username[TYPING_USERNAME_MAX + 1];
    int local; /* started from this bridge */
};

struct typing {
    uv_loop_t *loop;
    struct redis *redis;
    char bridge_id[PRESENCE_BRIDGE_ID_MAX + 1];
    eio_map *entries;
    struct typing_entry *head, *tail;
    uv_timer_t timer;
    typing_fn on_event;
    void *data;
    int closing;
};

/* ---- the table ---- */

static void typing_unlink(struct typing *typing, struct typing_entry *entry)
{
    if (entry->prev)
        entry->prev->next = entry->next;
    else
        typing->head = entry->next;
    if (entry->next)
        entry->next->prev = entry->prev;
    else
        typing->tail = entry->prev;
    entry->prev = entry->next = NULL;
}

static void typing_append(struct typing *typing, struct typing_entry *entry)
{
    entry->prev = typing->tail;
    if (typing->tail)
        typing->tail->next = entry;
    else
        typing->head = entry;
    typing->tail = entry;
}

static void typing_on_timer(uv_timer_t *timer);

static void typing_arm(struct typing *typing)
{
    if (!typing->head) {
        uv_timer_stop(&typing->timer);
        return;
    }
    uint64_t now = uv_now(typing->loop);
    uint64_t wait = typing->head->deadline > now ? typing->head->deadline - now : 0;
    uv_timer_start(&typing->timer, typing_on_timer, wait, 0);
}

static void typing_tell(struct typing *typing, const struct typing_entry *entry, int on)
{
    struct typing_event event = {entry->conversation, entry->user, on ? entry->username : "", on};
    typing->on_event(typing->data, &event);
}

static void typing_remove(struct typing *typing, struct typing_entry *entry, int tell)
{
    eio_map_remove(typing->entries, entry->key);
    typing_unlink(typing, entry);
    if (tell)
        typing_tell(typing, entry, 0);
    free(entry);
}

static void typing_on_timer(uv_timer_t *timer)
{
    struct typing *typing = timer->data;
    uint64_t now = uv_now(typing->loop);
    while (typing->head && typing->head->deadline <= now)
        typing_remove(typing, typing->head, 1);
    typing_arm(typing);
}

/* Applies a start or stop, wherever it came from. */
static void typing_apply(struct typing *typing, const char *conversation, const char *user,
                         const char *username, int on, int local)
{
    char key[74];
    snprintf(key, sizeof(key), "%s/%s", conversation, user);
    struct typing_entry *entry = eio_map_get(typing->entries, key);
    if (!on) {
        if (entry) {
            typing_remove(typing, entry, 1);
            typing_arm(typing);
        }
        return;
    }
    if (!entry) {
        if (eio_map_count(typing->entries) >= TYPING_MAX_ACTIVE)
            return; /* bounded: a start past the limit is dropped, nothing else changes */
        entry = calloc(1, sizeof(*entry));
        if (!entry)
            return;
        memcpy(entry->key, key, sizeof(key));
        memcpy(entry->conversation, conversation, 37);
        memcpy(entry->user, user, 37);
        if (eio_map_put(typing->entries, entry->key, entry) != 0) {
            free(entry);
            return;
        }
    } else {
        typing_unlink(typing, entry);
    }
    snprintf(entry->username, sizeof(entry->username), "%s", username);
    entry->local |= local;
    entry->deadline = uv_now(typing->loop) + TYPING_EXPIRE_MS;
    typing_append(typing, entry);
    typing_arm(typing);
    typing_tell(typing, entry, 1);
}

/* ---- Redis ---- */

static void typing_on_message(void *data, const char *payload, size_t length)
{
    struct typing *typing = data;
    if (typing->closing || length > TYPING_PAYLOAD_MAX)
        return;
    json_t *message = json_loadb(payload, length, 0, NULL);
    char conversation[IDS_UUID_LEN + 1], user[IDS_UUID_LEN + 1];
    const char *username = json_string_value(json_object_get(message, "n"));
    const char *origin = json_string_value(json_object_get(message, "b"));
    json_t *on = json_object_get(message, "t");
    if (!ids_normalize_uuid(json_string_value(json_object_get(message, "c")), conversation) ||
        !ids_normalize_uuid(json_string_value(json_object_get(message, "u")), user) ||
        !json_is_integer(on) || !origin || !username || strlen(username) > TYPING_USERNAME_MAX) {
        log_warn("typing_message_invalid", "length=%zu", length);
        json_decref(message);
        return;
    }
    typing_apply(typing, conversation, user, username, json_integer_value(on) != 0,
                 strcmp(origin, typing->bridge_id) == 0);
    json_decref(message);
}

/* Published when Redis is up, else applied here only. */
static int typing_send(struct typing *typing, const char *conversation, const char *user,
                       const char *username, int on)
{
    if (typing->redis && redis_is_up(typing->redis)) {
        json_t *message = json_pack("{s:s, s:s, s:s, s:s, s:i}", "b", typing->bridge_id, "c",
                                    conversation, "u", user, "n", username, "t", on);
        char *text = message ? json_dumps(message, JSON_COMPACT) : NULL;
        int sent = text ? redis_publish(typing->redis, TYPING_CHANNEL, text, strlen(text)) : -1;
        free(text);
        json_decref(message);
        if (sent == 0)
            return 0;
    }
    typing_apply(typing, conversation, user, username, on, 1);
    return 0;
}

/* ---- API ---- */

int typing_start(struct typing *typing, const char *conversation_id, const char *user_id,
                 const char *username)
{
    char conversation[IDS_UUID_LEN + 1], user[IDS_UUID_LEN + 1], key[74];
    if (typing->closing || !ids_normalize_uuid(conversation_id, conversation) ||
        !ids_normalize_uuid(user_id, user) || !username ||
        strlen(username) > TYPING_USERNAME_MAX)
        return -1;
    json_t *check = json_string(username); /* NULL unless valid UTF-8 */
    if (!check)
        return -1;
    json_decref(check);
    snprintf(key, sizeof(key), "%s/%s", conversation, user);
    struct typing_entry *entry = eio_map_get(typing->entries, key);
    uint64_t now = uv_now(typing->loop);
    if (!entry && eio_map_count(typing->entries) >= TYPING_MAX_ACTIVE)
        return -1;
    /* still typing, said recently: every bridge's deadline is still far off */
    if (entry && entry->local && entry->published && now - entry->published < TYPING_REPUBLISH_MS)
        return 0;
    int status = typing_send(typing, conversation, user, username, 1);
    entry = eio_map_get(typing->entries, key); /* present now unless the echo is still coming */
    if (entry)
        entry->published = now;
    return status;
}

int typing_stop(struct typing *typing, const char *conversation_id, const char *user_id)
{
    char conversation[IDS_UUID_LEN + 1], user[IDS_UUID_LEN + 1], key[74];
    if (typing->closing || !ids_normalize_uuid(conversation_id, conversation) ||
        !ids_normalize_uuid(user_id, user))
        return -1;
    /* until the stop comes back from Redis the entry is still here: a start meanwhile must be
     * published, or every bridge would end up thinking the user stopped */
    snprintf(key, sizeof(key), "%s/%s", conversation, user);
    struct typing_entry *entry = eio_map_get(typing->entries, key);
    if (entry)
        entry->published = 0;
    return typing_send(typing, conversation, user, "", 0);
}

void typing_user_gone(struct typing *typing, const char *user_id)
{
    char user[IDS_UUID_LEN + 1];
    if (typing->closing || !ids_normalize_uuid(user_id, user))
        return;
    /* collect first: a local stop removes entries while we walk */
    char conversations[16][IDS_UUID_LEN + 1];
    int n = 0;
    for (struct typing_entry *e = typing->head; e && n < 16; e = e->next)
        if (e->local && strcmp(e->user, user) == 0)
            memcpy(conversations[n++], e->conversation, 37);
    for (int i = 0; i < n; i++)
        typing_send(typing, conversations[i], user, "", 0);
}

size_t typing_active(const struct typing *typing)
{
    return eio_map_count(typing->entries);
}

struct typing *typing_new(uv_loop_t *loop, struct redis *redis, const char *bridge_id,
                          typing_fn on_event, void *data)
{
    if (!bridge_id || !on_event)
        return NULL;
    struct typing *typing = calloc(1, sizeof(*typing));
    if (!typing)
        return NULL;
    typing->entries = eio_map_new();
    if (!typing->entries ||
        (redis && redis_subscribe(redis, TYPING_CHANNEL, typing_on_message, typing) != 0)) {
        eio_map_free(typing->entries);
        free(typing);
        return NULL;
    }
    typing->loop = loop;
    typing->redis = redis;
    snprintf(typing->bridge_id, sizeof(typing->bridge_id), "%s", bridge_id);
    typing->on_event = on_event;
    typing->data = data;
    uv_timer_init(loop, &typing->timer);
    typing->timer.data = typing;
    return typing;
}

static void typing_on_closed(uv_handle_t *handle)
{
    struct typing *typing = handle->data;
    eio_map_free(typing->entries);
    free(typing);
}

void typing_close(struct typing *typing)
{
    if (!typing || typing->closing)
        return;
    typing->closing = 1;
    while (typing->head)
        typing_remove(typing, typing->head, 0);
    uv_timer_stop(&typing->timer);
    uv_close((uv_handle_t *)&typing->timer, typing_on_closed);
}
