-- chat extension 1.1 -> 1.2: the batched send path and doorbell events, the conversation list
-- by keyset pages.

\echo Use "ALTER EXTENSION chat UPDATE TO '1.2'" to load this file. \quit

-- ---------------------------------------------------------------------------------------------
-- Batched sends and doorbells (send_messages, event_messages)
-- ---------------------------------------------------------------------------------------------
-- A send NOTIFYs a doorbell (conversations and seq ranges) instead of the message, and edits and
-- deletes name the message by seq: nothing a LISTENing role reads carries what a user wrote.
-- The bridge stores the sends that arrive together with one call of send_messages, one commit
-- for them all; send_message is a batch of one.

CREATE FUNCTION chat.send_messages(batch jsonb)
RETURNS jsonb AS 'MODULE_PATHNAME', 'chat_send_messages'
LANGUAGE C VOLATILE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.send_messages(jsonb) IS 'Stores many messages in one transaction: batch is an array (at most 1,000) of {token, conversationId, content, clientId?, replyTo?}, each checked on its own; answers an array in the same order of {message} or {error: {sqlstate, message}}. Conversations are locked in id order; one doorbell NOTIFY names the new seq ranges.';

CREATE FUNCTION chat.event_messages(conversation_ids uuid[], first_seqs bigint[], last_seqs bigint[])
RETURNS jsonb AS 'MODULE_PATHNAME', 'chat_event_messages'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp;
COMMENT ON FUNCTION chat.event_messages(uuid[], bigint[], bigint[]) IS 'For the bridge only: the messages a doorbell names (conversation i, seqs first_seqs[i] to last_seqs[i]), range by range in seq order; at most 1,000 messages and about 4 MiB, so the answer may stop early.';

COMMENT ON FUNCTION chat.send_message(text, uuid, text, text, uuid) IS 'Stores one message with the conversation''s next seq and NOTIFYs its doorbell (a batch of one of send_messages); a retry with the same client_id returns the first message and notifies nothing.';
COMMENT ON FUNCTION chat.event_message(uuid, bigint) IS 'For the bridge only: one message by conversation and seq (an edit or delete event names it so; a doorbell range the batch fetch did not cover).';

-- ---------------------------------------------------------------------------------------------
-- The conversation list by keyset pages
-- ---------------------------------------------------------------------------------------------

-- ---------------------------------------------------------------------------------------------
-- Rights: grant_api names every function of 1.2; roles that had the API get the new ones
-- ---------------------------------------------------------------------------------------------

REVOKE ALL ON FUNCTION chat.send_messages(jsonb), chat.event_messages(uuid[], bigint[], bigint[]) FROM PUBLIC;

CREATE OR REPLACE FUNCTION chat.grant_api(role name) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, chat, pg_temp AS $$
BEGIN
  EXECUTE format('GRANT USAGE ON SCHEMA chat TO %I', role);
  EXECUTE format('GRANT EXECUTE ON FUNCTION chat.register, chat.login, chat.authenticate, chat.me,
    chat.update_profile, chat.search_users, chat.contacts, chat.add_contact, chat.remove_contact,
    chat.create_conversation, chat.conversation, chat.conversations, chat.add_participants,
    chat.remove_participant, chat.set_participant_role, chat.leave_conversation, chat.send_message,
    chat.send_messages, chat.messages, chat.messages_after, chat.edit_message, chat.delete_message,
    chat.mark_delivered, chat.mark_read, chat.members, chat.event_message, chat.event_messages,
    chat.presence_audience, chat.presence_visible, chat.set_last_seen TO %I', role);
END
$$;

-- the roles granted the API before (the bridge's) get the new functions too
DO $$
DECLARE
  grantee name;
BEGIN
  FOR grantee IN
    SELECT DISTINCT r.rolname FROM pg_catalog.pg_proc p, pg_catalog.aclexplode(p.proacl) a, pg_catalog.pg_roles r
    WHERE p.oid = 'chat.presence_audience(uuid)'::pg_catalog.regprocedure AND a.grantee = r.oid
      AND a.privilege_type = 'EXECUTE' AND r.oid <> p.proowner
  LOOP
    EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION chat.send_messages(jsonb),
      chat.event_messages(uuid[], bigint[], bigint[]) TO %I', grantee);
  END LOOP;
END
$$;
