-- chat extension 1.5 -> 1.6: what people expect of a messenger. Blocking a user; per-user chat
-- state (mute, archive, pin); one reaction per user per message; deleting a message for oneself.
-- Released upgrade steps are never edited; the next change is a new step.
\echo Use "ALTER EXTENSION chat UPDATE TO '1.6'" to load this file. \quit

-- ---------------------------------------------------------------------------------------------
-- Blocks
-- ---------------------------------------------------------------------------------------------
-- A blocked user can't message the blocker in their direct chat (nor the blocker them: WhatsApp
-- asks to unblock first), can't add the blocker to a group, and sees none of the blocker's
-- presence, typing, last seen or profile photo. Presence is hidden both ways, as WhatsApp does.
-- Keyed by the blocker (their list); the second index answers "who blocked me" for the checks.
CREATE TABLE chat.blocks (
  blocker_id uuid NOT NULL REFERENCES chat.users (id) ON DELETE CASCADE,
  blocked_id uuid NOT NULL REFERENCES chat.users (id) ON DELETE CASCADE,
  created_at timestamptz NOT NULL DEFAULT pg_catalog.now(),
  PRIMARY KEY (blocker_id, blocked_id),
  CONSTRAINT blocks_not_self CHECK (blocker_id <> blocked_id)
);
CREATE INDEX blocks_blocked_idx ON chat.blocks (blocked_id, blocker_id);
COMMENT ON TABLE chat.blocks IS 'Who blocked whom: the blocked user can''t message the blocker or add them to a group, and sees none of their presence, typing, last seen or profile photo.';
COMMENT ON INDEX chat.blocks_blocked_idx IS 'Who blocked a user: the checks of sends, group additions and what a viewer may see.';
SELECT pg_catalog.pg_extension_config_dump('chat.blocks', '');

CREATE FUNCTION chat.block_user(token text, user_id uuid)
RETURNS jsonb AS 'MODULE_PATHNAME', 'chat_block_user'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.block_user(text, uuid) IS 'Blocks a user (again: no change); returns the user. 22023 for oneself, P0002 for an unknown user.';

CREATE FUNCTION chat.unblock_user(token text, user_id uuid)
RETURNS jsonb AS 'MODULE_PATHNAME', 'chat_unblock_user'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.unblock_user(text, uuid) IS 'Unblocks a user; returns {unblocked: true} when a block was lifted, false when there was none.';

CREATE FUNCTION chat.blocked_users(token text)
RETURNS jsonb AS 'MODULE_PATHNAME', 'chat_blocked_users'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.blocked_users(text) IS 'The users the caller blocked, newest block first, each with blockedAt.';

-- ---------------------------------------------------------------------------------------------
-- Per-user chat state: mute, archive, pin
-- ---------------------------------------------------------------------------------------------
-- Each member's own, on their membership row: constant (null) defaults, so no table rewrite.
-- Archived is derived, so a send writes nothing for it: a chat archived at seq N is out of the
-- list while it has no message after N, or while it is muted (WhatsApp's rule: a new message
-- brings an archived chat back unless it is muted).
ALTER TABLE chat.conversation_participants
  ADD COLUMN muted_until timestamptz,
  ADD COLUMN archived_seq bigint,
  ADD COLUMN pinned_at timestamptz;
COMMENT ON COLUMN chat.conversation_participants.muted_until IS 'Until when this member muted the conversation (infinity: always); null or past: not muted.';
COMMENT ON COLUMN chat.conversation_participants.archived_seq IS 'The conversation''s last_seq when this member archived it (null: not archived); archived while no later message has come, or while muted.';
COMMENT ON COLUMN chat.conversation_participants.pinned_at IS 'When this member pinned the conversation to the top of their list (null: not pinned); at most 3 per member.';

-- Few rows each: the pinned head of a list and the archived list are read by these.
CREATE INDEX conversation_participants_pinned_idx ON chat.conversation_participants (user_id)
  WHERE pinned_at IS NOT NULL;
CREATE INDEX conversation_participants_archived_idx ON chat.conversation_participants (user_id)
  WHERE archived_seq IS NOT NULL;
COMMENT ON INDEX chat.conversation_participants_pinned_idx IS 'A user''s pinned conversations (at most 3): the top of their list.';
COMMENT ON INDEX chat.conversation_participants_archived_idx IS 'A user''s archived conversations.';

CREATE FUNCTION chat.set_conversation_state(token text, conversation_id uuid, changes jsonb)
RETURNS jsonb AS 'MODULE_PATHNAME', 'chat_set_conversation_state'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.set_conversation_state(text, uuid, jsonb) IS 'Changes the caller''s own state of a conversation: {"mute": "8h" | "1w" | "always" | null, "archived": bool, "pinned": bool} (absent keys keep theirs); returns the conversation. At most 3 pinned (23514).';

CREATE FUNCTION chat.archived_conversations(token text)
RETURNS json AS 'MODULE_PATHNAME', 'chat_archived_conversations'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.archived_conversations(text) IS 'The caller''s archived conversations, newest activity first (the list leaves them out).';

-- ---------------------------------------------------------------------------------------------
-- Reactions
-- ---------------------------------------------------------------------------------------------
-- One per member per message, keyed by the message's conversation (distributable with it).
CREATE TABLE chat.reactions (
  conversation_id uuid NOT NULL,
  seq             bigint NOT NULL,
  user_id         uuid NOT NULL REFERENCES chat.users (id) ON DELETE CASCADE,
  emoji           text NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
  PRIMARY KEY (conversation_id, seq, user_id),
  FOREIGN KEY (conversation_id, seq) REFERENCES chat.messages (conversation_id, seq) ON DELETE CASCADE
);
COMMENT ON TABLE chat.reactions IS 'One emoji per user per message; changing it replaces it.';
SELECT pg_catalog.pg_extension_config_dump('chat.reactions', '');

CREATE FUNCTION chat.react(token text, message_id uuid, emoji text)
RETURNS jsonb AS 'MODULE_PATHNAME', 'chat_react'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.react(text, uuid, text) IS 'Sets the caller''s reaction to a message (null removes it); returns the message with its reactions. Members only (P0002 otherwise).';

-- ---------------------------------------------------------------------------------------------
-- Delete for me
-- ---------------------------------------------------------------------------------------------
CREATE TABLE chat.hidden_messages (
  user_id         uuid NOT NULL REFERENCES chat.users (id) ON DELETE CASCADE,
  conversation_id uuid NOT NULL,
  seq             bigint NOT NULL,
  created_at      timestamptz NOT NULL DEFAULT pg_catalog.now(),
  PRIMARY KEY (user_id, conversation_id, seq),
  FOREIGN KEY (conversation_id, seq) REFERENCES chat.messages (conversation_id, seq) ON DELETE CASCADE
);
COMMENT ON TABLE chat.hidden_messages IS 'Messages a user deleted for themselves: no page, catch-up or last message shows them to that user.';
SELECT pg_catalog.pg_extension_config_dump('chat.hidden_messages', '');

CREATE FUNCTION chat.hide_message(token text, message_id uuid)
RETURNS jsonb AS 'MODULE_PATHNAME', 'chat_hide_message'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.hide_message(text, uuid) IS 'Deletes a message for the caller only: {conversationId, messageId, seq, hidden: true}. Any message the caller sees; again: the same answer.';

REVOKE ALL ON FUNCTION chat.block_user(text, uuid), chat.unblock_user(text, uuid),
  chat.blocked_users(text), chat.set_conversation_state(text, uuid, jsonb),
  chat.archived_conversations(text), chat.react(text, uuid, text), chat.hide_message(text, uuid)
  FROM PUBLIC;

COMMENT ON FUNCTION chat.conversation(text, uuid) IS 'One conversation of the caller, with the caller''s state of it (muted, archived, pinned); P0002 for any other.';
COMMENT ON FUNCTION chat.members_joined(uuid) IS 'For the bridge''s fan-out only: [[userId, joinedSeq], ...] of a conversation''s members, by user id; no member receives an event of a message with seq <= their joinedSeq. In a direct chat with a block each carries a third element, true: no typing is relayed there.';
COMMENT ON FUNCTION chat.presence_audience(uuid) IS 'For the bridge only: who may see this user''s presence and typing: those who share a conversation with them, and the contacts the user keeps; never a user blocked either way.';
COMMENT ON FUNCTION chat.presence_visible(uuid) IS 'For the bridge only: whose presence this user may see: those who share a conversation with them, and those who keep them as a contact; never a user blocked either way.';

-- ---------------------------------------------------------------------------------------------
-- Rights: grant_api names every function of 1.6; roles that had the API get the new ones
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
    chat.leave_conversation, chat.send_message, chat.send_messages, chat.messages,
    chat.messages_after, chat.edit_message, chat.delete_message, chat.hide_message, chat.react,
    chat.mark_delivered, chat.mark_read, chat.search_messages, chat.members, chat.members_joined,
    chat.event_message, chat.event_messages, chat.presence_audience, chat.presence_audiences,
    chat.presence_visible, chat.set_last_seen TO %I', role);
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
    EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION chat.block_user(text, uuid),
      chat.unblock_user(text, uuid), chat.blocked_users(text),
      chat.set_conversation_state(text, uuid, jsonb), chat.archived_conversations(text),
      chat.react(text, uuid, text), chat.hide_message(text, uuid) TO %I', grantee);
  END LOOP;
END
$$;
