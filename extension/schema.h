/*
 * schema.h — what the database's version of the extension offers. One chat.so serves every
 * database of the cluster, and a database runs its old SQL objects until ALTER EXTENSION UPDATE:
 * the C code asks before it uses what a later version added.
 */
#ifndef CHAT_SCHEMA_H
#define CHAT_SCHEMA_H

#include "postgres.h"

/*
 * Whether each membership holds its conversation's updated_at (1.3), so the list is read in
 * order from conversation_participants_list_idx and sends must keep the copy. Asked on each
 * call (catalog cache lookups): a session that updates the extension sees the change at once.
 */
extern bool schema_has_list_copy(void);

#endif
