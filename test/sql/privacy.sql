-- Privacy (1.4): a member added to a group sees its history from their joining on, through every
-- function that answers messages; a last-seen setting (everyone, contacts, nobody) that every
-- lastSeenAt obeys; registration that does not say whether an email has an account.
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(66);

CREATE TEMP TABLE t (name text PRIMARY KEY, token text, id uuid);
INSERT INTO t SELECT n, s->>'token', (s->'user'->>'id')::uuid
FROM unnest(ARRAY['ann', 'bo', 'cy', 'dee', 'eve']) n, LATERAL chat.register(n || '_p', n || '_p@example.com', n || ' password') s;
CREATE FUNCTION pg_temp.tok(n text) RETURNS text LANGUAGE sql AS $$ SELECT token FROM t WHERE name = n $$;
CREATE FUNCTION pg_temp.uid(n text) RETURNS uuid LANGUAGE sql AS $$ SELECT id FROM t WHERE name = n $$;
CREATE TEMP TABLE c AS SELECT (chat.create_conversation(pg_temp.tok('ann'), ARRAY[pg_temp.uid('bo')], true, 'P'))->>'id' AS id;
CREATE FUNCTION pg_temp.cid() RETURNS uuid LANGUAGE sql AS $$ SELECT id::uuid FROM c $$;
CREATE FUNCTION pg_temp.send(n text, body text) RETURNS jsonb LANGUAGE sql AS
  $$ SELECT chat.send_message(pg_temp.tok(n), pg_temp.cid(), body) $$;
CREATE FUNCTION pg_temp.seqs(page jsonb) RETURNS int[] LANGUAGE sql AS
  $$ SELECT coalesce(array_agg((m->>'seq')::int ORDER BY (m->>'seq')::int), '{}') FROM jsonb_array_elements(page) m $$;
-- the conversation as n sees it in each list function
CREATE FUNCTION pg_temp.listed(n text) RETURNS jsonb LANGUAGE sql AS
  $$ SELECT x FROM jsonb_array_elements(chat.conversations(pg_temp.tok(n))) x WHERE x->>'id' = pg_temp.cid()::text $$;
CREATE FUNCTION pg_temp.paged(n text) RETURNS jsonb LANGUAGE sql AS
  $$ SELECT x FROM jsonb_array_elements((chat.conversation_page(pg_temp.tok(n), NULL, 50))::jsonb->'conversations') x
     WHERE x->>'id' = pg_temp.cid()::text $$;
CREATE FUNCTION pg_temp.listed_json(n text) RETURNS jsonb LANGUAGE sql AS
  $$ SELECT x FROM jsonb_array_elements((chat.conversations_json(pg_temp.tok(n)))::jsonb) x WHERE x->>'id' = pg_temp.cid()::text $$;

-- ---- history from one's joining on ----
CREATE TEMP TABLE early AS
  SELECT pg_temp.send('ann', 'before cy: one') AS one, pg_temp.send('ann', 'before cy: two') AS two,
         pg_temp.send('bo', 'before cy: three, by bo') AS three;
SELECT lives_ok(format('SELECT chat.add_participants(%L, %L, ARRAY[%L]::uuid[])', pg_temp.tok('ann'), pg_temp.cid(), pg_temp.uid('cy')),
  'an admin adds cy after three messages');
SELECT is((SELECT joined_seq FROM chat.conversation_participants WHERE conversation_id = pg_temp.cid() AND user_id = pg_temp.uid('cy')),
  3::bigint, 'cy joined at the group''s last seq');
SELECT is((SELECT joined_seq FROM chat.conversation_participants WHERE conversation_id = pg_temp.cid() AND user_id = pg_temp.uid('bo')),
  0::bigint, 'a member the group was created with joined at 0');
SELECT is(pg_temp.seqs(chat.messages(pg_temp.tok('cy'), pg_temp.cid())), '{}'::int[], 'messages: a late joiner sees no earlier message');
SELECT is(pg_temp.seqs(chat.messages_after(pg_temp.tok('cy'), pg_temp.cid(), 0)), '{}'::int[], 'messages_after: nor catching up from 0');
SELECT is((chat.conversation(pg_temp.tok('cy'), pg_temp.cid()))->'lastMessage', 'null'::jsonb, 'conversation: no last message from before');
SELECT is((chat.conversation(pg_temp.tok('cy'), pg_temp.cid()))->>'unreadCount', '0', 'conversation: nothing before is unread');
SELECT is(pg_temp.listed('cy')->'lastMessage', 'null'::jsonb, 'conversations (jsonb): no last message from before');
SELECT is(pg_temp.listed('cy')->>'unreadCount', '0', 'conversations (jsonb): nothing unread');
SELECT is(pg_temp.paged('cy')->'lastMessage', 'null'::jsonb, 'conversation_page: no last message from before');
SELECT is(pg_temp.listed_json('cy')->>'unreadCount', '0', 'conversations_json: nothing unread');
SELECT is((chat.add_participants(pg_temp.tok('ann'), pg_temp.cid(), ARRAY[pg_temp.uid('dee')]))->'lastMessage'->>'seq', '3',
  'the admin who adds still sees the last message');
SELECT is(pg_temp.seqs(chat.messages(pg_temp.tok('ann'), pg_temp.cid())), '{1,2,3}'::int[], 'earlier members see all of it');
SELECT is((SELECT (p->>'lastReadSeq')::int FROM jsonb_array_elements((chat.conversation(pg_temp.tok('ann'), pg_temp.cid()))->'participants') p
  WHERE p->>'id' = pg_temp.uid('cy')::text), 3, 'a late joiner''s read mark starts at their joining (no grey ticks on old messages)');
SELECT is((chat.members_joined(pg_temp.cid())), (SELECT jsonb_agg(jsonb_build_array(user_id, joined_seq) ORDER BY user_id)
  FROM chat.conversation_participants WHERE conversation_id = pg_temp.cid()), 'members_joined answers each member with their joining seq');

-- replies, edits, deletes, receipts of an earlier message
SELECT throws_ok(format('SELECT chat.send_message(%L, %L, %L, NULL, %L)', pg_temp.tok('cy'), pg_temp.cid(), 'quoting', (SELECT one->>'id' FROM early)),
  '22023', 'replyTo must be a message of the same conversation', 'a late joiner cannot reply to an earlier message');
SELECT is((SELECT array_agg(x->>'error' IS NULL) FROM jsonb_array_elements(chat.send_messages(jsonb_build_array(
    jsonb_build_object('token', pg_temp.tok('cy'), 'conversationId', pg_temp.cid(), 'content', 'q', 'replyTo', (SELECT two->>'id' FROM early)),
    jsonb_build_object('token', pg_temp.tok('ann'), 'conversationId', pg_temp.cid(), 'content', 'q', 'replyTo', (SELECT two->>'id' FROM early))))) x),
  ARRAY[false, true], 'in one batch: the late joiner''s reply to it is refused, an earlier member''s taken');
SELECT is((pg_temp.send('ann', 'after cy: four'))->>'seq', '5', 'a new message after cy joined');
SELECT is(pg_temp.seqs(chat.messages(pg_temp.tok('cy'), pg_temp.cid())), '{4,5}'::int[], 'messages: the late joiner sees what came after');
SELECT is(pg_temp.seqs(chat.messages(pg_temp.tok('cy'), pg_temp.cid(), 5, 50)), '{4}'::int[], 'messages before a seq stop at the joining');
SELECT is(pg_temp.seqs(chat.messages_after(pg_temp.tok('cy'), pg_temp.cid(), 1)), '{4,5}'::int[], 'messages_after from before the joining starts after it');
SELECT is(pg_temp.listed('cy')->'lastMessage'->>'seq', '5', 'the list shows the new last message');
SELECT is(pg_temp.listed('cy')->>'unreadCount', '2', 'and counts only it and the reply as unread');
SELECT is((chat.mark_read(pg_temp.tok('cy'), pg_temp.cid(), 2))->>'readSeq', '3', 'marking an earlier seq read moves nothing');
CREATE TEMP TABLE late_reply AS SELECT chat.send_message(pg_temp.tok('cy'), pg_temp.cid(), 'replying to four', NULL,
  (SELECT (m->>'id')::uuid FROM jsonb_array_elements(chat.messages(pg_temp.tok('cy'), pg_temp.cid())) m WHERE m->>'seq' = '5')) AS v;
SELECT is((SELECT v->>'seq' FROM late_reply), '6', 'a late joiner replies to a message from after their joining');

-- a member who leaves and is added again sees from the new joining on
SELECT lives_ok(format('SELECT chat.leave_conversation(%L, %L)', pg_temp.tok('bo'), pg_temp.cid()), 'bo leaves');
SELECT lives_ok(format('SELECT pg_temp.send(%L, %L)', 'ann', 'while bo is away'), 'a message while bo is out');
SELECT lives_ok(format('SELECT chat.add_participants(%L, %L, ARRAY[%L]::uuid[])', pg_temp.tok('ann'), pg_temp.cid(), pg_temp.uid('bo')),
  'bo is added again');
SELECT is(pg_temp.seqs(chat.messages(pg_temp.tok('bo'), pg_temp.cid())), '{}'::int[], 'a rejoined member sees nothing from before the new joining');
SELECT throws_ok(format('SELECT chat.edit_message(%L, %L, %L)', pg_temp.tok('bo'), (SELECT three->>'id' FROM early), 'rewritten'),
  'P0002', 'message not found', 'nor edits a message they sent before leaving');
SELECT throws_ok(format('SELECT chat.delete_message(%L, %L)', pg_temp.tok('bo'), (SELECT three->>'id' FROM early)),
  'P0002', 'message not found', 'nor deletes one');
SELECT is((SELECT content FROM chat.messages WHERE id = (SELECT (three->>'id')::uuid FROM early)), 'before cy: three, by bo',
  'the message is unchanged');
SELECT is((pg_temp.send('bo', 'back again'))->>'seq', '8', 'the rejoined member sends');
SELECT is(pg_temp.seqs(chat.messages(pg_temp.tok('bo'), pg_temp.cid())), '{8}'::int[], 'and sees from there on');
SELECT is((chat.edit_message(pg_temp.tok('bo'), (SELECT m.id FROM chat.messages m WHERE m.conversation_id = pg_temp.cid() AND m.seq = 8), 'edited'))->>'content',
  'edited', 'and edits a message of the new membership');

-- direct chats keep their whole history: it is both members'
CREATE TEMP TABLE d AS SELECT (chat.create_conversation(pg_temp.tok('dee'), ARRAY[pg_temp.uid('eve')]))->>'id' AS id;
SELECT lives_ok(format('SELECT chat.send_message(%L, %L, %L)', pg_temp.tok('dee'), (SELECT id FROM d), 'hi eve'), 'a direct message');
SELECT lives_ok(format('SELECT chat.leave_conversation(%L, %L), chat.create_conversation(%L, ARRAY[%L]::uuid[])',
  pg_temp.tok('eve'), (SELECT id FROM d), pg_temp.tok('dee'), pg_temp.uid('eve')), 'eve leaves; dee opens the chat again');
SELECT is(jsonb_array_length(chat.messages(pg_temp.tok('eve'), (SELECT id::uuid FROM d))), 1, 'a direct chat shows its history to a returning member');

-- ---- last seen ----
SELECT lives_ok(format('SELECT chat.set_last_seen(u, %L) FROM unnest(ARRAY[%L, %L, %L]::uuid[]) u', '2030-01-01 00:00+00',
  pg_temp.uid('ann'), pg_temp.uid('bo'), pg_temp.uid('cy')), 'ann, bo and cy have been online');
SELECT lives_ok(format('SELECT chat.add_contact(%L, %L)', pg_temp.tok('ann'), pg_temp.uid('bo')), 'ann keeps bo as a contact');
CREATE FUNCTION pg_temp.seen(viewer text, whom text) RETURNS jsonb LANGUAGE sql AS
  $$ SELECT p->'lastSeenAt' FROM jsonb_array_elements((chat.conversation(pg_temp.tok(viewer), pg_temp.cid()))->'participants') p
     WHERE p->>'id' = pg_temp.uid(whom)::text $$;
CREATE FUNCTION pg_temp.seen_listed(viewer text, whom text) RETURNS jsonb LANGUAGE sql AS
  $$ SELECT p->'lastSeenAt' FROM jsonb_array_elements(pg_temp.paged(viewer)->'participants') p WHERE p->>'id' = pg_temp.uid(whom)::text $$;
SELECT is((chat.me(pg_temp.tok('ann')))->'privacy', '{"lastSeen": "contacts"}'::jsonb, 'the default is my contacts, and me shows it');
SELECT isnt(pg_temp.seen('bo', 'ann'), 'null'::jsonb, 'contacts: a contact ann keeps sees her last seen');
SELECT is(pg_temp.seen('cy', 'ann'), 'null'::jsonb, 'contacts: another member gets null');
SELECT is(pg_temp.seen_listed('cy', 'ann'), 'null'::jsonb, 'the conversation list too');
SELECT isnt(pg_temp.seen_listed('bo', 'ann'), 'null'::jsonb, 'and shows it to the contact');
SELECT is((chat.add_contact(pg_temp.tok('dee'), pg_temp.uid('ann')))->'lastSeenAt', 'null'::jsonb,
  'a stranger who adds ann (no consent needed) gets null');
SELECT is((SELECT u->'lastSeenAt' FROM jsonb_array_elements(chat.contacts(pg_temp.tok('dee'))) u WHERE u->>'id' = pg_temp.uid('ann')::text),
  'null'::jsonb, 'in their contact list too');
SELECT is((chat.set_privacy(pg_temp.tok('ann'), '{"lastSeen": "everyone"}'))->'privacy'->>'lastSeen', 'everyone', 'set_privacy answers the account');
SELECT isnt(pg_temp.seen('cy', 'ann'), 'null'::jsonb, 'everyone: another member sees it');
SELECT isnt((SELECT u->'lastSeenAt' FROM jsonb_array_elements(chat.contacts(pg_temp.tok('dee'))) u WHERE u->>'id' = pg_temp.uid('ann')::text),
  'null'::jsonb, 'everyone: so does a stranger');
SELECT lives_ok(format('SELECT chat.set_privacy(%L, %L)', pg_temp.tok('cy'), '{"lastSeen": "nobody"}'), 'cy shows hers to nobody');
SELECT is(pg_temp.seen('cy', 'ann'), 'null'::jsonb, 'who hides theirs sees nobody''s (reciprocity)');
SELECT isnt(pg_temp.seen('cy', 'cy'), 'null'::jsonb, 'but always their own');
SELECT lives_ok(format('SELECT chat.set_privacy(%L, %L)', pg_temp.tok('ann'), '{"lastSeen": "nobody"}'), 'ann shows hers to nobody');
SELECT is(pg_temp.seen('bo', 'ann'), 'null'::jsonb, 'nobody: not even a contact sees it');
SELECT isnt((chat.me(pg_temp.tok('ann')))->'lastSeenAt', 'null'::jsonb, 'me still shows ann her own');
SELECT is(chat.presence_audiences(pg_temp.uid('ann'))->'lastSeen', '[]'::jsonb, 'presence: nobody is told when she went offline');
SELECT lives_ok(format('SELECT chat.set_privacy(%L, %L)', pg_temp.tok('ann'), '{"lastSeen": "contacts"}'), 'ann goes back to contacts');
SELECT is(chat.presence_audiences(pg_temp.uid('ann')),
  jsonb_build_object('lastSeen', jsonb_build_array(pg_temp.uid('bo')),
    'presenceOnly', (SELECT jsonb_agg(x ORDER BY x) FROM unnest(ARRAY[pg_temp.uid('cy'), pg_temp.uid('dee')]) x)),
  'presence: her contact is told her last seen; the other members only that she is offline');
SELECT throws_ok(format('SELECT chat.set_privacy(%L, %L)', pg_temp.tok('ann'), '{"lastSeen": "friends"}'),
  '22023', 'lastSeen must be "everyone", "contacts" or "nobody"', 'an unknown choice is refused');
SELECT throws_ok(format('SELECT chat.set_privacy(%L, %L)', pg_temp.tok('ann'), '{"online": "nobody"}'),
  '22023', 'unknown privacy setting "online"', 'an unknown setting is refused');
SELECT throws_ok(format('SELECT chat.set_privacy(%L, %L)', pg_temp.tok('ann'), '["nobody"]'),
  '22023', 'privacy settings must be a JSON object', 'settings that are not an object are refused');
SELECT throws_ok(format('SELECT chat.set_privacy(%L, %L)', 'forged.token.here', '{"lastSeen": "everyone"}'),
  '28000', 'invalid or expired token', 'a forged token changes nothing');
SELECT is((SELECT last_seen_privacy::text FROM chat.users WHERE id = pg_temp.uid('ann')), 'contacts', 'refused changes changed nothing');

-- ---- registration says "not available", never which ----
CREATE FUNCTION pg_temp.refusal(username text, email text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
  state text; message text; hint text;
BEGIN
  PERFORM chat.register(username, email, 'some password');
  RETURN 'registered';
EXCEPTION WHEN OTHERS THEN
  GET STACKED DIAGNOSTICS state = RETURNED_SQLSTATE, message = MESSAGE_TEXT, hint = PG_EXCEPTION_HINT;
  RETURN state || ': ' || message || ' (' || hint || ')';
END $$;
SELECT is(pg_temp.refusal('ann_p', 'someone.new@example.com'),
  '23505: username or email is not available (Choose another username, or log in if the account is yours.)',
  'a taken username is refused as not available');
SELECT is(pg_temp.refusal('brand_new_p', 'ANN_P@example.com'), pg_temp.refusal('ann_p', 'someone.new@example.com'),
  'a taken email gets the very same answer (state, message, hint)');

SELECT * FROM finish();
ROLLBACK;
