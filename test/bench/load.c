/* load: a load generator for the bridge's chat namespace, a libwebsockets client speaking
 * Engine.IO v4 / Socket.IO v5 over websocket. Two modes, each printing one JSON line:
 *
 *   load throughput --port P --clients FILE [--group-size G] [--window W] [--seconds D]
 *       FILE has one "token<TAB>conversationId" line per user; each G consecutive lines are one
 *       conversation's members. Once every client is connected and the server has gone quiet
 *       (no frame for half a second: presence broadcasts at connect are not part of the run),
 *       every user sends with W messages in flight for D seconds and receives everyone else's;
 *       then the run drains until every message is acked and delivered (at most --drain S).
 *       Reports acked/s, delivered/s, send-to-receive latency, lost, duplicates, failed acks.
 *       With --interval MS each sender sends one message every MS instead (a light load).
 *   load connections --port P --clients FILE --count K [--hold S] [--pid BRIDGE_PID]
 *       K authenticated idle sockets (tokens taken in turn from FILE), held S seconds; with the
 *       bridge's pid, its RSS before and after, per socket.
 *
 * Message content is "<sender>:<n>:<send time in us>" plus padding, so a receiver knows who sent
 * what when, and can tell a duplicate (bitmaps per sender). Single-threaded, like the bridge. */
#include <jansson.h>
#include <libwebsockets.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#define LOAD_MAX_CLIENTS 20000
#define LOAD_MAX_CONNECTING 200   /* handshakes in flight at once */
#define LOAD_MAX_MESSAGE (1 << 20) /* a received websocket message larger than this is an error */
#define LOAD_SETTLE_QUIET_US 500000  /* connected and no frame for this long: start */
#define LOAD_SETTLE_MAX_US 60000000   /* start anyway after this long */
#define LOAD_CONNECT_MAX_US 120000000 /* give up when not all are in after this long */
#define LOAD_TICK_US 50000
#define LOAD_SENT_RING 256 /* more than any --window */

enum phase { PHASE_CONNECTING, PHASE_SETTLING, PHASE_RUNNING, PHASE_DRAINING, PHASE_HOLDING, PHASE_DONE };

struct outgoing {
    struct outgoing *next;
    size_t len;
    unsigned char data[]; /* LWS_PRE bytes of room, then the text */
};

struct bitmap {
    uint8_t *bits;
    size_t size; /* bytes */
};

struct client {
    int index;
    const char *token;
    const char *conversation;
    struct lws *wsi;
    int connected;   /* the Socket.IO CONNECT was accepted */
    int failed;
    struct outgoing *queue_head, *queue_tail;
    char *rx;        /* a message being reassembled */
    size_t rx_len, rx_cap;
    long next_n;     /* the next message number to send */
    int in_flight;
    int64_t next_send_us; /* with --interval: when this sender sends again */
    int64_t sent_us[LOAD_SENT_RING]; /* send time of message n, at n % ring, for ack latency */
    struct bitmap acked;
    struct bitmap *received; /* per member of the group */
};

struct load {
    struct lws_context *context;
    const char *mode;
    int port;
    int group_size, window, seconds, count, hold;
    int64_t drain_us;     /* the longest wait for the last acks and deliveries */
    int64_t interval_us;  /* 0: send again as soon as acked; else pace each sender */
    lws_sorted_usec_list_t pace;
    int bridge_pid;
    char padding[1024];
    int padding_len;
    struct client *clients;
    int client_total;
    int started, connecting, connected, failed;
    enum phase phase;
    int gave_up;
    int64_t t_begin, t_settle, t_start, t_end, t_hold_end;
    int64_t last_frame_us; /* when any client last received a frame */
    long acked, delivered, duplicates;
    long failed_acks;   /* answered with an error */
    long errors;        /* frames we could not read, deliveries of another conversation */
    long acked_total;   /* acks of the whole run, drain included */
    long unique_deliveries; /* first receipts of messages, drain included */
    double *latencies;
    size_t latency_count, latency_cap;
    double *ack_latencies;
    size_t ack_count, ack_cap;
    long rss_before;
    lws_sorted_usec_list_t tick;
};

static struct load load;

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int bitmap_set(struct bitmap *map, long n) /* returns the bit's old value */
{
    size_t byte = (size_t)n / 8;
    if (byte >= map->size) {
        size_t size = map->size ? map->size : 64;
        while (size <= byte)
            size *= 2;
        uint8_t *bits = realloc(map->bits, size);
        if (!bits)
            return 0;
        memset(bits + map->size, 0, size - map->size);
        map->bits = bits;
        map->size = size;
    }
    int old = (map->bits[byte] >> (n % 8)) & 1;
    map->bits[byte] |= (uint8_t)(1 << (n % 8));
    return old;
}

static int bitmap_get(const struct bitmap *map, long n)
{
    size_t byte = (size_t)n / 8;
    return byte < map->size && ((map->bits[byte] >> (n % 8)) & 1);
}

/* ---- sending ---- */

static void client_queue(struct client *c, const char *text, size_t len)
{
    struct outgoing *out = malloc(sizeof(*out) + LWS_PRE + len);
    if (!out)
        return;
    out->next = NULL;
    out->len = len;
    memcpy(out->data + LWS_PRE, text, len);
    if (c->queue_tail)
        c->queue_tail->next = out;
    else
        c->queue_head = out;
    c->queue_tail = out;
    lws_callback_on_writable(c->wsi);
}

static void client_send_message(struct client *c)
{
    char text[1400];
    long n = c->next_n++;
    int len = snprintf(text, sizeof(text),
                       "42%ld[\"send_message\",{\"conversationId\":\"%s\",\"content\":\"%d:%ld:%lld %.*s\","
                       "\"clientId\":\"load-%d-%ld-%lld\"}]",
                       n, c->conversation, c->index, n, (long long)now_us(), load.padding_len,
                       load.padding, c->index, n, (long long)load.t_start);
    c->in_flight++;
    c->sent_us[n % LOAD_SENT_RING] = now_us();
    client_queue(c, text, (size_t)len);
}

/* ---- receiving ---- */

static void latency_add(double **values, size_t *count, size_t *cap, double ms)
{
    if (*count == *cap) {
        size_t grown_cap = *cap ? *cap * 2 : 65536;
        double *grown = realloc(*values, grown_cap * sizeof(*grown));
        if (!grown)
            return;
        *values = grown;
        *cap = grown_cap;
    }
    (*values)[(*count)++] = ms;
}

static void on_delivery(struct client *c, json_t *message)
{
    const char *content = json_string_value(json_object_get(message, "content"));
    int sender;
    long n;
    long long sent_at;
    if (!content || sscanf(content, "%d:%ld:%lld", &sender, &n, &sent_at) != 3 || sender < 0 ||
        sender >= load.client_total || n < 0) {
        load.errors++;
        return;
    }
    if (sender == c->index)
        return; /* our own message, echoed to our socket */
    int member = sender - (c->index / load.group_size) * load.group_size;
    if (member < 0 || member >= load.group_size) {
        load.errors++; /* not of our conversation */
        return;
    }
    if (bitmap_set(&c->received[member], n)) {
        load.duplicates++;
        return;
    }
    load.unique_deliveries++;
    int64_t now = now_us();
    if (load.phase == PHASE_RUNNING)
        load.delivered++;
    latency_add(&load.latencies, &load.latency_count, &load.latency_cap,
                (double)(now - sent_at) / 1000.0);
}

static void on_ack(struct client *c, const char *text)
{
    char *end;
    long n = strtol(text, &end, 10);
    json_t *args = json_loads(end, 0, NULL);
    json_t *value = json_array_get(args, 0);
    c->in_flight--;
    /* pgchat answers {error: {...}} on failure; the yardstick {ok: false, error} */
    if (!json_is_object(value) || json_object_get(value, "error") ||
        json_is_false(json_object_get(value, "ok"))) {
        load.failed_acks++;
    } else {
        bitmap_set(&c->acked, n);
        load.acked_total++;
        if (load.phase == PHASE_RUNNING) {
            load.acked++;
            latency_add(&load.ack_latencies, &load.ack_count, &load.ack_cap,
                        (double)(now_us() - c->sent_us[n % LOAD_SENT_RING]) / 1000.0);
        }
    }
    json_decref(args);
    if (load.phase == PHASE_RUNNING && !load.interval_us)
        client_send_message(c);
}

/* With --interval, a light load: each sender sends once per interval on a fixed beat (a beat
 * that comes while --window messages are still unacked is skipped, not queued). */
static void on_pace(lws_sorted_usec_list_t *sul)
{
    int64_t now = now_us();
    if (load.phase != PHASE_RUNNING)
        return;
    for (int i = 0; i < load.client_total; i++) {
        struct client *c = &load.clients[i];
        if (c->next_send_us > now)
            continue;
        while (c->next_send_us <= now)
            c->next_send_us += load.interval_us;
        if (c->in_flight < load.window)
            client_send_message(c);
    }
    lws_sul_schedule(load.context, 0, sul, on_pace, 1000);
}

/* One whole Engine.IO message. */
static void on_message(struct client *c, const char *text, size_t len)
{
    if (len >= 1 && text[0] == '2') { /* ping */
        client_queue(c, "3", 1);
        return;
    }
    if (len >= 1 && text[0] == '0') { /* open: join the namespace with the token */
        char connect[9000];
        int n = snprintf(connect, sizeof(connect), "40{\"token\":\"%s\"}", c->token);
        client_queue(c, connect, (size_t)n);
        return;
    }
    if (len < 2 || text[0] != '4')
        return;
    switch (text[1]) {
    case '0':
        c->connected = 1;
        load.connected++;
        load.connecting--;
        break;
    case '4':
        fprintf(stderr, "load: connect refused: %.*s\n", (int)len, text);
        c->failed = 1;
        load.failed++;
        load.connecting--;
        break;
    case '3':
        on_ack(c, text + 2);
        break;
    case '2': {
        json_t *args = json_loadb(text + 2, len - 2, 0, NULL);
        const char *event = json_string_value(json_array_get(args, 0));
        if (event && strcmp(event, "message_received") == 0)
            on_delivery(c, json_array_get(args, 1));
        json_decref(args);
        break;
    }
    default:
        break;
    }
}

static int on_lws(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                  size_t len)
{
    (void)user;
    struct client *c = lws_get_opaque_user_data(wsi);
    if (reason == LWS_CALLBACK_CLIENT_RECEIVE)
        load.last_frame_us = now_us();
    switch (reason) {
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        fprintf(stderr, "load: connection error: %s\n", in ? (const char *)in : "?");
        if (c && !c->failed) {
            c->failed = 1;
            load.failed++;
            load.connecting--;
        }
        if (c)
            c->wsi = NULL;
        break;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        if (c->rx_len + len > LOAD_MAX_MESSAGE)
            return -1;
        if (c->rx_len + len + 1 > c->rx_cap) {
            size_t cap = (c->rx_len + len + 1) * 2;
            char *grown = realloc(c->rx, cap);
            if (!grown)
                return -1;
            c->rx = grown;
            c->rx_cap = cap;
        }
        memcpy(c->rx + c->rx_len, in, len);
        c->rx_len += len;
        if (lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi)) {
            c->rx[c->rx_len] = '\0';
            on_message(c, c->rx, c->rx_len);
            c->rx_len = 0;
        }
        break;
    case LWS_CALLBACK_CLIENT_WRITEABLE: {
        struct outgoing *out = c->queue_head;
        if (!out)
            break;
        if (lws_write(wsi, out->data + LWS_PRE, out->len, LWS_WRITE_TEXT) < (int)out->len)
            return -1;
        c->queue_head = out->next;
        if (!c->queue_head)
            c->queue_tail = NULL;
        free(out);
        if (c->queue_head)
            lws_callback_on_writable(wsi);
        break;
    }
    case LWS_CALLBACK_CLIENT_CLOSED:
        if (c) {
            if (load.phase != PHASE_DONE)
                fprintf(stderr, "load: client %d closed by the server\n", c->index);
            c->wsi = NULL;
            if (c->connected)
                load.connected--;
            else if (!c->failed) { /* closed before the namespace answered */
                c->failed = 1;
                load.failed++;
                load.connecting--;
            }
            c->connected = 0;
        }
        break;
    default:
        break;
    }
    return 0;
}

static const struct lws_protocols load_protocols[] = {
    {"load", on_lws, 0, 4096, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void client_start(struct client *c)
{
    struct lws_client_connect_info info;
    memset(&info, 0, sizeof(info));
    info.context = load.context;
    info.address = "127.0.0.1";
    info.port = load.port;
    info.path = "/socket.io/?EIO=4&transport=websocket";
    info.host = "127.0.0.1";
    info.origin = "127.0.0.1";
    info.local_protocol_name = "load";
    info.opaque_user_data = c;
    info.pwsi = &c->wsi;
    load.connecting++;
    if (!lws_client_connect_via_info(&info) && !c->failed) {
        c->failed = 1;
        load.failed++;
        load.connecting--;
    }
}

/* ---- the run ---- */

static long bridge_rss_kib(void)
{
    char path[64], line[256];
    long kib = -1;
    snprintf(path, sizeof(path), "/proc/%d/status", load.bridge_pid);
    FILE *f = load.bridge_pid > 0 ? fopen(path, "r") : NULL;
    while (f && fgets(line, sizeof(line), f))
        if (sscanf(line, "VmRSS: %ld kB", &kib) == 1)
            break;
    if (f)
        fclose(f);
    return kib;
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double percentile(const double *sorted, size_t count, double p)
{
    if (!count)
        return 0;
    return sorted[(size_t)(p * (double)(count - 1) + 0.5)];
}

/* Every acked message must have reached every other member of its conversation once. */
static long count_lost(void)
{
    long lost = 0;
    for (int s = 0; s < load.client_total; s++) {
        struct client *sender = &load.clients[s];
        int first = (s / load.group_size) * load.group_size;
        for (long n = 0; n < sender->next_n; n++) {
            if (!bitmap_get(&sender->acked, n))
                continue;
            for (int r = first; r < first + load.group_size && r < load.client_total; r++)
                if (r != s && !bitmap_get(&load.clients[r].received[s - first], n))
                    lost++;
        }
    }
    return lost;
}

/* Messages sent and never answered, by the end of the drain. */
static long count_unacked(void)
{
    long unacked = 0;
    for (int i = 0; i < load.client_total; i++)
        unacked += load.clients[i].in_flight;
    return unacked;
}

/* Every message answered, and every acked one received by each other member (or more: a
 * message whose ack failed may still have been delivered). */
static int all_settled(void)
{
    return count_unacked() == 0 &&
           load.unique_deliveries >= load.acked_total * (long)(load.group_size - 1);
}

static void report_throughput(int64_t now)
{
    double seconds = (double)(load.t_end - load.t_start) / 1e6;
    qsort(load.latencies, load.latency_count, sizeof(double), compare_doubles);
    qsort(load.ack_latencies, load.ack_count, sizeof(double), compare_doubles);
    printf("{\"mode\":\"throughput\",\"users\":%d,\"groupSize\":%d,\"window\":%d,"
           "\"intervalMs\":%lld,\"seconds\":%.1f,"
           "\"acked\":%ld,\"ackedPerSec\":%.0f,\"delivered\":%ld,\"deliveredPerSec\":%.0f,"
           "\"latencyMs\":{\"p50\":%.2f,\"p95\":%.2f,\"p99\":%.2f,\"max\":%.2f},"
           "\"ackLatencyMs\":{\"p50\":%.2f,\"p99\":%.2f},"
           "\"lost\":%ld,\"duplicates\":%ld,\"failedAcks\":%ld,\"unacked\":%ld,\"errors\":%ld,"
           "\"settleSeconds\":%.1f,\"drainSeconds\":%.1f}\n",
           load.client_total, load.group_size, load.window, (long long)(load.interval_us / 1000),
           seconds, load.acked,
           (double)load.acked / seconds, load.delivered, (double)load.delivered / seconds,
           percentile(load.latencies, load.latency_count, 0.50),
           percentile(load.latencies, load.latency_count, 0.95),
           percentile(load.latencies, load.latency_count, 0.99),
           load.latency_count ? load.latencies[load.latency_count - 1] : 0.0,
           percentile(load.ack_latencies, load.ack_count, 0.50),
           percentile(load.ack_latencies, load.ack_count, 0.99), count_lost(),
           load.duplicates, load.failed_acks, count_unacked(), load.errors,
           (double)(load.t_start - load.t_settle) / 1e6, (double)(now - load.t_end) / 1e6);
}

static void report_connections(void)
{
    long rss = bridge_rss_kib();
    double per = load.connected && rss > 0 && load.rss_before > 0
                     ? (double)(rss - load.rss_before) / load.connected
                     : 0;
    printf("{\"mode\":\"connections\",\"asked\":%d,\"connected\":%d,\"failed\":%d,"
           "\"bridgeRssBeforeKiB\":%ld,\"bridgeRssAfterKiB\":%ld,\"kibPerSocket\":%.2f}\n",
           load.count, load.connected, load.failed, load.rss_before, rss, per);
}

/* A phase that lasts far longer than it should says so on stderr, every 10 s. */
static void watch_phase(int64_t now)
{
    static enum phase last = PHASE_DONE;
    static int64_t since, told;
    static const char *names[] = {"connecting", "settling", "running", "draining", "holding", "done"};
    if (load.phase != last) {
        last = load.phase;
        since = told = now;
        return;
    }
    if (now - told < 10000000)
        return;
    told = now;
    fprintf(stderr,
            "load: %s for %.0f s: %d started, %d connecting, %d connected, %d failed, "
            "%ld unanswered, %ld of %ld deliveries\n",
            names[load.phase], (double)(now - since) / 1e6, load.started, load.connecting,
            load.connected, load.failed, count_unacked(), load.unique_deliveries,
            load.acked_total * (long)(load.group_size - 1));
}

static void on_tick(lws_sorted_usec_list_t *sul)
{
    int64_t now = now_us();
    watch_phase(now);
    while (load.phase == PHASE_CONNECTING && load.started < load.client_total &&
           load.connecting < LOAD_MAX_CONNECTING)
        client_start(&load.clients[load.started++]);
    int all_in = load.started == load.client_total && load.connecting == 0;
    if (load.phase == PHASE_CONNECTING && !all_in && now - load.t_begin > LOAD_CONNECT_MAX_US) {
        fprintf(stderr, "load: %d of %d clients still connecting after %d s; giving up\n",
                load.client_total - load.connected - load.failed, load.client_total,
                LOAD_CONNECT_MAX_US / 1000000);
        load.phase = PHASE_DONE;
        load.gave_up = 1;
        return;
    }
    if (load.phase == PHASE_CONNECTING && all_in) {
        if (load.failed && strcmp(load.mode, "throughput") == 0) {
            fprintf(stderr, "load: %d clients could not connect\n", load.failed);
            load.phase = PHASE_DONE;
            load.gave_up = 1;
        } else if (strcmp(load.mode, "throughput") == 0) {
            load.phase = PHASE_SETTLING;
            load.t_settle = now;
        } else {
            load.phase = PHASE_HOLDING;
            load.t_hold_end = now + (int64_t)load.hold * 1000000;
        }
    } else if (load.phase == PHASE_SETTLING) {
        if (now - load.last_frame_us >= LOAD_SETTLE_QUIET_US ||
            now - load.t_settle >= LOAD_SETTLE_MAX_US) {
            load.phase = PHASE_RUNNING;
            load.t_start = now;
            if (load.interval_us) {
                /* senders spread over one interval, so the load is even, not in bursts */
                for (int i = 0; i < load.client_total; i++)
                    load.clients[i].next_send_us = now + load.interval_us * i / load.client_total;
                lws_sul_schedule(load.context, 0, &load.pace, on_pace, 1000);
            } else {
                for (int i = 0; i < load.client_total; i++)
                    for (int w = 0; w < load.window; w++)
                        client_send_message(&load.clients[i]);
            }
        }
    } else if (load.phase == PHASE_RUNNING && now - load.t_start >= (int64_t)load.seconds * 1000000) {
        load.phase = PHASE_DRAINING;
        load.t_end = now;
    } else if (load.phase == PHASE_DRAINING && (all_settled() || now - load.t_end >= load.drain_us)) {
        report_throughput(now);
        load.phase = PHASE_DONE;
    } else if (load.phase == PHASE_HOLDING && now >= load.t_hold_end) {
        report_connections();
        load.phase = PHASE_DONE;
    }
    if (load.phase != PHASE_DONE)
        lws_sul_schedule(load.context, 0, sul, on_tick, LOAD_TICK_US);
}

static int read_clients(const char *path, int wanted)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return -1;
    char line[10000];
    char **tokens = NULL, **conversations = NULL;
    int lines = 0;
    while (fgets(line, sizeof(line), f) && lines < LOAD_MAX_CLIENTS) {
        char *tab = strchr(line, '\t');
        if (!tab)
            continue;
        *tab = '\0';
        tab[1 + strcspn(tab + 1, "\r\n")] = '\0';
        tokens = realloc(tokens, (size_t)(lines + 1) * sizeof(*tokens));
        conversations = realloc(conversations, (size_t)(lines + 1) * sizeof(*conversations));
        tokens[lines] = strdup(line);
        conversations[lines] = strdup(tab + 1);
        lines++;
    }
    fclose(f);
    if (lines == 0)
        return -1;
    load.client_total = wanted > 0 ? wanted : lines;
    load.clients = calloc((size_t)load.client_total, sizeof(*load.clients));
    for (int i = 0; i < load.client_total; i++) {
        struct client *c = &load.clients[i];
        c->index = i;
        c->token = tokens[i % lines];
        c->conversation = conversations[i % lines];
        c->received = calloc((size_t)load.group_size, sizeof(*c->received));
    }
    return 0; /* the strings live to the end of the process */
}

static const char *option(int argc, char **argv, const char *name, const char *fallback)
{
    for (int i = 2; i + 1 < argc; i++)
        if (strcmp(argv[i], name) == 0)
            return argv[i + 1];
    return fallback;
}

int main(int argc, char **argv)
{
    if (argc < 2 || (strcmp(argv[1], "throughput") && strcmp(argv[1], "connections"))) {
        fprintf(stderr, "usage: load throughput|connections --port P --clients FILE [options]\n"
                        "  throughput: --group-size G (2) --window W (4) --seconds D (10) "
                        "--size BYTES (64) [--users U] [--interval MS: each sender paced] "
                        "--drain S (10)\n"
                        "  connections: --count K --hold S (5) --pid BRIDGE_PID\n");
        return 2;
    }
    load.mode = argv[1];
    load.port = atoi(option(argc, argv, "--port", "5000"));
    load.group_size = atoi(option(argc, argv, "--group-size", "2"));
    load.window = atoi(option(argc, argv, "--window", "4"));
    load.interval_us = (int64_t)atoi(option(argc, argv, "--interval", "0")) * 1000;
    load.seconds = atoi(option(argc, argv, "--seconds", "10"));
    load.count = atoi(option(argc, argv, "--count", "0"));
    load.hold = atoi(option(argc, argv, "--hold", "5"));
    load.drain_us = (int64_t)atoi(option(argc, argv, "--drain", "10")) * 1000000;
    load.bridge_pid = atoi(option(argc, argv, "--pid", "0"));
    int size = atoi(option(argc, argv, "--size", "64"));
    int users = atoi(option(argc, argv, "--users", "0"));
    const char *file = option(argc, argv, "--clients", NULL);
    load.padding_len = size < 0 ? 0 : size > 1000 ? 1000 : size;
    memset(load.padding, 'x', (size_t)load.padding_len);
    int wanted = strcmp(load.mode, "connections") == 0 ? load.count : users;
    if (!file || load.port <= 0 || load.group_size < 1 || load.window < 1 || load.seconds < 1 ||
        wanted > LOAD_MAX_CLIENTS || (strcmp(load.mode, "connections") == 0 && load.count < 1) ||
        read_clients(file, wanted) != 0) {
        fprintf(stderr, "load: bad arguments or unreadable --clients file\n");
        return 2;
    }
    struct rlimit limit;
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0) { /* every socket is a descriptor */
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
    }
    signal(SIGPIPE, SIG_IGN);
    lws_set_log_level(LLL_ERR, NULL);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof(info));
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = load_protocols;
    load.context = lws_create_context(&info);
    if (!load.context)
        return 1;
    load.rss_before = bridge_rss_kib();
    load.t_begin = now_us();
    lws_sul_schedule(load.context, 0, &load.tick, on_tick, 1);
    while (load.phase != PHASE_DONE)
        if (lws_service(load.context, 0) < 0)
            break;
    lws_context_destroy(load.context);
    return load.phase == PHASE_DONE && !load.gave_up ? 0 : 1;
}
