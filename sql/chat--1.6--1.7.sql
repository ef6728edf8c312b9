-- chat extension 1.6 -> 1.7 (forward and message info): a message forwarded to other chats is
-- stored in each as a new message of the forwarder, marked forwarded (the original sender is
-- not named, as on WhatsApp); the sender of a message may ask who has received and read it.
-- Released upgrade steps are never edited; the next change is a new step.
\echo Use "ALTER EXTENSION chat UPDATE TO '1.7'" to load this file. \quit

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
    chat.leave_conversation, chat.send_message, chat.send_messages, chat.forward_message,
    chat.messages, chat.messages_after, chat.message_info, chat.edit_message, chat.delete_message,
    chat.hide_message, chat.react, chat.mark_delivered, chat.mark_read, chat.search_messages,
    chat.members, chat.members_joined, chat.event_message, chat.event_messages,
    chat.presence_audience, chat.presence_audiences, chat.presence_visible, chat.set_last_seen
    TO %I', role);
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
    EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION
      chat.forward_message(text, uuid, uuid[], text), chat.message_info(text, uuid) TO %I', grantee);
  END LOOP;
END
$$;
