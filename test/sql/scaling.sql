-- Distributable by conversation (docs/scaling.md): on Citus messages, conversation_participants
-- and media are distributed by conversation_id and conversations by id. These tests hold the
-- schema to what that needs: every primary and unique key holds the distribution column, every
-- foreign key among those tables joins on it, and every hot call reads them only by it.
--
-- How a hot call is proven keyed by its conversation, on one node: the indexes not led by the
-- distribution column are dropped for this transaction and messages' key (id, conversation_id)
-- is turned round (the rollback restores both), and sequential scans are priced out
-- (enable_seqscan = off, set before any plan is made). So a query that names its conversation
-- reads a few entries of a conversation-led index, and one that doesn't must scan a whole table
-- or a whole index. The test users are members of 2,000
-- other conversations, one holding 5,000 messages, so each index spans dozens of pages. The
-- transaction's own counters (pg_stat_get_xact_*, exact and private to this session) are read
-- around each call: a sequential scan of a distributed table, or more than 16 blocks of one index
-- (a lookup reads two or three), is a read that was not by conversation.
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS pgcrypto;
SET enable_seqscan = off;
SELECT plan(31);

-- the distributed tables and the column each is distributed by
CREATE TEMP TABLE distributed (rel regclass PRIMARY KEY, col name);
INSERT INTO distributed VALUES ('chat.messages', 'conversation_id'),
  ('chat.conversation_participants', 'conversation_id'), ('chat.media', 'conversation_id'),
  ('chat.conversations', 'id');
CREATE FUNCTION pg_temp.attnum(r regclass) RETURNS smallint LANGUAGE sql AS $$
  SELECT a.attnum FROM distributed d JOIN pg_attribute a ON a.attrelid = d.rel AND a.attname = d.col
  WHERE d.rel = r $$;

-- ---- keys ----

CREATE FUNCTION pg_temp.keys_without_distribution_column(r regclass) RETURNS SETOF text LANGUAGE sql AS $$
  SELECT i.indexrelid::regclass::text FROM pg_index i
  WHERE i.indrelid = r AND i.indisunique AND NOT (pg_temp.attnum(r) = ANY (i.indkey))
  UNION ALL
  SELECT c.conname::text FROM pg_constraint c
  WHERE c.conrelid = r AND c.contype IN ('p', 'u', 'x') AND NOT (pg_temp.attnum(r) = ANY (c.conkey)) $$;

SELECT is_empty('SELECT pg_temp.keys_without_distribution_column(''chat.messages'')',
  'every primary and unique key of messages holds conversation_id');
SELECT is_empty('SELECT pg_temp.keys_without_distribution_column(''chat.conversation_participants'')',
  'every primary and unique key of conversation_participants holds conversation_id');
SELECT is_empty('SELECT pg_temp.keys_without_distribution_column(''chat.media'')',
  'every primary and unique key of media holds conversation_id');
SELECT is_empty('SELECT pg_temp.keys_without_distribution_column(''chat.conversations'')',
  'every primary and unique key of conversations holds its id');
SELECT is((SELECT count(*)::int FROM pg_index WHERE indrelid IN (SELECT rel FROM distributed) AND indisprimary), 4,
  'each distributed table has a primary key');

-- a foreign key between distributed tables must pair the two distribution columns
CREATE TEMP VIEW distributed_fkeys AS
SELECT c.conname, c.conrelid, c.confrelid,
  EXISTS (SELECT 1 FROM generate_subscripts(c.conkey, 1) k
    WHERE c.conkey[k] = pg_temp.attnum(c.conrelid) AND c.confkey[k] = pg_temp.attnum(c.confrelid)) AS paired
FROM pg_constraint c
WHERE c.contype = 'f' AND c.conrelid IN (SELECT rel FROM distributed) AND c.confrelid IN (SELECT rel FROM distributed);
SELECT set_eq('SELECT conname::text FROM distributed_fkeys',
  ARRAY['conversation_participants_conversation_id_fkey', 'messages_conversation_fkey',
        'messages_reply_to_fkey', 'media_message_fkey'],
  'the foreign keys among distributed tables are participants and messages to conversations, replies and media to messages');
SELECT is_empty('SELECT conname FROM distributed_fkeys WHERE NOT paired',
  'every foreign key among distributed tables joins conversation_id to conversation_id (or id)');

SELECT set_eq($$SELECT i.indexrelid::regclass::text FROM pg_index i JOIN distributed d ON d.rel = i.indrelid
    WHERE i.indkey[0] <> pg_temp.attnum(d.rel)$$,
  ARRAY['chat.messages_pkey', 'chat.messages_created_at_brin', 'chat.conversation_participants_list_idx',
    'chat.conversations_direct_pair_idx', 'chat.messages_search_idx',
    'chat.conversation_participants_pinned_idx', 'chat.conversation_participants_archived_idx'],
  'the only indexes not led by the distribution column serve edits by id, statistics, the conversation list (its pinned head and archived list), old direct chats and search (each shard''s own)');

SELECT is_empty($$SELECT c.relname FROM pg_class c
    WHERE c.oid IN ('chat.media_message_idx'::regclass, 'chat.conversations_direct_pair_idx'::regclass)
      AND obj_description(c.oid, 'pg_class') IS NULL
    UNION ALL SELECT conname FROM pg_constraint
    WHERE conname IN ('messages_pkey', 'messages_reply_to_fkey', 'media_pkey', 'media_message_fkey')
      AND obj_description(oid, 'pg_constraint') IS NULL$$,
  'the keys and indexes 1.2 made say what they are for');

-- ---- direct chats: one per pair without a unique key on the pair ----

CREATE TEMP TABLE t (name text PRIMARY KEY, token text, id uuid);
INSERT INTO t SELECT n, s->>'token', (s->'user'->>'id')::uuid
FROM unnest(ARRAY['sca', 'scb', 'scc', 'scd']) n, LATERAL chat.register(n, n || '@example.com', n || ' password') s;
CREATE FUNCTION pg_temp.tok(n text) RETURNS text LANGUAGE sql AS $$ SELECT token FROM t WHERE name = n $$;
CREATE FUNCTION pg_temp.uid(n text) RETURNS uuid LANGUAGE sql AS $$ SELECT id FROM t WHERE name = n $$;

-- RFC 4122 version 5, computed here with pgcrypto as a check of the C code
CREATE FUNCTION pg_temp.direct_id(a uuid, b uuid) RETURNS uuid LANGUAGE sql AS $$
  SELECT encode(set_byte(set_byte(substring(h FROM 1 FOR 16), 6, (get_byte(h, 6) & 15) | 80),
    8, (get_byte(h, 8) & 63) | 128), 'hex')::uuid
  FROM (SELECT digest('\xa18354a51e1c4fa79628457c6b100400'::bytea || uuid_send(least(a, b)) || uuid_send(greatest(a, b)), 'sha1') AS h) s $$;

CREATE TEMP TABLE d AS SELECT (chat.create_conversation(pg_temp.tok('sca'), ARRAY[pg_temp.uid('scb')])->>'id')::uuid AS id;
SELECT is((SELECT id FROM d), pg_temp.direct_id(pg_temp.uid('sca'), pg_temp.uid('scb')),
  'a direct chat''s id is the name-based UUID (version 5) of its pair');
SELECT throws_ok(format('INSERT INTO chat.conversations (id, direct_low, direct_high) VALUES (%L, %L, %L)',
    (SELECT id FROM d), least(pg_temp.uid('sca'), pg_temp.uid('scb')), greatest(pg_temp.uid('sca'), pg_temp.uid('scb'))),
  '23505', NULL, 'the primary key refuses a second direct chat for a pair');

-- a chat made before 1.2 kept its random id: it is still the pair's one chat
INSERT INTO chat.conversations (id, direct_low, direct_high)
VALUES ('00000000-0000-4000-8000-00000000c0de', least(pg_temp.uid('scc'), pg_temp.uid('scd')), greatest(pg_temp.uid('scc'), pg_temp.uid('scd')));
INSERT INTO chat.conversation_participants (conversation_id, user_id)
VALUES ('00000000-0000-4000-8000-00000000c0de', pg_temp.uid('scc')), ('00000000-0000-4000-8000-00000000c0de', pg_temp.uid('scd'));
SELECT is(chat.create_conversation(pg_temp.tok('scd'), ARRAY[pg_temp.uid('scc')])->>'id', '00000000-0000-4000-8000-00000000c0de',
  'a direct chat made before 1.2, with a random id, is found by its pair');
SELECT is((SELECT count(*)::int FROM chat.conversations WHERE direct_low = least(pg_temp.uid('scc'), pg_temp.uid('scd'))
    AND direct_high = greatest(pg_temp.uid('scc'), pg_temp.uid('scd'))), 1,
  'and no second chat is made for that pair');

-- ---- hot calls read distributed tables only by conversation ----

-- ballast: the test users are in 2,000 other groups, one of them holding 5,000 messages
CREATE TEMP TABLE ballast AS SELECT n, gen_random_uuid() AS id FROM generate_series(1, 2000) n;
INSERT INTO chat.conversations (id, name, is_group, last_seq) SELECT id, 'Ballast', true, 0 FROM ballast;
INSERT INTO chat.conversation_participants (conversation_id, user_id)
SELECT b.id, t.id FROM ballast b, t WHERE t.name IN ('sca', 'scb', 'scc');
INSERT INTO chat.messages (conversation_id, seq, sender_id, client_id, content)
SELECT (SELECT id FROM ballast WHERE n = 1), n, pg_temp.uid('sca'), 'ballast-' || n, 'ballast' FROM generate_series(1, 5000) n;
UPDATE chat.conversations SET last_seq = 5000 WHERE id = (SELECT id FROM ballast WHERE n = 1);

DROP INDEX chat.messages_created_at_brin, chat.conversation_participants_list_idx, chat.conversations_direct_pair_idx;
-- messages' key (id, conversation_id) becomes its conversation-led twin: the same rows are unique,
-- the same foreign keys hold, but nothing is found by id without the conversation
ALTER TABLE chat.media DROP CONSTRAINT media_message_fkey;
ALTER TABLE chat.attachments DROP CONSTRAINT attachments_message_fkey;
ALTER TABLE chat.messages DROP CONSTRAINT messages_reply_to_fkey, DROP CONSTRAINT messages_pkey,
  ADD CONSTRAINT messages_pkey PRIMARY KEY (conversation_id, id),
  ADD CONSTRAINT messages_reply_to_fkey FOREIGN KEY (conversation_id, reply_to_id)
    REFERENCES chat.messages (conversation_id, id) ON DELETE SET NULL (reply_to_id);
ALTER TABLE chat.media ADD CONSTRAINT media_message_fkey FOREIGN KEY (conversation_id, message_id)
  REFERENCES chat.messages (conversation_id, id) ON DELETE CASCADE;
ALTER TABLE chat.attachments ADD CONSTRAINT attachments_message_fkey FOREIGN KEY (conversation_id, message_id)
  REFERENCES chat.messages (conversation_id, id) ON DELETE CASCADE;

-- the counters so far: sequential scans of each distributed table, blocks read of each index
CREATE FUNCTION pg_temp.reads() RETURNS TABLE (rel regclass, sequential boolean, n bigint) LANGUAGE sql AS $$
  SELECT d.rel, true, pg_stat_get_xact_numscans(d.rel) FROM distributed d
  UNION ALL
  SELECT i.indexrelid::regclass, false, pg_stat_get_xact_blocks_fetched(i.indexrelid)
  FROM distributed d JOIN pg_index i ON i.indrelid = d.rel $$;
CREATE TEMP TABLE before (rel regclass, sequential boolean, n bigint);
CREATE FUNCTION pg_temp.mark() RETURNS void LANGUAGE sql AS $$
  DELETE FROM before; INSERT INTO before SELECT * FROM pg_temp.reads() $$;
-- what was read since mark() other than by conversation
CREATE FUNCTION pg_temp.off_key() RETURNS SETOF text LANGUAGE sql AS $$
  SELECT CASE WHEN r.sequential THEN r.rel::text || ' (sequential)' ELSE r.rel::text || ' (' || (r.n - b.n) || ' blocks)' END
  FROM pg_temp.reads() r JOIN before b USING (rel)
  WHERE r.n > b.n AND (r.sequential OR r.n - b.n > 16) $$;
CREATE FUNCTION pg_temp.keyed_reads() RETURNS bigint LANGUAGE sql AS $$
  SELECT sum(r.n - b.n)::bigint FROM pg_temp.reads() r JOIN before b USING (rel) WHERE NOT r.sequential $$;

CREATE TEMP TABLE g AS SELECT (chat.create_conversation(pg_temp.tok('sca'), ARRAY[pg_temp.uid('scb'), pg_temp.uid('scc')], true, 'Shard')->>'id')::uuid AS id;
CREATE FUNCTION pg_temp.g() RETURNS uuid LANGUAGE sql AS $$ SELECT id FROM g $$;
CREATE TEMP TABLE sent (label text, message jsonb);

SELECT pg_temp.mark();
INSERT INTO sent SELECT 'first', chat.send_message(pg_temp.tok('sca'), pg_temp.g(), 'hello shard', 'sc-1');
SELECT is_empty('SELECT pg_temp.off_key()', 'send_message reads and writes only by conversation');
SELECT cmp_ok(pg_temp.keyed_reads(), '>', 0::bigint, 'the counters see send_message''s reads of the keys');

SELECT pg_temp.mark();
INSERT INTO sent SELECT 'reply', chat.send_message(pg_temp.tok('scb'), pg_temp.g(), 'a reply', 'sc-2',
  (SELECT (message->>'id')::uuid FROM sent WHERE label = 'first'));
SELECT is_empty('SELECT pg_temp.off_key()', 'send_message with a reply checks the reply by conversation');
SELECT is((SELECT message->>'replyTo' FROM sent WHERE label = 'reply'), (SELECT message->>'id' FROM sent WHERE label = 'first'),
  'the reply is stored');

SELECT pg_temp.mark();
SELECT is(chat.send_message(pg_temp.tok('sca'), pg_temp.g(), 'hello shard', 'sc-1')->>'seq', '1',
  'a resend answers the first message');
SELECT is_empty('SELECT pg_temp.off_key()', 'a resend finds the first message by conversation');

SELECT pg_temp.mark();
SELECT is(jsonb_array_length(chat.messages(pg_temp.tok('scc'), pg_temp.g())), 2, 'messages pages the conversation');
SELECT is_empty('SELECT pg_temp.off_key()', 'messages reads only by conversation');

SELECT pg_temp.mark();
SELECT is(jsonb_array_length(chat.messages_after(pg_temp.tok('scc'), pg_temp.g(), 1)), 1, 'messages_after catches up');
SELECT is_empty('SELECT pg_temp.off_key()', 'messages_after reads only by conversation');

SELECT pg_temp.mark();
INSERT INTO sent SELECT 'delivered', chat.mark_delivered(pg_temp.tok('scc'), pg_temp.g(), 2);
INSERT INTO sent SELECT 'read', chat.mark_read(pg_temp.tok('scc'), pg_temp.g(), 2);
SELECT is_empty('SELECT pg_temp.off_key()', 'mark_delivered and mark_read read and write only by conversation');

SELECT pg_temp.mark();
INSERT INTO sent SELECT 'members', chat.members(pg_temp.g());
INSERT INTO sent SELECT 'event', chat.event_message(pg_temp.g(), 2);
SELECT is_empty('SELECT pg_temp.off_key()', 'members and event_message (the bridge''s fan-out) read only by conversation');

SELECT pg_temp.mark();
SELECT is(chat.conversation(pg_temp.tok('scb'), pg_temp.g())->'lastMessage'->>'content', 'a reply',
  'conversation answers with the last message');
SELECT is_empty('SELECT pg_temp.off_key()', 'conversation reads only by conversation');

-- deleting a message (no API does; a DBA may) clears replies to it and takes its attachments
INSERT INTO chat.media (conversation_id, message_id, file_url, file_type, file_size)
SELECT pg_temp.g(), (message->>'id')::uuid, 'https://example.com/a.png', 'image/png', 1 FROM sent WHERE label = 'first';
DELETE FROM chat.messages WHERE id = (SELECT (message->>'id')::uuid FROM sent WHERE label = 'first');
SELECT is((SELECT conversation_id::text || ' ' || coalesce(reply_to_id::text, 'none') FROM chat.messages WHERE client_id = 'sc-2'),
  pg_temp.g()::text || ' none', 'deleting a message clears reply_to_id of its replies, not their conversation');
SELECT is((SELECT count(*)::int FROM chat.media WHERE conversation_id = pg_temp.g()), 0,
  'deleting a message deletes its attachments');

-- the method has teeth: calls that find rows by something else than the conversation are seen
SELECT pg_temp.mark();
INSERT INTO sent SELECT 'edit', chat.edit_message(pg_temp.tok('scb'), (SELECT (message->>'id')::uuid FROM sent WHERE label = 'reply'), 'edited');
SELECT isnt_empty('SELECT pg_temp.off_key()',
  'edit_message, which names a message by id alone, is seen reading other conversations (every shard on Citus)');
SELECT pg_temp.mark();
INSERT INTO sent SELECT 'audience', chat.presence_audience(pg_temp.uid('scb'));
SELECT isnt_empty('SELECT pg_temp.off_key()',
  'presence_audience, which starts from the user, is seen reading other conversations (every shard on Citus)');

SELECT * FROM finish();
ROLLBACK;
