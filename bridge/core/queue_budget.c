/* queue_budget (see queue_budget.h). Holders with bytes sit on one list; the largest is found by
 * a scan, which runs only when the budget is full (an attack, or a budget set too small). */
#include "core/queue_budget.h"

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

/* The holder's bytes, and the budget's (`counted`: the bytes take memory of their own). */
static void add(struct queue_budget *budget, struct queue_holder *holder, size_t bytes, int counted)
{
    if (bytes == 0)
        return;
    if (holder->bytes == 0) {
        holder_link(budget, holder);
        holder->since = uv_now(budget->loop);
    }
    holder->bytes += bytes;
    if (counted)
        budget->total += bytes;
}

static void take(struct queue_budget *budget, struct queue_holder *holder, size_t bytes, int counted)
{
    if (holder->bytes == 0)
        return;
    if (bytes > holder->bytes)
        bytes = holder->bytes;
    holder->bytes -= bytes;
    if (counted)
        budget->total -= bytes < budget->total ? bytes : budget->total;
    if (holder->bytes == 0)
        holder_unlink(budget, holder);
}

void queue_budget_force(struct queue_budget *budget, struct queue_holder *holder, size_t bytes)
{
    if (budget)
        add(budget, holder, bytes, 1);
}

void queue_budget_release(struct queue_budget *budget, struct queue_holder *holder, size_t bytes)
{
    if (budget)
        take(budget, holder, bytes, 1);
}

void queue_budget_release_shared(struct queue_budget *budget, struct queue_holder *holder,
                                 size_t bytes)
{
    if (budget)
        take(budget, holder, bytes, 0);
}

void queue_budget_uncharge(struct queue_budget *budget, size_t bytes)
{
    if (budget)
        budget->total -= bytes < budget->total ? bytes : budget->total;
}

/* Since when the holder has held bytes without a break: now for one that holds none. */
static uint64_t held_since(const struct queue_budget *budget, const struct queue_holder *holder)
{
    return holder->bytes ? holder->since : uv_now(budget->loop);
}

/* Whether a is dropped before b, holding a_bytes and b_bytes: the one that has held bytes the
 * longest without a break (the slowest reader) first, then the larger. A reader that keeps up
 * empties its queue every loop turn or so, however much it is given at once. */
static int drops_before(const struct queue_budget *budget, const struct queue_holder *a,
                        size_t a_bytes, const struct queue_holder *b, size_t b_bytes)
{
    uint64_t a_since = held_since(budget, a), b_since = held_since(budget, b);
    if (a_since != b_since)
        return a_since < b_since;
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

/* Drops holders until `bytes` more fit: 0, or -1 when holder would be dropped first. */
static int make_room(struct queue_budget *budget, struct queue_holder *holder, size_t bytes)
{
    while (budget->limit && budget->total + bytes > budget->limit) {
        struct queue_holder *victim = first_to_drop(budget, holder);
        if (!victim || !drops_before(budget, victim, victim->bytes, holder, holder->bytes + bytes)) {
            budget->refused++;
            return -1;
        }
        budget->dropped++;
        victim->evict(victim);
        if (victim->bytes) /* an evict that kept bytes must not loop forever */
            take(budget, victim, victim->bytes, 0);
    }
    return 0;
}

int queue_budget_hold(struct queue_budget *budget, struct queue_holder *holder, size_t bytes)
{
    if (!budget)
        return 0;
    if (make_room(budget, holder, bytes))
        return -1;
    add(budget, holder, bytes, 1);
    return 0;
}

int queue_budget_hold_shared(struct queue_budget *budget, struct queue_holder *holder,
                             size_t bytes, int first)
{
    if (!budget)
        return 0;
    if (first && make_room(budget, holder, bytes))
        return -1;
    add(budget, holder, bytes, 0);
    if (first)
        budget->total += bytes;
    return 0;
}

size_t queue_budget_total(const struct queue_budget *budget) { return budget ? budget->total : 0; }
size_t queue_budget_limit(const struct queue_budget *budget) { return budget ? budget->limit : 0; }
uint64_t queue_budget_dropped(const struct queue_budget *budget) { return budget ? budget->dropped : 0; }
uint64_t queue_budget_refused(const struct queue_budget *budget) { return budget ? budget->refused : 0; }
