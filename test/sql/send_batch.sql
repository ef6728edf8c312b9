-- Batched sends: send_messages answers every message of a batch in place (stored or refused),
-- stores the good ones with gapless seqs per conversation, answers repeated client ids with the
-- first message, and refuses a batch that is not an array or is too long.
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS pgcrypto;
SELECT plan(65);

CREATE TEMP TABLE t (name text PRIMARY KEY, token text, id uuid);
INSERT INTO t SELECT n, s->>'token', (s->'user'->>'id')::uuid
FROM unnest(ARRAY['ana', 'bo', 'cy', 'st']) n, LATERAL chat.register(n || '_sb', n || '_sb@example.com', n || ' password') s;
CREATE FUNCTION pg_temp.tok(n text) RETURNS text LANGUAGE sql AS $$ SELECT token FROM t WHERE name = n $$;
CREATE FUNCTION pg_temp.uid(n text) RETURNS uuid LANGUAGE sql AS $$ SELECT id FROM t WHERE name = n $$;
-- conversation a: ana and bo; conversation b: ana and cy; st is in neither
CREATE TEMP TABLE conv (name text PRIMARY KEY, id uuid);
INSERT INTO conv VALUES
  ('a', (chat.create_conversation(pg_temp.tok('ana'), ARRAY[pg_temp.uid('bo')])->>'id')::uuid),
  ('b', (chat.create_conversation(pg_temp.tok('ana'), ARRAY[pg_temp.uid('cy')])->>'id')::uuid);
CREATE FUNCTION pg_temp.cid(n text) RETURNS uuid LANGUAGE sql AS $$ SELECT id FROM conv WHERE name = n $$;
-- one element of a batch: who sends what where
CREATE FUNCTION pg_temp.msg(who text, conversation text, body text, client text DEFAULT NULL, reply uuid DEFAULT NULL)
RETURNS jsonb LANGUAGE sql AS $$
  SELECT jsonb_strip_nulls(jsonb_build_object('token', pg_temp.tok(who), 'conversationId', pg_temp.cid(conversation),
    'content', body, 'clientId', client, 'replyTo', reply))
$$;
CREATE FUNCTION pg_temp.last_seq(conversation text) RETURNS bigint LANGUAGE sql AS
  $$ SELECT last_seq FROM chat.conversations WHERE id = pg_temp.cid(conversation) $$;
CREATE FUNCTION pg_temp.read_seq(who text, conversation text) RETURNS bigint LANGUAGE sql AS
  $$ SELECT last_read_seq FROM chat.conversation_participants WHERE conversation_id = pg_temp.cid(conversation) AND user_id = pg_temp.uid(who) $$;
CREATE FUNCTION pg_temp.stored(conversation text) RETURNS int LANGUAGE sql AS
  $$ SELECT count(*)::int FROM chat.messages WHERE conversation_id = pg_temp.cid(conversation) $$;
-- an expired token signed with the real key
CREATE FUNCTION pg_temp.b64url(b bytea) RETURNS text LANGUAGE sql AS
  $$ SELECT translate(encode(b, 'base64'), E'+/=\n', '-_') $$;
CREATE FUNCTION pg_temp.expired(sub uuid) RETURNS text LANGUAGE sql AS $$
  SELECT input || '.' || pg_temp.b64url(hmac(convert_to(input, 'UTF8'), (SELECT key FROM chat.signing_key), 'sha256'))
  FROM (SELECT pg_temp.b64url(convert_to('{"alg":"HS256","typ":"JWT"}', 'UTF8')) || '.' || pg_temp.b64url(convert_to(
    format('{"sub":"%s","iss":"pgchat","iat":%s,"exp":%s}', sub, extract(epoch FROM now())::bigint - 120, extract(epoch FROM now())::bigint - 60),
    'UTF8')) AS input) i
$$;

-- a message of conversation b, to reply to from a
CREATE TEMP TABLE in_b AS SELECT chat.send_message(pg_temp.tok('cy'), pg_temp.cid('b'), 'in b') AS v;

-- a batch mixing good and refused messages
CREATE TEMP TABLE mixed AS SELECT chat.send_messages(jsonb_build_array(
  pg_temp.msg('ana', 'a', 'first'),                                                    -- 0 good
  pg_temp.msg('st', 'a', 'let me in'),                                                 -- 1 stranger
  pg_temp.msg('ana', 'a', repeat('x', 65537)),                                         -- 2 too long
  pg_temp.msg('ana', 'a', ''),                                                         -- 3 empty
  pg_temp.msg('ana', 'a', 'a reply across', NULL, (SELECT (v->>'id')::uuid FROM in_b)), -- 4 reply of b
  pg_temp.msg('ana', 'a', 'forged') || '{"token": "forged.token.here"}',               -- 5 forged token
  pg_temp.msg('ana', 'a', 'expired') || jsonb_build_object('token', pg_temp.expired(pg_temp.uid('ana'))), -- 6 expired
  '42'::jsonb,                                                                          -- 7 not an object
  pg_temp.msg('ana', 'a', 'where to?') - 'conversationId',                             -- 8 no conversation
  pg_temp.msg('bo', 'a', 'second'),                                                    -- 9 good
  pg_temp.msg('ana', 'a', 'third')                                                     -- 10 good
)) AS v;
CREATE FUNCTION pg_temp.answer(i int) RETURNS jsonb LANGUAGE sql AS $$ SELECT v->i FROM mixed $$;
CREATE FUNCTION pg_temp.refusal(i int) RETURNS text LANGUAGE sql AS
  $$ SELECT (v->i->'error'->>'sqlstate') || ' ' || (v->i->'error'->>'message') FROM mixed $$;

SELECT is((SELECT jsonb_array_length(v) FROM mixed), 11, 'a mixed batch is answered message by message');
SELECT is(pg_temp.answer(0)->'message'->>'content', 'first', 'a good message is answered with the stored message');
SELECT is(pg_temp.refusal(1), 'P0002 conversation not found', 'a non-member is refused in place with P0002');
SELECT is(pg_temp.refusal(2), '22001 content must be at most 65536 characters', 'too long content is refused in place with 22001');
SELECT is(pg_temp.refusal(3), '22023 content must not be empty', 'empty content is refused in place with 22023');
SELECT is(pg_temp.refusal(4), '22023 replyTo must be a message of the same conversation',
  'a reply to another conversation''s message is refused in place with 22023');
SELECT is(pg_temp.refusal(5), '28000 invalid or expired token', 'a forged token is refused in place with 28000');
SELECT is(pg_temp.refusal(6), '28000 invalid or expired token', 'an expired token is refused in place with 28000');
SELECT is(pg_temp.refusal(7), '22023 each message must be an object', 'an element that is not an object is refused in place');
SELECT is(pg_temp.refusal(8), '22023 conversationId must be a uuid', 'a message without conversationId is refused in place');
SELECT is((SELECT array_agg(DISTINCT (SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys(e->'error') k)::text) FROM mixed, jsonb_array_elements(v) e WHERE e ? 'error'),
  ARRAY['{message,sqlstate}'], 'every refusal says its sqlstate and message, nothing more');
SELECT is((SELECT count(*)::int FROM mixed, jsonb_array_elements(v) e WHERE e ? 'message'), 3, 'the three good messages are answered as stored');
SELECT is((SELECT array_agg((v->i->'message'->>'seq')::int ORDER BY i) FROM mixed, unnest(ARRAY[0, 9, 10]) i), ARRAY[1, 2, 3],
  'the good ones get gapless seqs in batch order');
SELECT is(pg_temp.answer(9)->'message'->>'sender_id', pg_temp.uid('bo')::text, 'each message is sent by its own token''s user');
SELECT is(pg_temp.stored('a'), 3, 'only the good messages are stored');
SELECT is((SELECT count(*)::int FROM chat.messages WHERE content IN ('let me in', 'a reply across', 'forged', 'expired', 'where to?') OR content LIKE 'xxxx%'),
  0, 'no refused message is stored anywhere');
SELECT is(pg_temp.last_seq('a'), 3::bigint, 'the conversation''s last_seq moves to the batch''s last seq');
SELECT is(pg_temp.last_seq('b'), 1::bigint, 'a conversation only named by a refused reply is untouched');
SELECT is(pg_temp.read_seq('ana', 'a'), 3::bigint, 'a sender''s read mark moves to its own last message of the batch');
SELECT is(pg_temp.read_seq('bo', 'a'), 2::bigint, 'another sender''s read mark moves to its own last message');
SELECT is((SELECT last_delivered_seq FROM chat.conversation_participants WHERE conversation_id = pg_temp.cid('a') AND user_id = pg_temp.uid('bo')),
  2::bigint, 'a sender''s delivered mark moves with its read mark');

-- everything refused
CREATE TEMP TABLE refused AS SELECT chat.send_messages(jsonb_build_array(
  pg_temp.msg('st', 'a', 'no'), pg_temp.msg('ana', 'a', ''))) AS v;
SELECT is((SELECT array_agg(e->'error'->>'sqlstate') FROM refused, jsonb_array_elements(v) e), ARRAY['P0002', '22023'],
  'a batch with nothing good answers every refusal');
SELECT is(pg_temp.last_seq('a'), 3::bigint, 'a batch with nothing good takes no seq');
SELECT is(chat.send_messages('[]'), '[]'::jsonb, 'an empty batch answers an empty array');

-- client ids repeated in one batch and across batches
CREATE TEMP TABLE dup AS SELECT chat.send_messages(jsonb_build_array(
  pg_temp.msg('ana', 'a', 'once', 'k-1'),
  pg_temp.msg('ana', 'a', 'once, retried', 'k-1'),
  pg_temp.msg('bo', 'a', 'bo has a k-1 too', 'k-1'),
  pg_temp.msg('ana', 'a', 'once, retried again', 'k-1'))) AS v;
SELECT is((SELECT v->1->'message' FROM dup), (SELECT v->0->'message' FROM dup), 'a repeated client id in a batch answers the first message');
SELECT is((SELECT v->3->'message' FROM dup), (SELECT v->0->'message' FROM dup), 'so does a third repeat');
SELECT is((SELECT v->1->'message'->>'content' FROM dup), 'once', 'the repeat''s own content is not stored');
SELECT is((SELECT count(*)::int FROM chat.messages WHERE conversation_id = pg_temp.cid('a') AND client_id = 'k-1' AND sender_id = pg_temp.uid('ana')),
  1, 'a client id repeated in a batch is stored once');
SELECT is((SELECT array_agg((e->'message'->>'seq')::int) FROM dup, jsonb_array_elements(v) e), ARRAY[4, 4, 5, 4],
  'another sender''s equal client id is another message, and repeats take no seq');
SELECT is(pg_temp.last_seq('a'), 5::bigint, 'last_seq counts only the new messages');
CREATE TEMP TABLE again AS SELECT chat.send_messages(jsonb_build_array(
  pg_temp.msg('ana', 'a', 'once, a batch later', 'k-1'), pg_temp.msg('ana', 'a', 'new', 'k-2'))) AS v;
SELECT is((SELECT v->0->'message' FROM again), (SELECT v->0->'message' FROM dup), 'a client id sent in an earlier batch answers the first message');
SELECT is((SELECT (v->1->'message'->>'seq')::int FROM again), 6, 'a resend takes no seq from the new message beside it');
SELECT is(pg_temp.last_seq('a'), 6::bigint, 'a resend across batches takes no seq');
SELECT is((SELECT count(*)::int FROM chat.messages WHERE conversation_id = pg_temp.cid('a') AND client_id = 'k-1'), 2,
  'no row is stored for a resend');
SELECT is((SELECT v->0->'error'->>'sqlstate' FROM chat.send_messages(jsonb_build_array(pg_temp.msg('st', 'a', 'peek', 'k-1'))) v), 'P0002',
  'a stranger learns nothing from another''s client id');
SELECT is((SELECT v->0->'error'->>'sqlstate' FROM chat.send_messages(jsonb_build_array(pg_temp.msg('ana', 'a', 'x', repeat('c', 65)))) v), '22023',
  'a client id of 65 bytes is refused in place');

-- order and conversations
CREATE TEMP TABLE two AS SELECT chat.send_messages(jsonb_build_array(
  pg_temp.msg('ana', 'b', 'b1'), pg_temp.msg('ana', 'a', 'a1'), pg_temp.msg('cy', 'b', 'b2'),
  pg_temp.msg('st', 'b', 'no'), pg_temp.msg('bo', 'a', 'a2'), pg_temp.msg('ana', 'b', 'b3'))) AS v;
SELECT is((SELECT array_agg(coalesce(e->'message'->>'content', e->'error'->>'sqlstate') ORDER BY n) FROM two, jsonb_array_elements(v) WITH ORDINALITY x(e, n)),
  ARRAY['b1', 'a1', 'b2', 'P0002', 'a2', 'b3'], 'the answers keep the order of the batch');
SELECT is((SELECT array_agg((e->'message'->>'seq')::int ORDER BY n) FROM two, jsonb_array_elements(v) WITH ORDINALITY x(e, n) WHERE e->'message'->>'conversationId' = pg_temp.cid('a')::text),
  ARRAY[7, 8], 'a batch over two conversations continues the first''s seqs');
SELECT is((SELECT array_agg((e->'message'->>'seq')::int ORDER BY n) FROM two, jsonb_array_elements(v) WITH ORDINALITY x(e, n) WHERE e->'message'->>'conversationId' = pg_temp.cid('b')::text),
  ARRAY[2, 3, 4], 'and the second''s, each its own range');
SELECT is(pg_temp.last_seq('a') || '/' || pg_temp.last_seq('b'), '8/4', 'each conversation''s last_seq is its own last');
SELECT is((SELECT array_agg(seq ORDER BY seq) FROM chat.messages WHERE conversation_id = pg_temp.cid('b')), ARRAY[1, 2, 3, 4]::bigint[],
  'seqs stay gapless per conversation');
SELECT is(pg_temp.read_seq('ana', 'b') || '/' || pg_temp.read_seq('cy', 'b'), '4/3', 'read marks move per conversation and sender');

-- replies
CREATE TEMP TABLE replied AS SELECT chat.send_messages(jsonb_build_array(
  pg_temp.msg('bo', 'a', 'a reply', NULL, (SELECT (v->0->'message'->>'id')::uuid FROM mixed)))) AS v;
SELECT is((SELECT v->0->'message'->>'replyTo' FROM replied), (SELECT v->0->'message'->>'id' FROM mixed), 'a reply in the same conversation is answered with replyTo');
SELECT is((SELECT reply_to_id::text FROM chat.messages WHERE id = (SELECT (v->0->'message'->>'id')::uuid FROM replied)), (SELECT v->0->'message'->>'id' FROM mixed),
  'and stored with it');
SELECT is((SELECT v->0->'error'->>'message' FROM chat.send_messages(jsonb_build_array(pg_temp.msg('ana', 'a', 'r') || '{"replyTo": "nope"}')) v),
  'replyTo must be a uuid', 'a replyTo that is not a uuid is refused in place');
SELECT is((SELECT v->0->'error'->>'sqlstate' FROM chat.send_messages(jsonb_build_array(pg_temp.msg('ana', 'a', 'r', NULL, gen_random_uuid()))) v),
  '22023', 'a reply to no message is refused in place');

-- malformed fields
SELECT is((SELECT v->0->'error'->>'message' FROM chat.send_messages(jsonb_build_array(pg_temp.msg('ana', 'a', 'x') || '{"conversationId": "not-a-uuid"}')) v),
  'conversationId must be a uuid', 'a conversationId that is not a uuid is refused in place');
SELECT is((SELECT v->0->'error'->>'message' FROM chat.send_messages(jsonb_build_array(pg_temp.msg('ana', 'a', 'x') || '{"content": 5}')) v),
  'content must be a string', 'content that is not a string is refused in place');
SELECT is((SELECT v->0->'error'->>'message' FROM chat.send_messages(jsonb_build_array(pg_temp.msg('ana', 'a', 'x') - 'content')) v),
  'content is required', 'a message without content is refused in place');
SELECT is((SELECT v->0->'error'->>'sqlstate' || ' ' || (v->0->'error'->>'message') FROM chat.send_messages(jsonb_build_array(pg_temp.msg('ana', 'a', 'x') - 'token')) v),
  '28000 a token is required', 'a message without a token is refused in place with 28000');
SELECT is((SELECT v->0->'error'->>'sqlstate' FROM chat.send_messages(jsonb_build_array(pg_temp.msg('ana', 'a', 'x') || '{"conversationId": "00000000-0000-0000-0000-000000000000"}')) v),
  'P0002', 'a conversation that does not exist is refused in place with P0002');
SELECT is(pg_temp.last_seq('a'), 9::bigint, 'refused messages took no seq');

-- the batch itself
SELECT throws_ok(format('SELECT chat.send_messages(%L)', (SELECT jsonb_agg(pg_temp.msg('ana', 'a', 'm' || i)) FROM generate_series(1, 1001) i)),
  '54000', 'a batch holds at most 1000 messages', 'a batch of 1,001 messages is refused with 54000');
SELECT is(pg_temp.last_seq('a'), 9::bigint, 'and nothing of it is stored');
SELECT is((SELECT jsonb_array_length(chat.send_messages((SELECT jsonb_agg(pg_temp.msg('ana', 'a', 'm' || i)) FROM generate_series(1, 1000) i)))),
  1000, 'a batch of 1,000 messages is taken');
SELECT is(pg_temp.last_seq('a'), 1009::bigint, 'and stored with 1,000 more seqs');
SELECT throws_ok($$ SELECT chat.send_messages('{"token": "t"}') $$, '22023', 'batch must be an array of messages', 'a batch that is an object is refused with 22023');
SELECT throws_ok($$ SELECT chat.send_messages('"x"') $$, '22023', 'batch must be an array of messages', 'a batch that is a scalar is refused with 22023');
SELECT throws_ok($$ SELECT chat.send_messages(NULL) $$, '22023', 'batch is required', 'a null batch is refused with 22023');

-- wrong types, the content limit, client ids of different senders, and how resends are marked
SELECT is((SELECT v->0->'error'->>'message' FROM chat.send_messages(jsonb_build_array(pg_temp.msg('ana', 'a', 'x') || '{"clientId": 7}')) v),
  'clientId must be a string', 'a clientId that is not a string is refused in place');
SELECT is((SELECT v->0->'error'->>'sqlstate' || ' ' || (v->0->'error'->>'message') FROM chat.send_messages(jsonb_build_array(pg_temp.msg('ana', 'a', 'x') || '{"token": 7}')) v),
  '28000 a token is required', 'a token that is not a string is refused in place with 28000');
SELECT is((SELECT v->0->'error'->>'message' FROM chat.send_messages(jsonb_build_array(pg_temp.msg('ana', 'a', 'x', E'c\u0001'))) v),
  'clientId must not contain control characters', 'a clientId with control characters is refused in place');
SELECT throws_ok(format('SELECT chat.send_messages(%L)', (SELECT jsonb_agg(pg_temp.msg('ana', 'a', repeat('x', 65536))) FROM generate_series(1, 257))),
  '54000', 'a batch holds at most 16777216 bytes of content', 'a batch over 16 MiB of content is refused whole with 54000');
CREATE TEMP TABLE shared_id AS
  SELECT chat.send_messages(jsonb_build_array(pg_temp.msg('ana', 'a', 'from ana', 'same'), pg_temp.msg('bo', 'a', 'from bo', 'same'))) v;
SELECT is((SELECT count(DISTINCT e->'message'->>'id')::int FROM shared_id, jsonb_array_elements(v) e), 2,
  'the same client id from two senders stores two messages');
SELECT is((SELECT array_agg(coalesce(e->>'resent', 'new') ORDER BY n) FROM
  chat.send_messages(jsonb_build_array(pg_temp.msg('ana', 'a', 'again', 'same'), pg_temp.msg('ana', 'a', 'fresh', 'fresh-1'))) v,
  jsonb_array_elements(v) WITH ORDINALITY x(e, n)), ARRAY['true', 'new'], 'a resend is marked resent, a new message is not');

SELECT * FROM finish();
ROLLBACK;
