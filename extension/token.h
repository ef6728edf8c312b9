/*
 * token.h — JSON Web Tokens (HS256) signed with the extension's secret.
 * The functions that read the secret need an open SPI connection.
 */
#ifndef CHAT_TOKEN_H
#define CHAT_TOKEN_H

#include "utils/uuid.h"

/* Longest token looked at; anything longer is refused before any parsing. */
#define TOKEN_MAX_LENGTH 2048

/* Registers the cache invalidation of the secret; called once from _PG_init. */
extern void token_init(void);

/* What a valid token says: its user, the session it belongs to (chat.sessions), its expiry. */
typedef struct TokenClaims
{
	pg_uuid_t	user_id;
	pg_uuid_t	session_id;		/* when has_session */
	bool		has_session;	/* tokens issued before 1.3 name none */
	int64		expires;		/* Unix seconds */
} TokenClaims;

/* A token naming user_id and session_id (NULL: none, before 1.3), valid until expires (Unix
 * seconds); palloc'd. */
extern char *token_issue(const pg_uuid_t *user_id, const pg_uuid_t *session_id, int64 expires);

/*
 * The claims of a token into *claims; raises 28000 for a token that is malformed, too long,
 * not HS256, badly signed (compared in constant time), expired or lacking a claim.
 * It doesn't look the session up: see users_authenticate().
 */
extern void token_verify(const char *token, size_t length, TokenClaims *claims);

/* The same check without raising: false with *why set (a detail for a 28000) when refused. */
extern bool token_read(const char *token, size_t length, TokenClaims *claims, const char **why);

#endif
