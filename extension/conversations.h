/*
 * conversations.h — membership checks shared by the modules that act inside a conversation.
 * They need an open SPI connection.
 */
#ifndef CHAT_CONVERSATIONS_H
#define CHAT_CONVERSATIONS_H

#include "postgres.h"
#include "utils/uuid.h"

/*
 * Raises P0002 "conversation not found" unless user_id is a member: a conversation one is not
 * in is indistinguishable from one that does not exist. Answers the seq the member joined at:
 * they see only messages after it (0 on a database before 1.4, schema.h).
 */
extern int64 conversations_check_member(const pg_uuid_t *conversation_id, const pg_uuid_t *user_id);

/*
 * The conversation as user_id sees it (their role, unread count and, from 1.6, their state of
 * it), copied out of SPI into the caller's context; P0002 unless a member.
 */
extern Datum conversations_json_for(const pg_uuid_t *conversation_id, const pg_uuid_t *user_id);

#endif
