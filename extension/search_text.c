/*
 * search_text.c — cutting text into search terms (see search_text.h). Text is first decoded into
 * characters, each folded (lower case, Latin and Greek accents and combining marks dropped) and
 * classed; terms, queries and snippets all read that one decoding.
 */
#include "postgres.h"

#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"

#include "search_text.h"

typedef enum CharClass
{
	CHAR_SEPARATOR,				/* spaces, punctuation, symbols, emoji */
	CHAR_WORD,					/* a letter or digit of a spaced script */
	CHAR_UNSPACED,				/* a character of a script written without spaces */
	CHAR_MARK					/* a combining mark: part of its word, dropped from terms */
} CharClass;

typedef struct Char
{
	pg_wchar	folded;
	CharClass	class;
	int			offset;			/* in the text, in bytes */
	int			bytes;
} Char;

/* A term of a query: a word matched as a prefix, or a run of unspaced characters. */
typedef struct QueryTerm
{
	CharClass	class;
	int			length;
	pg_wchar	chars[SEARCH_QUERY_CHARS];
} QueryTerm;

static bool
in(pg_wchar c, pg_wchar first, pg_wchar last)
{
	return c >= first && c <= last;
}

static CharClass
char_class(pg_wchar c)
{
	if (c < 0x80)
		return ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
			? CHAR_WORD : CHAR_SEPARATOR;
	if (c < 0xC0 || c == 0xD7 || c == 0xF7)
		return CHAR_SEPARATOR;
	if (in(c, 0x0300, 0x036F))
		return CHAR_MARK;
	if (in(c, 0x0E00, 0x0EFF) || in(c, 0x1000, 0x109F) || in(c, 0x1100, 0x11FF) ||
		in(c, 0x1780, 0x17FF) || in(c, 0x2E80, 0x2FDF) || in(c, 0x3005, 0x3007) ||
		in(c, 0x3040, 0x31FF) || in(c, 0x3400, 0x4DBF) || in(c, 0x4E00, 0x9FFF) ||
		in(c, 0xA960, 0xA97F) || in(c, 0xAC00, 0xD7FF) || in(c, 0xF900, 0xFAFF) ||
		in(c, 0xFF66, 0xFF9F) || in(c, 0x20000, 0x3FFFF))
		return CHAR_UNSPACED;
	if (in(c, 0x2000, 0x206F) || in(c, 0x20A0, 0x2BFF) || in(c, 0x2E00, 0x2E7F) ||
		in(c, 0x3000, 0x303F) || in(c, 0xFE00, 0xFE6F) || in(c, 0xFF00, 0xFF0F) ||
		in(c, 0xFF1A, 0xFF20) || in(c, 0xFF3B, 0xFF40) || in(c, 0xFF5B, 0xFF65) ||
		in(c, 0xFFF0, 0xFFFF) || in(c, 0x1F000, 0x1FAFF) || in(c, 0xE0000, 0xE007F))
		return CHAR_SEPARATOR;
	return CHAR_WORD;
}

/* Latin-1 letters (from U+00C0) without their accents, lower case; 0 for those kept as they are. */
static const char latin1_base[64] =
	"aaaaaa\0ceeeeiiii\0nooooo\0ouuuuy\0\0"
	"aaaaaa\0ceeeeiiii\0nooooo\0ouuuuy\0y";

/* Greek vowels with tonos or dialytika (U+0386 to U+03CE, lower-cased first) without them. */
static pg_wchar
greek_base(pg_wchar c)
{
	switch (c)
	{
		case 0x03AC: return 0x03B1;
		case 0x03AD: return 0x03B5;
		case 0x03AE: return 0x03B7;
		case 0x03AF: case 0x0390: case 0x03CA: return 0x03B9;
		case 0x03CC: return 0x03BF;
		case 0x03CD: case 0x03B0: case 0x03CB: return 0x03C5;
		case 0x03CE: return 0x03C9;
		case 0x03C2: return 0x03C3;	/* final sigma */
		default: return c;
	}
}

/* Lower case without accents for the scripts most messages are written in; others as they are. */
static pg_wchar
char_fold(pg_wchar c)
{
	if (c >= 'A' && c <= 'Z')
		return c + 0x20;
	if (in(c, 0xC0, 0xFF))
		return latin1_base[c - 0xC0] ? (pg_wchar) latin1_base[c - 0xC0] : (c <= 0xDE ? c + 0x20 : c);
	if (in(c, 0x0100, 0x0137) || in(c, 0x014A, 0x0177))
		return c | 1;
	if (in(c, 0x0139, 0x0148) || in(c, 0x0179, 0x017E))
		return (c & 1) ? c + 1 : c;
	if (c == 0x0386)
		return 0x03B1;
	if (in(c, 0x0388, 0x038A))
		return greek_base(c + 0x25);
	if (c == 0x038C)
		return 0x03BF;
	if (in(c, 0x038E, 0x038F))
		return greek_base(c + 0x3F);
	if (in(c, 0x0391, 0x03AB) && c != 0x03A2)
		return greek_base(c + 0x20);
	if (in(c, 0x03AC, 0x03CE) || c == 0x0390)
		return greek_base(c);
	if (in(c, 0x0410, 0x042F))
		return c + 0x20;
	if (in(c, 0x0400, 0x040F))
		return c + 0x50;
	if (in(c, 0x0531, 0x0556))
		return c + 0x30;
	if (in(c, 0xFF10, 0xFF19) || in(c, 0xFF41, 0xFF5A))
		return c - 0xFEE0;		/* full-width digits and letters */
	if (in(c, 0xFF21, 0xFF3A))
		return c - 0xFEE0 + 0x20;
	return c;
}

/*
 * The characters of text, at most max of them. A database not in UTF-8 has its ASCII letters
 * and digits found, other bytes taken as separators.
 */
static Char *
decode(const char *text, int length, int max, int *count)
{
	Char	   *chars = palloc(sizeof(Char) * Min(length, max) + sizeof(Char));
	bool		utf8 = GetDatabaseEncoding() == PG_UTF8;
	int			n = 0;
	int			at = 0;

	while (at < length && n < max)
	{
		const unsigned char *p = (const unsigned char *) text + at;
		int			bytes = utf8 ? pg_utf_mblen(p) : 1;
		pg_wchar	c;

		if (bytes > length - at)
			break;
		c = (utf8 && bytes > 1) ? utf8_to_unicode(p) : (*p < 0x80 ? *p : 0x20);
		chars[n].class = char_class(c);
		chars[n].folded = char_fold(c);
		chars[n].offset = at;
		chars[n].bytes = bytes;
		n++;
		at += bytes;
	}
	*count = n;
	return chars;
}

static void
append_char(StringInfo out, pg_wchar c)
{
	unsigned char utf8[8];

	if (GetDatabaseEncoding() != PG_UTF8)
	{
		appendStringInfoChar(out, (char) c);
		return;
	}
	unicode_to_utf8(c, utf8);
	appendBinaryStringInfo(out, (char *) utf8, pg_utf_mblen(utf8));
}

/* The word starting at chars[*at] (folded, marks dropped, at most SEARCH_WORD_MAX characters);
 * *at moves past all of it. */
static int
word_at(const Char *chars, int count, int *at, pg_wchar *word)
{
	int			length = 0;

	for (; *at < count && (chars[*at].class == CHAR_WORD || chars[*at].class == CHAR_MARK); (*at)++)
		if (chars[*at].class == CHAR_WORD && length < SEARCH_WORD_MAX)
			word[length++] = chars[*at].folded;
	return length;
}

static char *
term_text(const pg_wchar *chars, int length)
{
	StringInfoData out;

	initStringInfo(&out);
	for (int i = 0; i < length; i++)
		append_char(&out, chars[i]);
	return out.data;
}

char **
search_text_terms(const char *text, int length, int *count)
{
	int			char_count;
	Char	   *chars = decode(text, length, SEARCH_INDEXED_CHARS, &char_count);
	char	  **terms = palloc(sizeof(char *) * SEARCH_TERMS_MAX);
	pg_wchar	word[SEARCH_WORD_MAX];
	int			n = 0;
	int			at = 0;

	while (at < char_count && n < SEARCH_TERMS_MAX)
	{
		if (chars[at].class == CHAR_WORD)
		{
			int			word_length = word_at(chars, char_count, &at, word);

			terms[n++] = term_text(word, word_length);
			continue;
		}
		if (chars[at].class == CHAR_UNSPACED)
		{
			terms[n++] = term_text(&chars[at].folded, 1);
			if (at + 1 < char_count && chars[at + 1].class == CHAR_UNSPACED && n < SEARCH_TERMS_MAX)
			{
				pg_wchar	pair[2] = {chars[at].folded, chars[at + 1].folded};

				terms[n++] = term_text(pair, 2);
			}
		}
		at++;
	}
	*count = n;
	return terms;
}

/* The terms of a query, at most SEARCH_QUERY_TERMS; raises when the query is too long. */
static QueryTerm *
query_terms(const char *query, int length, int *count)
{
	int			char_count;
	Char	   *chars = decode(query, length, SEARCH_QUERY_CHARS + 1, &char_count);
	QueryTerm  *terms = palloc(sizeof(QueryTerm) * SEARCH_QUERY_TERMS);
	int			n = 0;
	int			at = 0;

	if (char_count > SEARCH_QUERY_CHARS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("query must be at most %d characters", SEARCH_QUERY_CHARS)));
	while (at < char_count && n < SEARCH_QUERY_TERMS)
	{
		QueryTerm  *term = &terms[n];

		term->class = chars[at].class;
		term->length = 0;
		if (term->class == CHAR_WORD)
			term->length = word_at(chars, char_count, &at, term->chars);
		else if (term->class == CHAR_UNSPACED)
			for (; at < char_count && chars[at].class == CHAR_UNSPACED; at++)
				term->chars[term->length++] = chars[at].folded;
		else
			at++;
		if (term->length > 0)
			n++;
	}
	*count = n;
	return terms;
}

/* Appends a tsquery lexeme, quoted. */
static void
append_lexeme(StringInfo out, const pg_wchar *chars, int length)
{
	char	   *text = term_text(chars, length);

	if (out->len > 0)
		appendStringInfoString(out, " & ");
	appendStringInfoChar(out, '\'');
	for (const char *p = text; *p; p++)
	{
		if (*p == '\'' || *p == '\\')
			appendStringInfoChar(out, *p);
		appendStringInfoChar(out, *p);
	}
	appendStringInfoChar(out, '\'');
}

char *
search_text_query(const char *query, int length)
{
	int			count;
	QueryTerm  *terms = query_terms(query, length, &count);
	StringInfoData out;

	if (count == 0)
		return NULL;
	initStringInfo(&out);
	for (int i = 0; i < count; i++)
	{
		QueryTerm  *term = &terms[i];

		if (term->class == CHAR_WORD)
		{
			append_lexeme(&out, term->chars, term->length);
			appendStringInfoString(&out, ":*");
		}
		else if (term->length == 1)
			append_lexeme(&out, term->chars, 1);
		else
			for (int c = 0; c + 1 < term->length; c++)
				append_lexeme(&out, term->chars + c, 2);
	}
	return out.data;
}

/* Whether term matches at chars[at]; *end is then just past the match. */
static bool
term_matches(const QueryTerm *term, const Char *chars, int count, int at, int *end)
{
	int			k = 0;

	if (chars[at].class != term->class)
		return false;
	if (term->class == CHAR_WORD)
	{
		/* a word matches at a word's start, as a prefix */
		for (int before = at - 1; before >= 0; before--)
		{
			if (chars[before].class == CHAR_MARK)
				continue;
			if (chars[before].class == CHAR_WORD)
				return false;
			break;
		}
	}
	for (; at < count && k < term->length; at++)
	{
		if (chars[at].class == CHAR_MARK && term->class == CHAR_WORD)
			continue;
		if (chars[at].class != term->class || chars[at].folded != term->chars[k])
			return false;
		k++;
	}
	/* a word's combining marks go with it */
	while (at < count && chars[at].class == CHAR_MARK)
		at++;
	*end = at;
	return k == term->length;
}

/*
 * Characters of context shown before the first match, and in all; a cut moves to the nearest
 * word boundary within SNIPPET_SLACK characters.
 */
#define SNIPPET_BEFORE 24
#define SNIPPET_CHARS 160
#define SNIPPET_SLACK 12

static bool
inside_word(const Char *chars, int at)
{
	return chars[at].class != CHAR_SEPARATOR && chars[at - 1].class != CHAR_SEPARATOR;
}

/* Where the snippet starts: the text's start if the match is near it, else a word's start. */
static int
snippet_start(const Char *chars, int first)
{
	int			start;

	if (first <= SNIPPET_BEFORE + SNIPPET_SLACK)
		return 0;
	start = first - SNIPPET_BEFORE;
	for (int moved = 0; moved < SNIPPET_SLACK && start < first && inside_word(chars, start); moved++)
		start++;
	while (start < first && chars[start].class == CHAR_SEPARATOR && chars[start].folded == ' ')
		start++;
	return start;
}

/* Where the snippet stops: the text's end if near it, else a word's end. */
static int
snippet_stop(const Char *chars, int count, int start)
{
	int			stop = start + SNIPPET_CHARS;

	if (stop + SNIPPET_SLACK >= count)
		return count;
	for (int moved = 0; moved < SNIPPET_SLACK && inside_word(chars, stop); moved++)
		stop--;
	while (stop > start + 1 && chars[stop - 1].folded == ' ')
		stop--;
	return stop;
}

static void
snippet_part(JsonWriter *writer, StringInfo part, bool match)
{
	if (part->len == 0)
		return;
	json_begin_object(writer, NULL);
	json_string(writer, "text", part->data, part->len);
	json_bool(writer, "match", match);
	json_end_object(writer);
	resetStringInfo(part);
}

void
search_text_snippet(JsonWriter *writer, const char *key, const char *text, int length,
					const char *query, int query_length)
{
	int			count;
	int			term_count;
	Char	   *chars = decode(text, length, length, &count);
	QueryTerm  *terms = query_terms(query, query_length, &term_count);
	bool	   *hit = palloc0(sizeof(bool) * (count + 1));
	int			first = -1;
	int			start;
	int			stop;
	bool		matching = false;
	StringInfoData part;

	for (int at = 0; at < count; at++)
		for (int t = 0; t < term_count; t++)
		{
			int			end;

			if (!term_matches(&terms[t], chars, count, at, &end))
				continue;
			if (first < 0)
				first = at;
			for (int i = at; i < end; i++)
				hit[i] = true;
		}
	start = first > 0 ? snippet_start(chars, first) : 0;
	stop = snippet_stop(chars, count, start);

	initStringInfo(&part);
	json_begin_array(writer, key);
	if (start > 0)
		appendStringInfoString(&part, "…");
	for (int at = start; at < stop; at++)
	{
		if (hit[at] != matching)
		{
			snippet_part(writer, &part, matching);
			matching = hit[at];
		}
		appendBinaryStringInfo(&part, text + chars[at].offset, chars[at].bytes);
	}
	if (stop < count)
	{
		if (matching)
		{
			snippet_part(writer, &part, matching);
			matching = false;
		}
		appendStringInfoString(&part, "…");
	}
	snippet_part(writer, &part, matching);
	json_end_array(writer);
}
