/* Configuration of the bridge: defaults, then PGCHAT_* environment variables, then command-line
 * flags, each overriding the one before. Every value is checked once here, so the rest of the
 * bridge can trust it. */
#ifndef BRIDGE_CONFIG_H
#define BRIDGE_CONFIG_H

#include <stddef.h>

#define CONFIG_MAX_ORIGINS 16

struct config {
    int port;                  /* HTTP port, PGCHAT_PORT, default 5000 */
    char *listen;              /* interface to bind, PGCHAT_LISTEN; NULL: all */
    char *database_url;        /* libpq conninfo or URL, PGCHAT_DATABASE_URL or built from parts */
    char *redis_url;           /* redis://host:port, PGCHAT_REDIS_URL; NULL: no Redis */
    char *web_root;            /* the web build, PGCHAT_WEB_ROOT, default web/dist */
    char *origins[CONFIG_MAX_ORIGINS]; /* CORS origins, PGCHAT_CORS_ORIGINS, comma-separated */
    int origin_count;
    int pool_size;             /* connections for ordinary calls, PGCHAT_DB_POOL_SIZE, default 4 */
    int slow_pool_size;        /* connections for register and login, PGCHAT_DB_SLOW_POOL_SIZE, 2 */
    size_t max_body;           /* request body limit in bytes, PGCHAT_MAX_BODY, default 1 MiB */
    int drain_seconds;         /* SIGTERM waits this long for requests in flight, default 10 */
    int keepalive_seconds;     /* idle keep-alive HTTP connections close, PGCHAT_KEEPALIVE_SECONDS, 30 */
    int ping_interval_ms;      /* Engine.IO pingInterval, PGCHAT_PING_INTERVAL_MS, default 25000 */
    int ping_timeout_ms;       /* Engine.IO pingTimeout, PGCHAT_PING_TIMEOUT_MS, default 20000 */
    int send_batches;          /* send batches in flight at once, PGCHAT_SEND_BATCHES, default 2 */
    int socket_event_rate;     /* events a socket may send a second, PGCHAT_SOCKET_EVENT_RATE, 100 */
    int max_user_sockets;      /* sockets a user may hold here, PGCHAT_MAX_USER_SOCKETS, 16 */
    int max_socket_calls;      /* a socket's events waiting for the database, PGCHAT_SOCKET_MAX_CALLS, 32 */
    /* Memory bounded by configuration (docs/security.md); 0 turns a cap off. */
    int max_connections;       /* connections open, PGCHAT_MAX_CONNECTIONS, 10000 */
    int max_address_connections; /* from one peer address, PGCHAT_MAX_ADDRESS_CONNECTIONS, 256
                                  * (not counted behind a trusted proxy) */
    int max_sessions;          /* Engine.IO sessions, PGCHAT_MAX_SESSIONS, 50000 */
    int max_address_sessions;  /* of one client address, PGCHAT_MAX_ADDRESS_SESSIONS, 128 */
    size_t queue_budget;       /* bytes waiting for readers, all sockets, PGCHAT_QUEUE_BUDGET, 128 MiB */
    int connect_timeout_ms;    /* a session must CONNECT by then, PGCHAT_CONNECT_TIMEOUT_MS, 10000 */
    size_t pre_connect_bytes;  /* the largest message before CONNECT, PGCHAT_PRE_CONNECT_BYTES, 64 KiB */
    int limit_window_s;        /* the window of the limits below, PGCHAT_LIMIT_WINDOW_S, 300 */
    int login_address_limit;   /* login attempts per address, PGCHAT_LOGIN_ADDRESS_LIMIT, 30 */
    int login_name_limit;   /* login attempts per login name, PGCHAT_LOGIN_NAME_LIMIT, 10 */
    int register_address_limit; /* registrations per address, PGCHAT_REGISTER_ADDRESS_LIMIT, 10 */
    char *metrics_token;       /* GET /metrics wants it as a bearer token, PGCHAT_METRICS_TOKEN;
                                * unset: loopback clients only */
    int trust_proxy;           /* the client's address is X-Forwarded-For's last, PGCHAT_TRUST_PROXY */
};

/* Fills config from the environment and argv. Returns 0, 1 when --help was printed (the caller
 * exits 0), or -1 after printing what is wrong to stderr (a database or Redis password that is
 * still an example's change-me placeholder is wrong too). The caller frees with config_free,
 * whatever the result. */
int config_load(struct config *config, int argc, char **argv);
void config_free(struct config *config);

/* Whether origin is one of the configured CORS origins ("*" allows every origin). */
int config_origin_allowed(const struct config *config, const char *origin);

#endif
