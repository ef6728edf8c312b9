/* chat_sql: the SQL calls of the realtime side (chat, fanout), kept in one table beside the REST
 * one so the pools prepare both. A refusal becomes {error: {code, message}} in core/errors.h. */
#ifndef BRIDGE_CHAT_SQL_H
#define BRIDGE_CHAT_SQL_H

#include <jansson.h>

#include "core/db.h"
#include "core/errors.h"

enum chat_sql_id {
    CHAT_SQL_SESSION,        /* (token) -> {user, sessionId, expiresIn} */
    CHAT_SQL_EDIT_MESSAGE,   /* (token, message, content) -> message */
    CHAT_SQL_DELETE_MESSAGE, /* (token, message) -> message */
    CHAT_SQL_MARK_READ,      /* (token, conversation, seq) -> receipt */
    CHAT_SQL_MARK_DELIVERED, /* (token, conversation, seq) -> receipt */
    CHAT_SQL_MESSAGES_AFTER, /* (token, conversation, after_seq, limit) -> [message] */
    CHAT_SQL_CONVERSATION,   /* (token, conversation) -> conversation */
    CHAT_SQL_MEMBERS,        /* (conversation) -> [[userId, joinedSeq]]; bridge only (1.4) */
    CHAT_SQL_EVENT_MESSAGE,  /* (conversation, seq) -> message; bridge only, P0002 when none */
    CHAT_SQL_SEND_MESSAGES,  /* (batch) -> [{message} | {error: {sqlstate, message}}] */
    CHAT_SQL_EVENT_MESSAGES, /* (uuid[], first seq[], last seq[]) -> [message]; bridge only */
    CHAT_SQL_BLOCKED_USERS,  /* (token) -> [user]; blocks_updated for the blocker's devices (1.6) */
    CHAT_SQL_REACT,          /* (token, message, emoji or null) -> message with reactions (1.6) */
    CHAT_SQL_HIDE_MESSAGE,   /* (token, message) -> {conversationId, messageId, seq, hidden} */
    CHAT_SQL_SET_STATE,      /* (token, conversation, changes) -> conversation (1.6) */
    CHAT_SQL_FORWARD,        /* (token, message, uuid[], clientId) -> {messageId, results} (1.7) */
    CHAT_SQL_MESSAGE_INFO,   /* (token, message) -> {readBy, deliveredTo, pending, ...} (1.7) */
    CHAT_SQL_COUNT
};

/* The table's pool, and where the table sits in the pool's catalog. */
struct chat_sql {
    struct db_pool *pool;
    int base;
};

/* Registers the table with pool's catalog and points sql at it. 0, or -1 when it does not fit. */
int chat_sql_init(struct chat_sql *sql, struct db_pool *pool);

/* db_query of one statement of the table: 0 when queued (callback later, once), -1 when no
 * connection is up or the queue is full (callback never). */
int chat_sql_query(const struct chat_sql *sql, enum chat_sql_id id, const char *const *values,
                   db_callback callback, void *data);

/* The JSON of a DB_OK answer (SQL NULL: json null); NULL when it does not parse. */
json_t *chat_sql_result_json(const struct db_result *result);

#endif
