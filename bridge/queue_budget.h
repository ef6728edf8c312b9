/* queue_budget: the bytes the process holds for clients that have not read them yet (websocket
 * queues, polling buffers, HTTP answers being written), against one budget, so that memory is
 * bounded by configuration whatever readers do. Each socket's own bound stays; this one is for
 * the sum. When new bytes would pass the budget, holders are dropped until they fit: first those
 * whose reader has stalled (nothing written for QUEUE_BUDGET_STALL_MS), largest first, then the
 * largest; when the one asking comes first in that order, it is refused instead. A frame shared
 * by many queues counts once for each (the bound errs high). Single-threaded, like the loop. */
#ifndef BRIDGE_QUEUE_BUDGET_H
#define BRIDGE_QUEUE_BUDGET_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define QUEUE_BUDGET_STALL_MS 1000

/* Embedded in whatever holds bytes (zeroed to start). `evict` drops the holder: it must release
 * every byte it holds before it returns (queue_budget_release), and end its client later, never
 * from inside the call (the loop may be in the middle of a send to another socket). */
struct queue_holder {
    size_t bytes;
    uint64_t progress;                /* loop time its bytes last moved (came or were written) */
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

/* For the operator. */
size_t queue_budget_total(const struct queue_budget *budget);
size_t queue_budget_limit(const struct queue_budget *budget);
uint64_t queue_budget_dropped(const struct queue_budget *budget);  /* holders evicted */
uint64_t queue_budget_refused(const struct queue_budget *budget);  /* holds refused */

#endif
