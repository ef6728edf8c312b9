/*
 * json_writer.h — one set of calls that writes JSON either as text (for json results, which
 * PostgreSQL sends as they are) or as a jsonb value, so a shape is spelled out once for both.
 * Each call takes the key it is written under, or NULL inside an array and at the top.
 */
#ifndef CHAT_JSON_WRITER_H
#define CHAT_JSON_WRITER_H

#include "postgres.h"
#include "lib/stringinfo.h"
#include "datatype/timestamp.h"
#include "utils/jsonb.h"
#include "utils/uuid.h"

#define JSON_WRITER_DEPTH 8

typedef struct JsonWriter
{
	StringInfo	text;			/* the text written so far; NULL when writing jsonb */
	JsonbParseState *state;		/* jsonb: the containers open */
	JsonbValue *result;			/* jsonb: the value, once the outermost container is closed */
	int			depth;
	bool		empty[JSON_WRITER_DEPTH];	/* text: no member written yet at this depth */
} JsonWriter;

/* Writes text onto buffer (appended to, in its own memory context). */
extern void json_writer_text(JsonWriter *writer, StringInfo buffer);

/* Writes a jsonb value, found in writer->result when done (memory: CurrentMemoryContext). */
extern void json_writer_jsonb(JsonWriter *writer);

extern void json_begin_object(JsonWriter *writer, const char *key);
extern void json_end_object(JsonWriter *writer);
extern void json_begin_array(JsonWriter *writer, const char *key);
extern void json_end_array(JsonWriter *writer);

extern void json_null(JsonWriter *writer, const char *key);
extern void json_string(JsonWriter *writer, const char *key, const char *value, int length);
extern void json_int8(JsonWriter *writer, const char *key, int64 value);
extern void json_bool(JsonWriter *writer, const char *key, bool value);

/* A value already written as JSON text (text writers only). */
extern void json_raw(JsonWriter *writer, const char *key, const char *json, int length);

/* Lower-case hyphenated text, as uuid_out writes it. */
extern void json_uuid(JsonWriter *writer, const char *key, const pg_uuid_t *value);

/* ISO 8601 text in the session's time zone, as to_jsonb(timestamptz) writes it. */
extern void json_timestamptz(JsonWriter *writer, const char *key, TimestampTz value);

#endif
