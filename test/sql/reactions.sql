-- Reactions and delete for me (1.6): one emoji per member per message, changed or removed, with
-- counts and who reacted; a message deleted for oneself is hidden from that member only.
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(30);

CREATE TEMP TABLE t (name text PRIMARY KEY, token text, id uuid);
INSERT INTO t SELECT n, s->>'token', (s->'user'->>'id')::uuid
FROM unnest(ARRAY['ada_r', 'bob_r', 'cid_r', 'out_r']) n, LATERAL chat.register(n, n || '@example.com', n || ' password') s;
CREATE FUNCTION pg_temp.tok(n text) RETURNS text LANGUAGE sql AS $$ SELECT token FROM t WHERE name = n $$;
CREATE FUNCTION pg_temp.uid(n text) RETURNS uuid LANGUAGE sql AS $$ SELECT id FROM t WHERE name = n $$;
CREATE TEMP TABLE g AS SELECT ((chat.create_conversation(pg_temp.tok('ada_r'), ARRAY[pg_temp.uid('bob_r'), pg_temp.uid('cid_r')], true, 'reactors'))->>'id')::uuid AS id;
CREATE FUNCTION pg_temp.g() RETURNS uuid LANGUAGE sql AS $$ SELECT id FROM g $$;
CREATE TEMP TABLE m AS SELECT n, ((chat.send_message(pg_temp.tok('ada_r'), pg_temp.g(), 'message ' || n))->>'id')::uuid AS id FROM generate_series(1, 3) n;
CREATE FUNCTION pg_temp.m(k int) RETURNS uuid LANGUAGE sql AS $$ SELECT id FROM m WHERE n = k $$;
CREATE FUNCTION pg_temp.react(who text, k int, emoji text) RETURNS jsonb LANGUAGE sql AS $$ SELECT chat.react(pg_temp.tok(who), pg_temp.m(k), emoji) $$;

-- reactions
SELECT is(pg_temp.react('bob_r', 1, '👍')->'reactions', jsonb_build_array(jsonb_build_object('emoji', '👍', 'count', 1, 'userIds', jsonb_build_array(pg_temp.uid('bob_r')))),
  'a reaction answers the message with its reactions');
SELECT is(pg_temp.react('cid_r', 1, '👍')->'reactions'->0->'count', '2'::jsonb, 'counted per emoji');
SELECT is(pg_temp.react('ada_r', 1, '❤️')->'reactions', jsonb_build_array(
    jsonb_build_object('emoji', '👍', 'count', 2, 'userIds', jsonb_build_array(pg_temp.uid('bob_r'), pg_temp.uid('cid_r'))),
    jsonb_build_object('emoji', '❤️', 'count', 1, 'userIds', jsonb_build_array(pg_temp.uid('ada_r')))),
  'most given first, each with who reacted');
SELECT is(pg_temp.react('bob_r', 1, '😂')->'reactions'->0->'count', '1'::jsonb, 'a member has one reaction: changing it replaces it');
SELECT is((SELECT count(*) FROM chat.reactions WHERE user_id = pg_temp.uid('bob_r'))::int, 1, 'one row per member and message');
SELECT is(jsonb_array_length(pg_temp.react('bob_r', 1, NULL)->'reactions'), 2, 'null removes it');
SELECT is(jsonb_array_length(pg_temp.react('bob_r', 1, NULL)->'reactions'), 2, 'removing again changes nothing');
SELECT is(jsonb_array_length(pg_temp.react('bob_r', 2, '🇬🇷')->'reactions'), 1, 'a flag is one emoji');
SELECT lives_ok($$SELECT pg_temp.react('bob_r', 3, '1️⃣'), pg_temp.react('cid_r', 3, '👩‍👩‍👧‍👦')$$, 'keycaps and families are too');
SELECT is((SELECT jsonb_agg(e->'reactions'->0->>'emoji' ORDER BY e->>'seq') FROM jsonb_array_elements(chat.messages(pg_temp.tok('cid_r'), pg_temp.g())) e),
  '["👍", "🇬🇷", "1️⃣"]'::jsonb, 'pages show the reactions');
SELECT is((chat.messages_after(pg_temp.tok('cid_r'), pg_temp.g(), 0))->0->'reactions'->0->>'emoji', '👍', 'so does the catch-up');
SELECT is((chat.event_message(pg_temp.g(), 1))->'reactions'->0->>'emoji', '👍', 'and the bridge''s fetch of a change');
SELECT throws_ok($$SELECT pg_temp.react('out_r', 1, '👍')$$, 'P0002', 'message not found', 'a non-member can''t react (not found, as elsewhere)');
SELECT throws_ok(format('SELECT chat.react(%L, %L, %L)', pg_temp.tok('bob_r'), gen_random_uuid(), '👍'), 'P0002', 'message not found', 'an unknown message');
SELECT throws_ok($$SELECT pg_temp.react('bob_r', 1, '')$$, '22023', 'emoji must be one emoji', 'an empty emoji');
SELECT throws_ok($$SELECT pg_temp.react('bob_r', 1, 'lol')$$, '22023', 'emoji must be one emoji', 'words are not emoji');
SELECT throws_ok($$SELECT pg_temp.react('bob_r', 1, '👍 👍')$$, '22023', 'emoji must be one emoji', 'no spaces');
SELECT throws_ok($$SELECT pg_temp.react('bob_r', 1, repeat('👍', 11))$$, '22023', 'emoji must be one emoji', 'too long');
SELECT throws_ok(format('SELECT chat.react(%L, %L, %L)', pg_temp.tok('bob_r'), pg_temp.m(1), E'\U0001F44D\n'), '22023', 'emoji must be one emoji', 'no control characters');
SELECT throws_ok(format('SELECT chat.react(%L, %L, %L)', 'bad', pg_temp.m(1), '👍'), '28000', NULL, 'a bad token reacts to nothing');
SELECT lives_ok(format('SELECT chat.delete_message(%L, %L)', pg_temp.tok('ada_r'), pg_temp.m(3)), 'a message deleted for everyone');
SELECT throws_ok($$SELECT pg_temp.react('bob_r', 3, '👍')$$, '22023', 'a deleted message cannot be reacted to', 'takes no new reaction');

-- delete for me
SELECT is(chat.hide_message(pg_temp.tok('bob_r'), pg_temp.m(2)), jsonb_build_object('conversationId', pg_temp.g(), 'messageId', pg_temp.m(2), 'seq', 2, 'hidden', true),
  'hide_message answers what it hid');
SELECT is(chat.hide_message(pg_temp.tok('bob_r'), pg_temp.m(2)), jsonb_build_object('conversationId', pg_temp.g(), 'messageId', pg_temp.m(2), 'seq', 2, 'hidden', true),
  'again: the same answer');
SELECT is((SELECT jsonb_agg(e->'seq' ORDER BY e->>'seq') FROM jsonb_array_elements(chat.messages(pg_temp.tok('bob_r'), pg_temp.g())) e), '[1, 3]'::jsonb, 'the message is gone from the member''s pages');
SELECT is((SELECT jsonb_agg(e->'seq' ORDER BY e->>'seq') FROM jsonb_array_elements(chat.messages_after(pg_temp.tok('bob_r'), pg_temp.g(), 0)) e), '[1, 3]'::jsonb, 'and catch-up');
SELECT is((SELECT jsonb_agg(e->'seq' ORDER BY e->>'seq') FROM jsonb_array_elements(chat.messages(pg_temp.tok('cid_r'), pg_temp.g())) e), '[1, 2, 3]'::jsonb, 'the others still see it');
SELECT lives_ok(format('SELECT chat.hide_message(%L, %L)', pg_temp.tok('bob_r'), pg_temp.m(3)), 'hide the last message');
SELECT is((chat.conversation(pg_temp.tok('bob_r'), pg_temp.g()))->'lastMessage'->'seq', '1'::jsonb, 'the last message shown is the last one not hidden');
SELECT throws_ok(format('SELECT chat.hide_message(%L, %L)', pg_temp.tok('out_r'), pg_temp.m(1)), 'P0002', 'message not found', 'a non-member hides nothing');

SELECT * FROM finish();
ROLLBACK;
