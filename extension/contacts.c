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
