/*
 * users.c — accounts: register, login, authenticate, me, update_profile, and issue_token for
 * administrators. Passwords are argon2id (password.c), sessions are tokens (token.c).
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/uuid.h"

#include "args.h"
#include "password.h"
#include "query.h"
#include "sessions.h"
#include "token.h"
#include "users.h"

#define USERNAME_MIN 3
#define USERNAME_MAX 32
#define EMAIL_MAX_BYTES 254
#define EMAIL_LOCAL_MAX_BYTES 64
#define DISPLAY_NAME_MAX 64
#define STATUS_MAX 140
#define BIO_MAX 500
#define PHOTO_URL_MAX_BYTES 2048

static const char *LOGIN_REFUSED = "invalid username or password";

static SavedQuery user_exists = SAVED_QUERY(
	"SELECT 1 FROM chat.users WHERE id = $1",
	UUIDOID);

void
users_session(FunctionCallInfo fcinfo, int argno, TokenClaims *claims)
{
	text	   *token;
	const char *why = NULL;

	if (PG_NARGS() <= argno || PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
				 errmsg("a token is required")));
	token = PG_GETARG_TEXT_PP(argno);
	token_verify(VARDATA_ANY(token), VARSIZE_ANY_EXHDR(token), claims);
	if (!sessions_check(claims, &why))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
				 errmsg("invalid or expired token"),
				 errdetail("%s", why)));
}

pg_uuid_t *
users_authenticate(FunctionCallInfo fcinfo, int argno)
{
	TokenClaims claims;
	pg_uuid_t  *user_id = palloc(sizeof(pg_uuid_t));

	users_session(fcinfo, argno, &claims);
	*user_id = claims.user_id;
	return user_id;
}

/* Lower-cases ASCII letters in place; then the username must be 3-32 of [a-z0-9._]. */
static void
username_normalize(char *username)
{
	size_t		length = strlen(username);

	if (length < USERNAME_MIN || length > USERNAME_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("username must be %d to %d characters", USERNAME_MIN, USERNAME_MAX),
				 errhint("Use letters, digits, dots and underscores.")));
	for (char *c = username; *c; c++)
	{
		if (*c >= 'A' && *c <= 'Z')
			*c += 'a' - 'A';
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '.' || *c == '_'))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("username may contain only letters, digits, dots and underscores")));
	}
}

static bool
email_domain_sane(const char *domain)
{
	const char *label = domain;
	bool		dotted = false;

	for (const char *c = domain;; c++)
	{
		if (*c == '.' || *c == '\0')
		{
			size_t		length = c - label;

			if (length == 0 || length > 63 || label[0] == '-' || c[-1] == '-')
				return false;
			if (*c == '\0')
				return dotted && length >= 2;
			dotted = true;
			label = c + 1;
		}
		else if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
				   (*c >= '0' && *c <= '9') || *c == '-'))
			return false;
	}
}

/* A sane address: local@domain.tld, printable ASCII local part, letters/digits/hyphens domain. */
static void
email_check(const char *email)
{
	const char *at = strchr(email, '@');
	size_t		length = strlen(email);
	bool		sane = at != NULL && strchr(at + 1, '@') == NULL && length <= EMAIL_MAX_BYTES &&
		at > email && (size_t) (at - email) <= EMAIL_LOCAL_MAX_BYTES;

	for (const char *c = email; sane && c < at; c++)
		sane = *c > 0x20 && *c < 0x7f && strchr("()<>[]\\,;:\"", *c) == NULL;
	if (!sane || !email_domain_sane(at + 1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("email is not a valid address"),
				 errhint("Write it as name@example.com.")));
}

static void
display_name_check(const char *display_name)
{
	if (display_name[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("display name must not be empty")));
	arg_check_length(display_name, "display name", DISPLAY_NAME_MAX);
	arg_check_printable(display_name, "display name", false);
}

static void
photo_url_check(const char *url)
{
	if (strlen(url) > PHOTO_URL_MAX_BYTES)
		ereport(ERROR,
				(errcode(ERRCODE_STRING_DATA_RIGHT_TRUNCATION),
				 errmsg("profile photo URL must be at most %d bytes", PHOTO_URL_MAX_BYTES)));
	if (strncmp(url, "https://", 8) != 0 && strncmp(url, "http://", 7) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("profile photo must be an http or https URL")));
	for (const char *c = url; *c; c++)
		if ((unsigned char) *c <= 0x20 || *c == 0x7f)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("profile photo URL must not contain spaces or control characters")));
}

/* {token, user} for a user who just registered or logged in. */
static SavedQuery session_json = SAVED_QUERY(
	"SELECT jsonb_build_object('token', $2::text, 'user', chat.me_json(u)) "
	"FROM chat.users u WHERE u.id = $1",
	UUIDOID, TEXTOID);

static Datum
session_for(pg_uuid_t *user_id)
{
	Datum		values[2] = {UUIDPGetDatum(user_id), CStringGetTextDatum(sessions_open(user_id))};
	bool		isnull;
	Datum		session;

	/* not read-only: it must see the row that registration just inserted */
	session = query_first_copy(&session_json, values, NULL, false, &isnull);
	if (isnull)
		elog(ERROR, "the user of a new session was not found");
	return session;
}

static SavedQuery taken = SAVED_QUERY(
	"SELECT EXISTS (SELECT 1 FROM chat.users WHERE username = $1) "
	"    OR EXISTS (SELECT 1 FROM chat.users WHERE lower(email) = lower($2))",
	TEXTOID, TEXTOID);

/*
 * One answer whichever is taken, so registration never says that an email has an account
 * (docs/security.md: what is left to learn, and why usernames stay unique and visible).
 */
static void
refuse_if_taken(Datum username, Datum email)
{
	Datum		values[2] = {username, email};
	bool		isnull;

	query_run(&taken, values, NULL, true);
	if (DatumGetBool(query_value(1, &isnull)))
		ereport(ERROR,
				(errcode(ERRCODE_UNIQUE_VIOLATION),
				 errmsg("username or email is not available"),
				 errhint("Choose another username, or log in if the account is yours.")));
}

static SavedQuery insert_user = SAVED_QUERY(
	"INSERT INTO chat.users (username, email, password_hash, display_name) "
	"VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING id",
	TEXTOID, TEXTOID, TEXTOID, TEXTOID);

PG_FUNCTION_INFO_V1(chat_register);

/* chat.register(username, email, password, display_name default null) -> {token, user} */
Datum
chat_register(PG_FUNCTION_ARGS)
{
	char	   *username = arg_text(fcinfo, 0, "username");
	char	   *email = arg_text(fcinfo, 1, "email");
	char	   *password = arg_text(fcinfo, 2, "password");
	char	   *display_name = arg_text_or_null(fcinfo, 3);
	Datum		values[4];
	bool		isnull;
	pg_uuid_t  *user_id;
	Datum		result;

	username_normalize(username);
	email_check(email);
	password_check(strlen(password));
	if (display_name == NULL)
		display_name = username;
	display_name_check(display_name);

	values[0] = CStringGetTextDatum(username);
	values[1] = CStringGetTextDatum(email);
	values[3] = CStringGetTextDatum(display_name);

	SPI_connect();
	/* cheap check before the expensive hash; the insert below settles any race */
	refuse_if_taken(values[0], values[1]);
	values[2] = CStringGetTextDatum(password_hash(password, strlen(password)));
	if (query_run(&insert_user, values, NULL, false) == 0)
	{
		refuse_if_taken(values[0], values[1]);
		elog(ERROR, "registration conflicted but no conflicting user was found");
	}
	user_id = DatumGetUUIDP(query_value(1, &isnull));
	result = session_for(user_id);
	SPI_finish();
	PG_RETURN_DATUM(result);
}

static SavedQuery credentials_by_username = SAVED_QUERY(
	"SELECT id, password_hash FROM chat.users WHERE username = lower($1)",
	TEXTOID);
static SavedQuery credentials_by_email = SAVED_QUERY(
	"SELECT id, password_hash FROM chat.users WHERE lower(email) = lower($1)",
	TEXTOID);
static SavedQuery rehash = SAVED_QUERY(
	"UPDATE chat.users SET password_hash = $2 WHERE id = $1",
	UUIDOID, TEXTOID);

PG_FUNCTION_INFO_V1(chat_login);

/* chat.login(login, password) -> {token, user}; login is a username or an email */
Datum
chat_login(PG_FUNCTION_ARGS)
{
	char	   *login = arg_text(fcinfo, 0, "login");
	char	   *password = arg_text(fcinfo, 1, "password");
	size_t		password_length = strlen(password);
	Datum		values[2];
	bool		isnull;
	pg_uuid_t  *user_id = NULL;
	char	   *hash = NULL;
	Datum		result;

	/* pay the one-time cost of the dummy hash on every path (see password.c) */
	password_verify_dummy(NULL, 0);

	SPI_connect();
	if (strlen(login) <= EMAIL_MAX_BYTES && password_length <= PASSWORD_MAX_BYTES)
	{
		values[0] = CStringGetTextDatum(login);
		if (query_run(strchr(login, '@') ? &credentials_by_email : &credentials_by_username,
					  values, NULL, true) == 1)
		{
			user_id = DatumGetUUIDP(SPI_datumTransfer(query_value(1, &isnull), false, UUID_LEN));
			hash = TextDatumGetCString(query_value(2, &isnull));
		}
	}
	if (hash == NULL)
	{
		password_verify_dummy(password, Min(password_length, PASSWORD_MAX_BYTES));
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
				 errmsg("%s", LOGIN_REFUSED)));
	}
	if (!password_verify(hash, password, password_length))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
				 errmsg("%s", LOGIN_REFUSED)));
	if (password_needs_rehash(hash))
	{
		values[0] = UUIDPGetDatum(user_id);
		values[1] = CStringGetTextDatum(password_hash(password, password_length));
		query_run(&rehash, values, NULL, false);
	}
	result = session_for(user_id);
	SPI_finish();
	PG_RETURN_DATUM(result);
}

static SavedQuery user_json = SAVED_QUERY(
	"SELECT chat.user_json(u) FROM chat.users u WHERE u.id = $1",
	UUIDOID);
static SavedQuery me_json = SAVED_QUERY(
	"SELECT chat.me_json(u) FROM chat.users u WHERE u.id = $1",
	UUIDOID);

static Datum
user_result(FunctionCallInfo fcinfo, SavedQuery *query)
{
	Datum		values[1];
	bool		isnull;
	Datum		result;

	SPI_connect();
	values[0] = UUIDPGetDatum(users_authenticate(fcinfo, 0));
	result = query_first_copy(query, values, NULL, true, &isnull);
	SPI_finish();
	return result;
}

PG_FUNCTION_INFO_V1(chat_authenticate);

/* chat.authenticate(token) -> user */
Datum
chat_authenticate(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(user_result(fcinfo, &user_json));
}

PG_FUNCTION_INFO_V1(chat_me);

/* chat.me(token) -> the caller's own user, with email */
Datum
chat_me(PG_FUNCTION_ARGS)
{
	PG_RETURN_DATUM(user_result(fcinfo, &me_json));
}

/* A profile change: absent keys keep their value (SQL null parameters). */
typedef struct ProfileChange
{
	Datum		values[6];
	char		nulls[7];
} ProfileChange;

enum
{
	CHANGE_USER, CHANGE_DISPLAY_NAME, CHANGE_STATUS, CHANGE_BIO, CHANGE_PHOTO_SET, CHANGE_PHOTO
};

static SavedQuery update_profile = SAVED_QUERY(
	"UPDATE chat.users SET display_name = coalesce($2, display_name), "
	"       status = coalesce($3, status), bio = coalesce($4, bio), "
	"       profile_photo = CASE WHEN $5 THEN $6 ELSE profile_photo END, updated_at = now() "
	"WHERE id = $1 RETURNING chat.me_json(users)",
	UUIDOID, TEXTOID, TEXTOID, TEXTOID, BOOLOID, TEXTOID);

static char *
change_string(JsonbValue *value, const char *key)
{
	if (value->type != jbvString)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a string", key)));
	return pnstrdup(value->val.string.val, value->val.string.len);
}

/* Reads one key of the changes object into the UPDATE's parameters. */
static void
change_read(ProfileChange *change, const char *key, JsonbValue *value)
{
	bool		clear = value->type == jbvNull;
	char	   *text;

	if (strcmp(key, "displayName") == 0)
	{
		text = change_string(value, key);
		display_name_check(text);
		change->values[CHANGE_DISPLAY_NAME] = CStringGetTextDatum(text);
		change->nulls[CHANGE_DISPLAY_NAME] = ' ';
	}
	else if (strcmp(key, "status") == 0 || strcmp(key, "bio") == 0)
	{
		bool		is_status = key[0] == 's';
		int			slot = is_status ? CHANGE_STATUS : CHANGE_BIO;

		text = clear ? "" : change_string(value, key);
		arg_check_length(text, key, is_status ? STATUS_MAX : BIO_MAX);
		arg_check_printable(text, key, !is_status);
		change->values[slot] = CStringGetTextDatum(text);
		change->nulls[slot] = ' ';
	}
	else if (strcmp(key, "profilePhoto") == 0)
	{
		change->values[CHANGE_PHOTO_SET] = BoolGetDatum(true);
		if (!clear)
		{
			text = change_string(value, key);
			photo_url_check(text);
			change->values[CHANGE_PHOTO] = CStringGetTextDatum(text);
			change->nulls[CHANGE_PHOTO] = ' ';
		}
	}
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown profile field \"%s\"", key),
				 errhint("The fields are displayName, status, bio and profilePhoto.")));
}

PG_FUNCTION_INFO_V1(chat_update_profile);

/* chat.update_profile(token, changes jsonb) -> me */
Datum
chat_update_profile(PG_FUNCTION_ARGS)
{
	Jsonb	   *changes = DatumGetJsonbP(arg_required(fcinfo, 1, "changes"));
	ProfileChange change = {.nulls = " nnn n"};
	JsonbIterator *it;
	JsonbValue	value;
	JsonbIteratorToken token;
	char	   *key = NULL;
	bool		isnull;
	Datum		result;

	if (!JB_ROOT_IS_OBJECT(changes))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("profile changes must be a JSON object")));
	change.values[CHANGE_PHOTO_SET] = BoolGetDatum(false);
	change.nulls[CHANGE_PHOTO_SET] = ' ';

	it = JsonbIteratorInit(&changes->root);
	while ((token = JsonbIteratorNext(&it, &value, true)) != WJB_DONE)
	{
		if (token == WJB_KEY)
			key = pnstrdup(value.val.string.val, value.val.string.len);
		else if (token == WJB_VALUE)
			change_read(&change, key, &value);
	}

	SPI_connect();
	change.values[CHANGE_USER] = UUIDPGetDatum(users_authenticate(fcinfo, 0));
	result = query_first_copy(&update_profile, change.values, change.nulls, false, &isnull);
	SPI_finish();
	PG_RETURN_DATUM(result);
}

PG_FUNCTION_INFO_V1(chat_issue_token);

/* chat.issue_token(user_id) -> token; for administrators (granted to nobody) */
Datum
chat_issue_token(PG_FUNCTION_ARGS)
{
	pg_uuid_t  *user_id = DatumGetUUIDP(arg_required(fcinfo, 0, "user id"));
	Datum		values[1] = {UUIDPGetDatum(user_id)};
	Datum		token;

	SPI_connect();
	/* not read-only: a user registered earlier in the same statement counts */
	if (query_run(&user_exists, values, NULL, false) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("user not found")));
	token = SPI_datumTransfer(CStringGetTextDatum(sessions_open(user_id)), false, -1);
	SPI_finish();
	PG_RETURN_DATUM(token);
}

static SavedQuery credentials_by_id = SAVED_QUERY(
	"SELECT password_hash FROM chat.users WHERE id = $1 FOR UPDATE",
	UUIDOID);

PG_FUNCTION_INFO_V1(chat_change_password);

/*
 * chat.change_password(token, current_password, new_password) -> {sessionsEnded: n}: the
 * caller proves the current password; every other session of theirs ends (a thief's among them),
 * this one stays.
 */
Datum
chat_change_password(PG_FUNCTION_ARGS)
{
	char	   *current = arg_text(fcinfo, 1, "current password");
	char	   *fresh = arg_text(fcinfo, 2, "new password");
	size_t		current_length = strlen(current);
	TokenClaims claims;
	Datum		values[2];
	bool		isnull;
	char	   *hash;
	int64		ended;

	password_check(strlen(fresh));
	SPI_connect();
	users_session(fcinfo, 0, &claims);
	values[0] = UUIDPGetDatum(&claims.user_id);
	if (query_run(&credentials_by_id, values, NULL, false) != 1)
		elog(ERROR, "the authenticated caller was not found");
	hash = TextDatumGetCString(query_value(1, &isnull));
	if (current_length > PASSWORD_MAX_BYTES || !password_verify(hash, current, current_length))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("the current password is wrong")));
	values[1] = CStringGetTextDatum(password_hash(fresh, strlen(fresh)));
	query_run(&rehash, values, NULL, false);
	ended = sessions_end_all(&claims.user_id, &claims.session_id);
	SPI_finish();
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in,
										CStringGetDatum(psprintf("{\"sessionsEnded\": " INT64_FORMAT "}",
																 ended))));
}

static SavedQuery update_privacy = SAVED_QUERY(
	"UPDATE chat.users SET last_seen_privacy = coalesce($2::chat.last_seen_privacy, last_seen_privacy), "
	"       updated_at = now() "
	"WHERE id = $1 RETURNING chat.me_json(users)",
	UUIDOID, TEXTOID);

PG_FUNCTION_INFO_V1(chat_set_privacy);

/*
 * chat.set_privacy(token, settings jsonb) -> me (1.4): {"lastSeen": "everyone" | "contacts" |
 * "nobody"}; absent keys keep their value.
 */
Datum
chat_set_privacy(PG_FUNCTION_ARGS)
{
	Jsonb	   *settings = DatumGetJsonbP(arg_required(fcinfo, 1, "settings"));
	Datum		values[2];
	char		nulls[3] = " n";
	JsonbIterator *it;
	JsonbValue	value;
	JsonbIteratorToken token;
	char	   *key = NULL;
	bool		isnull;
	Datum		result;

	if (!JB_ROOT_IS_OBJECT(settings))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("privacy settings must be a JSON object")));
	it = JsonbIteratorInit(&settings->root);
	while ((token = JsonbIteratorNext(&it, &value, true)) != WJB_DONE)
	{
		if (token == WJB_KEY)
			key = pnstrdup(value.val.string.val, value.val.string.len);
		else if (token == WJB_VALUE && strcmp(key, "lastSeen") == 0)
		{
			char	   *choice = value.type == jbvString
				? pnstrdup(value.val.string.val, value.val.string.len) : "";

			if (strcmp(choice, "everyone") != 0 && strcmp(choice, "contacts") != 0 &&
				strcmp(choice, "nobody") != 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("lastSeen must be \"everyone\", \"contacts\" or \"nobody\"")));
			values[1] = CStringGetTextDatum(choice);
			nulls[1] = ' ';
		}
		else if (token == WJB_VALUE)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown privacy setting \"%s\"", key),
					 errhint("The settings are lastSeen.")));
	}

	SPI_connect();
	values[0] = UUIDPGetDatum(users_authenticate(fcinfo, 0));
	result = query_first_copy(&update_privacy, values, nulls, false, &isnull);
	SPI_finish();
	PG_RETURN_DATUM(result);
}
