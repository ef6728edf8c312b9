/* Serving the web build (see static.h). Files are read whole, with a size limit; they are small
 * local files, so the read is a short blocking call, kept off the hot API path. */
#include "http/static.h"
#include "core/errors.h"
#include "core/log.h"
#include "http/rest.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct static_files {
    const struct config *config;
};

static const struct {
    const char *extension;
    const char *type;
} static_types[] = {
    {".html", "text/html; charset=utf-8"},
    {".js", "text/javascript; charset=utf-8"},
    {".mjs", "text/javascript; charset=utf-8"},
    {".css", "text/css; charset=utf-8"},
    {".json", "application/json; charset=utf-8"},
    {".map", "application/json; charset=utf-8"},
    {".webmanifest", "application/manifest+json"},
    {".svg", "image/svg+xml"},
    {".png", "image/png"},
    {".jpg", "image/jpeg"},
    {".jpeg", "image/jpeg"},
    {".gif", "image/gif"},
    {".webp", "image/webp"},
    {".ico", "image/x-icon"},
    {".woff", "font/woff"},
    {".woff2", "font/woff2"},
    {".ttf", "font/ttf"},
    {".txt", "text/plain; charset=utf-8"},
    {".wasm", "application/wasm"},
};

static const char *static_content_type(const char *file)
{
    const char *dot = strrchr(file, '.');
    const char *slash = strrchr(file, '/');
    if (dot && (!slash || dot > slash)) {
        for (size_t i = 0; i < sizeof(static_types) / sizeof(static_types[0]); i++) {
            if (strcmp(dot, static_types[i].extension) == 0)
                return static_types[i].type;
        }
    }
    return "application/octet-stream";
}

/* Whether a regular file exists at path and lies inside root once links are resolved. */
static int static_inside(const char *root_real, const char *path)
{
    char real[PATH_MAX];
    struct stat info;
    if (!realpath(path, real) || stat(real, &info) != 0 || !S_ISREG(info.st_mode))
        return 0;
    size_t len = strlen(root_real);
    return strncmp(real, root_real, len) == 0 && real[len] == '/';
}

int static_resolve(const char *root, const char *path, char *out, size_t size, int *fallback)
{
    char root_real[PATH_MAX];
    *fallback = 0;
    if (!realpath(root, root_real) || path[0] != '/' || strstr(path, "..") || strchr(path, '\\'))
        return -1;
    const char *last = strrchr(path, '/') + 1;
    int n;
    if (*last == '\0')
        n = snprintf(out, size, "%s%sindex.html", root_real, path);
    else
        n = snprintf(out, size, "%s%s", root_real, path);
    if (n < 0 || (size_t)n >= size)
        return -1;
    if (static_inside(root_real, out))
        return 0;
    /* a path with an extension names a file that is not there; any other is a client route */
    if (strchr(last, '.'))
        return -1;
    n = snprintf(out, size, "%s/index.html", root_real);
    if (n < 0 || (size_t)n >= size || !static_inside(root_real, out))
        return -1;
    *fallback = 1;
    return 0;
}

/* Reads a whole file of at most STATIC_MAX_FILE bytes; NULL on any failure. */
static char *static_read(const char *file, size_t *length)
{
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    struct stat info;
    char *data = NULL;
    if (fstat(fd, &info) == 0 && S_ISREG(info.st_mode) && info.st_size <= STATIC_MAX_FILE &&
        (data = malloc((size_t)info.st_size + 1))) {
        size_t got = 0;
        while (got < (size_t)info.st_size) {
            ssize_t n = read(fd, data + got, (size_t)info.st_size - got);
            if (n < 0 && errno == EINTR)
                continue;
            if (n <= 0)
                break;
            got += (size_t)n;
        }
        if (got != (size_t)info.st_size) {
            free(data);
            data = NULL;
        }
        *length = got;
    }
    close(fd);
    return data;
}

/* The web app loads only its own scripts, styles and sockets; images may come from https (profile
 * photos are links); no page may frame it (clickjacking); nothing is inline. */
#define STATIC_CSP                                                                                 \
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob: https:; " \
    "media-src 'self' blob:; connect-src 'self'; object-src 'none'; base-uri 'self'; "             \
    "form-action 'self'; frame-ancestors 'none'"

static void static_on_request(http_request *req, void *data)
{
    struct static_files *files = data;
    const struct config *config = files->config;
    http_method method = http_request_method(req);
    if (method != HTTP_GET && method != HTTP_HEAD) {
        http_header allow[] = {{"Allow", "GET, HEAD"}, {NULL, NULL}};
        rest_respond_error(config, req, &ERROR_METHOD_NOT_ALLOWED, "method not allowed", allow);
        return;
    }
    const char *path = http_request_path(req);
    char file[PATH_MAX];
    int fallback;
    if (static_resolve(config->web_root, path, file, sizeof(file), &fallback) != 0) {
        rest_respond_error(config, req, &ERROR_NOT_FOUND, "not found", NULL);
        return;
    }
    size_t length = 0;
    char *body = static_read(file, &length);
    if (!body) {
        log_warn("static_read_failed", "errno=%d", errno);
        rest_respond_error(config, req, &ERROR_NOT_FOUND, "not found", NULL);
        return;
    }
    /* Vite names what is under /assets/ by content hash: such a file never changes */
    const char *cache = strncmp(path, "/assets/", 8) == 0 ? "public, max-age=31536000, immutable"
                        : fallback || strcmp(static_content_type(file), static_types[0].type) == 0
                            ? "no-cache"
                            : "public, max-age=3600";
    http_header headers[] = {
        {"Cache-Control", cache},
        {"X-Content-Type-Options", "nosniff"},
        {"Content-Security-Policy", STATIC_CSP},
        {"X-Frame-Options", "DENY"},
        {"Referrer-Policy", "no-referrer"},
        {NULL, NULL},
    };
    http_respond(req, 200, static_content_type(file), headers, body,
                 method == HTTP_HEAD ? 0 : length);
    free(body);
}

struct static_files *static_new(const struct config *config)
{
    struct static_files *files = calloc(1, sizeof(*files));
    if (!files)
        return NULL;
    files->config = config;
    if (access(config->web_root, R_OK) != 0) {
        char root[600];
        log_warn("static_root_missing", "web_root=%s reason=\"build the web app to serve it\"",
                 log_quote(root, sizeof(root), config->web_root));
    }
    return files;
}

void static_free(struct static_files *files) { free(files); }

int static_attach(struct static_files *files, http_server *server)
{
    /* one route of http_server's table, declared as data like /health, /metrics and / */
    http_route route = {
        .prefix = "/",
        .max_body = 0,
        .on_request = static_on_request,
        .data = files,
    };
    return http_server_add_route(server, &route);
}
