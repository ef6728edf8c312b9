-- Full-text search (1.5): the caller's own conversations only, from their joining on; any
-- language (words of spaced scripts as prefixes, any case, Latin and Greek accents optional;
-- unspaced scripts by their characters); newest first, by keyset pages; snippets that mark the
-- match; deleted messages and edits' old words are not found; bad input is refused.
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(35);

CREATE TEMP TABLE t AS SELECT
  chat.register('find_a', 'find_a@example.com', 'find a password') AS a,
  chat.register('find_b', 'find_b@example.com', 'find b password') AS b,
  chat.register('find_c', 'find_c@example.com', 'find c password') AS c,
  chat.register('find_d', 'find_d@example.com', 'find d password') AS d;
CREATE FUNCTION pg_temp.tok(who text) RETURNS text LANGUAGE sql AS
  $$ SELECT CASE who WHEN 'a' THEN a->>'token' WHEN 'b' THEN b->>'token' WHEN 'c' THEN c->>'token' ELSE d->>'token' END FROM t $$;
CREATE FUNCTION pg_temp.uid(who text) RETURNS uuid LANGUAGE sql AS
  $$ SELECT (CASE who WHEN 'a' THEN a WHEN 'b' THEN b WHEN 'c' THEN c ELSE d END->'user'->>'id')::uuid FROM t $$;
-- a and b chat; b and c chat (a is not in it); a, b and later d are in a group
CREATE TEMP TABLE conv AS SELECT
  (chat.create_conversation(pg_temp.tok('a'), ARRAY[pg_temp.uid('b')])->>'id')::uuid AS ab,
  (chat.create_conversation(pg_temp.tok('b'), ARRAY[pg_temp.uid('c')])->>'id')::uuid AS bc,
  (chat.create_conversation(pg_temp.tok('a'), ARRAY[pg_temp.uid('b')], true, 'trip')->>'id')::uuid AS g;
CREATE FUNCTION pg_temp.send(who text, c uuid, content text) RETURNS jsonb LANGUAGE sql AS
  $$ SELECT chat.send_message(pg_temp.tok(who), c, content) $$;
-- the contents found by a search, newest first
CREATE FUNCTION pg_temp.found(who text, q text, c uuid DEFAULT NULL) RETURNS text[] LANGUAGE sql AS
  $$ SELECT coalesce(array_agg(r->'message'->>'content' ORDER BY n), '{}')
     FROM json_array_elements(chat.search_messages(pg_temp.tok(who), q, c)->'results') WITH ORDINALITY x (r, n) $$;

SELECT pg_temp.send('a', (SELECT ab FROM conv), 'Hello Bob, shall we meet in Athens?');
SELECT pg_temp.send('b', (SELECT ab FROM conv), 'Καλημέρα! Θα είμαι στην Αθήνα αύριο.');
SELECT pg_temp.send('b', (SELECT ab FROM conv), '明日は東京に行きます');
SELECT pg_temp.send('c', (SELECT bc FROM conv), 'Athens is lovely, hello from Carol');
SELECT pg_temp.send('a', (SELECT g FROM conv), 'the group hello before Dave');

SELECT is(pg_temp.found('a', 'athens'), ARRAY['Hello Bob, shall we meet in Athens?'], 'an English word, any case');
SELECT is(pg_temp.found('a', 'ATH'), ARRAY['Hello Bob, shall we meet in Athens?'], 'a word''s start finds it');
SELECT is(pg_temp.found('a', 'thens'), '{}'::text[], 'the middle of a word does not');
SELECT is(pg_temp.found('a', 'hello athens'), ARRAY['Hello Bob, shall we meet in Athens?'], 'every word must be in the message');
SELECT is(pg_temp.found('a', 'Αθήνα'), ARRAY['Καλημέρα! Θα είμαι στην Αθήνα αύριο.'], 'a Greek word');
SELECT is(pg_temp.found('a', 'αθηνα'), ARRAY['Καλημέρα! Θα είμαι στην Αθήνα αύριο.'], 'without its accent and in lower case');
SELECT is(pg_temp.found('a', 'ΚΑΛΗΜΕΡΑ'), ARRAY['Καλημέρα! Θα είμαι στην Αθήνα αύριο.'], 'in capitals');
SELECT is(pg_temp.found('a', '東京'), ARRAY['明日は東京に行きます'], 'a Japanese word inside unspaced text');
SELECT is(pg_temp.found('a', '行きます'), ARRAY['明日は東京に行きます'], 'a longer one, by its character pairs');
SELECT is(pg_temp.found('a', '京'), ARRAY['明日は東京に行きます'], 'one character');
SELECT is(pg_temp.found('a', '大阪'), '{}'::text[], 'a word not there finds nothing');

-- never another conversation's message
SELECT is((SELECT array_agg(x ORDER BY x) FROM unnest(pg_temp.found('a', 'hello')) x),
  ARRAY['Hello Bob, shall we meet in Athens?', 'the group hello before Dave'],
  'hello: the caller''s two, not Carol''s in a chat the caller is not in');
SELECT is(pg_temp.found('a', 'carol'), '{}'::text[], 'a word only in a stranger''s chat finds nothing');
SELECT is(pg_temp.found('a', 'athens', (SELECT bc FROM conv)), '{}'::text[],
  'naming a conversation the caller is not in answers nothing, as one without a match');
SELECT is(pg_temp.found('c', 'athens'), ARRAY['Athens is lovely, hello from Carol'], 'Carol finds her own');
SELECT is(pg_temp.found('a', 'hello', (SELECT g FROM conv)), ARRAY['the group hello before Dave'], 'in one conversation');

-- a late joiner finds nothing from before their joining
SELECT chat.add_participants(pg_temp.tok('a'), (SELECT g FROM conv), ARRAY[pg_temp.uid('d')]);
SELECT pg_temp.send('a', (SELECT g FROM conv), 'hello again, Dave is here');
SELECT is(pg_temp.found('d', 'hello'), ARRAY['hello again, Dave is here'], 'a late joiner finds only what came after');

-- edits and deletes
SELECT chat.edit_message(pg_temp.tok('a'), (SELECT id FROM chat.messages WHERE content LIKE 'Hello Bob%'), 'Hello Bob, shall we meet in Paris?');
SELECT is(pg_temp.found('a', 'athens'), '{}'::text[], 'an edited message is not found by its old words');
SELECT is(pg_temp.found('a', 'paris'), ARRAY['Hello Bob, shall we meet in Paris?'], 'but by its new ones');
SELECT chat.delete_message(pg_temp.tok('b'), (SELECT id FROM chat.messages WHERE content LIKE 'Καλημέρα%'));
SELECT is(pg_temp.found('a', 'αθηνα'), '{}'::text[], 'a message deleted for everyone is not found');

-- deleted for me: gone from my search, still in the other member's (1.6)
SELECT chat.hide_message(pg_temp.tok('a'), (SELECT id FROM chat.messages WHERE content = '明日は東京に行きます'));
SELECT is(pg_temp.found('a', '東京'), '{}'::text[], 'a message deleted for me is not found by me');
SELECT is(pg_temp.found('b', '東京'), ARRAY['明日は東京に行きます'], 'but still by the other member');

-- pages
SELECT pg_temp.send('a', (SELECT ab FROM conv), 'page ' || n) FROM generate_series(1, 3) n;
CREATE TEMP TABLE p1 AS SELECT chat.search_messages(pg_temp.tok('a'), 'page', NULL, NULL, 2) AS j;
SELECT is((SELECT array_agg(r->'message'->>'content') FROM p1, json_array_elements(j->'results') r), ARRAY['page 3', 'page 2'],
  'a page of two, newest first');
SELECT is((SELECT array_agg(r->'message'->>'content') FROM p1,
    json_array_elements(chat.search_messages(pg_temp.tok('a'), 'page', NULL, j->>'nextCursor', 2)->'results') r),
  ARRAY['page 1'], 'the next page goes on from its cursor');
SELECT is(chat.search_messages(pg_temp.tok('a'), 'page', NULL, (SELECT j->>'nextCursor' FROM p1), 2)->>'nextCursor', NULL,
  'and is the last');

-- snippets
SELECT is((SELECT (r->'snippet')::text FROM json_array_elements(chat.search_messages(pg_temp.tok('a'), 'par')->'results') r),
  '[{"text":"Hello Bob, shall we meet in ","match":false},{"text":"Par","match":true},{"text":"is?","match":false}]',
  'the snippet marks what matched');
SELECT is(json_array_length(chat.search_messages(pg_temp.tok('a'), 'needle')->'results'), 0, 'nothing yet');
SELECT pg_temp.send('a', (SELECT ab FROM conv), repeat('hay ', 100) || 'needle' || repeat(' hay', 100));
SELECT matches((chat.search_messages(pg_temp.tok('a'), 'needle')->'results'->0->'snippet')::text,
  '^\[\{"text":"…(hay ){6}","match":false\},\{"text":"needle","match":true\},\{"text":"( hay)+…","match":false\}\]$',
  'a long message: the snippet is cut around the match, with … where it goes on');

-- bad input changes nothing and says why
SELECT throws_ok(format('SELECT chat.search_messages(%L, %L)', pg_temp.tok('a'), '?! …'), '22023',
  'query must hold a word to search for', 'a query without a word');
SELECT throws_ok(format('SELECT chat.search_messages(%L, %L)', pg_temp.tok('a'), repeat('a', 201)), '22023',
  'query must be at most 200 characters', 'a query too long');
SELECT throws_ok(format('SELECT chat.search_messages(%L, %L, NULL, NULL, 51)', pg_temp.tok('a'), 'hello'), '22023',
  'limit must be 1 to 50', 'a limit too large');
SELECT throws_ok(format('SELECT chat.search_messages(%L, %L, NULL, %L)', pg_temp.tok('a'), 'hello', 'garbage'), '22023',
  NULL, 'a malformed cursor');

SELECT throws_ok(format('SELECT chat.search_messages(%L, %L, NULL, %L)', pg_temp.tok('a'), 'hello',
    '1700000000000000_00000000-0000-4000-8000-000000000000'), '22023', NULL,
  'a conversation list cursor is not a search cursor');
SELECT throws_ok(format('SELECT chat.search_messages(%L, %L)', 'not.a.token', 'hello'), '28000', NULL,
  'a bad token finds nothing');
SELECT throws_ok(format('SELECT chat.search_messages(%L, NULL)', pg_temp.tok('a')), '22023', NULL,
  'a missing query');

SELECT * FROM finish();
ROLLBACK;
