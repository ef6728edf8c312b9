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

/* A token naming user_id, valid for chat.token_lifetime; palloc'd. */
extern char *token_issue(const pg_uuid_t *user_id);

/*
 * The user id a token names, palloc'd; raises 28000 for a token that is malformed, too long,
 * not HS256, badly signed (compared in constant time), expired or lacking a claim.
 * It doesn't look the user up: see users_authenticate().
 */
extern pg_uuid_t *token_verify(const char *token, size_t length);

/* The same check without raising: NULL with *why set (a detail for a 28000) when refused. */
extern pg_uuid_t *token_subject(const char *token, size_t length, const char **why);

#endif
