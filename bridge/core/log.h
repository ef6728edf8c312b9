/* Logging of the bridge: one line per event on stderr, key=value pairs, so that grep and any log
 * shipper can read it without a parser. Bounded: a line longer than LOG_LINE_MAX is cut. */
#ifndef BRIDGE_LOG_H
#define BRIDGE_LOG_H

#include <stddef.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };

#define LOG_LINE_MAX 2048

/* Sets the lowest level written; returns -1 (and changes nothing) for an unknown name. */
int log_set_level_name(const char *name);
void log_set_level(enum log_level level);
int log_enabled(enum log_level level);

/* Writes "ts=... level=... event=<event> <fmt...>". fmt carries the rest of the key=value pairs;
 * any value that comes from outside must go through log_quote first. */
void log_event(enum log_level level, const char *event, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Writes value into out (size bytes, always terminated) as a log value: bare when it is a plain
 * token, else double-quoted with quotes, backslashes and control bytes escaped. Returns out. */
const char *log_quote(char *out, size_t size, const char *value);

#define log_debug(event, ...) log_event(LOG_DEBUG, event, __VA_ARGS__)
#define log_info(event, ...) log_event(LOG_INFO, event, __VA_ARGS__)
#define log_warn(event, ...) log_event(LOG_WARN, event, __VA_ARGS__)
#define log_error(event, ...) log_event(LOG_ERROR, event, __VA_ARGS__)

#endif
