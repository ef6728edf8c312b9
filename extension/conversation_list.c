/*
 * conversation_list.c — the caller's conversations, newest activity first: whole, or by keyset
 * pages of (updated_at DESC, id). Saved queries (the page with each last message, the page's
 * other members, the caller's own user row) feed each conversation to a JsonWriter once, as
 * jsonb or as json text, instead of a jsonb object per row through jsonb_agg, which serialises
 * every element twice (test/bench/conversation_list.sh measures both).
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/memutils.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"
#include "utils/varlena.h"

#include "args.h"
#include "json.h"
#include "json_writer.h"
#include "jsonb_array.h"
#include "list_cursor.h"
#include "query.h"
#include "schema.h"
#include "users.h"

#define PAGE_DEFAULT 50
#define PAGE_MAX 200

/*
 * The page is read from the caller's memberships by list_at (conversation_participants_list_idx,
 * 1.3; schema.h), so a first page reads about its own rows, not all 2,000 of the caller's
 * conversations. list_at is a conversation's updated_at, or for a group the minute it falls in,
 * so list_at <= updated_at < list_at + 1 minute. First (the CTE `edge`) the lim first rows after
 * the cursor in list_at order give the oldest updated_at among them: a page holds nothing older
 * than that, since lim conversations are at least that new. What may be that new lies at or after
 * that time in list_at, or is a group of the minute it falls in: those rows are read (two index
 * ranges), ordered by the exact (updated_at DESC, id), and cut by LIMIT before the last
 * messages are looked up. The cursor's time bounds list_at from above; the exact keyset test
 * filters the rest. With no limit every row is read and sorted. The last message is asked for as
 * the newest up to last_seq (the same row: seq is gapless and rows are never removed) so that
 * only the (conversation_id, seq) index can serve it: with "seq = last_seq" a generic plan may
 * take the (conversation_id, sender_id, client_id) index and filter a whole chat.
 */
#define AFTER_CURSOR(c) \
	"($2::timestamptz IS NULL OR " c ".updated_at < $2 OR (" c ".updated_at = $2 AND " c ".id > $3))"
#define BEFORE_CURSOR_AT "coalesce($2::timestamptz, 'infinity')"

/*
 * What every version of a page reads (the columns of enum ROW_/MSG_ below, from a page c of the
 * caller's conversations with their membership me), and each row's last message: from 1.4 none
 * from before the caller joined (`joined` is me.joined_seq, else 0; the index range just starts
 * later).
 */
#define PAGE_COLUMNS(joined, state) \
	"SELECT c.id, c.name, c.is_group, c.created_by, c.created_at, c.updated_at, c.last_seq, " \
	"  c.role::text, c.unread, c.last_read_seq, c.last_delivered_seq, c.joined_at, " \
	"  c.muted_until, c.archived, c.pinned_at, " \
	"  m.id, m.seq, m.sender_id, m.content, m.client_id, m.reply_to_id, " \
	"  m.is_edited, m.is_deleted, m.created_at, m.updated_at " \
	"FROM (SELECT c.id, c.name, c.is_group, c.created_by, c.created_at, c.updated_at, c.last_seq, " \
	"    me.role, greatest(c.last_seq - me.last_read_seq, 0) AS unread, me.last_read_seq, " \
	"    me.last_delivered_seq, me.joined_at, " joined " AS joined_seq, " state " "
/* the caller's state of each chat (1.6), or none before */
#define STATE_COLUMNS "me.muted_until, " ARCHIVED("c", "me") " AS archived, me.pinned_at"
#define NO_STATE_COLUMNS \
	"NULL::timestamptz AS muted_until, false AS archived, NULL::timestamptz AS pinned_at"
/* 1.6: the last message the caller has not deleted for themselves ($1, the caller) */
#define NOT_HIDDEN "AND NOT " HIDDEN_FROM("m", "$1")
#define PAGE_LAST_MESSAGE_OF(hidden, order) \
	"LEFT JOIN LATERAL (SELECT * FROM chat.messages m " \
	"  WHERE m.conversation_id = c.id AND m.seq <= c.last_seq AND m.seq > c.joined_seq " hidden \
	"  ORDER BY m.seq DESC LIMIT 1) m ON true " \
	"ORDER BY " order
#define PAGE_LAST_MESSAGE PAGE_LAST_MESSAGE_OF("", "c.updated_at DESC, c.id")

#define PAGE_ROWS(joined) PAGE_ROWS_OF(joined, NO_STATE_COLUMNS, "", "", "")

/*
 * From 1.6 the list leaves out the caller's pinned chats (the first page puts them on top, from
 * page_pinned) and archived ones (archived_conversations), in the edge too, so a page still
 * holds lim conversations.
 */
#define LISTED(c, me) " AND " me ".pinned_at IS NULL AND NOT " ARCHIVED(c, me)

#define PAGE_ROWS_OF(joined, state, listed_edge, listed, hidden) \
	"WITH edge AS (" \
	"  SELECT e.at, CASE WHEN e.at > '-infinity' " \
	"    THEN date_bin('1 minute', e.at, timestamptz '1970-01-01 00:00:00+00') END AS minute " \
	"  FROM (SELECT coalesce((" \
	"    SELECT min(x.updated_at) FROM (" \
	"      SELECT oc.updated_at FROM chat.conversation_participants o " \
	"      JOIN chat.conversations oc ON oc.id = o.conversation_id " \
	"      WHERE $4::int8 IS NOT NULL AND o.user_id = $1 AND o.list_at <= " BEFORE_CURSOR_AT \
	"        AND " AFTER_CURSOR("oc") listed_edge \
	"      ORDER BY o.list_at DESC LIMIT $4) x), '-infinity') AS at) e) " \
	PAGE_COLUMNS(joined, state) \
	"  FROM (SELECT * FROM chat.conversation_participants me " \
	"      WHERE me.user_id = $1 AND me.list_at <= " BEFORE_CURSOR_AT \
	"        AND me.list_at >= (SELECT at FROM edge) " \
	"    UNION ALL " \
	"    SELECT * FROM chat.conversation_participants me " \
	"      WHERE me.user_id = $1 AND me.list_at = (SELECT minute FROM edge) " \
	"        AND me.list_at < (SELECT at FROM edge)) me " \
	"  JOIN chat.conversations c ON c.id = me.conversation_id " \
	"  WHERE " AFTER_CURSOR("c") listed \
	"  ORDER BY c.updated_at DESC, c.id LIMIT $4) c " \
	PAGE_LAST_MESSAGE_OF(hidden, "c.updated_at DESC, c.id")

static SavedQuery page_rows_1_6 = SAVED_QUERY(
	PAGE_ROWS_OF("me.joined_seq", STATE_COLUMNS, LISTED("oc", "o"), LISTED("c", "me"), NOT_HIDDEN),
	UUIDOID, TIMESTAMPTZOID, UUIDOID, INT8OID);
/* the same on 1.4 and 1.5: no chat state */
static SavedQuery page_rows = SAVED_QUERY(PAGE_ROWS("me.joined_seq"),
										  UUIDOID, TIMESTAMPTZOID, UUIDOID, INT8OID);
/* the same on 1.3, whose memberships hold no joined_seq (everyone sees the whole history) */
static SavedQuery page_rows_before_1_4 = SAVED_QUERY(PAGE_ROWS("0::int8"),
													 UUIDOID, TIMESTAMPTZOID, UUIDOID, INT8OID);

/*
 * The same page on a database still on 1.2 or older (schema.h), whose memberships hold no list_at:
 * ranked from all of the caller's conversations before the LIMIT.
 */
static SavedQuery page_rows_ranked = SAVED_QUERY(
	PAGE_COLUMNS("0::int8", NO_STATE_COLUMNS)
	"  FROM chat.conversation_participants me "
	"  JOIN chat.conversations c ON c.id = me.conversation_id "
	"  WHERE me.user_id = $1 "
	"    AND ($2::timestamptz IS NULL OR c.updated_at < $2 OR (c.updated_at = $2 AND c.id > $3)) "
	"  ORDER BY c.updated_at DESC, c.id LIMIT $4) c "
	PAGE_LAST_MESSAGE,
	UUIDOID, TIMESTAMPTZOID, UUIDOID, INT8OID);

/* 1.6: the caller's pinned chats, most recently pinned first (at most 3), atop the first page */
static SavedQuery page_pinned = SAVED_QUERY(
	PAGE_COLUMNS("me.joined_seq", STATE_COLUMNS)
	"  FROM chat.conversation_participants me "
	"  JOIN chat.conversations c ON c.id = me.conversation_id "
	"  WHERE me.user_id = $1 AND me.pinned_at IS NOT NULL) c "
	PAGE_LAST_MESSAGE_OF(NOT_HIDDEN, "c.pinned_at DESC, c.id"),
	UUIDOID);

/* 1.6: the caller's archived chats (archived_conversations), newest activity first */
static SavedQuery page_archived = SAVED_QUERY(
	PAGE_COLUMNS("me.joined_seq", STATE_COLUMNS)
	"  FROM chat.conversation_participants me "
	"  JOIN chat.conversations c ON c.id = me.conversation_id "
	"  WHERE me.user_id = $1 AND me.archived_seq IS NOT NULL AND " ARCHIVED("c", "me") ") c "
	PAGE_LAST_MESSAGE_OF(NOT_HIDDEN, "c.updated_at DESC, c.id"),
	UUIDOID);

enum
{
	ROW_ID, ROW_NAME, ROW_IS_GROUP, ROW_CREATED_BY, ROW_CREATED_AT, ROW_UPDATED_AT, ROW_LAST_SEQ,
	ROW_ROLE, ROW_UNREAD, ROW_READ_SEQ, ROW_DELIVERED_SEQ, ROW_JOINED_AT,
	ROW_MUTED_UNTIL, ROW_ARCHIVED, ROW_PINNED_AT,
	MSG_ID, MSG_SEQ, MSG_SENDER, MSG_CONTENT, MSG_CLIENT_ID, MSG_REPLY_TO, MSG_IS_EDITED,
	MSG_IS_DELETED, MSG_CREATED_AT, MSG_UPDATED_AT, ROW_COLUMNS
};

/*
 * The other members of every conversation of the page, in page order, each conversation's in
 * the order of json.h. The caller is left out: in a list of direct chats that halves the rows,
 * and the caller's own row is read once (caller_user) and merged in at its place. The members
 * are read by one scan of the primary key for all the page's conversations (= ANY) and put in
 * page order by a join: a lookup per conversation is what a generic plan makes a bitmap scan
 * each, twice as slow for a list of 2,000.
 */
#define PAGE_PARTICIPANTS(last_seen) PAGE_PARTICIPANTS_WITH("u.profile_photo", last_seen)
#define PAGE_PARTICIPANTS_WITH(photo, last_seen) \
	"SELECT page.n, u.id, u.username, u.display_name, " photo ", " last_seen ", " \
	"  p.role::text, p.last_read_seq, p.last_delivered_seq, p.joined_at " \
	"FROM chat.conversation_participants p " \
	"JOIN unnest($1::uuid[]) WITH ORDINALITY AS page (id, n) ON page.id = p.conversation_id " \
	"JOIN chat.users u ON u.id = p.user_id " \
	"WHERE p.conversation_id = ANY ($1) AND p.user_id <> $2 " \
	"ORDER BY page.n, p.joined_at, u.username"

/* From 1.6 no photo nor last seen of someone who blocked the caller (json.h). */
static SavedQuery page_participants_1_6 = SAVED_QUERY(
	PAGE_PARTICIPANTS_WITH(PHOTO_SEEN_BY("u", "$2"),
						   "CASE WHEN " BLOCKED_BY("u", "$2") " THEN NULL ELSE "
						   LAST_SEEN_SEEN_BY("u", "$2") " END"),
	UUIDARRAYOID, UUIDOID);

/* From 1.4 each last seen as the caller may know it (json.h); before, all of them. */
static SavedQuery page_participants = SAVED_QUERY(
	PAGE_PARTICIPANTS(LAST_SEEN_SEEN_BY("u", "$2")), UUIDARRAYOID, UUIDOID);
static SavedQuery page_participants_before_1_4 = SAVED_QUERY(
	PAGE_PARTICIPANTS("u.last_seen_at"), UUIDARRAYOID, UUIDOID);

enum
{
	PART_N, PART_ID, PART_USERNAME, PART_DISPLAY_NAME, PART_PHOTO, PART_LAST_SEEN, PART_ROLE,
	PART_READ_SEQ, PART_DELIVERED_SEQ, PART_JOINED_AT, PART_COLUMNS
};

static SavedQuery caller_user = SAVED_QUERY(
	"SELECT 0::bigint, id, username, display_name, profile_photo, last_seen_at "
	"FROM chat.users WHERE id = $1",
	UUIDOID);

/* One SPI row, deformed once so each column costs the same to read. */
typedef struct Row
{
	Datum		values[ROW_COLUMNS];
	bool		nulls[ROW_COLUMNS];
} Row;

/* A page as the queries found it, read before it is written either way. */
typedef struct ListPage
{
	uint64		found;			/* rows of the page query: one more than shown if a page follows */
	uint64		shown;
	uint64		count;			/* rows to write: the pinned ones (first page, 1.6), then shown */
	Row		   *rows;
	SPITupleTable *participants;	/* the others' rows (page_participants) */
	uint64		participant_count;
	Datum		caller[PART_COLUMNS];	/* the caller's user columns, numbered as theirs */
	bool		caller_nulls[PART_COLUMNS];
	ListCursor	last;			/* the last shown row's (updated_at, id) */
} ListPage;

/* ---- columns as JSON ---- */

static void
put_text(JsonWriter *w, const char *key, Datum value, bool isnull)
{
	text	   *t;

	if (isnull)
	{
		json_null(w, key);
		return;
	}
	t = DatumGetTextPP(value);
	json_string(w, key, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t));
}

static void
put_uuid(JsonWriter *w, const char *key, Datum value, bool isnull)
{
	if (isnull)
		json_null(w, key);
	else
		json_uuid(w, key, DatumGetUUIDP(value));
}

static void
put_timestamptz(JsonWriter *w, const char *key, Datum value, bool isnull)
{
	if (isnull)
		json_null(w, key);
	else
		json_timestamptz(w, key, DatumGetTimestampTz(value));
}

/* ---- the list ---- */

static void
put_last_message(JsonWriter *w, const Row *row)
{
	const Datum *v = row->values;
	const bool *n = row->nulls;

	if (n[MSG_ID])
	{
		json_null(w, "lastMessage");
		return;
	}
	json_begin_object(w, "lastMessage");
	put_uuid(w, "id", v[MSG_ID], false);
	json_int8(w, "seq", DatumGetInt64(v[MSG_SEQ]));
	put_uuid(w, "conversationId", v[ROW_ID], false);
	put_uuid(w, "sender_id", v[MSG_SENDER], n[MSG_SENDER]);
	put_text(w, "content", v[MSG_CONTENT], false);
	put_text(w, "clientId", v[MSG_CLIENT_ID], n[MSG_CLIENT_ID]);
	put_uuid(w, "replyTo", v[MSG_REPLY_TO], n[MSG_REPLY_TO]);
	json_bool(w, "isEdited", DatumGetBool(v[MSG_IS_EDITED]));
	json_bool(w, "isDeleted", DatumGetBool(v[MSG_IS_DELETED]));
	put_timestamptz(w, "created_at", v[MSG_CREATED_AT], false);
	put_timestamptz(w, "updatedAt", v[MSG_UPDATED_AT], false);
	json_end_object(w);
}

/* One participant: user columns as page_participants numbers them, membership columns apart. */
static void
put_participant(JsonWriter *w, const Datum *user, const bool *user_nulls, Datum role,
				Datum read_seq, Datum delivered_seq)
{
	json_begin_object(w, NULL);
	put_uuid(w, "id", user[PART_ID], false);
	put_text(w, "username", user[PART_USERNAME], false);
	put_text(w, "displayName", user[PART_DISPLAY_NAME], user_nulls[PART_DISPLAY_NAME]);
	put_text(w, "profilePhoto", user[PART_PHOTO], user_nulls[PART_PHOTO]);
	put_timestamptz(w, "lastSeenAt", user[PART_LAST_SEEN], user_nulls[PART_LAST_SEEN]);
	put_text(w, "role", role, false);
	json_int8(w, "lastReadSeq", DatumGetInt64(read_seq));
	json_int8(w, "lastDeliveredSeq", DatumGetInt64(delivered_seq));
	json_end_object(w);
}

/* Whether the caller (joined at `joined`) comes before another participant in json.h's order. */
static bool
caller_first(TimestampTz joined, Datum username, const Datum *other)
{
	TimestampTz other_joined = DatumGetTimestampTz(other[PART_JOINED_AT]);
	text	   *mine;
	text	   *theirs;

	if (joined != other_joined)
		return joined < other_joined;
	mine = DatumGetTextPP(username);
	theirs = DatumGetTextPP(other[PART_USERNAME]);
	return varstr_cmp(VARDATA_ANY(mine), VARSIZE_ANY_EXHDR(mine), VARDATA_ANY(theirs),
					  VARSIZE_ANY_EXHDR(theirs), DEFAULT_COLLATION_OID) < 0;
}

/*
 * The participants of the page's conversation number `n` (1-based): the others from their rows,
 * sorted by page position (*next is the first not yet used, advanced past this one's), and the
 * caller, from the page row and `caller`, at its place among them.
 */
static void
put_participants(JsonWriter *w, const ListPage *page, const Row *row, uint64 *next, int64 n)
{
	Datum		v[PART_COLUMNS];
	bool		nulls[PART_COLUMNS];
	bool		caller_done = false;
	TimestampTz joined = DatumGetTimestampTz(row->values[ROW_JOINED_AT]);

	json_begin_array(w, "participants");
	for (; *next < page->participant_count; (*next)++)
	{
		heap_deform_tuple(page->participants->vals[*next], page->participants->tupdesc, v, nulls);
		if (DatumGetInt64(v[PART_N]) != n)
			break;
		if (!caller_done && caller_first(joined, page->caller[PART_USERNAME], v))
		{
			put_participant(w, page->caller, page->caller_nulls, row->values[ROW_ROLE],
							row->values[ROW_READ_SEQ], row->values[ROW_DELIVERED_SEQ]);
			caller_done = true;
		}
		put_participant(w, v, nulls, v[PART_ROLE], v[PART_READ_SEQ], v[PART_DELIVERED_SEQ]);
	}
	if (!caller_done)
		put_participant(w, page->caller, page->caller_nulls, row->values[ROW_ROLE],
						row->values[ROW_READ_SEQ], row->values[ROW_DELIVERED_SEQ]);
	json_end_array(w);
}

/* The caller's state of the chat, as json.h's STATE_JSON_KEYS writes it (none: all off). */
static void
put_state(JsonWriter *w, const Row *row)
{
	const Datum *v = row->values;
	const bool *n = row->nulls;
	TimestampTz until = n[ROW_MUTED_UNTIL] ? 0 : DatumGetTimestampTz(v[ROW_MUTED_UNTIL]);
	bool		muted = !n[ROW_MUTED_UNTIL] && until > GetCurrentTransactionStartTimestamp();

	json_bool(w, "muted", muted);
	put_timestamptz(w, "mutedUntil", v[ROW_MUTED_UNTIL], !muted || TIMESTAMP_IS_NOEND(until));
	json_bool(w, "archived", DatumGetBool(v[ROW_ARCHIVED]));
	json_bool(w, "pinned", !n[ROW_PINNED_AT]);
	put_timestamptz(w, "pinnedAt", v[ROW_PINNED_AT], n[ROW_PINNED_AT]);
}

/* One conversation, with the same keys as json.h's CONVERSATION_JSON_1_6. */
static void
put_conversation(JsonWriter *w, const ListPage *page, const Row *row, uint64 *next, int64 n)
{
	const Datum *v = row->values;
	const bool *nulls = row->nulls;

	json_begin_object(w, NULL);
	put_uuid(w, "id", v[ROW_ID], false);
	put_text(w, "name", v[ROW_NAME], nulls[ROW_NAME]);
	json_bool(w, "isGroup", DatumGetBool(v[ROW_IS_GROUP]));
	put_uuid(w, "createdBy", v[ROW_CREATED_BY], nulls[ROW_CREATED_BY]);
	put_timestamptz(w, "createdAt", v[ROW_CREATED_AT], false);
	put_timestamptz(w, "updatedAt", v[ROW_UPDATED_AT], false);
	json_int8(w, "lastSeq", DatumGetInt64(v[ROW_LAST_SEQ]));
	put_text(w, "myRole", v[ROW_ROLE], false);
	json_int8(w, "unreadCount", DatumGetInt64(v[ROW_UNREAD]));
	put_participants(w, page, row, next, n);
	put_last_message(w, row);
	put_state(w, row);
	json_end_object(w);
}

/* Which list: the caller's (pinned on top, archived left out from 1.6), or the archived. */
typedef enum ListKind
{
	LIST_MAIN,
	LIST_ARCHIVED
} ListKind;

/* Deforms rows [0, n) of table into page->rows from page->count on. */
static void
rows_take(ListPage *page, SPITupleTable *table, uint64 n)
{
	for (uint64 i = 0; i < n; i++, page->count++)
		heap_deform_tuple(table->vals[i], table->tupdesc, page->rows[page->count].values,
						  page->rows[page->count].nulls);
}

/*
 * Runs the queries for the page after cursor: at most fetch rows (all when -1), show shown, and
 * on a first page of the main list (1.6) the pinned chats before them. Their tuple tables stay
 * until SPI_finish, so the rows point into them.
 */
static ListPage
list_read(const pg_uuid_t *me, const ListCursor *cursor, int64 fetch, int64 show, ListKind kind)
{
	Datum		values[4] = {UUIDPGetDatum(me), TimestampTzGetDatum(cursor->updated_at),
							 UUIDPGetDatum(&cursor->id), Int64GetDatum(fetch)};
	char		nulls[5] = "    ";
	ListPage	page = {0};
	bool		state = schema_has_blocks();	/* 1.6: chat state, blocks, hidden messages */
	bool		privacy = schema_has_joined_seq();	/* 1.4: joined_seq, last_seen_privacy */
	SPITupleTable *pinned = NULL;
	uint64		pinned_count = 0;
	SPITupleTable *rows;
	Datum	   *ids;

	if (!cursor->set)
		nulls[1] = nulls[2] = 'n';
	if (fetch < 0)
		nulls[3] = 'n';
	if (kind == LIST_ARCHIVED)
	{
		page.found = state ? query_run(&page_archived, values, NULL, true) : 0;
		rows = state ? SPI_tuptable : NULL;
	}
	else
	{
		if (state && !cursor->set)
		{
			pinned_count = query_run(&page_pinned, values, NULL, true);
			pinned = SPI_tuptable;
		}
		page.found = query_run(state ? &page_rows_1_6 : privacy ? &page_rows
							   : schema_has_list_at() ? &page_rows_before_1_4 : &page_rows_ranked,
							   values, nulls, true);
		rows = SPI_tuptable;
	}
	page.shown = (show >= 0 && page.found > (uint64) show) ? (uint64) show : page.found;

	page.rows = palloc(sizeof(Row) * (pinned_count + page.shown + 1));
	rows_take(&page, pinned, pinned_count);
	rows_take(&page, rows, page.shown);
	ids = palloc(sizeof(Datum) * (page.count + 1));
	for (uint64 i = 0; i < page.count; i++)
		ids[i] = page.rows[i].values[ROW_ID];
	values[0] = PointerGetDatum(construct_array(ids, (int) page.count, UUIDOID, UUID_LEN, false,
												TYPALIGN_CHAR));
	values[1] = UUIDPGetDatum(me);
	page.participant_count = query_run(state ? &page_participants_1_6
									   : privacy ? &page_participants
									   : &page_participants_before_1_4, values, NULL, true);
	page.participants = SPI_tuptable;

	if (query_run(&caller_user, values + 1, NULL, true) != 1)
		elog(ERROR, "the authenticated caller was not found");
	memset(page.caller_nulls, true, sizeof(page.caller_nulls));
	heap_deform_tuple(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, page.caller, page.caller_nulls);

	/* the cursor is the last unpinned row's: pinned rows are never in the paged order */
	page.last.set = page.shown > 0;
	if (page.last.set)
	{
		Row		   *last = &page.rows[page.count - 1];

		page.last.updated_at = DatumGetTimestampTz(last->values[ROW_UPDATED_AT]);
		memcpy(&page.last.id, DatumGetUUIDP(last->values[ROW_ID]), UUID_LEN);
	}
	return page;
}

/* The page as text, under key (NULL at the top). */
static void
list_write_text(JsonWriter *w, const char *key, const ListPage *page)
{
	uint64		next = 0;

	json_begin_array(w, key);
	for (uint64 i = 0; i < page->count; i++)
		put_conversation(w, page, &page->rows[i], &next, (int64) i + 1);
	json_end_array(w);
}

/*
 * The page as a jsonb array made in result_context. Each conversation is serialised on its own
 * in memory reused for the next, and the array made of their bytes (jsonb_array.h).
 */
static Jsonb *
list_jsonb(MemoryContext result_context, const ListPage *page)
{
	MemoryContext spi_context = CurrentMemoryContext;
	MemoryContext row_context = AllocSetContextCreate(spi_context, "conversation list row",
													  0, 64 * 1024, ALLOCSET_DEFAULT_MAXSIZE);
	JsonbArrayBuilder list;
	uint64		next = 0;

	MemoryContextSwitchTo(result_context);
	jsonb_array_start(&list, (int) page->count, page->count * 1024);
	for (uint64 i = 0; i < page->count; i++)
	{
		JsonWriter	w;

		MemoryContextSwitchTo(row_context);
		json_writer_jsonb(&w);
		put_conversation(&w, page, &page->rows[i], &next, (int64) i + 1);
		jsonb_array_add(&list, JsonbValueToJsonb(w.result));
		MemoryContextReset(row_context);
	}
	MemoryContextSwitchTo(spi_context);
	return jsonb_array_finish(&list);
}

/*
 * Starts a text result in the caller's memory, after room for its varlena header, so it is
 * returned as it is written. It is sized once for the usual conversation: growing a big buffer
 * by doubling copies it.
 */
static void
text_answer_start(StringInfo answer, MemoryContext caller, uint64 conversations)
{
	MemoryContext spi_context = MemoryContextSwitchTo(caller);

	initStringInfo(answer);
	enlargeStringInfo(answer, VARHDRSZ + Min(conversations, 10000) * 1280);
	appendStringInfoSpaces(answer, VARHDRSZ);
	MemoryContextSwitchTo(spi_context);
}

static text *
text_answer_finish(StringInfo answer)
{
	SET_VARSIZE(answer->data, answer->len);
	return (text *) answer->data;
}

/* ---- the SQL API ---- */

PG_FUNCTION_INFO_V1(chat_conversations);

/*
 * chat.conversations(token) -> jsonb array: the whole list, as in 1.0; and
 * chat.conversations(token, before_updated_at, before_id, lim default 50): the conversations
 * after (before_updated_at, before_id) in list order (both null: from the top), at most lim of
 * them (1 to 200), or all when lim is null.
 */
Datum
chat_conversations(PG_FUNCTION_ARGS)
{
	MemoryContext caller = CurrentMemoryContext;
	ListCursor	cursor = {0};
	int64		limit = -1;
	ListPage	page;
	Jsonb	   *result;

	if (PG_NARGS() > 1)
	{
		if (PG_ARGISNULL(1) != PG_ARGISNULL(2))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("before_updated_at and before_id go together"),
					 errhint("Pass both, from the last conversation of the previous page, or neither.")));
		cursor.set = !PG_ARGISNULL(1);
		if (cursor.set)
		{
			cursor.updated_at = PG_GETARG_TIMESTAMPTZ(1);
			memcpy(&cursor.id, PG_GETARG_UUID_P(2), UUID_LEN);
		}
		/* a null limit is the rest of the list */
		if (!PG_ARGISNULL(3))
			limit = arg_limit(fcinfo, 3, PAGE_DEFAULT, PAGE_MAX);
	}
	SPI_connect();
	page = list_read(users_authenticate(fcinfo, 0), &cursor, limit, -1, LIST_MAIN);
	result = list_jsonb(caller, &page);
	SPI_finish();
	PG_RETURN_JSONB_P(result);
}

PG_FUNCTION_INFO_V1(chat_conversation_page);

/*
 * chat.conversation_page(token, cursor default null, lim default 50) -> json
 * {conversations, nextCursor}: the clients' page, with an opaque cursor; nextCursor is null on
 * the last page. It answers json, written as text straight from the rows: the bridge sends it
 * on unchanged, and jsonb would cost a binary form built and then printed again.
 */
Datum
chat_conversation_page(PG_FUNCTION_ARGS)
{
	MemoryContext caller = CurrentMemoryContext;
	ListCursor	cursor = {0};
	int32		limit = arg_limit(fcinfo, 2, PAGE_DEFAULT, PAGE_MAX);
	ListPage	page;
	StringInfoData answer;
	JsonWriter	w;

	if (!PG_ARGISNULL(1))
		cursor = list_cursor_parse(text_to_cstring(PG_GETARG_TEXT_PP(1)));
	SPI_connect();
	/* one row more than shown tells whether a next page exists */
	page = list_read(users_authenticate(fcinfo, 0), &cursor, (int64) limit + 1, limit, LIST_MAIN);

	text_answer_start(&answer, caller, page.count);
	json_writer_text(&w, &answer);
	json_begin_object(&w, NULL);
	list_write_text(&w, "conversations", &page);
	if (page.found > (uint64) limit)
	{
		char	   *next = list_cursor_text(&page.last);

		json_string(&w, "nextCursor", next, strlen(next));
	}
	else
		json_null(&w, "nextCursor");
	json_end_object(&w);
	SPI_finish();
	PG_RETURN_TEXT_P(text_answer_finish(&answer));
}

/* A whole list (main or archived) of the caller's, as json text straight from the rows. */
static text *
whole_list_text(FunctionCallInfo fcinfo, ListKind kind)
{
	MemoryContext caller = CurrentMemoryContext;
	ListCursor	cursor = {0};
	ListPage	page;
	StringInfoData answer;
	JsonWriter	w;

	SPI_connect();
	page = list_read(users_authenticate(fcinfo, 0), &cursor, -1, -1, kind);
	text_answer_start(&answer, caller, page.count);
	json_writer_text(&w, &answer);
	list_write_text(&w, NULL, &page);
	SPI_finish();
	return text_answer_finish(&answer);
}

PG_FUNCTION_INFO_V1(chat_conversations_json);

/*
 * chat.conversations_json(token) -> json: the whole list of conversations(token), written as
 * text straight from the rows (1.3). REST answers it unchanged: jsonb would be built, then
 * printed again by jsonb_out, which costs more than reading the list.
 */
Datum
chat_conversations_json(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(whole_list_text(fcinfo, LIST_MAIN));
}

PG_FUNCTION_INFO_V1(chat_archived_conversations);

/*
 * chat.archived_conversations(token) -> json: the caller's archived chats, newest activity
 * first (1.6), written as conversations_json writes the list.
 */
Datum
chat_archived_conversations(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(whole_list_text(fcinfo, LIST_ARCHIVED));
}
