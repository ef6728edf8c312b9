/*
 * query.c — saved SPI plans, so no statement of the extension is parsed or planned twice in a
 * backend, and no SQL is ever built from strings: every value is a bound parameter.
 */
#include "postgres.h"

#include "query.h"
#include "schema.h"

/*
 * The text with its SINCE_1_7 comments opened (their marks made spaces, so error positions
 * still match the text as written). palloc'd: the plan keeps its own copy.
 */
static char *
opened_1_7(const char *sql)
{
	char	   *text = pstrdup(sql);
	char	   *mark;

	while ((mark = strstr(text, SINCE_1_7_OPEN)) != NULL)
		memset(mark, ' ', strlen(SINCE_1_7_OPEN));
	while ((mark = strstr(text, SINCE_1_7_CLOSE)) != NULL)
		memset(mark, ' ', strlen(SINCE_1_7_CLOSE));
	return text;
}

static SPIPlanPtr
prepare(SavedQuery *query, const char *sql)
{
	/*
	 * Our statements are key lookups whose best plan doesn't depend on the values, so a generic
	 * plan spares the planner on every call (the plan cache would otherwise plan the first five
	 * calls of each backend afresh, and keep re-costing them).
	 */
	SPIPlanPtr	plan = SPI_prepare_cursor(sql, query->nargs, query->argtypes,
										  query->custom_plan ? 0 : CURSOR_OPT_GENERIC_PLAN);

	if (plan == NULL)
		elog(ERROR, "could not prepare \"%s\": %s", sql, SPI_result_code_string(SPI_result));
	if (SPI_keepplan(plan) != 0)
		elog(ERROR, "could not keep the plan of \"%s\"", sql);
	return plan;
}

uint64
query_run(SavedQuery *query, Datum *values, const char *nulls, bool read_only)
{
	SPIPlanPtr *plan = &query->plan;
	int			result;

	if (!query->scanned)
	{
		query->since_1_7 = strstr(query->sql, SINCE_1_7_OPEN) != NULL;
		query->scanned = true;
	}
	/* asked on each call, as schema.h does: an updated extension is served at once */
	if (query->since_1_7 && schema_has_forwarded())
	{
		plan = &query->plan_1_7;
		if (*plan == NULL)
			*plan = prepare(query, opened_1_7(query->sql));
	}
	else if (*plan == NULL)
		*plan = prepare(query, query->sql);
	result = SPI_execute_plan(*plan, values, nulls, read_only, 0);
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
