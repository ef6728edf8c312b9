/*
 * conversations.c — direct chats and groups: creating them, listing them, and the admin rules of
 * groups (add, remove, promote, demote, leave). Membership changes lock the conversation row,
 * so concurrent admin actions see each other and a group never loses its last admin.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "common/cryptohash.h"
#include "common/sha1.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/uuid.h"

#include "args.h"
#include "conversations.h"
#include "events.h"
#include "json.h"
#include "query.h"
#include "schema.h"
#include "users.h"

#define GROUP_MAX_MEMBERS 256
#define GROUP_NAME_MAX 100

static void
not_found(void)
{
	ereport(ERROR,
			(errcode(ERRCODE_NO_DATA_FOUND),
			 errmsg("conversation not found")));
}

static SavedQuery member_since = SAVED_QUERY(
	"SELECT joined_seq FROM chat.conversation_participants WHERE conversation_id = $1 AND user_id = $2",
	UUIDOID, UUIDOID);
static SavedQuery is_member_before_1_4 = SAVED_QUERY(
	"SELECT 0::int8 FROM chat.conversation_participants WHERE conversation_id = $1 AND user_id = $2",
	UUIDOID, UUIDOID);

int64
conversations_check_member(const pg_uuid_t *conversation_id, const pg_uuid_t *user_id)
{
	Datum		values[2] = {UUIDPGetDatum(conversation_id), UUIDPGetDatum(user_id)};
	bool		isnull;

	if (query_run(schema_has_joined_seq() ? &member_since : &is_member_before_1_4, values, NULL,
				  true) == 0)
		not_found();
	return DatumGetInt64(query_value(1, &isnull));
}

/* The caller's place in a conversation, with the conversation row locked for a change. */
typedef struct Membership
{
	bool		is_admin;
	bool		is_group;
} Membership;

static SavedQuery lock_membership = SAVED_QUERY(
	"SELECT p.role = 'admin', c.is_group FROM chat.conversations c "
	"JOIN chat.conversation_participants p ON p.conversation_id = c.id AND p.user_id = $2 "
	"WHERE c.id = $1 FOR UPDATE OF c",
	UUIDOID, UUIDOID);

static Membership
membership_lock(const pg_uuid_t *conversation_id, const pg_uuid_t *user_id)
{
	Datum		values[2] = {UUIDPGetDatum(conversation_id), UUIDPGetDatum(user_id)};
	Membership	membership;
	bool		isnull;

	if (query_run(&lock_membership, values, NULL, false) == 0)
		not_found();
	membership.is_admin = DatumGetBool(query_value(1, &isnull));
	membership.is_group = DatumGetBool(query_value(2, &isnull));
	return membership;
}

/* Raises unless the caller is an admin of a group: the rule of every membership change. */
static void
require_group_admin(Membership membership, const char *action)
{
	if (!membership.is_group)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a direct chat has no members to %s", action)));
	if (!membership.is_admin)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("only group admins can %s members", action)));
}

/* From 1.4 the last seen the caller may know, and no last message from before they joined. */
static SavedQuery conversation_one = SAVED_QUERY(
	"SELECT " CONVERSATION_JSON_SEEN_BY("c", "me", "$2") " FROM chat.conversation_participants me "
	"JOIN chat.conversations c ON c.id = me.conversation_id "
	"WHERE me.conversation_id = $1 AND me.user_id = $2",
	UUIDOID, UUIDOID);
static SavedQuery conversation_one_before_1_4 = SAVED_QUERY(
	"SELECT " CONVERSATION_JSON("c", "me") " FROM chat.conversation_participants me "
	"JOIN chat.conversations c ON c.id = me.conversation_id "
	"WHERE me.conversation_id = $1 AND me.user_id = $2",
	UUIDOID, UUIDOID);

/* From 1.6 with the caller's state of it, and what a block or a delete for me hides (json.h). */
static SavedQuery conversation_one_1_6 = SAVED_QUERY(
	"SELECT " CONVERSATION_JSON_1_6("c", "me", "$2") " FROM chat.conversation_participants me "
	"JOIN chat.conversations c ON c.id = me.conversation_id "
	"WHERE me.conversation_id = $1 AND me.user_id = $2",
	UUIDOID, UUIDOID);

/* The conversation as the user sees it, copied out of SPI; P0002 unless a member. */
Datum
conversations_json_for(const pg_uuid_t *conversation_id, const pg_uuid_t *user_id)
{
	Datum		values[2] = {UUIDPGetDatum(conversation_id), UUIDPGetDatum(user_id)};
	bool		isnull;
	Datum		result = query_first_copy(schema_has_blocks() ? &conversation_one_1_6
											  : schema_has_joined_seq() ? &conversation_one
											  : &conversation_one_before_1_4,
											  values, NULL, false, &isnull);

	if (isnull)
		not_found();
	return result;
}

/*
 * The distinct user ids of a uuid[] argument, without the caller; raises 22023 for a null
 * element or more than a group can hold.
 */
static ArrayType *
user_ids_arg(FunctionCallInfo fcinfo, int argno, const char *name, const pg_uuid_t *caller)
{
	ArrayType  *array = DatumGetArrayTypeP(arg_required(fcinfo, argno, name));
	Datum	   *elements;
	bool	   *nulls;
	int			count;
	int			kept = 0;

	if (ARR_NDIM(array) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a list of user ids", name)));
	deconstruct_array(array, UUIDOID, UUID_LEN, false, TYPALIGN_CHAR, &elements, &nulls, &count);
	if (count > GROUP_MAX_MEMBERS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a group has at most %d members", GROUP_MAX_MEMBERS)));
	for (int i = 0; i < count; i++)
	{
		bool		seen = false;

		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%s must not contain null", name)));
		if (memcmp(DatumGetUUIDP(elements[i]), caller, UUID_LEN) == 0)
			continue;
		for (int j = 0; j < kept && !seen; j++)
			seen = memcmp(DatumGetUUIDP(elements[j]), DatumGetUUIDP(elements[i]), UUID_LEN) == 0;
		if (!seen)
			elements[kept++] = elements[i];
	}
	return construct_array(elements, kept, UUIDOID, UUID_LEN, false, TYPALIGN_CHAR);
}

/* 1.6: whoever blocked the caller can't be added by them to a group (the first, by username). */
static SavedQuery blocker_among = SAVED_QUERY(
	"SELECT u.username FROM chat.blocks b JOIN chat.users u ON u.id = b.blocker_id "
	"WHERE b.blocked_id = $1 AND b.blocker_id = ANY ($2) ORDER BY u.username LIMIT 1",
	UUIDOID, UUIDARRAYOID);

static void
require_not_blocked_by(const pg_uuid_t *me, ArrayType *user_ids)
{
	Datum		values[2] = {UUIDPGetDatum(me), PointerGetDatum(user_ids)};
	bool		isnull;

	if (!schema_has_blocks() || query_run(&blocker_among, values, NULL, true) == 0)
		return;
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("you can't add %s to a group",
					TextDatumGetCString(query_value(1, &isnull)))));
}

static SavedQuery count_users = SAVED_QUERY(
	"SELECT count(*) FROM chat.users WHERE id = ANY ($1)",
	UUIDARRAYOID);

static void
require_users_exist(ArrayType *user_ids)
{
	Datum		values[1] = {PointerGetDatum(user_ids)};
	bool		isnull;

	query_run(&count_users, values, NULL, true);
	if (DatumGetInt64(query_value(1, &isnull)) != ArrayGetNItems(ARR_NDIM(user_ids), ARR_DIMS(user_ids)))
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("user not found")));
}

/*
 * Adds users (role member, or admin for the creator) and returns the ids added, as jsonb. From
 * 1.3 each membership starts with the conversation's list_at, where it stands in lists
 * (schema.h); before, the same rows without it. From 1.4 a member added to a group joins at its
 * last_seq (read under the row lock the caller holds, which sends take too) and sees only what
 * comes after: nothing before is unread or undelivered to them either.
 */
static SavedQuery insert_participants = SAVED_QUERY(
	"WITH added AS (INSERT INTO chat.conversation_participants "
	"    (conversation_id, user_id, role, list_at, joined_seq, last_read_seq, last_delivered_seq) "
	"  SELECT $1, u, CASE WHEN u = $3 THEN 'admin' ELSE 'member' END::chat.participant_role, "
	"    " LIST_AT("c.updated_at", "c.is_group") ", j.seq, j.seq, j.seq "
	"  FROM unnest($2::uuid[]) u, chat.conversations c, "
	"    LATERAL (SELECT CASE WHEN c.is_group THEN c.last_seq ELSE 0 END AS seq) j WHERE c.id = $1 "
	"  ON CONFLICT DO NOTHING RETURNING user_id) "
	"SELECT jsonb_agg(user_id) FROM added",
	UUIDOID, UUIDARRAYOID, UUIDOID);
static SavedQuery insert_participants_before_1_3 = SAVED_QUERY(
	"WITH added AS (INSERT INTO chat.conversation_participants (conversation_id, user_id, role) "
	"  SELECT $1, u, CASE WHEN u = $3 THEN 'admin' ELSE 'member' END::chat.participant_role "
	"  FROM unnest($2::uuid[]) u "
	"  ON CONFLICT DO NOTHING RETURNING user_id) "
	"SELECT jsonb_agg(user_id) FROM added",
	UUIDOID, UUIDARRAYOID, UUIDOID);
static SavedQuery insert_participants_before_1_4 = SAVED_QUERY(
	"WITH added AS (INSERT INTO chat.conversation_participants "
	"    (conversation_id, user_id, role, list_at) "
	"  SELECT $1, u, CASE WHEN u = $3 THEN 'admin' ELSE 'member' END::chat.participant_role, "
	"    " LIST_AT("c.updated_at", "c.is_group") " "
	"  FROM unnest($2::uuid[]) u, chat.conversations c WHERE c.id = $1 "
	"  ON CONFLICT DO NOTHING RETURNING user_id) "
	"SELECT jsonb_agg(user_id) FROM added",
	UUIDOID, UUIDARRAYOID, UUIDOID);

static Jsonb *
participants_add(const pg_uuid_t *conversation_id, ArrayType *user_ids, const pg_uuid_t *admin)
{
	Datum		values[3] = {UUIDPGetDatum(conversation_id), PointerGetDatum(user_ids), UUIDPGetDatum(admin)};
	char		nulls[4] = "   ";
	bool		isnull;
	Datum		added;

	if (admin == NULL)
		nulls[2] = 'n';
	query_run(schema_has_joined_seq() ? &insert_participants
			  : schema_has_list_at() ? &insert_participants_before_1_4
			  : &insert_participants_before_1_3,
			  values, nulls, false);
	added = query_value(1, &isnull);
	return isnull ? NULL : DatumGetJsonbP(added);
}

static ArrayType *
uuid_array(int count, const pg_uuid_t **ids)
{
	Datum	   *elements = palloc(sizeof(Datum) * count);

	for (int i = 0; i < count; i++)
		elements[i] = UUIDPGetDatum(ids[i]);
	return construct_array(elements, count, UUIDOID, UUID_LEN, false, TYPALIGN_CHAR);
}

/*
 * One direct chat per pair, race-free without a unique key on the pair (which Citus could not
 * check across shards): a direct chat's id is a name-based UUID of its ordered pair (RFC 4122
 * version 5: SHA-1 of a namespace and a name), so the primary key refuses a second one.
 *
 * Two sessions creating the same pair's chat derive the same id: the second INSERT waits on the
 * first's key and, once it commits, does nothing and finds the chat (or inserts, if the first
 * rolled back). Chats made before 1.2 have random ids; they are looked up by the pair before any
 * insert, and nothing makes a random-id direct chat any more, so such a pair keeps its one chat.
 * A derived id is predictable from two user ids, which tells nobody anything: to a non-member
 * every function answers "conversation not found" whether the chat exists or not.
 *
 * Never change the namespace: the ids of existing chats were derived from it.
 */
static const uint8 direct_chat_namespace[UUID_LEN] = {
	0xa1, 0x83, 0x54, 0xa5, 0x1e, 0x1c, 0x4f, 0xa7, 0x96, 0x28, 0x45, 0x7c, 0x6b, 0x10, 0x04, 0x00
};

static pg_uuid_t *
direct_chat_id(const pg_uuid_t *low, const pg_uuid_t *high)
{
	pg_cryptohash_ctx *hash = pg_cryptohash_create(PG_SHA1);
	uint8		digest[SHA1_DIGEST_LENGTH];
	pg_uuid_t  *id = palloc(sizeof(pg_uuid_t));

	if (pg_cryptohash_init(hash) < 0 ||
		pg_cryptohash_update(hash, direct_chat_namespace, UUID_LEN) < 0 ||
		pg_cryptohash_update(hash, low->data, UUID_LEN) < 0 ||
		pg_cryptohash_update(hash, high->data, UUID_LEN) < 0 ||
		pg_cryptohash_final(hash, digest, sizeof(digest)) < 0)
		elog(ERROR, "could not derive a direct chat id: %s", pg_cryptohash_error(hash));
	pg_cryptohash_free(hash);
	memcpy(id->data, digest, UUID_LEN);
	id->data[6] = (id->data[6] & 0x0f) | 0x50;	/* version 5 */
	id->data[8] = (id->data[8] & 0x3f) | 0x80;	/* the RFC 4122 variant */
	return id;
}

/* $1 creator, $2 and $3 the ordered pair, $4 the id derived from it */
static SavedQuery insert_direct = SAVED_QUERY(
	"INSERT INTO chat.conversations (id, is_group, created_by, direct_low, direct_high) "
	"VALUES ($4, false, $1, $2, $3) ON CONFLICT DO NOTHING RETURNING id",
	UUIDOID, UUIDOID, UUIDOID, UUIDOID);
static SavedQuery find_direct_by_id = SAVED_QUERY(
	"SELECT id FROM chat.conversations WHERE id = $1",
	UUIDOID);
static SavedQuery find_direct_by_pair = SAVED_QUERY(
	"SELECT id FROM chat.conversations WHERE direct_low = $1 AND direct_high = $2",
	UUIDOID, UUIDOID);

/*
 * The pair's chat, found by its derived id (one shard on Citus), else by the pair (a chat from
 * before 1.2), else inserted; *created says which.
 */
static pg_uuid_t *
direct_chat_find_or_insert(Datum *values, bool *created)
{
	bool		isnull;

	*created = false;
	if (query_run(&find_direct_by_id, values + 3, NULL, false) == 0 &&
		query_run(&find_direct_by_pair, values + 1, NULL, false) == 0)
	{
		*created = query_run(&insert_direct, values, NULL, false) == 1;
		/* lost the race: the winner has committed, and (read committed) a new query sees it */
		if (!*created && query_run(&find_direct_by_pair, values + 1, NULL, false) == 0)
			elog(ERROR, "a direct chat conflicted but was not found");
	}
	return DatumGetUUIDP(SPI_datumTransfer(query_value(1, &isnull), false, UUID_LEN));
}

/* The one direct chat of a pair: made the first time, found (and both re-joined) afterwards. */
static pg_uuid_t *
direct_chat(const pg_uuid_t *me, const pg_uuid_t *other)
{
	bool		me_low = memcmp(me, other, UUID_LEN) < 0;
	const pg_uuid_t *pair[2] = {me_low ? me : other, me_low ? other : me};
	pg_uuid_t  *derived_id = direct_chat_id(pair[0], pair[1]);
	Datum		values[4] = {UUIDPGetDatum(me), UUIDPGetDatum(pair[0]), UUIDPGetDatum(pair[1]),
							 UUIDPGetDatum(derived_id)};
	bool		created;
	pg_uuid_t  *conversation_id;
	Jsonb	   *added;

	conversation_id = direct_chat_find_or_insert(values, &created);
	added = participants_add(conversation_id, uuid_array(2, pair), NULL);
	if (added != NULL)
		events_membership(created ? "conversation_created" : "membership_changed",
						  conversation_id, added, NULL);
	return conversation_id;
}

static SavedQuery insert_group = SAVED_QUERY(
	"INSERT INTO chat.conversations (is_group, name, created_by) VALUES (true, $2, $1) RETURNING id",
	UUIDOID, TEXTOID);

static pg_uuid_t *
group_chat(const pg_uuid_t *me, ArrayType *others, const char *name)
{
	Datum		values[2] = {UUIDPGetDatum(me), CStringGetTextDatum(name)};
	bool		isnull;
	pg_uuid_t  *conversation_id;
	int			count = ArrayGetNItems(ARR_NDIM(others), ARR_DIMS(others));
	const pg_uuid_t **everyone = palloc(sizeof(pg_uuid_t *) * (count + 1));

	query_run(&insert_group, values, NULL, false);
	conversation_id = DatumGetUUIDP(SPI_datumTransfer(query_value(1, &isnull), false, UUID_LEN));
	everyone[0] = me;
	for (int i = 0; i < count; i++)
		everyone[i + 1] = (pg_uuid_t *) ARR_DATA_PTR(others) + i;
	events_membership("conversation_created", conversation_id,
					  participants_add(conversation_id, uuid_array(count + 1, everyone), me), NULL);
	return conversation_id;
}

PG_FUNCTION_INFO_V1(chat_create_conversation);

/* chat.create_conversation(token, participant_ids, is_group default false, name default null) */
Datum
chat_create_conversation(PG_FUNCTION_ARGS)
{
	bool		is_group = !PG_ARGISNULL(2) && PG_GETARG_BOOL(2);
	char	   *name = arg_text_or_null(fcinfo, 3);
	pg_uuid_t  *me;
	ArrayType  *others;
	int			count;
	pg_uuid_t  *conversation_id;
	Datum		result;

	SPI_connect();
	me = users_authenticate(fcinfo, 0);
	others = user_ids_arg(fcinfo, 1, "participantIds", me);
	count = ArrayGetNItems(ARR_NDIM(others), ARR_DIMS(others));
	if (is_group)
	{
		if (name == NULL || name[0] == '\0')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("a group needs a name")));
		arg_check_length(name, "group name", GROUP_NAME_MAX);
		arg_check_printable(name, "group name", false);
		if (count + 1 > GROUP_MAX_MEMBERS)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("a group has at most %d members", GROUP_MAX_MEMBERS)));
	}
	else if (count != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a direct chat is with exactly one other user")));
	require_users_exist(others);
	if (is_group)
		require_not_blocked_by(me, others);

	if (is_group)
		conversation_id = group_chat(me, others, name);
	else
		conversation_id = direct_chat(me, (pg_uuid_t *) ARR_DATA_PTR(others));
	result = conversations_json_for(conversation_id, me);
	SPI_finish();
	PG_RETURN_DATUM(result);
}

PG_FUNCTION_INFO_V1(chat_conversation);

/* chat.conversation(token, conversation_id) */
Datum
chat_conversation(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *conversation_id = DatumGetUUIDP(arg_required(fcinfo, 1, "conversationId"));
	Datum		result;

	SPI_connect();
	result = conversations_json_for(conversation_id, users_authenticate(fcinfo, 0));
	SPI_finish();
	PG_RETURN_DATUM(result);
}

static SavedQuery group_size = SAVED_QUERY(
	"SELECT count(*) FROM chat.conversation_participants "
	"WHERE conversation_id = $1 AND NOT (user_id = ANY ($2))",
	UUIDOID, UUIDARRAYOID);

PG_FUNCTION_INFO_V1(chat_add_participants);

/* chat.add_participants(token, conversation_id, user_ids) */
Datum
chat_add_participants(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *conversation_id = DatumGetUUIDP(arg_required(fcinfo, 1, "conversationId"));
	pg_uuid_t  *me;
	ArrayType  *user_ids;
	Datum		values[2];
	bool		isnull;
	Jsonb	   *added;
	Datum		result;

	SPI_connect();
	me = users_authenticate(fcinfo, 0);
	user_ids = user_ids_arg(fcinfo, 2, "userIds", me);
	require_group_admin(membership_lock(conversation_id, me), "add");
	require_users_exist(user_ids);
	require_not_blocked_by(me, user_ids);

	values[0] = UUIDPGetDatum(conversation_id);
	values[1] = PointerGetDatum(user_ids);
	query_run(&group_size, values, NULL, false);
	if (DatumGetInt64(query_value(1, &isnull)) + ArrayGetNItems(ARR_NDIM(user_ids), ARR_DIMS(user_ids)) > GROUP_MAX_MEMBERS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a group has at most %d members", GROUP_MAX_MEMBERS)));
	added = participants_add(conversation_id, user_ids, NULL);
	if (added != NULL)
		events_membership("membership_changed", conversation_id, added, NULL);
	result = conversations_json_for(conversation_id, me);
	SPI_finish();
	PG_RETURN_DATUM(result);
}

/* Deletes a member; if no admin is left in a group with members, the longest-standing becomes one. */
static SavedQuery delete_participant = SAVED_QUERY(
	"WITH gone AS (DELETE FROM chat.conversation_participants "
	"  WHERE conversation_id = $1 AND user_id = $2 RETURNING user_id) "
	"SELECT jsonb_agg(user_id) FROM gone",
	UUIDOID, UUIDOID);
static SavedQuery promote_if_no_admin = SAVED_QUERY(
	"UPDATE chat.conversation_participants SET role = 'admin' "
	"WHERE conversation_id = $1 AND user_id = ("
	"  SELECT user_id FROM chat.conversation_participants WHERE conversation_id = $1 "
	"  ORDER BY joined_at, user_id LIMIT 1) "
	"AND NOT EXISTS (SELECT 1 FROM chat.conversation_participants "
	"  WHERE conversation_id = $1 AND role = 'admin')",
	UUIDOID);

/* Removes user_id from the conversation (locked by the caller) and tells the bridge. */
static void
participant_remove(const pg_uuid_t *conversation_id, const pg_uuid_t *user_id, bool is_group)
{
	Datum		values[2] = {UUIDPGetDatum(conversation_id), UUIDPGetDatum(user_id)};
	bool		isnull;
	Datum		removed;

	query_run(&delete_participant, values, NULL, false);
	removed = query_value(1, &isnull);
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("participant not found")));
	removed = SPI_datumTransfer(removed, false, -1);
	if (is_group)
		query_run(&promote_if_no_admin, values, NULL, false);
	events_membership("membership_changed", conversation_id, NULL, DatumGetJsonbP(removed));
}

PG_FUNCTION_INFO_V1(chat_remove_participant);

/* chat.remove_participant(token, conversation_id, user_id); removing oneself is leaving */
Datum
chat_remove_participant(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *conversation_id = DatumGetUUIDP(arg_required(fcinfo, 1, "conversationId"));
	pg_uuid_t  *user_id = DatumGetUUIDP(arg_required(fcinfo, 2, "userId"));
	pg_uuid_t  *me;
	Membership	membership;
	Datum		result;

	SPI_connect();
	me = users_authenticate(fcinfo, 0);
	membership = membership_lock(conversation_id, me);
	if (memcmp(me, user_id, UUID_LEN) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("use leave_conversation to leave")));
	require_group_admin(membership, "remove");
	participant_remove(conversation_id, user_id, true);
	result = conversations_json_for(conversation_id, me);
	SPI_finish();
	PG_RETURN_DATUM(result);
}

static SavedQuery set_role = SAVED_QUERY(
	"UPDATE chat.conversation_participants SET role = $3::chat.participant_role "
	"WHERE conversation_id = $1 AND user_id = $2 "
	"RETURNING (SELECT count(*) FROM chat.conversation_participants "
	"  WHERE conversation_id = $1 AND role = 'admin' AND user_id <> $2) + (CASE WHEN $3 = 'admin' THEN 1 ELSE 0 END)",
	UUIDOID, UUIDOID, TEXTOID);

PG_FUNCTION_INFO_V1(chat_set_participant_role);

/* chat.set_participant_role(token, conversation_id, user_id, role) */
Datum
chat_set_participant_role(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *conversation_id = DatumGetUUIDP(arg_required(fcinfo, 1, "conversationId"));
	pg_uuid_t  *user_id = DatumGetUUIDP(arg_required(fcinfo, 2, "userId"));
	char	   *role = arg_text(fcinfo, 3, "role");
	pg_uuid_t  *me;
	Datum		values[3];
	bool		isnull;
	Datum		result;

	if (strcmp(role, "admin") != 0 && strcmp(role, "member") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("role must be \"admin\" or \"member\"")));
	SPI_connect();
	me = users_authenticate(fcinfo, 0);
	require_group_admin(membership_lock(conversation_id, me), "promote or demote");
	values[0] = UUIDPGetDatum(conversation_id);
	values[1] = UUIDPGetDatum(user_id);
	values[2] = CStringGetTextDatum(role);
	if (query_run(&set_role, values, NULL, false) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("participant not found")));
	if (DatumGetInt64(query_value(1, &isnull)) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a group needs at least one admin")));
	events_membership("membership_changed", conversation_id, NULL, NULL);
	result = conversations_json_for(conversation_id, me);
	SPI_finish();
	PG_RETURN_DATUM(result);
}

PG_FUNCTION_INFO_V1(chat_leave_conversation);

/* chat.leave_conversation(token, conversation_id) -> {left: true} */
Datum
chat_leave_conversation(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *conversation_id = DatumGetUUIDP(arg_required(fcinfo, 1, "conversationId"));
	pg_uuid_t  *me;
	Membership	membership;

	SPI_connect();
	me = users_authenticate(fcinfo, 0);
	membership = membership_lock(conversation_id, me);
	participant_remove(conversation_id, me, membership.is_group);
	SPI_finish();
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum("{\"left\": true}")));
}

static SavedQuery member_ids = SAVED_QUERY(
	"SELECT coalesce(jsonb_agg(user_id ORDER BY user_id), '[]') FROM chat.conversation_participants WHERE conversation_id = $1",
	UUIDOID);

PG_FUNCTION_INFO_V1(chat_members);

/* chat.members(conversation_id): for the bridge's fan-out */
Datum
chat_members(PG_FUNCTION_ARGS)
{
	Datum		values[1] = {arg_required(fcinfo, 0, "conversationId")};
	bool		isnull;

	PG_RETURN_DATUM(query_once(&member_ids, values, &isnull));
}

static SavedQuery member_ids_joined = SAVED_QUERY(
	"SELECT coalesce(jsonb_agg(jsonb_build_array(user_id, joined_seq) ORDER BY user_id), '[]') "
	"FROM chat.conversation_participants WHERE conversation_id = $1",
	UUIDOID);

/*
 * From 1.6 a member of a direct chat with a block either way carries a third element, true: the
 * bridge relays no typing in that chat (the blocked sees none of the blocker's). An older bridge
 * reads the first two.
 */
static SavedQuery member_ids_joined_1_6 = SAVED_QUERY(
	"SELECT coalesce(jsonb_agg(jsonb_build_array(p.user_id, p.joined_seq) "
	"  || CASE WHEN q.quiet THEN '[true]'::jsonb ELSE '[]'::jsonb END ORDER BY p.user_id), '[]') "
	"FROM chat.conversation_participants p, (SELECT EXISTS (SELECT FROM chat.conversations c "
	"  JOIN chat.blocks b ON (b.blocker_id = c.direct_low AND b.blocked_id = c.direct_high) "
	"    OR (b.blocker_id = c.direct_high AND b.blocked_id = c.direct_low) "
	"  WHERE c.id = $1)) q (quiet) "
	"WHERE p.conversation_id = $1",
	UUIDOID);

PG_FUNCTION_INFO_V1(chat_members_joined);

/*
 * chat.members_joined(conversation_id) -> [[userId, joinedSeq], ...] (1.4): for the bridge's
 * fan-out, which sends no member an event of a message from before they joined.
 */
Datum
chat_members_joined(PG_FUNCTION_ARGS)
{
	Datum		values[1] = {arg_required(fcinfo, 0, "conversationId")};
	bool		isnull;

	PG_RETURN_DATUM(query_once(schema_has_blocks() ? &member_ids_joined_1_6 : &member_ids_joined,
							   values, &isnull));
}
