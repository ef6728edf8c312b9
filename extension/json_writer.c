/*
 * json_writer.c — see json_writer.h. Values are written as to_jsonb would render them, so
 * a client can't tell which of the two a function used.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/timestamp.h"
#include "utils/json.h"
#include "utils/numeric.h"

#include "json_writer.h"

void
json_writer_text(JsonWriter *writer, StringInfo buffer)
{
	memset(writer, 0, sizeof(*writer));
	writer->text = buffer;
}

void
json_writer_jsonb(JsonWriter *writer)
{
	memset(writer, 0, sizeof(*writer));
}

/* escape_json for a string that need not end in NUL: quotes, backslashes, control characters */
static void
append_quoted(StringInfo buffer, const char *value, int length)
{
	const char *end = value + length;
	const char *run = value;

	appendStringInfoCharMacro(buffer, '"');
	for (const char *p = value; p < end; p++)
	{
		unsigned char c = (unsigned char) *p;

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		appendBinaryStringInfo(buffer, run, p - run);
		run = p + 1;
		switch (c)
		{
			case '"': appendStringInfoString(buffer, "\\\""); break;
			case '\\': appendStringInfoString(buffer, "\\\\"); break;
			case '\b': appendStringInfoString(buffer, "\\b"); break;
			case '\f': appendStringInfoString(buffer, "\\f"); break;
			case '\n': appendStringInfoString(buffer, "\\n"); break;
			case '\r': appendStringInfoString(buffer, "\\r"); break;
			case '\t': appendStringInfoString(buffer, "\\t"); break;
			default: appendStringInfo(buffer, "\\u%04x", c); break;
		}
	}
	appendBinaryStringInfo(buffer, run, end - run);
	appendStringInfoCharMacro(buffer, '"');
}

/* Text: the comma and key before a member. Jsonb: the key. */
static void
member(JsonWriter *writer, const char *key)
{
	if (writer->text == NULL)
	{
		if (key != NULL)
		{
			JsonbValue	k = {.type = jbvString, .val.string = {(int) strlen(key), (char *) key}};

			pushJsonbValue(&writer->state, WJB_KEY, &k);
		}
		return;
	}
	if (writer->depth > 0 && !writer->empty[writer->depth])
		appendStringInfoCharMacro(writer->text, ',');
	writer->empty[writer->depth] = false;
	if (key != NULL)
	{
		/* keys are the extension's own literals, with nothing to escape */
		appendStringInfoCharMacro(writer->text, '"');
		appendStringInfoString(writer->text, key);
		appendBinaryStringInfo(writer->text, "\":", 2);
	}
}

/* A string known to need no escaping (ids, timestamps): copied between quotes. */
static void
plain_string(JsonWriter *writer, const char *key, const char *text, int length)
{
	if (writer->text == NULL)
	{
		json_string(writer, key, text, length);
		return;
	}
	member(writer, key);
	enlargeStringInfo(writer->text, length + 2);
	writer->text->data[writer->text->len++] = '"';
	memcpy(writer->text->data + writer->text->len, text, length);
	writer->text->len += length;
	writer->text->data[writer->text->len++] = '"';
	writer->text->data[writer->text->len] = '\0';
}

static void
scalar(JsonWriter *writer, const char *key, JsonbValue *value)
{
	member(writer, key);
	pushJsonbValue(&writer->state, key ? WJB_VALUE : WJB_ELEM, value);
}

static void
begin(JsonWriter *writer, const char *key, JsonbIteratorToken token, char open)
{
	member(writer, key);
	if (writer->depth + 1 >= JSON_WRITER_DEPTH)
		elog(ERROR, "JSON nested too deeply for the writer");
	writer->depth++;
	if (writer->text)
	{
		appendStringInfoCharMacro(writer->text, open);
		writer->empty[writer->depth] = true;
	}
	else
		pushJsonbValue(&writer->state, token, NULL);
}

static void
end(JsonWriter *writer, JsonbIteratorToken token, char close)
{
	writer->depth--;
	if (writer->text)
		appendStringInfoCharMacro(writer->text, close);
	else
		writer->result = pushJsonbValue(&writer->state, token, NULL);
}

void
json_begin_object(JsonWriter *writer, const char *key)
{
	begin(writer, key, WJB_BEGIN_OBJECT, '{');
}

void
json_end_object(JsonWriter *writer)
{
	end(writer, WJB_END_OBJECT, '}');
}

void
json_begin_array(JsonWriter *writer, const char *key)
{
	begin(writer, key, WJB_BEGIN_ARRAY, '[');
}

void
json_end_array(JsonWriter *writer)
{
	end(writer, WJB_END_ARRAY, ']');
}

void
json_null(JsonWriter *writer, const char *key)
{
	JsonbValue	value = {.type = jbvNull};

	if (writer->text == NULL)
	{
		scalar(writer, key, &value);
		return;
	}
	member(writer, key);
	appendStringInfoString(writer->text, "null");
}

void
json_string(JsonWriter *writer, const char *key, const char *text, int length)
{
	JsonbValue	value = {.type = jbvString, .val.string = {length, (char *) text}};

	if (writer->text == NULL)
	{
		scalar(writer, key, &value);
		return;
	}
	member(writer, key);
	append_quoted(writer->text, text, length);
}

void
json_int8(JsonWriter *writer, const char *key, int64 number)
{
	JsonbValue	value = {.type = jbvNumeric};
	char		digits[MAXINT8LEN + 1];

	if (writer->text == NULL)
	{
		value.val.numeric = int64_to_numeric(number);
		scalar(writer, key, &value);
		return;
	}
	member(writer, key);
	appendBinaryStringInfo(writer->text, digits, pg_lltoa(number, digits));
}

void
json_bool(JsonWriter *writer, const char *key, bool truth)
{
	JsonbValue	value = {.type = jbvBool, .val.boolean = truth};

	if (writer->text == NULL)
	{
		scalar(writer, key, &value);
		return;
	}
	member(writer, key);
	appendStringInfoString(writer->text, truth ? "true" : "false");
}

void
json_raw(JsonWriter *writer, const char *key, const char *json, int length)
{
	if (writer->text == NULL)
		elog(ERROR, "json_raw writes text only");
	member(writer, key);
	appendBinaryStringInfo(writer->text, json, length);
}

void
json_uuid(JsonWriter *writer, const char *key, const pg_uuid_t *uuid)
{
	static const char hex[] = "0123456789abcdef";
	char		buffer[36];
	char	   *text = writer->text ? buffer : palloc(sizeof(buffer));
	int			length = 0;

	for (int i = 0; i < UUID_LEN; i++)
	{
		if (i == 4 || i == 6 || i == 8 || i == 10)
			text[length++] = '-';
		text[length++] = hex[uuid->data[i] >> 4];
		text[length++] = hex[uuid->data[i] & 0x0f];
	}
	plain_string(writer, key, text, length);
}

void
json_timestamptz(JsonWriter *writer, const char *key, TimestampTz timestamp)
{
	char		buffer[MAXDATELEN + 1];
	char	   *text;

	JsonEncodeDateTime(buffer, TimestampTzGetDatum(timestamp), TIMESTAMPTZOID, NULL);
	/* a jsonb value keeps pointing at the string until it is serialised */
	text = writer->text ? buffer : pstrdup(buffer);
	plain_string(writer, key, text, strlen(text));
}
