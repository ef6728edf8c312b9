/* metrics (see metrics.h). */
#include "core/metrics.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define METRICS_MAX_GAUGES 32

static const struct {
    const char *name;
    const char *help;
} counter_names[METRICS_COUNTER_COUNT] = {
    [METRICS_EVENTS_IN] = {"pgchat_socket_events_received_total", "Client events on the chat namespace."},
    [METRICS_REFUSED_RATE] = {"pgchat_refused_socket_rate_total", "Events refused because the socket sent too many (rate_limited)."},
    [METRICS_REFUSED_CREDENTIALS] = {"pgchat_refused_credentials_total", "Logins, registrations and password changes answered 429."},
    [METRICS_REFUSED_CAP] = {"pgchat_refused_user_sockets_total", "CONNECTs refused because the user held too many sockets on this bridge."},
    [METRICS_REFUSED_CALLS] = {"pgchat_refused_socket_calls_total", "Events refused because their socket had too many calls waiting (rate_limited)."},
    [METRICS_SESSIONS_ENDED] = {"pgchat_sockets_session_ended_total", "Sockets closed because their session ended (logout, password change, deleted user)."},
    [METRICS_SESSIONS_EXPIRED] = {"pgchat_sockets_token_expired_total", "Sockets closed because their token expired."},
    [METRICS_DB_ERRORS] = {"pgchat_db_errors_total", "Database calls refused or unanswered."},
};

/* Bucket bounds: database calls in seconds, batches in sends. */
static const double db_bounds[] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5};
static const double batch_bounds[] = {1, 2, 5, 10, 20, 50, 100, 200, 500};
#define DB_BUCKETS (sizeof(db_bounds) / sizeof(db_bounds[0]))
#define BATCH_BUCKETS (sizeof(batch_bounds) / sizeof(batch_bounds[0]))

struct histogram {
    uint64_t count;
    double sum;
    uint64_t buckets[16]; /* cumulative when written out, per bucket here */
};

static uint64_t counters[METRICS_COUNTER_COUNT];
static struct histogram db_calls, send_batches;
static struct {
    const char *name, *labels, *help, *type;
    metrics_read_fn read;
    const void *data;
} gauges[METRICS_MAX_GAUGES];
static size_t gauge_count;

void metrics_count(enum metrics_counter counter, uint64_t n) { counters[counter] += n; }

static void observe(struct histogram *h, const double *bounds, size_t n, double value)
{
    h->count++;
    h->sum += value;
    size_t i = 0;
    while (i < n && value > bounds[i])
        i++;
    h->buckets[i]++; /* i == n: only +Inf */
}

void metrics_db_call(uint64_t nanoseconds)
{
    observe(&db_calls, db_bounds, DB_BUCKETS, (double)nanoseconds / 1e9);
}

void metrics_send_batch(size_t sends)
{
    observe(&send_batches, batch_bounds, BATCH_BUCKETS, (double)sends);
}

static int add_read(const char *type, const char *name, const char *help, metrics_read_fn read,
                    const void *data)
{
    if (gauge_count == METRICS_MAX_GAUGES)
        return -1;
    gauges[gauge_count].labels = NULL;
    gauges[gauge_count].name = name;
    gauges[gauge_count].help = help;
    gauges[gauge_count].type = type;
    gauges[gauge_count].read = read;
    gauges[gauge_count].data = data;
    gauge_count++;
    return 0;
}

int metrics_gauge(const char *name, const char *help, metrics_read_fn read, const void *data)
{
    return add_read("gauge", name, help, read, data);
}

int metrics_counter_read(const char *name, const char *help, metrics_read_fn read,
                         const void *data)
{
    return add_read("counter", name, help, read, data);
}

int metrics_counter_read_labeled(const char *name, const char *labels, const char *help,
                                 metrics_read_fn read, const void *data)
{
    if (add_read("counter", name, help, read, data))
        return -1;
    gauges[gauge_count - 1].labels = labels;
    return 0;
}

void metrics_forget_gauges(void) { gauge_count = 0; }

/* A growing buffer; failed is set once an append could not grow it. */
struct text {
    char *data;
    size_t length, size;
    int failed;
};

static void put(struct text *t, const char *format, ...) __attribute__((format(printf, 2, 3)));
static void put(struct text *t, const char *format, ...)
{
    for (int attempt = 0; attempt < 2 && !t->failed; attempt++) {
        va_list args;
        va_start(args, format);
        int n = vsnprintf(t->data + t->length, t->size - t->length, format, args);
        va_end(args);
        if (n < 0) {
            t->failed = 1;
        } else if ((size_t)n < t->size - t->length) {
            t->length += (size_t)n;
            return;
        } else {
            size_t size = (t->size + (size_t)n + 1) * 2;
            char *bigger = realloc(t->data, size);
            if (!bigger)
                t->failed = 1;
            else
                t->data = bigger, t->size = size;
        }
    }
}

static void put_histogram(struct text *t, const char *name, const char *help,
                          const struct histogram *h, const double *bounds, size_t n)
{
    put(t, "# HELP %s %s\n# TYPE %s histogram\n", name, help, name);
    uint64_t cumulative = 0;
    for (size_t i = 0; i < n; i++) {
        cumulative += h->buckets[i];
        put(t, "%s_bucket{le=\"%g\"} %llu\n", name, bounds[i], (unsigned long long)cumulative);
    }
    put(t, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.9g\n%s_count %llu\n", name,
        (unsigned long long)h->count, name, h->sum, name, (unsigned long long)h->count);
}

char *metrics_text(size_t *length)
{
    struct text t = {malloc(4096), 0, 4096, 0};
    if (!t.data)
        return NULL;
    t.data[0] = '\0';
    for (int i = 0; i < METRICS_COUNTER_COUNT; i++)
        put(&t, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", counter_names[i].name,
            counter_names[i].help, counter_names[i].name, counter_names[i].name,
            (unsigned long long)counters[i]);
    for (size_t i = 0; i < gauge_count; i++) {
        if (i == 0 || strcmp(gauges[i].name, gauges[i - 1].name) != 0)
            put(&t, "# HELP %s %s\n# TYPE %s %s\n", gauges[i].name, gauges[i].help,
                gauges[i].name, gauges[i].type);
        if (gauges[i].labels)
            put(&t, "%s{%s} %.17g\n", gauges[i].name, gauges[i].labels,
                gauges[i].read(gauges[i].data));
        else
            put(&t, "%s %.17g\n", gauges[i].name, gauges[i].read(gauges[i].data));
    }
    put_histogram(&t, "pgchat_db_call_seconds", "Database calls, from queued to answered.",
                  &db_calls, db_bounds, DB_BUCKETS);
    put_histogram(&t, "pgchat_send_batch_sends", "Batches of sends, by the sends they held.",
                  &send_batches, batch_bounds, BATCH_BUCKETS);
    if (t.failed) {
        free(t.data);
        return NULL;
    }
    *length = t.length;
    return t.data;
}

