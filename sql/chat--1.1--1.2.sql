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
-- Keys that distribute by conversation_id
-- ---------------------------------------------------------------------------------------------
-- On Citus (docs/scaling.md) messages, conversation_participants and media are distributed and
-- co-located by conversation_id, and conversations by its id, which is the same value. Citus
-- enforces a primary key, a unique key or a foreign key between distributed tables only if it
-- holds the distribution column, for then each shard can check it alone; so every one does.
-- participants' (conversation_id, user_id) and messages' (conversation_id, seq) and
-- (conversation_id, sender_id, client_id) already did. A big messages table gets a new primary
-- key index here, under an exclusive lock: docs/operations.md says how long to expect.

-- media learns its message's conversation while messages are still keyed by id alone.
ALTER TABLE chat.media ADD COLUMN conversation_id uuid;
UPDATE chat.media f SET conversation_id = m.conversation_id FROM chat.messages m WHERE m.id = f.message_id;
ALTER TABLE chat.media ALTER COLUMN conversation_id SET NOT NULL;
COMMENT ON COLUMN chat.media.conversation_id IS 'The conversation of the message, which media is distributed by; part of every key.';

ALTER TABLE chat.media DROP CONSTRAINT media_message_id_fkey;
ALTER TABLE chat.messages DROP CONSTRAINT messages_reply_to_id_fkey;
ALTER TABLE chat.messages DROP CONSTRAINT messages_pkey;
-- id first, so the one index serves edit_message and delete_message, which name a message by id
-- alone (on Citus: a question to every shard), as well as replies and attachments. Led by
-- conversation_id it would need a second index on id, which every send would pay for.
ALTER TABLE chat.messages ADD CONSTRAINT messages_pkey PRIMARY KEY (id, conversation_id);
COMMENT ON CONSTRAINT messages_pkey ON chat.messages IS 'A message within its conversation: unique with conversation_id, so each shard can check it; id first, for edit and delete by id.';
-- A reply stays within its conversation (send_message checks it too); deleting the message
-- replied to clears reply_to_id only, never the conversation of the reply.
ALTER TABLE chat.messages ADD CONSTRAINT messages_reply_to_fkey
  FOREIGN KEY (conversation_id, reply_to_id) REFERENCES chat.messages (conversation_id, id)
  ON DELETE SET NULL (reply_to_id);
COMMENT ON CONSTRAINT messages_reply_to_fkey ON chat.messages IS 'A reply points at a message of the same conversation; deleting that row clears reply_to_id.';
COMMENT ON COLUMN chat.messages.reply_to_id IS 'The message this one replies to, always in the same conversation (messages_reply_to_fkey); null when none or when that row is gone.';

ALTER TABLE chat.media DROP CONSTRAINT media_pkey;
ALTER TABLE chat.media ADD CONSTRAINT media_pkey PRIMARY KEY (conversation_id, id);
COMMENT ON CONSTRAINT media_pkey ON chat.media IS 'An attachment within its conversation, so media shards with messages.';
DROP INDEX chat.media_message_idx;
CREATE INDEX media_message_idx ON chat.media (conversation_id, message_id);
COMMENT ON INDEX chat.media_message_idx IS 'The attachments of a message (and the cascade when it is deleted).';
ALTER TABLE chat.media ADD CONSTRAINT media_message_fkey
  FOREIGN KEY (conversation_id, message_id) REFERENCES chat.messages (conversation_id, id) ON DELETE CASCADE;
COMMENT ON CONSTRAINT media_message_fkey ON chat.media IS 'An attachment belongs to a message of its conversation and goes with it.';

-- A direct chat's pair was unique by its own constraint, which Citus cannot check across shards.
-- From 1.2 chat.create_conversation derives a direct chat's id from its pair, so the primary key
-- itself refuses a second chat for a pair; the pair stays indexed to find chats made before.
ALTER TABLE chat.conversations DROP CONSTRAINT conversations_direct_low_direct_high_key;
CREATE INDEX conversations_direct_pair_idx ON chat.conversations (direct_low, direct_high)
  WHERE direct_low IS NOT NULL;
COMMENT ON INDEX chat.conversations_direct_pair_idx IS 'Finds a direct chat made before 1.2 (its id random, not derived from the pair) by its pair.';
COMMENT ON COLUMN chat.conversations.id IS 'For a direct chat made since 1.2, a name-based UUID (version 5) of its pair of users, so the primary key keeps one chat per pair; otherwise random.';
COMMENT ON COLUMN chat.conversations.direct_low IS 'For a direct chat, the smaller of its two user ids (with direct_high: its pair, from which its id is derived since 1.2).';

-- ---------------------------------------------------------------------------------------------
-- Foreign keys of messages, back now that sends come in batches
-- ---------------------------------------------------------------------------------------------
-- 1.0 left them out: one key check per message was a fifth of the one-message send's cost. In a
-- batch of 20 or 100 they cost within the noise (test/bench/messages.sh measures the batched
-- call with and without them in one run), and DBAs rely on them.
-- A deleted account used to leave its messages with a sender_id that resolves to no one: from
-- now on that is a null sender, as ON DELETE SET NULL makes it.
UPDATE chat.messages m SET sender_id = NULL
WHERE m.sender_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM chat.users u WHERE u.id = m.sender_id);
ALTER TABLE chat.messages ADD CONSTRAINT messages_sender_fkey FOREIGN KEY (sender_id)
  REFERENCES chat.users (id) ON DELETE SET NULL;
COMMENT ON CONSTRAINT messages_sender_fkey ON chat.messages IS 'Who sent it; null once the account is deleted (the message stays for the others).';
COMMENT ON COLUMN chat.messages.sender_id IS 'Who sent it (messages_sender_fkey); null once the account is deleted.';
-- No API deletes a conversation, but a DBA may have left messages of one deleted by hand: then
-- the key holds for new rows only (NOT VALID), and a NOTICE says how to finish.
ALTER TABLE chat.messages ADD CONSTRAINT messages_conversation_fkey FOREIGN KEY (conversation_id)
  REFERENCES chat.conversations (id) ON DELETE CASCADE NOT VALID;
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM chat.messages m
             WHERE NOT EXISTS (SELECT 1 FROM chat.conversations c WHERE c.id = m.conversation_id)) THEN
    RAISE NOTICE 'chat.messages holds messages of conversations that no longer exist; delete them, then ALTER TABLE chat.messages VALIDATE CONSTRAINT messages_conversation_fkey';
  ELSE
    ALTER TABLE chat.messages VALIDATE CONSTRAINT messages_conversation_fkey;
  END IF;
END
$$;
COMMENT ON CONSTRAINT messages_conversation_fkey ON chat.messages IS 'The conversation; deleting it deletes its messages.';
COMMENT ON COLUMN chat.messages.conversation_id IS 'The conversation (messages_conversation_fkey, which deletes the messages with it); the distribution key on Citus.';

-- ---------------------------------------------------------------------------------------------
-- Rights: grant_api names every function of 1.2; roles that had the API get the new ones
-- ---------------------------------------------------------------------------------------------

REVOKE ALL ON FUNCTION chat.send_messages(jsonb), chat.event_messages(uuid[], bigint[], bigint[]) FROM PUBLIC;

-- chat.conversations is named with its argument types: it has two signatures now
CREATE OR REPLACE FUNCTION chat.grant_api(role name) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, chat, pg_temp AS $$
BEGIN
  EXECUTE format('GRANT USAGE ON SCHEMA chat TO %I', role);
  EXECUTE format('GRANT EXECUTE ON FUNCTION chat.register, chat.login, chat.authenticate, chat.me,
    chat.update_profile, chat.search_users, chat.contacts, chat.add_contact, chat.remove_contact,
    chat.create_conversation, chat.conversation, chat.conversations(text),
    chat.conversations(text, timestamptz, uuid, integer), chat.conversation_page,
    chat.add_participants, chat.remove_participant, chat.set_participant_role,
    chat.leave_conversation, chat.send_message, chat.send_messages, chat.messages,
    chat.messages_after, chat.edit_message, chat.delete_message, chat.mark_delivered,
    chat.mark_read, chat.members, chat.event_message, chat.event_messages, chat.presence_audience,
    chat.presence_visible, chat.set_last_seen TO %I', role);
END
$$;

-- the roles granted the API before (the bridge's) get the new send and fetch functions too
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
