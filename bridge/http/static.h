/* The web build, served from the configured web root: files as they are, with a content type by
 * extension and cache headers (Vite's hashed /assets/ forever, index.html never without
 * revalidation), and index.html for any other path without an extension, so the single-page
 * app's client-side routes survive a reload. Nothing outside the web root is ever served. */
#ifndef BRIDGE_STATIC_H
#define BRIDGE_STATIC_H

#include "core/config.h"
#include "protocol/http_server.h"

#define STATIC_MAX_FILE (16 * 1024 * 1024)

struct static_files;

/* config must outlive it. NULL when out of memory. */
struct static_files *static_new(const struct config *config);
void static_free(struct static_files *files);
/* Registers "/" (every path no other route claims) on server. Returns 0 or -1. */
int static_attach(struct static_files *files, http_server *server);

/* Resolves a request path to a file under root: writes its full path to out and whether it is
 * the single-page fallback. Returns 0, or -1 when nothing is to be served (404). Exposed for
 * tests and tools; it only reads the file system. */
int static_resolve(const char *root, const char *path, char *out, size_t size, int *fallback);

#endif
