-- chat extension 1.2 -> 1.3: the conversation list read nearly in order from an index of each
-- membership's list_at, and the whole list as json text for clients
\echo Use "ALTER EXTENSION chat UPDATE TO '1.3'" to load this file. \quit

-- ---------------------------------------------------------------------------------------------
-- Each membership carries where its conversation stands in lists
-- ---------------------------------------------------------------------------------------------

-- A user's list is newest activity first. Ranked from conversations it needs every one of the
-- user's conversations read and sorted before the first page is known (2,000 lookups for 50
-- rows). Each membership holds list_at, and an index on (user_id, list_at DESC) hands the list
-- out nearly in order: a page reads about its own rows, then sorts them by the exact updated_at.
-- For a direct chat list_at is the conversation's updated_at: a send writes the other member's
-- row too (the sender's is written for the read mark anyway). For a group it is the minute
-- updated_at falls in (date_bin from 1970, whatever the time zone): a send writes the other
-- members' rows only when a new minute starts, not 256 rows per message, and the sender's read
-- mark stays a HOT update within the minute. So list_at <= updated_at < list_at + 1 minute, and a
-- page reads the rows from the newest down to the oldest updated_at among its first rows, plus
-- the groups of that minute (extension/conversation_list.c). A send keeps list_at in the
-- statement that moves updated_at (chat.send_messages), a new membership starts with its
-- conversation's; extension/schema.h spells the expression. The default is the transaction's
-- time, a conversation's own default: a membership inserted by hand with its conversation, in one
-- transaction, agrees with it.
ALTER TABLE chat.conversation_participants
  ADD COLUMN list_at timestamptz NOT NULL DEFAULT pg_catalog.now();
UPDATE chat.conversation_participants p
SET list_at = CASE WHEN c.is_group
  THEN pg_catalog.date_bin('1 minute', c.updated_at, timestamptz '1970-01-01 00:00:00+00')
  ELSE c.updated_at END
FROM chat.conversations c WHERE c.id = p.conversation_id;
COMMENT ON COLUMN chat.conversation_participants.list_at IS 'Where the conversation stands in the member''s list: its updated_at for a direct chat, the minute of it for a group; kept by every write of updated_at.';

CREATE INDEX conversation_participants_list_idx
  ON chat.conversation_participants (user_id, list_at DESC);
COMMENT ON INDEX chat.conversation_participants_list_idx IS 'A user''s conversations by list_at, newest first: the conversation list and its keyset pages; also every lookup of a user''s memberships.';
-- its leading column serves every lookup by user_id: one index less to keep
DROP INDEX chat.conversation_participants_user_idx;

-- ---------------------------------------------------------------------------------------------
-- The whole list as json text
-- ---------------------------------------------------------------------------------------------

CREATE FUNCTION chat.conversations_json(token text)
RETURNS json AS 'MODULE_PATHNAME', 'chat_conversations_json'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.conversations_json(text) IS 'The caller''s whole conversation list, as conversations(token) answers it, written as json text for clients (REST sends it on unchanged).';
REVOKE ALL ON FUNCTION chat.conversations_json(text) FROM PUBLIC;

-- grant_api names every function of 1.3
CREATE OR REPLACE FUNCTION chat.grant_api(role name) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, chat, pg_temp AS $$
BEGIN
  EXECUTE format('GRANT USAGE ON SCHEMA chat TO %I', role);
  EXECUTE format('GRANT EXECUTE ON FUNCTION chat.register, chat.login, chat.authenticate, chat.me,
    chat.update_profile, chat.search_users, chat.contacts, chat.add_contact, chat.remove_contact,
    chat.create_conversation, chat.conversation, chat.conversations(text),
    chat.conversations(text, timestamptz, uuid, integer), chat.conversation_page,
    chat.conversations_json, chat.add_participants, chat.remove_participant,
    chat.set_participant_role, chat.leave_conversation, chat.send_message, chat.send_messages,
    chat.messages, chat.messages_after, chat.edit_message, chat.delete_message,
    chat.mark_delivered, chat.mark_read, chat.members, chat.event_message, chat.event_messages,
    chat.presence_audience, chat.presence_visible, chat.set_last_seen TO %I', role);
END
$$;

-- the roles that could list conversations (the bridge's) can list them as json text
DO $$
DECLARE
  grantee name;
BEGIN
  FOR grantee IN
    SELECT DISTINCT r.rolname FROM pg_catalog.pg_proc p, pg_catalog.aclexplode(p.proacl) a, pg_catalog.pg_roles r
    WHERE p.oid = 'chat.conversations(text)'::pg_catalog.regprocedure AND a.grantee = r.oid
      AND a.privilege_type = 'EXECUTE' AND r.oid <> p.proowner
  LOOP
    EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION chat.conversations_json(text) TO %I', grantee);
  END LOOP;
END
$$;
