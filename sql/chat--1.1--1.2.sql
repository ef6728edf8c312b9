-- chat extension 1.1 -> 1.2: the batched send path and doorbell events, the conversation list
-- by keyset pages.

\echo Use "ALTER EXTENSION chat UPDATE TO '1.2'" to load this file. \quit

-- ---------------------------------------------------------------------------------------------
-- Batched sends and doorbells (send_messages, event_messages)
-- ---------------------------------------------------------------------------------------------

-- ---------------------------------------------------------------------------------------------
-- The conversation list by keyset pages
-- ---------------------------------------------------------------------------------------------

-- chat.conversations(text) of 1.0 becomes chat.conversations(token, before_updated_at,
-- before_id, lim), all defaulting to null, so the one-argument call still answers the whole
-- list. The new function is made beside the old one and given the old one's grants before the
-- old one is dropped: the bridge's role never loses the call. (Both exist for a moment; a call
-- with one argument would be ambiguous, but nothing calls inside this script.)
CREATE FUNCTION chat.conversations(token text, before_updated_at timestamptz DEFAULT NULL,
  before_id uuid DEFAULT NULL, lim integer DEFAULT NULL)
RETURNS jsonb AS 'MODULE_PATHNAME', 'chat_conversations'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.conversations(text, timestamptz, uuid, integer) IS 'The caller''s conversations, newest activity first (updated_at descending, then id), each with participants, last message and exact unread count: all of them, or a keyset page of at most lim (1 to 200) after the conversation (before_updated_at, before_id) of the previous page.';
REVOKE ALL ON FUNCTION chat.conversations(text, timestamptz, uuid, integer) FROM PUBLIC;

CREATE FUNCTION chat.conversation_page(token text, cursor text DEFAULT NULL, lim integer DEFAULT 50)
RETURNS json AS 'MODULE_PATHNAME', 'chat_conversation_page'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.conversation_page(text, text, integer) IS 'A page of the caller''s conversation list for clients: {conversations, nextCursor}, at most lim (1 to 200) conversations after the opaque cursor (the first page when null); nextCursor is null on the last page. json, not jsonb: written as text from the rows and sent on unchanged.';
REVOKE ALL ON FUNCTION chat.conversation_page(text, text, integer) FROM PUBLIC;

-- the roles that could list conversations (the bridge's) can list them by pages
DO $$
DECLARE
  grantee name;
BEGIN
  FOR grantee IN
    SELECT DISTINCT r.rolname FROM pg_catalog.pg_proc p, pg_catalog.aclexplode(p.proacl) a, pg_catalog.pg_roles r
    WHERE p.oid = 'chat.conversations(text)'::pg_catalog.regprocedure AND a.grantee = r.oid
      AND a.privilege_type = 'EXECUTE' AND r.oid <> p.proowner
  LOOP
    EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION chat.conversations(text, timestamptz, uuid, integer),
      chat.conversation_page(text, text, integer) TO %I', grantee);
  END LOOP;
END
$$;

DROP FUNCTION chat.conversations(text);

-- ---------------------------------------------------------------------------------------------
-- Rights: grant_api names every function of 1.2; roles that had the API get the new ones
-- ---------------------------------------------------------------------------------------------

-- (convlist branch: conversation_page added; merge with the other branches' new functions)
CREATE OR REPLACE FUNCTION chat.grant_api(role name) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, chat, pg_temp AS $$
BEGIN
  EXECUTE format('GRANT USAGE ON SCHEMA chat TO %I', role);
  EXECUTE format('GRANT EXECUTE ON FUNCTION chat.register, chat.login, chat.authenticate, chat.me,
    chat.update_profile, chat.search_users, chat.contacts, chat.add_contact, chat.remove_contact,
    chat.create_conversation, chat.conversation, chat.conversations, chat.conversation_page,
    chat.add_participants, chat.remove_participant, chat.set_participant_role,
    chat.leave_conversation, chat.send_message, chat.messages, chat.messages_after,
    chat.edit_message, chat.delete_message, chat.mark_delivered, chat.mark_read, chat.members,
    chat.event_message, chat.presence_audience, chat.presence_visible, chat.set_last_seen TO %I', role);
END
$$;
