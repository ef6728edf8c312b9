/*
 * message_info.c — chat.message_info (1.7): who has read a message and who has received it, read
 * from the members' receipts (conversation_participants.last_read_seq, last_delivered_seq), so
 * it costs no row per message and member. Shown to the message's sender only, as WhatsApp does.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/jsonb.h"
#include "utils/uuid.h"

#include "args.h"
#include "json.h"
#include "query.h"
#include "schema.h"
#include "users.h"

/* The message if the caller sees it (as forward.c's rule), and whether the caller sent it. */
static SavedQuery seen_message = SAVED_QUERY(
	"SELECT m.conversation_id, m.seq, m.sender_id IS NOT DISTINCT FROM $2 FROM chat.messages m "
	"WHERE m.id = $1 "
	"AND EXISTS (SELECT FROM chat.conversation_participants p "
	"  WHERE p.conversation_id = m.conversation_id AND p.user_id = $2 AND p.joined_seq < m.seq) "
	"AND NOT EXISTS (SELECT FROM chat.hidden_messages h "
	"  WHERE h.user_id = $2 AND h.conversation_id = m.conversation_id AND h.seq = m.seq)",
	UUIDOID, UUIDOID);

/*
 * The other members who were there when it was sent, each in one list: read (their read mark
 * reached it), delivered (received, not read) or pending. A photo as the sender may see it.
 */
#define INFO_USER \
	"jsonb_build_object('id', u.id, 'username', u.username, 'displayName', u.display_name, " \
	"'profilePhoto', " PHOTO_SEEN_BY("u", "$2") ")"

static SavedQuery receipts_of = SAVED_QUERY(
	"SELECT jsonb_build_object('messageId', $4, 'conversationId', $1, 'seq', $3, "
	"'readBy', coalesce(jsonb_agg(" INFO_USER " ORDER BY u.username) "
	"  FILTER (WHERE p.last_read_seq >= $3), '[]'), "
	"'deliveredTo', coalesce(jsonb_agg(" INFO_USER " ORDER BY u.username) "
	"  FILTER (WHERE p.last_delivered_seq >= $3 AND p.last_read_seq < $3), '[]'), "
	"'pending', coalesce(jsonb_agg(" INFO_USER " ORDER BY u.username) "
	"  FILTER (WHERE p.last_delivered_seq < $3), '[]')) "
	"FROM chat.conversation_participants p JOIN chat.users u ON u.id = p.user_id "
	"WHERE p.conversation_id = $1 AND p.user_id <> $2 AND p.joined_seq < $3",
	UUIDOID, UUIDOID, INT8OID, UUIDOID);

PG_FUNCTION_INFO_V1(chat_message_info);

/* chat.message_info(token, message_id) -> {messageId, conversationId, seq, readBy, deliveredTo, pending} */
Datum
chat_message_info(PG_FUNCTION_ARGS)
{
	Datum		values[4];
	bool		isnull;
	Datum		result;

	values[3] = arg_required(fcinfo, 1, "messageId");
	if (!schema_has_attachments())
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("message info needs the chat extension 1.7"),
				 errhint("Run ALTER EXTENSION chat UPDATE.")));
	SPI_connect();
	values[0] = values[3];
	values[1] = UUIDPGetDatum(users_authenticate(fcinfo, 0));
	if (query_run(&seen_message, values, NULL, true) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("message not found")));
	if (!DatumGetBool(query_value(3, &isnull)))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("only the sender of a message sees its info")));
	values[0] = SPI_datumTransfer(query_value(1, &isnull), false, UUID_LEN);
	values[2] = query_value(2, &isnull);
	result = query_first_copy(&receipts_of, values, NULL, true, &isnull);
	SPI_finish();
	PG_RETURN_DATUM(result);
}
