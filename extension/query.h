/*
 * query.h — SPI with plans prepared once per backend: each query of the extension is a static
 * SavedQuery whose plan is made on first use and kept (SPI_keepplan). Callers hold an SPI connection.
 */
#ifndef CHAT_QUERY_H
#define CHAT_QUERY_H

#include "postgres.h"
#include "executor/spi.h"

#define QUERY_MAX_ARGS 10

typedef struct SavedQuery
{
	const char *sql;
	int			nargs;
	Oid			argtypes[QUERY_MAX_ARGS];
	/* planned for each call's values (e.g. a LIKE prefix); else one generic plan for good */
	bool		custom_plan;
	SPIPlanPtr	plan;			/* prepared on first use, kept for the backend's life */
	int8		variant;		/* 0, or which schema the plan's 1.7 parts were made for */
} SavedQuery;

/*
 * Text a query holds only on a 1.7 schema (attachments, forwards; the step adds both at once):
 * query.c cuts it out on an older one.
 */
#define QUERY_1_7_BEGIN "/*1.7{*/"
#define QUERY_1_7_END "/*}1.7*/"

/* static SavedQuery q = SAVED_QUERY("SELECT ... $1 ...", UUIDOID); */
#define SAVED_QUERY(text, ...) \
	{ .sql = (text), .nargs = lengthof(((Oid[]) {__VA_ARGS__})), .argtypes = {__VA_ARGS__} }
/* static SavedQuery q = SAVED_QUERY_NO_ARGS("SELECT ... FROM ... WHERE id = 1"); */
#define SAVED_QUERY_NO_ARGS(text) { .sql = (text), .nargs = 0 }
#define SAVED_QUERY_CUSTOM_PLAN(text, ...) \
	{ .sql = (text), .nargs = lengthof(((Oid[]) {__VA_ARGS__})), .argtypes = {__VA_ARGS__}, \
	  .custom_plan = true }

/*
 * Runs the query with its arguments (nulls: NULL, or a string with 'n' for each null argument)
 * and returns the number of rows, left in SPI_tuptable. Raises on any SPI failure.
 */
extern uint64 query_run(SavedQuery *query, Datum *values, const char *nulls, bool read_only);

/* Column (1-based) of row 0 of the last result; *isnull tells a SQL null. */
extern Datum query_value(int column, bool *isnull);

/* query_value of a varlena (jsonb, text), copied out of SPI into the caller's memory context. */
extern Datum query_value_copy(int column, bool *isnull);

/* Convenience: runs the query, and returns row 0's first column copied out, or null. */
extern Datum query_first_copy(SavedQuery *query, Datum *values, const char *nulls, bool read_only,
							  bool *isnull);

/*
 * For functions whose whole work is one read: opens SPI, runs the query read-only, and returns
 * row 0's first column copied out (isnull when no row), then closes SPI.
 */
extern Datum query_once(SavedQuery *query, Datum *values, bool *isnull);

#endif
