/*
 * list_cursor.c — see list_cursor.h. Only what list_cursor_text writes is accepted: up to 18
 * digits, one underscore, a lower-case hyphenated uuid; anything else is 22023.
 */
#include "postgres.h"

#include "datatype/timestamp.h"
#include "utils/timestamp.h"

#include "list_cursor.h"

#define UNIX_EPOCH_OFFSET_USECS \
	((int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY)

static void
malformed_cursor(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("cursor is malformed"),
			 errhint("Pass back the nextCursor of the previous page unchanged.")));
}

static int
hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

char *
list_cursor_text(const ListCursor *cursor)
{
	char		id[UUID_LEN * 2 + 5];
	int			length = 0;

	for (int i = 0; i < UUID_LEN; i++)
	{
		if (i == 4 || i == 6 || i == 8 || i == 10)
			id[length++] = '-';
		length += sprintf(id + length, "%02x", cursor->id.data[i]);
	}
	return psprintf(INT64_FORMAT "_%s", (int64) cursor->updated_at + UNIX_EPOCH_OFFSET_USECS, id);
}

ListCursor
list_cursor_parse(const char *text)
{
	ListCursor	cursor = {.set = true};
	const char *p = text;
	int64		micros = 0;
	int			digits = 0;

	for (; *p >= '0' && *p <= '9' && digits < 18; p++, digits++)
		micros = micros * 10 + (*p - '0');
	if (digits == 0 || *p++ != '_' || strlen(p) != 36)
		malformed_cursor();
	for (int i = 0, byte = 0; i < 36; byte++)
	{
		int			high,
					low;

		if (i == 8 || i == 13 || i == 18 || i == 23)
		{
			if (p[i++] != '-')
				malformed_cursor();
		}
		high = hex_digit(p[i++]);
		low = hex_digit(p[i++]);
		if (high < 0 || low < 0)
			malformed_cursor();
		cursor.id.data[byte] = (unsigned char) (high << 4 | low);
	}
	cursor.updated_at = micros - UNIX_EPOCH_OFFSET_USECS;
	if (!IS_VALID_TIMESTAMP(cursor.updated_at))
		malformed_cursor();
	return cursor;
}
