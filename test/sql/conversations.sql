-- Conversations: direct chats unique per pair, groups with admin rules, and a conversation one
-- is not in is indistinguishable from one that does not exist.
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(95);

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

-- the list by keyset pages: pam has a direct chat with each of the others; a message from each
-- in turn (ann first) puts eve's chat on top. send_message stamps clock_timestamp(), so the
-- order is strict inside this one transaction.
INSERT INTO t SELECT 'pam', s->>'token', (s->'user'->>'id')::uuid FROM chat.register('pam', 'pam@example.com', 'pam password') s;
CREATE TEMP TABLE pc (name text PRIMARY KEY, id uuid, n int);
INSERT INTO pc SELECT o.name, (chat.create_conversation(pg_temp.tok('pam'), ARRAY[o.id])->>'id')::uuid, o.n
FROM (SELECT name, id, row_number() OVER (ORDER BY name) n FROM t WHERE name <> 'pam') o;
SELECT is(count(chat.send_message(pg_temp.tok(name), id, 'hello from ' || name))::int, 5, 'each of pam''s five peers says hello, ann first')
FROM (SELECT * FROM pc ORDER BY n) s;
CREATE FUNCTION pg_temp.names(list jsonb) RETURNS text[] LANGUAGE sql AS $$
  SELECT coalesce(array_agg(pc.name ORDER BY e.i), '{}') FROM jsonb_array_elements(list) WITH ORDINALITY e(c, i) JOIN pc ON pc.id = (e.c->>'id')::uuid $$;
-- the page after the last conversation of list, at most lim
CREATE FUNCTION pg_temp.after(list jsonb, lim int) RETURNS jsonb LANGUAGE sql AS $$
  SELECT chat.conversations(pg_temp.tok('pam'), (list->-1->>'updatedAt')::timestamptz, (list->-1->>'id')::uuid, lim) $$;
-- every page of conversation_page, following nextCursor
CREATE FUNCTION pg_temp.walk(tok text, lim int) RETURNS jsonb LANGUAGE plpgsql AS $$
DECLARE page json; cursor text; all_pages jsonb := '[]';
BEGIN
  LOOP
    page := chat.conversation_page(tok, cursor, lim);
    all_pages := all_pages || (page->'conversations')::jsonb;
    cursor := page->>'nextCursor';
    EXIT WHEN cursor IS NULL;
  END LOOP;
  RETURN all_pages;
END $$;

SELECT is(pg_temp.names(chat.conversations(pg_temp.tok('pam'))), ARRAY['eve', 'dan', 'cat', 'ben', 'ann'],
  'the unpaged call lists every conversation, newest activity first');
SELECT is(pg_temp.names(chat.conversations(pg_temp.tok('pam'), NULL, NULL, 2)), ARRAY['eve', 'dan'],
  'a first page holds the lim newest conversations');
SELECT is(pg_temp.names(pg_temp.after(chat.conversations(pg_temp.tok('pam'), NULL, NULL, 2), 2)), ARRAY['cat', 'ben'],
  'the next page starts just after the last conversation of the previous one');
SELECT is(pg_temp.names(pg_temp.after(chat.conversations(pg_temp.tok('pam'), NULL, NULL, 4), 2)), ARRAY['ann'],
  'the last page holds what is left');
SELECT is(jsonb_array_length(chat.conversations(pg_temp.tok('pam'), NULL, NULL)), 5,
  'without a limit a page holds up to 50');
SELECT is(pg_temp.names(pg_temp.after(chat.conversations(pg_temp.tok('pam'), NULL, NULL, 1), NULL)), ARRAY['dan', 'cat', 'ben', 'ann'],
  'a null limit lists the rest of the list after the cursor');
SELECT is(pg_temp.walk(pg_temp.tok('pam'), 2), chat.conversations(pg_temp.tok('pam')),
  'walking conversation_page by nextCursor gives the unpaged list: no duplicates, no gaps');
SELECT is((chat.conversation_page(pg_temp.tok('pam'), NULL, 5))->>'nextCursor', NULL,
  'nextCursor is null when no conversation follows the page');
SELECT matches((chat.conversation_page(pg_temp.tok('pam'), NULL, 4))->>'nextCursor', '^[0-9]+_[0-9a-f-]{36}$',
  'nextCursor is set when a conversation follows the page');
SELECT is((chat.conversation_page(pg_temp.tok('pam'), NULL, 3)::jsonb)->'conversations',
  (SELECT jsonb_agg(c ORDER BY i) FROM jsonb_array_elements(chat.conversations(pg_temp.tok('pam'))) WITH ORDINALITY e(c, i) WHERE i <= 3),
  'conversation_page writes the same conversations as chat.conversations');

-- a message while paging: the list is read after the cursor each time, so a conversation that
-- moves above the cursor is not on a later page (the client has it from message_received), and
-- nothing below the cursor is skipped or repeated
CREATE TEMP TABLE first_page AS SELECT chat.conversations(pg_temp.tok('pam'), NULL, NULL, 2) AS v;
SELECT lives_ok(format('SELECT chat.send_message(%L, %L, %L)', pg_temp.tok('ben'), (SELECT id FROM pc WHERE name = 'ben'), 'ben again'),
  'ben writes again after pam read her first page');
SELECT is(pg_temp.names(pg_temp.after((SELECT v FROM first_page), 10)), ARRAY['cat', 'ann'],
  'a conversation moved to the top while paging is not repeated, and no other is skipped');
SELECT lives_ok(format('SELECT chat.send_message(%L, %L, %L)', pg_temp.tok('eve'), (SELECT id FROM pc WHERE name = 'eve'), 'eve again'),
  'eve writes again');
SELECT is(pg_temp.names(pg_temp.after((SELECT v FROM first_page), 10)), ARRAY['cat', 'ann'],
  'a conversation already seen that moves to the top does not come back on a later page');
SELECT is(pg_temp.names(chat.conversations(pg_temp.tok('pam'), NULL, NULL, 2)), ARRAY['eve', 'ben'],
  'a fresh first page shows the moved conversations on top');

-- equal updatedAt (chats made in one transaction, no message yet) page by id, without gaps; as a
-- send would, the update keeps list_at, where each membership stands in lists (1.3)
UPDATE chat.conversations SET updated_at = '2026-01-01 00:00:00+00' WHERE id IN (SELECT id FROM pc);
UPDATE chat.conversation_participants SET list_at = '2026-01-01 00:00:00+00' WHERE conversation_id IN (SELECT id FROM pc);
SELECT is(pg_temp.walk(pg_temp.tok('pam'), 2), chat.conversations(pg_temp.tok('pam')),
  'conversations with the same updatedAt page by id without gaps or duplicates');
SELECT is((SELECT array_agg((c->>'id')::uuid ORDER BY i) FROM jsonb_array_elements(chat.conversations(pg_temp.tok('pam'))) WITH ORDINALITY e(c, i)),
  (SELECT array_agg(id ORDER BY id) FROM pc), 'ties are listed by id');

-- unread counts are last_seq - last_read_seq, exact on every page
SELECT is(count(chat.send_message(pg_temp.tok('cat'), (SELECT id FROM pc WHERE name = 'cat'), 'cat ' || g))::int, 3, 'cat writes three messages')
FROM generate_series(1, 3) g;
SELECT lives_ok(format('SELECT chat.mark_read(%L, %L, 2)', pg_temp.tok('pam'), (SELECT id FROM pc WHERE name = 'cat')), 'pam reads cat''s first two');
SELECT is((SELECT (c->>'unreadCount')::int FROM jsonb_array_elements(chat.conversations(pg_temp.tok('pam'), NULL, NULL, 1)) c), 2,
  'a page counts unread messages exactly');
SELECT is((SELECT (c->>'unreadCount')::int FROM jsonb_array_elements(chat.conversations(pg_temp.tok('cat'))) c WHERE (c->>'id')::uuid = (SELECT id FROM pc WHERE name = 'cat')), 0,
  'the sender has nothing unread on the list');
SELECT is((chat.conversation_page(pg_temp.tok('pam'), NULL, 1))->'conversations'->0->'lastMessage'->>'content', 'cat 3',
  'a page shows the last message');
SELECT lives_ok(format('SELECT chat.send_message(%L, %L, %L)', pg_temp.tok('cat'), (SELECT id FROM pc WHERE name = 'cat'),
  E'"quotes" \\ back\\slash\nnew line\ttab \u00e9t\u00e9 \U0001F600 </script>'), 'cat sends text that JSON must escape');
-- a control character, as a message stored before 1.3 refused them may hold
UPDATE chat.messages SET content = content || E' \x01' WHERE content LIKE '"quotes"%';
SELECT is((chat.conversation_page(pg_temp.tok('pam'), NULL, 5)::jsonb)->'conversations', chat.conversations(pg_temp.tok('pam'), NULL, NULL, 5),
  'conversation_page escapes text exactly as jsonb does');

-- who sees what
CREATE TEMP TABLE lone AS SELECT s->>'token' AS token FROM chat.register('lone', 'lone@example.com', 'lone password') s;
SELECT is(chat.conversations((SELECT token FROM lone), NULL, NULL), '[]'::jsonb, 'a user in no conversation gets an empty page');
SELECT is((chat.conversation_page((SELECT token FROM lone)))::jsonb, '{"conversations": [], "nextCursor": null}'::jsonb,
  'conversation_page of a user in no conversation is empty and final');
SELECT is((chat.conversation_page((SELECT token FROM lone), (chat.conversation_page(pg_temp.tok('pam'), NULL, 1))->>'nextCursor'))::jsonb,
  '{"conversations": [], "nextCursor": null}'::jsonb, 'another user''s cursor shows nothing of that user''s list');
SELECT throws_ok(format('SELECT chat.conversation_page(%L)', 'forged'), '28000', 'invalid or expired token',
  'conversation_page refuses a bad token');

-- bounds and malformed cursors
SELECT throws_ok(format('SELECT chat.conversations(%L, NULL, NULL, 0)', pg_temp.tok('pam')), '22023', 'limit must be 1 to 200',
  'a limit below 1 is refused');
SELECT throws_ok(format('SELECT chat.conversations(%L, NULL, NULL, 201)', pg_temp.tok('pam')), '22023', 'limit must be 1 to 200',
  'a limit above 200 is refused');
SELECT throws_ok(format('SELECT chat.conversation_page(%L, NULL, 0)', pg_temp.tok('pam')), '22023', 'limit must be 1 to 200',
  'conversation_page refuses a limit below 1');
SELECT is(json_array_length(chat.conversation_page(pg_temp.tok('pam'), NULL, NULL)->'conversations'), 5,
  'conversation_page with a null limit pages by 50');
SELECT throws_ok(format('SELECT chat.conversations(%L, now(), NULL, 5)', pg_temp.tok('pam')), '22023',
  'before_updated_at and before_id go together', 'half a cursor is refused');
SELECT throws_ok(format('SELECT chat.conversation_page(%L, %L)', pg_temp.tok('pam'), c), '22023', 'cursor is malformed',
  format('the malformed cursor %L is refused', c))
FROM unnest(ARRAY['', 'x', '12', '12_', '_0b6c5f0e-1f7a-4b8e-9a51-0c1d2e3f4a5b', '12_0B6C5F0E-1F7A-4B8E-9A51-0C1D2E3F4A5B',
  '12_0b6c5f0e1f7a4b8e9a510c1d2e3f4a5b', '12_0b6c5f0e-1f7a-4b8e-9a51-0c1d2e3f4a5b0', '9999999999999999999_0b6c5f0e-1f7a-4b8e-9a51-0c1d2e3f4a5b']) c;

SELECT * FROM finish();
ROLLBACK;
