-- chat extension 1.4 -> 1.5: full-text search over the messages of one's own conversations, in
-- any language. Released upgrade steps are never edited; the next change is a new step.
\echo Use "ALTER EXTENSION chat UPDATE TO '1.5'" to load this file. \quit

-- ---------------------------------------------------------------------------------------------
-- The terms a message is found by
-- ---------------------------------------------------------------------------------------------
-- No text search configuration fits every language: stemming dictionaries are per language, and
-- the default parser takes a run of Japanese or Thai, written without spaces, as one word. The
-- extension cuts text itself (extension/search_text.c): words of letters and digits, lower case
-- without Latin and Greek accents; in unspaced scripts each character and each pair of
-- neighbours. A query matches when every word of it starts a word of the message, and every pair
-- of its unspaced characters is in it. Only the first 16,384 characters of a message (at most
-- 8,192 terms) are indexed: a long message costs the index a bound.
-- COST: cutting a message costs about what a thousand operators do, and the planner must know it
-- to prefer the index over cutting every message of a chat (or of the table) to test it.
CREATE FUNCTION chat.search_terms(content text)
RETURNS text[] AS 'MODULE_PATHNAME', 'chat_search_terms'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE COST 1000;
COMMENT ON FUNCTION chat.search_terms(text) IS 'Internal: the terms a message''s content is found by (the expression of messages.search_vector; changing its answers means recomputing that column and its index).';

-- Each message keeps its terms in a column that sends and edits fill: the index is built from it,
-- and a search tests a candidate by it (an index on the expression would cut the message again for
-- every row it rechecks: seconds for a word in one message of ten). Adding the column rewrites
-- the table once (docs/operations.md).
ALTER TABLE chat.messages ADD COLUMN search_vector tsvector
  GENERATED ALWAYS AS (pg_catalog.array_to_tsvector(chat.search_terms(content))) STORED;
COMMENT ON COLUMN chat.messages.search_vector IS 'The terms the message is found by (chat.search_terms of its content), kept by PostgreSQL as content changes.';

-- fastupdate (a pending list of new entries, merged into the index by vacuum or by the send that
-- fills it): sends append their terms in one place instead of updating a page per term, which
-- measured ~18% of the batched send's throughput with fastupdate off and within noise of no index
-- with it on (docs/operations.md). A 1 MB list keeps each merge short and each search's scan of
-- the list cheap.
CREATE INDEX messages_search_idx ON chat.messages USING gin (search_vector)
  WITH (fastupdate = on, gin_pending_list_limit = 1024);
COMMENT ON INDEX chat.messages_search_idx IS 'Full-text search (chat.search_messages): the terms of each message''s content.';

CREATE FUNCTION chat.search_messages(token text, query text, conversation_id uuid DEFAULT NULL,
                                     cursor text DEFAULT NULL, lim integer DEFAULT 20)
RETURNS json AS 'MODULE_PATHNAME', 'chat_search_messages'
LANGUAGE C STABLE SECURITY DEFINER SET search_path = pg_catalog, chat, pg_temp
-- one search is a few milliseconds of index work: starting workers or compiling it costs more
SET max_parallel_workers_per_gather = 0 SET jit = off;
COMMENT ON FUNCTION chat.search_messages(text, text, uuid, text, integer) IS 'The caller''s messages that hold every word of query (1-200 characters), in one conversation or all, newest first: {results: [{message, conversation: {id, name, isGroup}, snippet: [{text, match}]}], nextCursor}; lim 1 to 50.';

REVOKE ALL ON FUNCTION chat.search_terms(text), chat.search_messages(text, text, uuid, text, integer) FROM PUBLIC;

-- ---------------------------------------------------------------------------------------------
-- Rights: grant_api names every function of 1.5; roles that had the API get the new one
-- ---------------------------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION chat.grant_api(role name) RETURNS void
LANGUAGE plpgsql SET search_path = pg_catalog, chat, pg_temp AS $$
BEGIN
  EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), role);
  EXECUTE format('GRANT USAGE ON SCHEMA chat TO %I', role);
  EXECUTE format('GRANT EXECUTE ON FUNCTION chat.register, chat.login, chat.authenticate, chat.me,
    chat.session, chat.sessions, chat.logout, chat.logout_everywhere, chat.change_password,
    chat.update_profile, chat.set_privacy, chat.search_users, chat.contacts, chat.add_contact,
    chat.remove_contact, chat.create_conversation, chat.conversation, chat.conversations(text),
    chat.conversations(text, timestamptz, uuid, integer), chat.conversation_page,
    chat.conversations_json, chat.add_participants, chat.remove_participant, chat.set_participant_role,
    chat.leave_conversation, chat.send_message, chat.send_messages, chat.messages,
    chat.messages_after, chat.edit_message, chat.delete_message, chat.mark_delivered,
    chat.mark_read, chat.search_messages, chat.members, chat.members_joined, chat.event_message,
    chat.event_messages, chat.presence_audience, chat.presence_audiences, chat.presence_visible,
    chat.set_last_seen TO %I', role);
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
    EXECUTE pg_catalog.format('GRANT EXECUTE ON FUNCTION chat.search_messages(text, text, uuid, text, integer) TO %I', grantee);
  END LOOP;
END
$$;
