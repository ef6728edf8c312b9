-- Search for a common word: once ANALYZE knows the word is in many messages, search walks the
-- caller's chats newest first instead of reading every match from the index. Both ways must
-- answer the same pages: the caller's chats only, newest first, without deleted messages or those
-- deleted for the caller, paged by the cursor without a gap or a repeat. And a chat's messages are
-- stamped in seq order, which the walk relies on.
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(11);

CREATE TEMP TABLE t AS SELECT
  chat.register('common_a', 'common_a@example.com', 'common a password') AS a,
  chat.register('common_b', 'common_b@example.com', 'common b password') AS b,
  chat.register('common_c', 'common_c@example.com', 'common c password') AS c;
CREATE FUNCTION pg_temp.tok(who text) RETURNS text LANGUAGE sql AS
  $$ SELECT CASE who WHEN 'a' THEN a->>'token' WHEN 'b' THEN b->>'token' ELSE c->>'token' END FROM t $$;
CREATE FUNCTION pg_temp.uid(who text) RETURNS uuid LANGUAGE sql AS
  $$ SELECT (CASE who WHEN 'a' THEN a WHEN 'b' THEN b ELSE c END->'user'->>'id')::uuid FROM t $$;
-- a is in ab and ac, not in bc
CREATE TEMP TABLE conv AS SELECT
  (chat.create_conversation(pg_temp.tok('a'), ARRAY[pg_temp.uid('b')])->>'id')::uuid AS ab,
  (chat.create_conversation(pg_temp.tok('a'), ARRAY[pg_temp.uid('c')])->>'id')::uuid AS ac,
  (chat.create_conversation(pg_temp.tok('b'), ARRAY[pg_temp.uid('c')])->>'id')::uuid AS bc;

-- 300 messages over the three chats, one send each; every other one holds "common", one "rare"
SELECT count(chat.send_message(
  pg_temp.tok(CASE n % 3 WHEN 0 THEN 'b' ELSE 'c' END),
  CASE n % 3 WHEN 0 THEN (SELECT ab FROM conv) WHEN 1 THEN (SELECT ac FROM conv) ELSE (SELECT bc FROM conv) END,
  CASE WHEN n = 7 THEN 'a rare word ' ELSE '' END
    || CASE WHEN n % 2 = 1 THEN 'common words ' ELSE 'other words ' END || 'number ' || n))
FROM generate_series(1, 300) n;
-- one deleted for everyone, one deleted for a only
SELECT chat.delete_message(pg_temp.tok('b'), (SELECT id FROM chat.messages WHERE conversation_id = (SELECT ab FROM conv) AND seq = 5));
SELECT chat.hide_message(pg_temp.tok('a'), (SELECT id FROM chat.messages WHERE conversation_id = (SELECT ac FROM conv) AND seq = 9));

SELECT is((SELECT count(*) FROM (SELECT created_at <= lag(created_at) OVER (PARTITION BY conversation_id ORDER BY seq) AS back
             FROM chat.messages WHERE conversation_id IN (SELECT ab FROM conv UNION SELECT ac FROM conv)) x WHERE back),
  0::bigint, 'sends in one transaction: each later seq has a later time');

-- what a must find, newest first, and what paging through search_messages finds
CREATE FUNCTION pg_temp.expected(q text) RETURNS text[] LANGUAGE sql AS $$
  SELECT coalesce(array_agg(m.content ORDER BY m.created_at DESC, m.conversation_id, m.seq DESC), '{}')
  FROM chat.messages m
  WHERE m.conversation_id IN (SELECT ab FROM conv UNION SELECT ac FROM conv) AND NOT m.is_deleted
    AND m.content ~ ('\m' || q) AND NOT (m.conversation_id = (SELECT ac FROM conv) AND m.seq = 9) $$;
CREATE FUNCTION pg_temp.paged(q text, lim int) RETURNS text[] LANGUAGE plpgsql AS $$
DECLARE
  found text[] := '{}';
  page json;
  cursor text;
BEGIN
  LOOP
    page := chat.search_messages(pg_temp.tok('a'), q, NULL, cursor, lim);
    found := found || ARRAY(SELECT r->'message'->>'content' FROM json_array_elements(page->'results') r);
    cursor := page->>'nextCursor';
    EXIT WHEN cursor IS NULL;
  END LOOP;
  RETURN found;
END $$;

SELECT is(pg_temp.paged('common', 7), pg_temp.expected('common'), 'a common word before ANALYZE: every page right');
SELECT is(cardinality(pg_temp.expected('common')), 98, '(98 of a''s messages hold it)');

ANALYZE chat.messages;
SELECT ok((SELECT 'common' = ANY (most_common_elems::text::text[]) FROM pg_stats
           WHERE schemaname = 'chat' AND tablename = 'messages' AND attname = 'search_vector'),
  'ANALYZE knows "common" is frequent');

-- which way a search went, from this transaction's counters
CREATE FUNCTION pg_temp.scans() RETURNS bigint[] LANGUAGE sql AS $$
  SELECT ARRAY[pg_stat_get_xact_numscans('chat.messages'::regclass),
    pg_stat_get_xact_numscans('chat.messages_search_idx'::regclass),
    pg_stat_get_xact_numscans('chat.messages_conversation_id_seq_key'::regclass)] $$;
CREATE TEMP TABLE before AS SELECT pg_temp.scans() AS s;
SELECT is(jsonb_array_length((chat.search_messages(pg_temp.tok('a'), 'common', NULL, NULL, 5)::jsonb)->'results'), 5,
  'a first page of a common word');
SELECT is((SELECT (pg_temp.scans())[1:2] FROM before), (SELECT s[1:2] FROM before),
  'it read neither the whole table nor the search index');
SELECT is((pg_temp.scans())[3] - (SELECT s[3] FROM before), 2::bigint,
  'it walked a''s two chats by their (conversation_id, seq) index');

SELECT is(pg_temp.paged('common', 7), pg_temp.expected('common'), 'a common word after ANALYZE: every page right');
SELECT is(pg_temp.paged('common', 50), pg_temp.expected('common'), 'the same in pages of 50');
SELECT is(pg_temp.paged('rare', 7), ARRAY['a rare word common words number 7'], 'a rare word still found, from a''s chats only');
SELECT is(pg_temp.paged('words', 20), pg_temp.expected('words'), 'a word in every message: all of a''s, in order');

SELECT * FROM finish();
ROLLBACK;
