-- chat extension 1.2 -> 1.3: the conversation list read in order from an index of each member's
-- view of the conversation's activity, and the whole list as json text for clients
\echo Use "ALTER EXTENSION chat UPDATE TO '1.3'" to load this file. \quit

-- ---------------------------------------------------------------------------------------------
-- Each membership carries its conversation's updated_at
-- ---------------------------------------------------------------------------------------------

-- A user's list is newest activity first. Ranked from conversations it needs every one of the
-- user's conversations read and sorted before the first page is known (2,000 lookups for 50
-- rows); with the conversation's updated_at copied into each membership, an index on
-- (user_id, conversation_updated_at DESC, conversation_id) hands out the list in order and a
-- page reads only its own rows. A send writes the copy of every member once per batch and
-- conversation, in the statement that moves last_seq (chat.send_messages), so both always agree.
-- The default is the conversation's own: a membership inserted by hand with its conversation, in
-- one transaction, agrees with it too.
ALTER TABLE chat.conversation_participants
  ADD COLUMN conversation_updated_at timestamptz NOT NULL DEFAULT pg_catalog.now();
UPDATE chat.conversation_participants p SET conversation_updated_at = c.updated_at
FROM chat.conversations c WHERE c.id = p.conversation_id;
COMMENT ON COLUMN chat.conversation_participants.conversation_updated_at IS 'A copy of the conversation''s updated_at, kept by every write of it, so the member''s list is read in order from conversation_participants_list_idx.';

CREATE INDEX conversation_participants_list_idx
  ON chat.conversation_participants (user_id, conversation_updated_at DESC, conversation_id);
COMMENT ON INDEX chat.conversation_participants_list_idx IS 'A user''s conversations newest activity first, ties by id: the conversation list and its keyset pages; also every lookup of a user''s memberships.';
-- its leading column serves every lookup by user_id: one index less for each send to update
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
