/*
 * search_estimate.c — the share of messages a search matches, as the planner would guess it for
 * a tsvector column: each term's frequency among the most common elements ANALYZE found (a
 * word's start sums the frequencies of the words it starts), half the least frequent of them for
 * a term not among them, and the terms taken as independent (all must match: their product).
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "tsearch/ts_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgrprotos.h"

#include "query.h"
#include "search_estimate.h"

static SavedQuery statistics = SAVED_QUERY(
	"SELECT c.reltuples::float8, s.most_common_elems::text::text[], s.most_common_elem_freqs, "
	"  (SELECT count(*) FROM chat.conversation_participants p WHERE p.user_id = $1)::float8 "
	"FROM pg_catalog.pg_class c "
	"LEFT JOIN pg_catalog.pg_stats s ON s.schemaname = 'chat' AND s.tablename = 'messages' "
	"  AND s.attname = 'search_vector' "
	"WHERE c.oid = 'chat.messages'::pg_catalog.regclass",
	UUIDOID);

/* The frequency of one term (a whole element, or the start of elements when prefix). */
static double
term_frequency(const char *term, int length, bool prefix, Datum *elements, int count,
			   const float4 *frequencies)
{
	double		sum = 0;

	for (int i = 0; i < count; i++)
	{
		text	   *element = DatumGetTextPP(elements[i]);
		int			element_length = VARSIZE_ANY_EXHDR(element);

		if ((prefix ? element_length >= length : element_length == length) &&
			memcmp(VARDATA_ANY(element), term, length) == 0)
			sum += frequencies[i];
	}
	/* after the elements, their least and greatest frequency (pg_statistic.h, MCELEM) */
	return sum > 0 ? Min(sum, 1.0) : frequencies[count] / 2;
}

bool
search_estimate(const char *tsquery, const pg_uuid_t *caller, SearchEstimate *estimate)
{
	Datum		values[1] = {UUIDPGetDatum(caller)};
	bool		null_elements;
	bool		null_frequencies;
	bool		isnull;
	Datum		elements_datum;
	Datum		frequencies_datum;
	Datum	   *elements;
	int			count;
	ArrayType  *frequencies;
	TSQuery		query;
	QueryItem  *item;

	if (query_run(&statistics, values, NULL, true) != 1)
		return false;
	estimate->messages = DatumGetFloat8(query_value(1, &isnull));
	elements_datum = query_value(2, &null_elements);
	frequencies_datum = query_value(3, &null_frequencies);
	estimate->conversations = DatumGetFloat8(query_value(4, &isnull));
	if (estimate->messages <= 0 || null_elements || null_frequencies)
		return false;

	deconstruct_array(DatumGetArrayTypeP(elements_datum), TEXTOID, -1, false, TYPALIGN_INT,
					  &elements, NULL, &count);
	frequencies = DatumGetArrayTypeP(frequencies_datum);
	if (ARR_NDIM(frequencies) != 1 || ARR_HASNULL(frequencies) ||
		ARR_ELEMTYPE(frequencies) != FLOAT4OID || ARR_DIMS(frequencies)[0] < count + 2)
		return false;

	query = DatumGetTSQuery(DirectFunctionCall1(tsqueryin, CStringGetDatum(tsquery)));
	estimate->share = 1;
	item = GETQUERY(query);
	for (int i = 0; i < query->size; i++, item++)
		if (item->type == QI_VAL)
			estimate->share *= term_frequency(GETOPERAND(query) + item->qoperand.distance,
											  item->qoperand.length, item->qoperand.prefix,
											  elements, count,
											  (const float4 *) ARR_DATA_PTR(frequencies));
	return true;
}
