-- Statistics views (1.1): they count what the API wrote, recent messages included, they are
-- readable by superusers and by roles given chat.grant_stats only, and they say what they are.
-- Counts are compared before and after, so data other tests left behind does not matter.
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(22);

SELECT has_view('chat', 'stats', 'chat.stats exists');
SELECT has_view('chat', 'largest_conversations', 'chat.largest_conversations exists');
SELECT has_view('chat', 'messages_per_hour', 'chat.messages_per_hour exists');
SELECT has_view('chat', 'table_sizes', 'chat.table_sizes exists');

CREATE TEMP TABLE before AS SELECT * FROM chat.stats;
CREATE TEMP TABLE before_hours AS SELECT sum(messages) AS messages FROM chat.messages_per_hour;

CREATE TEMP TABLE t (name text PRIMARY KEY, token text, id uuid);
INSERT INTO t SELECT n, s->>'token', (s->'user'->>'id')::uuid
FROM unnest(ARRAY['sta', 'stb', 'stc']) n, LATERAL chat.register(n, n || '@example.com', n || ' password') s;
CREATE FUNCTION pg_temp.tok(n text) RETURNS text LANGUAGE sql AS $$ SELECT token FROM t WHERE name = n $$;
CREATE FUNCTION pg_temp.uid(n text) RETURNS uuid LANGUAGE sql AS $$ SELECT id FROM t WHERE name = n $$;

CREATE TEMP TABLE c AS SELECT
  (chat.create_conversation(pg_temp.tok('sta'), ARRAY[pg_temp.uid('stb')]))->>'id' AS direct,
  (chat.create_conversation(pg_temp.tok('sta'), ARRAY[pg_temp.uid('stb'), pg_temp.uid('stc')], true, 'Stats group'))->>'id' AS grp;
SELECT chat.send_message(pg_temp.tok('sta'), (SELECT direct::uuid FROM c), 'one', 'st-1');
SELECT chat.send_message(pg_temp.tok('stb'), (SELECT direct::uuid FROM c), 'two', 'st-2');
SELECT chat.send_message(pg_temp.tok('stc'), (SELECT grp::uuid FROM c), 'three', 'st-3');
SELECT chat.delete_message(pg_temp.tok('stc'), (SELECT id FROM chat.messages WHERE client_id = 'st-3'));
SELECT chat.send_message(pg_temp.tok('stc'), (SELECT grp::uuid FROM c), 'three', 'st-3');
SELECT chat.add_contact(pg_temp.tok('sta'), pg_temp.uid('stc'));

CREATE TEMP TABLE d AS SELECT a.users - b.users AS users, a.conversations - b.conversations AS conversations,
  a.direct_conversations - b.direct_conversations AS direct_conversations, a.groups - b.groups AS groups,
  a.memberships - b.memberships AS memberships, a.contacts - b.contacts AS contacts,
  a.messages - b.messages AS messages, a.messages_last_hour - b.messages_last_hour AS messages_last_hour,
  a.messages_last_day - b.messages_last_day AS messages_last_day,
  a.users_joined_last_day - b.users_joined_last_day AS users_joined_last_day,
  a.conversations_active_last_day - b.conversations_active_last_day AS conversations_active_last_day
FROM chat.stats a, before b;

SELECT is((SELECT users FROM d), 3::bigint, 'stats counts new users');
SELECT is((SELECT users_joined_last_day FROM d), 3::bigint, 'stats counts users who joined in the last day');
SELECT is((SELECT direct_conversations || ',' || groups || ',' || conversations FROM d), '1,1,2',
  'stats counts direct chats and groups');
SELECT is((SELECT memberships FROM d), 5::bigint, 'stats counts memberships');
SELECT is((SELECT contacts FROM d), 1::bigint, 'stats counts contacts');
SELECT is((SELECT messages FROM d), 3::bigint, 'stats counts each message once, a deleted one and a resend included');
SELECT is((SELECT messages_last_hour || ',' || messages_last_day FROM d), '3,3', 'stats counts the messages of the last hour and day');
SELECT is((SELECT conversations_active_last_day FROM d), 2::bigint, 'stats counts conversations active in the last day');
SELECT ok((SELECT senders_last_day >= 3 AND total_bytes > 0 AND secret_rotated_at IS NOT NULL FROM chat.stats),
  'stats has senders, the size of the tables and when the secret was rotated');

SELECT is((SELECT messages || ',' || members || ',' || is_group FROM chat.largest_conversations WHERE id = (SELECT grp::uuid FROM c)),
  '1,3,true', 'largest_conversations shows a group with its messages and members');
SELECT is((SELECT count(*) FROM chat.messages_per_hour), 24::bigint, 'messages_per_hour has the last 24 hours');
SELECT is((SELECT sum(messages) FROM chat.messages_per_hour) - (SELECT messages FROM before_hours), 3::numeric,
  'messages_per_hour counts the new messages');
SELECT is((SELECT array_agg(table_name::text ORDER BY table_name) FROM chat.table_sizes),
  (SELECT array_agg(relname::text ORDER BY relname) FROM pg_class WHERE relnamespace = 'chat'::regnamespace AND relkind = 'r'),
  'table_sizes lists every chat table');

CREATE ROLE chat_test_monitor LOGIN;
CREATE ROLE chat_test_api LOGIN;
SELECT chat.grant_api('chat_test_api');
SELECT ok(NOT has_table_privilege('chat_test_api', 'chat.stats', 'SELECT'), 'the API role cannot read the statistics');
SELECT lives_ok($$ SELECT chat.grant_stats('chat_test_monitor') $$, 'grant_stats gives a role the statistics');
SET ROLE chat_test_monitor;
SELECT ok((SELECT users > 0 FROM chat.stats), 'a monitoring role reads chat.stats');
SELECT throws_ok($$ SELECT count(*) FROM chat.users $$, '42501', NULL, 'a monitoring role still cannot read a table');
RESET ROLE;
SELECT throws_ok($$ SELECT chat.grant_stats('no such role"; DROP TABLE chat.users; --') $$, '42704', NULL,
  'grant_stats refuses an unknown role, whatever its name');

SELECT * FROM finish();
ROLLBACK;
