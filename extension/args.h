/*
 * args.h — reading the arguments of the SQL API: a missing required argument is a clear 22023,
 * never a silent NULL result.
 */
#ifndef CHAT_ARGS_H
#define CHAT_ARGS_H

#include "postgres.h"
#include "fmgr.h"

/* Argument argno as a NUL-terminated string (palloc'd); raises 22023 "<name> is required" if NULL. */
extern char *arg_text(FunctionCallInfo fcinfo, int argno, const char *name);

/* Same, but NULL for a SQL null. */
extern char *arg_text_or_null(FunctionCallInfo fcinfo, int argno);

/* Argument argno as a Datum; raises 22023 "<name> is required" if NULL. */
extern Datum arg_required(FunctionCallInfo fcinfo, int argno, const char *name);

/* The tests behind the two checks below, for callers that answer instead of raising: whether
 * value has no ASCII control characters (newlines allowed when asked), and whether its bytes
 * hold at most max_chars characters. */
extern bool arg_is_printable(const char *value, bool allow_newlines);
extern bool arg_fits(const char *value, size_t bytes, int max_chars);

/* Raises 22023 if the string has ASCII control characters (newlines allowed when asked). */
extern void arg_check_printable(const char *value, const char *name, bool allow_newlines);

/* Raises 22001 when the string has more than max_chars characters. */
extern void arg_check_length(const char *value, const char *name, int max_chars);

/* A page's limit: argument argno, fallback when absent or null; 22023 unless 1 to max. */
extern int32 arg_limit(FunctionCallInfo fcinfo, int argno, int32 fallback, int32 max);

#endif
