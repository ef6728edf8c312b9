/*
 * send.h — what other modules of the extension may ask of the send path (send.c).
 */
#ifndef CHAT_SEND_H
#define CHAT_SEND_H

#include "postgres.h"
#include "utils/jsonb.h"
#include "utils/uuid.h"

/* How one message of a batch ended: stored (answer), or refused with a SQLSTATE and message. */
typedef struct SendOutcome
{
	int			refusal;		/* 0, or the SQLSTATE (MAKE_SQLSTATE) */
	const char *message;
	Jsonb	   *answer;			/* the stored message, when not refused */
	bool		resent;			/* stored by an earlier call with the same client id */
} SendOutcome;

/*
 * 1.7: content sent by the token's user to each of count conversations as one batch, each
 * message marked forwarded, each answered on its own in outcomes (as send_messages answers).
 * files_of (or NULL): the message whose files each new message gets copies of.
 * A client id, checked first (22023), makes a retry answer the first messages. The caller holds
 * the SPI connection; answers live in its memory.
 */
extern void send_forward(const char *token, int token_length, const pg_uuid_t *targets,
						 int count, const char *content, const pg_uuid_t *files_of,
						 const char *client_id, SendOutcome *outcomes);

/* A string value (or key) pushed onto state. */
extern void send_push_string(JsonbParseState **state, JsonbIteratorToken token, const char *text);

/*
 * An outcome's keys pushed into the object open on state: "message" (and "resent": true), or
 * "error": {"code" (unless NULL), "sqlstate", "message"}.
 */
extern void send_push_outcome(JsonbParseState **state, const SendOutcome *outcome,
							  const char *code);

#endif
