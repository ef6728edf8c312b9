/*
 * sessions.h — a login is a session (chat.sessions): its token names it, every call checks it is
 * still live, and ending it (logout, log out everywhere, a password change) takes the token back
 * at once, on every bridge.
 */
#ifndef CHAT_SESSIONS_H
#define CHAT_SESSIONS_H

#include "postgres.h"
#include "utils/uuid.h"

#include "token.h"

/*
 * Whether the claims' session is live (not ended, its user not deleted); a token naming none is
 * taken only by a schema without sessions, if its user exists. Needs SPI.
 */
extern bool sessions_check(const TokenClaims *claims, const char **why);

/* Opens a session of user_id for chat.token_lifetime and returns its token; palloc'd. Needs SPI. */
extern char *sessions_open(const pg_uuid_t *user_id);

/* Ends every live session of user_id but keep (NULL: all); returns how many. Needs SPI. */
extern int64 sessions_end_all(const pg_uuid_t *user_id, const pg_uuid_t *keep);

#endif
