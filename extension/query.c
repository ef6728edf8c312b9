/*
 * query.c — saved SPI plans, so no statement of the extension is parsed or planned twice in a
 * backend, and no SQL is ever built from strings: every value is a bound parameter.
 */
#include "postgres.h"

#include "query.h"
#include "schema.h"

/*
 * A query may hold parts that need the attachments of 1.7: between QUERY_1_7_BEGIN and
 * QUERY_1_7_END (json.h). On an older schema they are cut out before the query is prepared, and
 * a plan made for one schema is made again when the schema changes under the session (ALTER
 * EXTENSION UPDATE), so one text serves every version.
 */
static char *
query_text(const char *sql, bool with_1_7)
{
	StringInfoData out;
	const char *at = sql;
	const char *begin;

	if (with_1_7)
		return pstrdup(sql);
	initStringInfo(&out);
	while ((begin = strstr(at, QUERY_1_7_BEGIN)) != NULL)
	{
		const char *end = strstr(begin, QUERY_1_7_END);

		if (end == NULL)
			elog(ERROR, "unbalanced 1.7 part in \"%s\"", sql);
		appendBinaryStringInfo(&out, at, begin - at);
		at = end + strlen(QUERY_1_7_END);
	}
	appendStringInfoString(&out, at);
	return out.data;
}

uint64
query_run(SavedQuery *query, Datum *values, const char *nulls, bool read_only)
{
	int			result;
	int8		variant = 0;	/* 0: no 1.7 part; 1: prepared without it; 2: with it */

	if (query->variant != 0 || (query->plan == NULL && strstr(query->sql, QUERY_1_7_BEGIN)))
		variant = schema_has_attachments() ? 2 : 1;
	if (query->plan != NULL && variant != query->variant)
	{
		SPI_freeplan(query->plan);
		query->plan = NULL;
	}
	if (query->plan == NULL)
	{
		/*
		 * Our statements are key lookups whose best plan doesn't depend on the values, so a
		 * generic plan spares the planner on every call (the plan cache would otherwise plan
		 * the first five calls of each backend afresh, and keep re-costing them).
		 */
		char	   *text = variant ? query_text(query->sql, variant == 2) : (char *) query->sql;
		SPIPlanPtr	plan = SPI_prepare_cursor(text, query->nargs, query->argtypes,
											  query->custom_plan ? 0 : CURSOR_OPT_GENERIC_PLAN);

		if (plan == NULL)
			elog(ERROR, "could not prepare \"%s\": %s", query->sql, SPI_result_code_string(SPI_result));
		if (SPI_keepplan(plan) != 0)
			elog(ERROR, "could not keep the plan of \"%s\"", query->sql);
		query->plan = plan;
		query->variant = variant;
	}
	result = SPI_execute_plan(query->plan, values, nulls, read_only, 0);
	if (result < 0)
		elog(ERROR, "\"%s\" failed: %s", query->sql, SPI_result_code_string(result));
	return SPI_processed;
}

Datum
query_value(int column, bool *isnull)
{
	Assert(SPI_processed > 0);
	return SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, column, isnull);
}

Datum
query_value_copy(int column, bool *isnull)
{
	Datum		value = query_value(column, isnull);

	if (*isnull)
		return (Datum) 0;
	return SPI_datumTransfer(value, false, -1);
}

Datum
query_first_copy(SavedQuery *query, Datum *values, const char *nulls, bool read_only, bool *isnull)
{
	if (query_run(query, values, nulls, read_only) == 0)
	{
		*isnull = true;
		return (Datum) 0;
	}
	return query_value_copy(1, isnull);
}

Datum
query_once(SavedQuery *query, Datum *values, bool *isnull)
{
	Datum		result;

	SPI_connect();
	result = query_first_copy(query, values, NULL, true, isnull);
	SPI_finish();
	return result;
}
