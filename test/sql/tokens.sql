-- Tokens: HS256 only, signature checked in constant time before the payload is read, every
-- claim required. Forged tokens are signed here with the real secret through pgcrypto, so each
-- test refuses exactly one flaw.
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
CREATE EXTENSION IF NOT EXISTS pgcrypto;
SELECT plan(30);

CREATE FUNCTION pg_temp.b64url(b bytea) RETURNS text LANGUAGE sql AS
  $$ SELECT translate(encode(b, 'base64'), E'+/=\n', '-_') $$;
CREATE FUNCTION pg_temp.forge(header text, payload text) RETURNS text LANGUAGE sql AS $$
  SELECT input || '.' || pg_temp.b64url(hmac(convert_to(input, 'UTF8'), (SELECT key FROM chat.signing_key), 'sha256'))
  FROM (SELECT pg_temp.b64url(convert_to(header, 'UTF8')) || '.' || pg_temp.b64url(convert_to(payload, 'UTF8')) AS input) i
$$;
-- every token names a live session (chat.sessions); forged ones name a session made here
CREATE FUNCTION pg_temp.claims(sub uuid, iat bigint, exp bigint, iss text DEFAULT 'pgchat') RETURNS text LANGUAGE sql AS
  $$ SELECT format('{"sub":"%s","sid":"%s","iss":"%s","iat":%s,"exp":%s}', sub,
       (SELECT id FROM chat.sessions s WHERE s.user_id = sub ORDER BY created_at LIMIT 1), iss, iat, exp) $$;
CREATE FUNCTION pg_temp.now() RETURNS bigint LANGUAGE sql AS $$ SELECT extract(epoch FROM clock_timestamp())::bigint $$;

CREATE TEMP TABLE u AS SELECT (chat.register('tina', 'tina@example.com', 'tina password')->'user'->>'id')::uuid AS id,
  (chat.register('tom', 'tom@example.com', 'tom password')->'user'->>'id')::uuid AS other;
CREATE TEMP TABLE t AS SELECT chat.issue_token((SELECT id FROM u)) AS token;

SELECT is((chat.authenticate((SELECT token FROM t)))->>'username', 'tina', 'issue_token makes a token that authenticates');
SELECT is((chat.authenticate(pg_temp.forge('{"alg":"HS256","typ":"JWT"}', pg_temp.claims((SELECT id FROM u), pg_temp.now(), pg_temp.now() + 60))))->>'username',
  'tina', 'a well-formed token signed with the secret authenticates (the forging helper is right)');
SELECT throws_ok($$ SELECT chat.issue_token('00000000-0000-0000-0000-000000000000') $$, 'P0002', 'user not found',
  'issue_token refuses an unknown user');

-- every flaw is 28000 with one message
SELECT throws_ok(format('SELECT chat.authenticate(%L)', tok), '28000', 'invalid or expired token', why)
FROM (VALUES
  (pg_temp.forge('{"alg":"HS256","typ":"JWT"}', pg_temp.claims((SELECT id FROM u), pg_temp.now() - 120, pg_temp.now() - 60)), 'authenticate refuses an expired token'),
  (pg_temp.forge('{"alg":"HS256","typ":"JWT"}', pg_temp.claims((SELECT id FROM u), pg_temp.now() + 3600, pg_temp.now() + 7200)), 'authenticate refuses a token issued in the future'),
  (pg_temp.forge('{"alg":"HS256","typ":"JWT"}', pg_temp.claims((SELECT id FROM u), pg_temp.now(), pg_temp.now() + 60, 'someone-else')), 'authenticate refuses another issuer'),
  (pg_temp.forge('{"alg":"HS256","typ":"JWT"}', format('{"sub":"%s","iss":"pgchat","iat":%s}', (SELECT id FROM u), pg_temp.now())), 'authenticate refuses a token without exp'),
  (pg_temp.forge('{"alg":"HS256","typ":"JWT"}', format('{"sub":"%s","iss":"pgchat","exp":%s}', (SELECT id FROM u), pg_temp.now() + 60)), 'authenticate refuses a token without iat'),
  (pg_temp.forge('{"alg":"HS256","typ":"JWT"}', format('{"sub":"%s","iat":%s,"exp":%s}', (SELECT id FROM u), pg_temp.now(), pg_temp.now() + 60)), 'authenticate refuses a token without iss'),
  (pg_temp.forge('{"alg":"HS256","typ":"JWT"}', format('{"iss":"pgchat","iat":%s,"exp":%s}', pg_temp.now(), pg_temp.now() + 60)), 'authenticate refuses a token without sub'),
  (pg_temp.forge('{"alg":"HS256","typ":"JWT"}', format('{"sub":"%s","iss":"pgchat","iat":"%s","exp":"%s"}', (SELECT id FROM u), pg_temp.now(), pg_temp.now() + 60)), 'authenticate refuses string times'),
  (pg_temp.forge('{"alg":"HS512","typ":"JWT"}', pg_temp.claims((SELECT id FROM u), pg_temp.now(), pg_temp.now() + 60)), 'authenticate refuses an HS512 header'),
  (pg_temp.forge('{"alg":"none","typ":"JWT"}', pg_temp.claims((SELECT id FROM u), pg_temp.now(), pg_temp.now() + 60)), 'authenticate refuses alg none signed anyway'),
  (pg_temp.b64url('{"alg":"none","typ":"JWT"}') || '.' || pg_temp.b64url(convert_to(pg_temp.claims((SELECT id FROM u), pg_temp.now(), pg_temp.now() + 60), 'UTF8')) || '.',
     'authenticate refuses an unsigned alg none token'),
  (split_part((SELECT token FROM t), '.', 1) || '.' || pg_temp.b64url(convert_to(pg_temp.claims((SELECT other FROM u), pg_temp.now(), pg_temp.now() + 60), 'UTF8')) || '.' || split_part((SELECT token FROM t), '.', 3),
     'authenticate refuses a tampered payload'),
  (left((SELECT token FROM t), -2) || CASE WHEN right((SELECT token FROM t), 2) = 'AA' THEN 'AB' ELSE 'AA' END, 'authenticate refuses a tampered signature'),
  ((SELECT token FROM t) || '.extra', 'authenticate refuses a fourth part'),
  (split_part((SELECT token FROM t), '.', 1) || '.' || split_part((SELECT token FROM t), '.', 2), 'authenticate refuses a token without signature'),
  ((SELECT token FROM t) || repeat('A', 3000), 'authenticate refuses an oversized token before parsing'),
  (pg_temp.forge('{"alg":"HS256","typ":"JWT"}', format('{"sub":"%s","iss":"pgchat","iat":%s,"exp":%s}', (SELECT id FROM u), pg_temp.now(), pg_temp.now() + 60)), 'authenticate refuses a token without a session (as issued before 1.3)'),
  (pg_temp.forge('{"alg":"HS256","typ":"JWT"}', format('{"sub":"%s","sid":"%s","iss":"pgchat","iat":%s,"exp":%s}', (SELECT id FROM u), gen_random_uuid(), pg_temp.now(), pg_temp.now() + 60)), 'authenticate refuses a session that does not exist'),
  (pg_temp.forge('{"alg":"HS256","typ":"JWT"}', format('{"sub":"%s","sid":"%s","iss":"pgchat","iat":%s,"exp":%s}', (SELECT other FROM u), (SELECT id FROM chat.sessions WHERE user_id = (SELECT id FROM u) LIMIT 1), pg_temp.now(), pg_temp.now() + 60)), 'authenticate refuses another user''s session'),
  ('', 'authenticate refuses an empty token'),
  ('not a token', 'authenticate refuses garbage')
) AS cases(tok, why);

-- a deleted user's token: the sessions go with the user
CREATE TEMP TABLE gone AS SELECT chat.login('tom', 'tom password')->>'token' AS token;
DELETE FROM chat.users WHERE id = (SELECT other FROM u);
SELECT throws_ok(format('SELECT chat.authenticate(%L)', (SELECT token FROM gone)), '28000', 'invalid or expired token',
  'authenticate refuses the token of a deleted user');

-- rotation
SELECT lives_ok($$ SELECT chat.rotate_secret() $$, 'rotate_secret makes a new secret');
SELECT throws_ok(format('SELECT chat.authenticate(%L)', (SELECT token FROM t)), '28000', 'invalid or expired token',
  'a token signed before a secret rotation is refused');
CREATE TEMP TABLE fresh AS SELECT chat.login('tina', 'tina password')->>'token' AS token;
SELECT is((chat.authenticate((SELECT token FROM fresh)))->>'username', 'tina',
  'a login after the rotation gets a token that works');
SELECT is((SELECT count(*)::int FROM chat.signing_key), 1, 'there is one secret');
SELECT is((SELECT length(key) FROM chat.signing_key), 32, 'the secret is 32 bytes');

SELECT * FROM finish();
ROLLBACK;
