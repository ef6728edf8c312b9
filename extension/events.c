/*
 * events.c — the NOTIFY contract with the bridge. Async_Notify queues the payload in the
 * current transaction; PostgreSQL delivers it to listeners only if and when it commits.
 */
#include "postgres.h"

#include "commands/async.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/uuid.h"

#include "events.h"

static char *
uuid_text(const pg_uuid_t *id)
{
	return DatumGetCString(DirectFunctionCall1(uuid_out, UUIDPGetDatum(id)));
}

/*
 * The value as compact JSON text: JsonbToCString puts a space after every ':' and ',', which
 * every listener would read and every NOTIFY would queue, so those are dropped (outside strings).
 */
static char *
jsonb_text(Jsonb *value)
{
	char	   *text = JsonbToCString(NULL, &value->root, VARSIZE(value));
	char	   *out = text;
	bool		in_string = false;

	for (const char *c = text; *c; c++)
	{
		if (in_string)
		{
			if (*c == '\\' && c[1] != '\0')
				*out++ = *c++;
			else if (*c == '"')
				in_string = false;
		}
		else if (*c == '"')
			in_string = true;
		else if (*c == ' ' && c > text && (c[-1] == ':' || c[-1] == ','))
			continue;
		*out++ = *c;
	}
	*out = '\0';
	return text;
}

void
events_messages(const EventsRange *ranges, int count)
{
	StringInfoData payload;
	int			head;

	initStringInfo(&payload);
	appendStringInfoString(&payload, "{\"type\":\"messages\",\"ranges\":[");
	head = payload.len;
	for (int i = 0; i < count; i++)
	{
		int			before = payload.len;

		appendStringInfo(&payload, "%s[\"%s\"," INT64_FORMAT "," INT64_FORMAT "]",
						 payload.len > head ? "," : "", uuid_text(ranges[i].conversation_id),
						 ranges[i].first, ranges[i].last);
		if (payload.len + 2 > EVENTS_MAX_PAYLOAD && before > head)
		{
			/* full: ring what fits, and start the next notification with this range */
			payload.len = before;
			payload.data[before] = '\0';
			appendStringInfoString(&payload, "]}");
			Async_Notify(EVENTS_CHANNEL, payload.data);
			payload.len = head;
			payload.data[head] = '\0';
			i--;
		}
	}
	appendStringInfoString(&payload, "]}");
	Async_Notify(EVENTS_CHANNEL, payload.data);
}

void
events_message(const char *type, const pg_uuid_t *conversation_id, int64 seq)
{
	char	   *payload = psprintf("{\"type\":\"%s\",\"conversationId\":\"%s\",\"seq\":" INT64_FORMAT "}",
								   type, uuid_text(conversation_id), seq);

	Async_Notify(EVENTS_CHANNEL, payload);
}

void
events_membership(const char *type, const pg_uuid_t *conversation_id, Jsonb *added, Jsonb *removed)
{
	StringInfoData payload;
	int			head;

	initStringInfo(&payload);
	appendStringInfo(&payload, "{\"type\":\"%s\",\"conversationId\":\"%s\"",
					 type, uuid_text(conversation_id));
	head = payload.len;
	if (added != NULL)
		appendStringInfo(&payload, ",\"added\":%s", jsonb_text(added));
	if (removed != NULL)
		appendStringInfo(&payload, ",\"removed\":%s", jsonb_text(removed));
	if (payload.len > EVENTS_MAX_PAYLOAD)
	{
		payload.len = head;
		payload.data[head] = '\0';
		appendStringInfoString(&payload, ",\"ref\":true");
	}
	appendStringInfoChar(&payload, '}');
	Async_Notify(EVENTS_CHANNEL, payload.data);
}

void
events_receipt(Jsonb *receipt)
{
	StringInfoData payload;

	initStringInfo(&payload);
	appendStringInfo(&payload, "{\"type\":\"receipt\",\"receipt\":%s}", jsonb_text(receipt));
	Async_Notify(EVENTS_CHANNEL, payload.data);
}

void
events_sessions_ended(const pg_uuid_t *user_id, const pg_uuid_t *session_id,
					  const pg_uuid_t *except)
{
	StringInfoData payload;

	initStringInfo(&payload);
	appendStringInfoString(&payload, "{\"type\":\"sessions_ended\"");
	if (user_id != NULL)
		appendStringInfo(&payload, ",\"userId\":\"%s\"", uuid_text(user_id));
	if (session_id != NULL)
		appendStringInfo(&payload, ",\"sessionId\":\"%s\"", uuid_text(session_id));
	else
		appendStringInfoString(&payload, ",\"all\":true");
	if (except != NULL)
		appendStringInfo(&payload, ",\"except\":\"%s\"", uuid_text(except));
	appendStringInfoChar(&payload, '}');
	Async_Notify(EVENTS_CHANNEL, payload.data);
}

void
events_user(const char *type, const pg_uuid_t *user_id, const pg_uuid_t *conversation_id,
			int64 seq)
{
	StringInfoData payload;

	initStringInfo(&payload);
	appendStringInfo(&payload, "{\"type\":\"%s\",\"userId\":\"%s\"", type, uuid_text(user_id));
	if (conversation_id != NULL)
		appendStringInfo(&payload, ",\"conversationId\":\"%s\"", uuid_text(conversation_id));
	if (seq >= 0)
		appendStringInfo(&payload, ",\"seq\":" INT64_FORMAT, seq);
	appendStringInfoChar(&payload, '}');
	Async_Notify(EVENTS_CHANNEL, payload.data);
}
