/*
 * reactions.c — what a member does to a message that is theirs alone (1.6): a reaction (one
 * emoji per member per message, changed or removed, seen by every member) and delete for me
 * (the message hidden from that member only).
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/uuid.h"

#include "args.h"
#include "events.h"
#include "json.h"
#include "query.h"
#include "schema.h"
#include "users.h"

/* A flag with skin tone and a family joined by ZWJs stays well under these. */
#define EMOJI_MAX_BYTES 32
#define EMOJI_MAX_CHARS 10

static void
require_1_6(void)
{
	if (!schema_has_blocks())
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("reactions and delete for me need the chat extension 1.6"),
				 errhint("Run ALTER EXTENSION chat UPDATE.")));
}

/*
 * An emoji: no test can name every emoji of every Unicode version, so this keeps out what is
 * plainly not one: empty, long, spaces or control characters, or nothing but ASCII (a keycap
 * emoji has its digit, but also U+20E3).
 */
static void
emoji_check(const char *emoji)
{
	size_t		bytes = strlen(emoji);
	bool		beyond_ascii = false;

	for (const char *c = emoji; *c; c++)
		beyond_ascii |= (unsigned char) *c >= 0x80;
	if (bytes == 0 || bytes > EMOJI_MAX_BYTES || !arg_fits(emoji, bytes, EMOJI_MAX_CHARS) ||
		!arg_is_printable(emoji, false) || strchr(emoji, ' ') != NULL || !beyond_ascii)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("emoji must be one emoji"),
				 errdetail("At most %d bytes, without spaces or control characters.", EMOJI_MAX_BYTES)));
}

/* The message, if the caller sees it (a member, from their joining on): P0002 otherwise. */
static SavedQuery visible_message = SAVED_QUERY(
	"SELECT m.conversation_id, m.seq, m.is_deleted FROM chat.messages m WHERE m.id = $1 "
	"AND EXISTS (SELECT 1 FROM chat.conversation_participants p "
	"  WHERE p.conversation_id = m.conversation_id AND p.user_id = $2 AND p.joined_seq < m.seq)",
	UUIDOID, UUIDOID);

typedef struct MessageRef
{
	pg_uuid_t  *conversation_id;
	int64		seq;
	bool		is_deleted;
} MessageRef;

static MessageRef
message_find(Datum *values)
{
	MessageRef	ref;
	bool		isnull;

	if (query_run(&visible_message, values, NULL, false) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("message not found")));
	ref.conversation_id = DatumGetUUIDP(SPI_datumTransfer(query_value(1, &isnull), false, UUID_LEN));
	ref.seq = DatumGetInt64(query_value(2, &isnull));
	ref.is_deleted = DatumGetBool(query_value(3, &isnull));
	return ref;
}

/* In a direct chat with a block either way, reacting is messaging: refused as send.c does. */
static SavedQuery direct_block = SAVED_QUERY(
	"SELECT b.blocker_id = $2 FROM chat.conversations c JOIN chat.blocks b "
	"  ON (b.blocker_id = c.direct_low AND b.blocked_id = c.direct_high) "
	"  OR (b.blocker_id = c.direct_high AND b.blocked_id = c.direct_low) "
	"WHERE c.id = $1 AND NOT c.is_group LIMIT 1",
	UUIDOID, UUIDOID);

static void
refuse_if_blocked(const MessageRef *ref, Datum me)
{
	Datum		values[2] = {UUIDPGetDatum(ref->conversation_id), me};
	bool		isnull;

	if (query_run(&direct_block, values, NULL, true) == 0)
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("%s", DatumGetBool(query_value(1, &isnull))
					? "you blocked this user: unblock them to react"
					: "you can't react to this user's messages")));
}

/* A reaction set or changed (no row when it was already this one); stamped by the clock, which
 * orders equal counts. */
static SavedQuery upsert_reaction = SAVED_QUERY(
	"INSERT INTO chat.reactions AS r (conversation_id, seq, user_id, emoji, created_at) "
	"VALUES ($1, $2, $3, $4, clock_timestamp()) "
	"ON CONFLICT (conversation_id, seq, user_id) DO UPDATE SET emoji = excluded.emoji, "
	"  created_at = excluded.created_at "
	"WHERE r.emoji <> excluded.emoji RETURNING 1",
	UUIDOID, INT8OID, UUIDOID, TEXTOID);

static SavedQuery delete_reaction = SAVED_QUERY(
	"DELETE FROM chat.reactions WHERE conversation_id = $1 AND seq = $2 AND user_id = $3",
	UUIDOID, INT8OID, UUIDOID);

static SavedQuery message_with_reactions = SAVED_QUERY(
	"SELECT " MESSAGE_JSON_REACTIONS("m") " FROM chat.messages m "
	"WHERE m.conversation_id = $1 AND m.seq = $2",
	UUIDOID, INT8OID);

PG_FUNCTION_INFO_V1(chat_react);

/*
 * chat.react(token, message_id, emoji) -> the message with its reactions: sets the caller's
 * reaction, replacing theirs, or removes it (emoji null). A change rings message_reactions.
 */
Datum
chat_react(PG_FUNCTION_ARGS)
{
	Datum		values[4];
	char	   *emoji = arg_text_or_null(fcinfo, 2);
	MessageRef	ref;
	bool		changed;
	bool		isnull;
	Datum		result;

	values[0] = arg_required(fcinfo, 1, "messageId");
	if (emoji != NULL)
		emoji_check(emoji);
	require_1_6();
	SPI_connect();
	values[1] = UUIDPGetDatum(users_authenticate(fcinfo, 0));
	ref = message_find(values);
	if (emoji != NULL && ref.is_deleted)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a deleted message cannot be reacted to")));
	refuse_if_blocked(&ref, values[1]);

	values[2] = values[1];
	values[0] = UUIDPGetDatum(ref.conversation_id);
	values[1] = Int64GetDatum(ref.seq);
	if (emoji != NULL)
	{
		values[3] = CStringGetTextDatum(emoji);
		changed = query_run(&upsert_reaction, values, NULL, false) > 0;
	}
	else
		changed = query_run(&delete_reaction, values, NULL, false) > 0;
	if (changed)
		events_message("message_reactions", ref.conversation_id, ref.seq);
	result = query_first_copy(&message_with_reactions, values, NULL, false, &isnull);
	SPI_finish();
	PG_RETURN_DATUM(result);
}

static SavedQuery insert_hidden = SAVED_QUERY(
	"INSERT INTO chat.hidden_messages (user_id, conversation_id, seq) VALUES ($3, $1, $2) "
	"ON CONFLICT DO NOTHING",
	UUIDOID, INT8OID, UUIDOID);

PG_FUNCTION_INFO_V1(chat_hide_message);

/*
 * chat.hide_message(token, message_id) -> {conversationId, messageId, seq, hidden: true}: delete
 * for me. Every device of the caller hears message_hidden; no one else hears anything.
 */
Datum
chat_hide_message(PG_FUNCTION_ARGS)
{
	Datum		values[3];
	pg_uuid_t  *message_id = DatumGetUUIDP(arg_required(fcinfo, 1, "messageId"));
	pg_uuid_t  *me;
	MessageRef	ref;
	char	   *answer;

	require_1_6();
	SPI_connect();
	me = users_authenticate(fcinfo, 0);
	values[0] = UUIDPGetDatum(message_id);
	values[1] = UUIDPGetDatum(me);
	ref = message_find(values);
	values[0] = UUIDPGetDatum(ref.conversation_id);
	values[1] = Int64GetDatum(ref.seq);
	values[2] = UUIDPGetDatum(me);
	if (query_run(&insert_hidden, values, NULL, false) > 0)
		events_user("message_hidden", me, ref.conversation_id, ref.seq);
	SPI_finish();
	answer = psprintf("{\"conversationId\": \"%s\", \"messageId\": \"%s\", \"seq\": " INT64_FORMAT
					  ", \"hidden\": true}",
					  DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(ref.conversation_id))),
					  DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(message_id))),
					  ref.seq);
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(answer)));
}
