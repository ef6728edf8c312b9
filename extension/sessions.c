/*
 * sessions.c — the sessions behind tokens: opened at login and registration, checked on every
 * call (users_authenticate), listed as the user's devices, ended one by one or all together.
 * Ending a session NOTIFYs sessions_ended, so bridges close the sockets that used it.
 */
#include "postgres.h"

#include <time.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/uuid.h"

#include "chat.h"
#include "events.h"
#include "query.h"
#include "schema.h"
#include "sessions.h"
#include "token.h"
#include "users.h"

/* Opening a session drops the user's sessions that expired, so the table holds live ones only. */
static SavedQuery open_session = SAVED_QUERY(
	"WITH expired AS (DELETE FROM chat.sessions WHERE user_id = $1 AND expires_at <= now()) "
	"INSERT INTO chat.sessions (user_id, expires_at) "
	"VALUES ($1, now() + make_interval(secs => $2)) "
	"RETURNING id, extract(epoch FROM expires_at)::bigint",
	UUIDOID, INT4OID);

char *
sessions_open(const pg_uuid_t *user_id)
{
	Datum		values[2] = {UUIDPGetDatum(user_id), Int32GetDatum(chat_token_lifetime)};
	bool		isnull;
	pg_uuid_t	session_id;

	if (!schema_has_sessions())
		return token_issue(user_id, NULL, (int64) time(NULL) + chat_token_lifetime);
	if (query_run(&open_session, values, NULL, false) != 1)
		elog(ERROR, "could not open a session");
	session_id = *DatumGetUUIDP(query_value(1, &isnull));
	return token_issue(user_id, &session_id, DatumGetInt64(query_value(2, &isnull)));
}

/* Sessions are deleted with their user (ON DELETE CASCADE), so a live one means a live user. */
static SavedQuery session_live = SAVED_QUERY(
	"SELECT 1 FROM chat.sessions WHERE id = $1 AND user_id = $2 AND ended_at IS NULL",
	UUIDOID, UUIDOID);

static SavedQuery user_exists = SAVED_QUERY(
	"SELECT 1 FROM chat.users WHERE id = $1",
	UUIDOID);

bool
sessions_check(const TokenClaims *claims, const char **why)
{
	Datum		values[2] = {UUIDPGetDatum(&claims->session_id), UUIDPGetDatum(&claims->user_id)};

	if (!schema_has_sessions())
	{
		values[0] = UUIDPGetDatum(&claims->user_id);
		if (query_run(&user_exists, values, NULL, true) == 1)
			return true;
		return (*why = "The token's user no longer exists.", false);
	}
	/* a token from before sessions existed can't be taken back, so it is no longer taken */
	if (!claims->has_session)
		return (*why = "The token names no session; log in again.", false);
	if (query_run(&session_live, values, NULL, true) == 1)
		return true;
	return (*why = "The token's session has ended, or its user no longer exists.", false);
}

static SavedQuery end_all = SAVED_QUERY(
	"UPDATE chat.sessions SET ended_at = now() "
	"WHERE user_id = $1 AND ended_at IS NULL AND id IS DISTINCT FROM $2",
	UUIDOID, UUIDOID);

int64
sessions_end_all(const pg_uuid_t *user_id, const pg_uuid_t *keep)
{
	Datum		values[2] = {UUIDPGetDatum(user_id), keep ? UUIDPGetDatum(keep) : (Datum) 0};
	int64		ended = (int64) query_run(&end_all, values, keep ? NULL : " n", false);

	events_sessions_ended(user_id, NULL, keep);
	return ended;
}

static SavedQuery end_one = SAVED_QUERY(
	"UPDATE chat.sessions SET ended_at = now() WHERE id = $1 AND user_id = $2 AND ended_at IS NULL",
	UUIDOID, UUIDOID);

PG_FUNCTION_INFO_V1(chat_logout);

/* chat.logout(token) -> {loggedOut: true}: this token, and the sockets opened with it, end now. */
Datum
chat_logout(PG_FUNCTION_ARGS)
{
	TokenClaims claims;
	Datum		values[2];

	SPI_connect();
	users_session(fcinfo, 0, &claims);
	values[0] = UUIDPGetDatum(&claims.session_id);
	values[1] = UUIDPGetDatum(&claims.user_id);
	query_run(&end_one, values, NULL, false);
	events_sessions_ended(&claims.user_id, &claims.session_id, NULL);
	SPI_finish();
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum("{\"loggedOut\": true}")));
}

PG_FUNCTION_INFO_V1(chat_logout_everywhere);

/* chat.logout_everywhere(token) -> {sessionsEnded: n}: every device of the caller, this one too. */
Datum
chat_logout_everywhere(PG_FUNCTION_ARGS)
{
	TokenClaims claims;
	int64		ended;

	SPI_connect();
	users_session(fcinfo, 0, &claims);
	ended = sessions_end_all(&claims.user_id, NULL);
	SPI_finish();
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in,
										CStringGetDatum(psprintf("{\"sessionsEnded\": " INT64_FORMAT "}",
																 ended))));
}

static SavedQuery list_sessions = SAVED_QUERY(
	"SELECT jsonb_build_object('sessions', coalesce(jsonb_agg(jsonb_build_object("
	"  'id', s.id, 'createdAt', s.created_at, 'expiresAt', s.expires_at, 'current', s.id = $2) "
	"  ORDER BY s.created_at DESC, s.id), '[]'::jsonb)) "
	"FROM chat.sessions s WHERE s.user_id = $1 AND s.ended_at IS NULL AND s.expires_at > now()",
	UUIDOID, UUIDOID, INT8OID);	/* $3, the expiry, is not needed here */

/*
 * The one row of query, given the caller's (user id, session id, token expiry): the answer of a
 * read that is about the caller's own session.
 */
static Datum
caller_read(FunctionCallInfo fcinfo, SavedQuery *query)
{
	TokenClaims claims;
	Datum		values[3];
	bool		isnull;
	Datum		result;

	SPI_connect();
	users_session(fcinfo, 0, &claims);
	values[0] = UUIDPGetDatum(&claims.user_id);
	values[1] = UUIDPGetDatum(&claims.session_id);
	values[2] = Int64GetDatum(claims.expires);
	result = query_first_copy(query, values, NULL, true, &isnull);
	SPI_finish();
	return result;
}

PG_FUNCTION_INFO_V1(chat_sessions);

/* chat.sessions(token) -> {sessions: [{id, createdAt, expiresAt, current}]}: the caller's devices */
Datum
chat_sessions(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(caller_read(fcinfo, &list_sessions));
}

static SavedQuery session_user_json = SAVED_QUERY(
	"SELECT jsonb_build_object('user', chat.user_json(u), 'sessionId', $2::uuid, "
	"  'expiresAt', to_timestamp($3), "
	"  'expiresIn', greatest($3 - floor(extract(epoch FROM statement_timestamp()))::bigint, 0)) "
	"FROM chat.users u WHERE u.id = $1",
	UUIDOID, UUIDOID, INT8OID);

PG_FUNCTION_INFO_V1(chat_session);

/*
 * chat.session(token) -> {user, sessionId, expiresAt, expiresIn (whole seconds, rounded up, so a
 * socket is never closed while its token still works)}: authenticate for the
 * bridge, which keeps the session id to close the socket when the session ends, and the expiry to
 * close it then.
 */
Datum
chat_session(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(caller_read(fcinfo, &session_user_json));
}
