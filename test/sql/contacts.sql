-- Contacts and search: an address book per user, prefix search that never shows emails.
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(28);

CREATE TEMP TABLE t (name text PRIMARY KEY, token text, id uuid);
INSERT INTO t SELECT n, s->>'token', (s->'user'->>'id')::uuid
FROM (VALUES ('kim_c', 'Kimberly Stone'), ('kip_c', 'Kip'), ('lee_c', 'Lee Kimball'), ('pct_c', '100% Real')) v(n, dn),
  LATERAL chat.register(n, n || '@example.com', n || ' password', dn) s;
CREATE FUNCTION pg_temp.tok(n text) RETURNS text LANGUAGE sql AS $$ SELECT token FROM t WHERE name = n $$;
CREATE FUNCTION pg_temp.uid(n text) RETURNS uuid LANGUAGE sql AS $$ SELECT id FROM t WHERE name = n $$;
CREATE FUNCTION pg_temp.names(j jsonb) RETURNS text[] LANGUAGE sql AS $$ SELECT array_agg(u->>'username' ORDER BY u->>'username') FROM jsonb_array_elements(j) u $$;

SELECT is((chat.add_contact(pg_temp.tok('kim_c'), pg_temp.uid('kip_c')))->>'username', 'kip_c', 'add_contact returns the user');
SELECT lives_ok(format('SELECT chat.add_contact(%L, %L)', pg_temp.tok('kim_c'), pg_temp.uid('kip_c')), 'adding again is fine');
SELECT lives_ok(format('SELECT chat.add_contact(%L, %L)', pg_temp.tok('kim_c'), pg_temp.uid('lee_c')), 'a second contact');
SELECT is(pg_temp.names(chat.contacts(pg_temp.tok('kim_c'))), ARRAY['kip_c', 'lee_c'], 'contacts lists them once each');
SELECT ok(NOT (chat.contacts(pg_temp.tok('kim_c')))->0 ? 'email', 'contacts never show emails');
SELECT is(chat.contacts(pg_temp.tok('kip_c')), '[]'::jsonb, 'contacts are one-way');
SELECT throws_ok(format('SELECT chat.add_contact(%L, %L)', pg_temp.tok('kim_c'), pg_temp.uid('kim_c')), '22023', 'you cannot add yourself as a contact', 'no self-contact');
SELECT throws_ok(format('SELECT chat.add_contact(%L, %L)', pg_temp.tok('kim_c'), gen_random_uuid()), 'P0002', 'user not found', 'an unknown user is not added');
SELECT is(chat.remove_contact(pg_temp.tok('kim_c'), pg_temp.uid('lee_c')), '{"removed": true}'::jsonb, 'remove_contact removes');
SELECT is(chat.remove_contact(pg_temp.tok('kim_c'), pg_temp.uid('lee_c')), '{"removed": false}'::jsonb, 'removing again says so');

SELECT is(pg_temp.names(chat.search_users(pg_temp.tok('lee_c'), 'KI')), ARRAY['kim_c', 'kip_c'], 'search by username prefix, any case');
SELECT is(pg_temp.names(chat.search_users(pg_temp.tok('kip_c'), 'kim')), ARRAY['kim_c'], 'search by display name prefix; the caller is left out');
SELECT is(pg_temp.names(chat.search_users(pg_temp.tok('kip_c'), 'lee k')), ARRAY['lee_c'], 'search by a display name with a space');
SELECT is(chat.search_users(pg_temp.tok('kip_c'), '%'), '[]'::jsonb, 'a % in the query is a character, not a wildcard');
SELECT is(pg_temp.names(chat.search_users(pg_temp.tok('kip_c'), '100%')), ARRAY['pct_c'], 'a % matches itself');
SELECT ok(NOT EXISTS (SELECT 1 FROM jsonb_array_elements(chat.search_users(pg_temp.tok('kip_c'), 'k')) u WHERE u ? 'email'), 'search never shows emails');
SELECT throws_ok(format('SELECT chat.search_users(%L, %L)', pg_temp.tok('kip_c'), ''), '22023', 'query must not be empty', 'an empty query is refused');
SELECT throws_ok(format('SELECT chat.search_users(%L, %L, 51)', pg_temp.tok('kip_c'), 'k'), '22023', 'limit must be 1 to 50', 'more than 50 results are refused');

-- presence, for the bridge
SELECT lives_ok(format('SELECT chat.create_conversation(%L, ARRAY[%L]::uuid[])', pg_temp.tok('lee_c'), pg_temp.uid('pct_c')), 'lee and pct share a chat');
SELECT is(chat.presence_audience(pg_temp.uid('kip_c')), '[]'::jsonb,
  'adding someone as a contact does not show you their presence (kim added kip; kip shares no chat)');
SELECT is((SELECT array_agg(x::uuid ORDER BY x::uuid) FROM jsonb_array_elements_text(chat.presence_audience(pg_temp.uid('kim_c'))) x),
  ARRAY[pg_temp.uid('kip_c')], 'a user''s presence goes to the contacts that user keeps');
SELECT is((SELECT array_agg(x::uuid) FROM jsonb_array_elements_text(chat.presence_audience(pg_temp.uid('lee_c'))) x),
  ARRAY[pg_temp.uid('pct_c')], 'and to chat partners');
SELECT is((SELECT array_agg(x::uuid ORDER BY x::uuid) FROM jsonb_array_elements_text(chat.presence_visible(pg_temp.uid('kip_c'))) x),
  ARRAY[pg_temp.uid('kim_c')], 'a user sees the presence of those who keep them as a contact');
SELECT is(chat.presence_visible(pg_temp.uid('kim_c')), '[]'::jsonb, 'not of those they added themselves');
SELECT ok(NOT EXISTS (SELECT 1 FROM jsonb_array_elements(chat.search_users(pg_temp.tok('kip_c'), 'k')) u WHERE u ? 'lastSeenAt'),
  'search never shows when someone was last seen');
SELECT lives_ok(format('SELECT chat.set_last_seen(%L, %L), chat.set_last_seen(%L, %L)', pg_temp.uid('kim_c'), '2030-01-01 00:00+00',
  pg_temp.uid('kim_c'), '2029-01-01 00:00+00'), 'the bridge records last seen');
SELECT is((SELECT last_seen_at FROM chat.users WHERE id = pg_temp.uid('kim_c')), '2030-01-01 00:00+00'::timestamptz, 'last seen only moves forward');
SELECT is((SELECT array_agg(k ORDER BY k) FROM jsonb_object_keys((chat.contacts(pg_temp.tok('kim_c')))->0) k),
  (SELECT array_agg(k ORDER BY k) FROM chat.users u, jsonb_object_keys(chat.user_json(u)) k WHERE u.id = pg_temp.uid('kip_c')),
  'a user as the C queries show it (json.h) has the keys of chat.user_json, its released SQL twin');

SELECT * FROM finish();
ROLLBACK;
