/*
 * list_cursor.h — where a page of the conversation list starts, and the opaque text clients
 * pass back for it (REST ?before=, chat.conversation_page's cursor): "<updated_at in
 * microseconds since the Unix epoch>_<conversation id>".
 */
#ifndef CHAT_LIST_CURSOR_H
#define CHAT_LIST_CURSOR_H

#include "postgres.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

/* Just after (updated_at, id) in list order; unset for the first page. */
typedef struct ListCursor
{
	bool		set;
	TimestampTz updated_at;
	pg_uuid_t	id;
} ListCursor;

/* The cursor as text, palloc'd. */
extern char *list_cursor_text(const ListCursor *cursor);

/* The cursor that text names; raises 22023 "cursor is malformed" for anything else. */
extern ListCursor list_cursor_parse(const char *text);

#endif
