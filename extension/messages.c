/*
 * messages.c — paging, catching up, editing, deleting, receipts, and the bridge's fetches of
 * what a doorbell names. Sending is send.c.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/uuid.h"

#include "args.h"
#include "attachments.h"
#include "conversations.h"
#include "events.h"
#include "json.h"
#include "query.h"
#include "schema.h"
#include "users.h"

#define CONTENT_MAX 65536
#define PAGE_DEFAULT 50
#define PAGE_MAX 100
#define CATCH_UP_DEFAULT 100
#define CATCH_UP_MAX 500
/*
 * A page stops once this much content is in it (one message at least), so no answer is larger
 * than a few MiB whatever the limit asked: the client goes on from the page's last seq.
 */
#define PAGE_CONTENT_BYTES (1024 * 1024)

static void
content_check(const char *content)
{
	if (content[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("content must not be empty")));
	arg_check_length(content, "content", CONTENT_MAX);
	/* line breaks and tabs only: other control characters grow sixfold in JSON, and no one types them */
	arg_check_printable(content, "content", true);
}

static int64
seq_arg(FunctionCallInfo fcinfo, int argno, const char *name)
{
	int64		seq = DatumGetInt64(arg_required(fcinfo, argno, name));

	if (seq < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must not be negative", name)));
	return seq;
}

/* The content read before each message of a page, in the page's order, keeps it under $4 bytes. */
#define PAGE_SIZED(order) \
	"SELECT coalesce(jsonb_agg(j ORDER BY seq), '[]') FROM (" \
	"  SELECT seq, j, sum(bytes) OVER (ORDER BY seq " order ") - bytes AS before FROM ("
#define PAGE_CUT ") page) sized WHERE before < $4"

/* $5: the seq the caller joined at; nothing at or before it is theirs to read */
static SavedQuery page_before = SAVED_QUERY(
	PAGE_SIZED("DESC")
	"    SELECT m.seq, octet_length(m.content) AS bytes, " MESSAGE_JSON("m") " AS j "
	"    FROM chat.messages m WHERE m.conversation_id = $1 AND m.seq < $2 AND m.seq > $5 "
	"    ORDER BY m.seq DESC LIMIT $3" PAGE_CUT,
	UUIDOID, INT8OID, INT4OID, INT8OID, INT8OID);

static SavedQuery page_after = SAVED_QUERY(
	PAGE_SIZED("ASC")
	"    SELECT m.seq, octet_length(m.content) AS bytes, " MESSAGE_JSON("m") " AS j "
	"    FROM chat.messages m WHERE m.conversation_id = $1 AND m.seq > greatest($2, $5) "
	"    ORDER BY m.seq LIMIT $3" PAGE_CUT,
	UUIDOID, INT8OID, INT4OID, INT8OID, INT8OID);

/*
 * From 1.6 ($6, the caller) each message with its reactions, and none the caller deleted for
 * themselves.
 */
static SavedQuery page_before_1_6 = SAVED_QUERY(
	PAGE_SIZED("DESC")
	"    SELECT m.seq, octet_length(m.content) AS bytes, " MESSAGE_JSON_REACTIONS("m") " AS j "
	"    FROM chat.messages m WHERE m.conversation_id = $1 AND m.seq < $2 AND m.seq > $5 "
	"      AND NOT " HIDDEN_FROM("m", "$6") " "
	"    ORDER BY m.seq DESC LIMIT $3" PAGE_CUT,
	UUIDOID, INT8OID, INT4OID, INT8OID, INT8OID, UUIDOID);

static SavedQuery page_after_1_6 = SAVED_QUERY(
	PAGE_SIZED("ASC")
	"    SELECT m.seq, octet_length(m.content) AS bytes, " MESSAGE_JSON_REACTIONS("m") " AS j "
	"    FROM chat.messages m WHERE m.conversation_id = $1 AND m.seq > greatest($2, $5) "
	"      AND NOT " HIDDEN_FROM("m", "$6") " "
	"    ORDER BY m.seq LIMIT $3" PAGE_CUT,
	UUIDOID, INT8OID, INT4OID, INT8OID, INT8OID, UUIDOID);

static Datum
message_page(FunctionCallInfo fcinfo, SavedQuery *query, SavedQuery *query_1_6, int64 seq,
			 int32 limit)
{
	pg_uuid_t  *conversation_id = DatumGetUUIDP(arg_required(fcinfo, 1, "conversationId"));
	Datum		values[6] = {UUIDPGetDatum(conversation_id), Int64GetDatum(seq), Int32GetDatum(limit),
	Int64GetDatum(PAGE_CONTENT_BYTES)};
	pg_uuid_t  *me;
	bool		isnull;
	Datum		result;

	SPI_connect();
	me = users_authenticate(fcinfo, 0);
	values[4] = Int64GetDatum(conversations_check_member(conversation_id, me));
	values[5] = UUIDPGetDatum(me);
	result = query_first_copy(schema_has_blocks() ? query_1_6 : query, values, NULL, true, &isnull);
	SPI_finish();
	return result;
}

PG_FUNCTION_INFO_V1(chat_messages);

/* chat.messages(token, conversation_id, before_seq default null, lim default 50) */
Datum
chat_messages(PG_FUNCTION_ARGS)
{
	int64		before = PG_ARGISNULL(2) ? PG_INT64_MAX : seq_arg(fcinfo, 2, "before");

	PG_RETURN_DATUM(message_page(fcinfo, &page_before, &page_before_1_6, before,
								 arg_limit(fcinfo, 3, PAGE_DEFAULT, PAGE_MAX)));
}

PG_FUNCTION_INFO_V1(chat_messages_after);

/* chat.messages_after(token, conversation_id, after_seq, lim default 100) */
Datum
chat_messages_after(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(message_page(fcinfo, &page_after, &page_after_1_6, seq_arg(fcinfo, 2, "after"),
								 arg_limit(fcinfo, 3, CATCH_UP_DEFAULT, CATCH_UP_MAX)));
}

/*
 * A message is the caller's to see, edit or delete only from their joining on (1.4): to a member
 * added later, an earlier message is not found, even one they sent before they left.
 */
#define SEEN_BY_MEMBER(m) \
	"EXISTS (SELECT 1 FROM chat.conversation_participants p " \
	"  WHERE p.conversation_id = " m ".conversation_id AND p.user_id = $2 AND p.joined_seq < " m ".seq)"
#define MEMBER_BEFORE_1_4(m) \
	"EXISTS (SELECT 1 FROM chat.conversation_participants p " \
	"  WHERE p.conversation_id = " m ".conversation_id AND p.user_id = $2)"

/* Why an edit or delete touched no row: raises the error that fits. */
#define MESSAGE_OWNER(member) \
	"SELECT m.sender_id = $2, m.is_deleted FROM chat.messages m WHERE m.id = $1 AND " member

static SavedQuery message_owner = SAVED_QUERY(MESSAGE_OWNER(SEEN_BY_MEMBER("m")), UUIDOID, UUIDOID);
static SavedQuery message_owner_before_1_4 = SAVED_QUERY(MESSAGE_OWNER(MEMBER_BEFORE_1_4("m")),
														  UUIDOID, UUIDOID);

static void
refuse_change(Datum *values, const char *action, bool deleted_is_fine)
{
	bool		isnull;
	bool		is_sender;

	if (query_run(schema_has_joined_seq() ? &message_owner : &message_owner_before_1_4,
				  values, NULL, false) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("message not found")));
	is_sender = DatumGetBool(query_value(1, &isnull));
	if (isnull || !is_sender)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("only the sender can %s a message", action)));
	if (!deleted_is_fine)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a deleted message cannot be edited")));
}

#define MEMBER_SENDER_OF(m, member) \
	m ".id = $1 AND " m ".sender_id = $2 AND NOT " m ".is_deleted AND " member

#define UPDATE_CONTENT(member) \
	"UPDATE chat.messages m SET content = $3, is_edited = true, updated_at = now() " \
	"WHERE " MEMBER_SENDER_OF("m", member) " RETURNING m.conversation_id, m.seq, " MESSAGE_JSON("m")
#define MARK_DELETED(member) \
	"UPDATE chat.messages m SET content = '', is_deleted = true, updated_at = now()" \
	QUERY_1_7_BEGIN ", attachments = NULL" QUERY_1_7_END " " \
	"WHERE " MEMBER_SENDER_OF("m", member) " RETURNING m.conversation_id, m.seq, " MESSAGE_JSON("m")

static SavedQuery update_content = SAVED_QUERY(UPDATE_CONTENT(SEEN_BY_MEMBER("m")),
											   UUIDOID, UUIDOID, TEXTOID);
static SavedQuery update_content_before_1_4 = SAVED_QUERY(UPDATE_CONTENT(MEMBER_BEFORE_1_4("m")),
														  UUIDOID, UUIDOID, TEXTOID);
static SavedQuery mark_deleted = SAVED_QUERY(MARK_DELETED(SEEN_BY_MEMBER("m")), UUIDOID, UUIDOID);
static SavedQuery mark_deleted_before_1_4 = SAVED_QUERY(MARK_DELETED(MEMBER_BEFORE_1_4("m")),
														UUIDOID, UUIDOID);

static SavedQuery deleted_message = SAVED_QUERY(
	"SELECT m.conversation_id, m.seq, " MESSAGE_JSON("m") " FROM chat.messages m WHERE m.id = $1",
	UUIDOID);

/* Notifies the edit or delete the last query returned (by seq, never its content); answers the
 * message as it now is. */
static Datum
message_changed(const char *event)
{
	bool		isnull;
	Datum		result = query_value_copy(3, &isnull);

	events_message(event, DatumGetUUIDP(query_value(1, &isnull)),
				   DatumGetInt64(query_value(2, &isnull)));
	return result;
}

PG_FUNCTION_INFO_V1(chat_edit_message);

/* chat.edit_message(token, message_id, content) */
Datum
chat_edit_message(PG_FUNCTION_ARGS)
{
	Datum		values[3];
	char	   *content;
	Datum		result;

	values[0] = arg_required(fcinfo, 1, "messageId");
	content = arg_text(fcinfo, 2, "content");
	content_check(content);
	values[2] = CStringGetTextDatum(content);

	SPI_connect();
	values[1] = UUIDPGetDatum(users_authenticate(fcinfo, 0));
	if (query_run(schema_has_joined_seq() ? &update_content : &update_content_before_1_4,
				  values, NULL, false) == 0)
		refuse_change(values, "edit", false);
	result = message_changed("message_updated");
	SPI_finish();
	PG_RETURN_DATUM(result);
}

PG_FUNCTION_INFO_V1(chat_delete_message);

/* chat.delete_message(token, message_id): for everyone; deleting again changes nothing */
Datum
chat_delete_message(PG_FUNCTION_ARGS)
{
	pg_uuid_t	conversation;
	Datum		values[2];
	bool		isnull;
	Datum		result;

	values[0] = arg_required(fcinfo, 1, "messageId");
	SPI_connect();
	values[1] = UUIDPGetDatum(users_authenticate(fcinfo, 0));
	if (query_run(schema_has_joined_seq() ? &mark_deleted : &mark_deleted_before_1_4,
				  values, NULL, false) == 0)
	{
		refuse_change(values, "delete", true);
		/* already deleted by its sender: the same answer, no second event */
		query_run(&deleted_message, values, NULL, false);
		result = query_value_copy(3, &isnull);
		SPI_finish();
		PG_RETURN_DATUM(result);
	}
	conversation = *DatumGetUUIDP(query_value(1, &isnull));
	result = message_changed("message_deleted");
	/* a message deleted for everyone takes its files along (1.7) */
	attachments_drop(UUIDPGetDatum(&conversation), values[0]);
	SPI_finish();
	PG_RETURN_DATUM(result);
}

#define RECEIPT_JSON(p) \
	"jsonb_build_object('conversationId', " p ".conversation_id, 'userId', " p ".user_id, " \
	"'deliveredSeq', " p ".last_delivered_seq, 'readSeq', " p ".last_read_seq)"

/* Moves receipts forward only (never past the last message); no row when nothing moved. */
static SavedQuery advance_delivered = SAVED_QUERY(
	"UPDATE chat.conversation_participants p "
	"SET last_delivered_seq = least($3, c.last_seq) "
	"FROM chat.conversations c WHERE c.id = $1 AND p.conversation_id = $1 AND p.user_id = $2 "
	"AND p.last_delivered_seq < least($3, c.last_seq) RETURNING " RECEIPT_JSON("p"),
	UUIDOID, UUIDOID, INT8OID);

static SavedQuery advance_read = SAVED_QUERY(
	"UPDATE chat.conversation_participants p "
	"SET last_read_seq = least($3, c.last_seq), "
	"    last_delivered_seq = greatest(p.last_delivered_seq, least($3, c.last_seq)) "
	"FROM chat.conversations c WHERE c.id = $1 AND p.conversation_id = $1 AND p.user_id = $2 "
	"AND p.last_read_seq < least($3, c.last_seq) RETURNING " RECEIPT_JSON("p"),
	UUIDOID, UUIDOID, INT8OID);

static SavedQuery current_receipt = SAVED_QUERY(
	"SELECT " RECEIPT_JSON("p") " FROM chat.conversation_participants p "
	"WHERE p.conversation_id = $1 AND p.user_id = $2",
	UUIDOID, UUIDOID);

static Datum
receipt_advance(FunctionCallInfo fcinfo, SavedQuery *advance)
{
	Datum		values[3];
	bool		isnull;
	Datum		result;

	values[0] = arg_required(fcinfo, 1, "conversationId");
	values[2] = Int64GetDatum(seq_arg(fcinfo, 2, "seq"));
	SPI_connect();
	values[1] = UUIDPGetDatum(users_authenticate(fcinfo, 0));
	if (query_run(advance, values, NULL, false) == 1)
	{
		result = query_value_copy(1, &isnull);
		events_receipt(DatumGetJsonbP(result));
	}
	else
	{
		result = query_first_copy(&current_receipt, values, NULL, false, &isnull);
		if (isnull)
			ereport(ERROR,
					(errcode(ERRCODE_NO_DATA_FOUND),
					 errmsg("conversation not found")));
	}
	SPI_finish();
	return result;
}

PG_FUNCTION_INFO_V1(chat_mark_delivered);

/* chat.mark_delivered(token, conversation_id, seq) -> receipt */
Datum
chat_mark_delivered(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(receipt_advance(fcinfo, &advance_delivered));
}

PG_FUNCTION_INFO_V1(chat_mark_read);

/* chat.mark_read(token, conversation_id, seq) -> receipt */
Datum
chat_mark_read(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(receipt_advance(fcinfo, &advance_read));
}

static SavedQuery message_by_seq = SAVED_QUERY(
	"SELECT " MESSAGE_JSON("m") " FROM chat.messages m WHERE m.conversation_id = $1 AND m.seq = $2",
	UUIDOID, INT8OID);
/* from 1.6 with its reactions: an edit, a delete or a reaction goes out with them */
static SavedQuery message_by_seq_1_6 = SAVED_QUERY(
	"SELECT " MESSAGE_JSON_REACTIONS("m") " FROM chat.messages m "
	"WHERE m.conversation_id = $1 AND m.seq = $2",
	UUIDOID, INT8OID);

PG_FUNCTION_INFO_V1(chat_event_message);

/* chat.event_message(conversation_id, seq): for the bridge, the message of a by-reference event */
Datum
chat_event_message(PG_FUNCTION_ARGS)
{
	Datum		values[2] = {arg_required(fcinfo, 0, "conversationId"), arg_required(fcinfo, 1, "seq")};
	bool		isnull;
	Datum		result = query_once(schema_has_blocks() ? &message_by_seq_1_6 : &message_by_seq,
										values, &isnull);

	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("message not found")));
	PG_RETURN_DATUM(result);
}

#define FETCH_MAX_MESSAGES 1000
#define FETCH_MAX_BYTES (4 * 1024 * 1024)

static SavedQuery messages_in_ranges = SAVED_QUERY(
	"SELECT " MESSAGE_JSON("m") " FROM unnest($1::uuid[], $2::int8[], $3::int8[]) "
	"  WITH ORDINALITY r(c, first_seq, last_seq, n) "
	"JOIN LATERAL (SELECT * FROM chat.messages m WHERE m.conversation_id = r.c "
	"  AND m.seq BETWEEN r.first_seq AND r.last_seq ORDER BY m.seq LIMIT $4) m ON true "
	"ORDER BY r.n, m.seq LIMIT $4",
	UUIDARRAYOID, INT8ARRAYOID, INT8ARRAYOID, INT4OID);

PG_FUNCTION_INFO_V1(chat_event_messages);

/*
 * chat.event_messages(conversation_ids, first_seqs, last_seqs): for the bridge, the messages a
 * doorbell names, range by range in seq order. At most 1,000 messages and about 4 MiB: the
 * answer may stop early, and the bridge asks for what is missing one by one.
 */
Datum
chat_event_messages(PG_FUNCTION_ARGS)
{
	Datum		values[4];
	JsonbParseState *state = NULL;
	JsonbValue *result;
	Datum		answer;
	int64		bytes = 0;

	values[0] = arg_required(fcinfo, 0, "conversationIds");
	values[1] = arg_required(fcinfo, 1, "firstSeqs");
	values[2] = arg_required(fcinfo, 2, "lastSeqs");
	values[3] = Int32GetDatum(FETCH_MAX_MESSAGES);

	SPI_connect();
	query_run(&messages_in_ranges, values, NULL, true);
	pushJsonbValue(&state, WJB_BEGIN_ARRAY, NULL);
	for (uint64 row = 0; row < SPI_processed && bytes < FETCH_MAX_BYTES; row++)
	{
		bool		isnull;
		Jsonb	   *message = DatumGetJsonbP(SPI_getbinval(SPI_tuptable->vals[row],
														   SPI_tuptable->tupdesc, 1, &isnull));
		JsonbValue	value;

		value.type = jbvBinary;
		value.val.binary.data = &message->root;
		value.val.binary.len = VARSIZE(message) - VARHDRSZ;
		pushJsonbValue(&state, WJB_ELEM, &value);
		bytes += VARSIZE(message);
	}
	result = pushJsonbValue(&state, WJB_END_ARRAY, NULL);
	/* the pieces live in SPI's memory: the answer is copied out before it goes */
	answer = SPI_datumTransfer(JsonbPGetDatum(JsonbValueToJsonb(result)), false, -1);
	SPI_finish();
	PG_RETURN_DATUM(answer);
}
