/* queue_budget (see queue_budget.h). Holders with bytes sit on one list; the largest is found by
 * a scan, which runs only when the budget is full (an attack, or a budget set too small). */
#include "queue_budget.h"

#include <stdlib.h>

struct queue_budget {
    uv_loop_t *loop;
    size_t limit, total;
    struct queue_holder *holders;
    uint64_t dropped, refused;
};

struct queue_budget *queue_budget_new(uv_loop_t *loop, size_t limit)
{
    struct queue_budget *budget = calloc(1, sizeof *budget);
    if (budget) {
        budget->loop = loop;
        budget->limit = limit;
    }
    return budget;
}

void queue_budget_free(struct queue_budget *budget) { free(budget); }

static void holder_link(struct queue_budget *budget, struct queue_holder *holder)
{
    holder->prev = NULL;
    holder->next = budget->holders;
    if (budget->holders)
        budget->holders->prev = holder;
    budget->holders = holder;
}

static void holder_unlink(struct queue_budget *budget, struct queue_holder *holder)
{
    if (holder->prev)
        holder->prev->next = holder->next;
    else
        budget->holders = holder->next;
    if (holder->next)
        holder->next->prev = holder->prev;
    holder->prev = holder->next = NULL;
}

void queue_budget_force(struct queue_budget *budget, struct queue_holder *holder, size_t bytes)
{
    if (!budget || bytes == 0)
        return;
    if (holder->bytes == 0) {
        holder_link(budget, holder);
        holder->progress = uv_now(budget->loop);
    }
    holder->bytes += bytes;
    budget->total += bytes;
}

void queue_budget_release(struct queue_budget *budget, struct queue_holder *holder, size_t bytes)
{
    if (!budget || holder->bytes == 0)
        return;
    if (bytes > holder->bytes)
        bytes = holder->bytes;
    holder->bytes -= bytes;
    budget->total -= bytes;
    holder->progress = uv_now(budget->loop);
    if (holder->bytes == 0)
        holder_unlink(budget, holder);
}

/* A holder whose bytes have not moved for a while: its reader has stopped. */
static int stalled(const struct queue_budget *budget, const struct queue_holder *holder)
{
    return holder->bytes > 0 && uv_now(budget->loop) - holder->progress >= QUEUE_BUDGET_STALL_MS;
}

/* Whether a is dropped before b, holding a_bytes and b_bytes: stalled first, then the larger. */
static int drops_before(const struct queue_budget *budget, const struct queue_holder *a,
                        size_t a_bytes, const struct queue_holder *b, size_t b_bytes)
{
    int a_stalled = stalled(budget, a), b_stalled = stalled(budget, b);
    if (a_stalled != b_stalled)
        return a_stalled;
    return a_bytes > b_bytes;
}

/* The next holder to drop, other than `except`. */
static struct queue_holder *first_to_drop(const struct queue_budget *budget,
                                          const struct queue_holder *except)
{
    struct queue_holder *best = NULL;
    for (struct queue_holder *h = budget->holders; h; h = h->next)
        if (h != except && (!best || drops_before(budget, h, h->bytes, best, best->bytes)))
            best = h;
    return best;
}

int queue_budget_hold(struct queue_budget *budget, struct queue_holder *holder, size_t bytes)
{
    if (!budget)
        return 0;
    while (budget->limit && budget->total + bytes > budget->limit) {
        struct queue_holder *victim = first_to_drop(budget, holder);
        if (!victim || !drops_before(budget, victim, victim->bytes, holder, holder->bytes + bytes)) {
            budget->refused++;
            return -1;
        }
        budget->dropped++;
        victim->evict(victim);
        if (victim->bytes) /* an evict that kept bytes must not loop forever */
            queue_budget_release(budget, victim, victim->bytes);
    }
    queue_budget_force(budget, holder, bytes);
    return 0;
}

size_t queue_budget_total(const struct queue_budget *budget) { return budget ? budget->total : 0; }
size_t queue_budget_limit(const struct queue_budget *budget) { return budget ? budget->limit : 0; }
uint64_t queue_budget_dropped(const struct queue_budget *budget) { return budget ? budget->dropped : 0; }
uint64_t queue_budget_refused(const struct queue_budget *budget) { return budget ? budget->refused : 0; }
