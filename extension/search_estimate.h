/*
 * search_estimate.h — how many messages a search would match, from what ANALYZE keeps about
 * messages.search_vector (its most common terms and their frequencies), so search.c can choose
 * between reading the index's every match and walking the caller's chats newest first.
 */
#ifndef CHAT_SEARCH_ESTIMATE_H
#define CHAT_SEARCH_ESTIMATE_H

#include "postgres.h"

#include "utils/uuid.h"

typedef struct SearchEstimate
{
	double		messages;		/* messages in all (pg_class.reltuples) */
	double		share;			/* the share of them the query matches */
	double		conversations;	/* the caller's conversations */
} SearchEstimate;

/*
 * The estimate for the tsquery text (search_text_query's) and the caller, within SPI; false when
 * the statistics are missing (the table never analyzed), and then nothing is known.
 */
extern bool search_estimate(const char *tsquery, const pg_uuid_t *caller, SearchEstimate *estimate);

#endif
