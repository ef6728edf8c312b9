-- Bounds on what one user can make the database write or answer: message content holds no control
-- characters but line breaks and tabs, and a page of history stops at about 1 MiB of content
-- (one message at least), whatever limit was asked; the client goes on from its last seq.
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(13);

CREATE TEMP TABLE t AS SELECT
  chat.register('bound_a', 'bound_a@example.com', 'bound a password') AS a,
  chat.register('bound_b', 'bound_b@example.com', 'bound b password') AS b;
CREATE TEMP TABLE c AS SELECT (chat.create_conversation((SELECT a->>'token' FROM t),
  ARRAY[(SELECT (b->'user'->>'id')::uuid FROM t)])->>'id')::uuid AS id;
CREATE FUNCTION pg_temp.tok() RETURNS text LANGUAGE sql AS $$ SELECT a->>'token' FROM t $$;
CREATE FUNCTION pg_temp.conv() RETURNS uuid LANGUAGE sql AS $$ SELECT id FROM c $$;

SELECT throws_ok(format('SELECT chat.send_message(%L, %L, %L)', pg_temp.tok(), pg_temp.conv(), E'bell\u0007'),
  '22023', 'content must not contain control characters', 'a control character is refused');
SELECT throws_ok(format('SELECT chat.send_message(%L, %L, %L)', pg_temp.tok(), pg_temp.conv(), E'\u001b[31mred'),
  '22023', 'content must not contain control characters', 'an escape sequence is refused');
SELECT throws_ok(format('SELECT chat.send_message(%L, %L, %L)', pg_temp.tok(), pg_temp.conv(), E'carriage\rreturn'),
  '22023', 'content must not contain control characters', 'a carriage return is refused (clients send \n)');
SELECT is(chat.send_message(pg_temp.tok(), pg_temp.conv(), E'two\nlines\tand a tab')->>'content', E'two\nlines\tand a tab',
  'line breaks and tabs are kept');
SELECT is((SELECT count(*)::int FROM chat.messages WHERE conversation_id = pg_temp.conv()), 1, 'only that one was stored');
SELECT is((chat.send_messages(jsonb_build_array(
    jsonb_build_object('token', pg_temp.tok(), 'conversationId', pg_temp.conv(), 'content', E'\u0001'),
    jsonb_build_object('token', pg_temp.tok(), 'conversationId', pg_temp.conv(), 'content', 'fine'))))->0->'error'->>'message',
  'content must not contain control characters', 'in a batch, the message with a control character is refused');
SELECT is((SELECT count(*)::int FROM chat.messages WHERE conversation_id = pg_temp.conv()), 2, 'and the other one stored');
SELECT throws_ok(format('SELECT chat.edit_message(%L, %L, %L)', pg_temp.tok(),
    (SELECT id FROM chat.messages WHERE conversation_id = pg_temp.conv() AND seq = 1), E'edited\u0002'),
  '22023', 'content must not contain control characters', 'an edit with a control character is refused');

-- seven messages of 60,000 four-byte characters (240,000 bytes each, seqs 3 to 9): a page holds
-- what starts within 1 MiB of content, five of them, then stops
SELECT chat.send_message(pg_temp.tok(), pg_temp.conv(), repeat(U&'\+01D11E', 60000)) FROM generate_series(1, 7);
SELECT is(jsonb_array_length(chat.messages(pg_temp.tok(), pg_temp.conv(), NULL, 100)), 5,
  'the newest page stops after 1 MiB of content (five of the seven)');
SELECT is((SELECT array_agg((m->>'seq')::int) FROM jsonb_array_elements(chat.messages(pg_temp.tok(), pg_temp.conv(), NULL, 100)) m),
  ARRAY[5, 6, 7, 8, 9], 'and holds the newest ones, in order');
SELECT is((SELECT array_agg((m->>'seq')::int) FROM jsonb_array_elements(chat.messages_after(pg_temp.tok(), pg_temp.conv(), 2, 500)) m),
  ARRAY[3, 4, 5, 6, 7], 'catching up stops the same way, from the oldest');
SELECT is((SELECT array_agg((m->>'seq')::int) FROM jsonb_array_elements(chat.messages_after(pg_temp.tok(), pg_temp.conv(), 7, 500)) m),
  ARRAY[8, 9], 'and goes on from the last seq it answered');
SELECT is(jsonb_array_length(chat.messages(pg_temp.tok(), pg_temp.conv(), NULL, 2)), 2, 'a small limit still wins');

SELECT * FROM finish();
ROLLBACK;
