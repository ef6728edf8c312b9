/* http_chunked: see the header. One byte at a time except chunk data, which goes to the sink in
 * the largest runs the input allows. */
#include "protocol/http_chunked.h"

enum {
    ST_SIZE,        /* hex digits of a chunk size */
    ST_EXT,         /* after the digits: whitespace and extensions, up to CR */
    ST_SIZE_LF,     /* LF ending the size line */
    ST_DATA,        /* chunk data */
    ST_DATA_CR,     /* CRLF after chunk data */
    ST_DATA_LF,
    ST_TRAILER,     /* start of a trailer line, or the final CRLF */
    ST_TRAILER_LINE,
    ST_TRAILER_LF,
    ST_END_LF,      /* LF of the final CRLF */
    ST_DONE,
    ST_BAD,
    ST_TOO_LARGE,
    ST_SINK_FAILED
};

void http_chunked_init(http_chunked *c, size_t limit)
{
    c->state = ST_SIZE;
    c->limit = limit;
    c->total = 0;
    c->remaining = 0;
    c->line = 0;
    c->digits = 0;
}

static int hex_value(uint8_t ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

/* Visible characters, space and tab: what an extension or a trailer field may hold. */
static int field_char(uint8_t ch)
{
    return ch == '\t' || (ch >= 0x20 && ch != 0x7f);
}

static http_chunked_result result_of(int state)
{
    switch (state) {
    case ST_DONE:
        return HTTP_CHUNKED_DONE;
    case ST_BAD:
        return HTTP_CHUNKED_BAD;
    case ST_TOO_LARGE:
        return HTTP_CHUNKED_TOO_LARGE;
    case ST_SINK_FAILED:
        return HTTP_CHUNKED_SINK_FAILED;
    default:
        return HTTP_CHUNKED_MORE;
    }
}

/* One byte of framing (every state but ST_DATA): the next state. */
static int step(http_chunked *c, uint8_t ch)
{
    switch (c->state) {
    case ST_SIZE: {
        if (++c->line > HTTP_CHUNKED_MAX_LINE)
            return ST_BAD;
        int v = hex_value(ch);
        if (v >= 0) {
            /* the announced total is checked digit by digit: no overflow, early refusal */
            size_t room = c->limit - c->total;
            if ((size_t)v > room || c->remaining > (room - (size_t)v) / 16)
                return ST_TOO_LARGE;
            c->remaining = c->remaining * 16 + (size_t)v;
            c->digits++;
            return ST_SIZE;
        }
        if (c->digits == 0)
            return ST_BAD;
        if (ch == '\r')
            return ST_SIZE_LF;
        if (ch == ';' || ch == ' ' || ch == '\t')
            return ST_EXT;
        return ST_BAD;
    }
    case ST_EXT:
        if (++c->line > HTTP_CHUNKED_MAX_LINE)
            return ST_BAD;
        if (ch == '\r')
            return ST_SIZE_LF;
        return field_char(ch) ? ST_EXT : ST_BAD;
    case ST_SIZE_LF:
        if (ch != '\n')
            return ST_BAD;
        c->total += c->remaining;
        c->line = 0;
        c->digits = 0;
        return c->remaining ? ST_DATA : ST_TRAILER;
    case ST_DATA_CR:
        return ch == '\r' ? ST_DATA_LF : ST_BAD;
    case ST_DATA_LF:
        return ch == '\n' ? ST_SIZE : ST_BAD;
    case ST_TRAILER:
    case ST_TRAILER_LINE:
        if (++c->line > HTTP_CHUNKED_MAX_TRAILER)
            return ST_BAD;
        if (ch == '\r')
            return c->state == ST_TRAILER ? ST_END_LF : ST_TRAILER_LF;
        return field_char(ch) ? ST_TRAILER_LINE : ST_BAD;
    case ST_TRAILER_LF:
        if (++c->line > HTTP_CHUNKED_MAX_TRAILER)
            return ST_BAD;
        return ch == '\n' ? ST_TRAILER : ST_BAD;
    case ST_END_LF:
        return ch == '\n' ? ST_DONE : ST_BAD;
    default:
        return c->state;
    }
}

http_chunked_result http_chunked_feed(http_chunked *c, const uint8_t *in, size_t len,
                                      size_t *used, http_chunked_sink sink, void *arg)
{
    size_t at = 0;
    while (at < len && result_of(c->state) == HTTP_CHUNKED_MORE) {
        if (c->state == ST_DATA) {
            size_t run = len - at < c->remaining ? len - at : c->remaining;
            if (sink && sink(in + at, run, arg)) {
                c->state = ST_SINK_FAILED;
                break;
            }
            at += run;
            c->remaining -= run;
            if (c->remaining == 0)
                c->state = ST_DATA_CR;
            continue;
        }
        c->state = step(c, in[at]);
        /* a byte that ends in an error state is not consumed */
        if (result_of(c->state) >= 0)
            at++;
    }
    *used = at;
    return result_of(c->state);
}
