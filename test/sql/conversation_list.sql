-- The conversation list read from each membership's list_at (1.3): every write keeps it the
-- conversation's updated_at (for a group, the minute of it), so the list is in the same order for
-- every member, pages by (updatedAt, id) across ties and minutes, lists empty chats and groups as
-- it did, drops a conversation the caller left, and conversations_json writes the same list as
-- text.
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(35);

CREATE TEMP TABLE t (name text PRIMARY KEY, token text, id uuid);
INSERT INTO t SELECT n, s->>'token', (s->'user'->>'id')::uuid
FROM unnest(ARRAY['lia', 'lib', 'lic', 'lid', 'lie', 'lif']) n, LATERAL chat.register(n, n || '@example.com', n || ' password') s;
CREATE FUNCTION pg_temp.tok(n text) RETURNS text LANGUAGE sql AS $$ SELECT token FROM t WHERE name = n $$;
CREATE FUNCTION pg_temp.uid(n text) RETURNS uuid LANGUAGE sql AS $$ SELECT id FROM t WHERE name = n $$;
-- where a conversation stands in lists: its updated_at, for a group the minute of it
CREATE FUNCTION pg_temp.list_at(c chat.conversations) RETURNS timestamptz LANGUAGE sql AS $$
  SELECT CASE WHEN c.is_group THEN date_bin('1 minute', c.updated_at, timestamptz '1970-01-01 00:00:00+00') ELSE c.updated_at END $$;
-- memberships whose list_at is not their conversation's
CREATE FUNCTION pg_temp.stale() RETURNS bigint LANGUAGE sql AS $$
  SELECT count(*) FROM chat.conversation_participants p JOIN chat.conversations c ON c.id = p.conversation_id
  WHERE p.list_at IS DISTINCT FROM pg_temp.list_at(c) $$;
-- the list of a user as conversation names (direct chats by the other member's name)
CREATE TEMP TABLE lc (name text PRIMARY KEY, id uuid);
CREATE FUNCTION pg_temp.names(list jsonb) RETURNS text[] LANGUAGE sql AS $$
  SELECT coalesce(array_agg(lc.name ORDER BY e.i), '{}') FROM jsonb_array_elements(list) WITH ORDINALITY e(c, i)
  JOIN lc ON lc.id = (e.c->>'id')::uuid $$;
-- every page of conversation_page, following nextCursor
CREATE FUNCTION pg_temp.walk(tok text, lim int) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE page json; cursor text; all_pages jsonb := '[]';
BEGIN
  LOOP
    page := chat.conversation_page(tok, cursor, lim);
    all_pages := all_pages || (page->'conversations')::jsonb;
    cursor := page->>'nextCursor';
    EXIT WHEN cursor IS NULL;
  END LOOP;
  RETURN all_pages;
END $$;

-- ---- ties: chats made in one transaction, with no message yet, share updatedAt (now()) ----
INSERT INTO lc SELECT o.name, (chat.create_conversation(pg_temp.tok('lia'), ARRAY[o.id])->>'id')::uuid
FROM t o WHERE o.name IN ('lib', 'lic', 'lid', 'lie');
INSERT INTO lc SELECT 'group', (chat.create_conversation(pg_temp.tok('lia'), ARRAY[pg_temp.uid('lib'), pg_temp.uid('lic')], true, 'Lists')->>'id')::uuid;
SELECT is(pg_temp.stale(), 0::bigint, 'a new conversation''s memberships hold its list_at');
SELECT is((SELECT count(DISTINCT (c->>'updatedAt'))::int FROM jsonb_array_elements(chat.conversations(pg_temp.tok('lia'))) c), 1,
  'the five new conversations share one updatedAt');
SELECT is((SELECT array_agg((c->>'id')::uuid ORDER BY i) FROM jsonb_array_elements(chat.conversations(pg_temp.tok('lia'))) WITH ORDINALITY e(c, i)),
  (SELECT array_agg(id ORDER BY id) FROM lc), 'ties are listed by id');
SELECT is(pg_temp.walk(pg_temp.tok('lia'), 2), chat.conversations(pg_temp.tok('lia')),
  'pages of 2 cut through the ties without gaps or duplicates');
SELECT is(pg_temp.walk(pg_temp.tok('lia'), 1), chat.conversations(pg_temp.tok('lia')),
  'pages of 1 too');
SELECT is((SELECT array_agg(c->'lastMessage' ORDER BY c->>'id') FROM jsonb_array_elements(chat.conversations(pg_temp.tok('lia'))) c),
  array_fill('null'::jsonb, ARRAY[5]), 'an empty conversation has no last message');
SELECT is((SELECT sum((c->>'unreadCount')::int)::int FROM jsonb_array_elements(chat.conversations(pg_temp.tok('lia'))) c), 0,
  'and nothing unread');

-- ---- a send moves the conversation to the top for every member ----
SELECT lives_ok(format('SELECT chat.send_message(%L, %L, %L)', pg_temp.tok('lic'), (SELECT id FROM lc WHERE name = 'lic'), 'from lic'),
  'lic writes in the direct chat');
SELECT is(pg_temp.stale(), 0::bigint, 'the send kept both members'' list_at');
SELECT is((pg_temp.names(chat.conversations(pg_temp.tok('lia'))))[1], 'lic', 'the chat is on top of the receiver''s list');
SELECT is((SELECT c->>'unreadCount' FROM jsonb_array_elements(chat.conversations(pg_temp.tok('lia'))) c WHERE (c->>'id')::uuid = (SELECT id FROM lc WHERE name = 'lic')),
  '1', 'with one unread message for the receiver');
SELECT is((SELECT c->>'unreadCount' FROM jsonb_array_elements(chat.conversations(pg_temp.tok('lic'))) c WHERE (c->>'id')::uuid = (SELECT id FROM lc WHERE name = 'lic')),
  '0', 'and none for the sender');
SELECT lives_ok(format('SELECT chat.send_message(%L, %L, %L)', pg_temp.tok('lib'), (SELECT id FROM lc WHERE name = 'group'), 'to the group'),
  'lib writes in the group');
SELECT is((SELECT array_agg((pg_temp.names(chat.conversations(pg_temp.tok(n))))[1] ORDER BY n) FROM unnest(ARRAY['lia', 'lib', 'lic']) n),
  ARRAY['group', 'group', 'group'], 'the group is on top for each of its members');
SELECT is(pg_temp.walk(pg_temp.tok('lia'), 2), chat.conversations(pg_temp.tok('lia')),
  'the pages still walk the whole list');

-- ---- a batch over two conversations ----
SELECT is((SELECT count(*)::int FROM jsonb_array_elements(chat.send_messages(jsonb_build_array(
    jsonb_build_object('token', pg_temp.tok('lid'), 'conversationId', (SELECT id FROM lc WHERE name = 'lid'), 'content', 'one'),
    jsonb_build_object('token', pg_temp.tok('lia'), 'conversationId', (SELECT id FROM lc WHERE name = 'lie'), 'content', 'two'),
    jsonb_build_object('token', pg_temp.tok('lid'), 'conversationId', (SELECT id FROM lc WHERE name = 'lid'), 'content', 'three')))) a
  WHERE a ? 'message'), 3, 'a batch stores three messages in two conversations');
SELECT is(pg_temp.stale(), 0::bigint, 'the batch kept the list_at of every member of both');
SELECT is(ARRAY(SELECT unnest((pg_temp.names(chat.conversations(pg_temp.tok('lia'))))[1:2]) ORDER BY 1), ARRAY['lid', 'lie'],
  'both are on top of lia''s list');
SELECT is((SELECT c->>'unreadCount' FROM jsonb_array_elements(chat.conversations(pg_temp.tok('lia'))) c WHERE (c->>'id')::uuid = (SELECT id FROM lc WHERE name = 'lid')),
  '2', 'lia has lid''s two messages unread');
SELECT is((SELECT c->>'unreadCount' FROM jsonb_array_elements(chat.conversations(pg_temp.tok('lie'))) c WHERE (c->>'id')::uuid = (SELECT id FROM lc WHERE name = 'lie')),
  '1', 'and lie has lia''s one');

-- ---- a member who leaves, and one who comes back ----
SELECT lives_ok(format('SELECT chat.leave_conversation(%L, %L)', pg_temp.tok('lic'), (SELECT id FROM lc WHERE name = 'group')),
  'lic leaves the group');
SELECT ok(NOT (pg_temp.names(chat.conversations(pg_temp.tok('lic'))) @> ARRAY['group']), 'the group is gone from lic''s list');
SELECT is(pg_temp.walk(pg_temp.tok('lic'), 1), chat.conversations(pg_temp.tok('lic')), 'and from lic''s pages');
SELECT is((SELECT jsonb_array_length(c->'participants') FROM jsonb_array_elements(chat.conversations(pg_temp.tok('lia'))) c
    WHERE (c->>'id')::uuid = (SELECT id FROM lc WHERE name = 'group')), 2, 'the others list the group with two members');
SELECT lives_ok(format('SELECT chat.add_participants(%L, %L, ARRAY[%L]::uuid[])', pg_temp.tok('lia'), (SELECT id FROM lc WHERE name = 'group'), pg_temp.uid('lif')),
  'lif joins the group');
SELECT is(pg_temp.stale(), 0::bigint, 'a new member starts at the conversation''s list_at');
SELECT is((pg_temp.names(chat.conversations(pg_temp.tok('lif'))))[1], 'group', 'and sees it in its list');

-- ---- pages across minutes: times as sends would leave them, several chats a minute, ties ----
INSERT INTO lc SELECT 'g' || n, (chat.create_conversation(pg_temp.tok('lia'), ARRAY[pg_temp.uid('lib')], true, 'G' || n)->>'id')::uuid
FROM generate_series(1, 6) n;
CREATE TEMP TABLE times (name text, at timestamptz);
INSERT INTO times VALUES ('g1', '2026-03-01 10:00:10+00'), ('g2', '2026-03-01 10:00:50+00'),
  ('g3', '2026-03-01 10:00:50+00'), ('lid', '2026-03-01 10:00:50+00'), ('g4', '2026-03-01 10:01:00+00'),
  ('lib', '2026-03-01 10:01:00+00'), ('g5', '2026-03-01 10:01:59.999999+00'), ('group', '2026-03-01 10:01:30+00'),
  ('g6', '2026-03-01 10:02:40+00'), ('lic', '2026-03-01 10:03:00+00'), ('lie', '2026-03-01 10:02:20+00');
UPDATE chat.conversations c SET updated_at = times.at FROM times JOIN lc USING (name) WHERE c.id = lc.id;
UPDATE chat.conversation_participants p SET list_at = pg_temp.list_at(c)
FROM chat.conversations c WHERE c.id = p.conversation_id AND c.id IN (SELECT id FROM lc);
SELECT is(pg_temp.stale(), 0::bigint, 'list_at agrees with the times set');
SELECT is((SELECT array_agg((c->>'id')::uuid ORDER BY i) FROM jsonb_array_elements(chat.conversations(pg_temp.tok('lia'))) WITH ORDINALITY e(c, i)),
  (SELECT array_agg(lc.id ORDER BY c.updated_at DESC, lc.id) FROM lc JOIN chat.conversations c ON c.id = lc.id
   WHERE lc.id IN (SELECT conversation_id FROM chat.conversation_participants WHERE user_id = pg_temp.uid('lia'))),
  'the unpaged list is in (updatedAt DESC, id) order across minutes and ties');
SELECT is((SELECT array_agg(pg_temp.walk(pg_temp.tok('lia'), n) = chat.conversations(pg_temp.tok('lia'))) FROM generate_series(1, 5) n),
  ARRAY[true, true, true, true, true], 'pages of 1 to 5 walk the whole list, cutting minutes and ties anywhere');
-- after lic, lie (direct, 10:02:20) comes first in list_at, but g6 (a group, 10:02:40) stands
-- at 10:02:00 there: it is read with the groups of the minute the first rows end in
SELECT is(pg_temp.names(chat.conversations(pg_temp.tok('lia'), '2026-03-01 10:03:00+00', (SELECT id FROM lc WHERE name = 'lic'), 1)),
  ARRAY['g6'], 'a group newer than a direct chat that comes before it in list_at is on the page');
-- the cursor: the first of the three chats tied at 10:00:50
CREATE TEMP TABLE k AS SELECT timestamptz '2026-03-01 10:00:50+00' AS at,
  (SELECT min(lc.id::text)::uuid FROM lc JOIN times USING (name) WHERE times.at = '2026-03-01 10:00:50+00') AS id;
SELECT is(pg_temp.names(chat.conversations(pg_temp.tok('lia'), k.at, k.id, 3)),
  (SELECT array_agg(name ORDER BY at DESC, id) FROM (SELECT t.name, t.at, lc.id FROM times t JOIN lc USING (name)
    WHERE t.at < k.at OR (t.at = k.at AND lc.id > k.id) ORDER BY t.at DESC, lc.id LIMIT 3) x),
  'a keyset page that starts inside a tie holds the rest of the tie, then the older minutes') FROM k;

-- ---- conversations_json writes the same list as text ----
SELECT is(chat.conversations_json(pg_temp.tok('lia'))::jsonb, chat.conversations(pg_temp.tok('lia')),
  'conversations_json writes the whole list as conversations does: groups, direct and empty chats');
SELECT throws_ok(format('SELECT chat.conversations_json(%L)', 'not a token'), '28000', NULL,
  'conversations_json refuses a bad token');
SELECT ok(NOT has_function_privilege('public', 'chat.conversations_json(text)', 'EXECUTE'),
  'PUBLIC cannot call conversations_json');

SELECT * FROM finish();
ROLLBACK;
