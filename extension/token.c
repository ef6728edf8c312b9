/*
 * token.c — HS256 JSON Web Tokens written on libsodium's HMAC-SHA-256, with no JWT library:
 * the header is fixed, so a token can't choose its algorithm, and the signature is checked
 * before the payload is parsed.
 *
 * The 32-byte secret lives in chat.signing_key, readable by the owner only. Each backend caches
 * it; rotate_secret() sends a relcache invalidation of that table at commit, which drops the
 * cached copy in every backend, so tokens signed with the old secret fail everywhere at once.
 */
#include "postgres.h"

#include <sodium.h>
#include <time.h>

#include "catalog/namespace.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/inval.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"

#include "chat.h"
#include "events.h"
#include "query.h"
#include "token.h"

#define TOKEN_ISSUER "pgchat"
/* base64url of {"alg":"HS256","typ":"JWT"}: the only header accepted */
#define TOKEN_HEADER "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"
#define TOKEN_HEADER_LENGTH (sizeof(TOKEN_HEADER) - 1)
/* a token issued "in the future" by a server whose clock runs ahead is tolerated this much */
#define TOKEN_CLOCK_SKEW 60

static unsigned char signing_key[crypto_auth_hmacsha256_KEYBYTES];
static bool signing_key_valid = false;
static Oid	signing_key_relid = InvalidOid;

static void
signing_key_invalidate(Datum arg pg_attribute_unused(), Oid relid)
{
	if (relid == InvalidOid || relid == signing_key_relid)
	{
		sodium_memzero(signing_key, sizeof(signing_key));
		signing_key_valid = false;
	}
}

void
token_init(void)
{
	CacheRegisterRelcacheCallback(signing_key_invalidate, (Datum) 0);
}

static Oid
signing_key_table(void)
{
	return get_relname_relid("signing_key", get_namespace_oid("chat", false));
}

static const unsigned char *
signing_key_get(void)
{
	static SavedQuery key_query = SAVED_QUERY_NO_ARGS("SELECT key FROM chat.signing_key WHERE id = 1");
	bytea	   *key;
	bool		isnull;

	if (signing_key_valid)
		return signing_key;
	if (query_run(&key_query, NULL, NULL, true) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the chat signing secret is missing"),
				 errhint("Run SELECT chat.rotate_secret() as the extension's owner.")));
	key = DatumGetByteaPP(query_value(1, &isnull));
	if (isnull || VARSIZE_ANY_EXHDR(key) != sizeof(signing_key))
		elog(ERROR, "the chat signing secret has the wrong length");
	memcpy(signing_key, VARDATA_ANY(key), sizeof(signing_key));
	signing_key_relid = signing_key_table();
	signing_key_valid = true;
	return signing_key;
}

static char *
base64url_encode(const unsigned char *bytes, size_t length)
{
	size_t		size = sodium_base64_ENCODED_LEN(length, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	char	   *out = palloc(size);

	sodium_bin2base64(out, size, bytes, length, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	return out;
}

static pg_attribute_noreturn() void
token_refuse(const char *why);

static void
token_refuse(const char *why)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
			 errmsg("invalid or expired token"),
			 errdetail("%s", why)));
}

char *
token_issue(const pg_uuid_t *user_id, const pg_uuid_t *session_id, int64 expires)
{
	const unsigned char *key = signing_key_get();
	char	   *sub = DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(user_id)));
	char	   *sid = session_id ? psprintf("\"sid\":\"%s\",",
											DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(session_id))))
		: "";
	long		now = (long) time(NULL);
	char	   *payload;
	char	   *signing_input;
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	char	   *signature;

	payload = psprintf("{\"sub\":\"%s\",%s\"iss\":\"%s\",\"iat\":%ld,\"exp\":%lld}",
					   sub, sid, TOKEN_ISSUER, now, (long long) expires);
	signing_input = psprintf("%s.%s", TOKEN_HEADER,
							 base64url_encode((const unsigned char *) payload, strlen(payload)));
	crypto_auth_hmacsha256(mac, (const unsigned char *) signing_input, strlen(signing_input), key);
	signature = base64url_encode(mac, sizeof(mac));
	return psprintf("%s.%s", signing_input, signature);
}

/* The value of key in a jsonb object, or false when absent. */
static bool
claim_get(Jsonb *claims, const char *key, JsonbValue *value)
{
	return getKeyJsonValueFromContainer(&claims->root, key, strlen(key), value) != NULL;
}

/* The numeric claim key into *out; false when absent or not a number. */
static bool
claim_time(Jsonb *claims, const char *key, int64 *out)
{
	JsonbValue	value;

	if (!claim_get(claims, key, &value) || value.type != jbvNumeric)
		return false;
	*out = DatumGetInt64(DirectFunctionCall1(numeric_int8, NumericGetDatum(value.val.numeric)));
	return true;
}

/* The uuid claim key into *out; false when absent or not a uuid's 36 characters. */
static bool
claim_uuid(Jsonb *claims, const char *key, pg_uuid_t *out)
{
	JsonbValue	value;
	pg_uuid_t  *parsed;

	if (!claim_get(claims, key, &value) || value.type != jbvString || value.val.string.len != 36)
		return false;
	parsed = DatumGetUUIDP(DirectFunctionCall1(uuid_in,
											   CStringGetDatum(pnstrdup(value.val.string.val,
																		value.val.string.len))));
	*out = *parsed;
	return true;
}

bool
token_read(const char *token, size_t length, TokenClaims *claims, const char **why)
{
	const char *payload_start;
	const char *dot;
	size_t		payload_length;
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	size_t		mac_length;
	char	   *json;
	size_t		json_length;
	Jsonb	   *json_claims;
	JsonbValue	value;
	int64		now = (int64) time(NULL);
	int64		expires;
	int64		issued;

	memset(claims, 0, sizeof(*claims));
	if (length > TOKEN_MAX_LENGTH)
		return (*why = "the token is too long", false);
	if (length <= TOKEN_HEADER_LENGTH + 1 ||
		memcmp(token, TOKEN_HEADER ".", TOKEN_HEADER_LENGTH + 1) != 0)
		return (*why = "the token's header is not HS256", false);

	payload_start = token + TOKEN_HEADER_LENGTH + 1;
	dot = memchr(payload_start, '.', length - (payload_start - token));
	if (dot == NULL || dot == payload_start)
		return (*why = "the token is not three parts", false);
	payload_length = dot - payload_start;

	/* the signature first: nothing of the payload is read before it checks out */
	if (sodium_base642bin(mac, sizeof(mac), dot + 1, length - (dot + 1 - token), NULL,
						  &mac_length, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
		mac_length != sizeof(mac) ||
		crypto_auth_hmacsha256_verify(mac, (const unsigned char *) token, dot - token,
									  signing_key_get()) != 0)
		return (*why = "the token's signature does not match", false);

	/*
	 * From here the payload is one we signed, so the parsers below can't meet malformed input
	 * unless the secret leaked; they may raise then, which is the right answer too.
	 */
	json = palloc(payload_length + 1);
	if (sodium_base642bin((unsigned char *) json, payload_length, payload_start, payload_length,
						  NULL, &json_length, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
		return (*why = "the token's payload is not base64url", false);
	json[json_length] = '\0';
	json_claims = DatumGetJsonbP(DirectFunctionCall1(jsonb_in, CStringGetDatum(json)));
	if (!JB_ROOT_IS_OBJECT(json_claims))
		return (*why = "the token's payload is not an object", false);

	if (!claim_get(json_claims, "iss", &value) || value.type != jbvString ||
		value.val.string.len != strlen(TOKEN_ISSUER) ||
		memcmp(value.val.string.val, TOKEN_ISSUER, value.val.string.len) != 0)
		return (*why = "the token has the wrong issuer", false);
	if (!claim_time(json_claims, "exp", &expires))
		return (*why = "the token has no numeric \"exp\" claim", false);
	if (expires <= now)
		return (*why = "the token has expired", false);
	if (!claim_time(json_claims, "iat", &issued))
		return (*why = "the token has no numeric \"iat\" claim", false);
	if (issued > now + TOKEN_CLOCK_SKEW)
		return (*why = "the token was issued in the future", false);
	if (!claim_uuid(json_claims, "sub", &claims->user_id))
		return (*why = "the token has no subject", false);
	/* whether a token without one is still taken is the session check's business */
	claims->has_session = claim_uuid(json_claims, "sid", &claims->session_id);
	claims->expires = expires;
	return true;
}

void
token_verify(const char *token, size_t length, TokenClaims *claims)
{
	const char *why = NULL;

	if (!token_read(token, length, claims, &why))
		token_refuse(why);
}

PG_FUNCTION_INFO_V1(chat_rotate_secret);

/* chat.rotate_secret(): a new secret from pg_strong_random; every older token stops working. */
Datum
chat_rotate_secret(PG_FUNCTION_ARGS)
{
	unsigned char fresh[crypto_auth_hmacsha256_KEYBYTES];
	bytea	   *key = palloc(VARHDRSZ + sizeof(fresh));
	Oid			argtypes[1] = {BYTEAOID};
	Datum		values[1];

	if (!pg_strong_random(fresh, sizeof(fresh)))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate a random secret")));
	SET_VARSIZE(key, VARHDRSZ + sizeof(fresh));
	memcpy(VARDATA(key), fresh, sizeof(fresh));
	sodium_memzero(fresh, sizeof(fresh));
	values[0] = PointerGetDatum(key);
	(void) fcinfo;

	SPI_connect();
	if (SPI_execute_with_args("INSERT INTO chat.signing_key AS k (id, key) VALUES (1, $1) "
							  "ON CONFLICT (id) DO UPDATE SET key = excluded.key, rotated_at = now()",
							  1, argtypes, values, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not store the signing secret");
	SPI_finish();

	/* every backend, this one included, drops its cached copy when this commits */
	CacheInvalidateRelcacheByRelid(signing_key_table());
	signing_key_invalidate((Datum) 0, InvalidOid);
	/* and every bridge closes every socket: their tokens no longer verify */
	events_sessions_ended(NULL, NULL, NULL);
	PG_RETURN_VOID();
}
