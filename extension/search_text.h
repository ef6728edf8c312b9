/*
 * search_text.h — how message text is cut into search terms, for any language: words of letters
 * and digits (lower-cased, Latin and Greek accents dropped) are terms whole; scripts written
 * without spaces (Chinese, Japanese, Korean, Thai, Lao, Khmer, Myanmar) give each character and
 * each pair of neighbours as terms, so a word of any length is found by the pairs it is made of.
 * The same cutting serves the index (search_text_terms), the query (search_text_query) and the
 * highlighted snippet (search_text_snippet), so what is found is what is highlighted.
 */
#ifndef CHAT_SEARCH_TEXT_H
#define CHAT_SEARCH_TEXT_H

#include "postgres.h"

#include "json_writer.h"

/*
 * What of a message is indexed: its first SEARCH_INDEXED_CHARS characters, and of them the first
 * SEARCH_TERMS_MAX terms, so a long message costs the index a bound.
 */
#define SEARCH_INDEXED_CHARS 16384
#define SEARCH_TERMS_MAX 8192
/* Words are cut to this many characters (a longer one is still found by its start). */
#define SEARCH_WORD_MAX 64
/* A query of at most this many characters and terms. */
#define SEARCH_QUERY_CHARS 200
#define SEARCH_QUERY_TERMS 16

/* The distinct-or-not terms of text (bytes, not terminated), palloc'd; *count of them. */
extern char **search_text_terms(const char *text, int length, int *count);

/*
 * The tsquery text that finds every term of a user's query (each word as a prefix, each
 * character pair of an unspaced script exactly), palloc'd; NULL when the query has no term.
 * Raises 22023 when it is longer than SEARCH_QUERY_CHARS.
 */
extern char *search_text_query(const char *query, int length);

/*
 * The snippet of text around the first place query matches, under key: an array of
 * {"text", "match"} parts (match: the part is what was searched for), with "…" where the text
 * goes on. The start of the text when nothing matches there.
 */
extern void search_text_snippet(JsonWriter *writer, const char *key, const char *text, int length,
								const char *query, int query_length);

#endif
