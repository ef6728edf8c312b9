-- chat extension 1.6 -> 1.7: attachments (photos, documents and voice notes stored by the
-- database itself, in chunks, so a deployment needs nothing more and pg_dump holds every file),
-- forwarding (a message forwarded to other chats is stored in each as a new message of the
-- forwarder, marked forwarded; the original sender is not named, as on WhatsApp) and message
-- info (the sender of a message may ask who has received and read it).
-- Released upgrade steps are never edited; the next change is a new step.
\echo Use "ALTER EXTENSION chat UPDATE TO '1.7'" to load this file. \quit

-- ---------------------------------------------------------------------------------------------
-- Attachments
-- ---------------------------------------------------------------------------------------------
-- An upload is begun (its name, declared size and the client's thumbnail), filled by chunks of
-- 256 KiB in order, then finished (size checked; the type was sniffed from the first chunk). It
-- belongs to its uploader until a message carries it, then to that message's conversation; a
-- message deleted for everyone takes its files along. Unsent uploads expire (expires_at).
-- chat.media of 1.0 (files referenced by URL, never used by any API) stays as it was: this is
-- its successor, and docs/attachments.md says so.
CREATE TABLE chat.attachments (
  id              uuid PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
  uploader_id     uuid NOT NULL REFERENCES chat.users (id) ON DELETE CASCADE,
  conversation_id uuid,
  message_id      uuid,
  name            text NOT NULL,
  content_type    text,
  size            bigint NOT NULL,
  received        bigint NOT NULL DEFAULT 0,
  chunks          integer NOT NULL DEFAULT 0,
  thumbnail       bytea,
  created_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
  finished_at     timestamptz,
  expires_at      timestamptz,
  CONSTRAINT attachments_shape CHECK (size > 0 AND received BETWEEN 0 AND size
    AND pg_catalog.octet_length(name) BETWEEN 1 AND 255
    AND (message_id IS NULL) = (conversation_id IS NULL)),
  CONSTRAINT attachments_message_fkey FOREIGN KEY (conversation_id, message_id)
    REFERENCES chat.messages (conversation_id, id) ON DELETE CASCADE
);
CREATE INDEX attachments_uploader_idx ON chat.attachments (uploader_id);
CREATE INDEX attachments_message_idx ON chat.attachments (conversation_id, message_id)
  WHERE message_id IS NOT NULL;
CREATE INDEX attachments_expiry_idx ON chat.attachments (expires_at) WHERE message_id IS NULL;
COMMENT ON TABLE chat.attachments IS 'Files uploaded to send (photos, documents, voice notes), stored in chat.attachment_chunks. Owned by the uploader until a message carries them, then by its conversation.';
COMMENT ON COLUMN chat.attachments.name IS 'The file name, sanitized at upload: no path, no control or shell-special characters, at most 255 bytes.';
COMMENT ON COLUMN chat.attachments.content_type IS 'The type sniffed from the first bytes (an allow-list, see docs/attachments.md); null until the first chunk arrives. Never the client''s word.';
COMMENT ON COLUMN chat.attachments.size IS 'The size declared at upload; finishing checks that exactly this many bytes arrived.';
COMMENT ON COLUMN chat.attachments.received IS 'Bytes stored so far.';
COMMENT ON COLUMN chat.attachments.chunks IS 'Chunks stored so far: the next append must be chunk number chunks.';
COMMENT ON COLUMN chat.attachments.thumbnail IS 'A small image the client made at upload (the server never decodes images); at most 64 KiB.';
COMMENT ON COLUMN chat.attachments.finished_at IS 'When the whole file arrived; null while uploading.';
COMMENT ON COLUMN chat.attachments.expires_at IS 'When an unsent upload is deleted (chat.expire_attachments); null once sent.';
COMMENT ON CONSTRAINT attachments_message_fkey ON chat.attachments IS 'A sent attachment belongs to a message of its conversation and goes with it.';
COMMENT ON INDEX chat.attachments_uploader_idx IS 'A user''s uploads: the quota and the lazy expiry.';
COMMENT ON INDEX chat.attachments_message_idx IS 'The attachments of a message: delete for everyone removes them.';
COMMENT ON INDEX chat.attachments_expiry_idx IS 'Unsent uploads by expiry: chat.expire_attachments.';
SELECT pg_catalog.pg_extension_config_dump('chat.attachments', '');

CREATE TABLE chat.attachment_chunks (
  attachment_id uuid NOT NULL REFERENCES chat.attachments (id) ON DELETE CASCADE,
  n             integer NOT NULL,
  data          bytea NOT NULL,
  PRIMARY KEY (attachment_id, n)
);
-- Photos, audio and video are compressed already: pglz would spend CPU for nothing.
ALTER TABLE chat.attachment_chunks ALTER COLUMN data SET STORAGE EXTERNAL;
COMMENT ON TABLE chat.attachment_chunks IS 'The bytes of each attachment, in chunks of 256 KiB (the last may be shorter), numbered from 0.';
COMMENT ON COLUMN chat.attachment_chunks.data IS 'Stored out of line without compression (STORAGE EXTERNAL): most files are compressed already, and a range read fetches only the slices it needs.';
SELECT pg_catalog.pg_extension_config_dump('chat.attachment_chunks', '');

-- A message's attachments as its JSON carries them, written once when it is sent (they never
-- change after), so no page or fetch of messages pays a join. Null: none.
ALTER TABLE chat.messages ADD COLUMN attachments jsonb;
COMMENT ON COLUMN chat.messages.attachments IS 'The message''s attachments as clients see them: [{id, name, type, size, hasThumbnail}]; null when none or once deleted for everyone.';

CREATE FUNCTION chat.begin_attachment(token text, name text, size bigint, thumbnail bytea DEFAULT NULL)
RETURNS jsonb AS 'MODULE_PATHNAME', 'chat_begin_attachment'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.begin_attachment(text, text, bigint, bytea) IS 'Begins an upload: {id, name, size, chunkSize}. 54000 over chat.attachment_max_size or the uploader''s chat.attachment_quota; 22023 for a bad name, size or thumbnail (at most 64 KiB). Expired uploads of the caller go first.';

CREATE FUNCTION chat.append_attachment(token text, attachment_id uuid, n integer, data bytea)
RETURNS bigint AS 'MODULE_PATHNAME', 'chat_append_attachment'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.append_attachment(text, uuid, integer, bytea) IS 'Stores chunk n of the caller''s upload (n must be the next; 256 KiB but for the last); returns the bytes received. The first chunk''s bytes must be of an allowed type (22023 otherwise); more than the declared size is 54000.';

CREATE FUNCTION chat.finish_attachment(token text, attachment_id uuid)
RETURNS jsonb AS 'MODULE_PATHNAME', 'chat_finish_attachment'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.finish_attachment(text, uuid) IS 'Finishes the caller''s upload once every declared byte arrived: {id, name, type, size, hasThumbnail}. 22023 when bytes are missing.';

CREATE FUNCTION chat.discard_attachment(token text, attachment_id uuid)
RETURNS boolean AS 'MODULE_PATHNAME', 'chat_discard_attachment'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.discard_attachment(text, uuid) IS 'Deletes the caller''s unsent upload (a failed or abandoned one); true when one was deleted.';

CREATE FUNCTION chat.attachment(token text, attachment_id uuid)
RETURNS jsonb AS 'MODULE_PATHNAME', 'chat_attachment'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.attachment(text, uuid) IS 'A finished attachment the caller may read: {id, name, type, size, hasThumbnail, createdAt}; its uploader before it is sent, the members who see its message after. P0002 for anyone else.';

CREATE FUNCTION chat.read_attachment(token text, attachment_id uuid, "offset" bigint, length integer)
RETURNS bytea AS 'MODULE_PATHNAME', 'chat_read_attachment'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.read_attachment(text, uuid, bigint, integer) IS 'Bytes [offset, offset + length) of an attachment the caller may read (length at most 1 MiB, cut at the end of the file); P0002 as chat.attachment.';

CREATE FUNCTION chat.attachment_thumbnail(token text, attachment_id uuid)
RETURNS bytea AS 'MODULE_PATHNAME', 'chat_attachment_thumbnail'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.attachment_thumbnail(text, uuid) IS 'The thumbnail of an attachment the caller may read; P0002 when none or as chat.attachment.';

CREATE FUNCTION chat.expire_attachments()
RETURNS bigint AS 'MODULE_PATHNAME', 'chat_expire_attachments'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.expire_attachments() IS 'Deletes unsent uploads past their expiry (chat.attachment_expiry after they began); returns how many. For the bridge''s timer or a scheduled job.';

-- send_message with attachment ids: a second signature, so the first one (and its grants in
-- dumps of older versions) stays; both are the same C function.
CREATE FUNCTION chat.send_message(token text, conversation_id uuid, content text,
  client_id text, reply_to uuid, attachments uuid[])
RETURNS jsonb AS 'MODULE_PATHNAME', 'chat_send_message'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.send_message(text, uuid, text, text, uuid, uuid[]) IS 'Sends a message carrying files (a batch of one of chat.send_messages, refusal raised). attachments: ids of the caller''s finished, unsent uploads (at most 10), which then belong to the conversation.';
COMMENT ON FUNCTION chat.send_messages(jsonb) IS 'Stores a batch of messages [{token, conversationId, content, clientId?, replyTo?, attachments?}] in one transaction; answers each on its own: [{message} | {error: {sqlstate, message}}].';

REVOKE ALL ON FUNCTION chat.begin_attachment(text, text, bigint, bytea),
  chat.append_attachment(text, uuid, integer, bytea), chat.finish_attachment(text, uuid),
  chat.discard_attachment(text, uuid), chat.attachment(text, uuid),
  chat.read_attachment(text, uuid, bigint, integer), chat.attachment_thumbnail(text, uuid),
  chat.expire_attachments(), chat.send_message(text, uuid, text, text, uuid, uuid[])
  FROM PUBLIC;

-- ---------------------------------------------------------------------------------------------
-- Forward and message info
-- ---------------------------------------------------------------------------------------------
-- A constant default: no table rewrite, and a send that is not a forward writes it as before.
ALTER TABLE chat.messages ADD COLUMN is_forwarded boolean NOT NULL DEFAULT false;
COMMENT ON COLUMN chat.messages.is_forwarded IS 'Whether the message was forwarded from another message (chat.forward_message); whose message it was is not kept.';

CREATE FUNCTION chat.forward_message(token text, message_id uuid, conversation_ids uuid[],
  client_id text DEFAULT NULL)
RETURNS jsonb AS 'MODULE_PATHNAME', 'chat_forward_message'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.forward_message(text, uuid, uuid[], text) IS 'Forwards a message the caller sees (not deleted, not hidden for them) to 1 to 5 distinct conversations: each a new message of the caller marked forwarded, sent as send_message would. Answers {messageId, results: [{conversationId, message} | {conversationId, error: {code, sqlstate, message}}]}, each target on its own. A client id makes a retry answer the first messages.';

CREATE FUNCTION chat.message_info(token text, message_id uuid)
RETURNS jsonb AS 'MODULE_PATHNAME', 'chat_message_info'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.message_info(text, uuid) IS 'Who has read a message and who has received it, from the members'' receipts: {messageId, conversationId, seq, readBy, deliveredTo, pending}. The message''s sender only (42501 for another member); P0002 for a message the caller does not see.';

REVOKE ALL ON FUNCTION chat.forward_message(text, uuid, uuid[], text),
  chat.message_info(text, uuid) FROM PUBLIC;

-- ---------------------------------------------------------------------------------------------
-- Rights: grant_api names every function of 1.7; roles that had the API get the new ones
-- ---------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION chat.grant_api(role name) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, chat, pg_temp AS $$
BEGIN
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), role);
  EXECUTE format('GRANT USAGE ON SCHEMA chat TO %I', role);
  EXECUTE format('GRANT EXECUTE ON FUNCTION chat.register, chat.login, chat.authenticate, chat.me,
    chat.session, chat.sessions, chat.logout, chat.logout_everywhere, chat.change_password,
    chat.update_profile, chat.set_privacy, chat.search_users, chat.contacts, chat.add_contact,
    chat.remove_contact, chat.block_user, chat.unblock_user, chat.blocked_users,
    chat.create_conversation, chat.conversation, chat.conversations(text),
    chat.conversations(text, timestamptz, uuid, integer), chat.conversation_page,
    chat.conversations_json, chat.archived_conversations, chat.set_conversation_state,
    chat.add_participants, chat.remove_participant, chat.set_participant_role,
    chat.leave_conversation, chat.send_message(text, uuid, text, text, uuid),
    chat.send_message(text, uuid, text, text, uuid, uuid[]), chat.send_messages,
    chat.forward_message, chat.messages, chat.messages_after, chat.message_info,
    chat.edit_message, chat.delete_message, chat.hide_message, chat.react,
    chat.mark_delivered, chat.mark_read, chat.search_messages, chat.members, chat.members_joined,
    chat.event_message, chat.event_messages, chat.presence_audience, chat.presence_audiences,
    chat.presence_visible, chat.set_last_seen, chat.begin_attachment, chat.append_attachment,
    chat.finish_attachment, chat.discard_attachment, chat.attachment, chat.read_attachment,
    chat.attachment_thumbnail, chat.expire_attachments TO %I', role);
END
$$;

DO $$
DECLARE
  grantee name;
BEGIN
  FOR grantee IN
    SELECT DISTINCT r.rolname FROM pg_catalog.pg_proc p, pg_catalog.aclexplode(p.proacl) a, pg_catalog.pg_roles r
    WHERE p.oid = 'chat.send_messages(jsonb)'::pg_catalog.regprocedure AND a.grantee = r.oid
      AND a.privilege_type = 'EXECUTE' AND r.oid <> p.proowner
  LOOP
    EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION chat.begin_attachment(text, text, bigint, bytea),
      chat.append_attachment(text, uuid, integer, bytea), chat.finish_attachment(text, uuid),
      chat.discard_attachment(text, uuid), chat.attachment(text, uuid),
      chat.read_attachment(text, uuid, bigint, integer), chat.attachment_thumbnail(text, uuid),
      chat.expire_attachments(), chat.send_message(text, uuid, text, text, uuid, uuid[]),
      chat.forward_message(text, uuid, uuid[], text), chat.message_info(text, uuid) TO %I', grantee);
  END LOOP;
END
$$;
