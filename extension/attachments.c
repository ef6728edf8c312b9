/*
 * attachments.c — uploads stored in the database in chunks (1.7): begin, append, finish and
 * discard for the uploader; the file's facts, byte ranges and thumbnail for whoever may read it
 * (its uploader before it is sent, afterwards the members who see its message); the expiry of
 * unsent uploads. Every refusal to read is P0002, as for any object a caller may not see.
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/uuid.h"

#include "args.h"
#include "attachment_sniff.h"
#include "attachments.h"
#include "json.h"
#include "query.h"
#include "schema.h"
#include "users.h"

#define NAME_MAX_BYTES 255
#define NAME_INPUT_MAX_BYTES 4096
#define THUMBNAIL_MAX_BYTES (64 * 1024)
#define READ_MAX_BYTES (1024 * 1024)
/* Expired uploads of anyone removed by each begin, besides the caller's own. */
#define EXPIRE_SWEEP 16

int			chat_attachment_max_size = 16 * 1024 * 1024;
int			chat_attachment_quota_kib = 1024 * 1024;
int			chat_attachment_expiry = 24 * 3600;

static void
require_1_7(void)
{
	if (!schema_has_attachments())
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("attachments need the chat extension 1.7"),
				 errhint("Run ALTER EXTENSION chat UPDATE.")));
}

/*
 * A file name safe to store and to give back in a header: the last path segment, without
 * control characters or any of "\/:*?<>|, trimmed of spaces and dots at either end, cut to 255
 * bytes at a character's end. "file" when nothing is left.
 */
static char *
name_sanitize(const char *raw)
{
	const char *base = raw;
	StringInfoData out;
	int			start,
				end;

	for (const char *c = raw; *c; c++)
		if (*c == '/' || *c == '\\')
			base = c + 1;
	initStringInfo(&out);
	for (const unsigned char *c = (const unsigned char *) base; *c;)
	{
		int			n = pg_utf_mblen(c);

		if (*c < 0x20 || *c == 0x7f || strchr("\"\\/:*?<>|", *c) != NULL)
		{
			c++;
			continue;
		}
		if (out.len + n > NAME_MAX_BYTES)
			break;
		appendBinaryStringInfo(&out, (const char *) c, n);
		c += n;
	}
	start = 0;
	end = out.len;
	while (start < end && (out.data[start] == ' ' || out.data[start] == '.'))
		start++;
	while (end > start && (out.data[end - 1] == ' ' || out.data[end - 1] == '.'))
		end--;
	if (start == end)
		return pstrdup("file");
	return pnstrdup(out.data + start, end - start);
}

/* ---- begin ---- */

static SavedQuery expire_own = SAVED_QUERY(
	"DELETE FROM chat.attachments WHERE uploader_id = $1 AND message_id IS NULL "
	"AND expires_at < now()",
	UUIDOID);

static SavedQuery expire_some = SAVED_QUERY(
	"DELETE FROM chat.attachments WHERE id IN (SELECT id FROM chat.attachments "
	"  WHERE message_id IS NULL AND expires_at < now() ORDER BY expires_at LIMIT $1 "
	"  FOR UPDATE SKIP LOCKED)",
	INT4OID);

/* Begins of one user wait for each other here, so two can't both fit in the same room. */
static SavedQuery quota_used = SAVED_QUERY(
	"SELECT pg_advisory_xact_lock(hashtextextended($1::text, 1701)), "
	"  (SELECT coalesce(sum(size), 0)::int8 FROM chat.attachments WHERE uploader_id = $1)",
	UUIDOID);

static SavedQuery insert_upload = SAVED_QUERY(
	"INSERT INTO chat.attachments (uploader_id, name, size, thumbnail, expires_at) "
	"VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5)) "
	"RETURNING jsonb_build_object('id', id, 'name', name, 'size', size, 'chunkSize', $6::int4)",
	UUIDOID, TEXTOID, INT8OID, BYTEAOID, INT4OID, INT4OID);

void
attachments_check_quota(const pg_uuid_t *user, int64 more, const char *what)
{
	Datum		values[1] = {UUIDPGetDatum(user)};
	bool		isnull;
	int64		used;

	query_run(&quota_used, values, NULL, false);
	used = DatumGetInt64(query_value(2, &isnull));
	if (used + more > (int64) chat_attachment_quota_kib * 1024)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s would go over your storage quota", what),
				 errdetail("You store %lld bytes of a quota of %lld.", (long long) used,
						   (long long) chat_attachment_quota_kib * 1024)));
}

PG_FUNCTION_INFO_V1(chat_begin_attachment);

/* chat.begin_attachment(token, name, size, thumbnail) -> {id, name, size, chunkSize} */
Datum
chat_begin_attachment(PG_FUNCTION_ARGS)
{
	char	   *raw = arg_text(fcinfo, 1, "name");
	int64		size = DatumGetInt64(arg_required(fcinfo, 2, "size"));
	bytea	   *thumbnail = PG_ARGISNULL(3) ? NULL : PG_GETARG_BYTEA_PP(3);
	Datum		values[6];
	char		nulls[7] = "      ";
	pg_uuid_t  *user;
	bool		isnull;
	Datum		result;

	require_1_7();
	if (strlen(raw) > NAME_INPUT_MAX_BYTES)
		ereport(ERROR,
				(errcode(ERRCODE_STRING_DATA_RIGHT_TRUNCATION),
				 errmsg("name must be at most %d bytes", NAME_INPUT_MAX_BYTES)));
	if (size < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("size must be at least 1 byte")));
	if (size > chat_attachment_max_size)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a file may be at most %d bytes", chat_attachment_max_size)));
	if (thumbnail != NULL &&
		(VARSIZE_ANY_EXHDR(thumbnail) > THUMBNAIL_MAX_BYTES ||
		 !attachment_sniff_thumbnail((const unsigned char *) VARDATA_ANY(thumbnail),
									 VARSIZE_ANY_EXHDR(thumbnail))))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("thumbnail must be a JPEG, PNG or WebP image of at most %d bytes",
						THUMBNAIL_MAX_BYTES)));

	SPI_connect();
	user = users_authenticate(fcinfo, 0);
	values[0] = UUIDPGetDatum(user);
	query_run(&expire_own, values, NULL, false);
	values[0] = Int32GetDatum(EXPIRE_SWEEP);
	query_run(&expire_some, values, NULL, false);

	attachments_check_quota(user, size, "this file");

	values[0] = UUIDPGetDatum(user);
	values[1] = CStringGetTextDatum(name_sanitize(raw));
	values[2] = Int64GetDatum(size);
	values[3] = thumbnail ? PointerGetDatum(thumbnail) : (Datum) 0;
	nulls[3] = thumbnail ? ' ' : 'n';
	values[4] = Int32GetDatum(chat_attachment_expiry);
	values[5] = Int32GetDatum(ATTACHMENT_CHUNK_SIZE);
	result = query_first_copy(&insert_upload, values, nulls, false, &isnull);
	SPI_finish();
	PG_RETURN_DATUM(result);
}

/* ---- append, finish, discard: the uploader's own unsent upload ---- */

static SavedQuery own_upload = SAVED_QUERY(
	"SELECT size, received, chunks, finished_at IS NOT NULL FROM chat.attachments "
	"WHERE id = $1 AND uploader_id = $2 AND message_id IS NULL FOR UPDATE",
	UUIDOID, UUIDOID);

typedef struct Upload
{
	int64		size;
	int64		received;
	int32		chunks;
	bool		finished;
} Upload;

static Upload
upload_find(Datum id, pg_uuid_t *user)
{
	Datum		values[2] = {id, UUIDPGetDatum(user)};
	Upload		upload;
	bool		isnull;

	if (query_run(&own_upload, values, NULL, false) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("upload not found")));
	upload.size = DatumGetInt64(query_value(1, &isnull));
	upload.received = DatumGetInt64(query_value(2, &isnull));
	upload.chunks = DatumGetInt32(query_value(3, &isnull));
	upload.finished = DatumGetBool(query_value(4, &isnull));
	return upload;
}

static SavedQuery insert_chunk = SAVED_QUERY(
	"WITH c AS (INSERT INTO chat.attachment_chunks (attachment_id, n, data) VALUES ($1, $2, $3)) "
	"UPDATE chat.attachments SET received = received + octet_length($3), chunks = chunks + 1, "
	"  content_type = coalesce($4, content_type) WHERE id = $1 RETURNING received",
	UUIDOID, INT4OID, BYTEAOID, TEXTOID);

PG_FUNCTION_INFO_V1(chat_append_attachment);

/* chat.append_attachment(token, id, n, data) -> bytes received */
Datum
chat_append_attachment(PG_FUNCTION_ARGS)
{
	Datum		id = arg_required(fcinfo, 1, "attachmentId");
	int32		n = DatumGetInt32(arg_required(fcinfo, 2, "n"));
	bytea	   *data = DatumGetByteaPP(arg_required(fcinfo, 3, "data"));
	size_t		length = VARSIZE_ANY_EXHDR(data);
	const char *type = NULL;
	Upload		upload;
	Datum		values[4];
	char		nulls[5] = "    ";
	bool		isnull;
	Datum		result;

	require_1_7();
	if (length == 0 || length > ATTACHMENT_CHUNK_SIZE)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a chunk holds 1 to %d bytes", ATTACHMENT_CHUNK_SIZE)));
	SPI_connect();
	upload = upload_find(id, users_authenticate(fcinfo, 0));
	if (upload.finished)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the upload is finished already")));
	if (n != upload.chunks)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("chunk %d was expected, not %d", upload.chunks, n)));
	if (upload.received + (int64) length > upload.size)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("more bytes than the %lld declared", (long long) upload.size)));
	if (length != ATTACHMENT_CHUNK_SIZE && upload.received + (int64) length != upload.size)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("every chunk but the last must hold %d bytes", ATTACHMENT_CHUNK_SIZE)));
	if (n == 0)
	{
		type = attachment_sniff((const unsigned char *) VARDATA_ANY(data), length,
								(int64) length == upload.size);
		if (type == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("this type of file is not accepted"),
					 errdetail("Accepted: %s.", ATTACHMENT_TYPES_ALLOWED)));
	}
	values[0] = id;
	values[1] = Int32GetDatum(n);
	values[2] = PointerGetDatum(data);
	values[3] = type ? CStringGetTextDatum(type) : (Datum) 0;
	nulls[3] = type ? ' ' : 'n';
	query_run(&insert_chunk, values, nulls, false);
	result = query_value(1, &isnull);
	SPI_finish();
	PG_RETURN_DATUM(result);
}

#define ATTACHMENT_JSON(a) \
	"jsonb_build_object('id', " a ".id, 'name', " a ".name, 'type', " a ".content_type, " \
	"'size', " a ".size, 'hasThumbnail', " a ".thumbnail IS NOT NULL)"

static SavedQuery mark_finished = SAVED_QUERY(
	"UPDATE chat.attachments a SET finished_at = coalesce(a.finished_at, now()) WHERE a.id = $1 "
	"RETURNING " ATTACHMENT_JSON("a"),
	UUIDOID);

PG_FUNCTION_INFO_V1(chat_finish_attachment);

/* chat.finish_attachment(token, id) -> {id, name, type, size, hasThumbnail}; again: the same */
Datum
chat_finish_attachment(PG_FUNCTION_ARGS)
{
	Datum		id = arg_required(fcinfo, 1, "attachmentId");
	Upload		upload;
	bool		isnull;
	Datum		result;

	require_1_7();
	SPI_connect();
	upload = upload_find(id, users_authenticate(fcinfo, 0));
	if (upload.received != upload.size)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the upload is incomplete: %lld of %lld bytes arrived",
						(long long) upload.received, (long long) upload.size)));
	result = query_first_copy(&mark_finished, &id, NULL, false, &isnull);
	SPI_finish();
	PG_RETURN_DATUM(result);
}

static SavedQuery delete_own_upload = SAVED_QUERY(
	"DELETE FROM chat.attachments WHERE id = $1 AND uploader_id = $2 AND message_id IS NULL",
	UUIDOID, UUIDOID);

PG_FUNCTION_INFO_V1(chat_discard_attachment);

/* chat.discard_attachment(token, id) -> whether an unsent upload of the caller was deleted */
Datum
chat_discard_attachment(PG_FUNCTION_ARGS)
{
	Datum		values[2];
	uint64		deleted;

	require_1_7();
	values[0] = arg_required(fcinfo, 1, "attachmentId");
	SPI_connect();
	values[1] = UUIDPGetDatum(users_authenticate(fcinfo, 0));
	deleted = query_run(&delete_own_upload, values, NULL, false);
	SPI_finish();
	PG_RETURN_BOOL(deleted > 0);
}

/* ---- reading: the uploader before it is sent, then the members who see its message ---- */

static SavedQuery readable = SAVED_QUERY(
	"SELECT " ATTACHMENT_JSON("a") " || jsonb_build_object('createdAt', a.created_at), a.size "
	"FROM chat.attachments a WHERE a.id = $1 AND a.finished_at IS NOT NULL AND "
	"CASE WHEN a.message_id IS NULL THEN a.uploader_id = $2 ELSE EXISTS ("
	"  SELECT FROM chat.messages m JOIN chat.conversation_participants p "
	"    ON p.conversation_id = m.conversation_id AND p.user_id = $2 "
	"  WHERE m.id = a.message_id AND m.conversation_id = a.conversation_id "
	"    AND NOT m.is_deleted AND m.seq > p.joined_seq) END",
	UUIDOID, UUIDOID);

/* Runs `readable` for the caller; P0002 when they may not read it. Returns the size. */
static int64
readable_check(FunctionCallInfo fcinfo, Datum id)
{
	Datum		values[2];
	bool		isnull;

	values[0] = id;
	values[1] = UUIDPGetDatum(users_authenticate(fcinfo, 0));
	if (query_run(&readable, values, NULL, true) == 0)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("attachment not found")));
	return DatumGetInt64(query_value(2, &isnull));
}

PG_FUNCTION_INFO_V1(chat_attachment);

/* chat.attachment(token, id) -> {id, name, type, size, hasThumbnail, createdAt} */
Datum
chat_attachment(PG_FUNCTION_ARGS)
{
	Datum		id = arg_required(fcinfo, 1, "attachmentId");
	bool		isnull;
	Datum		result;

	require_1_7();
	SPI_connect();
	readable_check(fcinfo, id);
	result = query_value_copy(1, &isnull);
	SPI_finish();
	PG_RETURN_DATUM(result);
}

static SavedQuery chunks_between = SAVED_QUERY(
	"SELECT n, data FROM chat.attachment_chunks WHERE attachment_id = $1 AND n BETWEEN $2 AND $3 "
	"ORDER BY n",
	UUIDOID, INT4OID, INT4OID);

PG_FUNCTION_INFO_V1(chat_read_attachment);

/* chat.read_attachment(token, id, offset, length) -> bytea */
Datum
chat_read_attachment(PG_FUNCTION_ARGS)
{
	Datum		id = arg_required(fcinfo, 1, "attachmentId");
	int64		offset = DatumGetInt64(arg_required(fcinfo, 2, "offset"));
	int32		length = DatumGetInt32(arg_required(fcinfo, 3, "length"));
	int64		size;
	int64		end;
	bytea	   *out;
	char	   *at;
	Datum		values[3];
	MemoryContext caller = CurrentMemoryContext;

	require_1_7();
	if (offset < 0 || length < 1 || length > READ_MAX_BYTES)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("offset must be at least 0 and length 1 to %d", READ_MAX_BYTES)));
	SPI_connect();
	size = readable_check(fcinfo, id);
	if (offset >= size)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("offset %lld is past the end of the file (%lld bytes)",
						(long long) offset, (long long) size)));
	end = Min(offset + length, size);
	out = MemoryContextAlloc(caller, VARHDRSZ + (end - offset));
	SET_VARSIZE(out, VARHDRSZ + (end - offset));
	at = VARDATA(out);
	values[0] = id;
	values[1] = Int32GetDatum((int32) (offset / ATTACHMENT_CHUNK_SIZE));
	values[2] = Int32GetDatum((int32) ((end - 1) / ATTACHMENT_CHUNK_SIZE));
	query_run(&chunks_between, values, NULL, true);
	for (uint64 row = 0; row < SPI_processed; row++)
	{
		bool		isnull;
		HeapTuple	tuple = SPI_tuptable->vals[row];
		int64		n = DatumGetInt32(SPI_getbinval(tuple, SPI_tuptable->tupdesc, 1, &isnull));
		bytea	   *data = DatumGetByteaPP(SPI_getbinval(tuple, SPI_tuptable->tupdesc, 2, &isnull));
		int64		chunk_start = n * ATTACHMENT_CHUNK_SIZE;
		int64		from = Max(offset, chunk_start);
		int64		to = Min(end, chunk_start + (int64) VARSIZE_ANY_EXHDR(data));

		if (to > from)
			memcpy(at + (from - offset), VARDATA_ANY(data) + (from - chunk_start), to - from);
	}
	SPI_finish();
	PG_RETURN_BYTEA_P(out);
}

static SavedQuery thumbnail_of = SAVED_QUERY(
	"SELECT thumbnail FROM chat.attachments WHERE id = $1 AND thumbnail IS NOT NULL",
	UUIDOID);

PG_FUNCTION_INFO_V1(chat_attachment_thumbnail);

/* chat.attachment_thumbnail(token, id) -> bytea */
Datum
chat_attachment_thumbnail(PG_FUNCTION_ARGS)
{
	Datum		id = arg_required(fcinfo, 1, "attachmentId");
	bool		isnull;
	Datum		result;

	require_1_7();
	SPI_connect();
	readable_check(fcinfo, id);
	result = query_first_copy(&thumbnail_of, &id, NULL, true, &isnull);
	SPI_finish();
	if (isnull)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("this attachment has no thumbnail")));
	PG_RETURN_DATUM(result);
}

/* ---- expiry ---- */

static SavedQuery expire_all = SAVED_QUERY(
	"DELETE FROM chat.attachments WHERE message_id IS NULL AND expires_at < now()");

PG_FUNCTION_INFO_V1(chat_expire_attachments);

/* chat.expire_attachments() -> how many unsent uploads were deleted */
Datum
chat_expire_attachments(PG_FUNCTION_ARGS)
{
	uint64		deleted;

	require_1_7();
	SPI_connect();
	deleted = query_run(&expire_all, NULL, NULL, false);
	SPI_finish();
	PG_RETURN_INT64((int64) deleted);
}

/* ---- what sending and deleting messages need ---- */

static SavedQuery lock_sendable = SAVED_QUERY(
	"SELECT id FROM chat.attachments WHERE id = ANY ($1) AND uploader_id = $2 "
	"AND message_id IS NULL AND finished_at IS NOT NULL FOR UPDATE",
	UUIDARRAYOID, UUIDOID);

static Datum
uuid_array(const pg_uuid_t *ids, int count)
{
	Datum	   *elements = palloc(sizeof(Datum) * Max(count, 1));

	for (int i = 0; i < count; i++)
		elements[i] = UUIDPGetDatum(&ids[i]);
	return PointerGetDatum(construct_array(elements, count, UUIDOID, UUID_LEN, false, TYPALIGN_CHAR));
}

bool
attachments_sendable(const pg_uuid_t *uploader, const pg_uuid_t *ids, int count)
{
	Datum		values[2];

	if (!schema_has_attachments())
		return false;
	values[0] = uuid_array(ids, count);
	values[1] = UUIDPGetDatum(uploader);
	return query_run(&lock_sendable, values, NULL, false) == (uint64) count;
}

static SavedQuery attach = SAVED_QUERY(
	"WITH m0 AS (SELECT id FROM chat.messages WHERE conversation_id = $1 AND seq = $2), "
	"a AS (UPDATE chat.attachments x SET conversation_id = $1, message_id = (SELECT id FROM m0), "
	"  expires_at = NULL WHERE x.id = ANY ($3) RETURNING x.*) "
	"UPDATE chat.messages m SET attachments = (SELECT jsonb_agg(" ATTACHMENT_JSON("a")
	"  ORDER BY array_position($3, a.id)) FROM a) "
	"WHERE m.conversation_id = $1 AND m.seq = $2 RETURNING " MESSAGE_JSON("m"),
	UUIDOID, INT8OID, UUIDARRAYOID);

Jsonb *
attachments_attach(const pg_uuid_t *conversation, int64 seq, const pg_uuid_t *ids, int count)
{
	Datum		values[3];
	bool		isnull;

	values[0] = UUIDPGetDatum(conversation);
	values[1] = Int64GetDatum(seq);
	values[2] = uuid_array(ids, count);
	if (query_run(&attach, values, NULL, false) != 1)
		elog(ERROR, "the message to attach files to was not found");
	return DatumGetJsonbP(query_value_copy(1, &isnull));
}

/*
 * The source message's files, in its order, copied row and chunks under new ids for the message
 * (conversation $2, seq $3), owned by the forwarder $4. A forward is a new message of its own,
 * so its files are its own too: deleting either message leaves the other's.
 */
static SavedQuery copy_files = SAVED_QUERY(
	"WITH src AS (SELECT id, conversation_id, attachments FROM chat.messages WHERE id = $1), "
	"old AS (SELECT a.*, e.n, pg_catalog.gen_random_uuid() AS copy_id FROM src "
	"  JOIN chat.attachments a ON a.conversation_id = src.conversation_id AND a.message_id = src.id "
	"  JOIN LATERAL jsonb_array_elements(src.attachments) WITH ORDINALITY e(v, n) "
	"    ON e.v->>'id' = a.id::text), "
	"a AS (INSERT INTO chat.attachments (id, uploader_id, conversation_id, message_id, name, "
	"    content_type, size, received, chunks, thumbnail, finished_at) "
	"  SELECT o.copy_id, $4, $2, (SELECT id FROM chat.messages WHERE conversation_id = $2 AND seq = $3), "
	"    o.name, o.content_type, o.size, o.received, o.chunks, o.thumbnail, now() FROM old o "
	"  RETURNING *), "
	"k AS (INSERT INTO chat.attachment_chunks (attachment_id, n, data) "
	"  SELECT o.copy_id, c.n, c.data FROM old o JOIN chat.attachment_chunks c ON c.attachment_id = o.id) "
	"UPDATE chat.messages m SET attachments = (SELECT jsonb_agg(" ATTACHMENT_JSON("a")
	"  ORDER BY o.n) FROM a JOIN old o ON o.copy_id = a.id) "
	"WHERE m.conversation_id = $2 AND m.seq = $3 RETURNING " MESSAGE_JSON("m"),
	UUIDOID, UUIDOID, INT8OID, UUIDOID);

Jsonb *
attachments_copy(const pg_uuid_t *source, const pg_uuid_t *conversation, int64 seq,
				 const pg_uuid_t *uploader)
{
	Datum		values[4] = {UUIDPGetDatum(source), UUIDPGetDatum(conversation),
							 Int64GetDatum(seq), UUIDPGetDatum(uploader)};
	bool		isnull;

	if (query_run(&copy_files, values, NULL, false) != 1)
		elog(ERROR, "the forwarded message to copy files to was not found");
	return DatumGetJsonbP(query_value_copy(1, &isnull));
}

static SavedQuery drop_files = SAVED_QUERY(
	"DELETE FROM chat.attachments WHERE conversation_id = $1 AND message_id = $2",
	UUIDOID, UUIDOID);

void
attachments_drop(Datum conversation, Datum message)
{
	Datum		values[2] = {conversation, message};

	if (schema_has_attachments())
		query_run(&drop_files, values, NULL, false);
}
