-- Sessions: every token names one; logout, log out everywhere and a password change end them, and
-- an ended session's token is refused by every function, the batched send path included.
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(37);

CREATE TEMP TABLE s AS SELECT
  chat.register('sally', 'sally@example.com', 'sally password') AS first,
  chat.register('sam', 'sam@example.com', 'sam password') AS sam;
ALTER TABLE s ADD phone jsonb, ADD laptop jsonb;
UPDATE s SET phone = chat.login('sally', 'sally password');
UPDATE s SET laptop = chat.login('sally@example.com', 'sally password');
CREATE TEMP TABLE c AS SELECT chat.create_conversation((SELECT sam->>'token' FROM s),
  ARRAY[(SELECT (first->'user'->>'id')::uuid FROM s)])->>'id' AS id;

-- each login is a session of its own
SELECT is((SELECT count(*)::int FROM chat.sessions WHERE user_id = (SELECT (first->'user'->>'id')::uuid FROM s)), 3,
  'registration and two logins open three sessions');
SELECT is(jsonb_array_length(chat.sessions((SELECT phone->>'token' FROM s))->'sessions'), 3, 'sessions lists the three devices');
SELECT is((SELECT count(*)::int FROM jsonb_array_elements(chat.sessions((SELECT phone->>'token' FROM s))->'sessions') e
  WHERE (e->>'current')::boolean), 1, 'exactly one of them is the current one');
SELECT ok((SELECT bool_and(e ? 'id' AND e ? 'createdAt' AND e ? 'expiresAt') FROM jsonb_array_elements(chat.sessions((SELECT phone->>'token' FROM s))->'sessions') e),
  'each session says when it began and when it expires');
SELECT is(chat.session((SELECT phone->>'token' FROM s))->'user'->>'username', 'sally', 'session answers the user');
SELECT ok((chat.session((SELECT phone->>'token' FROM s))->>'sessionId')::uuid IN (SELECT id FROM chat.sessions), 'session answers a session id that exists');
SELECT ok((chat.session((SELECT phone->>'token' FROM s))->>'expiresAt')::timestamptz > now() + interval '6 days', 'session answers when it expires');

-- logout ends this device only
SELECT is(chat.logout((SELECT phone->>'token' FROM s)), '{"loggedOut": true}'::jsonb, 'logout answers loggedOut');
SELECT throws_ok(format('SELECT chat.authenticate(%L)', (SELECT phone->>'token' FROM s)), '28000', 'invalid or expired token',
  'a logged-out token no longer authenticates');
SELECT throws_ok(format('SELECT chat.conversations(%L)', (SELECT phone->>'token' FROM s)), '28000', 'invalid or expired token',
  'nor lists conversations');
SELECT throws_ok(format('SELECT chat.send_message(%L, %L, %L)', (SELECT phone->>'token' FROM s), (SELECT id FROM c), 'from a stolen phone'),
  '28000', 'invalid or expired token', 'nor sends a message');
SELECT is((chat.send_messages(jsonb_build_array(
    jsonb_build_object('token', (SELECT phone->>'token' FROM s), 'conversationId', (SELECT id FROM c), 'content', 'stolen'),
    jsonb_build_object('token', (SELECT laptop->>'token' FROM s), 'conversationId', (SELECT id FROM c), 'content', 'mine'))))->0->'error'->>'sqlstate',
  '28000', 'in a batch, the ended session''s message is refused');
SELECT is((SELECT count(*)::int FROM chat.messages WHERE conversation_id = (SELECT id::uuid FROM c)), 1,
  'and only the live session''s message was stored');
SELECT throws_ok(format('SELECT chat.logout(%L)', (SELECT phone->>'token' FROM s)), '28000', 'invalid or expired token',
  'a second logout with the same token is refused');
SELECT is(chat.authenticate((SELECT laptop->>'token' FROM s))->>'username', 'sally', 'the other devices stay logged in');
SELECT is(jsonb_array_length(chat.sessions((SELECT laptop->>'token' FROM s))->'sessions'), 2, 'the ended session is no longer listed');

-- change_password: the current password is proven; the other devices end, this one stays
SELECT throws_ok(format('SELECT chat.change_password(%L, %L, %L)', (SELECT laptop->>'token' FROM s), 'wrong password', 'a new password'),
  '42501', 'the current password is wrong', 'change_password refuses a wrong current password');
SELECT is(chat.authenticate((SELECT first->>'token' FROM s))->>'username', 'sally', 'and a refused change ends nothing');
SELECT throws_ok(format('SELECT chat.change_password(%L, %L, %L)', (SELECT laptop->>'token' FROM s), 'sally password', 'short'),
  '22023', NULL, 'change_password refuses a too short new password');
SELECT throws_ok(format('SELECT chat.change_password(%L, %L, NULL)', (SELECT laptop->>'token' FROM s), 'sally password'),
  '22023', NULL, 'change_password refuses a missing new password');
SELECT is(chat.change_password((SELECT laptop->>'token' FROM s), 'sally password', 'sally new password'),
  '{"sessionsEnded": 1}'::jsonb, 'change_password ends the other live session');
SELECT throws_ok(format('SELECT chat.authenticate(%L)', (SELECT first->>'token' FROM s)), '28000', 'invalid or expired token',
  'the other device''s token is refused after a password change');
SELECT is(chat.authenticate((SELECT laptop->>'token' FROM s))->>'username', 'sally', 'the device that changed it stays');
SELECT throws_ok($$ SELECT chat.login('sally', 'sally password') $$, '28000', 'invalid username or password', 'the old password no longer logs in');
SELECT ok(chat.login('sally', 'sally new password') ? 'token', 'the new one does');

-- log out everywhere: every device, this one too
SELECT is(chat.logout_everywhere((SELECT laptop->>'token' FROM s)), '{"sessionsEnded": 2}'::jsonb,
  'logout_everywhere ends both live sessions');
SELECT throws_ok(format('SELECT chat.authenticate(%L)', (SELECT laptop->>'token' FROM s)), '28000', 'invalid or expired token',
  'the caller''s own token is refused after logout_everywhere');
SELECT is(chat.authenticate((SELECT sam->>'token' FROM s))->>'username', 'sam', 'another user is not touched');

-- expired sessions are dropped when the user opens the next one
UPDATE chat.sessions SET expires_at = now() - interval '1 second' WHERE user_id = (SELECT (sam->'user'->>'id')::uuid FROM s);
SELECT ok(chat.login('sam', 'sam password') ? 'token', 'sam logs in again');
SELECT is((SELECT count(*)::int FROM chat.sessions WHERE user_id = (SELECT (sam->'user'->>'id')::uuid FROM s)), 1,
  'and his expired session row is gone');

-- bad tokens and oversized passwords change nothing
CREATE TEMP TABLE sam AS SELECT chat.login('sam', 'sam password')->>'token' AS token;
SELECT throws_ok($$ SELECT chat.logout('not a token') $$, '28000', 'invalid or expired token', 'logout refuses a garbage token');
SELECT throws_ok($$ SELECT chat.logout_everywhere(NULL) $$, '28000', 'a token is required', 'logout_everywhere refuses a missing token');
SELECT throws_ok($$ SELECT chat.sessions(repeat('x', 5000)) $$, '28000', 'invalid or expired token', 'sessions refuses an oversized token');
SELECT throws_ok(format('SELECT chat.change_password(%L, %L, %L)', (SELECT token FROM sam), 'sam password', repeat('p', 1025)),
  '22023', NULL, 'change_password refuses a new password over 1024 bytes');
SELECT throws_ok(format('SELECT chat.change_password(%L, %L, %L)', (SELECT token FROM sam), repeat('p', 5000), 'a fine new password'),
  '42501', 'the current password is wrong', 'an oversized current password is simply wrong');
SELECT ok(chat.login('sam', 'sam password') ? 'token', 'and sam''s password is unchanged');

-- nothing but the API reads the table
SELECT ok(NOT has_table_privilege('public', 'chat.sessions', 'SELECT'), 'PUBLIC cannot read chat.sessions');

SELECT * FROM finish();
ROLLBACK;
