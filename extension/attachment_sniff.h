/*
 * attachment_sniff.h — the type of an upload from its first bytes, against an allow-list. The
 * client's word (its Content-Type, the file name) is never asked: what a file is decides how it
 * is served, so it is read from the bytes themselves. Pure functions, no PostgreSQL state.
 */
#ifndef CHAT_ATTACHMENT_SNIFF_H
#define CHAT_ATTACHMENT_SNIFF_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The MIME type of a file that starts with bytes[0..length) (as much of its start as there is,
 * e.g. its first chunk), or NULL when it is none of: JPEG, PNG, WebP, GIF, PDF, Ogg Opus, WebM
 * (audio or video), MP4 (audio or video) and plain UTF-8 text. `whole` says the bytes are the
 * whole file (so a text may end anywhere, not only at a character's end).
 */
extern const char *attachment_sniff(const unsigned char *bytes, size_t length, bool whole);

/* Whether a thumbnail's bytes are an image a browser shows (JPEG, PNG or WebP). */
extern bool attachment_sniff_thumbnail(const unsigned char *bytes, size_t length);

/* What attachment_sniff accepts, for error messages. */
#define ATTACHMENT_TYPES_ALLOWED "JPEG, PNG, WebP and GIF images, PDF, Ogg Opus, WebM and MP4 audio or video, and plain text"

#endif
