-- chat extension 1.1 -> 1.2: the batched send path and doorbell events, the conversation list
-- by keyset pages.

\echo Use "ALTER EXTENSION chat UPDATE TO '1.2'" to load this file. \quit

-- ---------------------------------------------------------------------------------------------
-- Batched sends and doorbells (send_messages, event_messages)
-- ---------------------------------------------------------------------------------------------

-- ---------------------------------------------------------------------------------------------
-- The conversation list by keyset pages
-- ---------------------------------------------------------------------------------------------

-- chat.conversations(text) of 1.0 stays as it is (the bridge, psql users and the grants in
-- every dump name it); the pages come as an overload whose cursor arguments have no default,
-- so a one-argument call still means the 1.0 function. Both run the same C function.
CREATE FUNCTION chat.conversations(token text, before_updated_at timestamptz, before_id uuid,
  lim integer DEFAULT 50)
RETURNS jsonb AS 'MODULE_PATHNAME', 'chat_conversations'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.conversations(text, timestamptz, uuid, integer) IS 'A keyset page of the caller''s conversations, in the order of conversations(token) (updated_at descending, then id): at most lim (1 to 200; all when null) after the conversation (before_updated_at, before_id), the last of the previous page; both null for the first page.';
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

-- ---------------------------------------------------------------------------------------------
-- Rights: grant_api names every function of 1.2; roles that had the API get the new ones
-- ---------------------------------------------------------------------------------------------

-- (convlist branch: conversation_page added, and chat.conversations now named with its argument
-- types, since it has two signatures; merge with the other branches' new functions)
CREATE OR REPLACE FUNCTION chat.grant_api(role name) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, chat, pg_temp AS $$
BEGIN
  EXECUTE format('GRANT USAGE ON SCHEMA chat TO %I', role);
  EXECUTE format('GRANT EXECUTE ON FUNCTION chat.register, chat.login, chat.authenticate, chat.me,
    chat.update_profile, chat.search_users, chat.contacts, chat.add_contact, chat.remove_contact,
    chat.create_conversation, chat.conversation, chat.conversations(text),
    chat.conversations(text, timestamptz, uuid, integer), chat.conversation_page,
    chat.add_participants, chat.remove_participant, chat.set_participant_role,
    chat.leave_conversation, chat.send_message, chat.messages, chat.messages_after,
    chat.edit_message, chat.delete_message, chat.mark_delivered, chat.mark_read, chat.members,
    chat.event_message, chat.presence_audience, chat.presence_visible, chat.set_last_seen TO %I', role);
END
$$;
