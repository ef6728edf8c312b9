/* queue_budget: the bytes the process holds for clients that have not read them yet (websocket
 * queues, polling buffers, HTTP answers being written), against one budget, so that memory is
 * bounded by configuration whatever readers do. Each socket's own bound stays; this one is for
 * the sum. When new bytes would pass the budget, holders are dropped until they fit: the one that
 * has held bytes the longest without a break first (the slowest reader: one that keeps up empties
 * its queue every loop turn or so), then the largest; when the one asking comes first in that
 * order, it is refused instead. A frame shared by many queues (fan-out) is counted once in the
 * budget, and in each holder's bytes, which order the drops. Single-threaded, like the loop. */
#ifndef BRIDGE_QUEUE_BUDGET_H
#define BRIDGE_QUEUE_BUDGET_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

/* Embedded in whatever holds bytes (zeroed to start). `evict` drops the holder: it must release
 * every byte it holds before it returns (queue_budget_release), and end its client later, never
 * from inside the call (the loop may be in the middle of a send to another socket). */
struct queue_holder {
    size_t bytes;                     /* its own and its shares of shared frames */
    uint64_t since;                   /* loop time it last went from holding none to some */
    void (*evict)(struct queue_holder *holder);
    struct queue_holder *prev, *next; /* on the budget's list while bytes > 0 */
};

struct queue_budget;

/* limit 0: no budget (bytes are still counted). loop gives the time. NULL when out of memory. */
struct queue_budget *queue_budget_new(uv_loop_t *loop, size_t limit);
void queue_budget_free(struct queue_budget *budget);

/* `bytes` more held by holder: 0 when they fit (larger holders may have been dropped for them),
 * -1 when holder would hold the most and they don't (nothing changed). A NULL budget takes all. */
int queue_budget_hold(struct queue_budget *budget, struct queue_holder *holder, size_t bytes);
/* Counts `bytes` more without making room (a final packet that must go out; rare). */
void queue_budget_force(struct queue_budget *budget, struct queue_holder *holder, size_t bytes);
/* `bytes` fewer (at most what holder holds): written, or dropped. */
void queue_budget_release(struct queue_budget *budget, struct queue_holder *holder, size_t bytes);

/* A shared frame of `bytes` queued by holder: counted in the budget when it is the frame's first
 * queue (`first`; room is made as for queue_budget_hold, and -1 means refused), and in the
 * holder's bytes always. The frame gives its bytes back with queue_budget_uncharge when freed;
 * the holder with queue_budget_release_shared when written or dropped. */
int queue_budget_hold_shared(struct queue_budget *budget, struct queue_holder *holder,
                             size_t bytes, int first);
void queue_budget_release_shared(struct queue_budget *budget, struct queue_holder *holder,
                                 size_t bytes);
void queue_budget_uncharge(struct queue_budget *budget, size_t bytes);

/* For the operator. */
size_t queue_budget_total(const struct queue_budget *budget);
size_t queue_budget_limit(const struct queue_budget *budget);
uint64_t queue_budget_dropped(const struct queue_budget *budget);  /* holders evicted */
uint64_t queue_budget_refused(const struct queue_budget *budget);  /* holds refused */

#endif
