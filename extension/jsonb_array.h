/*
 * jsonb_array.h — a jsonb array assembled from elements already serialised, by copying their
 * bytes: pushJsonbValue would unpack every element into JsonbValues and serialise it again.
 */
#ifndef CHAT_JSONB_ARRAY_H
#define CHAT_JSONB_ARRAY_H

#include "postgres.h"
#include "lib/stringinfo.h"
#include "utils/jsonb.h"

typedef struct JsonbArrayBuilder
{
	StringInfoData buffer;		/* the varlena being built: header, JEntries, then data */
	int			count;			/* elements the array will hold, fixed at the start */
	int			added;
	int			data_start;		/* offset of the data area in buffer */
} JsonbArrayBuilder;

/*
 * Starts an array of exactly count elements; its memory (and the result's) is taken from
 * CurrentMemoryContext. size_hint: the expected bytes of all the elements.
 */
extern void jsonb_array_start(JsonbArrayBuilder *builder, int count, Size size_hint);

/* Appends a copy of element, which must be an object or an array (not a scalar). */
extern void jsonb_array_add(JsonbArrayBuilder *builder, const Jsonb *element);

/* The finished array, in the start's memory context; every element must have been added. */
extern Jsonb *jsonb_array_finish(JsonbArrayBuilder *builder);

#endif
