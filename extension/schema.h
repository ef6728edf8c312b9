/*
 * schema.h — what the database's version of the extension offers. One chat.so serves every
 * database of the cluster, and a database runs its old SQL objects until ALTER EXTENSION UPDATE:
 * the C code asks before it uses what a later version added.
 */
#ifndef CHAT_SCHEMA_H
#define CHAT_SCHEMA_H

#include "postgres.h"

/*
 * Whether each membership holds the minute of its conversation's last activity (1.3), so the
 * list is read minute by minute from conversation_participants_list_idx and sends must keep it.
 * Asked on each call (catalog cache lookups): a session that updates the extension sees the
 * change at once.
 */
extern bool schema_has_list_minute(void);

/* The minute (since 1970, whatever the time zone) of a timestamptz, as sql/chat--1.2--1.3.sql
 * computes conversation_participants.list_minute. */
#define LIST_MINUTE(at) "floor(extract(epoch FROM " at ") / 60)::bigint"

#endif
