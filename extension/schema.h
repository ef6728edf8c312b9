/*
 * schema.h — what the database's version of the extension offers. One chat.so serves every
 * database of the cluster, and a database runs its old SQL objects until ALTER EXTENSION UPDATE:
 * the C code asks before it uses what a later version added.
 */
#ifndef CHAT_SCHEMA_H
#define CHAT_SCHEMA_H

#include "postgres.h"

/*
 * Whether each membership holds list_at (1.3), so the list is read from
 * conversation_participants_list_idx and sends must keep it. Asked on each call (catalog cache
 * lookups): a session that updates the extension sees the change at once.
 */
extern bool schema_has_list_at(void);

/*
 * Whether each membership holds joined_seq (1.4): a member added to a group sees only messages
 * after it. Before, everyone sees the whole history.
 */
extern bool schema_has_joined_seq(void);

/* Whether each user holds last_seen_privacy (1.4): who may see their last_seen_at. */
extern bool schema_has_last_seen_privacy(void);

/*
 * Whether chat.blocks exists (1.6), and with it what came in the same step: per-user chat state
 * (muted_until, archived_seq, pinned_at), chat.reactions and chat.hidden_messages.
 */
extern bool schema_has_blocks(void);

/* Whether chat.attachments exists (1.7): uploads, and messages that carry files. */
extern bool schema_has_attachments(void);

/* Whether chat.sessions exists (1.3): tokens name sessions, and every call checks them. */
extern bool schema_has_sessions(void);

/*
 * conversation_participants.list_at of a conversation updated at `at`, as sql/chat--1.2--1.3.sql
 * computes it: the time itself for a direct chat, the minute it falls in (counted from 1970,
 * whatever the time zone) for a group.
 */
#define LIST_AT(at, is_group) \
	"CASE WHEN " is_group " THEN date_bin('1 minute', " at ", timestamptz '1970-01-01 00:00:00+00') " \
	"ELSE " at " END"

#endif
