-- Forward and message info (1.7): a message the caller sees goes to 1 to 5 other chats, each copy
-- the caller's, marked forwarded and checked as any send; the sender of a message sees who has
-- received and who has read it, from the receipts.
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(47);

CREATE TEMP TABLE t (name text PRIMARY KEY, token text, id uuid);
INSERT INTO t SELECT n, s->>'token', (s->'user'->>'id')::uuid
FROM unnest(ARRAY['ada_f', 'bob_f', 'cid_f', 'dan_f', 'eve_f']) n, LATERAL chat.register(n, n || '@example.com', n || ' password') s;
CREATE FUNCTION pg_temp.tok(n text) RETURNS text LANGUAGE sql AS $$ SELECT token FROM t WHERE name = n $$;
CREATE FUNCTION pg_temp.uid(n text) RETURNS uuid LANGUAGE sql AS $$ SELECT id FROM t WHERE name = n $$;
-- a group of ada, bob and cid; ada's direct chats with bob, dan and eve; bob's with dan
CREATE TEMP TABLE c (name text PRIMARY KEY, id uuid);
INSERT INTO c VALUES
  ('group', (chat.create_conversation(pg_temp.tok('ada_f'), ARRAY[pg_temp.uid('bob_f'), pg_temp.uid('cid_f')], true, 'forwarders')->>'id')::uuid),
  ('ada_bob', (chat.create_conversation(pg_temp.tok('ada_f'), ARRAY[pg_temp.uid('bob_f')])->>'id')::uuid),
  ('ada_dan', (chat.create_conversation(pg_temp.tok('ada_f'), ARRAY[pg_temp.uid('dan_f')])->>'id')::uuid),
  ('ada_eve', (chat.create_conversation(pg_temp.tok('ada_f'), ARRAY[pg_temp.uid('eve_f')])->>'id')::uuid),
  ('bob_dan', (chat.create_conversation(pg_temp.tok('bob_f'), ARRAY[pg_temp.uid('dan_f')])->>'id')::uuid);
CREATE FUNCTION pg_temp.c(n text) RETURNS uuid LANGUAGE sql AS $$ SELECT id FROM c WHERE name = n $$;
CREATE TEMP TABLE m (name text PRIMARY KEY, id uuid);
INSERT INTO m VALUES ('hello', (chat.send_message(pg_temp.tok('bob_f'), pg_temp.c('group'), 'hello from bob')->>'id')::uuid);
INSERT INTO m VALUES ('gone', (chat.send_message(pg_temp.tok('bob_f'), pg_temp.c('group'), 'soon deleted')->>'id')::uuid);
INSERT INTO m VALUES ('mine', (chat.send_message(pg_temp.tok('ada_f'), pg_temp.c('group'), 'ada in the group')->>'id')::uuid);
CREATE FUNCTION pg_temp.m(n text) RETURNS uuid LANGUAGE sql AS $$ SELECT id FROM m WHERE name = n $$;
CREATE FUNCTION pg_temp.fwd(who text, msg text, targets text[], client_id text DEFAULT NULL) RETURNS jsonb LANGUAGE sql AS $$
  SELECT chat.forward_message(pg_temp.tok(who), pg_temp.m(msg), (SELECT array_agg(pg_temp.c(x) ORDER BY i) FROM unnest(targets) WITH ORDINALITY u(x, i)), client_id) $$;

-- ---- forward ----
CREATE TEMP TABLE f AS SELECT pg_temp.fwd('ada_f', 'hello', ARRAY['ada_dan', 'ada_eve']) AS r;
SELECT is((SELECT r->>'messageId' FROM f), pg_temp.m('hello')::text, 'the answer names the message forwarded');
SELECT is((SELECT jsonb_agg(x->>'conversationId') FROM f, jsonb_array_elements(r->'results') x),
  jsonb_build_array(pg_temp.c('ada_dan'), pg_temp.c('ada_eve')), 'one result per target, in order');
SELECT is((SELECT jsonb_agg(jsonb_build_array(x->'message'->>'content', x->'message'->>'sender_id', x->'message'->'forwarded', x->'message'->'seq')) FROM f, jsonb_array_elements(r->'results') x),
  jsonb_build_array(jsonb_build_array('hello from bob', pg_temp.uid('ada_f'), true, 1), jsonb_build_array('hello from bob', pg_temp.uid('ada_f'), true, 1)),
  'each copy is the forwarder''s, with the text, marked forwarded, the next seq of its chat');
SELECT is((SELECT count(*)::int FROM f, jsonb_array_elements(r->'results') x WHERE (x->'message')::text LIKE '%' || pg_temp.uid('bob_f') || '%'), 0,
  'the original sender is not named');
SELECT is(chat.messages(pg_temp.tok('dan_f'), pg_temp.c('ada_dan'))->0->'forwarded', 'true'::jsonb, 'the receiver''s page shows it forwarded');
SELECT is(chat.messages_after(pg_temp.tok('eve_f'), pg_temp.c('ada_eve'), 0)->0->>'content', 'hello from bob', 'and the catch-up');
SELECT is((chat.event_messages(ARRAY[pg_temp.c('ada_dan')], ARRAY[1::bigint], ARRAY[1::bigint]))->0->'forwarded', 'true'::jsonb, 'the bridge''s fetch of a doorbell carries the mark');
SELECT is(chat.messages(pg_temp.tok('bob_f'), pg_temp.c('group'))->0->'forwarded', 'false'::jsonb, 'a message sent is not forwarded');
SELECT is((chat.conversation(pg_temp.tok('dan_f'), pg_temp.c('ada_dan')))->>'unreadCount', '1', 'the receiver has it unread, as any new message');
SELECT is((chat.conversation(pg_temp.tok('ada_f'), pg_temp.c('ada_dan')))->>'unreadCount', '0', 'the forwarder has read it, as any send');
SELECT is((SELECT count(*)::int FROM chat.messages WHERE is_forwarded), 2, 'two rows stored');
SELECT is(pg_temp.fwd('ada_f', 'mine', ARRAY['group'])->'results'->0->'message'->>'seq', '4', 'a message goes to its own chat too');
SELECT is(pg_temp.fwd('ada_f', 'mine', ARRAY['ada_bob'], 'fw-1')->'results'->0->'message'->>'seq', '1', 'with a client id');
CREATE TEMP TABLE again AS SELECT pg_temp.fwd('ada_f', 'mine', ARRAY['ada_bob'], 'fw-1')->'results'->0 AS r;
SELECT is((SELECT r FROM again), jsonb_build_object('conversationId', pg_temp.c('ada_bob'), 'message', (chat.messages(pg_temp.tok('ada_f'), pg_temp.c('ada_bob'))->0) - 'reactions', 'resent', true),
  'a retry with the same client id answers the first message, resent');
SELECT is((SELECT last_seq FROM chat.conversations WHERE id = pg_temp.c('ada_bob'))::int, 1, 'and stores nothing more');

-- each target on its own
CREATE TEMP TABLE mixed AS SELECT pg_temp.fwd('bob_f', 'hello', ARRAY['bob_dan', 'ada_dan', 'ada_bob']) AS r;
SELECT is((SELECT r->'results'->1->'error' FROM mixed), '{"code": "not_found", "sqlstate": "P0002", "message": "conversation not found"}'::jsonb,
  'a chat the forwarder is not in: not found');
SELECT is((SELECT jsonb_build_array(r->'results'->0->'message'->>'content', r->'results'->2->'message'->>'content') FROM mixed), '["hello from bob", "hello from bob"]'::jsonb,
  'the others are sent');
SELECT is((SELECT last_seq FROM chat.conversations WHERE id = pg_temp.c('ada_dan'))::int, 1, 'nothing stored in the chat refused');
SELECT lives_ok($$SELECT chat.block_user(pg_temp.tok('eve_f'), pg_temp.uid('ada_f'))$$, 'eve blocks ada');
CREATE TEMP TABLE blocked AS SELECT pg_temp.fwd('ada_f', 'hello', ARRAY['ada_eve', 'ada_dan'])->'results' AS r;
SELECT is((SELECT r FROM blocked), jsonb_build_array(
    jsonb_build_object('conversationId', pg_temp.c('ada_eve'), 'error', jsonb_build_object('code', 'forbidden', 'sqlstate', '42501', 'message', 'you can''t message this user')),
    jsonb_build_object('conversationId', pg_temp.c('ada_dan'), 'message', (chat.messages(pg_temp.tok('dan_f'), pg_temp.c('ada_dan'))->-1) - 'reactions')),
  'a user who blocked the forwarder is refused, the other target served');
SELECT is((SELECT last_seq FROM chat.conversations WHERE id = pg_temp.c('ada_eve'))::int, 1, 'nothing stored for the blocker');
SELECT throws_ok($$SELECT pg_temp.fwd('eve_f', 'hello', ARRAY['ada_eve'])$$, 'P0002', 'message not found', 'a message of a chat one is not in is not found');

-- what the forwarder sees
SELECT lives_ok($$SELECT chat.hide_message(pg_temp.tok('cid_f'), pg_temp.m('hello'))$$, 'cid deletes a message for himself');
SELECT throws_ok($$SELECT pg_temp.fwd('cid_f', 'hello', ARRAY['group'])$$, 'P0002', 'message not found', 'a message hidden for the forwarder is not found');
SELECT lives_ok($$SELECT chat.add_participants(pg_temp.tok('ada_f'), pg_temp.c('group'), ARRAY[pg_temp.uid('dan_f')])$$, 'dan joins the group');
SELECT throws_ok($$SELECT pg_temp.fwd('dan_f', 'hello', ARRAY['bob_dan'])$$, 'P0002', 'message not found', 'a message from before one joined is not found');
SELECT lives_ok($$SELECT chat.delete_message(pg_temp.tok('bob_f'), pg_temp.m('gone'))$$, 'bob deletes a message for everyone');
SELECT throws_ok($$SELECT pg_temp.fwd('ada_f', 'gone', ARRAY['ada_bob'])$$, '22023', 'a deleted message cannot be forwarded', 'a deleted message is not forwarded');
SELECT throws_ok(format('SELECT chat.forward_message(%L, %L, ARRAY[%L]::uuid[])', pg_temp.tok('ada_f'), gen_random_uuid(), pg_temp.c('ada_bob')), 'P0002', 'message not found', 'an unknown message');

-- bad input: nothing stored
CREATE TEMP TABLE before AS SELECT count(*) AS n FROM chat.messages;
SELECT throws_ok(format('SELECT chat.forward_message(%L, %L, ARRAY[]::uuid[])', pg_temp.tok('ada_f'), pg_temp.m('mine')), '22023', 'a message is forwarded to 1 to 5 conversations', 'an empty list');
SELECT throws_ok(format('SELECT chat.forward_message(%L, %L, (SELECT array_agg(gen_random_uuid()) FROM generate_series(1, 6)))', pg_temp.tok('ada_f'), pg_temp.m('mine')),
  '22023', 'a message is forwarded to 1 to 5 conversations', 'six targets are too many');
SELECT throws_ok($$SELECT pg_temp.fwd('ada_f', 'mine', ARRAY['ada_bob', 'ada_dan', 'ada_bob'])$$, '22023', 'conversationIds must not name a conversation twice', 'a target twice');
SELECT throws_ok(format('SELECT chat.forward_message(%L, %L, ARRAY[NULL]::uuid[])', pg_temp.tok('ada_f'), pg_temp.m('mine')), '22023', 'conversationIds must not hold nulls', 'a null target');
SELECT throws_ok(format('SELECT chat.forward_message(%L, %L, NULL)', pg_temp.tok('ada_f'), pg_temp.m('mine')), '22023', 'conversationIds is required', 'no targets');
SELECT throws_ok(format('SELECT chat.forward_message(%L, NULL, ARRAY[%L]::uuid[])', pg_temp.tok('ada_f'), pg_temp.c('ada_bob')), '22023', 'messageId is required', 'no message');
SELECT throws_ok(format('SELECT chat.forward_message(%L, %L, ARRAY[%L]::uuid[], %L)', pg_temp.tok('ada_f'), pg_temp.m('mine'), pg_temp.c('ada_bob'), ''), '22023', 'clientId must be 1 to 64 bytes', 'an empty client id');
SELECT throws_ok(format('SELECT chat.forward_message(%L, %L, ARRAY[%L]::uuid[])', 'not a token', pg_temp.m('mine'), pg_temp.c('ada_bob')), '28000', NULL, 'a bad token');
SELECT is((SELECT count(*) FROM chat.messages), (SELECT n FROM before), 'no bad call stored anything');

-- ---- message info ----
-- the group's members when 'mine' (seq 3) was sent: bob and cid. cid read it, bob got it only.
SELECT lives_ok($$SELECT chat.mark_delivered(pg_temp.tok('bob_f'), pg_temp.c('group'), 3), chat.mark_read(pg_temp.tok('cid_f'), pg_temp.c('group'), 3)$$, 'bob receives, cid reads');
CREATE FUNCTION pg_temp.names(j jsonb) RETURNS text LANGUAGE sql AS $$ SELECT coalesce(string_agg(x->>'username', ',' ORDER BY x->>'username'), '') FROM jsonb_array_elements(j) x $$;
SELECT is((SELECT jsonb_build_array(i->>'messageId', i->>'conversationId', i->'seq', pg_temp.names(i->'readBy'), pg_temp.names(i->'deliveredTo'), pg_temp.names(i->'pending'))
    FROM chat.message_info(pg_temp.tok('ada_f'), pg_temp.m('mine')) i),
  jsonb_build_array(pg_temp.m('mine'), pg_temp.c('group'), 3, 'cid_f', 'bob_f', ''),
  'the sender sees who read and who received it; dan, who joined after, is in no list');
SELECT is((chat.message_info(pg_temp.tok('ada_f'), pg_temp.m('mine'))->'readBy'->0) - 'profilePhoto',
  jsonb_build_object('id', pg_temp.uid('cid_f'), 'username', 'cid_f', 'displayName', 'cid_f'), 'each reader as a user');
SELECT lives_ok($$SELECT chat.mark_read(pg_temp.tok('bob_f'), pg_temp.c('group'), 4)$$, 'bob reads on');
SELECT is(pg_temp.names(chat.message_info(pg_temp.tok('ada_f'), pg_temp.m('mine'))->'readBy') || '|' || pg_temp.names(chat.message_info(pg_temp.tok('ada_f'), pg_temp.m('mine'))->'deliveredTo'),
  'bob_f,cid_f|', 'a later mark counts: both have read it');
SELECT is(pg_temp.names(chat.message_info(pg_temp.tok('ada_f'), (SELECT (chat.messages(pg_temp.tok('ada_f'), pg_temp.c('ada_dan'))->0->>'id')::uuid))->'pending'), 'dan_f',
  'in a direct chat: not yet received');
SELECT throws_ok($$SELECT chat.message_info(pg_temp.tok('cid_f'), pg_temp.m('mine'))$$, '42501', 'only the sender of a message sees its info', 'another member is refused');
SELECT throws_ok($$SELECT chat.message_info(pg_temp.tok('eve_f'), pg_temp.m('mine'))$$, 'P0002', 'message not found', 'a non-member: not found');
SELECT throws_ok(format('SELECT chat.message_info(%L, NULL)', pg_temp.tok('ada_f')), '22023', 'messageId is required', 'no message');

SELECT * FROM finish();
ROLLBACK;
