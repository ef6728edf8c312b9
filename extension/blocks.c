/*
 * blocks.c — blocking a user (1.6): block_user, unblock_user, blocked_users. What a block
 * refuses is checked where it happens (send.c, conversations.c, reactions.c) and what it hides
 * where users are shown (json.h's BLOCKED_BY, the presence audiences in contacts.c).
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/uuid.h"

#include "args.h"
#include "events.h"
#include "json.h"
#include "query.h"
#include "schema.h"
#include "users.h"

static void
require_blocks(void)
{
	if (!schema_has_blocks())
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("blocking needs the chat extension 1.6"),
				 errhint("Run ALTER EXTENSION chat UPDATE.")));
}

/* The user as the blocker sees them (their last seen as json.h's rule allows), with blockedAt. */
#define BLOCKED_USER_JSON(u, b) \
	"(" USER_JSON_1_6(u, "$1") " || jsonb_build_object('blockedAt', " b ".created_at))"

static SavedQuery insert_block = SAVED_QUERY(
	"WITH added AS (INSERT INTO chat.blocks (blocker_id, blocked_id) "
	"  SELECT $1, id FROM chat.users WHERE id = $2 ON CONFLICT DO NOTHING RETURNING created_at) "
	"SELECT " BLOCKED_USER_JSON("u", "b") ", (SELECT count(*) FROM added) "
	"FROM chat.users u, LATERAL (SELECT created_at FROM added UNION ALL "
	"  SELECT created_at FROM chat.blocks WHERE blocker_id = $1 AND blocked_id = $2 LIMIT 1) b "
	"WHERE u.id = $2",
	UUIDOID, UUIDOID);

static SavedQuery delete_block = SAVED_QUERY(
	"DELETE FROM chat.blocks WHERE blocker_id = $1 AND blocked_id = $2",
	UUIDOID, UUIDOID);

static SavedQuery blocked_list = SAVED_QUERY(
	"SELECT coalesce(jsonb_agg(" BLOCKED_USER_JSON("u", "b") " ORDER BY b.created_at DESC, u.username), "
	"  '[]') FROM chat.blocks b JOIN chat.users u ON u.id = b.blocked_id WHERE b.blocker_id = $1",
	UUIDOID);

/* The direct chat of the pair, if they have one (by its pair: chats from before 1.2 too). */
static SavedQuery direct_chat_of = SAVED_QUERY(
	"SELECT id FROM chat.conversations WHERE direct_low = least($1, $2) AND direct_high = greatest($1, $2)",
	UUIDOID, UUIDOID);

/*
 * A block or unblock changed: every device of the blocker learns it (blocks_changed), and the
 * pair's direct chat, if any, rings as a membership change without lists, so every bridge
 * reloads its members (typing is not relayed in a chat with a block) and both members get it
 * afresh (the photo and last seen the block hides or shows again).
 */
static void
block_changed(Datum *pair)
{
	bool		isnull;

	events_user("blocks_changed", DatumGetUUIDP(pair[0]), NULL, -1);
	if (query_run(&direct_chat_of, pair, NULL, true) > 0)
		events_membership("membership_changed", DatumGetUUIDP(query_value(1, &isnull)), NULL, NULL);
}

PG_FUNCTION_INFO_V1(chat_block_user);

/* chat.block_user(token, user_id) -> the user, with blockedAt */
Datum
chat_block_user(PG_FUNCTION_ARGS)
{
	Datum		values[2];
	bool		isnull;
	Datum		result;

	values[1] = arg_required(fcinfo, 1, "userId");
	require_blocks();
	SPI_connect();
	values[0] = UUIDPGetDatum(users_authenticate(fcinfo, 0));
	if (memcmp(DatumGetUUIDP(values[0]), DatumGetUUIDP(values[1]), UUID_LEN) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("you cannot block yourself")));
	if (query_run(&insert_block, values, NULL, false) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("user not found")));
	result = query_value_copy(1, &isnull);
	if (DatumGetInt64(query_value(2, &isnull)) > 0)
		block_changed(values);
	SPI_finish();
	PG_RETURN_DATUM(result);
}

PG_FUNCTION_INFO_V1(chat_unblock_user);

/* chat.unblock_user(token, user_id) -> {unblocked: bool} */
Datum
chat_unblock_user(PG_FUNCTION_ARGS)
{
	Datum		values[2];
	bool		unblocked;

	values[1] = arg_required(fcinfo, 1, "userId");
	require_blocks();
	SPI_connect();
	values[0] = UUIDPGetDatum(users_authenticate(fcinfo, 0));
	unblocked = query_run(&delete_block, values, NULL, false) > 0;
	if (unblocked)
		block_changed(values);
	SPI_finish();
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(unblocked ? "{\"unblocked\": true}"
																  : "{\"unblocked\": false}")));
}

PG_FUNCTION_INFO_V1(chat_blocked_users);

/* chat.blocked_users(token) -> [user with blockedAt], newest block first */
Datum
chat_blocked_users(PG_FUNCTION_ARGS)
{
	Datum		values[1];
	bool		isnull;
	Datum		result;

	require_blocks();
	SPI_connect();
	values[0] = UUIDPGetDatum(users_authenticate(fcinfo, 0));
	result = query_first_copy(&blocked_list, values, NULL, true, &isnull);
	SPI_finish();
	PG_RETURN_DATUM(result);
}
