/*
 * chat_state.c — each member's own state of a conversation (1.6): muted until when, archived,
 * pinned. It lives on the member's row of conversation_participants; the list reads it there
 * (conversation_list.c) and every device of the member hears of a change (conversation_state).
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "args.h"
#include "conversations.h"
#include "events.h"
#include "json.h"
#include "query.h"
#include "schema.h"
#include "users.h"

#define PINNED_MAX 3

/* What a call asks; each part only when given. */
typedef struct StateChanges
{
	bool		mute_given;
	bool		mute_set;		/* false: unmute */
	TimestampTz mute_until;
	bool		archived_given;
	bool		archived;
	bool		pinned_given;
	bool		pinned;
} StateChanges;

/* The member's row as it is, and as it will be. */
typedef struct State
{
	bool		muted_null;
	TimestampTz muted_until;
	bool		archived_null;
	int64		archived_seq;
	bool		pinned_null;
	TimestampTz pinned_at;
	int64		last_seq;
	bool		archived_now;	/* ARCHIVED() as it is: archived and not brought back */
} State;

static void
bad(const char *message)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s", message),
			 errhint("Send {\"mute\": \"8h\" | \"1w\" | \"always\" | null, \"archived\": true | false, \"pinned\": true | false}.")));
}

static void
read_mute(JsonbValue *value, StateChanges *changes)
{
	TimestampTz now = GetCurrentTransactionStartTimestamp();

	changes->mute_given = true;
	if (value->type == jbvNull)
		return;
	if (value->type != jbvString)
		bad("mute must be \"8h\", \"1w\", \"always\" or null");
	changes->mute_set = true;
	if (value->val.string.len == 2 && memcmp(value->val.string.val, "8h", 2) == 0)
		changes->mute_until = now + 8 * USECS_PER_HOUR;
	else if (value->val.string.len == 2 && memcmp(value->val.string.val, "1w", 2) == 0)
		changes->mute_until = now + 7 * USECS_PER_DAY;
	else if (value->val.string.len == 6 && memcmp(value->val.string.val, "always", 6) == 0)
		TIMESTAMP_NOEND(changes->mute_until);
	else
		bad("mute must be \"8h\", \"1w\", \"always\" or null");
}

static void
read_flag(JsonbValue *value, const char *key, bool *given, bool *flag)
{
	if (value->type != jbvBool)
		bad(psprintf("%s must be true or false", key));
	*given = true;
	*flag = value->val.boolean;
}

static StateChanges
read_changes(Jsonb *object)
{
	StateChanges changes = {0};
	JsonbIterator *iterator;
	JsonbValue	key;
	JsonbValue	value;
	JsonbIteratorToken token;

	if (!JB_ROOT_IS_OBJECT(object))
		bad("changes must be an object");
	iterator = JsonbIteratorInit(&object->root);
	while ((token = JsonbIteratorNext(&iterator, &key, true)) != WJB_DONE)
	{
		char	   *name;

		if (token != WJB_KEY)
			continue;
		name = pnstrdup(key.val.string.val, key.val.string.len);
		token = JsonbIteratorNext(&iterator, &value, true);
		if (strcmp(name, "mute") == 0)
			read_mute(&value, &changes);
		else if (strcmp(name, "archived") == 0)
			read_flag(&value, "archived", &changes.archived_given, &changes.archived);
		else if (strcmp(name, "pinned") == 0)
			read_flag(&value, "pinned", &changes.pinned_given, &changes.pinned);
		else
			bad(psprintf("unknown key \"%s\"", name));
	}
	if (changes.archived_given && changes.archived && changes.pinned_given && changes.pinned)
		bad("a chat is pinned or archived, not both");
	return changes;
}

/*
 * The caller's row, locked. The caller's user row is locked first: it serialises the caller's
 * own state changes, so two pins at once can't both see two pinned and make four.
 */
static SavedQuery lock_caller = SAVED_QUERY(
	"SELECT 1 FROM chat.users WHERE id = $2 FOR NO KEY UPDATE",
	UUIDOID, UUIDOID);

static SavedQuery read_state = SAVED_QUERY(
	"SELECT me.muted_until, me.archived_seq, me.pinned_at, c.last_seq, " ARCHIVED("c", "me") " "
	"FROM chat.conversation_participants me JOIN chat.conversations c ON c.id = me.conversation_id "
	"WHERE me.conversation_id = $1 AND me.user_id = $2 FOR NO KEY UPDATE OF me",
	UUIDOID, UUIDOID);

static SavedQuery pinned_count = SAVED_QUERY(
	"SELECT count(*) FROM chat.conversation_participants "
	"WHERE user_id = $2 AND pinned_at IS NOT NULL AND conversation_id <> $1",
	UUIDOID, UUIDOID);

static SavedQuery write_state = SAVED_QUERY(
	"UPDATE chat.conversation_participants SET muted_until = $3, archived_seq = $4, pinned_at = $5 "
	"WHERE conversation_id = $1 AND user_id = $2",
	UUIDOID, UUIDOID, TIMESTAMPTZOID, INT8OID, TIMESTAMPTZOID);

static State
state_read(Datum *values)
{
	State		state;
	bool		isnull;

	if (query_run(&read_state, values, NULL, false) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("conversation not found")));
	state.muted_until = DatumGetTimestampTz(query_value(1, &state.muted_null));
	state.archived_seq = DatumGetInt64(query_value(2, &state.archived_null));
	state.pinned_at = DatumGetTimestampTz(query_value(3, &state.pinned_null));
	state.last_seq = DatumGetInt64(query_value(4, &isnull));
	state.archived_now = DatumGetBool(query_value(5, &isnull));
	return state;
}

/*
 * The new state: archiving unpins and pinning unarchives (WhatsApp's rules); muting or unmuting
 * an archived chat keeps it archived (it would otherwise come back on the messages that came
 * while it was muted).
 */
static State
state_apply(State state, const StateChanges *changes)
{
	if (changes->mute_given)
	{
		state.muted_null = !changes->mute_set;
		state.muted_until = changes->mute_until;
		if (state.archived_now)
			state.archived_seq = state.last_seq;
		else
			state.archived_null = true;	/* brought back: muting must not send it away again */
	}
	if (changes->archived_given)
	{
		state.archived_null = !changes->archived;
		state.archived_seq = state.last_seq;
		if (changes->archived)
			state.pinned_null = true;
	}
	if (changes->pinned_given)
	{
		if (changes->pinned && state.pinned_null)
			state.pinned_at = GetCurrentTimestamp();	/* pins are ordered by it, even in one transaction */
		state.pinned_null = !changes->pinned;
		if (changes->pinned)
			state.archived_null = true;
	}
	return state;
}

static bool
state_equal(const State *a, const State *b)
{
	return a->muted_null == b->muted_null && (a->muted_null || a->muted_until == b->muted_until) &&
		a->archived_null == b->archived_null &&
		(a->archived_null || a->archived_seq == b->archived_seq) &&
		a->pinned_null == b->pinned_null && (a->pinned_null || a->pinned_at == b->pinned_at);
}

static void
require_pin_room(Datum *values)
{
	bool		isnull;

	query_run(&pinned_count, values, NULL, false);
	if (DatumGetInt64(query_value(1, &isnull)) >= PINNED_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_CHECK_VIOLATION),
				 errmsg("at most %d chats can be pinned", PINNED_MAX),
				 errhint("Unpin one first.")));
}

PG_FUNCTION_INFO_V1(chat_set_conversation_state);

/* chat.set_conversation_state(token, conversation_id, changes) -> the conversation */
Datum
chat_set_conversation_state(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *conversation_id = DatumGetUUIDP(arg_required(fcinfo, 1, "conversationId"));
	StateChanges changes = read_changes(DatumGetJsonbP(arg_required(fcinfo, 2, "changes")));
	pg_uuid_t  *me;
	Datum		values[5];
	char		nulls[6] = "     ";
	State		before;
	State		after;
	Datum		result;

	if (!schema_has_blocks())
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("chat state needs the chat extension 1.6"),
				 errhint("Run ALTER EXTENSION chat UPDATE.")));
	SPI_connect();
	me = users_authenticate(fcinfo, 0);
	values[0] = UUIDPGetDatum(conversation_id);
	values[1] = UUIDPGetDatum(me);
	query_run(&lock_caller, values, NULL, false);
	before = state_read(values);
	after = state_apply(before, &changes);
	if (!after.pinned_null && before.pinned_null)
		require_pin_room(values);
	if (!state_equal(&before, &after))
	{
		values[2] = TimestampTzGetDatum(after.muted_until);
		values[3] = Int64GetDatum(after.archived_seq);
		values[4] = TimestampTzGetDatum(after.pinned_at);
		nulls[2] = after.muted_null ? 'n' : ' ';
		nulls[3] = after.archived_null ? 'n' : ' ';
		nulls[4] = after.pinned_null ? 'n' : ' ';
		query_run(&write_state, values, nulls, false);
		events_user("conversation_state", me, conversation_id, -1);
	}
	result = conversations_json_for(conversation_id, me);
	SPI_finish();
	PG_RETURN_DATUM(result);
}
