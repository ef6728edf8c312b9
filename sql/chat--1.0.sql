-- chat extension 1.0: the pgchat messenger inside PostgreSQL.
-- Every API function is SECURITY DEFINER with a pinned search_path (pg_temp last) and is granted
-- to nobody: chat.grant_api(role) lets the bridge's role call it; no role can read a table.

\echo Use "CREATE EXTENSION chat" to load this file. \quit

DO $$
BEGIN
  IF pg_catalog.current_setting('server_encoding') <> 'UTF8' THEN
    RAISE EXCEPTION 'the chat extension needs a UTF8 database, not %',
      pg_catalog.current_setting('server_encoding');
  END IF;
END $$;

-- ---------------------------------------------------------------------------------------------
-- Accounts
-- ---------------------------------------------------------------------------------------------

CREATE TABLE chat.users (
  id            uuid PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
  username      text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9._]{3,32}$'),
  email         text NOT NULL CHECK (pg_catalog.octet_length(email) <= 254),
  password_hash text NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
  display_name  text NOT NULL CHECK (pg_catalog.char_length(display_name) BETWEEN 1 AND 64),
  status        text NOT NULL DEFAULT '' CHECK (pg_catalog.char_length(status) <= 140),
  profile_photo text CHECK (pg_catalog.octet_length(profile_photo) <= 2048),
  bio           text NOT NULL DEFAULT '' CHECK (pg_catalog.char_length(bio) <= 500),
  last_seen_at  timestamptz,
  created_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
  updated_at    timestamptz NOT NULL DEFAULT pg_catalog.now()
);
CREATE UNIQUE INDEX users_email_key ON chat.users (pg_catalog.lower(email));
COMMENT ON TABLE chat.users IS 'Accounts of pgchat. Usernames are stored lower case; emails are unique whatever their case.';
COMMENT ON COLUMN chat.users.password_hash IS 'argon2id PHC string (libsodium); no API function returns it.';
COMMENT ON COLUMN chat.users.last_seen_at IS 'When the user''s last device went offline (written by the bridge from Redis presence).';
COMMENT ON INDEX chat.users_email_key IS 'Emails are unique case-insensitively.';
SELECT pg_catalog.pg_extension_config_dump('chat.users', '');

CREATE TABLE chat.signing_key (
  id         integer PRIMARY KEY CHECK (id = 1),
  key        bytea NOT NULL CHECK (pg_catalog.length(key) = 32),
  rotated_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
COMMENT ON TABLE chat.signing_key IS 'The secret that signs tokens (HS256). Owner only; left out of dumps on purpose: a restored database signs with a new secret, so old sessions log in again.';

-- The JSON a client sees of a user, and of itself.
CREATE FUNCTION chat.user_json(u chat.users) RETURNS jsonb
LANGUAGE sql STABLE SET search_path = pg_catalog, chat, pg_temp AS $$
  SELECT jsonb_build_object('id', u.id, 'username', u.username, 'displayName', u.display_name,
    'status', u.status, 'bio', u.bio, 'profilePhoto', u.profile_photo,
    'lastSeenAt', u.last_seen_at, 'createdAt', u.created_at)
$$;
COMMENT ON FUNCTION chat.user_json(chat.users) IS 'Internal: a user as other users see it (no email, no hash).';

CREATE FUNCTION chat.me_json(u chat.users) RETURNS jsonb
LANGUAGE sql STABLE SET search_path = pg_catalog, chat, pg_temp AS $$
  SELECT chat.user_json(u) || jsonb_build_object('email', u.email, 'updatedAt', u.updated_at)
$$;
COMMENT ON FUNCTION chat.me_json(chat.users) IS 'Internal: a user as the user sees itself (with email, never the hash).';

CREATE FUNCTION chat.register(username text, email text, password text, display_name text DEFAULT NULL)
RETURNS jsonb AS 'MODULE_PATHNAME', 'chat_register'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.register(text, text, text, text) IS 'Creates an account and returns {token, user}. 22023 for an invalid field, 23505 when the username or email is taken.';

CREATE FUNCTION chat.login(login text, password text)
RETURNS jsonb AS 'MODULE_PATHNAME', 'chat_login'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.login(text, text) IS 'Logs in by username or email and returns {token, user}; 28000 for a wrong password or an unknown user alike.';

CREATE FUNCTION chat.authenticate(token text)
RETURNS jsonb AS 'MODULE_PATHNAME', 'chat_authenticate'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.authenticate(text) IS 'The user a token names; 28000 when it is invalid, expired, signed before a secret rotation, or its user is gone.';

CREATE FUNCTION chat.me(token text)
RETURNS jsonb AS 'MODULE_PATHNAME', 'chat_me'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.me(text) IS 'The caller''s own account, with email.';

CREATE FUNCTION chat.update_profile(token text, changes jsonb)
RETURNS jsonb AS 'MODULE_PATHNAME', 'chat_update_profile'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.update_profile(text, jsonb) IS 'Changes displayName, status, bio or profilePhoto (null clears); returns the account.';

CREATE FUNCTION chat.issue_token(user_id uuid)
RETURNS text AS 'MODULE_PATHNAME', 'chat_issue_token'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.issue_token(uuid) IS 'Administration: a token for a user (support, scripts). Granted to nobody.';

CREATE FUNCTION chat.rotate_secret()
RETURNS void AS 'MODULE_PATHNAME', 'chat_rotate_secret'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.rotate_secret() IS 'Administration: a new signing secret from pg_strong_random; every token issued before is refused from the commit on.';

SELECT chat.rotate_secret();

-- ---------------------------------------------------------------------------------------------
-- Conversations, messages, contacts
-- ---------------------------------------------------------------------------------------------
-- Every hot query is keyed by conversation_id, so messages and participants can be distributed
-- and co-located by it (Citus) without changing a query.
--
-- The three tables a send writes (conversations, participants, messages) carry one CHECK each at
-- most: PostgreSQL parses and compiles every CHECK afresh for each statement that writes a row,
-- and the send path is the hot path. The API validates every value before it writes.

CREATE TABLE chat.conversations (
  id            uuid PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
  name          text,
  is_group      boolean NOT NULL DEFAULT false,
  created_by    uuid REFERENCES chat.users (id) ON DELETE SET NULL,
  direct_low    uuid,
  direct_high   uuid,
  last_seq      bigint NOT NULL DEFAULT 0,
  created_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
  updated_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
  -- a group has a name and no pair; a direct chat has an ordered pair
  CONSTRAINT conversations_shape CHECK (CASE WHEN is_group
    THEN pg_catalog.char_length(name) BETWEEN 1 AND 100 AND direct_low IS NULL AND direct_high IS NULL
    ELSE direct_low < direct_high END),
  UNIQUE (direct_low, direct_high)
);
COMMENT ON TABLE chat.conversations IS 'Direct chats (one per pair of users) and groups. last_seq is the seq of the newest message, advanced under this row''s lock, so seq is gapless and commit-ordered.';
COMMENT ON COLUMN chat.conversations.direct_low IS 'For a direct chat, the smaller of its two user ids (with direct_high: the pair that makes it unique).';
COMMENT ON COLUMN chat.conversations.direct_high IS 'For a direct chat, the larger of its two user ids.';
COMMENT ON COLUMN chat.conversations.updated_at IS 'Time of the newest activity: the conversation list is ordered by it.';
SELECT pg_catalog.pg_extension_config_dump('chat.conversations', '');

CREATE TYPE chat.participant_role AS ENUM ('admin', 'member');
COMMENT ON TYPE chat.participant_role IS 'A member''s role in a group: admins add, remove, promote and demote.';

CREATE TABLE chat.conversation_participants (
  conversation_id    uuid NOT NULL REFERENCES chat.conversations (id) ON DELETE CASCADE,
  user_id            uuid NOT NULL REFERENCES chat.users (id) ON DELETE CASCADE,
  role               chat.participant_role NOT NULL DEFAULT 'member',
  last_read_seq      bigint NOT NULL DEFAULT 0,
  last_delivered_seq bigint NOT NULL DEFAULT 0,
  joined_at          timestamptz NOT NULL DEFAULT pg_catalog.now(),
  PRIMARY KEY (conversation_id, user_id)
);
CREATE INDEX conversation_participants_user_idx ON chat.conversation_participants (user_id);
COMMENT ON TABLE chat.conversation_participants IS 'Who is in which conversation, with their role and receipts. A member who leaves or is removed loses the row, and with it every view of the conversation.';
COMMENT ON COLUMN chat.conversation_participants.last_read_seq IS 'Highest seq this member has read; only moves forward. Sending reads everything before. Never above last_delivered_seq (the API keeps it so).';
COMMENT ON INDEX chat.conversation_participants_user_idx IS 'A user''s conversation list.';
SELECT pg_catalog.pg_extension_config_dump('chat.conversation_participants', '');

CREATE TABLE chat.messages (
  id              uuid PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
  conversation_id uuid NOT NULL,
  seq             bigint NOT NULL,
  sender_id       uuid,
  client_id       text,
  content         text NOT NULL,
  reply_to_id     uuid REFERENCES chat.messages (id) ON DELETE SET NULL,
  is_edited       boolean NOT NULL DEFAULT false,
  is_deleted      boolean NOT NULL DEFAULT false,
  created_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
  updated_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
  UNIQUE (conversation_id, seq),
  UNIQUE (conversation_id, sender_id, client_id),
  CONSTRAINT messages_shape CHECK (seq > 0 AND pg_catalog.octet_length(client_id) BETWEEN 1 AND 64
    AND (is_deleted OR content <> ''))
);
COMMENT ON TABLE chat.messages IS 'Messages, numbered by seq within their conversation (gapless, commit-ordered). A deleted message keeps its row and seq with empty content.';
COMMENT ON COLUMN chat.messages.conversation_id IS 'The conversation. No foreign key on purpose: send_message inserts only under the conversation''s row lock, and checking a key would cost the hot path a query per message. To delete a conversation, delete its messages first.';
COMMENT ON COLUMN chat.messages.sender_id IS 'Who sent it. No foreign key on purpose: checking one would lock the sender''s row on every send; a deleted account leaves its messages with an id that no longer resolves.';
COMMENT ON COLUMN chat.messages.content IS 'At most 65,536 characters (checked by send_message and edit_message); empty only once deleted.';
COMMENT ON COLUMN chat.messages.client_id IS 'The sender''s id for this send: a retry with the same one returns the first message instead of a second.';
COMMENT ON CONSTRAINT messages_conversation_id_sender_id_client_id_key ON chat.messages IS 'Idempotent sends; scoped to the conversation so the table stays distributable by conversation_id.';
SELECT pg_catalog.pg_extension_config_dump('chat.messages', '');

CREATE TABLE chat.media (
  id         uuid PRIMARY KEY DEFAULT pg_catalog.gen_random_uuid(),
  message_id uuid NOT NULL REFERENCES chat.messages (id) ON DELETE CASCADE,
  file_url   text NOT NULL CHECK (pg_catalog.octet_length(file_url) <= 2048),
  file_type  text NOT NULL CHECK (pg_catalog.octet_length(file_type) <= 255),
  file_size  bigint NOT NULL CHECK (file_size >= 0),
  created_at timestamptz NOT NULL DEFAULT pg_catalog.now()
);
CREATE INDEX media_message_idx ON chat.media (message_id);
COMMENT ON TABLE chat.media IS 'Attachments of messages (stored elsewhere, referenced by URL).';
COMMENT ON INDEX chat.media_message_idx IS 'The attachments of a message.';
SELECT pg_catalog.pg_extension_config_dump('chat.media', '');

CREATE TABLE chat.contacts (
  owner_id   uuid NOT NULL REFERENCES chat.users (id) ON DELETE CASCADE,
  contact_id uuid NOT NULL REFERENCES chat.users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
  PRIMARY KEY (owner_id, contact_id),
  CHECK (owner_id <> contact_id)
);
COMMENT ON TABLE chat.contacts IS 'Each user''s address book.';
SELECT pg_catalog.pg_extension_config_dump('chat.contacts', '');

CREATE INDEX users_username_prefix_idx ON chat.users (username text_pattern_ops);
CREATE INDEX users_display_name_prefix_idx ON chat.users (pg_catalog.lower(display_name) text_pattern_ops);
COMMENT ON INDEX chat.users_username_prefix_idx IS 'search_users by username prefix.';
COMMENT ON INDEX chat.users_display_name_prefix_idx IS 'search_users by display name prefix, whatever its case.';

CREATE FUNCTION chat.search_users(token text, query text, lim integer DEFAULT 20)
RETURNS jsonb AS 'MODULE_PATHNAME', 'chat_search_users'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.search_users(text, text, integer) IS 'Users whose username or display name starts with query (1 to 64 characters), at most lim (1 to 50); never emails.';

CREATE FUNCTION chat.contacts(token text)
RETURNS jsonb AS 'MODULE_PATHNAME', 'chat_contacts'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.contacts(text) IS 'The caller''s contacts, as users, by display name.';

CREATE FUNCTION chat.add_contact(token text, user_id uuid)
RETURNS jsonb AS 'MODULE_PATHNAME', 'chat_add_contact'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.add_contact(text, uuid) IS 'Adds a user to the caller''s contacts (again is a no-op); returns the user.';

CREATE FUNCTION chat.remove_contact(token text, user_id uuid)
RETURNS jsonb AS 'MODULE_PATHNAME', 'chat_remove_contact'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.remove_contact(text, uuid) IS 'Removes a user from the caller''s contacts; returns {removed}.';

CREATE FUNCTION chat.create_conversation(token text, participant_ids uuid[], is_group boolean DEFAULT false, name text DEFAULT NULL)
RETURNS jsonb AS 'MODULE_PATHNAME', 'chat_create_conversation'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.create_conversation(text, uuid[], boolean, text) IS 'A direct chat with one other user (asking again, from either side, returns the same one) or a named group whose creator is admin.';

CREATE FUNCTION chat.conversation(token text, conversation_id uuid)
RETURNS jsonb AS 'MODULE_PATHNAME', 'chat_conversation'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.conversation(text, uuid) IS 'One conversation of the caller; P0002 for any other.';

CREATE FUNCTION chat.conversations(token text)
RETURNS jsonb AS 'MODULE_PATHNAME', 'chat_conversations'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.conversations(text) IS 'The caller''s conversations, newest activity first, each with participants, last message and unread count.';

CREATE FUNCTION chat.add_participants(token text, conversation_id uuid, user_ids uuid[])
RETURNS jsonb AS 'MODULE_PATHNAME', 'chat_add_participants'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.add_participants(text, uuid, uuid[]) IS 'Group admins add members; returns the conversation.';

CREATE FUNCTION chat.remove_participant(token text, conversation_id uuid, user_id uuid)
RETURNS jsonb AS 'MODULE_PATHNAME', 'chat_remove_participant'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.remove_participant(text, uuid, uuid) IS 'Group admins remove a member, who stops seeing the group; returns the conversation.';

CREATE FUNCTION chat.set_participant_role(token text, conversation_id uuid, user_id uuid, role text)
RETURNS jsonb AS 'MODULE_PATHNAME', 'chat_set_participant_role'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.set_participant_role(text, uuid, uuid, text) IS 'Group admins promote (admin) or demote (member); a group keeps at least one admin.';

CREATE FUNCTION chat.leave_conversation(token text, conversation_id uuid)
RETURNS jsonb AS 'MODULE_PATHNAME', 'chat_leave_conversation'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.leave_conversation(text, uuid) IS 'The caller leaves; a group that loses its last admin gets its longest-standing member as admin.';

CREATE FUNCTION chat.send_message(token text, conversation_id uuid, content text, client_id text DEFAULT NULL, reply_to uuid DEFAULT NULL)
RETURNS jsonb AS 'MODULE_PATHNAME', 'chat_send_message'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.send_message(text, uuid, text, text, uuid) IS 'Stores a message with the conversation''s next seq and NOTIFYs it; a retry with the same client_id returns the first message and notifies nothing.';

CREATE FUNCTION chat.messages(token text, conversation_id uuid, before_seq bigint DEFAULT NULL, lim integer DEFAULT 50)
RETURNS jsonb AS 'MODULE_PATHNAME', 'chat_messages'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.messages(text, uuid, bigint, integer) IS 'A page of messages before before_seq (the newest when null), at most lim (1 to 100), in seq order.';

CREATE FUNCTION chat.messages_after(token text, conversation_id uuid, after_seq bigint, lim integer DEFAULT 100)
RETURNS jsonb AS 'MODULE_PATHNAME', 'chat_messages_after'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.messages_after(text, uuid, bigint, integer) IS 'Catch-up: messages after after_seq, at most lim (1 to 500), in seq order.';

CREATE FUNCTION chat.edit_message(token text, message_id uuid, content text)
RETURNS jsonb AS 'MODULE_PATHNAME', 'chat_edit_message'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.edit_message(text, uuid, text) IS 'The sender changes a message''s content; it is marked edited.';

CREATE FUNCTION chat.delete_message(token text, message_id uuid)
RETURNS jsonb AS 'MODULE_PATHNAME', 'chat_delete_message'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.delete_message(text, uuid) IS 'The sender deletes a message for everyone: its content is cleared, its seq stays.';

CREATE FUNCTION chat.mark_delivered(token text, conversation_id uuid, seq bigint)
RETURNS jsonb AS 'MODULE_PATHNAME', 'chat_mark_delivered'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.mark_delivered(text, uuid, bigint) IS 'The caller has received everything up to seq; only moves forward.';

CREATE FUNCTION chat.mark_read(token text, conversation_id uuid, seq bigint)
RETURNS jsonb AS 'MODULE_PATHNAME', 'chat_mark_read'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.mark_read(text, uuid, bigint) IS 'The caller has read everything up to seq (and so received it); only moves forward.';

CREATE FUNCTION chat.members(conversation_id uuid)
RETURNS jsonb AS 'MODULE_PATHNAME', 'chat_members'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.members(uuid) IS 'For the bridge''s fan-out only: the user ids of a conversation''s members.';

CREATE FUNCTION chat.event_message(conversation_id uuid, seq bigint)
RETURNS jsonb AS 'MODULE_PATHNAME', 'chat_event_message'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.event_message(uuid, bigint) IS 'For the bridge only: the message an event too large to inline refers to.';

CREATE FUNCTION chat.presence_audience(user_id uuid)
RETURNS jsonb AS 'MODULE_PATHNAME', 'chat_presence_audience'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.presence_audience(uuid) IS 'For the bridge only: who may see this user''s presence and typing: those who share a conversation with them or keep them as a contact.';

CREATE FUNCTION chat.set_last_seen(user_id uuid, seen_at timestamptz)
RETURNS void AS 'MODULE_PATHNAME', 'chat_set_last_seen'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.set_last_seen(uuid, timestamptz) IS 'For the bridge only: records when a user''s last device went offline (never moves back).';

-- ---------------------------------------------------------------------------------------------
-- Rights
-- ---------------------------------------------------------------------------------------------

CREATE FUNCTION chat.grant_api(role name) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, chat, pg_temp AS $$
BEGIN
  EXECUTE format('GRANT USAGE ON SCHEMA chat TO %I', role);
  EXECUTE format('GRANT EXECUTE ON FUNCTION chat.register, chat.login, chat.authenticate, chat.me,
    chat.update_profile, chat.search_users, chat.contacts, chat.add_contact, chat.remove_contact,
    chat.create_conversation, chat.conversation, chat.conversations, chat.add_participants,
    chat.remove_participant, chat.set_participant_role, chat.leave_conversation, chat.send_message,
    chat.messages, chat.messages_after, chat.edit_message, chat.delete_message, chat.mark_delivered,
    chat.mark_read, chat.members, chat.event_message, chat.presence_audience, chat.set_last_seen TO %I', role);
END
$$;
COMMENT ON FUNCTION chat.grant_api(name) IS 'Administration: lets a role (the bridge''s) execute the API and nothing else; it still cannot read any table.';

REVOKE ALL ON ALL FUNCTIONS IN SCHEMA chat FROM PUBLIC;
REVOKE ALL ON ALL TABLES IN SCHEMA chat FROM PUBLIC;
