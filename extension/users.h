/*
 * users.h — who is calling: every function of the SQL API that acts for a user starts here.
 */
#ifndef CHAT_USERS_H
#define CHAT_USERS_H

#include "postgres.h"
#include "fmgr.h"
#include "utils/uuid.h"

#include "token.h"

/*
 * The claims of the token in argument argno: it must verify and its session be live (not ended,
 * its user not deleted), else 28000. Needs an open SPI connection.
 */
extern void users_session(FunctionCallInfo fcinfo, int argno, TokenClaims *claims);

/* The same, answering only the user id, palloc'd. */
extern pg_uuid_t *users_authenticate(FunctionCallInfo fcinfo, int argno);

#endif
