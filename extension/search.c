/*
 * search.c — full-text search over the messages of the caller's own conversations (1.5).
 * messages.search_vector holds each message's terms (chat.search_terms, search_text.h), indexed
 * by GIN (messages_search_idx); a query is cut the same way and matched against it, newest first,
 * by keyset pages.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "args.h"
#include "json.h"
#include "json_writer.h"
#include "query.h"
#include "schema.h"
#include "search_estimate.h"
#include "search_text.h"
#include "users.h"

#define RESULTS_DEFAULT 20
#define RESULTS_MAX 50

PG_FUNCTION_INFO_V1(chat_search_terms);

/*
 * chat.search_terms(content) -> text[]: the terms content is found by. Immutable: the column
 * messages.search_vector is made of it, so changing what it answers means recomputing that column.
 */
Datum
chat_search_terms(PG_FUNCTION_ARGS)
{
	text	   *content = PG_GETARG_TEXT_PP(0);
	int			count;
	char	  **terms = search_text_terms(VARDATA_ANY(content), VARSIZE_ANY_EXHDR(content), &count);
	Datum	   *items = palloc(sizeof(Datum) * (count + 1));

	for (int i = 0; i < count; i++)
		items[i] = CStringGetTextDatum(terms[i]);
	PG_RETURN_ARRAYTYPE_P(construct_array(items, count, TEXTOID, -1, false, TYPALIGN_INT));
}

/*
 * Where a page of results starts: just after the message (created_at, conversation_id, seq) in
 * result order. Messages of one transaction share created_at (a batch of sends), so the
 * conversation and seq break the tie. Clients see it as the opaque text
 * "<created_at in microseconds since 2000>_<conversation id>_<seq>".
 */
typedef struct SearchCursor
{
	bool		set;
	TimestampTz created_at;
	pg_uuid_t	conversation_id;
	int64		seq;
} SearchCursor;

static SearchCursor
cursor_parse(const char *text)
{
	SearchCursor cursor = {.set = true};
	char		id[37];
	long long	at;
	long long	seq;
	int			used = 0;

	if (strlen(text) > 80 ||
		sscanf(text, "%lld_%36[0-9a-f-]_%lld%n", &at, id, &seq, &used) != 3 ||
		used != (int) strlen(text) || seq < 1 || strlen(id) != 36)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cursor is malformed"),
				 errhint("Pass back the nextCursor of the previous page.")));
	cursor.created_at = at;
	cursor.seq = seq;
	memcpy(&cursor.conversation_id, DatumGetUUIDP(DirectFunctionCall1(uuid_in, CStringGetDatum(id))),
		   UUID_LEN);
	return cursor;
}

static char *
cursor_text(TimestampTz created_at, Datum conversation_id, int64 seq)
{
	return psprintf("%lld_%s_%lld", (long long) created_at,
					DatumGetCString(DirectFunctionCall1(uuid_out, conversation_id)), (long long) seq);
}

/* What both ways to a page answer, and what they leave out from 1.6 ($1, the caller). */
#define SEARCH_COLUMNS \
	"SELECT (" MESSAGE_JSON("m") ")::text, m.created_at, m.seq, m.content, c.id, c.name, c.is_group "
#define NOT_HIDDEN_FOR_CALLER \
	"AND NOT EXISTS (SELECT FROM chat.hidden_messages h " \
	"  WHERE h.user_id = $1 AND h.conversation_id = m.conversation_id AND h.seq = m.seq) "

/*
 * The matches of the caller ($1) for the tsquery $2, in one conversation ($3) or all, after the
 * cursor ($4, $5, $6), newest first: messages from the caller's joining on, not deleted. The
 * matches are found first on their own (OFFSET 0 keeps the planner from merging that step into
 * the joins): the search index, or for one conversation its messages tested one by one, whichever
 * costs less; then they are kept if the caller is a member. Joined first, the planner may walk
 * every message of the caller's chats to test it (400,000 for a user in 200 busy chats).
 * Planned for each call's values: how many messages a query matches decides between the two.
 */
#define SEARCH_PAGE(hidden) \
	SEARCH_COLUMNS \
	"FROM (SELECT * FROM chat.messages m " \
	"  WHERE m.search_vector @@ $2::tsquery AND NOT m.is_deleted " \
	"    AND ($3::uuid IS NULL OR m.conversation_id = $3) " \
	"    AND ($4::timestamptz IS NULL OR m.created_at <= $4) OFFSET 0) m " \
	"JOIN chat.conversation_participants me ON me.conversation_id = m.conversation_id " \
	"  AND me.user_id = $1 AND m.seq > me.joined_seq " \
	"JOIN chat.conversations c ON c.id = m.conversation_id " \
	"WHERE ($4::timestamptz IS NULL OR m.created_at < $4 OR (m.created_at = $4 " \
	"    AND (m.conversation_id > $5 OR (m.conversation_id = $5 AND m.seq < $6)))) " hidden \
	"ORDER BY m.created_at DESC, m.conversation_id, m.seq DESC LIMIT $7"

/* From 1.6, not what the caller deleted for themselves (chat.hidden_messages). */
static SavedQuery search_page = SAVED_QUERY_CUSTOM_PLAN(
	SEARCH_PAGE(NOT_HIDDEN_FOR_CALLER),
	UUIDOID, TEXTOID, UUIDOID, TIMESTAMPTZOID, UUIDOID, INT8OID, INT8OID);
static SavedQuery search_page_before_1_6 = SAVED_QUERY_CUSTOM_PLAN(
	SEARCH_PAGE(""), UUIDOID, TEXTOID, UUIDOID, TIMESTAMPTZOID, UUIDOID, INT8OID, INT8OID);

/*
 * The same page by walking each of the caller's chats newest first ($1 caller, $2 tsquery, the
 * cursor $3 to $5, $6 the page with one more): a chat's newest matches by seq are its newest by
 * time (send.c stamps messages under the chat's lock), so the newest $6 of each chat, merged,
 * hold the page. A common word is found after a few messages of each chat, where the index
 * would hand over every match in the database first (100,000 for a word in 1 of 10 messages of
 * 1,000,000). The chat's messages are read in a subquery, by the (conversation_id, seq) index
 * backwards, and tested above it, so the search index can't be chosen for them. Its LIMIT $7 is
 * always null (no limit), but a plan made for any value of it reads the index in order rather
 * than sorting the whole chat first: it may stop early.
 */
#define AFTER_SEARCH_CURSOR(m) \
	"($3::timestamptz IS NULL OR " m ".created_at < $3 OR (" m ".created_at = $3 " \
	"  AND (" m ".conversation_id > $4 OR (" m ".conversation_id = $4 AND " m ".seq < $5))))"
#define SEARCH_RECENT(hidden) \
	SEARCH_COLUMNS \
	"FROM (SELECT m.* FROM chat.conversation_participants me " \
	"  CROSS JOIN LATERAL (SELECT * FROM (SELECT * FROM chat.messages m " \
	"      WHERE m.conversation_id = me.conversation_id AND m.seq > me.joined_seq " \
	"      ORDER BY m.seq DESC LIMIT $7) m " \
	"    WHERE m.search_vector @@ $2::tsquery AND NOT m.is_deleted " \
	"      AND " AFTER_SEARCH_CURSOR("m") hidden \
	"    ORDER BY m.seq DESC LIMIT $6) m " \
	"  WHERE me.user_id = $1 " \
	"  ORDER BY m.created_at DESC, m.conversation_id, m.seq DESC LIMIT $6) m " \
	"JOIN chat.conversations c ON c.id = m.conversation_id " \
	"ORDER BY m.created_at DESC, m.conversation_id, m.seq DESC"

static SavedQuery search_recent = SAVED_QUERY(
	SEARCH_RECENT(NOT_HIDDEN_FOR_CALLER),
	UUIDOID, TEXTOID, TIMESTAMPTZOID, UUIDOID, INT8OID, INT8OID, INT8OID);
static SavedQuery search_recent_before_1_6 = SAVED_QUERY(
	SEARCH_RECENT(""), UUIDOID, TEXTOID, TIMESTAMPTZOID, UUIDOID, INT8OID, INT8OID, INT8OID);

/*
 * Whether walking the caller's chats costs less than the index: the index reads every match
 * (share x messages), the walk about page / share messages in each chat until it has a page of
 * each. Without statistics, the index, which never reads more than there are matches.
 */
static bool
walk_chats(const char *tsquery, const pg_uuid_t *caller, int64 page)
{
	SearchEstimate estimate;

	if (!search_estimate(tsquery, caller, &estimate) || estimate.share <= 0)
		return false;
	return estimate.conversations * page / estimate.share < estimate.share * estimate.messages;
}

enum
{
	COL_MESSAGE, COL_CREATED_AT, COL_SEQ, COL_CONTENT, COL_CONVERSATION, COL_NAME, COL_IS_GROUP,
	COL_COUNT
};

/* One result: the message, its conversation, and the snippet of its content around the match. */
static void
put_result(JsonWriter *w, HeapTuple row, TupleDesc desc, const char *query)
{
	Datum		v[COL_COUNT];
	bool		n[COL_COUNT];
	text	   *message;
	text	   *content;

	heap_deform_tuple(row, desc, v, n);
	message = DatumGetTextPP(v[COL_MESSAGE]);
	content = DatumGetTextPP(v[COL_CONTENT]);
	json_begin_object(w, NULL);
	json_raw(w, "message", VARDATA_ANY(message), VARSIZE_ANY_EXHDR(message));
	json_begin_object(w, "conversation");
	json_uuid(w, "id", DatumGetUUIDP(v[COL_CONVERSATION]));
	if (n[COL_NAME])
		json_null(w, "name");
	else
	{
		text	   *name = DatumGetTextPP(v[COL_NAME]);

		json_string(w, "name", VARDATA_ANY(name), VARSIZE_ANY_EXHDR(name));
	}
	json_bool(w, "isGroup", DatumGetBool(v[COL_IS_GROUP]));
	json_end_object(w);
	search_text_snippet(w, "snippet", VARDATA_ANY(content), VARSIZE_ANY_EXHDR(content),
						query, strlen(query));
	json_end_object(w);
}

PG_FUNCTION_INFO_V1(chat_search_messages);

/*
 * chat.search_messages(token, query, conversation_id default null, cursor default null,
 * lim default 20) -> json {results: [{message, conversation: {id, name, isGroup}, snippet}],
 * nextCursor}: the caller's messages that hold every word of query (each as a word's start;
 * in unspaced scripts, the characters in a row), newest first. nextCursor is null on the last
 * page. A conversation the caller is not in answers no result, as one without a match does.
 */
Datum
chat_search_messages(PG_FUNCTION_ARGS)
{
	MemoryContext caller = CurrentMemoryContext;
	char	   *query = arg_text(fcinfo, 1, "query");
	int32		limit = arg_limit(fcinfo, 4, RESULTS_DEFAULT, RESULTS_MAX);
	SearchCursor cursor = {0};
	char	   *tsquery;
	Datum		values[7];
	char		nulls[8] = "       ";
	uint64		found;
	StringInfoData answer;
	JsonWriter	w;

	if (!PG_ARGISNULL(3))
		cursor = cursor_parse(text_to_cstring(PG_GETARG_TEXT_PP(3)));
	tsquery = search_text_query(query, strlen(query));
	if (tsquery == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("query must hold a word to search for")));

	SPI_connect();
	values[0] = UUIDPGetDatum(users_authenticate(fcinfo, 0));
	values[1] = CStringGetTextDatum(tsquery);
	values[2] = PG_ARGISNULL(2) ? (Datum) 0 : PG_GETARG_DATUM(2);
	values[3] = TimestampTzGetDatum(cursor.created_at);
	values[4] = UUIDPGetDatum(&cursor.conversation_id);
	values[5] = Int64GetDatum(cursor.seq);
	/* one more than shown tells whether a next page exists */
	values[6] = Int64GetDatum((int64) limit + 1);
	if (PG_ARGISNULL(2))
		nulls[2] = 'n';
	if (!cursor.set)
		nulls[3] = nulls[4] = nulls[5] = 'n';
	if (PG_ARGISNULL(2) && walk_chats(tsquery, DatumGetUUIDP(values[0]), (int64) limit + 1))
	{
		Datum		recent[7] = {values[0], values[1], values[3], values[4], values[5], values[6], 0};
		char		recent_nulls[8] = "      n";

		if (!cursor.set)
			recent_nulls[2] = recent_nulls[3] = recent_nulls[4] = 'n';
		found = query_run(schema_has_blocks() ? &search_recent : &search_recent_before_1_6,
						  recent, recent_nulls, true);
	}
	else
		found = query_run(schema_has_blocks() ? &search_page : &search_page_before_1_6, values,
						  nulls, true);

	MemoryContextSwitchTo(caller);
	initStringInfo(&answer);
	appendStringInfoSpaces(&answer, VARHDRSZ);
	json_writer_text(&w, &answer);
	json_begin_object(&w, NULL);
	json_begin_array(&w, "results");
	for (uint64 i = 0; i < found && i < (uint64) limit; i++)
		put_result(&w, SPI_tuptable->vals[i], SPI_tuptable->tupdesc, query);
	json_end_array(&w);
	if (found > (uint64) limit)
	{
		HeapTuple	last = SPI_tuptable->vals[limit - 1];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		char	   *next = cursor_text(DatumGetTimestampTz(heap_getattr(last, COL_CREATED_AT + 1, desc, &isnull)),
									   heap_getattr(last, COL_CONVERSATION + 1, desc, &isnull),
									   DatumGetInt64(heap_getattr(last, COL_SEQ + 1, desc, &isnull)));

		json_string(&w, "nextCursor", next, strlen(next));
	}
	else
		json_null(&w, "nextCursor");
	json_end_object(&w);
	SPI_finish();
	SET_VARSIZE(answer.data, answer.len);
	PG_RETURN_TEXT_P((text *) answer.data);
}
