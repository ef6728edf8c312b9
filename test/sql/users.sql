-- Accounts: registration, login, profile. Each test is named for the behaviour it proves.
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(70);

-- registration
SELECT lives_ok($$ CREATE TEMP TABLE s AS SELECT chat.register('Alice', 'Alice@Example.com', 'correct horse', 'Alice A') AS v $$,
  'register creates an account');
SELECT is((SELECT v->'user'->>'username' FROM s), 'alice', 'register folds the username to lower case');
SELECT is((SELECT v->'user'->>'displayName' FROM s), 'Alice A', 'register keeps the display name');
SELECT is((SELECT v->'user'->>'email' FROM s), 'Alice@Example.com', 'register returns the email to its owner');
SELECT ok((SELECT v->>'token' FROM s) ~ '^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$', 'register returns a token');
SELECT ok(NOT (SELECT v->'user' ? 'passwordHash' OR v->'user' ? 'password_hash' FROM s), 'register never returns the hash');
SELECT matches((SELECT password_hash FROM chat.users WHERE username = 'alice'),
  '^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$', 'the stored hash is an argon2id PHC string at the OWASP floor');
SELECT is((SELECT v->'user'->>'displayName' FROM (SELECT chat.register('bob', 'bob@example.com', 'bob password') AS v) r),
  'bob', 'the display name defaults to the username');

SELECT throws_ok($$ SELECT chat.register('ALICE', 'other@example.com', 'correct horse') $$,
  '23505', 'username or email is not available', 'register refuses a username taken in another case');
SELECT throws_ok($$ SELECT chat.register('alice2', 'ALICE@example.COM', 'correct horse') $$,
  '23505', 'username or email is not available', 'register refuses an email taken in another case, with the same answer');
SELECT throws_ok($$ SELECT chat.register('al', 'al@example.com', 'correct horse') $$,
  '22023', 'username must be 3 to 32 characters', 'register refuses a username of 2 characters');
SELECT throws_ok($$ SELECT chat.register(repeat('a', 33), 'al@example.com', 'correct horse') $$,
  '22023', 'username must be 3 to 32 characters', 'register refuses a username of 33 characters');
SELECT lives_ok($$ SELECT chat.register(repeat('a', 32), 'a32@example.com', 'correct horse') $$,
  'register takes a username of 32 characters');
SELECT throws_ok($$ SELECT chat.register('al ice', 'al@example.com', 'correct horse') $$,
  '22023', 'username may contain only letters, digits, dots and underscores', 'register refuses a space in the username');
SELECT throws_ok($$ SELECT chat.register('alïce', 'al@example.com', 'correct horse') $$,
  '22023', NULL, 'register refuses a non-ASCII username');
SELECT throws_ok($$ SELECT chat.register(NULL, 'al@example.com', 'correct horse') $$,
  '22023', 'username is required', 'register refuses a null username');
SELECT throws_ok($$ SELECT chat.register('carol', NULL, 'correct horse') $$,
  '22023', 'email is required', 'register refuses a null email');
SELECT throws_ok($$ SELECT chat.register('carol', 'carol@example.com', NULL) $$,
  '22023', 'password is required', 'register refuses a null password');
SELECT throws_ok(format($$ SELECT chat.register('carol', %L, 'correct horse') $$, e),
  '22023', 'email is not a valid address', 'register refuses the email ' || e)
  FROM unnest(ARRAY['carol', 'carol@', '@example.com', 'carol@example', 'carol@@example.com',
    'car ol@example.com', 'carol@exa mple.com', 'carol@-example.com', 'carol@example.c',
    'carol@example..com', repeat('c', 65) || '@example.com', 'carol@' || repeat('e', 250) || '.com']) AS e;
SELECT throws_ok($$ SELECT chat.register('carol', 'carol@example.com', '1234567') $$,
  '22023', 'password must be 8 to 1024 bytes long', 'register refuses a password of 7 bytes');
SELECT throws_ok($$ SELECT chat.register('carol', 'carol@example.com', repeat('p', 1025)) $$,
  '22023', 'password must be 8 to 1024 bytes long', 'register refuses a password of 1025 bytes');
SELECT lives_ok($$ SELECT chat.register('carol', 'carol@example.com', repeat('p', 1024)) $$,
  'register takes a password of 1024 bytes');
SELECT throws_ok($$ SELECT chat.register('dave', 'dave@example.com', 'correct horse', repeat('d', 65)) $$,
  '22001', 'display name must be at most 64 characters', 'register refuses a display name of 65 characters');
SELECT throws_ok($$ SELECT chat.register('dave', 'dave@example.com', 'correct horse', E'Dave\nD') $$,
  '22023', 'display name must not contain control characters', 'register refuses control characters in the display name');
SELECT throws_ok($$ SELECT chat.register('dave', 'dave@example.com', 'correct horse', '') $$,
  '22023', 'display name must not be empty', 'register refuses an empty display name');
SELECT is((SELECT count(*)::int FROM chat.users WHERE username = 'dave'), 0, 'a refused registration creates nothing');

-- login
SELECT is((chat.login('alice', 'correct horse'))->'user'->>'username', 'alice', 'login by username');
SELECT is((chat.login('ALICE', 'correct horse'))->'user'->>'username', 'alice', 'login by username in another case');
SELECT is((chat.login('alice@EXAMPLE.com', 'correct horse'))->'user'->>'username', 'alice', 'login by email in another case');
SELECT ok((chat.login('alice', 'correct horse'))->>'token' IS NOT NULL, 'login returns a token');
SELECT throws_ok($$ SELECT chat.login('alice', 'wrong horse') $$,
  '28000', 'invalid username or password', 'login refuses a wrong password with 28000');
SELECT throws_ok($$ SELECT chat.login('nobody', 'wrong horse') $$,
  '28000', 'invalid username or password', 'login refuses an unknown user with the same error');
SELECT throws_ok($$ SELECT chat.login('nobody@example.com', 'wrong horse') $$,
  '28000', 'invalid username or password', 'login refuses an unknown email with the same error');
SELECT throws_ok($$ SELECT chat.login(repeat('x', 10000), repeat('y', 10000)) $$,
  '28000', 'invalid username or password', 'login refuses oversized credentials with the same error');
SELECT throws_ok($$ SELECT chat.login(NULL, 'x') $$, '22023', 'login is required', 'login refuses a null login');

-- a hash made at an older cost is upgraded at the next successful login
SET LOCAL chat.password_passes = 3;
SELECT lives_ok($$ SELECT chat.login('bob', 'bob password') $$, 'login at a higher cost');
SELECT matches((SELECT password_hash FROM chat.users WHERE username = 'bob'), '^\$argon2id\$v=19\$m=19456,t=3,',
  'login rehashes a password made with an older cost');
SELECT is((chat.login('bob', 'bob password'))->'user'->>'username', 'bob', 'the upgraded hash still verifies');
SELECT throws_ok($$ SET chat.password_passes = 1 $$, '22023', NULL, 'the pass count cannot go below OWASP''s floor');
SELECT throws_ok($$ SET chat.password_memory_kib = 1024 $$, '22023', NULL, 'the memory cost cannot go below OWASP''s floor');
RESET chat.password_passes;

-- authenticate and me
SELECT is((chat.authenticate((SELECT v->>'token' FROM s)))->>'username', 'alice', 'authenticate names the token''s user');
SELECT ok(NOT (chat.authenticate((SELECT v->>'token' FROM s)) ? 'email'), 'authenticate does not show the email');
SELECT is((chat.me((SELECT v->>'token' FROM s)))->>'email', 'Alice@Example.com', 'me shows the caller''s email');
SELECT throws_ok($$ SELECT chat.me(NULL) $$, '28000', 'a token is required', 'me refuses a null token');

-- profile
SELECT is((chat.update_profile((SELECT v->>'token' FROM s), '{"displayName": "Alice B", "status": "at work", "bio": "line one\nline two", "profilePhoto": "https://example.com/a.png"}'))
  - 'updatedAt' - 'createdAt' - 'id',
  '{"bio": "line one\nline two", "email": "Alice@Example.com", "status": "at work", "username": "alice", "lastSeenAt": null, "displayName": "Alice B", "profilePhoto": "https://example.com/a.png", "privacy": {"lastSeen": "contacts"}}'::jsonb,
  'update_profile changes every field');
SELECT is((chat.update_profile((SELECT v->>'token' FROM s), '{"status": "busy"}'))->>'displayName', 'Alice B',
  'update_profile keeps the fields it is not given');
SELECT is((chat.update_profile((SELECT v->>'token' FROM s), '{"status": null, "bio": null, "profilePhoto": null}'))
  ->> 'profilePhoto', NULL, 'update_profile clears with null');
SELECT is((SELECT status || bio FROM chat.users WHERE username = 'alice'), '', 'cleared status and bio are empty');
SELECT throws_ok(format('SELECT chat.update_profile(%L, %L)', (SELECT v->>'token' FROM s), '{"displayName": null}'),
  '22023', 'displayName must be a string', 'update_profile refuses a null display name');
SELECT throws_ok(format('SELECT chat.update_profile(%L, %L)', (SELECT v->>'token' FROM s), '{"status": 5}'),
  '22023', 'status must be a string', 'update_profile refuses a number');
SELECT throws_ok(format('SELECT chat.update_profile(%L, %L)', (SELECT v->>'token' FROM s), '{"email": "x@example.com"}'),
  '22023', 'unknown profile field "email"', 'update_profile refuses an unknown field');
SELECT throws_ok(format('SELECT chat.update_profile(%L, %L)', (SELECT v->>'token' FROM s), '[1]'),
  '22023', 'profile changes must be a JSON object', 'update_profile refuses a non-object');
SELECT throws_ok(format('SELECT chat.update_profile(%L, %L)', (SELECT v->>'token' FROM s), jsonb_build_object('status', repeat('s', 141))),
  '22001', 'status must be at most 140 characters', 'update_profile refuses a status of 141 characters');
SELECT throws_ok(format('SELECT chat.update_profile(%L, %L)', (SELECT v->>'token' FROM s), jsonb_build_object('bio', repeat('b', 501))),
  '22001', 'bio must be at most 500 characters', 'update_profile refuses a bio of 501 characters');
SELECT throws_ok(format('SELECT chat.update_profile(%L, %L)', (SELECT v->>'token' FROM s), '{"profilePhoto": "javascript:alert(1)"}'),
  '22023', 'profile photo must be an http or https URL', 'update_profile refuses a script URL');
SELECT throws_ok(format('SELECT chat.update_profile(%L, %L)', (SELECT v->>'token' FROM s), '{"profilePhoto": "https://a b"}'),
  '22023', 'profile photo URL must not contain spaces or control characters', 'update_profile refuses a URL with a space');
SELECT throws_ok(format('SELECT chat.update_profile(%L, NULL)', (SELECT v->>'token' FROM s)),
  '22023', 'changes is required', 'update_profile refuses null changes');
SELECT throws_ok($$ SELECT chat.update_profile('nope', '{}') $$, '28000', 'invalid or expired token', 'update_profile refuses a bad token');
SELECT is((SELECT status FROM chat.users WHERE username = 'alice'), '', 'a refused profile change changes nothing');

SELECT * FROM finish();
ROLLBACK;
