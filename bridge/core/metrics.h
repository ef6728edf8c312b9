/* metrics: what the bridge is doing, in the Prometheus text format at GET /metrics. Counters and
 * histograms are bumped where things happen (one call each, no allocation); gauges are read from
 * their modules when scraped. One process, one loop: plain globals, no locks. metrics_route.c
 * serves the text (docs/operations.md says what to alert on). */
#ifndef BRIDGE_METRICS_H
#define BRIDGE_METRICS_H

#include <stddef.h>
#include <stdint.h>


enum metrics_counter {
    METRICS_EVENTS_IN,           /* client events on the chat namespace */
    METRICS_REFUSED_RATE,        /* events refused: the socket's rate */
    METRICS_REFUSED_CREDENTIALS, /* logins, registrations, password changes answered 429 */
    METRICS_REFUSED_CAP,         /* CONNECTs refused: the user holds too many sockets */
    METRICS_REFUSED_CALLS,       /* events refused: the socket has too many calls waiting */
    METRICS_SESSIONS_ENDED,      /* sockets closed because their session ended */
    METRICS_SESSIONS_EXPIRED,    /* sockets closed because their token expired */
    METRICS_DB_ERRORS,           /* calls the database refused or could not answer */
    METRICS_COUNTER_COUNT
};

void metrics_count(enum metrics_counter counter, uint64_t n);
/* One database call, from queued to answered. */
void metrics_db_call(uint64_t nanoseconds);
/* One batch of sends, by how many it held. */
void metrics_send_batch(size_t sends);

/* A value read from its module when scraped: a gauge, or a counter the module keeps itself.
 * name and help must live for the process. 0, or -1 when the table is full. */
typedef double (*metrics_read_fn)(const void *data);
int metrics_gauge(const char *name, const char *help, metrics_read_fn read, const void *data);
int metrics_counter_read(const char *name, const char *help, metrics_read_fn read,
                         const void *data);
/* One series of a counter family with labels (e.g. "reason=\"budget\""); a family's series are
 * registered one after the other, so its HELP and TYPE are written once. */
int metrics_counter_read_labeled(const char *name, const char *labels, const char *help,
                                 metrics_read_fn read, const void *data);
/* Forgets every value read from a module (the modules are going away). */
void metrics_forget_gauges(void);

/* The whole text, malloc'd (*length set); NULL when out of memory. */
char *metrics_text(size_t *length);

#endif
