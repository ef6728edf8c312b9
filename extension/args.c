/*
 * args.c — argument checks shared by the SQL API.
 */
#include "postgres.h"

#include "mb/pg_wchar.h"
#include "utils/builtins.h"

#include "args.h"

Datum
arg_required(FunctionCallInfo fcinfo, int argno, const char *name)
{
	if (PG_NARGS() <= argno || PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s is required", name)));
	return PG_GETARG_DATUM(argno);
}

char *
arg_text(FunctionCallInfo fcinfo, int argno, const char *name)
{
	return TextDatumGetCString(arg_required(fcinfo, argno, name));
}

char *
arg_text_or_null(FunctionCallInfo fcinfo, int argno)
{
	if (PG_NARGS() <= argno || PG_ARGISNULL(argno))
		return NULL;
	return TextDatumGetCString(PG_GETARG_DATUM(argno));
}

bool
arg_is_printable(const char *value, bool allow_newlines)
{
	for (const unsigned char *c = (const unsigned char *) value; *c; c++)
	{
		if ((*c < 0x20 && !(allow_newlines && (*c == '\n' || *c == '\t'))) || *c == 0x7f)
			return false;
	}
	return true;
}

bool
arg_fits(const char *value, size_t bytes, int max_chars)
{
	/* a quick byte bound first, so an enormous value isn't walked character by character */
	return bytes <= (size_t) max_chars ||
		(bytes <= (size_t) max_chars * MAX_MULTIBYTE_CHAR_LEN &&
		 pg_mbstrlen_with_len(value, bytes) <= max_chars);
}

void
arg_check_printable(const char *value, const char *name, bool allow_newlines)
{
	if (!arg_is_printable(value, allow_newlines))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not contain control characters", name)));
}

void
arg_check_length(const char *value, const char *name, int max_chars)
{
	if (!arg_fits(value, strlen(value), max_chars))
		ereport(ERROR,
				(errcode(ERRCODE_STRING_DATA_RIGHT_TRUNCATION),
				 errmsg("%s must be at most %d characters", name, max_chars)));
}

int32
arg_limit(FunctionCallInfo fcinfo, int argno, int32 fallback, int32 max)
{
	int32		limit = (PG_NARGS() > argno && !PG_ARGISNULL(argno)) ? PG_GETARG_INT32(argno) : fallback;

	if (limit < 1 || limit > max)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("limit must be 1 to %d", max)));
	return limit;
}
