/*
 * forward.c — chat.forward_message (1.7): a message the caller sees, sent again by them to other
 * conversations, each copy marked forwarded and naming no original sender (as WhatsApp does).
 * The copies go through the send path as one batch (send.h), so each target is checked and
 * answered on its own, and fan-out is that of any new message.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/uuid.h"

#include "args.h"
#include "attachments.h"
#include "query.h"
#include "schema.h"
#include "send.h"
#include "users.h"

/* WhatsApp's bound on the chats one forward reaches: a forward is not a broadcast. */
#define FORWARD_MAX_TARGETS 5

/*
 * The message, if the caller sees it: a member from before it was sent, and not one who deleted
 * it for themselves. Else P0002, as for a message that does not exist.
 */
static SavedQuery forwardable = SAVED_QUERY(
	"SELECT m.content, m.is_deleted, "
	"  (SELECT sum(a.size) FROM chat.attachments a "
	"   WHERE a.conversation_id = m.conversation_id AND a.message_id = m.id)::int8 "
	"FROM chat.messages m WHERE m.id = $1 "
	"AND EXISTS (SELECT FROM chat.conversation_participants p "
	"  WHERE p.conversation_id = m.conversation_id AND p.user_id = $2 AND p.joined_seq < m.seq) "
	"AND NOT EXISTS (SELECT FROM chat.hidden_messages h "
	"  WHERE h.user_id = $2 AND h.conversation_id = m.conversation_id AND h.seq = m.seq)",
	UUIDOID, UUIDOID);

static void
bad_targets(const char *message)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s", message)));
}

static int
uuid_order(const void *a, const void *b)
{
	return memcmp(a, b, UUID_LEN);
}

/* The targets: 1 to FORWARD_MAX_TARGETS distinct conversations, no nulls; 22023 otherwise. */
static pg_uuid_t *
targets_read(ArrayType *array, int *count)
{
	Datum	   *elements;
	bool	   *nulls;
	pg_uuid_t  *targets;
	pg_uuid_t  *sorted;

	if (ARR_NDIM(array) > 1)
		bad_targets("conversationIds must be a list of conversation ids");
	deconstruct_array(array, UUIDOID, UUID_LEN, false, TYPALIGN_CHAR, &elements, &nulls, count);
	if (*count < 1 || *count > FORWARD_MAX_TARGETS)
		bad_targets(psprintf("a message is forwarded to 1 to %d conversations", FORWARD_MAX_TARGETS));
	targets = palloc(sizeof(pg_uuid_t) * *count);
	for (int i = 0; i < *count; i++)
	{
		if (nulls[i])
			bad_targets("conversationIds must not hold nulls");
		targets[i] = *DatumGetUUIDP(elements[i]);
	}
	sorted = palloc(sizeof(pg_uuid_t) * *count);
	memcpy(sorted, targets, sizeof(pg_uuid_t) * *count);
	qsort(sorted, *count, sizeof(pg_uuid_t), uuid_order);
	for (int i = 1; i < *count; i++)
		if (memcmp(&sorted[i], &sorted[i - 1], UUID_LEN) == 0)
			bad_targets("conversationIds must not name a conversation twice");
	return targets;
}

/* The bridge's stable codes (docs/rest.md) of the refusals a send can give one target. */
static const char *
refusal_code(int sqlstate)
{
	switch (sqlstate)
	{
		case ERRCODE_NO_DATA_FOUND:
			return "not_found";
		case ERRCODE_INSUFFICIENT_PRIVILEGE:
			return "forbidden";
		case ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION:
			return "unauthorized";
		default:
			return "bad_request";
	}
}

/* {conversationId, message[, resent]} or {conversationId, error: {code, sqlstate, message}} */
static void
push_result(JsonbParseState **state, const pg_uuid_t *target, const SendOutcome *outcome)
{
	pushJsonbValue(state, WJB_BEGIN_OBJECT, NULL);
	send_push_string(state, WJB_KEY, "conversationId");
	send_push_string(state, WJB_VALUE,
					 DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(target))));
	send_push_outcome(state, outcome, refusal_code(outcome->refusal));
	pushJsonbValue(state, WJB_END_OBJECT, NULL);
}

PG_FUNCTION_INFO_V1(chat_forward_message);

/*
 * chat.forward_message(token, message_id, conversation_ids, client_id default null) ->
 * {messageId, results: [...]} in the order of conversation_ids.
 */
Datum
chat_forward_message(PG_FUNCTION_ARGS)
{
	Datum		values[2];
	pg_uuid_t  *message_id = DatumGetUUIDP(arg_required(fcinfo, 1, "messageId"));
	ArrayType  *array = DatumGetArrayTypeP(arg_required(fcinfo, 2, "conversationIds"));
	char	   *client_id = arg_text_or_null(fcinfo, 3);
	text	   *token;
	pg_uuid_t  *targets;
	int			count;
	char	   *content;
	bool		isnull;
	Datum		files_bytes;
	bool		no_files;
	SendOutcome *outcomes;
	JsonbParseState *state = NULL;
	JsonbValue *result;
	Datum		answer;

	targets = targets_read(array, &count);
	if (!schema_has_attachments())
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("forwarding needs the chat extension 1.7"),
				 errhint("Run ALTER EXTENSION chat UPDATE.")));
	SPI_connect();
	values[0] = UUIDPGetDatum(message_id);
	values[1] = UUIDPGetDatum(users_authenticate(fcinfo, 0));
	if (query_run(&forwardable, values, NULL, false) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("message not found")));
	if (DatumGetBool(query_value(2, &isnull)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a deleted message cannot be forwarded")));
	content = TextDatumGetCString(query_value(1, &isnull));
	/* the copies of its files count against the forwarder's quota, one set per chat */
	files_bytes = query_value(3, &no_files);
	if (!no_files)
		attachments_check_quota(DatumGetUUIDP(values[1]), DatumGetInt64(files_bytes) * count,
								"forwarding these files");

	token = PG_GETARG_TEXT_PP(0);
	outcomes = palloc(sizeof(SendOutcome) * count);
	send_forward(VARDATA_ANY(token), VARSIZE_ANY_EXHDR(token), targets, count, content,
				 no_files ? NULL : message_id, client_id, outcomes);

	pushJsonbValue(&state, WJB_BEGIN_OBJECT, NULL);
	send_push_string(&state, WJB_KEY, "messageId");
	send_push_string(&state, WJB_VALUE,
				DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(message_id))));
	send_push_string(&state, WJB_KEY, "results");
	pushJsonbValue(&state, WJB_BEGIN_ARRAY, NULL);
	for (int i = 0; i < count; i++)
		push_result(&state, &targets[i], &outcomes[i]);
	pushJsonbValue(&state, WJB_END_ARRAY, NULL);
	result = pushJsonbValue(&state, WJB_END_OBJECT, NULL);
	/* built in SPI's memory: copied out before it goes */
	answer = SPI_datumTransfer(JsonbPGetDatum(JsonbValueToJsonb(result)), false, -1);
	SPI_finish();
	PG_RETURN_DATUM(answer);
}
