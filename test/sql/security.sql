-- Rights and hygiene: the bridge's role can call the API and nothing else, nothing is granted to
-- PUBLIC, every API function is SECURITY DEFINER with a pinned search_path, every object is
-- explained, the data is dumped, and the extension can be dropped and created again.
BEGIN;
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pgtap;
SELECT plan(23);

CREATE ROLE chat_test_bridge LOGIN;
SELECT chat.grant_api('chat_test_bridge');
CREATE ROLE chat_test_stranger LOGIN;

SELECT ok(NOT has_table_privilege('chat_test_bridge', 'chat.users', 'SELECT'), 'the bridge role cannot read chat.users');
SELECT ok(NOT has_table_privilege('chat_test_bridge', 'chat.signing_key', 'SELECT'), 'the bridge role cannot read the secret');
SELECT ok(NOT has_table_privilege('chat_test_bridge', 'chat.users', 'UPDATE'), 'the bridge role cannot write chat.users');
SELECT ok(has_function_privilege('chat_test_bridge', 'chat.login(text, text)', 'EXECUTE'), 'the bridge role can log users in');
SELECT ok(has_function_privilege('chat_test_bridge', 'chat.register(text, text, text, text)', 'EXECUTE'), 'the bridge role can register users');
SELECT ok(NOT has_function_privilege('chat_test_bridge', 'chat.issue_token(uuid)', 'EXECUTE'), 'the bridge role cannot issue tokens');
SELECT ok(NOT has_function_privilege('chat_test_bridge', 'chat.rotate_secret()', 'EXECUTE'), 'the bridge role cannot rotate the secret');
SELECT ok(NOT has_function_privilege('chat_test_bridge', 'chat.me_json(chat.users)', 'EXECUTE'), 'the bridge role cannot call internal helpers');
SELECT ok(NOT has_function_privilege('chat_test_stranger', 'chat.login(text, text)', 'EXECUTE'), 'another role cannot call the API');
SELECT ok(has_function_privilege('chat_test_bridge', 'chat.members(uuid)', 'EXECUTE'), 'the bridge role can list members for fan-out');
SELECT ok(NOT has_function_privilege('chat_test_stranger', 'chat.members(uuid)', 'EXECUTE'), 'no other role can list members');
SELECT ok(NOT has_table_privilege('chat_test_bridge', 'chat.messages', 'SELECT'), 'the bridge role cannot read messages directly');

SET ROLE chat_test_bridge;
SELECT throws_ok($$ SELECT * FROM chat.users $$, '42501', NULL, 'a query of chat.users as the bridge is refused');
SELECT is((chat.register('sam', 'sam@example.com', 'sam password'))->'user'->>'username', 'sam', 'the bridge role registers through the API');
RESET ROLE;

SELECT is_empty($$
  SELECT p.oid::regprocedure::text FROM pg_proc p, aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a
  WHERE p.pronamespace = 'chat'::regnamespace AND a.grantee = 0 $$, 'no function of chat is executable by PUBLIC');
SELECT is_empty($$
  SELECT c.relname FROM pg_class c, aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a
  WHERE c.relnamespace = 'chat'::regnamespace AND a.grantee = 0 $$, 'no table of chat is readable by PUBLIC');
SELECT is_empty($$
  SELECT p.oid::regprocedure::text FROM pg_proc p
  WHERE p.pronamespace = 'chat'::regnamespace AND p.prolang = (SELECT oid FROM pg_language WHERE lanname = 'c')
    AND (NOT p.prosecdef OR NOT coalesce(p.proconfig, '{}') @> ARRAY['search_path=pg_catalog, chat, pg_temp'])
    AND p.oid <> 'chat.search_terms(text)'::regprocedure $$,
  'every C function is SECURITY DEFINER with search_path pg_catalog, chat, pg_temp');
SELECT is_empty($$
  SELECT p.oid::regprocedure::text FROM pg_proc p
  WHERE p.pronamespace = 'chat'::regnamespace AND NOT coalesce(p.proconfig, '{}') @> ARRAY['search_path=pg_catalog, chat, pg_temp']
    AND p.oid <> 'chat.search_terms(text)'::regprocedure $$,
  'every function pins its search_path');
-- The one exception: the expression of the search index, which runs no SQL (no search_path to
-- pin), is granted to no one, and is called once per message a search rechecks (a SET clause
-- would save and restore the setting on every call).
SELECT ok((SELECT p.provolatile = 'i' AND NOT p.prosecdef AND p.proacl IS NOT NULL
             AND NOT EXISTS (SELECT 1 FROM aclexplode(p.proacl) a WHERE a.grantee <> p.proowner)
           FROM pg_proc p WHERE p.oid = 'chat.search_terms(text)'::regprocedure),
  'search_terms, the one function without: immutable, not SECURITY DEFINER, granted to no one');
SELECT is_empty($$
  SELECT c.relname FROM pg_class c WHERE c.relnamespace = 'chat'::regnamespace AND c.relkind IN ('r', 'v')
    AND obj_description(c.oid, 'pg_class') IS NULL
  UNION ALL
  SELECT p.oid::regprocedure::text FROM pg_proc p WHERE p.pronamespace = 'chat'::regnamespace
    AND obj_description(p.oid, 'pg_proc') IS NULL $$, 'every table and function has a COMMENT');
SELECT ok((SELECT 'chat.users'::regclass = ANY (extconfig) FROM pg_extension WHERE extname = 'chat'), 'pg_dump keeps the users');

SELECT lives_ok($$ DROP EXTENSION chat; CREATE EXTENSION chat $$, 'DROP EXTENSION then CREATE EXTENSION works');
SELECT is((chat.register('sam', 'sam@example.com', 'sam password'))->'user'->>'username', 'sam', 'the recreated extension works');

SELECT * FROM finish();
ROLLBACK;
