-- Conversations: direct chats unique per pair, groups with admin rules, and a conversation one
-- is not in is indistinguishable from one that does not exist.
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(52);

CREATE TEMP TABLE t (name text PRIMARY KEY, token text, id uuid);
INSERT INTO t SELECT n, s->>'token', (s->'user'->>'id')::uuid
FROM unnest(ARRAY['ann', 'ben', 'cat', 'dan', 'eve']) n, LATERAL chat.register(n, n || '@example.com', n || ' password') s;
CREATE FUNCTION pg_temp.tok(n text) RETURNS text LANGUAGE sql AS $$ SELECT token FROM t WHERE name = n $$;
CREATE FUNCTION pg_temp.uid(n text) RETURNS uuid LANGUAGE sql AS $$ SELECT id FROM t WHERE name = n $$;
CREATE FUNCTION pg_temp.ids(VARIADIC n text[]) RETURNS uuid[] LANGUAGE sql AS $$ SELECT array_agg(id ORDER BY id) FROM t WHERE name = ANY (n) $$;

-- direct chats
CREATE TEMP TABLE d AS SELECT chat.create_conversation(pg_temp.tok('ann'), ARRAY[pg_temp.uid('ben')]) AS v;
SELECT is((SELECT v->>'isGroup' FROM d), 'false', 'create_conversation makes a direct chat');
SELECT is((SELECT jsonb_array_length(v->'participants') FROM d), 2, 'a direct chat has both users');
SELECT is((SELECT v->>'unreadCount' FROM d), '0', 'a new chat has nothing unread');
SELECT is((chat.create_conversation(pg_temp.tok('ann'), ARRAY[pg_temp.uid('ben')]))->>'id', (SELECT v->>'id' FROM d),
  'asking again returns the same direct chat');
SELECT is((chat.create_conversation(pg_temp.tok('ben'), ARRAY[pg_temp.uid('ann')]))->>'id', (SELECT v->>'id' FROM d),
  'asking from the other side returns the same direct chat');
SELECT is((chat.create_conversation(pg_temp.tok('ben'), ARRAY[pg_temp.uid('ann'), pg_temp.uid('ann'), pg_temp.uid('ben')]))->>'id', (SELECT v->>'id' FROM d),
  'duplicates and the caller in the list are ignored');
SELECT is((SELECT count(*)::int FROM chat.conversations WHERE NOT is_group AND ARRAY[direct_low, direct_high] <@ pg_temp.ids('ann', 'ben')), 1,
  'there is one direct chat for the pair');
SELECT throws_ok(format('SELECT chat.create_conversation(%L, ARRAY[%L]::uuid[])', pg_temp.tok('ann'), pg_temp.uid('ann')),
  '22023', 'a direct chat is with exactly one other user', 'a direct chat with oneself is refused');
SELECT throws_ok(format('SELECT chat.create_conversation(%L, %L)', pg_temp.tok('ann'), pg_temp.ids('ben', 'cat')),
  '22023', 'a direct chat is with exactly one other user', 'a direct chat with two others is refused');
SELECT throws_ok(format('SELECT chat.create_conversation(%L, ARRAY[%L]::uuid[])', pg_temp.tok('ann'), gen_random_uuid()),
  'P0002', 'user not found', 'a chat with an unknown user is refused');
SELECT throws_ok(format('SELECT chat.create_conversation(%L, ARRAY[NULL]::uuid[])', pg_temp.tok('ann')),
  '22023', 'participantIds must not contain null', 'a null participant is refused');
SELECT throws_ok(format('SELECT chat.create_conversation(%L, NULL)', pg_temp.tok('ann')),
  '22023', 'participantIds is required', 'a missing participant list is refused');
SELECT throws_ok(format('SELECT chat.create_conversation(%L, ARRAY[%L]::uuid[])', 'forged', pg_temp.uid('ben')),
  '28000', 'invalid or expired token', 'a bad token cannot create a chat');

-- groups
CREATE TEMP TABLE g AS SELECT chat.create_conversation(pg_temp.tok('ann'), pg_temp.ids('ben', 'cat'), true, 'Team') AS v;
SELECT is((SELECT v->>'name' FROM g), 'Team', 'a group has its name');
SELECT is((SELECT v->>'myRole' FROM g), 'admin', 'the creator of a group is its admin');
SELECT is((SELECT jsonb_array_length(v->'participants') FROM g), 3, 'a group has its creator and members');
SELECT is((SELECT p->>'role' FROM g, jsonb_array_elements(v->'participants') p WHERE p->>'username' = 'ben'), 'member',
  'the others are members');
SELECT throws_ok(format('SELECT chat.create_conversation(%L, %L, true)', pg_temp.tok('ann'), pg_temp.ids('ben')),
  '22023', 'a group needs a name', 'a group without a name is refused');
SELECT throws_ok(format('SELECT chat.create_conversation(%L, %L, true, %L)', pg_temp.tok('ann'), pg_temp.ids('ben'), repeat('n', 101)),
  '22001', 'group name must be at most 100 characters', 'a group name of 101 characters is refused');
SELECT throws_ok(format('SELECT chat.create_conversation(%L, (SELECT array_agg(gen_random_uuid()) FROM generate_series(1, 257)), true, %L)', pg_temp.tok('ann'), 'Big'),
  '22023', 'a group has at most 256 members', 'a group of 258 is refused');

-- who sees what
SELECT is((chat.conversation(pg_temp.tok('cat'), (SELECT (v->>'id')::uuid FROM g)))->>'name', 'Team', 'a member sees the group');
SELECT throws_ok(format('SELECT chat.conversation(%L, %L)', pg_temp.tok('dan'), (SELECT v->>'id' FROM g)),
  'P0002', 'conversation not found', 'a non-member is told the group does not exist');
SELECT throws_ok(format('SELECT chat.conversation(%L, %L)', pg_temp.tok('dan'), gen_random_uuid()),
  'P0002', 'conversation not found', 'a missing conversation gives the same answer');
SELECT is(jsonb_array_length(chat.conversations(pg_temp.tok('ann'))), 2, 'the list has the caller''s conversations');
SELECT is(chat.conversations(pg_temp.tok('dan')), '[]'::jsonb, 'a stranger''s list is empty');
SELECT lives_ok(format('SELECT chat.send_message(%L, %L, %L)', pg_temp.tok('ben'), (SELECT v->>'id' FROM d), 'newest'), 'a message in the direct chat');
SELECT is((chat.conversations(pg_temp.tok('ann')))->0->>'id', (SELECT v->>'id' FROM d), 'the list is newest activity first');
SELECT is((chat.conversations(pg_temp.tok('ann')))->0->'lastMessage'->>'content', 'newest', 'the list shows the last message');
SELECT is((chat.conversations(pg_temp.tok('ann')))->0->>'unreadCount', '1', 'the list counts unread messages');
SELECT is((chat.conversations(pg_temp.tok('ben')))->0->>'unreadCount', '0', 'the sender has nothing unread');

-- admin rules
SELECT is(jsonb_array_length((chat.add_participants(pg_temp.tok('ann'), (SELECT (v->>'id')::uuid FROM g), pg_temp.ids('dan')))->'participants'), 4,
  'an admin adds a member');
SELECT is(jsonb_array_length((chat.add_participants(pg_temp.tok('ann'), (SELECT (v->>'id')::uuid FROM g), pg_temp.ids('dan')))->'participants'), 4,
  'adding a member again changes nothing');
SELECT throws_ok(format('SELECT chat.add_participants(%L, %L, %L)', pg_temp.tok('ben'), (SELECT v->>'id' FROM g), pg_temp.ids('eve')),
  '42501', 'only group admins can add members', 'a member cannot add');
SELECT throws_ok(format('SELECT chat.add_participants(%L, %L, %L)', pg_temp.tok('eve'), (SELECT v->>'id' FROM g), pg_temp.ids('eve')),
  'P0002', 'conversation not found', 'a stranger cannot add himself');
SELECT throws_ok(format('SELECT chat.add_participants(%L, %L, %L)', pg_temp.tok('ann'), (SELECT v->>'id' FROM d), pg_temp.ids('eve')),
  '22023', 'a direct chat has no members to add', 'nobody is added to a direct chat');
SELECT throws_ok(format('SELECT chat.add_participants(%L, %L, ARRAY[%L]::uuid[])', pg_temp.tok('ann'), (SELECT v->>'id' FROM g), gen_random_uuid()),
  'P0002', 'user not found', 'an unknown user is not added');
SELECT throws_ok(format('SELECT chat.remove_participant(%L, %L, %L)', pg_temp.tok('ben'), (SELECT v->>'id' FROM g), pg_temp.uid('dan')),
  '42501', 'only group admins can remove members', 'a member cannot remove');
SELECT is(jsonb_array_length((chat.remove_participant(pg_temp.tok('ann'), (SELECT (v->>'id')::uuid FROM g), pg_temp.uid('dan')))->'participants'), 3,
  'an admin removes a member');
SELECT throws_ok(format('SELECT chat.conversation(%L, %L)', pg_temp.tok('dan'), (SELECT v->>'id' FROM g)),
  'P0002', 'conversation not found', 'a removed member no longer sees the group');
SELECT is(jsonb_array_length(chat.conversations(pg_temp.tok('dan'))), 0, 'the group left the removed member''s list');
SELECT throws_ok(format('SELECT chat.remove_participant(%L, %L, %L)', pg_temp.tok('ann'), (SELECT v->>'id' FROM g), pg_temp.uid('dan')),
  'P0002', 'participant not found', 'removing a non-member is refused');
SELECT throws_ok(format('SELECT chat.remove_participant(%L, %L, %L)', pg_temp.tok('ann'), (SELECT v->>'id' FROM g), pg_temp.uid('ann')),
  '22023', 'use leave_conversation to leave', 'an admin leaves by leaving, not by removing');
SELECT throws_ok(format('SELECT chat.set_participant_role(%L, %L, %L, %L)', pg_temp.tok('ann'), (SELECT v->>'id' FROM g), pg_temp.uid('ann'), 'member'),
  '22023', 'a group needs at least one admin', 'the last admin cannot be demoted');
SELECT throws_ok(format('SELECT chat.set_participant_role(%L, %L, %L, %L)', pg_temp.tok('ann'), (SELECT v->>'id' FROM g), pg_temp.uid('ben'), 'owner'),
  '22023', 'role must be "admin" or "member"', 'an unknown role is refused');
SELECT throws_ok(format('SELECT chat.set_participant_role(%L, %L, %L, %L)', pg_temp.tok('ben'), (SELECT v->>'id' FROM g), pg_temp.uid('ben'), 'admin'),
  '42501', 'only group admins can promote or demote members', 'a member cannot promote himself');
SELECT is((SELECT p->>'role' FROM jsonb_array_elements((chat.set_participant_role(pg_temp.tok('ann'), (SELECT (v->>'id')::uuid FROM g), pg_temp.uid('ben'), 'admin'))->'participants') p
  WHERE p->>'username' = 'ben'), 'admin', 'an admin promotes a member');
SELECT is((SELECT p->>'role' FROM jsonb_array_elements((chat.set_participant_role(pg_temp.tok('ben'), (SELECT (v->>'id')::uuid FROM g), pg_temp.uid('ben'), 'member'))->'participants') p
  WHERE p->>'username' = 'ben'), 'member', 'an admin may step down while another admin remains');

-- leaving
SELECT is(chat.leave_conversation(pg_temp.tok('ann'), (SELECT (v->>'id')::uuid FROM g)), '{"left": true}'::jsonb, 'the last admin leaves');
SELECT is((SELECT count(*)::int FROM chat.conversation_participants WHERE conversation_id = (SELECT (v->>'id')::uuid FROM g) AND role = 'admin'),
  1, 'a group that lost its last admin gets one of its members as admin');
SELECT throws_ok(format('SELECT chat.leave_conversation(%L, %L)', pg_temp.tok('ann'), (SELECT v->>'id' FROM g)),
  'P0002', 'conversation not found', 'leaving twice is refused');
SELECT is(chat.members((SELECT (v->>'id')::uuid FROM g)), (SELECT to_jsonb(pg_temp.ids('ben', 'cat')) FROM g),
  'members lists the ids for the bridge');
SELECT is((chat.create_conversation(pg_temp.tok('ben'), ARRAY[pg_temp.uid('ann')]))->>'id', (SELECT v->>'id' FROM d),
  'a direct chat survives and is found again');

SELECT * FROM finish();
ROLLBACK;
