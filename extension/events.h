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

/* A conversation's new messages: seqs first..last. */
typedef struct EventsRange
{
	const pg_uuid_t *conversation_id;
	int64		first;
	int64		last;
} EventsRange;

/*
 * The doorbell of a send: {"type":"messages","ranges":[[conversationId, first, last], ...]},
 * one notification per batch (more only when the ranges don't fit in one). No content: the
 * bridge fetches the rows (chat.event_messages), so a role that LISTENs learns nothing written
 * and a forged doorbell can only make a bridge read real rows.
 */
extern void events_messages(const EventsRange *ranges, int count);

/*
 * message_updated / message_deleted: {"type", "conversationId", "seq"}; the bridge fetches the
 * message as it now is (chat.event_message).
 */
extern void events_message(const char *type, const pg_uuid_t *conversation_id, int64 seq);

/*
 * conversation_created / membership_changed: the conversation, and the user ids added and
 * removed (each list may be NULL); lists that don't fit are left out with "ref": true, and the
 * bridge reloads the members.
 */
extern void events_membership(const char *type, const pg_uuid_t *conversation_id,
							  Jsonb *added, Jsonb *removed);

/*
 * sessions_ended: tokens that no longer work, so bridges close the sockets opened with them.
 * {"type","userId","sessionId"} for one session; {"type","userId","all":true} for all of a user's
 * (with "except" the one kept, after a password change); {"type","all":true} for every session
 * of everyone (a rotated secret). user_id NULL means everyone.
 */
extern void events_sessions_ended(const pg_uuid_t *user_id, const pg_uuid_t *session_id,
								  const pg_uuid_t *except);

/*
 * Something of one user's own that all their devices should learn (1.6): {"type", "userId"},
 * with "conversationId" when given and "seq" when not negative. Types: blocks_changed,
 * conversation_state, message_hidden. Ids only: the bridge fetches what it sends, or sends ids.
 */
extern void events_user(const char *type, const pg_uuid_t *user_id,
						const pg_uuid_t *conversation_id, int64 seq);

/* receipt: a member's delivered and read seq moved forward */
extern void events_receipt(Jsonb *receipt);

#endif
