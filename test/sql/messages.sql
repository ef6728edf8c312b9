-- Messages: member-only sending with gapless seq, idempotent resends, pages and catch-up,
-- edits and deletes by the sender, receipts that only move forward.
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(61);

CREATE TEMP TABLE t (name text PRIMARY KEY, token text, id uuid);
INSERT INTO t SELECT n, s->>'token', (s->'user'->>'id')::uuid
FROM unnest(ARRAY['mia', 'max', 'mo', 'out']) n, LATERAL chat.register(n || '_m', n || '@example.com', n || ' password') s;
CREATE FUNCTION pg_temp.tok(n text) RETURNS text LANGUAGE sql AS $$ SELECT token FROM t WHERE name = n $$;
CREATE FUNCTION pg_temp.uid(n text) RETURNS uuid LANGUAGE sql AS $$ SELECT id FROM t WHERE name = n $$;
CREATE TEMP TABLE c AS SELECT (chat.create_conversation(pg_temp.tok('mia'), ARRAY[pg_temp.uid('max'), pg_temp.uid('mo')], true, 'M'))->>'id' AS id;
CREATE TEMP TABLE other AS SELECT (chat.create_conversation(pg_temp.tok('mia'), ARRAY[pg_temp.uid('out')]))->>'id' AS id;
CREATE FUNCTION pg_temp.cid() RETURNS uuid LANGUAGE sql AS $$ SELECT id::uuid FROM c $$;
CREATE FUNCTION pg_temp.send(n text, body text, client text DEFAULT NULL) RETURNS jsonb LANGUAGE sql AS
  $$ SELECT chat.send_message(pg_temp.tok(n), pg_temp.cid(), body, client) $$;

-- sending
CREATE TEMP TABLE first AS SELECT pg_temp.send('mia', 'one', 'client-1') AS v;
SELECT is((SELECT v->>'seq' FROM first), '1', 'the first message has seq 1');
SELECT is((SELECT v->>'sender_id' FROM first), pg_temp.uid('mia')::text, 'the sender is the token''s user');
SELECT is((SELECT v->>'clientId' FROM first), 'client-1', 'the client id is kept');
SELECT is((SELECT v->>'conversationId' FROM first), (SELECT id FROM c), 'the message names its conversation');
SELECT ok((SELECT v ?& ARRAY['id', 'seq', 'conversationId', 'sender_id', 'content', 'created_at', 'isEdited', 'isDeleted', 'replyTo'] FROM first),
  'the message has the keys clients rely on');
SELECT is((pg_temp.send('max', 'two'))->>'seq', '2', 'the next message has seq 2');
SELECT is((pg_temp.send('mia', 'one again', 'client-1'))->>'id', (SELECT v->>'id' FROM first), 'a resend returns the first message');
SELECT is((SELECT count(*)::int FROM chat.messages WHERE conversation_id = pg_temp.cid()), 2, 'a resend stores nothing');
SELECT is((SELECT last_seq FROM chat.conversations WHERE id = pg_temp.cid()), 2::bigint, 'a resend takes no seq');
SELECT is((pg_temp.send('max', 'max uses the same client id', 'client-1'))->>'seq', '3', 'another sender''s equal client id is another message');
SELECT is((SELECT (chat.send_message(pg_temp.tok('mia'), pg_temp.cid(), 'a reply', NULL, (SELECT (v->>'id')::uuid FROM first)))->>'replyTo'),
  (SELECT v->>'id' FROM first), 'a reply names its message');
SELECT throws_ok(format('SELECT chat.send_message(%L, %L, %L, NULL, %L)', pg_temp.tok('mia'), (SELECT id FROM other), 'x', (SELECT v->>'id' FROM first)),
  '22023', 'replyTo must be a message of the same conversation', 'a reply to another conversation''s message is refused');
SELECT throws_ok(format('SELECT chat.send_message(%L, %L, %L)', pg_temp.tok('out'), pg_temp.cid(), 'let me in'),
  'P0002', 'conversation not found', 'a non-member cannot send');
SELECT throws_ok(format('SELECT chat.send_message(%L, %L, %L)', pg_temp.tok('out'), gen_random_uuid(), 'hello'),
  'P0002', 'conversation not found', 'a missing conversation gives the same answer');
SELECT throws_ok(format('SELECT chat.send_message(%L, %L, %L, %L)', pg_temp.tok('out'), pg_temp.cid(), 'resend?', 'client-1'),
  'P0002', 'conversation not found', 'a non-member learns nothing from a client id');
SELECT throws_ok(format('SELECT chat.send_message(%L, %L, %L)', pg_temp.tok('mia'), pg_temp.cid(), ''),
  '22023', 'content must not be empty', 'empty content is refused');
SELECT throws_ok(format('SELECT chat.send_message(%L, %L, NULL)', pg_temp.tok('mia'), pg_temp.cid()),
  '22023', 'content is required', 'null content is refused');
SELECT throws_ok(format('SELECT chat.send_message(%L, %L, repeat(%L, 65537))', pg_temp.tok('mia'), pg_temp.cid(), 'x'),
  '22001', 'content must be at most 65536 characters', 'content of 65,537 characters is refused');
SELECT is(char_length((chat.send_message(pg_temp.tok('mia'), pg_temp.cid(), repeat('é', 65536)))->>'content'), 65536,
  'content of 65,536 characters (two bytes each) is taken whole');
SELECT throws_ok(format('SELECT chat.send_message(%L, %L, %L, %L)', pg_temp.tok('mia'), pg_temp.cid(), 'x', repeat('c', 65)),
  '22023', 'clientId must be 1 to 64 bytes', 'a client id of 65 bytes is refused');
SELECT throws_ok(format('SELECT chat.send_message(%L, %L, %L)', 'forged.token.here', pg_temp.cid(), 'x'),
  '28000', 'invalid or expired token', 'a forged token cannot send');
SELECT is((SELECT last_seq FROM chat.conversations WHERE id = pg_temp.cid()), 5::bigint, 'refused sends take no seq');

-- pages and catch-up
SELECT lives_ok($$ SELECT pg_temp.send('mo', 'message ' || i) FROM generate_series(6, 30) i $$, '25 more messages');
SELECT is((SELECT array_agg((m->>'seq')::int) FROM jsonb_array_elements(chat.messages(pg_temp.tok('mo'), pg_temp.cid(), NULL, 3)) m),
  ARRAY[28, 29, 30], 'the newest page, in seq order');
SELECT is((SELECT array_agg((m->>'seq')::int) FROM jsonb_array_elements(chat.messages(pg_temp.tok('mo'), pg_temp.cid(), 28, 3)) m),
  ARRAY[25, 26, 27], 'the page before seq 28');
SELECT is(jsonb_array_length(chat.messages(pg_temp.tok('mo'), pg_temp.cid())), 30, 'a page is 50 by default');
SELECT is(chat.messages(pg_temp.tok('mo'), pg_temp.cid(), 1), '[]'::jsonb, 'nothing before the first message');
SELECT is((SELECT array_agg((m->>'seq')::int) FROM jsonb_array_elements(chat.messages_after(pg_temp.tok('mo'), pg_temp.cid(), 27)) m),
  ARRAY[28, 29, 30], 'catch-up after seq 27');
SELECT is((SELECT array_agg((m->>'seq')::int) FROM jsonb_array_elements(chat.messages_after(pg_temp.tok('mo'), pg_temp.cid(), 0, 2)) m),
  ARRAY[1, 2], 'catch-up is bounded by its limit');
SELECT throws_ok(format('SELECT chat.messages(%L, %L, NULL, 101)', pg_temp.tok('mo'), pg_temp.cid()), '22023', 'limit must be 1 to 100', 'a page of 101 is refused');
SELECT throws_ok(format('SELECT chat.messages(%L, %L, NULL, 0)', pg_temp.tok('mo'), pg_temp.cid()), '22023', 'limit must be 1 to 100', 'a page of 0 is refused');
SELECT throws_ok(format('SELECT chat.messages_after(%L, %L, 0, 501)', pg_temp.tok('mo'), pg_temp.cid()), '22023', 'limit must be 1 to 500', 'a catch-up of 501 is refused');
SELECT throws_ok(format('SELECT chat.messages(%L, %L, -1)', pg_temp.tok('mo'), pg_temp.cid()), '22023', 'before must not be negative', 'a negative seq is refused');
SELECT throws_ok(format('SELECT chat.messages_after(%L, %L, NULL)', pg_temp.tok('mo'), pg_temp.cid()), '22023', 'after is required', 'catch-up needs a seq');
SELECT throws_ok(format('SELECT chat.messages(%L, %L)', pg_temp.tok('out'), pg_temp.cid()), 'P0002', 'conversation not found', 'a non-member cannot read');
SELECT throws_ok(format('SELECT chat.messages_after(%L, %L, 0)', pg_temp.tok('out'), pg_temp.cid()), 'P0002', 'conversation not found', 'a non-member cannot catch up');

-- edits and deletes
SELECT is((chat.edit_message(pg_temp.tok('mia'), (SELECT (v->>'id')::uuid FROM first), 'one, edited'))->>'isEdited', 'true', 'the sender edits');
SELECT is((SELECT content FROM chat.messages WHERE id = (SELECT (v->>'id')::uuid FROM first)), 'one, edited', 'the edit is stored');
SELECT throws_ok(format('SELECT chat.edit_message(%L, %L, %L)', pg_temp.tok('max'), (SELECT v->>'id' FROM first), 'mine now'),
  '42501', 'only the sender can edit a message', 'another member cannot edit');
SELECT throws_ok(format('SELECT chat.edit_message(%L, %L, %L)', pg_temp.tok('out'), (SELECT v->>'id' FROM first), 'mine now'),
  'P0002', 'message not found', 'a non-member cannot edit, nor learn the message exists');
SELECT throws_ok(format('SELECT chat.edit_message(%L, %L, %L)', pg_temp.tok('mia'), (SELECT v->>'id' FROM first), ''),
  '22023', 'content must not be empty', 'an edit to nothing is refused');
SELECT throws_ok(format('SELECT chat.delete_message(%L, %L)', pg_temp.tok('max'), (SELECT v->>'id' FROM first)),
  '42501', 'only the sender can delete a message', 'another member cannot delete');
CREATE TEMP TABLE gone AS SELECT chat.delete_message(pg_temp.tok('mia'), (SELECT (v->>'id')::uuid FROM first)) AS v;
SELECT is((SELECT v->>'isDeleted' || '/' || (v->>'content') FROM gone), 'true/', 'a delete clears the content for everyone');
SELECT is((SELECT m->>'isDeleted' FROM jsonb_array_elements(chat.messages_after(pg_temp.tok('max'), pg_temp.cid(), 0, 1)) m), 'true',
  'a deleted message is still listed, as deleted');
SELECT is(chat.delete_message(pg_temp.tok('mia'), (SELECT (v->>'id')::uuid FROM first)) - 'updatedAt', (SELECT v - 'updatedAt' FROM gone),
  'deleting again gives the same message');
SELECT throws_ok(format('SELECT chat.edit_message(%L, %L, %L)', pg_temp.tok('mia'), (SELECT v->>'id' FROM first), 'back'),
  '22023', 'a deleted message cannot be edited', 'a deleted message cannot be edited');

-- receipts
SELECT is(chat.mark_delivered(pg_temp.tok('max'), pg_temp.cid(), 10) - 'conversationId',
  jsonb_build_object('userId', pg_temp.uid('max'), 'deliveredSeq', 10, 'readSeq', 3), 'mark_delivered moves delivery forward');
SELECT is(chat.mark_read(pg_temp.tok('max'), pg_temp.cid(), 20) - 'conversationId' - 'userId',
  '{"deliveredSeq": 20, "readSeq": 20}'::jsonb, 'mark_read moves reading (and delivery) forward');
SELECT is(chat.mark_read(pg_temp.tok('max'), pg_temp.cid(), 5) - 'conversationId' - 'userId',
  '{"deliveredSeq": 20, "readSeq": 20}'::jsonb, 'mark_read never moves back');
SELECT is(chat.mark_delivered(pg_temp.tok('max'), pg_temp.cid(), 15) - 'conversationId' - 'userId',
  '{"deliveredSeq": 20, "readSeq": 20}'::jsonb, 'mark_delivered never moves back');
SELECT is(chat.mark_read(pg_temp.tok('max'), pg_temp.cid(), 1000) - 'conversationId' - 'userId',
  '{"deliveredSeq": 30, "readSeq": 30}'::jsonb, 'mark_read stops at the last message');
SELECT is((chat.conversation(pg_temp.tok('max'), pg_temp.cid()))->>'unreadCount', '0', 'read to the end, nothing is unread');
SELECT is((chat.conversation(pg_temp.tok('mia'), pg_temp.cid()))->>'unreadCount', '25', 'another member''s unread count counts from their own last send');
SELECT throws_ok(format('SELECT chat.mark_read(%L, %L, 1)', pg_temp.tok('out'), pg_temp.cid()), 'P0002', 'conversation not found', 'a non-member has no receipts');
SELECT throws_ok(format('SELECT chat.mark_read(%L, %L, -5)', pg_temp.tok('max'), pg_temp.cid()), '22023', 'seq must not be negative', 'a negative seq is refused');

-- the bridge's fetch of an event by reference
SELECT is((chat.event_message(pg_temp.cid(), 2))->>'content', 'two', 'event_message fetches a message by conversation and seq');
SELECT throws_ok(format('SELECT chat.event_message(%L, 100000)', pg_temp.cid()), 'P0002', 'message not found', 'event_message refuses an unknown seq');
SELECT throws_ok('SELECT chat.members(NULL)', '22023', 'conversationId is required', 'members refuses a null conversation');

-- a removed member stops
SELECT lives_ok(format('SELECT chat.remove_participant(%L, %L, %L)', pg_temp.tok('mia'), pg_temp.cid(), pg_temp.uid('mo')), 'mo is removed');
SELECT throws_ok(format('SELECT chat.send_message(%L, %L, %L)', pg_temp.tok('mo'), pg_temp.cid(), 'still here?'),
  'P0002', 'conversation not found', 'a removed member cannot send');
SELECT throws_ok(format('SELECT chat.messages_after(%L, %L, 0)', pg_temp.tok('mo'), pg_temp.cid()),
  'P0002', 'conversation not found', 'a removed member cannot catch up');

SELECT * FROM finish();
ROLLBACK;
