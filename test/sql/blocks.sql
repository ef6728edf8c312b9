-- Blocks (1.6): a blocked user can't message the blocker, react to them or add them to a group,
-- and sees none of their presence, last seen or profile photo; the blocker unblocks.
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(34);

CREATE TEMP TABLE t (name text PRIMARY KEY, token text, id uuid);
INSERT INTO t SELECT n, s->>'token', (s->'user'->>'id')::uuid
FROM unnest(ARRAY['ann_b', 'ben_b', 'cal_b']) n, LATERAL chat.register(n, n || '@example.com', n || ' password') s;
CREATE FUNCTION pg_temp.tok(n text) RETURNS text LANGUAGE sql AS $$ SELECT token FROM t WHERE name = n $$;
CREATE FUNCTION pg_temp.uid(n text) RETURNS uuid LANGUAGE sql AS $$ SELECT id FROM t WHERE name = n $$;
CREATE FUNCTION pg_temp.ids(j jsonb) RETURNS uuid[] LANGUAGE sql AS $$ SELECT coalesce(array_agg(x::uuid ORDER BY x::uuid), '{}') FROM jsonb_array_elements_text(j) x $$;
UPDATE chat.users SET profile_photo = 'https://example.com/ann.png', last_seen_at = now(), last_seen_privacy = 'everyone' WHERE username = 'ann_b';
SELECT chat.add_contact(pg_temp.tok('ben_b'), pg_temp.uid('ann_b'));
CREATE TEMP TABLE c AS SELECT (chat.create_conversation(pg_temp.tok('ann_b'), ARRAY[pg_temp.uid('ben_b')]))->>'id' AS direct;
CREATE FUNCTION pg_temp.direct() RETURNS uuid LANGUAGE sql AS $$ SELECT direct::uuid FROM c $$;
SELECT chat.send_message(pg_temp.tok('ben_b'), pg_temp.direct(), 'before the block');
CREATE TEMP TABLE m AS SELECT id FROM chat.messages WHERE conversation_id = pg_temp.direct();

-- blocking
SELECT is((chat.block_user(pg_temp.tok('ann_b'), pg_temp.uid('ben_b')))->>'username', 'ben_b', 'block_user returns the blocked user');
SELECT ok((chat.block_user(pg_temp.tok('ann_b'), pg_temp.uid('ben_b'))) ? 'blockedAt', 'blocking again answers the same block');
SELECT is((SELECT count(*) FROM chat.blocks WHERE blocker_id = pg_temp.uid('ann_b'))::int, 1, 'one row per pair');
SELECT throws_ok(format('SELECT chat.block_user(%L, %L)', pg_temp.tok('ann_b'), pg_temp.uid('ann_b')), '22023', 'you cannot block yourself', 'no blocking oneself');
SELECT throws_ok(format('SELECT chat.block_user(%L, %L)', pg_temp.tok('ann_b'), gen_random_uuid()), 'P0002', 'user not found', 'an unknown user is not blocked');
SELECT throws_ok(format('SELECT chat.block_user(%L, %L)', 'not a token', pg_temp.uid('ben_b')), '28000', NULL, 'a bad token blocks nobody');
SELECT throws_ok(format('SELECT chat.block_user(%L, NULL)', pg_temp.tok('ann_b')), '22023', 'userId is required', 'a missing user id');
SELECT is(pg_temp.ids((SELECT jsonb_agg(u->'id') FROM jsonb_array_elements(chat.blocked_users(pg_temp.tok('ann_b'))) u)), ARRAY[pg_temp.uid('ben_b')], 'blocked_users lists the blocked');
SELECT is(chat.blocked_users(pg_temp.tok('ben_b')), '[]'::jsonb, 'blocks are one-way lists');

-- sends refused, nothing stored
SELECT throws_ok(format('SELECT chat.send_message(%L, %L, %L)', pg_temp.tok('ben_b'), pg_temp.direct(), 'hello?'), '42501', 'you can''t message this user', 'the blocked user''s send is refused');
SELECT throws_ok(format('SELECT chat.send_message(%L, %L, %L)', pg_temp.tok('ann_b'), pg_temp.direct(), 'hi'), '42501', 'you blocked this user: unblock them to send a message', 'the blocker unblocks first');
SELECT is((chat.send_messages(jsonb_build_array(
    jsonb_build_object('token', pg_temp.tok('ben_b'), 'conversationId', pg_temp.direct(), 'content', 'batched'),
    jsonb_build_object('token', pg_temp.tok('cal_b'), 'conversationId', pg_temp.direct(), 'content', 'stranger'))))
  , jsonb_build_array(jsonb_build_object('error', jsonb_build_object('sqlstate', '42501', 'message', 'you can''t message this user')),
                      jsonb_build_object('error', jsonb_build_object('sqlstate', 'P0002', 'message', 'conversation not found'))),
  'send_messages refuses the blocked item on its own (and a stranger as before)');
SELECT is((SELECT count(*) FROM chat.messages WHERE conversation_id = pg_temp.direct())::int, 1, 'nothing was stored');
SELECT is((SELECT last_seq FROM chat.conversations WHERE id = pg_temp.direct())::int, 1, 'the seq did not move');
SELECT throws_ok(format('SELECT chat.react(%L, %L, %L)', pg_temp.tok('ben_b'), (SELECT id FROM m), '👍'), '42501', 'you can''t react to this user''s messages', 'the blocked can''t react either');

-- groups
SELECT throws_ok(format('SELECT chat.create_conversation(%L, ARRAY[%L, %L]::uuid[], true, %L)', pg_temp.tok('ben_b'), pg_temp.uid('ann_b'), pg_temp.uid('cal_b'), 'g'),
  '42501', 'you can''t add ann_b to a group', 'the blocked can''t make a group with the blocker');
SELECT is((SELECT count(*) FROM chat.conversations WHERE name = 'g')::int, 0, 'no group was made');
CREATE TEMP TABLE g AS SELECT (chat.create_conversation(pg_temp.tok('ben_b'), ARRAY[pg_temp.uid('cal_b')], true, 'ben and cal'))->>'id' AS id;
SELECT throws_ok(format('SELECT chat.add_participants(%L, %L, ARRAY[%L]::uuid[])', pg_temp.tok('ben_b'), (SELECT id FROM g), pg_temp.uid('ann_b')),
  '42501', 'you can''t add ann_b to a group', 'nor add the blocker to one');
SELECT is((SELECT count(*) FROM chat.conversation_participants WHERE conversation_id = (SELECT id::uuid FROM g))::int, 2, 'nobody was added');
SELECT lives_ok(format('SELECT chat.create_conversation(%L, ARRAY[%L, %L]::uuid[], true, %L)', pg_temp.tok('ann_b'), pg_temp.uid('ben_b'), pg_temp.uid('cal_b'), 'ann adds'),
  'the blocker may still add the blocked to a group');

-- what the blocked no longer sees
SELECT is((SELECT p->>'profilePhoto' FROM jsonb_array_elements((chat.conversation(pg_temp.tok('ben_b'), pg_temp.direct()))->'participants') p WHERE p->>'username' = 'ann_b'),
  NULL, 'no profile photo of the blocker in the conversation');
SELECT is((SELECT p->>'lastSeenAt' FROM jsonb_array_elements((chat.conversation(pg_temp.tok('ben_b'), pg_temp.direct()))->'participants') p WHERE p->>'username' = 'ann_b'),
  NULL, 'no last seen of the blocker');
SELECT is((SELECT p->>'profilePhoto' FROM jsonb_array_elements((chat.conversation_page(pg_temp.tok('ben_b'))::jsonb)->'conversations') c,
  jsonb_array_elements(c->'participants') p WHERE p->>'username' = 'ann_b' LIMIT 1), NULL, 'nor in the list');
SELECT is((SELECT p->>'profilePhoto' FROM jsonb_array_elements((chat.conversation_page(pg_temp.tok('cal_b'))::jsonb)->'conversations') c,
  jsonb_array_elements(c->'participants') p WHERE p->>'username' = 'ann_b' LIMIT 1), 'https://example.com/ann.png', 'others see it in their list');
SELECT is((chat.contacts(pg_temp.tok('ben_b')))->0->>'profilePhoto', NULL, 'nor as a contact');
SELECT is((chat.contacts(pg_temp.tok('ben_b')))->0->>'lastSeenAt', NULL, 'no last seen as a contact');
SELECT is((chat.search_users(pg_temp.tok('ben_b'), 'ann_b'))->0->>'profilePhoto', NULL, 'nor in search');
SELECT is((chat.search_users(pg_temp.tok('cal_b'), 'ann_b'))->0->>'profilePhoto', 'https://example.com/ann.png', 'others still see the photo');
SELECT ok(NOT pg_temp.uid('ben_b') = ANY (pg_temp.ids(chat.presence_audience(pg_temp.uid('ann_b')))), 'the blocker''s presence does not go to the blocked');
SELECT ok(NOT pg_temp.uid('ann_b') = ANY (pg_temp.ids(chat.presence_visible(pg_temp.uid('ben_b')))), 'the blocked sees no presence of the blocker');
SELECT ok(NOT pg_temp.uid('ben_b') = ANY (pg_temp.ids((chat.presence_audiences(pg_temp.uid('ann_b')))->'lastSeen') || pg_temp.ids((chat.presence_audiences(pg_temp.uid('ann_b')))->'presenceOnly')),
  'presence_audiences leaves the blocked out');

-- unblocking
SELECT is(chat.unblock_user(pg_temp.tok('ann_b'), pg_temp.uid('ben_b')), '{"unblocked": true}'::jsonb, 'unblock_user lifts the block');
SELECT is(chat.unblock_user(pg_temp.tok('ann_b'), pg_temp.uid('ben_b')), '{"unblocked": false}'::jsonb, 'again: there was none');
SELECT is((chat.send_message(pg_temp.tok('ben_b'), pg_temp.direct(), 'friends again'))->>'seq', '2', 'the unblocked user sends again');

SELECT * FROM finish();
ROLLBACK;
