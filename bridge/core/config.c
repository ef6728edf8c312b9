/* Configuration of the bridge from PGCHAT_* variables and flags (see config.h). */
#include "core/config.h"
#include "core/log.h"

#include <errno.h>
#include <getopt.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char config_usage[] =
    "usage: pgchat-bridge [options]\n"
    "  --port N              HTTP port (PGCHAT_PORT, default 5000)\n"
    "  --listen ADDR         interface to bind (PGCHAT_LISTEN, default all)\n"
    "  --database-url URL    libpq URL or conninfo (PGCHAT_DATABASE_URL; default built from\n"
    "                        PGCHAT_SOCKET_DIR, PGCHAT_PG_PORT, PGCHAT_DATABASE, PGCHAT_DB_USER)\n"
    "  --redis-url URL       redis://host:port (PGCHAT_REDIS_URL)\n"
    "  --web-root DIR        the web build to serve (PGCHAT_WEB_ROOT, default web/dist)\n"
    "  --cors-origins LIST   comma-separated origins, or * (PGCHAT_CORS_ORIGINS)\n"
    "  --pool-size N         database connections (PGCHAT_DB_POOL_SIZE, default 4)\n"
    "  --slow-pool-size N    connections for register/login (PGCHAT_DB_SLOW_POOL_SIZE, default 2)\n"
    "  --max-body BYTES      request body limit (PGCHAT_MAX_BODY, default 1048576)\n"
    "  --drain-seconds N     SIGTERM grace for requests in flight (PGCHAT_DRAIN_SECONDS, 10)\n"
    "  --keepalive-seconds N an idle keep-alive HTTP connection closes after N seconds\n"
    "                        (PGCHAT_KEEPALIVE_SECONDS, default 30)\n"
    "  --ping-interval MS    Engine.IO pingInterval (PGCHAT_PING_INTERVAL_MS, default 25000)\n"
    "  --ping-timeout MS     Engine.IO pingTimeout (PGCHAT_PING_TIMEOUT_MS, default 20000);\n"
    "                        a vanished client is noticed within their sum\n"
    "  --send-batches N      send batches in flight at once; the sends that arrive meanwhile\n"
    "                        form the next one (PGCHAT_SEND_BATCHES, default 2)\n"
    "  --socket-event-rate N events a socket may send per second, in bursts of twice that;\n"
    "                        more are refused with rate_limited (PGCHAT_SOCKET_EVENT_RATE, 100)\n"
    "  --max-user-sockets N  sockets one user may hold on this bridge; more are refused at\n"
    "                        CONNECT (PGCHAT_MAX_USER_SOCKETS, default 16)\n"
    "  --socket-max-calls N  a socket's events waiting for the database at once; more are\n"
    "                        refused with rate_limited (PGCHAT_SOCKET_MAX_CALLS, 32)\n"
    "  --max-connections N   connections open at once; more are closed at accept\n"
    "                        (PGCHAT_MAX_CONNECTIONS, 10000; 0: no cap)\n"
    "  --max-address-connections N  connections from one peer address; off behind a trusted\n"
    "                        proxy (PGCHAT_MAX_ADDRESS_CONNECTIONS, 256; 0: no cap)\n"
    "  --max-sessions N      Engine.IO sessions; more handshakes get 503 (PGCHAT_MAX_SESSIONS, 50000)\n"
    "  --max-address-sessions N  sessions of one client address; more get 429\n"
    "                        (PGCHAT_MAX_ADDRESS_SESSIONS, 128; 0: no cap)\n"
    "  --queue-budget BYTES  bytes waiting for slow readers on all sockets; past it the largest\n"
    "                        holders are dropped (PGCHAT_QUEUE_BUDGET, 134217728; 0: none)\n"
    "  --connect-timeout MS  a session that has not joined by then is closed\n"
    "                        (PGCHAT_CONNECT_TIMEOUT_MS, 10000)\n"
    "  --pre-connect-bytes N the largest message a session may send before it has joined\n"
    "                        (PGCHAT_PRE_CONNECT_BYTES, 65536)\n"
    "  --limit-window S      the window of the credential limits (PGCHAT_LIMIT_WINDOW_S, 300)\n"
    "  --login-address-limit N  logins per client address a window (PGCHAT_LOGIN_ADDRESS_LIMIT, 30)\n"
    "  --login-name-limit N  logins per login name a window (PGCHAT_LOGIN_NAME_LIMIT, 10);\n"
    "                        past either, 429 with Retry-After\n"
    "  --register-address-limit N  registrations per client address a window\n"
    "                        (PGCHAT_REGISTER_ADDRESS_LIMIT, 10)\n"
    "  --trust-proxy 0|1     behind a reverse proxy: the client's address is the last of\n"
    "                        X-Forwarded-For (PGCHAT_TRUST_PROXY, default 0)\n"
    "  PGCHAT_METRICS_TOKEN  GET /metrics wants it as a bearer token (unset: loopback only)\n"
    "  --log-level LEVEL     debug, info, warn or error (PGCHAT_LOG_LEVEL, default info)\n"
    "  PGCHAT_BRIDGE_ID      this bridge's id in Redis presence (default: host, pid, random)\n";

static int config_set_string(char **slot, const char *value)
{
    char *copy = strdup(value);
    if (!copy)
        return -1;
    free(*slot);
    *slot = copy;
    return 0;
}

static int config_parse_int(const char *name, const char *text, long min, long max, long *out)
{
    char *end;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno || end == text || *end != '\0' || value < min || value > max) {
        fprintf(stderr, "pgchat-bridge: %s must be a whole number from %ld to %ld, not \"%s\"\n",
                name, min, max, text);
        return -1;
    }
    *out = value;
    return 0;
}

static void config_clear_origins(struct config *config)
{
    for (int i = 0; i < config->origin_count; i++)
        free(config->origins[i]);
    config->origin_count = 0;
}

static int config_parse_origins(struct config *config, const char *list)
{
    config_clear_origins(config);
    const char *p = list;
    while (*p) {
        while (*p == ' ' || *p == ',')
            p++;
        size_t len = strcspn(p, ", ");
        if (len == 0)
            break;
        if (config->origin_count == CONFIG_MAX_ORIGINS) {
            fprintf(stderr, "pgchat-bridge: at most %d CORS origins\n", CONFIG_MAX_ORIGINS);
            return -1;
        }
        char *origin = strndup(p, len);
        if (!origin)
            return -1;
        config->origins[config->origin_count++] = origin;
        p += len;
    }
    return 0;
}

/* Builds the conninfo from the parts the project's scripts export, quoting each value. */
static char *config_default_conninfo(void)
{
    const char *parts[][2] = {
        {"host", getenv("PGCHAT_SOCKET_DIR")},
        {"port", getenv("PGCHAT_PG_PORT")},
        {"dbname", getenv("PGCHAT_DATABASE") ? getenv("PGCHAT_DATABASE") : "pgchat"},
        {"user", getenv("PGCHAT_DB_USER") ? getenv("PGCHAT_DB_USER") : "pgchat_bridge"},
        {"application_name", "pgchat-bridge"},
    };
    char buffer[2048];
    size_t used = 0;
    for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
        const char *value = parts[i][1];
        if (!value || !value[0])
            continue;
        int n = snprintf(buffer + used, sizeof(buffer) - used, "%s%s='", used ? " " : "", parts[i][0]);
        if (n < 0 || (size_t)n >= sizeof(buffer) - used)
            return NULL;
        used += (size_t)n;
        for (const char *c = value; *c; c++) {
            if (used + 3 >= sizeof(buffer))
                return NULL;
            if (*c == '\'' || *c == '\\')
                buffer[used++] = '\\';
            buffer[used++] = *c;
        }
        buffer[used++] = '\'';
        buffer[used] = '\0';
    }
    return strdup(buffer);
}

/* The passwords of docker/.env.example and k8s/secrets.example.yaml all start so. They are
 * public: a deployment that kept one must not come up, rather than run with a known password. */
static const char config_placeholder[] = "change-me";

static int config_is_placeholder(const char *password, size_t length)
{
    size_t prefix = sizeof(config_placeholder) - 1;
    return password && length >= prefix && strncmp(password, config_placeholder, prefix) == 0;
}

/* The database password: libpq's PGPASSWORD, or the one the URL or conninfo carries (parsed by
 * libpq itself, so both spellings count; one it cannot parse is reported when connecting). */
static int config_database_placeholder(const char *conninfo)
{
    const char *env = getenv("PGPASSWORD");
    if (env && config_is_placeholder(env, strlen(env)))
        return 1;
    PQconninfoOption *options = PQconninfoParse(conninfo, NULL);
    int found = 0;
    for (PQconninfoOption *o = options; o && o->keyword; o++) {
        if (strcmp(o->keyword, "password") == 0 && o->val)
            found = config_is_placeholder(o->val, strlen(o->val));
    }
    PQconninfoFree(options);
    return found;
}

/* The password of redis://[[user]:password@]host..., found as redis.c finds it. */
static int config_redis_placeholder(const char *url)
{
    const char *rest = url + 8;
    const char *at = strrchr(rest, '@');
    const char *colon = at ? memchr(rest, ':', (size_t)(at - rest)) : NULL;
    return colon && config_is_placeholder(colon + 1, (size_t)(at - colon - 1));
}

enum config_option {
    OPT_PORT = 256, OPT_LISTEN, OPT_DATABASE_URL, OPT_REDIS_URL, OPT_WEB_ROOT, OPT_CORS_ORIGINS,
    OPT_POOL_SIZE, OPT_SLOW_POOL_SIZE, OPT_MAX_BODY, OPT_DRAIN_SECONDS, OPT_LOG_LEVEL, OPT_HELP,
    OPT_PING_INTERVAL, OPT_PING_TIMEOUT, OPT_SEND_BATCHES, OPT_KEEPALIVE_SECONDS, OPT_SOCKET_EVENT_RATE, OPT_MAX_USER_SOCKETS,
    OPT_LIMIT_WINDOW, OPT_LOGIN_ADDRESS_LIMIT, OPT_LOGIN_NAME_LIMIT, OPT_REGISTER_ADDRESS_LIMIT,
    OPT_TRUST_PROXY, OPT_METRICS_TOKEN, OPT_SOCKET_MAX_CALLS, OPT_MAX_CONNECTIONS,
    OPT_MAX_ADDRESS_CONNECTIONS, OPT_MAX_SESSIONS, OPT_MAX_ADDRESS_SESSIONS, OPT_QUEUE_BUDGET,
    OPT_CONNECT_TIMEOUT, OPT_PRE_CONNECT_BYTES,
};

/* The settings that are one whole number in bounds, by option: where it goes and its range. */
static int *config_int_slot(struct config *config, int option, long *min, long *max)
{
    *min = 0;
    *max = 10000000;
    switch (option) {
    case OPT_SOCKET_MAX_CALLS:
        *min = 1;
        *max = 100000;
        return &config->max_socket_calls;
    case OPT_MAX_CONNECTIONS:
        return &config->max_connections;
    case OPT_MAX_ADDRESS_CONNECTIONS:
        return &config->max_address_connections;
    case OPT_MAX_SESSIONS:
        *min = 1;
        return &config->max_sessions;
    case OPT_MAX_ADDRESS_SESSIONS:
        return &config->max_address_sessions;
    case OPT_CONNECT_TIMEOUT:
        *min = 100;
        *max = 600000;
        return &config->connect_timeout_ms;
    default:
        return NULL;
    }
}

/* One setting, whichever source it came from. */
static int config_apply(struct config *config, int option, const char *name, const char *value)
{
    long number, min, max;
    int *slot = config_int_slot(config, option, &min, &max);
    if (slot) {
        if (config_parse_int(name, value, min, max, &number))
            return -1;
        *slot = (int)number;
        return 0;
    }
    switch (option) {
    case OPT_QUEUE_BUDGET:
        if (config_parse_int(name, value, 0, 64L * 1024 * 1024 * 1024, &number))
            return -1;
        if (number && number < 1024 * 1024) {
            fprintf(stderr, "pgchat-bridge: %s must be 0 (none) or at least 1048576 bytes\n", name);
            return -1;
        }
        config->queue_budget = (size_t)number;
        return 0;
    case OPT_PRE_CONNECT_BYTES:
        if (config_parse_int(name, value, 1024, 64L * 1024 * 1024, &number))
            return -1;
        config->pre_connect_bytes = (size_t)number;
        return 0;
    case OPT_PORT:
        if (config_parse_int(name, value, 1, 65535, &number))
            return -1;
        config->port = (int)number;
        return 0;
    case OPT_LISTEN:
        return config_set_string(&config->listen, value);
    case OPT_DATABASE_URL:
        return config_set_string(&config->database_url, value);
    case OPT_REDIS_URL:
        return config_set_string(&config->redis_url, value);
    case OPT_WEB_ROOT:
        return config_set_string(&config->web_root, value);
    case OPT_CORS_ORIGINS:
        return config_parse_origins(config, value);
    case OPT_POOL_SIZE:
        if (config_parse_int(name, value, 1, 64, &number))
            return -1;
        config->pool_size = (int)number;
        return 0;
    case OPT_SLOW_POOL_SIZE:
        if (config_parse_int(name, value, 1, 16, &number))
            return -1;
        config->slow_pool_size = (int)number;
        return 0;
    case OPT_MAX_BODY:
        if (config_parse_int(name, value, 1024, 64L * 1024 * 1024, &number))
            return -1;
        config->max_body = (size_t)number;
        return 0;
    case OPT_DRAIN_SECONDS:
        if (config_parse_int(name, value, 0, 600, &number))
            return -1;
        config->drain_seconds = (int)number;
        return 0;
    case OPT_KEEPALIVE_SECONDS:
        if (config_parse_int(name, value, 1, 3600, &number))
            return -1;
        config->keepalive_seconds = (int)number;
        return 0;
    case OPT_PING_INTERVAL:
    case OPT_PING_TIMEOUT:
        if (config_parse_int(name, value, 100, 600000, &number))
            return -1;
        *(option == OPT_PING_INTERVAL ? &config->ping_interval_ms : &config->ping_timeout_ms) =
            (int)number;
        return 0;
    case OPT_SEND_BATCHES:
        if (config_parse_int(name, value, 1, 64, &number))
            return -1;
        config->send_batches = (int)number;
        return 0;
    case OPT_SOCKET_EVENT_RATE:
        if (config_parse_int(name, value, 1, 100000, &number))
            return -1;
        config->socket_event_rate = (int)number;
        return 0;
    case OPT_MAX_USER_SOCKETS:
        if (config_parse_int(name, value, 1, 100000, &number))
            return -1;
        config->max_user_sockets = (int)number;
        return 0;
    case OPT_LIMIT_WINDOW:
        if (config_parse_int(name, value, 1, 86400, &number))
            return -1;
        config->limit_window_s = (int)number;
        return 0;
    case OPT_LOGIN_ADDRESS_LIMIT:
    case OPT_LOGIN_NAME_LIMIT:
    case OPT_REGISTER_ADDRESS_LIMIT:
        if (config_parse_int(name, value, 1, 1000000, &number))
            return -1;
        *(option == OPT_LOGIN_ADDRESS_LIMIT   ? &config->login_address_limit
          : option == OPT_LOGIN_NAME_LIMIT ? &config->login_name_limit
                                              : &config->register_address_limit) = (int)number;
        return 0;
    case OPT_METRICS_TOKEN:
        return config_set_string(&config->metrics_token, value);
    case OPT_TRUST_PROXY:
        if (config_parse_int(name, value, 0, 1, &number))
            return -1;
        config->trust_proxy = (int)number;
        return 0;
    case OPT_LOG_LEVEL:
        if (log_set_level_name(value)) {
            fprintf(stderr, "pgchat-bridge: %s must be debug, info, warn or error\n", name);
            return -1;
        }
        return 0;
    }
    return -1;
}

static const struct { const char *env; int option; } config_env[] = {
    {"PGCHAT_PORT", OPT_PORT},
    {"PGCHAT_LISTEN", OPT_LISTEN},
    {"PGCHAT_DATABASE_URL", OPT_DATABASE_URL},
    {"PGCHAT_REDIS_URL", OPT_REDIS_URL},
    {"PGCHAT_WEB_ROOT", OPT_WEB_ROOT},
    {"PGCHAT_CORS_ORIGINS", OPT_CORS_ORIGINS},
    {"PGCHAT_DB_POOL_SIZE", OPT_POOL_SIZE},
    {"PGCHAT_DB_SLOW_POOL_SIZE", OPT_SLOW_POOL_SIZE},
    {"PGCHAT_MAX_BODY", OPT_MAX_BODY},
    {"PGCHAT_DRAIN_SECONDS", OPT_DRAIN_SECONDS},
    {"PGCHAT_KEEPALIVE_SECONDS", OPT_KEEPALIVE_SECONDS},
    {"PGCHAT_LOG_LEVEL", OPT_LOG_LEVEL},
    {"PGCHAT_PING_INTERVAL_MS", OPT_PING_INTERVAL},
    {"PGCHAT_PING_TIMEOUT_MS", OPT_PING_TIMEOUT},
    {"PGCHAT_SEND_BATCHES", OPT_SEND_BATCHES},
    {"PGCHAT_SOCKET_EVENT_RATE", OPT_SOCKET_EVENT_RATE},
    {"PGCHAT_MAX_USER_SOCKETS", OPT_MAX_USER_SOCKETS},
    {"PGCHAT_LIMIT_WINDOW_S", OPT_LIMIT_WINDOW},
    {"PGCHAT_LOGIN_ADDRESS_LIMIT", OPT_LOGIN_ADDRESS_LIMIT},
    {"PGCHAT_LOGIN_NAME_LIMIT", OPT_LOGIN_NAME_LIMIT},
    {"PGCHAT_REGISTER_ADDRESS_LIMIT", OPT_REGISTER_ADDRESS_LIMIT},
    {"PGCHAT_TRUST_PROXY", OPT_TRUST_PROXY},
    {"PGCHAT_METRICS_TOKEN", OPT_METRICS_TOKEN},
    {"PGCHAT_SOCKET_MAX_CALLS", OPT_SOCKET_MAX_CALLS},
    {"PGCHAT_MAX_CONNECTIONS", OPT_MAX_CONNECTIONS},
    {"PGCHAT_MAX_ADDRESS_CONNECTIONS", OPT_MAX_ADDRESS_CONNECTIONS},
    {"PGCHAT_MAX_SESSIONS", OPT_MAX_SESSIONS},
    {"PGCHAT_MAX_ADDRESS_SESSIONS", OPT_MAX_ADDRESS_SESSIONS},
    {"PGCHAT_QUEUE_BUDGET", OPT_QUEUE_BUDGET},
    {"PGCHAT_CONNECT_TIMEOUT_MS", OPT_CONNECT_TIMEOUT},
    {"PGCHAT_PRE_CONNECT_BYTES", OPT_PRE_CONNECT_BYTES},
};

static const struct option config_flags[] = {
    {"port", required_argument, NULL, OPT_PORT},
    {"listen", required_argument, NULL, OPT_LISTEN},
    {"database-url", required_argument, NULL, OPT_DATABASE_URL},
    {"redis-url", required_argument, NULL, OPT_REDIS_URL},
    {"web-root", required_argument, NULL, OPT_WEB_ROOT},
    {"cors-origins", required_argument, NULL, OPT_CORS_ORIGINS},
    {"pool-size", required_argument, NULL, OPT_POOL_SIZE},
    {"slow-pool-size", required_argument, NULL, OPT_SLOW_POOL_SIZE},
    {"max-body", required_argument, NULL, OPT_MAX_BODY},
    {"drain-seconds", required_argument, NULL, OPT_DRAIN_SECONDS},
    {"keepalive-seconds", required_argument, NULL, OPT_KEEPALIVE_SECONDS},
    {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
    {"ping-interval", required_argument, NULL, OPT_PING_INTERVAL},
    {"ping-timeout", required_argument, NULL, OPT_PING_TIMEOUT},
    {"send-batches", required_argument, NULL, OPT_SEND_BATCHES},
    {"socket-event-rate", required_argument, NULL, OPT_SOCKET_EVENT_RATE},
    {"max-user-sockets", required_argument, NULL, OPT_MAX_USER_SOCKETS},
    {"limit-window", required_argument, NULL, OPT_LIMIT_WINDOW},
    {"login-address-limit", required_argument, NULL, OPT_LOGIN_ADDRESS_LIMIT},
    {"login-name-limit", required_argument, NULL, OPT_LOGIN_NAME_LIMIT},
    {"register-address-limit", required_argument, NULL, OPT_REGISTER_ADDRESS_LIMIT},
    {"trust-proxy", required_argument, NULL, OPT_TRUST_PROXY},
    {"socket-max-calls", required_argument, NULL, OPT_SOCKET_MAX_CALLS},
    {"max-connections", required_argument, NULL, OPT_MAX_CONNECTIONS},
    {"max-address-connections", required_argument, NULL, OPT_MAX_ADDRESS_CONNECTIONS},
    {"max-sessions", required_argument, NULL, OPT_MAX_SESSIONS},
    {"max-address-sessions", required_argument, NULL, OPT_MAX_ADDRESS_SESSIONS},
    {"queue-budget", required_argument, NULL, OPT_QUEUE_BUDGET},
    {"connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT},
    {"pre-connect-bytes", required_argument, NULL, OPT_PRE_CONNECT_BYTES},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

int config_load(struct config *config, int argc, char **argv)
{
    memset(config, 0, sizeof(*config));
    /* The product's defaults. The protocol layer keeps its own (eio_config_defaults,
     * sio_config_defaults), alike in shape: protocol/ runs without the product (the conformance
     * server) and may not read this file; main.c copies these over those. */
    config->port = 5000;
    config->pool_size = 4;
    config->slow_pool_size = 2;
    config->max_body = 1024 * 1024;
    config->drain_seconds = 10;
    config->keepalive_seconds = 30;
    config->ping_interval_ms = 25000; /* the Socket.IO defaults */
    config->ping_timeout_ms = 20000;
    config->send_batches = 2;
    config->socket_event_rate = 100;
    config->max_user_sockets = 16;
    config->max_socket_calls = 32;
    config->max_connections = 10000;
    config->max_address_connections = 256;
    config->max_sessions = 50000;
    config->max_address_sessions = 128;
    config->queue_budget = 128 * 1024 * 1024;
    config->connect_timeout_ms = 10000;
    config->pre_connect_bytes = 64 * 1024;
    config->limit_window_s = 300;
    config->login_address_limit = 30;
    config->login_name_limit = 10;
    config->register_address_limit = 10;
    if (config_set_string(&config->web_root, "web/dist"))
        return -1;

    for (size_t i = 0; i < sizeof(config_env) / sizeof(config_env[0]); i++) {
        const char *value = getenv(config_env[i].env);
        if (value && value[0] && config_apply(config, config_env[i].option, config_env[i].env, value))
            return -1;
    }

    optind = 1;
    int option;
    while ((option = getopt_long(argc, argv, "", config_flags, NULL)) != -1) {
        if (option == OPT_HELP) {
            fputs(config_usage, stdout);
            return 1;
        }
        if (option == '?' || option == ':') {
            fputs(config_usage, stderr);
            return -1;
        }
        char name[64];
        for (const struct option *flag = config_flags; flag->name; flag++) {
            if (flag->val == option)
                snprintf(name, sizeof(name), "--%s", flag->name);
        }
        if (config_apply(config, option, name, optarg))
            return -1;
    }
    if (optind < argc) {
        fprintf(stderr, "pgchat-bridge: unexpected argument \"%s\"\n", argv[optind]);
        return -1;
    }
    if (!config->database_url) {
        config->database_url = config_default_conninfo();
        if (!config->database_url) {
            fprintf(stderr, "pgchat-bridge: database settings too long\n");
            return -1;
        }
    }
    if (config->redis_url && strncmp(config->redis_url, "redis://", 8) != 0) {
        fprintf(stderr, "pgchat-bridge: the Redis URL must start with redis://\n");
        return -1;
    }
    if (config_database_placeholder(config->database_url)) {
        fprintf(stderr, "pgchat-bridge: the database password (PGPASSWORD or the one in "
                        "PGCHAT_DATABASE_URL) is an example's change-me placeholder; set a real one\n");
        return -1;
    }
    if (config->redis_url && config_redis_placeholder(config->redis_url)) {
        fprintf(stderr, "pgchat-bridge: the password in the Redis URL (PGCHAT_REDIS_URL) is an "
                        "example's change-me placeholder; set a real one\n");
        return -1;
    }
    return 0;
}

void config_free(struct config *config)
{
    free(config->listen);
    free(config->database_url);
    free(config->redis_url);
    free(config->web_root);
    free(config->metrics_token);
    config_clear_origins(config);
    memset(config, 0, sizeof(*config));
}

int config_origin_allowed(const struct config *config, const char *origin)
{
    if (!origin)
        return 0;
    for (int i = 0; i < config->origin_count; i++) {
        if (strcmp(config->origins[i], "*") == 0 || strcmp(config->origins[i], origin) == 0)
            return 1;
    }
    return 0;
}
