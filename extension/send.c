/*
 * send.c — storing messages, many per call: chat.send_messages(batch) and the one-message
 * chat.send_message, which is a batch of one.
 *
 * A batch holds messages of many senders in many conversations, each with its sender's token.
 * Every message is checked on its own and answered on its own (the stored message or its
 * refusal) without failing the others. The good ones are stored in one transaction:
 *   1. lock the conversations, in uuid order, so concurrent batches never deadlock;
 *   2. find who is a member, which replies are of the same conversation and which client ids
 *      were stored before (a resend answers the first message);
 *   3. give each conversation's messages their seqs in batch order, then one statement inserts
 *      every row, moves each conversation's last_seq once and each (conversation, sender)'s
 *      read mark once;
 *   4. NOTIFY one doorbell naming each conversation's new seq range (no content).
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "args.h"
#include "attachments.h"
#include "events.h"
#include "json.h"
#include "query.h"
#include "schema.h"
#include "sessions.h"
#include "send.h"
#include "token.h"

#define CONTENT_MAX 65536
#define CLIENT_ID_MAX_BYTES 64
#define BATCH_MAX_MESSAGES 1000
#define BATCH_MAX_CONTENT_BYTES (16 * 1024 * 1024)

typedef struct SendItem
{
	/* what the caller asked */
	const char *token;
	int			token_length;
	pg_uuid_t	conversation_id;
	char	   *content;
	char	   *client_id;		/* NULL when none */
	pg_uuid_t	reply_to;
	bool		has_reply;
	bool		forwarded;		/* 1.7: a forward (send_forward) */
	const pg_uuid_t *files_of;	/* 1.7: the forwarded message whose files it gets copies of */
	pg_uuid_t  *attachments;	/* 1.7: the sender's uploads it carries */
	int			attachment_count;
	/* what the checks found */
	pg_uuid_t	sender;
	pg_uuid_t	session;		/* of the sender's token: it must still be live */
	int			conversation;	/* index into the batch's conversations */
	int			refusal;		/* 0, or the SQLSTATE (MAKE_SQLSTATE) it is refused with */
	const char *message;		/* the refusal's message */
	const char *detail;
	int			same_as;		/* -1, or an earlier item with the same client id */
	bool		resent;			/* its answer was stored by an earlier call */
	int64		seq;			/* the seq it is stored with; 0 when it is not new */
	Jsonb	   *answer;			/* the stored message */
} SendItem;

typedef struct SendConversation
{
	pg_uuid_t	id;
	int64		last_seq;		/* as locked */
	int64		next_seq;		/* the last seq given in this batch */
	int			first_slot;		/* where its new items start in Send.slots */
} SendConversation;

/* Arrays of one element per item, reused by each query of a batch. */
typedef struct Scratch
{
	int		   *indexes;
	Datum	   *a,
			   *b,
			   *c,
			   *d;
	bool	   *marks;
} Scratch;

typedef struct Send
{
	SendItem   *items;
	int			count;
	SendConversation *conversations;	/* sorted by id, distinct */
	int			conversation_count;
	int		   *slots;			/* new items, by conversation then seq */
} Send;

static void
refuse(SendItem *item, int sqlstate, const char *message)
{
	if (item->refusal != 0)
		return;
	item->refusal = sqlstate;
	item->message = message;
}

static void check_attachments(Send *send);
static void attach_files(Send *send);

/* ---- reading one message of the batch ---- */

static int
hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* A uuid in its canonical text form (8-4-4-4-12 hex digits); false for anything else. */
static bool
uuid_parse(const char *text, int length, pg_uuid_t *out)
{
	int			byte = 0;

	if (length != 36)
		return false;
	for (int i = 0; i < 36;)
	{
		int			high,
					low;

		if (i == 8 || i == 13 || i == 18 || i == 23)
		{
			if (text[i++] != '-')
				return false;
			continue;
		}
		high = hex_value(text[i]);
		low = hex_value(text[i + 1]);
		if (high < 0 || low < 0)
			return false;
		out->data[byte++] = (unsigned char) (high << 4 | low);
		i += 2;
	}
	return true;
}

/* The string under key, or false when absent or JSON null; a non-string is *wrong_type. */
static bool
field_string(JsonbContainer *object, const char *key, const char **value, int *length,
			 bool *wrong_type)
{
	JsonbValue	found;

	*wrong_type = false;
	if (getKeyJsonValueFromContainer(object, key, strlen(key), &found) == NULL ||
		found.type == jbvNull)
		return false;
	if (found.type != jbvString)
	{
		*wrong_type = true;
		return false;
	}
	*value = found.val.string.val;
	*length = found.val.string.len;
	return true;
}

static void
check_content(SendItem *item, int length)
{
	if (length == 0)
		refuse(item, ERRCODE_INVALID_PARAMETER_VALUE, "content must not be empty");
	else if (!arg_fits(item->content, length, CONTENT_MAX))
		refuse(item, ERRCODE_STRING_DATA_RIGHT_TRUNCATION,
			   psprintf("content must be at most %d characters", CONTENT_MAX));
	/* line breaks and tabs only: other control characters grow sixfold in JSON, and no one types them */
	else if (!arg_is_printable(item->content, true))
		refuse(item, ERRCODE_INVALID_PARAMETER_VALUE, "content must not contain control characters");
}

static void
check_client_id(SendItem *item)
{
	size_t		length = strlen(item->client_id);

	if (length == 0 || length > CLIENT_ID_MAX_BYTES)
		refuse(item, ERRCODE_INVALID_PARAMETER_VALUE,
			   psprintf("clientId must be 1 to %d bytes", CLIENT_ID_MAX_BYTES));
	else if (!arg_is_printable(item->client_id, false))
		refuse(item, ERRCODE_INVALID_PARAMETER_VALUE,
			   "clientId must not contain control characters");
}

/* The token last, as the one-message call always did: a malformed message is told so first. */
static void
check_token(SendItem *item)
{
	const char *why = NULL;
	TokenClaims claims;

	if (item->token == NULL)
	{
		refuse(item, ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION, "a token is required");
		return;
	}
	if (!token_read(item->token, item->token_length, &claims, &why))
	{
		refuse(item, ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION, "invalid or expired token");
		item->detail = why;
		return;
	}
	item->sender = claims.user_id;
	item->session = claims.session_id;
}

/* Up to ATTACHMENTS_PER_MESSAGE distinct ids, each checked by attachments_sendable later. */
static void
check_attachment_ids(SendItem *item)
{
	if (item->attachment_count > ATTACHMENTS_PER_MESSAGE)
		refuse(item, ERRCODE_INVALID_PARAMETER_VALUE,
			   psprintf("a message carries at most %d attachments", ATTACHMENTS_PER_MESSAGE));
	for (int i = 0; i < item->attachment_count; i++)
		for (int k = 0; k < i; k++)
			if (memcmp(&item->attachments[i], &item->attachments[k], sizeof(pg_uuid_t)) == 0)
				refuse(item, ERRCODE_INVALID_PARAMETER_VALUE, "an attachment is named twice");
}

/* "attachments": an array of uuids (absent, null or empty: none). */
static void
read_attachments(JsonbContainer *object, SendItem *item)
{
	JsonbValue	found;
	JsonbIterator *iterator;
	JsonbValue	element;
	JsonbIteratorToken token;
	int			count;

	if (getKeyJsonValueFromContainer(object, "attachments", 11, &found) == NULL ||
		found.type == jbvNull)
		return;
	if (found.type != jbvBinary || !JsonContainerIsArray(found.val.binary.data))
	{
		refuse(item, ERRCODE_INVALID_PARAMETER_VALUE, "attachments must be an array of uuids");
		return;
	}
	count = JsonContainerSize(found.val.binary.data);
	if (count > ATTACHMENTS_PER_MESSAGE)
	{
		item->attachment_count = count;
		check_attachment_ids(item);
		return;
	}
	item->attachments = palloc(sizeof(pg_uuid_t) * Max(count, 1));
	iterator = JsonbIteratorInit(found.val.binary.data);
	while ((token = JsonbIteratorNext(&iterator, &element, true)) != WJB_DONE)
		if (token == WJB_ELEM)
		{
			if (element.type != jbvString ||
				!uuid_parse(element.val.string.val, element.val.string.len,
							&item->attachments[item->attachment_count]))
			{
				refuse(item, ERRCODE_INVALID_PARAMETER_VALUE, "attachments must be an array of uuids");
				return;
			}
			item->attachment_count++;
		}
	check_attachment_ids(item);
}

/* One element of the batch into item, refused with the first thing wrong with it. */
static void
read_item(JsonbValue *element, SendItem *item, int64 *content_bytes)
{
	JsonbContainer *object;
	const char *text = NULL;
	int			length = 0;
	bool		wrong_type;

	if (element->type != jbvBinary || !JsonContainerIsObject(element->val.binary.data))
	{
		refuse(item, ERRCODE_INVALID_PARAMETER_VALUE, "each message must be an object");
		return;
	}
	object = element->val.binary.data;

	if (!field_string(object, "conversationId", &text, &length, &wrong_type) ||
		!uuid_parse(text, length, &item->conversation_id))
		refuse(item, ERRCODE_INVALID_PARAMETER_VALUE, "conversationId must be a uuid");

	if (!field_string(object, "content", &text, &length, &wrong_type))
		refuse(item, ERRCODE_INVALID_PARAMETER_VALUE,
			   wrong_type ? "content must be a string" : "content is required");
	else
	{
		item->content = pnstrdup(text, length);
		*content_bytes += length;
		check_content(item, length);
	}

	if (field_string(object, "clientId", &text, &length, &wrong_type))
	{
		item->client_id = pnstrdup(text, length);
		check_client_id(item);
	}
	else if (wrong_type)
		refuse(item, ERRCODE_INVALID_PARAMETER_VALUE, "clientId must be a string");

	if (field_string(object, "replyTo", &text, &length, &wrong_type))
	{
		item->has_reply = true;
		if (!uuid_parse(text, length, &item->reply_to))
			refuse(item, ERRCODE_INVALID_PARAMETER_VALUE, "replyTo must be a uuid");
	}
	else if (wrong_type)
		refuse(item, ERRCODE_INVALID_PARAMETER_VALUE, "replyTo must be a uuid");

	read_attachments(object, item);

	if (field_string(object, "token", &text, &length, &wrong_type))
	{
		item->token = text;
		item->token_length = length;
	}
	if (item->refusal == 0)
		check_token(item);
}

/* ---- the conversations of the batch ---- */

static int
uuid_order(const void *a, const void *b)
{
	return memcmp(a, b, UUID_LEN);
}

static int
find_conversation(const Send *send, const pg_uuid_t *id)
{
	int			low = 0,
				high = send->conversation_count - 1;

	while (low <= high)
	{
		int			middle = (low + high) / 2;
		int			order = memcmp(id, &send->conversations[middle].id, UUID_LEN);

		if (order == 0)
			return middle;
		if (order < 0)
			high = middle - 1;
		else
			low = middle + 1;
	}
	return -1;
}

/* The distinct conversations of the good items, sorted: the order they are locked in. */
static void
collect_conversations(Send *send)
{
	pg_uuid_t  *ids = palloc(sizeof(pg_uuid_t) * Max(send->count, 1));
	int			count = 0;

	for (int i = 0; i < send->count; i++)
		if (send->items[i].refusal == 0)
			ids[count++] = send->items[i].conversation_id;
	qsort(ids, count, sizeof(pg_uuid_t), uuid_order);
	send->conversations = palloc0(sizeof(SendConversation) * Max(count, 1));
	send->conversation_count = 0;
	for (int i = 0; i < count; i++)
		if (i == 0 || memcmp(&ids[i], &ids[i - 1], UUID_LEN) != 0)
			send->conversations[send->conversation_count++].id = ids[i];
	for (int i = 0; i < send->count; i++)
		if (send->items[i].refusal == 0)
			send->items[i].conversation = find_conversation(send, &send->items[i].conversation_id);
}

/* ---- arrays for the queries ---- */

static Datum
uuid_array(Datum *elements, int count)
{
	return PointerGetDatum(construct_array(elements, count, UUIDOID, UUID_LEN, false,
										   TYPALIGN_CHAR));
}

static Datum
int4_array(Datum *elements, int count)
{
	return PointerGetDatum(construct_array(elements, count, INT4OID, 4, true, TYPALIGN_INT));
}

static Datum
int8_array(Datum *elements, int count)
{
	return PointerGetDatum(construct_array(elements, count, INT8OID, 8, FLOAT8PASSBYVAL,
										   TYPALIGN_DOUBLE));
}

static Datum
nullable_array(Datum *elements, bool *nulls, int count, Oid type, int length, char align)
{
	int			dims[1] = {count};
	int			lower[1] = {1};

	return PointerGetDatum(construct_md_array(elements, nulls, 1, dims, lower, type, length,
											  false, align));
}

/* Item indexes of the good items (for which `want` holds), as an int4[] for a query. */
typedef bool (*ItemFilter) (const SendItem *item);

static int
good_items(const Send *send, ItemFilter want, int *out)
{
	int			count = 0;

	for (int i = 0; i < send->count; i++)
		if (send->items[i].refusal == 0 && (want == NULL || want(&send->items[i])))
			out[count++] = i;
	return count;
}

/*
 * ---- the checks that need the tables ----
 * Each runs after the locks with a fresh snapshot (read_only false): a batch that waited for a
 * conversation must see what the one before it committed (its client ids, its members).
 */

static SavedQuery lock_conversations = SAVED_QUERY(
	"SELECT c.id, c.last_seq FROM chat.conversations c WHERE c.id = ANY ($1) "
	"ORDER BY c.id FOR NO KEY UPDATE",
	UUIDARRAYOID);

static void
lock(Send *send)
{
	Datum	   *ids = palloc(sizeof(Datum) * Max(send->conversation_count, 1));
	Datum		values[1];

	for (int i = 0; i < send->conversation_count; i++)
		ids[i] = UUIDPGetDatum(&send->conversations[i].id);
	values[0] = uuid_array(ids, send->conversation_count);
	query_run(&lock_conversations, values, NULL, false);
	for (uint64 row = 0; row < SPI_processed; row++)
	{
		bool		isnull;
		HeapTuple	tuple = SPI_tuptable->vals[row];
		int			index = find_conversation(send, DatumGetUUIDP(SPI_getbinval(tuple, SPI_tuptable->tupdesc, 1, &isnull)));

		send->conversations[index].last_seq =
			DatumGetInt64(SPI_getbinval(tuple, SPI_tuptable->tupdesc, 2, &isnull));
		send->conversations[index].next_seq = send->conversations[index].last_seq;
	}
}

/* The rows a query returned name items by index (column 1); mark each. */
static void
mark_returned(bool *marks)
{
	for (uint64 row = 0; row < SPI_processed; row++)
	{
		bool		isnull;

		marks[DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[row], SPI_tuptable->tupdesc, 1,
										  &isnull))] = true;
	}
}

/* The uuid an item pairs with its conversation in a check. */
typedef const pg_uuid_t *(*ItemUuid) (const SendItem *item);

/*
 * Asks query, given (conversation ids, paired uuids, item indexes, and senders when it takes a
 * fourth argument) of the good items want selects, which of them hold (it returns their
 * indexes), and refuses the others.
 */
static void
confirm(Send *send, Scratch *scratch, SavedQuery *query, ItemFilter want, ItemUuid paired,
		int sqlstate, const char *message)
{
	int			count = good_items(send, want, scratch->indexes);
	bool		with_senders = query->nargs > 3;
	Datum		values[4];

	if (count == 0)
		return;
	for (int k = 0; k < count; k++)
	{
		SendItem   *item = &send->items[scratch->indexes[k]];

		scratch->a[k] = UUIDPGetDatum(&item->conversation_id);
		scratch->b[k] = UUIDPGetDatum(paired(item));
		scratch->c[k] = Int32GetDatum(scratch->indexes[k]);
		if (with_senders)
			scratch->d[k] = UUIDPGetDatum(&item->sender);
	}
	values[0] = uuid_array(scratch->a, count);
	values[1] = uuid_array(scratch->b, count);
	values[2] = int4_array(scratch->c, count);
	if (with_senders)
		values[3] = uuid_array(scratch->d, count);
	memset(scratch->marks, 0, sizeof(bool) * send->count);
	query_run(query, values, NULL, false);
	mark_returned(scratch->marks);
	for (int k = 0; k < count; k++)
		if (!scratch->marks[scratch->indexes[k]])
			refuse(&send->items[scratch->indexes[k]], sqlstate, message);
}

static const pg_uuid_t *
sender_of(const SendItem *item)
{
	return &item->sender;
}

static const pg_uuid_t *
session_of(const SendItem *item)
{
	return &item->session;
}

static const pg_uuid_t *
reply_of(const SendItem *item)
{
	return &item->reply_to;
}

static bool
is_reply(const SendItem *item)
{
	return item->has_reply;
}

/*
 * The lookups below are planned once per backend, often while the tables are still empty (a new
 * database, a bench): a join would then be planned as a hash of the whole table, scanned again
 * by every batch as the table grows. A LATERAL subquery with LIMIT 1 cannot be flattened into a
 * join, so each item is one probe of the unique key, whatever the statistics said.
 */

/* A token whose session ended (logout, password change, deleted user) sends nothing. */
static SavedQuery sessions_live_of = SAVED_QUERY(
	"SELECT v.i FROM unnest($1::uuid[], $2::uuid[], $3::int4[]) v(c, s, i) "
	"CROSS JOIN LATERAL (SELECT FROM chat.sessions x "
	"  WHERE x.id = v.s AND x.ended_at IS NULL LIMIT 1) x",
	UUIDARRAYOID, UUIDARRAYOID, INT4ARRAYOID);

/* A conversation one is not in (or that does not exist) is refused as not found. */
static SavedQuery members_of = SAVED_QUERY(
	"SELECT v.i FROM unnest($1::uuid[], $2::uuid[], $3::int4[]) v(c, u, i) "
	"CROSS JOIN LATERAL (SELECT FROM chat.conversation_participants p "
	"  WHERE p.conversation_id = v.c AND p.user_id = v.u LIMIT 1) p",
	UUIDARRAYOID, UUIDARRAYOID, INT4ARRAYOID);

/*
 * Asked after the membership check, so a stranger learns nothing of a conversation's messages.
 * From 1.4 ($4, the senders) a reply is only to a message the sender sees: from their joining on.
 */
static SavedQuery replies_in_place = SAVED_QUERY(
	"SELECT v.i FROM unnest($1::uuid[], $2::uuid[], $3::int4[], $4::uuid[]) v(c, r, i, s) "
	"CROSS JOIN LATERAL (SELECT FROM chat.messages m "
	"  WHERE m.conversation_id = v.c AND m.id = v.r AND m.seq > (SELECT p.joined_seq "
	"    FROM chat.conversation_participants p WHERE p.conversation_id = v.c AND p.user_id = v.s) "
	"  LIMIT 1) m",
	UUIDARRAYOID, UUIDARRAYOID, INT4ARRAYOID, UUIDARRAYOID);
static SavedQuery replies_in_place_before_1_4 = SAVED_QUERY(
	"SELECT v.i FROM unnest($1::uuid[], $2::uuid[], $3::int4[]) v(c, r, i) "
	"CROSS JOIN LATERAL (SELECT FROM chat.messages m "
	"  WHERE m.conversation_id = v.c AND m.id = v.r LIMIT 1) m",
	UUIDARRAYOID, UUIDARRAYOID, INT4ARRAYOID);

/*
 * 1.6: a direct chat with a block either way takes no message (the blocked can't reach the
 * blocker, and the blocker unblocks first, as on WhatsApp). Answers the items refused and
 * whether their sender is the blocker. A direct chat holds its pair, so it is two probes of the
 * blocks' key; with no block at all (the InitPlan) not even those.
 */
static SavedQuery blocked_pairs = SAVED_QUERY(
	"SELECT v.i, x.blocker = v.s FROM unnest($1::uuid[], $2::uuid[], $3::int4[]) v(c, s, i) "
	"CROSS JOIN LATERAL (SELECT x.blocker FROM chat.conversations c, LATERAL ("
	"    SELECT b.blocker_id AS blocker FROM chat.blocks b "
	"    WHERE b.blocker_id = c.direct_low AND b.blocked_id = c.direct_high "
	"    UNION ALL SELECT b.blocker_id FROM chat.blocks b "
	"    WHERE b.blocker_id = c.direct_high AND b.blocked_id = c.direct_low) x "
	"  WHERE c.id = v.c AND NOT c.is_group LIMIT 1) x "
	"WHERE EXISTS (SELECT FROM chat.blocks)",
	UUIDARRAYOID, UUIDARRAYOID, INT4ARRAYOID);

static void
refuse_blocked(Send *send, Scratch *scratch)
{
	int			count = good_items(send, NULL, scratch->indexes);
	Datum		values[3];

	if (count == 0)
		return;
	for (int k = 0; k < count; k++)
	{
		SendItem   *item = &send->items[scratch->indexes[k]];

		scratch->a[k] = UUIDPGetDatum(&item->conversation_id);
		scratch->b[k] = UUIDPGetDatum(&item->sender);
		scratch->c[k] = Int32GetDatum(scratch->indexes[k]);
	}
	values[0] = uuid_array(scratch->a, count);
	values[1] = uuid_array(scratch->b, count);
	values[2] = int4_array(scratch->c, count);
	query_run(&blocked_pairs, values, NULL, false);
	for (uint64 row = 0; row < SPI_processed; row++)
	{
		bool		isnull;
		HeapTuple	tuple = SPI_tuptable->vals[row];
		SendItem   *item = &send->items[DatumGetInt32(SPI_getbinval(tuple, SPI_tuptable->tupdesc, 1, &isnull))];

		if (DatumGetBool(SPI_getbinval(tuple, SPI_tuptable->tupdesc, 2, &isnull)))
			refuse(item, ERRCODE_INSUFFICIENT_PRIVILEGE,
				   "you blocked this user: unblock them to send a message");
		else
			refuse(item, ERRCODE_INSUFFICIENT_PRIVILEGE, "you can't message this user");
	}
}

static bool
has_client_id(const SendItem *item)
{
	return item->client_id != NULL;
}

static SavedQuery stored_before = SAVED_QUERY(
	"SELECT v.i, " MESSAGE_JSON("m") " FROM unnest($1::uuid[], $2::uuid[], $3::text[], $4::int4[]) "
	"  v(c, s, k, i) "
	"CROSS JOIN LATERAL (SELECT * FROM chat.messages m "
	"  WHERE m.conversation_id = v.c AND m.sender_id = v.s AND m.client_id = v.k LIMIT 1) m",
	UUIDARRAYOID, UUIDARRAYOID, TEXTARRAYOID, INT4ARRAYOID);

/*
 * Resends across batches: a client id stored before answers its first message. The
 * conversations are locked, so no other transaction can store the same client id meanwhile.
 */
static void
find_resends(Send *send, Scratch *scratch)
{
	int			count = good_items(send, has_client_id, scratch->indexes);
	Datum		values[4];

	if (count == 0)
		return;
	for (int k = 0; k < count; k++)
	{
		SendItem   *item = &send->items[scratch->indexes[k]];

		scratch->a[k] = UUIDPGetDatum(&item->conversation_id);
		scratch->b[k] = UUIDPGetDatum(&item->sender);
		scratch->c[k] = CStringGetTextDatum(item->client_id);
		scratch->d[k] = Int32GetDatum(scratch->indexes[k]);
	}
	values[0] = uuid_array(scratch->a, count);
	values[1] = uuid_array(scratch->b, count);
	values[2] = PointerGetDatum(construct_array(scratch->c, count, TEXTOID, -1, false, TYPALIGN_INT));
	values[3] = int4_array(scratch->d, count);
	query_run(&stored_before, values, NULL, false);
	for (uint64 row = 0; row < SPI_processed; row++)
	{
		bool		isnull;
		HeapTuple	tuple = SPI_tuptable->vals[row];
		SendItem   *item = &send->items[DatumGetInt32(SPI_getbinval(tuple, SPI_tuptable->tupdesc, 1, &isnull))];

		item->answer = DatumGetJsonbP(SPI_datumTransfer(SPI_getbinval(tuple, SPI_tuptable->tupdesc, 2, &isnull), false, -1));
		item->resent = true;
	}
}

/* Orders items by (conversation, sender, client id, position) for finding repeats. */
static int
client_id_order(const void *a, const void *b, void *arg)
{
	const SendItem *items = arg;
	const SendItem *x = &items[*(const int *) a];
	const SendItem *y = &items[*(const int *) b];
	int			order = memcmp(&x->conversation_id, &y->conversation_id, UUID_LEN);

	if (order == 0)
		order = memcmp(&x->sender, &y->sender, UUID_LEN);
	if (order == 0)
		order = strcmp(x->client_id, y->client_id);
	if (order == 0)
		order = (*(const int *) a > *(const int *) b) - (*(const int *) a < *(const int *) b);
	return order;
}

static bool
is_new_with_client_id(const SendItem *item)
{
	return item->client_id != NULL && item->answer == NULL;
}

/* A client id repeated inside the batch: the later ones answer what the first one gets. */
static void
find_repeats(Send *send, int *indexes)
{
	int			count = good_items(send, is_new_with_client_id, indexes);

	qsort_arg(indexes, count, sizeof(int), client_id_order, send->items);
	for (int k = 1; k < count; k++)
	{
		SendItem   *first = &send->items[indexes[k - 1]];
		SendItem   *item = &send->items[indexes[k]];

		if (memcmp(&first->conversation_id, &item->conversation_id, UUID_LEN) == 0 &&
			memcmp(&first->sender, &item->sender, UUID_LEN) == 0 &&
			strcmp(first->client_id, item->client_id) == 0)
			item->same_as = first->same_as >= 0 ? first->same_as : indexes[k - 1];
	}
}

/* ---- storing ---- */

/*
 * What both versions of the store statement begin and end with: the rows, and the answer. From
 * 1.7 each row says whether it is a forward ($9; on an older database $9 goes unread); $10 is
 * when they are stored (store_new).
 */
#define STORE_INSERT \
	"WITH m AS (" \
	"  INSERT INTO chat.messages AS m (conversation_id, seq, sender_id, client_id, content, reply_to_id" \
	QUERY_1_7_BEGIN ", is_forwarded" QUERY_1_7_END ", created_at, updated_at) " \
	"  SELECT *, $10, $10 FROM unnest($1::uuid[], $2::int8[], $3::uuid[], $4::text[], $5::text[], $6::uuid[]" \
	QUERY_1_7_BEGIN ", $9::bool[]" QUERY_1_7_END ") " \
	"  RETURNING m.*), "
#define STORE_ANSWER \
	"SELECT m.conversation_id, m.seq, " MESSAGE_JSON("m") " FROM m"

/*
 * One statement: every new row, each conversation's last_seq and updated_at once, and its
 * members' rows once each where something changed: list_at, which the conversation list reads
 * them by (schema.h: for a group only when a new minute starts), and for the senders the read
 * mark (sending reads everything before). A row is updated once in the statement, so a sender's
 * newest seq is looked up in the conversation's (short) arrays of senders and their seqs.
 */
static SavedQuery store = SAVED_QUERY(
	STORE_INSERT
	"c AS ("
	"  UPDATE chat.conversations c SET last_seq = v.last_seq, updated_at = clock_timestamp() "
	"  FROM unnest($7::uuid[], $8::int8[]) v(id, last_seq) WHERE c.id = v.id "
	"  RETURNING c.id, " LIST_AT("c.updated_at", "c.is_group") " AS list_at), "
	"s AS ("
	"  SELECT c, array_agg(u) AS senders, array_agg(seq) AS seqs "
	"  FROM (SELECT c, u, max(seq) AS seq FROM unnest($1::uuid[], $3::uuid[], $2::int8[]) x(c, u, seq) "
	"        GROUP BY c, u) v GROUP BY c), "
	"r AS ("
	"  UPDATE chat.conversation_participants p "
	"  SET list_at = c.list_at, "
	"      last_read_seq = greatest(p.last_read_seq, s.seqs[array_position(s.senders, p.user_id)]), "
	"      last_delivered_seq = greatest(p.last_delivered_seq, s.seqs[array_position(s.senders, p.user_id)]) "
	"  FROM c JOIN s ON s.c = c.id "
	"  WHERE p.conversation_id = c.id AND (p.list_at <> c.list_at OR p.user_id = ANY (s.senders))) "
	STORE_ANSWER,
	UUIDARRAYOID, INT8ARRAYOID, UUIDARRAYOID, TEXTARRAYOID, TEXTARRAYOID, UUIDARRAYOID,
	UUIDARRAYOID, INT8ARRAYOID, BOOLARRAYOID, TIMESTAMPTZOID);

/* The same on a database still on 1.2 or older (schema.h): its memberships hold no list_at. */
static SavedQuery store_before_1_3 = SAVED_QUERY(
	STORE_INSERT
	"c AS ("
	"  UPDATE chat.conversations c SET last_seq = v.last_seq, updated_at = clock_timestamp() "
	"  FROM unnest($7::uuid[], $8::int8[]) v(id, last_seq) WHERE c.id = v.id), "
	"r AS ("
	"  UPDATE chat.conversation_participants p "
	"  SET last_read_seq = greatest(p.last_read_seq, v.seq), "
	"      last_delivered_seq = greatest(p.last_delivered_seq, v.seq) "
	"  FROM (SELECT c, u, max(seq) AS seq FROM unnest($1::uuid[], $3::uuid[], $2::int8[]) x(c, u, seq) "
	"        GROUP BY c, u) v "
	"  WHERE p.conversation_id = v.c AND p.user_id = v.u) "
	STORE_ANSWER,
	UUIDARRAYOID, INT8ARRAYOID, UUIDARRAYOID, TEXTARRAYOID, TEXTARRAYOID, UUIDARRAYOID,
	UUIDARRAYOID, INT8ARRAYOID, BOOLARRAYOID, TIMESTAMPTZOID);

static bool
is_new(const SendItem *item)
{
	return item->answer == NULL && item->same_as < 0;
}

/* Seqs in batch order per conversation; slots list the new items by conversation then seq. */
static int
give_seqs(Send *send, int *indexes)
{
	int			count = good_items(send, is_new, indexes);
	int		   *per_conversation = palloc0(sizeof(int) * Max(send->conversation_count, 1));
	int			slot = 0;

	for (int k = 0; k < count; k++)
		per_conversation[send->items[indexes[k]].conversation]++;
	for (int i = 0; i < send->conversation_count; i++)
	{
		send->conversations[i].first_slot = slot;
		slot += per_conversation[i];
	}
	send->slots = palloc(sizeof(int) * Max(count, 1));
	for (int k = 0; k < count; k++)
	{
		SendItem   *item = &send->items[indexes[k]];
		SendConversation *conversation = &send->conversations[item->conversation];

		item->seq = ++conversation->next_seq;
		send->slots[conversation->first_slot + (item->seq - conversation->last_seq - 1)] = indexes[k];
	}
	return count;
}

static void
store_new(Send *send, int *indexes)
{
	int			count = give_seqs(send, indexes);
	Datum	   *columns[7];
	bool	   *client_id_nulls = palloc(sizeof(bool) * Max(count, 1));
	bool	   *reply_nulls = palloc(sizeof(bool) * Max(count, 1));
	Datum	   *changed_ids = palloc(sizeof(Datum) * Max(send->conversation_count, 1));
	Datum	   *changed_seqs = palloc(sizeof(Datum) * Max(send->conversation_count, 1));
	int			changed = 0;
	Datum		values[10];

	if (count == 0)
		return;
	for (int column = 0; column < 7; column++)
		columns[column] = palloc(sizeof(Datum) * count);
	for (int k = 0; k < count; k++)
	{
		SendItem   *item = &send->items[send->slots[k]];

		columns[0][k] = UUIDPGetDatum(&item->conversation_id);
		columns[1][k] = Int64GetDatum(item->seq);
		columns[2][k] = UUIDPGetDatum(&item->sender);
		columns[3][k] = item->client_id ? CStringGetTextDatum(item->client_id) : (Datum) 0;
		client_id_nulls[k] = item->client_id == NULL;
		columns[4][k] = CStringGetTextDatum(item->content);
		columns[5][k] = item->has_reply ? UUIDPGetDatum(&item->reply_to) : (Datum) 0;
		reply_nulls[k] = !item->has_reply;
		columns[6][k] = BoolGetDatum(item->forwarded);
	}
	for (int i = 0; i < send->conversation_count; i++)
		if (send->conversations[i].next_seq > send->conversations[i].last_seq)
		{
			changed_ids[changed] = UUIDPGetDatum(&send->conversations[i].id);
			changed_seqs[changed++] = Int64GetDatum(send->conversations[i].next_seq);
		}
	values[0] = uuid_array(columns[0], count);
	values[1] = int8_array(columns[1], count);
	values[2] = uuid_array(columns[2], count);
	values[3] = nullable_array(columns[3], client_id_nulls, count, TEXTOID, -1, TYPALIGN_INT);
	values[4] = PointerGetDatum(construct_array(columns[4], count, TEXTOID, -1, false, TYPALIGN_INT));
	values[5] = nullable_array(columns[5], reply_nulls, count, UUIDOID, UUID_LEN, TYPALIGN_CHAR);
	values[6] = uuid_array(changed_ids, changed);
	values[7] = int8_array(changed_seqs, changed);
	values[8] = PointerGetDatum(construct_array(columns[6], count, BOOLOID, 1, true, TYPALIGN_CHAR));
	/*
	 * Stamped now, under the conversations' locks, rather than at the transaction's start: a
	 * batch that waited for a lock would otherwise stamp its messages earlier than those stored
	 * before them. So a chat's messages are in the same order by time as by seq, which search
	 * relies on to read a chat's newest matches by seq (search.c).
	 */
	values[9] = TimestampTzGetDatum(GetCurrentTimestamp());

	if (query_run(schema_has_list_at() ? &store : &store_before_1_3, values, NULL, false) !=
		(uint64) count)
		elog(ERROR, "a batch of %d messages stored " UINT64_FORMAT, count, SPI_processed);
	for (uint64 row = 0; row < SPI_processed; row++)
	{
		bool		isnull;
		HeapTuple	tuple = SPI_tuptable->vals[row];
		int			index = find_conversation(send, DatumGetUUIDP(SPI_getbinval(tuple, SPI_tuptable->tupdesc, 1, &isnull)));
		SendConversation *conversation = &send->conversations[index];
		int64		seq = DatumGetInt64(SPI_getbinval(tuple, SPI_tuptable->tupdesc, 2, &isnull));
		SendItem   *item = &send->items[send->slots[conversation->first_slot + (seq - conversation->last_seq - 1)]];

		item->answer = DatumGetJsonbP(SPI_datumTransfer(SPI_getbinval(tuple, SPI_tuptable->tupdesc, 3, &isnull), false, -1));
	}
}

/* One doorbell for the batch: each conversation's new seq range. */
static void
ring(const Send *send)
{
	EventsRange *ranges = palloc(sizeof(EventsRange) * Max(send->conversation_count, 1));
	int			count = 0;

	for (int i = 0; i < send->conversation_count; i++)
	{
		const SendConversation *conversation = &send->conversations[i];

		if (conversation->next_seq > conversation->last_seq)
			ranges[count++] = (EventsRange)
			{
				&conversation->id, conversation->last_seq + 1, conversation->next_seq
			};
	}
	if (count > 0)
		events_messages(ranges, count);
}

/*
 * Every check and the storing of the good ones; items hold their answers after (copied out of
 * SPI's memory). The caller holds the SPI connection, which reading tokens needs too.
 */
static void
send_run(Send *send)
{
	int			size = Max(send->count, 1);
	Scratch		scratch = {
		.indexes = palloc(sizeof(int) * size),
		.a = palloc(sizeof(Datum) * size),
		.b = palloc(sizeof(Datum) * size),
		.c = palloc(sizeof(Datum) * size),
		.d = palloc(sizeof(Datum) * size),
		.marks = palloc(sizeof(bool) * size),
	};

	if (schema_has_sessions())	/* a token naming no session matches no row */
		confirm(send, &scratch, &sessions_live_of, NULL, session_of,
				ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION, "invalid or expired token");
	collect_conversations(send);
	if (send->conversation_count == 0)
		return;
	lock(send);
	confirm(send, &scratch, &members_of, NULL, sender_of, ERRCODE_NO_DATA_FOUND,
			"conversation not found");
	if (schema_has_blocks())
		refuse_blocked(send, &scratch);
	confirm(send, &scratch, schema_has_joined_seq() ? &replies_in_place : &replies_in_place_before_1_4,
			is_reply, reply_of,
			ERRCODE_INVALID_PARAMETER_VALUE, "replyTo must be a message of the same conversation");
	find_resends(send, &scratch);
	find_repeats(send, scratch.indexes);
	check_attachments(send);
	store_new(send, scratch.indexes);
	attach_files(send);
	ring(send);
	for (int i = 0; i < send->count; i++)
		if (send->items[i].refusal == 0 && send->items[i].same_as >= 0)
		{
			send->items[i].answer = send->items[send->items[i].same_as].answer;
			send->items[i].resent = send->items[send->items[i].same_as].resent;
		}
}

/*
 * 1.7: a new message's attachments must be its sender's finished uploads not sent before (they
 * stay locked until commit). A refused message refuses its repeats in the batch too.
 */
static void
check_attachments(Send *send)
{
	for (int i = 0; i < send->count; i++)
	{
		SendItem   *item = &send->items[i];

		if (item->refusal != 0 || item->attachment_count == 0 || !is_new(item) ||
			attachments_sendable(&item->sender, item->attachments, item->attachment_count))
			continue;
		refuse(item, ERRCODE_INVALID_PARAMETER_VALUE,
			   "attachments must be your own finished uploads, not sent before");
		for (int k = i + 1; k < send->count; k++)
			if (send->items[k].same_as == i)
				refuse(&send->items[k], item->refusal, item->message);
	}
}

/* Gives each new message its files; its answer becomes the message with them. */
static void
attach_files(Send *send)
{
	for (int i = 0; i < send->count; i++)
	{
		SendItem   *item = &send->items[i];

		if (item->refusal == 0 && item->attachment_count > 0 && item->seq > 0)
			item->answer = attachments_attach(&item->conversation_id, item->seq,
											  item->attachments, item->attachment_count);
		else if (item->refusal == 0 && item->files_of != NULL && item->seq > 0)
			item->answer = attachments_copy(item->files_of, &item->conversation_id, item->seq,
											&item->sender);
	}
}

static Send *
send_new(int count)
{
	Send	   *send = palloc0(sizeof(Send));

	send->count = count;
	send->items = palloc0(sizeof(SendItem) * Max(count, 1));
	for (int i = 0; i < count; i++)
		send->items[i].same_as = -1;
	return send;
}

/* ---- forwards (1.7) ---- */

/*
 * See send.h. Each target is an item of one batch, carrying the caller's token as any send does,
 * so the session, membership and block checks, the seqs and the doorbell are the send path's.
 */
void
send_forward(const char *token, int token_length, const pg_uuid_t *targets, int count,
			 const char *content, const pg_uuid_t *files_of, const char *client_id,
			 SendOutcome *outcomes)
{
	Send	   *send = send_new(count);

	for (int i = 0; i < count; i++)
	{
		SendItem   *item = &send->items[i];

		item->token = token;
		item->token_length = token_length;
		item->conversation_id = targets[i];
		item->content = (char *) content;
		item->forwarded = true;
		item->files_of = files_of;
		if (client_id != NULL)
		{
			item->client_id = (char *) client_id;
			check_client_id(item);
			if (item->refusal != 0)
				ereport(ERROR,
						(errcode(item->refusal),
						 errmsg("%s", item->message)));
		}
		check_content(item, strlen(content));
		check_token(item);
	}
	send_run(send);
	for (int i = 0; i < count; i++)
	{
		const SendItem *item = &send->items[i];

		outcomes[i] = (SendOutcome)
		{
			.refusal = item->refusal,
				.message = item->message,
				.answer = item->answer,
				.resent = item->resent,
		};
	}
}

/* ---- the answers ---- */

void
send_push_string(JsonbParseState **state, JsonbIteratorToken token, const char *text)
{
	JsonbValue	value;

	value.type = jbvString;
	value.val.string.val = (char *) text;
	value.val.string.len = strlen(text);
	pushJsonbValue(state, token, &value);
}

void
send_push_outcome(JsonbParseState **state, const SendOutcome *outcome, const char *code)
{
	JsonbValue	value;

	if (outcome->refusal == 0)
	{
		send_push_string(state, WJB_KEY, "message");
		value.type = jbvBinary;
		value.val.binary.data = &outcome->answer->root;
		value.val.binary.len = VARSIZE(outcome->answer) - VARHDRSZ;
		pushJsonbValue(state, WJB_VALUE, &value);
		if (outcome->resent)
		{
			/* stored by an earlier call: its doorbell rang then */
			send_push_string(state, WJB_KEY, "resent");
			value.type = jbvBool;
			value.val.boolean = true;
			pushJsonbValue(state, WJB_VALUE, &value);
		}
		return;
	}
	send_push_string(state, WJB_KEY, "error");
	pushJsonbValue(state, WJB_BEGIN_OBJECT, NULL);
	if (code != NULL)
	{
		send_push_string(state, WJB_KEY, "code");
		send_push_string(state, WJB_VALUE, code);
	}
	send_push_string(state, WJB_KEY, "sqlstate");
	/* unpack_sql_state answers in a static buffer: copy it */
	send_push_string(state, WJB_VALUE, pstrdup(unpack_sql_state(outcome->refusal)));
	send_push_string(state, WJB_KEY, "message");
	send_push_string(state, WJB_VALUE, outcome->message);
	pushJsonbValue(state, WJB_END_OBJECT, NULL);
}

/* {"message": m}, {"message": m, "resent": true} or {"error": {"sqlstate", "message"}} */
static void
push_answer(JsonbParseState **state, const SendItem *item)
{
	SendOutcome outcome = {.refusal = item->refusal, .message = item->message,
						   .answer = item->answer, .resent = item->resent};

	pushJsonbValue(state, WJB_BEGIN_OBJECT, NULL);
	send_push_outcome(state, &outcome, NULL);
	pushJsonbValue(state, WJB_END_OBJECT, NULL);
}

PG_FUNCTION_INFO_V1(chat_send_messages);

/*
 * chat.send_messages(batch jsonb) -> jsonb: batch is an array of {token, conversationId,
 * content, clientId?, replyTo?}; the answer an array of the same length, in order, of
 * {message} (with "resent": true when an earlier call stored it) or {error: {sqlstate, message}}.
 */
Datum
chat_send_messages(PG_FUNCTION_ARGS)
{
	Jsonb	   *batch = DatumGetJsonbP(arg_required(fcinfo, 0, "batch"));
	JsonbIterator *iterator;
	JsonbValue	element;
	JsonbIteratorToken token;
	JsonbParseState *state = NULL;
	JsonbValue *result;
	Datum		answer;
	Send	   *send;
	int64		content_bytes = 0;
	int			index = 0;

	if (!JB_ROOT_IS_ARRAY(batch) || JB_ROOT_IS_SCALAR(batch))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("batch must be an array of messages")));
	if (JB_ROOT_COUNT(batch) > BATCH_MAX_MESSAGES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a batch holds at most %d messages", BATCH_MAX_MESSAGES)));

	SPI_connect();
	send = send_new(JB_ROOT_COUNT(batch));
	iterator = JsonbIteratorInit(&batch->root);
	while ((token = JsonbIteratorNext(&iterator, &element, true)) != WJB_DONE)
		if (token == WJB_ELEM)
			read_item(&element, &send->items[index++], &content_bytes);
	if (content_bytes > BATCH_MAX_CONTENT_BYTES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a batch holds at most %d bytes of content", BATCH_MAX_CONTENT_BYTES)));

	send_run(send);

	pushJsonbValue(&state, WJB_BEGIN_ARRAY, NULL);
	for (int i = 0; i < send->count; i++)
		push_answer(&state, &send->items[i]);
	result = pushJsonbValue(&state, WJB_END_ARRAY, NULL);
	/* everything so far lives in SPI's memory: the answer is copied out before it goes */
	answer = SPI_datumTransfer(JsonbPGetDatum(JsonbValueToJsonb(result)), false, -1);
	SPI_finish();
	PG_RETURN_DATUM(answer);
}

PG_FUNCTION_INFO_V1(chat_send_message);

/*
 * chat.send_message(token, conversation_id, content, client_id default null, reply_to default
 * null): a batch of one whose refusal is raised. A retry with the same client id answers the
 * first message and notifies nothing.
 */
Datum
chat_send_message(PG_FUNCTION_ARGS)
{
	Send	   *send = send_new(1);
	SendItem   *item = &send->items[0];
	text	   *token;

	item->conversation_id = *DatumGetUUIDP(arg_required(fcinfo, 1, "conversationId"));
	item->content = arg_text(fcinfo, 2, "content");
	check_content(item, strlen(item->content));
	item->client_id = arg_text_or_null(fcinfo, 3);
	if (item->client_id != NULL)
		check_client_id(item);
	if (PG_NARGS() > 4 && !PG_ARGISNULL(4))
	{
		item->has_reply = true;
		item->reply_to = *PG_GETARG_UUID_P(4);
	}
	if (PG_NARGS() > 5 && !PG_ARGISNULL(5))
	{
		ArrayType  *ids = PG_GETARG_ARRAYTYPE_P(5);
		Datum	   *elements;
		bool	   *nulls;

		deconstruct_array(ids, UUIDOID, UUID_LEN, false, TYPALIGN_CHAR, &elements, &nulls,
						  &item->attachment_count);
		item->attachments = palloc(sizeof(pg_uuid_t) * Max(item->attachment_count, 1));
		for (int i = 0; i < item->attachment_count; i++)
		{
			if (nulls[i])
				refuse(item, ERRCODE_INVALID_PARAMETER_VALUE, "attachments must be an array of uuids");
			else
				item->attachments[i] = *DatumGetUUIDP(elements[i]);
		}
		check_attachment_ids(item);
	}
	if (!PG_ARGISNULL(0))
	{
		token = PG_GETARG_TEXT_PP(0);
		item->token = VARDATA_ANY(token);
		item->token_length = VARSIZE_ANY_EXHDR(token);
	}
	SPI_connect();
	if (item->refusal == 0)
		check_token(item);
	send_run(send);
	SPI_finish();

	if (item->refusal != 0)
		ereport(ERROR,
				(errcode(item->refusal),
				 errmsg("%s", item->message),
				 item->detail ? errdetail("%s", item->detail) : 0));
	PG_RETURN_JSONB_P(item->answer);
}
