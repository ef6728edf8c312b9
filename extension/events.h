/*
 * events.h — NOTIFY on channel "chat" of every durable change, in the transaction that makes it
 * (so it is delivered at commit, or never). Payloads are compact JSON; docs/events.md lists them.
 */
#ifndef CHAT_EVENTS_H
#define CHAT_EVENTS_H

#include "postgres.h"
#include "utils/jsonb.h"
#include "utils/uuid.h"

#define EVENTS_CHANNEL "chat"
/* NOTIFY's limit is 8000 bytes; a payload longer than this goes as a reference instead */
#define EVENTS_MAX_PAYLOAD 7900

/*
 * message_created / message_updated / message_deleted with the message inlined, or with
 * "ref": true when it would not fit (the bridge then calls chat.event_message).
 */
extern void events_message(const char *type, const pg_uuid_t *conversation_id, int64 seq,
						   Jsonb *message);

/*
 * conversation_created / membership_changed: the conversation, and the user ids added and
 * removed (each list may be NULL); lists that don't fit are left out with "ref": true, and the
 * bridge reloads the members.
 */
extern void events_membership(const char *type, const pg_uuid_t *conversation_id,
							  Jsonb *added, Jsonb *removed);

/* receipt: a member's delivered and read seq moved forward */
extern void events_receipt(Jsonb *receipt);

#endif
