/* Logging of the bridge: key=value lines on stderr (see log.h). One write(2) per line, so lines
 * of concurrent processes sharing a log file never interleave. */
#include "core/log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static enum log_level log_min_level = LOG_INFO;

static const char *const log_level_names[] = {"debug", "info", "warn", "error"};

void log_set_level(enum log_level level) { log_min_level = level; }

int log_set_level_name(const char *name)
{
    for (size_t i = 0; i < sizeof(log_level_names) / sizeof(log_level_names[0]); i++) {
        if (strcmp(name, log_level_names[i]) == 0) {
            log_min_level = (enum log_level)i;
            return 0;
        }
    }
    return -1;
}

int log_enabled(enum log_level level) { return level >= log_min_level; }

void log_event(enum log_level level, const char *event, const char *fmt, ...)
{
    if (!log_enabled(level))
        return;
    char line[LOG_LINE_MAX];
    struct timeval now;
    struct tm tm;
    gettimeofday(&now, NULL);
    gmtime_r(&now.tv_sec, &tm);
    int n = snprintf(line, sizeof(line), "ts=%04d-%02d-%02dT%02d:%02d:%02d.%03ldZ level=%s event=%s",
                     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec,
                     (long)(now.tv_usec / 1000), log_level_names[level], event);
    if (n < 0)
        return;
    size_t used = (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1;
    if (fmt && fmt[0] && used < sizeof(line) - 2) {
        line[used++] = ' ';
        va_list args;
        va_start(args, fmt);
        n = vsnprintf(line + used, sizeof(line) - used, fmt, args);
        va_end(args);
        if (n > 0)
            used += (size_t)n < sizeof(line) - used ? (size_t)n : sizeof(line) - used - 1;
    }
    line[used++] = '\n';
    ssize_t ignored = write(STDERR_FILENO, line, used);
    (void)ignored;
}

static int log_is_bare(const char *value)
{
    if (!value[0])
        return 0;
    for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
        if (*p <= ' ' || *p == '"' || *p == '=' || *p == '\\' || *p >= 0x7f)
            return 0;
    }
    return 1;
}

const char *log_quote(char *out, size_t size, const char *value)
{
    if (size == 0)
        return out;
    if (!value)
        value = "";
    if (log_is_bare(value)) {
        snprintf(out, size, "%s", value);
        return out;
    }
    size_t o = 0;
    if (size < 3) {
        out[0] = '\0';
        return out;
    }
    out[o++] = '"';
    for (const unsigned char *p = (const unsigned char *)value; *p && o + 5 < size; p++) {
        if (*p == '"' || *p == '\\') {
            out[o++] = '\\';
            out[o++] = (char)*p;
        } else if (*p < ' ' || *p == 0x7f) {
            o += (size_t)snprintf(out + o, size - o, "\\x%02x", *p);
        } else {
            out[o++] = (char)*p;
        }
    }
    out[o++] = '"';
    out[o] = '\0';
    return out;
}
