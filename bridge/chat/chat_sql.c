/* The realtime side's SQL (see chat_sql.h). Arguments stay untyped, as in REST: PostgreSQL takes
 * their types from the function, and a malformed uuid comes back as 22P02 -> bad_request. */
#include "chat/chat_sql.h"

#include <string.h>

static const struct db_statement chat_sql_table[CHAT_SQL_COUNT] = {
    [CHAT_SQL_SESSION] = {"rt_session", "SELECT chat.session($1)::text", 1},
    [CHAT_SQL_EDIT_MESSAGE] = {"rt_edit_message", "SELECT chat.edit_message($1, $2, $3)::text", 3},
    [CHAT_SQL_DELETE_MESSAGE] = {"rt_delete_message", "SELECT chat.delete_message($1, $2)::text",
                                 2},
    [CHAT_SQL_MARK_READ] = {"rt_mark_read", "SELECT chat.mark_read($1, $2, $3)::text", 3},
    [CHAT_SQL_MARK_DELIVERED] = {"rt_mark_delivered",
                                 "SELECT chat.mark_delivered($1, $2, $3)::text", 3},
    [CHAT_SQL_MESSAGES_AFTER] = {"rt_messages_after",
                                 "SELECT chat.messages_after($1, $2, $3, $4)::text", 4},
    [CHAT_SQL_CONVERSATION] = {"rt_conversation", "SELECT chat.conversation($1, $2)::text", 2},
    [CHAT_SQL_MEMBERS] = {"rt_members", "SELECT chat.members_joined($1)::text", 1},
    [CHAT_SQL_EVENT_MESSAGE] = {"rt_event_message", "SELECT chat.event_message($1, $2)::text", 2},
    [CHAT_SQL_SEND_MESSAGES] = {"rt_send_messages", "SELECT chat.send_messages($1)::text", 1},
    [CHAT_SQL_EVENT_MESSAGES] = {"rt_event_messages",
                                 "SELECT chat.event_messages($1, $2, $3)::text", 3},
    [CHAT_SQL_BLOCKED_USERS] = {"rt_blocked_users", "SELECT chat.blocked_users($1)::text", 1},
    [CHAT_SQL_REACT] = {"rt_react", "SELECT chat.react($1, $2, $3)::text", 3},
    [CHAT_SQL_HIDE_MESSAGE] = {"rt_hide_message", "SELECT chat.hide_message($1, $2)::text", 2},
    [CHAT_SQL_SET_STATE] = {"rt_set_conversation_state",
                            "SELECT chat.set_conversation_state($1, $2, $3)::text", 3},
    [CHAT_SQL_FORWARD] = {"rt_forward_message",
                          "SELECT chat.forward_message($1, $2, $3, $4)::text", 4},
    [CHAT_SQL_MESSAGE_INFO] = {"rt_message_info", "SELECT chat.message_info($1, $2)::text", 2},
};

int chat_sql_init(struct chat_sql *sql, struct db_pool *pool)
{
    sql->pool = pool;
    sql->base = db_pool_register(pool, chat_sql_table, CHAT_SQL_COUNT);
    return sql->base < 0 ? -1 : 0;
}

int chat_sql_query(const struct chat_sql *sql, enum chat_sql_id id, const char *const *values,
                   db_callback callback, void *data)
{
    return db_query(sql->pool, sql->base + (int)id, values, callback, data);
}

json_t *chat_sql_result_json(const struct db_result *result)
{
    if (!result->value)
        return json_null();
    return json_loadb(result->value, result->length, JSON_DECODE_ANY, NULL);
}
