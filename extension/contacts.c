/*
 * contacts.c — each user's address book, and finding people by username or display name.
 * Both show users as strangers see them: never an email, never a hash.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/uuid.h"

#include "args.h"
#include "json.h"
#include "query.h"
#include "schema.h"
#include "users.h"

#define SEARCH_QUERY_MAX 64
#define SEARCH_DEFAULT 20
#define SEARCH_MAX 50

/* From 1.4 (schema.h) each user's last seen as the caller ($1) may know it (json.h). */
#define CONTACT_LIST(user_json) \
	"SELECT coalesce(jsonb_agg(" user_json " ORDER BY lower(u.display_name), u.username), '[]') " \
	"FROM chat.contacts c JOIN chat.users u ON u.id = c.contact_id WHERE c.owner_id = $1"

static SavedQuery contact_list = SAVED_QUERY(
	CONTACT_LIST(USER_JSON_WITH("u", LAST_SEEN_SEEN_BY("u", "$1"))), UUIDOID);
static SavedQuery contact_list_before_1_4 = SAVED_QUERY(CONTACT_LIST(USER_JSON("u")), UUIDOID);
/* from 1.6 no photo nor last seen of a contact who blocked the caller */
static SavedQuery contact_list_1_6 = SAVED_QUERY(CONTACT_LIST(USER_JSON_1_6("u", "$1")), UUIDOID);

PG_FUNCTION_INFO_V1(chat_contacts);

/* chat.contacts(token) */
Datum
chat_contacts(PG_FUNCTION_ARGS)
{
	Datum		values[1];
	bool		isnull;
	Datum		result;

	SPI_connect();
	values[0] = UUIDPGetDatum(users_authenticate(fcinfo, 0));
	result = query_first_copy(schema_has_blocks() ? &contact_list_1_6
							  : schema_has_last_seen_privacy() ? &contact_list
							  : &contact_list_before_1_4, values, NULL, true, &isnull);
	SPI_finish();
	PG_RETURN_DATUM(result);
}

/*
 * The user as the caller may see them: adding someone takes no consent, so from 1.4 their last
 * seen only as their setting allows.
 */
#define INSERT_CONTACT(user_json) \
	"WITH added AS (INSERT INTO chat.contacts (owner_id, contact_id) " \
	"  SELECT $1, id FROM chat.users WHERE id = $2 ON CONFLICT DO NOTHING) " \
	"SELECT " user_json " FROM chat.users u WHERE u.id = $2"

static SavedQuery insert_contact = SAVED_QUERY(
	INSERT_CONTACT(USER_JSON_WITH("u", LAST_SEEN_SEEN_BY("u", "$1"))), UUIDOID, UUIDOID);
static SavedQuery insert_contact_before_1_4 = SAVED_QUERY(INSERT_CONTACT(USER_JSON("u")),
														  UUIDOID, UUIDOID);
static SavedQuery insert_contact_1_6 = SAVED_QUERY(INSERT_CONTACT(USER_JSON_1_6("u", "$1")),
												   UUIDOID, UUIDOID);

PG_FUNCTION_INFO_V1(chat_add_contact);

/* chat.add_contact(token, user_id) -> the user */
Datum
chat_add_contact(PG_FUNCTION_ARGS)
{
	Datum		values[2];
	bool		isnull;
	Datum		result;

	values[1] = arg_required(fcinfo, 1, "userId");
	SPI_connect();
	values[0] = UUIDPGetDatum(users_authenticate(fcinfo, 0));
	if (memcmp(DatumGetUUIDP(values[0]), DatumGetUUIDP(values[1]), UUID_LEN) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("you cannot add yourself as a contact")));
	result = query_first_copy(schema_has_blocks() ? &insert_contact_1_6
							  : schema_has_last_seen_privacy() ? &insert_contact
							  : &insert_contact_before_1_4, values, NULL, false, &isnull);
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("user not found")));
	SPI_finish();
	PG_RETURN_DATUM(result);
}

static SavedQuery delete_contact = SAVED_QUERY(
	"DELETE FROM chat.contacts WHERE owner_id = $1 AND contact_id = $2",
	UUIDOID, UUIDOID);

PG_FUNCTION_INFO_V1(chat_remove_contact);

/* chat.remove_contact(token, user_id) -> {removed: bool} */
Datum
chat_remove_contact(PG_FUNCTION_ARGS)
{
	Datum		values[2];
	bool		removed;

	values[1] = arg_required(fcinfo, 1, "userId");
	SPI_connect();
	values[0] = UUIDPGetDatum(users_authenticate(fcinfo, 0));
	removed = query_run(&delete_contact, values, NULL, false) > 0;
	SPI_finish();
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(removed ? "{\"removed\": true}"
																  : "{\"removed\": false}")));
}

/* A LIKE prefix pattern matching the text literally: \, % and _ are escaped. */
static char *
prefix_pattern(const char *text)
{
	StringInfoData pattern;

	initStringInfo(&pattern);
	for (const char *c = text; *c; c++)
	{
		if (*c == '\\' || *c == '%' || *c == '_')
			appendStringInfoChar(&pattern, '\\');
		appendStringInfoChar(&pattern, *c);
	}
	appendStringInfoChar(&pattern, '%');
	return pattern.data;
}

/*
 * Both arms use a prefix index, which needs the pattern's value at planning; the caller is left out.
 * No lastSeenAt: a search reaches strangers, who may not learn when someone was online.
 */
#define SEARCH(user_json) \
	"SELECT coalesce(jsonb_agg(" user_json " - 'lastSeenAt' ORDER BY u.username), '[]') FROM (" \
	"  SELECT * FROM chat.users WHERE id <> $2 AND (username LIKE lower($1) OR lower(display_name) LIKE lower($1)) " \
	"  ORDER BY username LIMIT $3) u"
static SavedQuery search = SAVED_QUERY_CUSTOM_PLAN(SEARCH(USER_JSON("u")), TEXTOID, UUIDOID, INT4OID);
/* from 1.6 no photo of someone who blocked the caller */
static SavedQuery search_1_6 = SAVED_QUERY_CUSTOM_PLAN(SEARCH(USER_JSON_1_6("u", "$2")),
													   TEXTOID, UUIDOID, INT4OID);

PG_FUNCTION_INFO_V1(chat_search_users);

/* chat.search_users(token, query, lim default 20) */
Datum
chat_search_users(PG_FUNCTION_ARGS)
{
	char	   *text = arg_text(fcinfo, 1, "query");
	int32		limit = PG_ARGISNULL(2) ? SEARCH_DEFAULT : PG_GETARG_INT32(2);
	Datum		values[3];
	bool		isnull;
	Datum		result;

	if (text[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("query must not be empty")));
	arg_check_length(text, "query", SEARCH_QUERY_MAX);
	if (limit < 1 || limit > SEARCH_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("limit must be 1 to %d", SEARCH_MAX)));

	SPI_connect();
	values[0] = CStringGetTextDatum(prefix_pattern(text));
	values[1] = UUIDPGetDatum(users_authenticate(fcinfo, 0));
	values[2] = Int32GetDatum(limit);
	result = query_first_copy(schema_has_blocks() ? &search_1_6 : &search, values, NULL, true,
							  &isnull);
	SPI_finish();
	PG_RETURN_DATUM(result);
}

/* Who shares a conversation with the user $1 (as the column id; once per conversation shared). */
#define CHAT_PARTNERS \
	"SELECT other.user_id AS id FROM chat.conversation_participants mine " \
	"JOIN chat.conversation_participants other ON other.conversation_id = mine.conversation_id " \
	"WHERE mine.user_id = $1 AND other.user_id <> $1 "

#define AUDIENCE(unblocked) \
	"SELECT coalesce(jsonb_agg(DISTINCT id), '[]') FROM (" \
	"  " CHAT_PARTNERS \
	"  UNION SELECT contact_id FROM chat.contacts WHERE owner_id = $1) a" unblocked

/*
 * 1.6: no presence between two users when either blocked the other (a WHERE on the audience's
 * id a.id; the first EXISTS is one InitPlan, so a user in no block pays nothing per member).
 */
#define UNBLOCKED(a) \
	" WHERE NOT (EXISTS (SELECT FROM chat.blocks b WHERE b.blocker_id = $1 OR b.blocked_id = $1) " \
	"  AND EXISTS (SELECT FROM chat.blocks b WHERE (b.blocker_id = $1 AND b.blocked_id = " a ") " \
	"    OR (b.blocker_id = " a " AND b.blocked_id = $1)))"

static SavedQuery audience = SAVED_QUERY(AUDIENCE(""), UUIDOID);
static SavedQuery audience_1_6 = SAVED_QUERY(AUDIENCE(UNBLOCKED("a.id")), UUIDOID);

PG_FUNCTION_INFO_V1(chat_presence_audience);

/*
 * chat.presence_audience(user_id): for the bridge, who sees this user's presence and typing:
 * those who share a conversation with the user, and those the user keeps as contacts. Adding
 * someone as a contact shows them your presence, never theirs to you: that takes their consent.
 */
Datum
chat_presence_audience(PG_FUNCTION_ARGS)
{
	Datum		values[1] = {arg_required(fcinfo, 0, "userId")};
	bool		isnull;

	PG_RETURN_DATUM(query_once(schema_has_blocks() ? &audience_1_6 : &audience, values, &isnull));
}

/*
 * The audience split by who may also see when the user was last online (1.4; json.h's rule):
 * everyone, or the contacts the user keeps, and never a viewer who hides their own.
 */
#define AUDIENCES(unblocked) \
	"SELECT jsonb_build_object(" \
	"  'lastSeen', coalesce(jsonb_agg(a.id ORDER BY a.id) FILTER (WHERE a.sees), '[]'), " \
	"  'presenceOnly', coalesce(jsonb_agg(a.id ORDER BY a.id) FILTER (WHERE NOT a.sees), '[]')) " \
	"FROM (SELECT a.id, me.last_seen_privacy <> 'nobody' AND v.last_seen_privacy <> 'nobody' " \
	"    AND (me.last_seen_privacy = 'everyone' OR EXISTS (SELECT FROM chat.contacts k " \
	"      WHERE k.owner_id = me.id AND k.contact_id = a.id)) AS sees " \
	"  FROM (" CHAT_PARTNERS \
	"    UNION SELECT contact_id FROM chat.contacts WHERE owner_id = $1) a " \
	"  JOIN chat.users v ON v.id = a.id, chat.users me WHERE me.id = $1) a" unblocked
static SavedQuery audiences = SAVED_QUERY(AUDIENCES(""), UUIDOID);
static SavedQuery audiences_1_6 = SAVED_QUERY(AUDIENCES(UNBLOCKED("a.id")), UUIDOID);

PG_FUNCTION_INFO_V1(chat_presence_audiences);

/*
 * chat.presence_audiences(user_id) -> {lastSeen: [ids], presenceOnly: [ids]} (1.4): for the
 * bridge, presence_audience split by who may also be told when the user went offline.
 */
Datum
chat_presence_audiences(PG_FUNCTION_ARGS)
{
	Datum		values[1] = {arg_required(fcinfo, 0, "userId")};
	bool		isnull;

	PG_RETURN_DATUM(query_once(schema_has_blocks() ? &audiences_1_6 : &audiences, values, &isnull));
}

static SavedQuery last_seen = SAVED_QUERY(
	"UPDATE chat.users SET last_seen_at = $2 WHERE id = $1 "
	"AND (last_seen_at IS NULL OR last_seen_at < $2)",
	UUIDOID, TIMESTAMPTZOID);

PG_FUNCTION_INFO_V1(chat_set_last_seen);

/* chat.set_last_seen(user_id, seen_at): for the bridge, when a user's last device went away */
Datum
chat_set_last_seen(PG_FUNCTION_ARGS)
{
	Datum		values[2] = {arg_required(fcinfo, 0, "userId"), arg_required(fcinfo, 1, "seenAt")};

	SPI_connect();
	query_run(&last_seen, values, NULL, false);
	SPI_finish();
	PG_RETURN_VOID();
}

#define VISIBLE(unblocked) \
	"SELECT coalesce(jsonb_agg(DISTINCT id), '[]') FROM (" \
	"  " CHAT_PARTNERS \
	"  UNION SELECT owner_id FROM chat.contacts WHERE contact_id = $1) v" unblocked
static SavedQuery visible = SAVED_QUERY(VISIBLE(""), UUIDOID);
static SavedQuery visible_1_6 = SAVED_QUERY(VISIBLE(UNBLOCKED("v.id")), UUIDOID);

PG_FUNCTION_INFO_V1(chat_presence_visible);

/* chat.presence_visible(user_id): for the bridge, whose presence this user may see */
Datum
chat_presence_visible(PG_FUNCTION_ARGS)
{
	Datum		values[1] = {arg_required(fcinfo, 0, "userId")};
	bool		isnull;

	PG_RETURN_DATUM(query_once(schema_has_blocks() ? &visible_1_6 : &visible, values, &isnull));
}
