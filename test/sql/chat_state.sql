-- Per-user chat state (1.6): mute for 8 hours, a week or always; archive (out of the list until a
-- new message, unless muted); pin up to 3 chats at the top. Each member's own.
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(41);

CREATE TEMP TABLE t (name text PRIMARY KEY, token text, id uuid);
INSERT INTO t SELECT n, s->>'token', (s->'user'->>'id')::uuid
FROM unnest(ARRAY['me_s', 'p1_s', 'p2_s', 'p3_s', 'p4_s', 'p5_s']) n, LATERAL chat.register(n, n || '@example.com', n || ' password') s;
CREATE FUNCTION pg_temp.tok(n text) RETURNS text LANGUAGE sql AS $$ SELECT token FROM t WHERE name = n $$;
CREATE FUNCTION pg_temp.uid(n text) RETURNS uuid LANGUAGE sql AS $$ SELECT id FROM t WHERE name = n $$;
-- one direct chat per peer, p5's the newest
CREATE TEMP TABLE c (peer text PRIMARY KEY, id uuid);
INSERT INTO c SELECT n, ((chat.create_conversation(pg_temp.tok('me_s'), ARRAY[pg_temp.uid(n)]))->>'id')::uuid
FROM unnest(ARRAY['p1_s', 'p2_s', 'p3_s', 'p4_s', 'p5_s']) n;
SELECT chat.send_message(pg_temp.tok(peer), id, 'hello from ' || peer) FROM c ORDER BY peer;
CREATE FUNCTION pg_temp.chat(n text) RETURNS uuid LANGUAGE sql AS $$ SELECT id FROM c WHERE peer = n $$;
CREATE FUNCTION pg_temp.state(n text, changes text) RETURNS jsonb LANGUAGE sql AS $$ SELECT chat.set_conversation_state(pg_temp.tok('me_s'), pg_temp.chat(n), changes::jsonb) $$;
-- the peers of a list, in its order
CREATE FUNCTION pg_temp.order_of(list jsonb) RETURNS text[] LANGUAGE sql AS $$
  SELECT coalesce(array_agg((SELECT p->>'username' FROM jsonb_array_elements(e->'participants') p WHERE p->>'username' <> 'me_s') ORDER BY n), '{}')
  FROM jsonb_array_elements(list) WITH ORDINALITY x(e, n) $$;
CREATE FUNCTION pg_temp.page() RETURNS text[] LANGUAGE sql AS $$ SELECT pg_temp.order_of((chat.conversation_page(pg_temp.tok('me_s'))::jsonb)->'conversations') $$;

SELECT is(pg_temp.page(), ARRAY['p5_s', 'p4_s', 'p3_s', 'p2_s', 'p1_s'], 'the list, newest first');
SELECT is((SELECT jsonb_build_object('muted', e->'muted', 'archived', e->'archived', 'pinned', e->'pinned')
  FROM jsonb_array_elements((chat.conversation_page(pg_temp.tok('me_s'))::jsonb)->'conversations') e LIMIT 1),
  '{"muted": false, "archived": false, "pinned": false}'::jsonb, 'each conversation carries the caller''s state');

-- mute
SELECT ok((pg_temp.state('p1_s', '{"mute": "8h"}'))->'muted' = 'true', 'mute for 8 hours');
SELECT ok(((pg_temp.state('p1_s', '{"mute": "8h"}'))->>'mutedUntil')::timestamptz BETWEEN now() + interval '7 hours 59 minutes' AND now() + interval '8 hours 1 minute', 'until 8 hours from now');
SELECT ok(((pg_temp.state('p1_s', '{"mute": "1w"}'))->>'mutedUntil')::timestamptz BETWEEN now() + interval '6 days 23 hours' AND now() + interval '7 days 1 hour', 'or a week');
SELECT is(pg_temp.state('p1_s', '{"mute": "always"}')->'mutedUntil', 'null'::jsonb, 'always: muted with no end');
SELECT is(pg_temp.state('p1_s', '{"mute": "always"}')->'muted', 'true'::jsonb, 'muted');
SELECT is((chat.conversation(pg_temp.tok('p1_s'), pg_temp.chat('p1_s')))->'muted', 'false'::jsonb, 'muting is the caller''s own: the other member is not muted');
SELECT is(pg_temp.state('p1_s', '{"mute": null}')->'muted', 'false'::jsonb, 'null unmutes');
SELECT throws_ok(format('SELECT chat.set_conversation_state(%L, %L, %L)', pg_temp.tok('me_s'), pg_temp.chat('p1_s'), '{"mute": "forever"}'), '22023', 'mute must be "8h", "1w", "always" or null', 'an unknown duration');
SELECT throws_ok(format('SELECT chat.set_conversation_state(%L, %L, %L)', pg_temp.tok('me_s'), pg_temp.chat('p1_s'), '{"mute": 8}'), '22023', 'mute must be "8h", "1w", "always" or null', 'a number');
SELECT throws_ok(format('SELECT chat.set_conversation_state(%L, %L, %L)', pg_temp.tok('me_s'), pg_temp.chat('p1_s'), '{"archived": "yes"}'), '22023', 'archived must be true or false', 'archived takes a boolean');
SELECT throws_ok(format('SELECT chat.set_conversation_state(%L, %L, %L)', pg_temp.tok('me_s'), pg_temp.chat('p1_s'), '{"pinned": 1}'), '22023', 'pinned must be true or false', 'pinned takes a boolean');
SELECT throws_ok(format('SELECT chat.set_conversation_state(%L, %L, %L)', pg_temp.tok('me_s'), pg_temp.chat('p1_s'), '{"starred": true}'), '22023', 'unknown key "starred"', 'unknown keys are refused');
SELECT throws_ok(format('SELECT chat.set_conversation_state(%L, %L, %L)', pg_temp.tok('me_s'), pg_temp.chat('p1_s'), '[]'), '22023', 'changes must be an object', 'changes are an object');
SELECT throws_ok(format('SELECT chat.set_conversation_state(%L, %L, %L)', pg_temp.tok('me_s'), pg_temp.chat('p1_s'), '{"archived": true, "pinned": true}'), '22023', 'a chat is pinned or archived, not both', 'pinned and archived at once');
SELECT throws_ok(format('SELECT chat.set_conversation_state(%L, %L, %L)', pg_temp.tok('p2_s'), pg_temp.chat('p1_s'), '{"pinned": true}'), 'P0002', 'conversation not found', 'a stranger''s chat is not found');
SELECT throws_ok(format('SELECT chat.set_conversation_state(%L, %L, %L)', 'bad', pg_temp.chat('p1_s'), '{"pinned": true}'), '28000', NULL, 'a bad token changes nothing');

-- pin: at the top, at most 3
SELECT lives_ok($$SELECT pg_temp.state('p1_s', '{"pinned": true}'), pg_temp.state('p2_s', '{"pinned": true}')$$, 'pin two');
SELECT is(pg_temp.page(), ARRAY['p2_s', 'p1_s', 'p5_s', 'p4_s', 'p3_s'], 'pinned chats come first, the last pinned on top');
SELECT is(pg_temp.order_of(chat.conversations(pg_temp.tok('me_s'))), ARRAY['p2_s', 'p1_s', 'p5_s', 'p4_s', 'p3_s'], 'the unpaged list too');
SELECT is((chat.conversation(pg_temp.tok('p1_s'), pg_temp.chat('p1_s')))->'pinned', 'false'::jsonb, 'pins are the caller''s own');
SELECT lives_ok($$SELECT pg_temp.state('p3_s', '{"pinned": true}')$$, 'a third pin');
SELECT throws_ok($$SELECT pg_temp.state('p4_s', '{"pinned": true}')$$, '23514', 'at most 3 chats can be pinned', 'a fourth pin is refused');
SELECT is((SELECT count(*) FROM chat.conversation_participants WHERE user_id = pg_temp.uid('me_s') AND pinned_at IS NOT NULL)::int, 3, 'three stay pinned');
SELECT lives_ok($$SELECT pg_temp.state('p3_s', '{"pinned": true}')$$, 'pinning a pinned chat again is fine');
SELECT is((SELECT jsonb_array_length(j->'conversations') || ' ' || (j->>'nextCursor' IS NOT NULL) FROM (SELECT chat.conversation_page(pg_temp.tok('me_s'), NULL, 1)::jsonb j) x),
  '4 true', 'a first page holds the pinned chats above its limit, and a cursor after its last unpinned one');
SELECT is(pg_temp.order_of((chat.conversation_page(pg_temp.tok('me_s'), (chat.conversation_page(pg_temp.tok('me_s'), NULL, 1)::jsonb)->>'nextCursor', 50)::jsonb)->'conversations'),
  ARRAY['p4_s'], 'the next page has no pinned chat again');
SELECT lives_ok($$SELECT pg_temp.state('p3_s', '{"pinned": false}'), pg_temp.state('p2_s', '{"pinned": false}'), pg_temp.state('p1_s', '{"pinned": false}')$$, 'unpin');

-- archive
SELECT is(pg_temp.state('p4_s', '{"archived": true}')->'archived', 'true'::jsonb, 'archive');
SELECT is(pg_temp.page(), ARRAY['p5_s', 'p3_s', 'p2_s', 'p1_s'], 'an archived chat leaves the list');
SELECT is(pg_temp.order_of(chat.archived_conversations(pg_temp.tok('me_s'))::jsonb), ARRAY['p4_s'], 'archived_conversations lists it');
SELECT lives_ok(format('SELECT chat.send_message(%L, %L, %L)', pg_temp.tok('p4_s'), pg_temp.chat('p4_s'), 'still there?'), 'a new message');
SELECT is(pg_temp.page(), ARRAY['p4_s', 'p5_s', 'p3_s', 'p2_s', 'p1_s'], 'brings it back (WhatsApp''s rule)');
SELECT lives_ok($$SELECT pg_temp.state('p4_s', '{"archived": true, "mute": "always"}')$$, 'archive a muted chat');
SELECT lives_ok(format('SELECT chat.send_message(%L, %L, %L)', pg_temp.tok('p4_s'), pg_temp.chat('p4_s'), 'and now?'), 'another message');
SELECT is(pg_temp.page(), ARRAY['p5_s', 'p3_s', 'p2_s', 'p1_s'], 'a muted archived chat stays archived');
SELECT is(pg_temp.state('p4_s', '{"mute": null}')->'archived', 'true'::jsonb, 'and unmuting it keeps it archived');
SELECT is(pg_temp.order_of((chat.conversation_page(pg_temp.tok('p4_s'))::jsonb)->'conversations'), ARRAY['p4_s'], 'archiving is the caller''s own: the other member still lists it');
SELECT is(pg_temp.state('p4_s', '{"pinned": true}')->'archived', 'false'::jsonb, 'pinning an archived chat unarchives it');
SELECT is(pg_temp.state('p4_s', '{"archived": true}')->'pinned', 'false'::jsonb, 'archiving a pinned chat unpins it');
SELECT * FROM finish();
ROLLBACK;
