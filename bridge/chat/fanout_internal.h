/* What the fan-out files share (fanout.c, fanout_emit.c, fanout_members.c,
 * fanout_membership.c, fanout_stream.c, fanout_user_events.c, fanout_doorbell.c): the state of
 * fan-out and the functions one file calls in another. Only those files include it; the rest
 * of the bridge sees fanout.h. */
#ifndef BRIDGE_FANOUT_INTERNAL_H
#define BRIDGE_FANOUT_INTERNAL_H

#include "chat/fanout.h"
#include "core/eio_map.h"

#include <stdint.h>

#define FANOUT_MAX_CONVERSATIONS 50000 /* cached entries; the least recently used idle go first */
#define FANOUT_MAX_QUEUED 4096         /* events waiting per conversation; beyond, dropped */
#define FANOUT_MAX_MEMBERS 10000       /* a members answer longer than this is refused */
#define FANOUT_RETRY_MS 1000           /* a stalled conversation is pumped again after this */
#define FANOUT_TARGETS_ON_STACK 64
#define DOORBELL_MAX_RANGE 1000        /* seqs in one range of a doorbell; longer is refused */
#define DOORBELL_FETCH_MAX 1000        /* messages asked for in one chat.event_messages call */
#define DOORBELL_MAX_RUNG 100000       /* ranges heard in one loop turn; beyond, fetched as gaps */

typedef char fanout_id[IDS_UUID_LEN + 1];

struct fanout_user {
    fanout_id id; /* the map's key */
    struct fanout_socket *sockets;
};

/* the message kinds first: each names a seq (fanout_event_parse tests kind <= EVENT_REACTIONS) */
enum event_kind {
    EVENT_CREATED,
    EVENT_UPDATED,
    EVENT_DELETED,
    EVENT_REACTIONS,
    EVENT_RECEIPT,
    EVENT_MEMBERSHIP
};

struct fanout_event {
    struct fanout_event *next;
    enum event_kind kind;
    int64_t seq;
    json_t *body;          /* message, receipt or membership payload; NULL: a message by reference */
    int awaiting;          /* a message a doorbell fetch in flight will fill */
    int gap_checked;       /* the seq after the last sent is missing: fetch this one itself */
    int reloaded;          /* membership: members were reloaded for it */
    fanout_id *before;     /* membership: the members before it */
    size_t before_count;
};

enum members_state { MEMBERS_NONE, MEMBERS_LOADING, MEMBERS_LOADED };

struct fanout_waiter {
    struct fanout_waiter *next;
    fanout_id user_id;
    fanout_check_fn done;
    void *data;
};

struct conversation {
    fanout_id id; /* the map's key */
    enum members_state members_state;
    int members_stale;     /* a reload was asked for while one was in flight */
    fanout_id *members;
    int64_t *joined_seqs;  /* beside members: each sees only messages with a greater seq */
    int quiet;             /* a direct chat with a block: no typing is relayed (1.6) */
    size_t member_count;
    struct fanout_waiter *waiters;
    int64_t last_seq;      /* the last message_created sent out; -1 while unknown */
    int fetching;          /* an event_message call is in flight */
    int catching_up;       /* after a listener reconnect: fetch last_seq + 1 until none */
    int stalled;           /* the database was unavailable: the retry timer pumps again */
    int pumping;
    struct fanout_event *head, *tail;
    size_t queued;
    struct conversation *newer, *older;
};

/* A doorbell's range waiting for (or in) a batched fetch. */
struct doorbell_range {
    fanout_id conversation_id;
    int64_t first, last;
};

struct fanout {
    uv_loop_t *loop;
    const struct chat_sql *sql;
    eio_map *users;
    eio_map *conversations;
    struct conversation *newest, *oldest;
    size_t stalled;
    uv_timer_t retry_timer;
    int closing;
    struct doorbell_range *ranges; /* waiting for the next doorbell fetch */
    size_t range_count, range_room;
    struct doorbell_range *rung;   /* doorbells heard this loop turn, rung in the check phase */
    size_t rung_count, rung_room;
    uv_check_t doorbell_check;
    int doorbell_fetching;         /* one fetch in flight at a time, so they come back in order */
};

/* fanout.c */
int fanout_ids_contain(const fanout_id *ids, size_t count, const char *id);
/* fanout_emit.c */
void fanout_emit_to_users(struct fanout *fanout, const fanout_id *users, const int64_t *joined,
                          int64_t seq, size_t user_count, const char *except, const char *event,
                          json_t *body);
/* fanout_members.c */
void fanout_lru_unlink(struct fanout *fanout, struct conversation *conv);
/* fanout_members.c */
void fanout_event_free(struct fanout_event *event);
/* fanout_members.c */
void fanout_conversation_free(struct conversation *conv);
/* fanout_members.c */
struct conversation *fanout_conversation_get(struct fanout *fanout, const char *id);
/* fanout_members.c */
void fanout_conversation_stall(struct fanout *fanout, struct conversation *conv);
/* fanout_members.c */
void fanout_waiters_answer(struct conversation *conv, const struct error_kind *failure);
/* fanout_members.c */
void fanout_members_load(struct fanout *fanout, struct conversation *conv);
/* fanout_membership.c */
void fanout_announce_to_member(struct fanout *fanout, const char *user_id,
                               const char *conversation_id);
/* fanout_membership.c */
void fanout_membership_announce(struct fanout *fanout, struct conversation *conv,
                                struct fanout_event *event);
/* fanout_stream.c */
void fanout_queue_push_back(struct conversation *conv, struct fanout_event *event);
/* fanout_stream.c */
void fanout_fetch(struct fanout *fanout, struct conversation *conv, int64_t seq);
/* fanout_stream.c */
void fanout_conversation_pump(struct fanout *fanout, struct conversation *conv);
/* fanout_stream.c */
void fanout_on_retry(uv_timer_t *timer);
/* fanout_stream.c */
struct fanout_event *fanout_event_parse(json_t *root, const char **conversation_id);
/* fanout_user_events.c */
int fanout_has_members_here(const struct fanout *fanout, const struct conversation *conv);
/* fanout_doorbell.c */
void fanout_doorbell_handle(struct fanout *fanout, json_t *ranges);

#endif
