/*
 * attachments.h — files stored by the database (1.7): what sending and deleting a message need
 * of them, and their settings.
 */
#ifndef CHAT_ATTACHMENTS_H
#define CHAT_ATTACHMENTS_H

#include "postgres.h"
#include "utils/jsonb.h"
#include "utils/uuid.h"

/* Every chunk but a file's last holds exactly this many bytes. */
#define ATTACHMENT_CHUNK_SIZE (256 * 1024)
/* A message carries at most this many. */
#define ATTACHMENTS_PER_MESSAGE 10

/* GUCs (chat.c): the largest file in bytes, each user's quota in KiB, an unsent upload's life
 * in seconds. */
extern int	chat_attachment_max_size;
extern int	chat_attachment_quota_kib;
extern int	chat_attachment_expiry;

/*
 * Whether every id is a finished upload of uploader not sent yet; they are locked until the
 * transaction ends. The caller holds SPI.
 */
extern bool attachments_sendable(const pg_uuid_t *uploader, const pg_uuid_t *ids, int count);

/*
 * Gives the uploads to the message (conversation, seq) stored just now, writes the message's
 * attachments column and returns the message's JSON (copied out of SPI).
 */
extern Jsonb *attachments_attach(const pg_uuid_t *conversation, int64 seq, const pg_uuid_t *ids,
								 int count);

/*
 * Copies of the files of message source (forward_message) for the message (conversation, seq)
 * stored just now, owned by uploader; writes its attachments column and returns its JSON.
 */
extern Jsonb *attachments_copy(const pg_uuid_t *source, const pg_uuid_t *conversation, int64 seq,
							   const pg_uuid_t *uploader);

/*
 * Raises 54000 unless user's files and `more` bytes fit their quota. Holds the user's quota lock
 * until the transaction ends, so two uploads or forwards can't both take the last room.
 */
extern void attachments_check_quota(const pg_uuid_t *user, int64 more, const char *what);

/* Deletes the files of a message deleted for everyone. */
extern void attachments_drop(Datum conversation, Datum message);

#endif
