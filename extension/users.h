/*
 * users.h — who is calling: every function of the SQL API that acts for a user starts here.
 */
#ifndef CHAT_USERS_H
#define CHAT_USERS_H

#include "postgres.h"
#include "fmgr.h"
#include "utils/uuid.h"

/*
 * The id of the user whose token is argument argno, palloc'd: the token must verify and its
 * user still exist, else 28000. Needs an open SPI connection.
 */
extern pg_uuid_t *users_authenticate(FunctionCallInfo fcinfo, int argno);

/*
 * The user id a valid token names, without looking the user up: only for callers whose own
 * statement requires a membership, which a deleted user no longer has (the send path).
 */
extern pg_uuid_t *users_token_subject(FunctionCallInfo fcinfo, int argno);

#endif
