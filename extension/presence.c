/*
 * presence.c — what the bridge asks the database about presence: who sees a user's presence and
 * typing (and who may also see when they were last online), whose presence a user may see, and
 * when a user was last seen. Called by the bridge's presence module, never by clients.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"

#include "args.h"
#include "query.h"
#include "schema.h"

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
